/* YAML -> node tree with marks, on libyaml's event parser.
 *
 * Aliases are expanded by copying the anchored node; every node made (read
 * or copied) counts against LAB_NODE_MAX_NODES and its text against
 * LAB_NODE_MAX_TEXT, so a "billion laughs" file, or one long scalar aliased
 * many times, stops after a bounded amount of work and memory. Merge keys
 * (`<<: *x`, `<<: [*a, *b]`) add the source mappings' pairs whose keys the
 * mapping does not have yet. Duplicate keys are found with a hash index per
 * mapping, so a mapping of n keys costs O(n). */
#include "lab_private.h"

#include "../util/index.h"

#include <errno.h>
#include <stdarg.h>
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
	size_t nodes;       /* nodes made, read or copied */
	size_t text;        /* bytes of scalar text in them */
	size_t copied;      /* nodes made by copying (aliases, merge keys) */
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
	free(n->var);
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

/* Nodes in the tree at n, and (added to *text) the bytes of their text. */
static size_t node_count(const struct lab_node *n, size_t *text)
{
	size_t c = 1;
	*text += n->text ? strlen(n->text) : 0;
	for (size_t i = 0; i < node_nkids(n); i++)
		c += node_count(n->kids[i], text);
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
	c->tag = n->tag;
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

struct lab_node *lab_node_copy(const struct lab_node *n)
{
	return node_copy(n);
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

static int yp_fail(struct yp *p, yaml_mark_t m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int yp_fail(struct yp *p, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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

/* Count n more nodes holding text bytes (copied: made from an alias or a
 * merge key) against the document's bounds. */
static int yp_count(struct yp *p, size_t n, size_t text, int copied, yaml_mark_t m)
{
	p->nodes += n;
	p->text += text;
	if (copied)
		p->copied += n;
	if (p->nodes > LAB_NODE_MAX_NODES) {
		if (p->copied)
			return yp_fail(p, m, "too many alias expansions: the document expands to more than %d nodes",
				       LAB_NODE_MAX_NODES);
		return yp_fail(p, m, "too many YAML nodes: more than %d in one file", LAB_NODE_MAX_NODES);
	}
	if (p->text > LAB_NODE_MAX_TEXT) {
		if (p->copied)
			return yp_fail(p, m, "too many alias expansions: the document expands to more than %d MiB of text",
				       LAB_NODE_MAX_TEXT >> 20);
		return yp_fail(p, m, "too much text: more than %d MiB in one file", LAB_NODE_MAX_TEXT >> 20);
	}
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

/* Mappings up to this many pairs are searched linearly; larger ones get
 * a hash index of their keys. */
#define MAP_LINEAR_MAX 8

/* The keys of a mapping being read. */
struct keyset {
	struct lab_node *map;
	struct lab_index ix; /* built once map has more than MAP_LINEAR_MAX pairs */
};

static int keyset_has(struct keyset *ks, const char *key)
{
	if (!ks->ix.cap)
		return lab_node_get(ks->map, key) != NULL;
	return lab_index_get(&ks->ix, key, strlen(key)) >= 0;
}

/* Add the pair k: v to the mapping. */
static void keyset_add(struct keyset *ks, struct lab_node *k, struct lab_node *v)
{
	map_add(ks->map, k, v);
	if (ks->map->n > MAP_LINEAR_MAX && !ks->ix.cap) {
		for (size_t i = 0; i < ks->map->n; i++) {
			const char *t = ks->map->kids[2 * i]->text;
			lab_index_put(&ks->ix, t, strlen(t), i);
		}
	} else if (ks->ix.cap) {
		lab_index_put(&ks->ix, k->text, strlen(k->text), ks->map->n - 1);
	}
}

/* Merge the pairs of src (a mapping) that map lacks. */
static int yp_merge_one(struct yp *p, struct keyset *ks, const struct lab_node *src, yaml_mark_t m)
{
	if (src->kind != LAB_NODE_MAP)
		return yp_fail(p, m, "%s", "merge key '<<' needs a mapping or a list of mappings");
	for (size_t i = 0; i < src->n; i++) {
		if (keyset_has(ks, src->kids[2 * i]->text))
			continue;
		size_t text = 0;
		size_t nodes = node_count(src->kids[2 * i], &text) + node_count(src->kids[2 * i + 1], &text);
		int rc = yp_count(p, nodes, text, 1, m);
		if (rc)
			return rc;
		keyset_add(ks, node_copy(src->kids[2 * i]), node_copy(src->kids[2 * i + 1]));
	}
	return 0;
}

static int yp_node(struct yp *p, yaml_event_t *ev, int depth, struct lab_node **out);

static int yp_mapping(struct yp *p, yaml_event_t *start, int depth, struct lab_node **out)
{
	int rc = 0;
	struct lab_node *map = node_new(LAB_NODE_MAP, p->file, start->start_mark);
	struct keyset ks = {map, LAB_INDEX_INIT};
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
		if (keyset_has(&ks, k->text)) {
			char key[256];
			snprintf(key, sizeof(key), "%s", k->text);
			lab_node_free(k);
			lab_node_free(v);
			rc = yp_fail(p, km, "duplicate key '%s'", key);
			goto out;
		}
		keyset_add(&ks, k, v);
	}
	for (size_t i = 0; i < n_merges; i++)
		if ((rc = yp_merge_one(p, &ks, merges[i], merge_marks[i])))
			goto out;
out:
	lab_index_free(&ks.ix);
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
/* Compose's !reset and !override (merge.c). */
static int merge_tag(const yaml_char_t *tag)
{
	if (!tag)
		return 0;
	if (!strcmp((const char *)tag, "!reset"))
		return LAB_TAG_RESET;
	if (!strcmp((const char *)tag, "!override"))
		return LAB_TAG_OVERRIDE;
	return 0;
}

static int yp_node(struct yp *p, yaml_event_t *ev, int depth, struct lab_node **out)
{
	int rc = 0;
	*out = NULL;
	if (depth > LAB_NODE_MAX_DEPTH) {
		rc = yp_fail(p, ev->start_mark, "%s", "nesting too deep");
		goto out;
	}
	if ((rc = yp_count(p, 1, ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.length : 0, 0,
			   ev->start_mark)))
		goto out;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		struct lab_node *n = node_new(LAB_NODE_SCALAR, p->file, ev->start_mark);
		n->text = lab_xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
			    (ev->data.scalar.tag && !ev->data.scalar.plain_implicit);
		yp_anchor(p, ev->data.scalar.anchor, n);
		n->tag = merge_tag(ev->data.scalar.tag);
		*out = n;
		break;
	}
	case YAML_SEQUENCE_START_EVENT: {
		int tag = merge_tag(ev->data.sequence_start.tag);
		rc = yp_sequence(p, ev, depth, out);
		if (*out)
			(*out)->tag = tag;
		break;
	}
	case YAML_MAPPING_START_EVENT: {
		int tag = merge_tag(ev->data.mapping_start.tag);
		rc = yp_mapping(p, ev, depth, out);
		if (*out)
			(*out)->tag = tag;
		break;
	}
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
		size_t text = 0, nodes = node_count(a, &text);
		/* the alias event itself was counted as one node above */
		p->copied++;
		if ((rc = yp_count(p, nodes - 1, text, 1, ev->start_mark)))
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
	struct lab_buf b = LAB_BUF_INIT;
	char *msg = NULL;
	int rc = lab_read_file(&b, path, LAB_FILE_MAX, &msg);
	if (rc)
		lab_err_set(err, rc, "'%s' %s", mark_file, msg);
	else
		rc = lab_node_parse_string(out, lab_buf_cstr(&b), b.len, mark_file, err);
	free(msg);
	lab_buf_release(&b);
	return rc;
}
