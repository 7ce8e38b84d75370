/* extends: (Compose spec "Extend"): a service starts from another one, in
 * the same file or in `file:` (relative to the extending file), which may
 * extend in turn; the service's own keys are then merged over it by the
 * merge rules of -f A -f B (merge.c). Relative paths of a service taken
 * from another file (build context, env_file, bind sources, its own
 * extends.file) are that file's, as in Compose: they are made absolute
 * before the merge. */
#include "lab_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/file.h"

#define EXTENDS_MAX_DEPTH 16

static int relative(const char *p)
{
	return p[0] == '.' && (p[1] == '/' || p[1] == '\0' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0')));
}

/* Make a relative path scalar absolute against dir. */
static void rebase(struct lab_node *n, const char *dir, int any_relative)
{
	if (!n || n->kind != LAB_NODE_SCALAR || !*n->text || n->text[0] == '/' || n->text[0] == '~')
		return;
	if (!any_relative && !relative(n->text))
		return;
	char *abs = lab_path_join(dir, n->text);
	free(n->text);
	n->text = abs;
}

static void rebase_service(struct lab_node *svc, const char *dir)
{
	struct lab_node *x;
	if ((x = lab_node_get(svc, "build"))) {
		if (x->kind == LAB_NODE_SCALAR)
			rebase(x, dir, 1);
		else
			rebase(lab_node_get(x, "context"), dir, 1);
	}
	if ((x = lab_node_get(svc, "env_file"))) {
		if (x->kind == LAB_NODE_SCALAR)
			rebase(x, dir, 1);
		for (size_t i = 0; x->kind == LAB_NODE_SEQ && i < x->n; i++)
			rebase(x->kids[i]->kind == LAB_NODE_MAP ? lab_node_get(x->kids[i], "path") : x->kids[i], dir, 1);
	}
	if ((x = lab_node_get(svc, "volumes")) && x->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < x->n; i++) {
			struct lab_node *v = x->kids[i];
			if (v->kind == LAB_NODE_MAP) {
				const struct lab_node *t = lab_node_get(v, "type");
				if (t && t->kind == LAB_NODE_SCALAR && !strcmp(t->text, "bind"))
					rebase(lab_node_get(v, "source"), dir, 1);
			} else if (v->kind == LAB_NODE_SCALAR && relative(v->text) && strchr(v->text, ':')) {
				size_t l = strcspn(v->text, ":");
				char *src = lab_xstrndup(v->text, l);
				char *abs = lab_path_join(dir, src);
				char *all = lab_xasprintf("%s%s", abs, v->text + l);
				free(v->text);
				v->text = all;
				free(abs);
				free(src);
			}
		}
	}
	if ((x = lab_node_get(svc, "extends")) && x->kind == LAB_NODE_MAP)
		rebase(lab_node_get(x, "file"), dir, 1);
}

static const char *ext_file(struct lab_ld *L, const char *path)
{
	struct lab *lab = lab_ld_lab(L);
	for (size_t i = 0; i < lab->files.n; i++)
		if (!strcmp(lab->files.v[i], path))
			return lab->files.v[i];
	lab_strv_push(&lab->files, path);
	return lab->files.v[lab->files.n - 1];
}

/* The service `name` of the compose file at path (a new tree, *root to
 * free), or NULL with a diagnostic at m. */
static struct lab_node *service_in_file(struct lab_ld *L, const char *path, const char *name,
					const struct lab_mark *m, struct lab_node **root)
{
	struct lab_buf text = LAB_BUF_INIT;
	struct lab_err e = {0};
	char *why = NULL;
	*root = NULL;
	int rc = lab_read_file(&text, path, LAB_FILE_MAX, &why);
	if (rc) {
		lab_ld_diag(L, m, "extends: file '%s' %s", path, rc == LAB_ENOTFOUND ? "not found" : why);
		free(why);
		return NULL;
	}
	rc = lab_node_parse_string(root, lab_buf_cstr(&text), text.len, ext_file(L, path), &e);
	lab_buf_release(&text);
	if (rc < 0) {
		lab_ld_diag(L, m, "extends: %s", e.msg);
		return NULL;
	}
	struct lab_node *svcs = lab_node_get(*root, "services");
	struct lab_node *s = svcs ? lab_node_get(svcs, name) : NULL;
	if (!s)
		lab_ld_diag(L, m, "extends: no service '%s' in '%s'", name, path);
	return s;
}

/* The service `svc` (a node of the file whose directory is dir, in whose
 * services map `services` it sits) with its extends resolved: a new tree. */
static struct lab_node *resolved(struct lab_ld *L, const struct lab_node *services, const char *dir,
				 const char *name, const struct lab_node *svc, int depth)
{
	const struct lab_node *ext = lab_node_get(svc, "extends");
	if (!ext || svc->kind != LAB_NODE_MAP)
		return lab_node_copy(svc);
	if (depth > EXTENDS_MAX_DEPTH) {
		lab_ld_diag(L, &ext->mark, "extends: more than %d levels (a cycle?) at service '%s'", EXTENDS_MAX_DEPTH,
			    name);
		return lab_node_copy(svc);
	}
	const char *base_name = NULL, *file = NULL;
	if (ext->kind == LAB_NODE_SCALAR) {
		base_name = ext->text;
	} else if (ext->kind == LAB_NODE_MAP) {
		static const char *const keys[] = {"service", "file", NULL};
		if (lab_ld_check_keys(L, ext, keys, 0))
			return lab_node_copy(svc);
		const struct lab_node *s = lab_node_get(ext, "service"), *f = lab_node_get(ext, "file");
		base_name = s ? lab_ld_str(L, s, "service") : NULL;
		file = f ? lab_ld_str(L, f, "file") : NULL;
		if (!s)
			lab_ld_diag(L, &ext->mark, "missing 'service' for 'extends'");
	} else {
		lab_ld_diag(L, &ext->mark, "expected a string or a mapping for 'extends'");
	}
	if (!base_name)
		return lab_node_copy(svc);
	struct lab_node *root = NULL, *base = NULL;
	const struct lab_node *base_node;
	char *base_dir;
	if (file) {
		char *path = lab_path_join(dir, file);
		base_node = service_in_file(L, path, base_name, &ext->mark, &root);
		base_dir = lab_path_dir(path);
		free(path);
		if (base_node) {
			base = resolved(L, lab_node_get(root, "services"), base_dir, base_name, base_node, depth + 1);
			rebase_service(base, base_dir);
		}
	} else {
		base_dir = lab_xstrdup(dir);
		base_node = lab_node_get(services, base_name);
		if (!base_node)
			lab_ld_diag(L, &ext->mark, "extends: no service '%s' in this file", base_name);
		else if (!strcmp(base_name, name) && depth == 0)
			lab_ld_diag(L, &ext->mark, "service '%s' extends itself", name);
		else
			base = resolved(L, services, dir, base_name, base_node, depth + 1);
	}
	free(base_dir);
	lab_node_free(root);
	struct lab_node *own = lab_node_copy(svc);
	/* drop extends from the service's own keys */
	for (size_t i = 0; i < own->n; i++)
		if (!strcmp(own->kids[2 * i]->text, "extends")) {
			lab_node_free(own->kids[2 * i]);
			lab_node_free(own->kids[2 * i + 1]);
			memmove(&own->kids[2 * i], &own->kids[2 * i + 2], 2 * (own->n - i - 1) * sizeof(*own->kids));
			own->n--;
			break;
		}
	if (!base || base->kind != LAB_NODE_MAP) {
		lab_node_free(base);
		return own;
	}
	/* extends in the base is resolved: it must not come back */
	lab_ld_merge_service(base, own, name);
	lab_node_free(own);
	return base;
}

void lab_ld_extends(struct lab_ld *L, struct lab_node *root, const char *absdir)
{
	struct lab_node *services = lab_node_get(root, "services");
	if (!services || services->kind != LAB_NODE_MAP)
		return;
	/* every service resolved against the file as written, then swapped in */
	size_t n = services->n;
	struct lab_node **out = lab_xcalloc(n + 1, sizeof(*out));
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lab_node *v = services->kids[2 * i + 1];
		if (v->kind == LAB_NODE_MAP && lab_node_get(v, "extends")) {
			out[i] = resolved(L, services, absdir, services->kids[2 * i]->text, v, 0);
			any = 1;
		}
	}
	for (size_t i = 0; any && i < n; i++)
		if (out[i]) {
			lab_node_free(services->kids[2 * i + 1]);
			services->kids[2 * i + 1] = out[i];
		}
	free(out);
}
