/* images/catalog.yml: read with libyaml's document API (marks for
 * file:line:col), matched against image references. See catalog.h. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "../lab/lab.h"
#include "../util/file.h"
#include "catalog.h"

/* ---- references ---- */

int lab_image_ref_split(char **repo, char **tag, const char *ref, struct lab_err *err)
{
	*repo = *tag = NULL;
	if (!ref || !*ref)
		return lab_err_set(err, LAB_EINPUT, "an empty image reference");
	const char *name = ref;
	/* a registry host: the first component has '.' or ':' or is localhost */
	const char *slash = strchr(name, '/');
	if (slash) {
		size_t n = (size_t)(slash - name);
		int host = memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9));
		if (host && ((n == 9 && !strncmp(name, "docker.io", 9)) || (n == 15 && !strncmp(name, "index.docker.io", 15)) ||
			     (n == 20 && !strncmp(name, "registry-1.docker.io", 20)))) {
			name = slash + 1;
			if (!strncmp(name, "library/", 8) && strchr(name + 8, '/') == NULL)
				name += 8;
		} else if (!host && !strncmp(name, "library/", 8) && strchr(name + 8, '/') == NULL) {
			name += 8;
		}
	}
	const char *at = strchr(name, '@');
	const char *last = strrchr(name, '/');
	const char *colon = strrchr(last ? last : name, ':');
	if (at) {
		*repo = lab_xstrndup(name, (size_t)(at - name));
		*tag = lab_xstrdup(at + 1);
	} else if (colon) {
		*repo = lab_xstrndup(name, (size_t)(colon - name));
		*tag = lab_xstrdup(colon + 1);
	} else {
		*repo = lab_xstrdup(name);
		*tag = lab_xstrdup("latest");
	}
	if (!**repo || !**tag) {
		free(*repo);
		free(*tag);
		*repo = *tag = NULL;
		return lab_err_set(err, LAB_EINPUT, "'%s' is not an image reference (an empty %s)", ref,
				   at || colon ? "repository or tag" : "repository");
	}
	return 0;
}

const struct lab_catalog_entry *lab_catalog_match(const struct lab_catalog *c, const char *ref)
{
	char *repo = NULL, *tag = NULL;
	const struct lab_catalog_entry *found = NULL;
	struct lab_err ignore = {0};
	if (!c || lab_image_ref_split(&repo, &tag, ref, &ignore) < 0)
		return NULL;
	for (size_t i = 0; i < c->n && !found; i++) {
		const struct lab_catalog_entry *e = &c->entries[i];
		if (lab_strv_find(&e->repos, repo) < 0)
			continue;
		for (size_t k = 0; k < e->tags.n && !found; k++)
			if (fnmatch(e->tags.v[k], tag, 0) == 0)
				found = e;
	}
	free(repo);
	free(tag);
	return found;
}

const struct lab_catalog_entry *lab_catalog_find(const struct lab_catalog *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	return NULL;
}

/* "3.5.4" of "3.5.4-python3"; "" when the tag does not start with a digit */
static char *version_of(const char *tag)
{
	size_t n = strspn(tag, "0123456789.");
	while (n && tag[n - 1] == '.')
		n--;
	return lab_xstrndup(tag, n);
}

void lab_catalog_args(struct lab_strv *out, const struct lab_catalog_entry *e, const char *ref)
{
	char *repo = NULL, *tag = NULL;
	struct lab_err ignore = {0};
	if (lab_image_ref_split(&repo, &tag, ref, &ignore) < 0)
		tag = lab_xstrdup("latest");
	char *version = version_of(tag);
	for (size_t i = 0; i < e->args.n; i++) {
		struct lab_buf b = LAB_BUF_INIT;
		for (const char *p = e->args.v[i]; *p;) {
			if (!strncmp(p, "${tag}", 6)) {
				lab_buf_puts(&b, tag);
				p += 6;
			} else if (!strncmp(p, "${version}", 10)) {
				lab_buf_puts(&b, version);
				p += 10;
			} else {
				lab_buf_append(&b, p++, 1);
			}
		}
		lab_strv_take(out, lab_buf_detach(&b));
	}
	free(version);
	free(repo);
	free(tag);
}

char *lab_catalog_path(const char *images_dir)
{
	const char *env = getenv("LABCTL_IMAGES_DIR");
	if (env && *env)
		return lab_xasprintf("%s/catalog.yml", env);
	return images_dir ? lab_xasprintf("%s/catalog.yml", images_dir) : NULL;
}

/* ---- reading the file ---- */

struct rd {
	const char *path;
	yaml_document_t *doc;
	struct lab_err *err;
};

static void problem(struct rd *r, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct rd *r, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lab_err_append(r->err, LAB_EINPUT, "%s:%zu:%zu: %s", r->path, n->start_mark.line + 1, n->start_mark.column + 1,
		       msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *kind_name(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "a map" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar";
}

/* A string value; NULL with a problem reported when it is not a scalar. */
static const char *want_str(struct rd *r, const yaml_node_t *v, const char *key)
{
	const char *s = scalar(v);
	if (!s)
		problem(r, v, "'%s' must be a string, not %s", key, kind_name(v));
	return s;
}

/* A list of strings (a single string allowed too) into out. */
static void want_strs(struct rd *r, const yaml_node_t *v, const char *key, struct lab_strv *out)
{
	if (v->type == YAML_SCALAR_NODE) {
		lab_strv_push(out, scalar(v));
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		problem(r, v, "'%s' must be a list of strings, not %s", key, kind_name(v));
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const yaml_node_t *x = yaml_document_get_node(r->doc, *it);
		if (!scalar(x) || !*scalar(x))
			problem(r, x, "'%s' must hold non-empty strings, not %s", key, scalar(x) ? "an empty one" : kind_name(x));
		else
			lab_strv_push(out, scalar(x));
	}
}

static void entry_free(struct lab_catalog_entry *e)
{
	free(e->name);
	lab_strv_free(&e->repos);
	lab_strv_free(&e->tags);
	free(e->context);
	free(e->context_rel);
	free(e->dockerfile);
	lab_strv_free(&e->args);
	free(e->interface);
	free(e->test);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* One entry (a map node) into e; problems appended to r->err. */
static void read_entry(struct rd *r, const struct lab_catalog *c, const yaml_node_t *m, struct lab_catalog_entry *e)
{
	static const char *const keys[] = {"name", "for", "tags", "context", "dockerfile", "args", "interface", "test"};
	const size_t n_keys = sizeof(keys) / sizeof(keys[0]);
	const yaml_node_t *name_node = m, *ctx_node = m;
	e->line = (int)m->start_mark.line + 1;
	e->col = (int)m->start_mark.column + 1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(r->doc, p->key), *v = yaml_document_get_node(r->doc, p->value);
		const char *key = scalar(k);
		const char *s;
		if (!key) {
			problem(r, k, "a key must be a string");
			continue;
		}
		if (!strcmp(key, "name")) {
			if ((s = want_str(r, v, key)) && *s) {
				free(e->name);
				e->name = lab_xstrdup(s);
				name_node = v;
			} else if (s) {
				problem(r, v, "'name' must not be empty");
			}
		} else if (!strcmp(key, "for") || !strcmp(key, "tags")) {
			struct lab_strv raw = LAB_STRV_INIT;
			want_strs(r, v, key, &raw);
			if (!raw.n && v->type == YAML_SEQUENCE_NODE)
				problem(r, v, "'%s' must list at least one %s", key, !strcmp(key, "for") ? "repository" : "tag glob");
			for (size_t i = 0; i < raw.n; i++) {
				if (!strcmp(key, "tags")) {
					lab_strv_push(&e->tags, raw.v[i]);
					continue;
				}
				char *repo = NULL, *tag = NULL;
				struct lab_err bad = {0};
				if (lab_image_ref_split(&repo, &tag, raw.v[i], &bad) < 0 || strchr(raw.v[i], '@') ||
				    strcmp(tag, "latest") != 0 || strstr(raw.v[i], ":latest"))
					problem(r, v, "'for' names repositories without a tag or digest (tags: globs them), not '%s'",
						raw.v[i]);
				else
					lab_strv_push(&e->repos, repo);
				free(repo);
				free(tag);
			}
			lab_strv_free(&raw);
		} else if (!strcmp(key, "context")) {
			if ((s = want_str(r, v, key))) {
				free(e->context_rel);
				e->context_rel = lab_xstrdup(s);
				ctx_node = v;
			}
		} else if (!strcmp(key, "dockerfile") || !strcmp(key, "interface") || !strcmp(key, "test")) {
			if ((s = want_str(r, v, key))) {
				char **dst = !strcmp(key, "dockerfile") ? &e->dockerfile : !strcmp(key, "interface") ? &e->interface : &e->test;
				free(*dst);
				*dst = lab_xstrdup(s);
				/* a folded scalar (>) ends with a newline */
				for (size_t n = strlen(*dst); n && (*dst)[n - 1] == '\n'; n--)
					(*dst)[n - 1] = '\0';
			}
		} else if (!strcmp(key, "args")) {
			if (v->type != YAML_MAPPING_NODE) {
				problem(r, v, "'args' must be a map of build arguments, not %s", kind_name(v));
				continue;
			}
			for (yaml_node_pair_t *a = v->data.mapping.pairs.start; a < v->data.mapping.pairs.top; a++) {
				const yaml_node_t *ak = yaml_document_get_node(r->doc, a->key);
				const yaml_node_t *av = yaml_document_get_node(r->doc, a->value);
				if (!scalar(ak) || !*scalar(ak) || !scalar(av))
					problem(r, scalar(ak) ? av : ak, "'args' maps names to strings");
				else
					lab_strv_pushf(&e->args, "%s=%s", scalar(ak), scalar(av));
			}
		} else {
			const char *dym = lab_suggest(key, keys, n_keys);
			char hint[128] = "";
			if (dym)
				snprintf(hint, sizeof(hint), " (did you mean '%s'?)", dym);
			problem(r, k, "unknown key '%s' in a stand-in%s", key, hint);
		}
	}
	if (!e->name)
		problem(r, name_node, "a stand-in needs a 'name'");
	if (!e->repos.n)
		problem(r, m, "stand-in '%s' needs 'for': the repositories it stands in for", e->name ? e->name : "?");
	if (!e->tags.n)
		lab_strv_push(&e->tags, "*");
	if (!e->context_rel) {
		problem(r, m, "stand-in '%s' needs a 'context': its build directory under %s", e->name ? e->name : "?",
			c->dir);
		return;
	}
	if (!*e->context_rel || e->context_rel[0] == '/' || strstr(e->context_rel, "..")) {
		problem(r, ctx_node, "'context' is a directory below the catalog's (%s), not '%s'", c->dir, e->context_rel);
		return;
	}
	e->context = lab_xasprintf("%s/%s", c->dir, e->context_rel);
	char *df = lab_xasprintf("%s/%s", e->context, e->dockerfile ? e->dockerfile : "Dockerfile");
	if (!is_file(df))
		problem(r, ctx_node, "stand-in '%s': no %s in %s", e->name ? e->name : "?",
			e->dockerfile ? e->dockerfile : "Dockerfile", e->context);
	free(df);
}

static char *dir_of(const char *path)
{
	char *abs = realpath(path, NULL);
	char *d = abs ? abs : lab_xstrdup(path);
	char *slash = strrchr(d, '/');
	if (slash && slash != d)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	else {
		free(d);
		d = lab_xstrdup(".");
	}
	return d;
}

int lab_catalog_load(struct lab_catalog **out, const char *path, struct lab_err *err)
{
	*out = NULL;
	struct lab_buf text = LAB_BUF_INIT;
	char *msg = NULL;
	int rd = lab_read_file(&text, path, 1 << 20, &msg);
	if (rd < 0) {
		int rc = lab_err_set(err, LAB_EINPUT, "the stand-in catalog '%s' %s", path,
				     rd == LAB_ENOTFOUND || !msg ? "does not exist" : msg);
		free(msg);
		lab_buf_release(&text);
		return rc;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	struct lab_err found = {0};
	struct rd r = {.path = path, .doc = &doc, .err = &found};
	struct lab_catalog *c = lab_xcalloc(1, sizeof(*c));
	c->path = lab_xstrdup(path);
	c->dir = dir_of(path);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data, text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		lab_err_append(&found, LAB_EINPUT, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
			       parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto out;
	}
	yaml_parser_delete(&parser);
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	const yaml_node_t *list = NULL;
	if (!root) {
		lab_err_append(&found, LAB_EINPUT, "%s:1:1: empty: the catalog is a map with 'stand-ins'", path);
	} else if (root->type != YAML_MAPPING_NODE) {
		problem(&r, root, "the catalog is a map with 'stand-ins', not %s", kind_name(root));
	} else {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
			const yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			if (scalar(k) && !strcmp(scalar(k), "stand-ins"))
				list = yaml_document_get_node(&doc, p->value);
			else
				problem(&r, k, "unknown key '%s' at the top (the catalog has 'stand-ins' only)",
					scalar(k) ? scalar(k) : "?");
		}
		if (!list)
			problem(&r, root, "no 'stand-ins' list");
		else if (list->type != YAML_SEQUENCE_NODE)
			problem(&r, list, "'stand-ins' must be a list, not %s", kind_name(list));
	}
	if (list && list->type == YAML_SEQUENCE_NODE) {
		size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
		c->entries = lab_xcalloc(n ? n : 1, sizeof(*c->entries));
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
			const yaml_node_t *m = yaml_document_get_node(&doc, *it);
			if (m->type != YAML_MAPPING_NODE) {
				problem(&r, m, "a stand-in must be a map, not %s", kind_name(m));
				continue;
			}
			struct lab_catalog_entry *e = &c->entries[c->n++];
			read_entry(&r, c, m, e);
			for (size_t j = 0; e->name && j + 1 < c->n; j++)
				if (c->entries[j].name && !strcmp(c->entries[j].name, e->name))
					problem(&r, m, "a second stand-in named '%s' (the first is at line %d)", e->name,
						c->entries[j].line);
		}
	}
	yaml_document_delete(&doc);
out:
	lab_buf_release(&text);
	if (found.code) {
		*err = found;
		lab_catalog_free(c);
		return LAB_EINPUT;
	}
	*out = c;
	return 0;
}

void lab_catalog_free(struct lab_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->entries[i]);
	free(c->entries);
	free(c->path);
	free(c->dir);
	free(c);
}
