/* labctl images: the stand-in catalog (images/catalog.yml) and which
 * stand-ins are built on the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../image/catalog.h"
#include "cmd.h"

#define MAXW(a, b) ((a) > (b) ? (a) : (b))

static int cmd_images(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt images_opts[] = {
	{"json", 0, NULL, "print the catalog and the built stand-ins as JSON"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_images_entry = {
	.name = "images",
	.opts = images_opts,
	.usage = "[--json]",
	.summary = "list the stand-in catalog and the stand-ins built on the engine",
	.description = "A compose file that names a public image (postgres:16, apache/kafka,\n"
		       "minio/minio, ...) runs with no registry: when the image is absent and\n"
		       "cannot be pulled, or with `up --offline`, `up` builds the catalog's\n"
		       "stand-in for it from images/<context> and tags it with the requested\n"
		       "name. Lists each entry (its name, the repositories and tags it stands\n"
		       "in for, its build context), then the stand-ins built on the engine\n"
		       "(their tag, entry, id, size, age). The catalog is\n"
		       "$LABCTL_IMAGES_DIR/catalog.yml, else images/catalog.yml of the labctl\n"
		       "checkout or installation (<prefix>/share/labctl/images). Exit 2 when\n"
		       "there is none or it does not read (file:line:col), 3 when the engine\n"
		       "cannot be reached (the catalog is listed first).",
	.fn = cmd_images,
};

static char *joined(const struct lab_strv *v, const char *sep)
{
	struct lab_buf b = LAB_BUF_INIT;
	for (size_t i = 0; i < v->n; i++)
		lab_buf_printf(&b, "%s%s", i ? sep : "", v->v[i]);
	lab_buf_puts(&b, "");
	return lab_buf_detach(&b);
}

static cJSON *strv_json(const struct lab_strv *v)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return a;
}

static void age(char *out, size_t n, long long created)
{
	long long s = (long long)time(NULL) - created;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%llds ago", s);
	else if (s < 7200)
		snprintf(out, n, "%lldm ago", s / 60);
	else if (s < 172800)
		snprintf(out, n, "%lldh ago", s / 3600);
	else
		snprintf(out, n, "%lldd ago", s / 86400);
}

static int cmd_images(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0, json = cmd_opt(cmd, args, "json") != NULL;
	struct lab_catalog *cat = NULL;
	struct lab_engine *engine = NULL;
	struct lab_standin_image *built = NULL;
	size_t n_built = 0;
	struct lab_err err = {0};
	cJSON *o = NULL;
	char *path = cmd_catalog_path();
	if (args->pos.n) {
		code = cmd_usage_error(cmd, "no arguments expected, not '%s'", args->pos.v[0]);
		goto out;
	}
	if (!path) {
		fprintf(stderr, "labctl: no stand-in catalog (set LABCTL_IMAGES_DIR or run a labctl checkout or "
				"installation)\n");
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if (lab_catalog_load(&cat, path, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	int engine_code = cmd_open_engine(&engine);
	if (!engine_code && lab_image_standins(&built, &n_built, engine, &err) < 0)
		engine_code = cmd_fail(&err);
	if (json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "catalog", cat->path);
		cJSON *es = cJSON_AddArrayToObject(o, "stand_ins");
		for (size_t i = 0; i < cat->n; i++) {
			const struct lab_catalog_entry *e = &cat->entries[i];
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "name", e->name);
			cJSON_AddItemToObject(x, "for", strv_json(&e->repos));
			cJSON_AddItemToObject(x, "tags", strv_json(&e->tags));
			cJSON_AddStringToObject(x, "context", e->context);
			if (e->interface)
				cJSON_AddStringToObject(x, "interface", e->interface);
			if (e->test)
				cJSON_AddStringToObject(x, "test", e->test);
			cJSON_AddItemToArray(es, x);
		}
		cJSON *bs = engine_code ? cJSON_AddNullToObject(o, "built") : cJSON_AddArrayToObject(o, "built");
		for (size_t i = 0; !engine_code && i < n_built; i++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "tag", built[i].tag);
			cJSON_AddStringToObject(x, "stand_in_for", built[i].stands_in);
			cJSON_AddStringToObject(x, "entry", built[i].entry);
			cJSON_AddStringToObject(x, "id", built[i].id);
			cJSON_AddNumberToObject(x, "size", (double)built[i].size);
			cJSON_AddNumberToObject(x, "created", (double)built[i].created);
			cJSON_AddItemToArray(bs, x);
		}
		char *text = cJSON_Print(o);
		printf("%s\n", text);
		free(text);
	} else {
		/* columns as wide as their longest value; FOR, the longest, last */
		int wn = 8, wt = 4, wc = 7;
		for (size_t i = 0; i < cat->n; i++) {
			const struct lab_catalog_entry *e = &cat->entries[i];
			char *tags = joined(&e->tags, ", ");
			wn = MAXW(wn, (int)strlen(e->name));
			wt = MAXW(wt, (int)strlen(tags));
			wc = MAXW(wc, (int)strlen(e->context));
			free(tags);
		}
		printf("%-*s %-*s %-*s %s\n", wn, "STAND-IN", wt, "TAGS", wc, "CONTEXT", "FOR");
		for (size_t i = 0; i < cat->n; i++) {
			const struct lab_catalog_entry *e = &cat->entries[i];
			char *repos = joined(&e->repos, ", "), *tags = joined(&e->tags, ", ");
			printf("%-*s %-*s %-*s %s\n", wn, e->name, wt, tags, wc, e->context, repos);
			free(repos);
			free(tags);
		}
		if (!cat->n)
			printf("(the catalog %s has no entries)\n", cat->path);
		if (!engine_code) {
			printf("\n");
			int wb = 5, we = 8;
			for (size_t i = 0; i < n_built; i++) {
				wb = MAXW(wb, (int)strlen(built[i].tag));
				we = MAXW(we, (int)strlen(built[i].entry));
			}
			if (!n_built)
				printf("no stand-in is built on the engine (up builds one when it is needed)\n");
			else
				printf("%-*s %-*s %-12s %8s  %s\n", wb, "BUILT", we, "STAND-IN", "ID", "SIZE", "CREATED");
			for (size_t i = 0; i < n_built; i++) {
				char when[32];
				age(when, sizeof(when), built[i].created);
				const char *id = strncmp(built[i].id, "sha256:", 7) == 0 ? built[i].id + 7 : built[i].id;
				printf("%-*s %-*s %-12.12s %5.0f MB  %s\n", wb, built[i].tag, we, built[i].entry, id,
				       (double)built[i].size / 1e6, when);
			}
		}
	}
	code = engine_code;
out:
	cJSON_Delete(o);
	lab_standin_images_free(built, n_built);
	lab_engine_free(engine);
	lab_catalog_free(cat);
	free(path);
	return code;
}
