/* Merging compose files (-f A -f B, compose.override.yaml) by the Compose
 * specification's "Merge and override" rules, as compose-go v2.16
 * (override/merge.go) applies them to the YAML trees. See lab_ld_merge. */
#include "lab_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `need` kid pointers. */
static void reserve(struct lab_node *n, size_t need)
{
	if (need <= n->cap)
		return;
	n->cap = need > 2 * n->cap + 2 ? need : 2 * n->cap + 2;
	n->kids = lab_xrealloc(n->kids, n->cap * sizeof(*n->kids));
}

static void map_put(struct lab_node *map, struct lab_node *k, struct lab_node *v)
{
	reserve(map, 2 * map->n + 2);
	map->kids[2 * map->n] = k;
	map->kids[2 * map->n + 1] = v;
	map->n++;
}

static void seq_put(struct lab_node *seq, struct lab_node *v)
{
	reserve(seq, seq->n + 1);
	seq->kids[seq->n++] = v;
}

static struct lab_node *scalar(const struct lab_mark *m, const char *text)
{
	struct lab_node *n = lab_xcalloc(1, sizeof(*n));
	n->kind = LAB_NODE_SCALAR;
	n->mark = *m;
	n->text = lab_xstrdup(text);
	return n;
}

static struct lab_node *empty(enum lab_node_kind kind, const struct lab_mark *m)
{
	struct lab_node *n = lab_xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->mark = *m;
	return n;
}

/* A copy without its merge tag (what !override leaves in the tree). */
static struct lab_node *untagged(const struct lab_node *o)
{
	struct lab_node *c = lab_node_copy(o);
	c->tag = 0;
	return c;
}

/* A list of "K=V" / "K" or of names as a mapping (K: V, K: null); a
 * mapping as a copy. env: split at '=' (environment, labels, ...); else
 * the items are names (depends_on, networks). Takes n. */
static struct lab_node *as_map(struct lab_node *n, int env)
{
	if (n->kind != LAB_NODE_SEQ)
		return n;
	struct lab_node *m = empty(LAB_NODE_MAP, &n->mark);
	m->tag = n->tag;
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *e = n->kids[i];
		if (e->kind != LAB_NODE_SCALAR)
			continue;
		const char *eq = env ? strchr(e->text, '=') : NULL;
		char *k = eq ? lab_xstrndup(e->text, (size_t)(eq - e->text)) : lab_xstrdup(e->text);
		struct lab_node *key = scalar(&e->mark, k);
		struct lab_node *val = eq ? scalar(&e->mark, eq + 1) : scalar(&e->mark, "");
		if (eq)
			val->quoted = 1; /* a string, as written */
		map_put(m, key, val);
		free(k);
	}
	lab_node_free(n);
	return m;
}

/* A scalar as a one-item list. Takes n. */
static struct lab_node *as_seq(struct lab_node *n)
{
	if (n->kind != LAB_NODE_SCALAR)
		return n;
	struct lab_node *s = empty(LAB_NODE_SEQ, &n->mark);
	s->tag = n->tag;
	seq_put(s, n);
	return s;
}

static int same(const struct lab_node *a, const struct lab_node *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == LAB_NODE_SCALAR)
		return strcmp(a->text, b->text) == 0;
	size_t k = a->kind == LAB_NODE_MAP ? 2 * a->n : a->n;
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (!same(a->kids[i], b->kids[i]))
			return 0;
	return 1;
}

/* The target of a volumes: entry ("src:/target[:mode]", "/target", or
 * the long form's target), or NULL. New string. */
static char *volume_target(const struct lab_node *e)
{
	if (e->kind == LAB_NODE_MAP) {
		const struct lab_node *t = lab_node_get(e, "target");
		return t && t->kind == LAB_NODE_SCALAR ? lab_xstrdup(t->text) : NULL;
	}
	if (e->kind != LAB_NODE_SCALAR)
		return NULL;
	const char *c = strchr(e->text, ':');
	if (!c)
		return lab_xstrdup(e->text);
	const char *c2 = strchr(c + 1, ':');
	return c2 ? lab_xstrndup(c + 1, (size_t)(c2 - c - 1)) : lab_xstrdup(c + 1);
}

static struct lab_node *merge(struct lab_node *e, const struct lab_node *o, const char *path);

static void merge_maps(struct lab_node *e, const struct lab_node *o, const char *path)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct lab_node *k = o->kids[2 * i], *v = o->kids[2 * i + 1];
		size_t j;
		for (j = 0; j < e->n && strcmp(e->kids[2 * j]->text, k->text) != 0; j++)
			;
		char *sub = lab_xasprintf("%s%s%s", path, *path ? "." : "", k->text);
		if (j == e->n) {
			if (v->tag != LAB_TAG_RESET)
				map_put(e, lab_node_copy(k), untagged(v));
			free(sub);
			continue;
		}
		struct lab_node *r = merge(e->kids[2 * j + 1], v, sub);
		free(sub);
		if (r) {
			e->kids[2 * j + 1] = r;
			continue;
		}
		/* !reset: the entry goes */
		lab_node_free(e->kids[2 * j]);
		memmove(&e->kids[2 * j], &e->kids[2 * j + 2], (2 * (e->n - j - 1)) * sizeof(*e->kids));
		e->n--;
	}
}

static void append_unique(struct lab_node *e, const struct lab_node *o)
{
	for (size_t i = 0; i < o->n; i++) {
		size_t j;
		for (j = 0; j < e->n && !same(e->kids[j], o->kids[i]); j++)
			;
		if (j == e->n)
			seq_put(e, untagged(o->kids[i]));
	}
}

/* path against a pattern with an entry's name as '*':
 * "services.*.environment", "volumes.*.labels". */
static int is(const char *path, const char *pattern)
{
	const char *star = strstr(pattern, ".*.");
	if (!star)
		return 0;
	size_t pre = (size_t)(star - pattern) + 1; /* "services." */
	if (strncmp(path, pattern, pre) != 0)
		return 0;
	const char *rest = strchr(path + pre, '.');
	return rest && strcmp(rest + 1, star + 3) == 0;
}

static int any_of(const char *path, const char *const *patterns)
{
	for (size_t i = 0; patterns[i]; i++)
		if (is(path, patterns[i]))
			return 1;
	return 0;
}

/* e merged with o at path; takes e, returns the result (NULL: removed). */
static struct lab_node *merge(struct lab_node *e, const struct lab_node *o, const char *path)
{
	static const char *const replaced[] = {"services.*.command", "services.*.entrypoint",
					       "services.*.healthcheck.test", "services.*.profiles", NULL};
	static const char *const kv[] = {"services.*.environment", "services.*.labels", "services.*.build.args",
					 "services.*.build.labels", "services.*.deploy.labels", "services.*.sysctls",
					 "services.*.annotations", "volumes.*.labels", "networks.*.labels", NULL};
	static const char *const names[] = {"services.*.depends_on", "services.*.networks", NULL};
	static const char *const seqs[] = {"services.*.dns", "services.*.dns_search", "services.*.tmpfs",
					   "services.*.extra_hosts", "services.*.env_file", "services.*.dns_opt",
					   NULL};
	if (o->tag == LAB_TAG_RESET) {
		lab_node_free(e);
		return NULL;
	}
	if (o->tag == LAB_TAG_OVERRIDE || any_of(path, replaced) ||
	    (strncmp(path, "services.", 9) == 0 && strstr(path, ".ulimits.") != NULL)) {
		lab_node_free(e);
		return untagged(o);
	}
	if (any_of(path, kv) || any_of(path, names)) {
		int env = any_of(path, kv);
		e = as_map(e, env);
		struct lab_node *om = as_map(lab_node_copy(o), env);
		if (e->kind == LAB_NODE_MAP && om->kind == LAB_NODE_MAP)
			merge_maps(e, om, path);
		else {
			lab_node_free(e);
			e = untagged(om);
		}
		lab_node_free(om);
		return e;
	}
	if (any_of(path, seqs)) {
		e = as_seq(e);
		struct lab_node *os = as_seq(lab_node_copy(o));
		if (e->kind == LAB_NODE_SEQ && os->kind == LAB_NODE_SEQ)
			append_unique(e, os);
		else {
			lab_node_free(e);
			e = untagged(os);
		}
		lab_node_free(os);
		return e;
	}
	if (is(path, "services.*.volumes") && e->kind == LAB_NODE_SEQ && o->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < o->n; i++) {
			char *t = volume_target(o->kids[i]);
			size_t j;
			for (j = 0; t && j < e->n; j++) {
				char *u = volume_target(e->kids[j]);
				int hit = u && !strcmp(u, t);
				free(u);
				if (hit)
					break;
			}
			if (t && j < e->n) {
				lab_node_free(e->kids[j]);
				e->kids[j] = untagged(o->kids[i]);
			} else {
				seq_put(e, untagged(o->kids[i]));
			}
			free(t);
		}
		return e;
	}
	if (is(path, "services.*.logging") && e->kind == LAB_NODE_MAP && o->kind == LAB_NODE_MAP) {
		const struct lab_node *d1 = lab_node_get(e, "driver"), *d2 = lab_node_get(o, "driver");
		if (d1 && d2 && !same(d1, d2)) {
			lab_node_free(e);
			return untagged(o);
		}
	}
	if (is(path, "services.*.build") && (e->kind == LAB_NODE_SCALAR || o->kind == LAB_NODE_SCALAR)) {
		struct lab_node *ctx = empty(LAB_NODE_MAP, &e->mark);
		if (e->kind == LAB_NODE_SCALAR)
			map_put(ctx, scalar(&e->mark, "context"), e);
		else {
			lab_node_free(ctx);
			ctx = e;
		}
		struct lab_node *oc = empty(LAB_NODE_MAP, &o->mark);
		if (o->kind == LAB_NODE_SCALAR)
			map_put(oc, scalar(&o->mark, "context"), lab_node_copy(o));
		else {
			lab_node_free(oc);
			oc = lab_node_copy(o);
		}
		if (ctx->kind == LAB_NODE_MAP && oc->kind == LAB_NODE_MAP)
			merge_maps(ctx, oc, path);
		lab_node_free(oc);
		return ctx;
	}
	if (e->kind == LAB_NODE_MAP && o->kind == LAB_NODE_MAP) {
		merge_maps(e, o, path);
		return e;
	}
	if (e->kind == LAB_NODE_SEQ && o->kind == LAB_NODE_SEQ) {
		append_unique(e, o);
		return e;
	}
	lab_node_free(e);
	return untagged(o);
}

void lab_ld_merge(struct lab_ld *L, struct lab_node *base, const struct lab_node *over)
{
	(void)L;
	if (base->kind == LAB_NODE_MAP && over->kind == LAB_NODE_MAP)
		merge_maps(base, over, "");
}

void lab_ld_merge_service(struct lab_node *base, const struct lab_node *over, const char *name)
{
	char *path = lab_xasprintf("services.%s", name);
	if (base->kind == LAB_NODE_MAP && over->kind == LAB_NODE_MAP)
		merge_maps(base, over, path);
	free(path);
}

void lab_ld_drop_resets(struct lab_node *n)
{
	if (n->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			lab_ld_drop_resets(n->kids[i]);
		return;
	}
	if (n->kind != LAB_NODE_MAP)
		return;
	size_t keep = 0;
	for (size_t i = 0; i < n->n; i++) {
		struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		if (v->tag == LAB_TAG_RESET) {
			lab_node_free(k);
			lab_node_free(v);
			continue;
		}
		lab_ld_drop_resets(v);
		n->kids[2 * keep] = k;
		n->kids[2 * keep + 1] = v;
		keep++;
	}
	n->n = keep;
}
