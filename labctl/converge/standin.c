/* Stand-ins (issue 15): which catalog build replaces an image the lab
 * runs that cannot be had, planned before any build; resources.c builds
 * them with the lab's own images. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../image/catalog.h"
#include "../plan/plan.h"
#include "internal.h"

int converge_catalog(struct cv *c, const struct lab_catalog **out, struct lab_err *err)
{
	*out = NULL;
	if (!c->catalog_read && c->opts->catalog) {
		struct stat st;
		c->catalog_read = 1;
		if (stat(c->opts->catalog, &st) == 0) {
			int rc = lab_catalog_load(&c->catalog, c->opts->catalog, err);
			if (rc < 0) {
				c->catalog_read = 0; /* said once per call is enough: the caller stops */
				return rc;
			}
		}
	}
	*out = c->catalog;
	return 0;
}

int converge_image_inspect(struct lab_engine *e, const char *name, char **id, char **entry, struct lab_err *err)
{
	cJSON *img = NULL;
	int rc = lab_engine_image_inspect(e, name, &img, err);
	*id = *entry = NULL;
	if (rc == LAB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(img, "Config"), "Labels");
	*id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(img, "Id")));
	*entry = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_STAND_IN)));
	cJSON_Delete(img);
	return 1;
}

int converge_standin_plan(struct cv *c, struct svc_run *r, const char *name, const char *by_entry,
			  const char *reason, struct lab_err *err)
{
	const struct lab_catalog *cat = NULL;
	int rc = converge_catalog(c, &cat, err);
	if (rc < 0)
		return rc;
	const struct lab_catalog_entry *e = lab_catalog_find(cat, by_entry);
	if (!e)
		e = lab_catalog_match(cat, name);
	if (!e)
		return 0;
	c->standins = lab_xrealloc(c->standins, (c->n_standins + 1) * sizeof(*c->standins));
	struct standin *s = &c->standins[c->n_standins++];
	*s = (struct standin){.r = r, .runs = 1, .name = lab_xstrdup(name), .entry = e, .args = LAB_STRV_INIT,
			      .labels = LAB_STRV_INIT};
	lab_catalog_args(&s->args, e, name);
	lab_strv_pushf(&s->labels, "%s=%s", LAB_LABEL_STAND_IN_FOR, name);
	lab_strv_pushf(&s->labels, "%s=%s", LAB_LABEL_STAND_IN, e->name);
	if (reason) {
		const char *base = strrchr(cat->dir, '/');
		char *where = lab_xasprintf("%s/%s", base && base[1] ? base + 1 : cat->dir, e->context_rel);
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_STAND_IN,
						.service = r->svc->name,
						.name = name,
						.reason = reason,
						.entry = e->name,
						.context = where};
		converge_emit(c, &ev);
		free(where);
	}
	return 1;
}

int converge_standin_plan_base(struct cv *c, struct svc_run *r, const char *name, const char *reason,
			       struct lab_err *err)
{
	for (size_t i = 0; i < c->n_standins; i++)
		if (strcmp(c->standins[i].name, name) == 0) {
			c->standins[i].first = 1;
			return 1;
		}
	int rc = converge_standin_plan(c, r, name, NULL, reason, err);
	if (rc == 1) {
		c->standins[c->n_standins - 1].runs = 0;
		c->standins[c->n_standins - 1].first = 1;
	}
	return rc;
}

void converge_standins_free(struct cv *c)
{
	for (size_t i = 0; i < c->n_standins; i++) {
		free(c->standins[i].name);
		lab_strv_free(&c->standins[i].args);
		lab_strv_free(&c->standins[i].labels);
	}
	free(c->standins);
	c->standins = NULL;
	c->n_standins = 0;
	lab_catalog_free(c->catalog);
	c->catalog = NULL;
}
