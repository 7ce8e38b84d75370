/* file checks: a file exists in a service's container (replica 1),
 * symbolic links followed, and contains a string / equals_hash its
 * content. Read through the engine's archive endpoint. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

struct file_conf {
	char *path;              /* absolute, in the container */
	char *contains;          /* the content contains it, or NULL */
};

static const char *const file_keys[] = {"service", "path", "contains", "equals_hash", NULL};

static void parse_file(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct file_conf *f = lab_xcalloc(1, sizeof(*f));
	c->conf = f;
	c->service = lab_ld_check_service(L, c, m, NULL, 1);
	lab_ld_check_need(L, c, m, "path", "the file's absolute path in the container");
	f->path = lab_ld_opt_str(L, m, "path");
	f->contains = lab_ld_opt_str(L, m, "contains");
	lab_ld_check_expect(L, m, &c->expect, NULL, NULL, NULL);
}

static void free_file(void *conf)
{
	struct file_conf *f = conf;
	if (!f)
		return;
	free(f->path);
	free(f->contains);
	free(f);
}

static void run_file(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct file_conf *f = c->conf;
	struct lab_buf tar = LAB_BUF_INIT, content = LAB_BUF_INIT;
	struct lab_err err = {0};
	struct archive *a = NULL;
	char *path = NULL;
	if (lab_check_need_lib(x, LAB_LAZY_ARCHIVE) < 0)
		return;
	const char *id = x->container(x, c->service);
	if (!id)
		goto out;
	x->expected = lab_xasprintf("'%s' exists%s%s%s", f->path, f->contains ? " and contains '" : "",
				    f->contains ? f->contains : "", f->contains ? "'" : "");
	path = lab_xstrdup(f->path);
	int rc = lab_engine_get_archive(x->e, id, path, &tar, &err);
	if (rc == LAB_ENOTFOUND) {
		x->observed = lab_xasprintf("'%s' does not exist", f->path);
		lab_check_outcome(x, LAB_VERIFY_FAILED, "'%s' does not exist in service '%s'", f->path, c->service);
		goto out;
	}
	if (rc < 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	if (!f->contains && !c->expect.equals_hash) {
		x->observed = lab_xasprintf("'%s' exists", f->path);
		goto out;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	struct archive_entry *ent = NULL;
	if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "reading '%s' from service '%s': %s", f->path, c->service,
			archive_error_string(a) ? archive_error_string(a) : "empty archive");
		goto out;
	}
	/* a symbolic link: follow it (a few hops), as cat would */
	for (int hop = 0; hop < 8 && archive_entry_filetype(ent) == AE_IFLNK && archive_entry_symlink(ent); hop++) {
		const char *to = archive_entry_symlink(ent);
		char *next;
		if (*to == '/') {
			next = lab_xstrdup(to);
		} else {
			const char *slash = strrchr(path, '/');
			next = lab_xasprintf("%.*s/%s", slash ? (int)(slash - path) : 0, path, to);
		}
		free(path);
		path = next;
		archive_read_free(a);
		a = NULL;
		lab_buf_release(&tar);
		if (lab_engine_get_archive(x->e, id, path, &tar, &err) < 0) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
			goto out;
		}
		a = archive_read_new();
		archive_read_support_format_tar(a);
		if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK ||
		    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "reading '%s' from service '%s'", path, c->service);
			goto out;
		}
	}
	if (archive_entry_filetype(ent) != AE_IFREG) {
		x->observed = lab_xasprintf("'%s' is not a regular file", f->path);
		lab_check_outcome(x, LAB_VERIFY_FAILED, "'%s' is not a regular file", f->path);
		goto out;
	}
	lab_buf_init(&content, LAB_CHECK_BODY_MAX);
	char chunk[65536];
	la_ssize_t got;
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (lab_buf_append(&content, chunk, (size_t)got) < 0)
			break;
	x->observed = lab_xasprintf("'%s' exists, %zu bytes", f->path, content.len);
	if (f->contains && !strstr(lab_buf_cstr(&content), f->contains))
		lab_check_outcome(x, LAB_VERIFY_FAILED, "'%s' does not contain '%s'", f->path, f->contains);
	if (c->expect.equals_hash && !lab_verify_compare(&c->expect, lab_buf_cstr(&content), x->key, NULL))
		lab_check_outcome(x, LAB_VERIFY_FAILED, "'%s' is not the expected answer", f->path);
out:
	if (a)
		archive_read_free(a);
	free(path);
	lab_buf_release(&tar);
	lab_buf_release(&content);
}

const struct lab_check_kind lab_check_file = {"file", file_keys, parse_file, free_file, run_file};
