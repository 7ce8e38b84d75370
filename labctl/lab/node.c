/* YAML -> node tree with marks, on libyaml's event parser.
 *
 * Aliases are expanded by copying the anchored node; every node made (read
 * or copied) counts against LAB_NODE_MAX_NODES, so a "billion laughs" file
 * stops after a bounded amount of work. Merge keys (`<<: *x`, `<<: [*a, *b]`)
 * add the source mappings' pairs whose keys the mapping does not have yet. */
#include "lab_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
	char *name;
	struct lab_node *node;
};

struct yp {
	yaml_parser_t parser;
	const char *file;
	size_t nodes;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct lab_node **graveyard; /* merge sources: anchors may point into them */
	size_t n_grave, cap_grave;
	struct lab_err *err;
};

void lab_node_free(struct lab_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < (n->kind == LAB_NODE_MAP ? n->n * 2 : n->n); i++)
		lab_node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static size_t node_nkids(const struct lab_node *n)
{
	return n->kind == LAB_NODE_MAP ? n->n * 2 : n->kind == LAB_NODE_SEQ ? n->n : 0;
}

static void node_reserve(struct lab_node *n, size_t need)
{
	if (need <= n->cap)
		return;
	while (n->cap < need)
		n->cap = n->cap ? n->cap * 2 : 8;
	n->kids = lab_xrealloc(n->kids, n->cap * sizeof(*n->kids));
}

static void map_add(struct lab_node *map, struct lab_node *k, struct lab_node *v)
{
	node_reserve(map, map->n * 2 + 2);
	map->kids[map->n * 2] = k;
	map->kids[map->n * 2 + 1] = v;
	map->n++;
}

static void seq_add(struct lab_node *seq, struct lab_node *v)
{
	node_reserve(seq, seq->n + 1);
	seq->kids[seq->n++] = v;
}

static void yp_bury(struct yp *p, struct lab_node *n)
{
	if (p->n_grave == p->cap_grave) {
		p->cap_grave = p->cap_grave ? p->cap_grave * 2 : 8;
		p->graveyard = lab_xrealloc(p->graveyard, p->cap_grave * sizeof(*p->graveyard));
	}
	p->graveyard[p->n_grave++] = n;
}

static struct lab_node *node_new(enum lab_node_kind kind, const char *file, yaml_mark_t m)
{
	struct lab_node *n = lab_xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->mark.file = file;
	n->mark.line = (int)m.line + 1;
	n->mark.col = (int)m.column + 1;
	return n;
}

static size_t node_count(const struct lab_node *n)
{
	size_t c = 1;
	for (size_t i = 0; i < node_nkids(n); i++)
		c += node_count(n->kids[i]);
	return c;
}

static struct lab_node *node_copy(const struct lab_node *n)
{
	struct lab_node *c = lab_xcalloc(1, sizeof(*c));
	c->kind = n->kind;
	c->mark = n->mark;
	c->text = lab_xstrdup(n->text);
	c->quoted = n->quoted;
	c->interp = n->interp;
	size_t k = node_nkids(n);
	if (k) {
		c->kids = lab_xcalloc(k, sizeof(*c->kids));
		c->cap = k;
		for (size_t i = 0; i < k; i++)
			c->kids[i] = node_copy(n->kids[i]);
	}
	c->n = n->n;
	return c;
}

struct lab_node *lab_node_get(const struct lab_node *map, const char *key)
{
	if (!map || map->kind != LAB_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->kids[2 * i]->text, key) == 0)
			return map->kids[2 * i + 1];
	return NULL;
}

int lab_node_is_null(const struct lab_node *n)
{
	if (!n)
		return 1;
	if (n->kind != LAB_NODE_SCALAR || n->quoted || n->interp)
		return 0;
	const char *t = n->text;
	return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
	       !strcmp(t, "NULL");
}

static int yp_fail(struct yp *p, yaml_mark_t m, const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	lab_err_set(p->err, LAB_EINPUT, "%s:%d:%d: %s", p->file, (int)m.line + 1,
		    (int)m.column + 1, msg);
	return LAB_EINPUT;
}

static int yp_next(struct yp *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->parser, ev))
		return 0;
	const char *problem = p->parser.problem ? p->parser.problem : "invalid YAML";
	yaml_mark_t m = p->parser.problem_mark;
	if (p->parser.error == YAML_READER_ERROR)
		m.line = m.column = 0;
	return yp_fail(p, m, "%s", problem);
}

static int yp_count(struct yp *p, size_t n, yaml_mark_t m)
{
	p->nodes += n;
	if (p->nodes > LAB_NODE_MAX_NODES)
		return yp_fail(p, m, "%s", "too many alias expansions");
	return 0;
}

static void yp_anchor(struct yp *p, const yaml_char_t *name, struct lab_node *n)
{
	if (!name)
		return;
	if (p->n_anchors == p->cap_anchors) {
		p->cap_anchors = p->cap_anchors ? p->cap_anchors * 2 : 8;
		p->anchors = lab_xrealloc(p->anchors, p->cap_anchors * sizeof(*p->anchors));
	}
	p->anchors[p->n_anchors].name = lab_xstrdup((const char *)name);
	p->anchors[p->n_anchors].node = n;
	p->n_anchors++;
}

static int map_has(const struct lab_node *map, const char *key)
{
	return lab_node_get(map, key) != NULL;
}

/* Merge the pairs of src (a mapping) that map lacks. */
static int yp_merge_one(struct yp *p, struct lab_node *map, const struct lab_node *src,
			yaml_mark_t m)
{
	if (src->kind != LAB_NODE_MAP)
		return yp_fail(p, m, "%s", "merge key '<<' needs a mapping or a list of mappings");
	for (size_t i = 0; i < src->n; i++) {
		if (map_has(map, src->kids[2 * i]->text))
			continue;
		int rc = yp_count(p, node_count(src->kids[2 * i + 1]) + 1, m);
		if (rc)
			return rc;
		map_add(map, node_copy(src->kids[2 * i]), node_copy(src->kids[2 * i + 1]));
	}
	return 0;
}

static int yp_node(struct yp *p, yaml_event_t *ev, int depth, struct lab_node **out);

static int yp_mapping(struct yp *p, yaml_event_t *start, int depth, struct lab_node **out)
{
	int rc = 0;
	struct lab_node *map = node_new(LAB_NODE_MAP, p->file, start->start_mark);
	struct lab_node **merges = NULL;
	yaml_mark_t *merge_marks = NULL;
	size_t n_merges = 0;
	yaml_event_t ev;
	yp_anchor(p, start->data.mapping_start.anchor, map);
	for (;;) {
		struct lab_node *k = NULL, *v = NULL;
		if ((rc = yp_next(p, &ev)))
			goto out;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t km = ev.start_mark;
		if ((rc = yp_node(p, &ev, depth + 1, &k)))
			goto out;
		if ((rc = yp_next(p, &ev))) {
			lab_node_free(k);
			goto out;
		}
		yaml_mark_t vm = ev.start_mark;
		if ((rc = yp_node(p, &ev, depth + 1, &v))) {
			lab_node_free(k);
			goto out;
		}
		if (k->kind != LAB_NODE_SCALAR) {
			lab_node_free(k);
			lab_node_free(v);
			rc = yp_fail(p, km, "%s", "mapping keys must be strings");
			goto out;
		}
		if (!k->quoted && strcmp(k->text, "<<") == 0) {
			yp_bury(p, k);
			if (v->kind == LAB_NODE_SEQ) {
				for (size_t i = 0; i < v->n; i++) {
					merges = lab_xrealloc(merges, (n_merges + 1) * sizeof(*merges));
					merge_marks = lab_xrealloc(merge_marks, (n_merges + 1) * sizeof(*merge_marks));
					merges[n_merges] = v->kids[i];
					merge_marks[n_merges++] = vm;
				}
			} else {
				merges = lab_xrealloc(merges, (n_merges + 1) * sizeof(*merges));
				merge_marks = lab_xrealloc(merge_marks, (n_merges + 1) * sizeof(*merge_marks));
				merges[n_merges] = v;
				merge_marks[n_merges++] = vm;
			}
			yp_bury(p, v);
			continue;
		}
		if (map_has(map, k->text)) {
			char key[256];
			snprintf(key, sizeof(key), "%s", k->text);
			lab_node_free(k);
			lab_node_free(v);
			rc = yp_fail(p, km, "duplicate key '%s'", key);
			goto out;
		}
		map_add(map, k, v);
	}
	for (size_t i = 0; i < n_merges; i++)
		if ((rc = yp_merge_one(p, map, merges[i], merge_marks[i])))
			goto out;
out:
	free(merges);
	free(merge_marks);
	if (rc) {
		/* an anchor may point at map: keep it alive until the parse ends */
		yp_bury(p, map);
		return rc;
	}
	*out = map;
	return 0;
}

static int yp_sequence(struct yp *p, yaml_event_t *start, int depth, struct lab_node **out)
{
	int rc = 0;
	struct lab_node *seq = node_new(LAB_NODE_SEQ, p->file, start->start_mark);
	yaml_event_t ev;
	yp_anchor(p, start->data.sequence_start.anchor, seq);
	for (;;) {
		struct lab_node *v = NULL;
		if ((rc = yp_next(p, &ev)))
			goto out;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if ((rc = yp_node(p, &ev, depth + 1, &v)))
			goto out;
		seq_add(seq, v);
	}
out:
	if (rc) {
		yp_bury(p, seq);
		return rc;
	}
	*out = seq;
	return 0;
}

/* Build the node that starts with ev (consumed). */
static int yp_node(struct yp *p, yaml_event_t *ev, int depth, struct lab_node **out)
{
	int rc = 0;
	*out = NULL;
	if (depth > LAB_NODE_MAX_DEPTH) {
		rc = yp_fail(p, ev->start_mark, "%s", "nesting too deep");
		goto out;
	}
	if ((rc = yp_count(p, 1, ev->start_mark)))
		goto out;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		struct lab_node *n = node_new(LAB_NODE_SCALAR, p->file, ev->start_mark);
		n->text = lab_xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
			    (ev->data.scalar.tag && !ev->data.scalar.plain_implicit);
		yp_anchor(p, ev->data.scalar.anchor, n);
		*out = n;
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		rc = yp_sequence(p, ev, depth, out);
		break;
	case YAML_MAPPING_START_EVENT:
		rc = yp_mapping(p, ev, depth, out);
		break;
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		struct lab_node *a = NULL;
		for (size_t i = p->n_anchors; i-- > 0;)
			if (strcmp(p->anchors[i].name, name) == 0) {
				a = p->anchors[i].node;
				break;
			}
		if (!a) {
			rc = yp_fail(p, ev->start_mark, "unknown anchor '%s'", name);
			goto out;
		}
		if ((rc = yp_count(p, node_count(a), ev->start_mark)))
			goto out;
		*out = node_copy(a);
		break;
	}
	default:
		rc = yp_fail(p, ev->start_mark, "%s", "unexpected YAML event");
		break;
	}
out:
	yaml_event_delete(ev);
	return rc;
}

static int yp_document(struct yp *p, struct lab_node **out)
{
	int rc = 0;
	struct lab_node *root = NULL;
	yaml_event_t ev;
	int have_ev = 0;
	if ((rc = yp_next(p, &ev))) /* stream start */
		goto out;
	yaml_event_delete(&ev);
	if ((rc = yp_next(p, &ev)))
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		yaml_mark_t m = {0, 0, 0};
		root = node_new(LAB_NODE_MAP, p->file, m);
		goto out;
	}
	yaml_event_delete(&ev); /* document start */
	if ((rc = yp_next(p, &ev)))
		goto out;
	if ((rc = yp_node(p, &ev, 1, &root)))
		goto out;
	if ((rc = yp_next(p, &ev))) /* document end */
		goto out;
	yaml_event_delete(&ev);
	if ((rc = yp_next(p, &ev)))
		goto out;
	have_ev = 1;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		rc = yp_fail(p, ev.start_mark, "%s",
			     "multiple YAML documents in one file are not supported");
		goto out;
	}
	if (root->kind == LAB_NODE_SCALAR && lab_node_is_null(root)) {
		yaml_mark_t m = {0, 0, 0};
		lab_node_free(root);
		root = node_new(LAB_NODE_MAP, p->file, m);
	}
out:
	if (have_ev)
		yaml_event_delete(&ev);
	if (rc) {
		lab_node_free(root);
		return rc;
	}
	*out = root;
	return 0;
}

static int yp_run(struct yp *p, struct lab_node **out)
{
	int rc = yp_document(p, out);
	for (size_t i = 0; i < p->n_anchors; i++)
		free(p->anchors[i].name);
	free(p->anchors);
	for (size_t i = 0; i < p->n_grave; i++)
		lab_node_free(p->graveyard[i]);
	free(p->graveyard);
	yaml_parser_delete(&p->parser);
	return rc;
}

int lab_node_parse_string(struct lab_node **out, const char *yaml, size_t len,
			  const char *mark_file, struct lab_err *err)
{
	struct yp p;
	memset(&p, 0, sizeof(p));
	p.file = mark_file;
	p.err = err;
	if (!yaml_parser_initialize(&p.parser))
		return lab_err_set(err, LAB_ERR, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)yaml, len);
	return yp_run(&p, out);
}

int lab_node_parse_file(struct lab_node **out, const char *path, const char *mark_file,
			struct lab_err *err)
{
	int rc = 0;
	struct lab_buf b = LAB_BUF_INIT;
	FILE *f = fopen(path, "rb");
	if (!f) {
		rc = lab_err_set(err, errno == ENOENT ? LAB_ENOTFOUND : LAB_EINPUT,
				 "cannot read '%s': %s", mark_file, strerror(errno));
		goto out;
	}
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lab_buf_append(&b, chunk, got);
	if (ferror(f)) {
		rc = lab_err_set(err, LAB_EINPUT, "cannot read '%s': %s", mark_file, strerror(errno));
		goto out;
	}
	rc = lab_node_parse_string(out, lab_buf_cstr(&b), b.len, mark_file, err);
out:
	if (f)
		fclose(f);
	lab_buf_release(&b);
	return rc;
}
