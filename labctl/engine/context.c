/* Build context: walk a directory and tar it with libarchive, honouring
 * .dockerignore. */
#include "context.h"
#include "../lazy/lazy.h"

#include <openssl/evp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "../util/file.h"

struct ctx_walk {
	struct archive *a;
	const char *root;
	struct lab_strv pats;
	int has_negation;
	char *dockerfile; /* cleaned, relative */
	struct lab_err *err;
};

/* Clean a relative pattern or path: drop leading "/" and "./", trailing "/",
 * collapse "//". Returns a new string. */
static char *ctx_clean(const char *s)
{
	while (*s == '/' || (s[0] == '.' && s[1] == '/'))
		s += (*s == '/') ? 1 : 2;
	char *out = lab_xstrdup(s);
	char *w = out;
	for (const char *r = out; *r; r++) {
		if (*r == '/' && (r[1] == '/' || r[1] == '\0'))
			continue;
		if (*r == '/' && r[1] == '.' && r[2] == '/') {
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	if (strcmp(out, ".") == 0)
		out[0] = '\0';
	return out;
}

static int ctx_fnmatch(const char *pat, const char *path)
{
	int flags = strstr(pat, "**") ? 0 : FNM_PATHNAME;
	if (fnmatch(pat, path, flags) == 0)
		return 1;
	if (strncmp(pat, "**/", 3) == 0 && fnmatch(pat + 3, path, 0) == 0)
		return 1;
	return 0;
}

/* pat matches rel or one of rel's parent directories */
static int ctx_pattern_matches(const char *pat, const char *rel)
{
	if (ctx_fnmatch(pat, rel))
		return 1;
	char *p = lab_xstrdup(rel);
	int hit = 0;
	for (char *slash = strrchr(p, '/'); slash && !hit; slash = strrchr(p, '/')) {
		*slash = '\0';
		hit = ctx_fnmatch(pat, p);
	}
	free(p);
	return hit;
}

int lab_context_ignored(const struct lab_strv *pats, const char *rel)
{
	int ignored = 0;
	for (size_t i = 0; pats && i < pats->n; i++) {
		const char *pat = pats->v[i];
		int neg = pat[0] == '!';
		if (neg)
			pat++;
		if (ctx_pattern_matches(pat, rel))
			ignored = !neg;
	}
	return ignored;
}

/* .dockerignore is read only as a regular file of at most this many bytes
 * (a lab's build directory is outside data: a symlink to /dev/zero or a
 * FIFO must not hang or exhaust memory). */
#define DOCKERIGNORE_MAX (1 << 20)

static int ctx_read_ignore(struct ctx_walk *w, struct lab_err *err)
{
	char *path = lab_xasprintf("%s/.dockerignore", w->root);
	struct lab_buf text = LAB_BUF_INIT;
	char *why = NULL;
	int rc = lab_read_file(&text, path, DOCKERIGNORE_MAX, &why);
	if (rc == LAB_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc) {
		rc = lab_err_set(err, LAB_EINPUT, "'%s' %s", path, why);
		goto out;
	}
	const char *at = lab_buf_cstr(&text), *end = at + text.len;
	while (at < end) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t n = nl ? (size_t)(nl - at) : (size_t)(end - at);
		char *line = lab_xstrndup(at, n), *s = line;
		at += n + (nl != NULL);
		while (*s == ' ' || *s == '\t')
			s++;
		n = strlen(s);
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		if (*s && *s != '#') {
			int neg = *s == '!';
			char *clean = ctx_clean(s + neg);
			if (*clean) {
				lab_strv_pushf(&w->pats, "%s%s", neg ? "!" : "", clean);
				w->has_negation |= neg;
			}
			free(clean);
		}
		free(line);
	}
out:
	lab_buf_release(&text);
	free(why);
	free(path);
	return rc;
}

static int ctx_archive_err(struct ctx_walk *w, const char *rel)
{
	return lab_err_set(w->err, LAB_ERR, "build context '%s': cannot archive '%s': %s", w->root, rel,
			   archive_error_string(w->a) ? archive_error_string(w->a) : "unknown error");
}

static int ctx_add(struct ctx_walk *w, const char *full, const char *rel, const struct stat *st)
{
	int rc = 0, fd = -1;
	struct archive_entry *ent = archive_entry_new();
	char *target = NULL;

	archive_entry_copy_stat(ent, st);
	archive_entry_set_pathname(ent, rel);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_nlink(ent, 1);
	if (S_ISLNK(st->st_mode)) {
		target = lab_xmalloc((size_t)st->st_size + 256);
		ssize_t n = readlink(full, target, (size_t)st->st_size + 255);
		if (n < 0) {
			rc = lab_err_set(w->err, LAB_ERR, "cannot read link '%s': %s", full, strerror(errno));
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_symlink(ent, target);
		archive_entry_set_size(ent, 0);
	} else if (S_ISDIR(st->st_mode)) {
		archive_entry_set_size(ent, 0);
	} else if (S_ISREG(st->st_mode)) {
		fd = open(full, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = lab_err_set(w->err, LAB_ERR, "cannot read '%s': %s", full, strerror(errno));
			goto out;
		}
	}
	if (archive_write_header(w->a, ent) != ARCHIVE_OK) {
		rc = ctx_archive_err(w, rel);
		goto out;
	}
	if (fd >= 0) {
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			if (archive_write_data(w->a, buf, (size_t)n) < 0) {
				rc = ctx_archive_err(w, rel);
				goto out;
			}
		}
		if (n < 0) {
			rc = lab_err_set(w->err, LAB_ERR, "cannot read '%s': %s", full, strerror(errno));
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(target);
	archive_entry_free(ent);
	return rc;
}

/* Always sent: the Dockerfile, .dockerignore. Directories leading to the
 * Dockerfile are walked even when ignored. */
static int ctx_always(const struct ctx_walk *w, const char *rel)
{
	return strcmp(rel, w->dockerfile) == 0 || strcmp(rel, ".dockerignore") == 0;
}

static int ctx_leads_to_dockerfile(const struct ctx_walk *w, const char *rel)
{
	size_t n = strlen(rel);
	return strncmp(w->dockerfile, rel, n) == 0 && w->dockerfile[n] == '/';
}

static int ctx_walk_dir(struct ctx_walk *w, const char *rel_dir)
{
	int rc = 0;
	struct dirent **ents = NULL;
	char *dir = *rel_dir ? lab_xasprintf("%s/%s", w->root, rel_dir) : lab_xstrdup(w->root);
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		rc = lab_err_set(w->err, LAB_ERR, "cannot read directory '%s': %s", dir, strerror(errno));
		n = 0;
		goto out;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = ents[i]->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char *rel = *rel_dir ? lab_xasprintf("%s/%s", rel_dir, name) : lab_xstrdup(name);
		char *full = lab_xasprintf("%s/%s", w->root, rel);
		struct stat st;
		if (lstat(full, &st) < 0) {
			rc = lab_err_set(w->err, LAB_ERR, "cannot stat '%s': %s", full, strerror(errno));
		} else {
			int ignored = !ctx_always(w, rel) && lab_context_ignored(&w->pats, rel);
			if (!ignored && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
				rc = ctx_add(w, full, rel, &st);
			if (rc == 0 && S_ISDIR(st.st_mode) &&
			    (!ignored || w->has_negation || ctx_leads_to_dockerfile(w, rel)))
				rc = ctx_walk_dir(w, rel);
		}
		free(full);
		free(rel);
	}
out:
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(dir);
	return rc;
}

static la_ssize_t ctx_write_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
	if (lab_buf_append(ud, buf, len) < 0) {
		archive_set_error(a, ENOMEM, "build context too large");
		return -1;
	}
	return (la_ssize_t)len;
}

int lab_context_tar(struct lab_buf *out, const char *dir, const char *dockerfile,
		    struct lab_err *err)
{
	int rc = 0;
	struct ctx_walk w = {.root = dir, .err = err};
	struct stat st;
	char *dfpath = NULL;

	w.dockerfile = ctx_clean(dockerfile ? dockerfile : "Dockerfile");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = lab_err_set(err, LAB_EINPUT, "build context '%s' is not a directory", dir);
		goto out;
	}
	dfpath = lab_xasprintf("%s/%s", dir, w.dockerfile);
	if (!*w.dockerfile || strncmp(w.dockerfile, "../", 3) == 0 || stat(dfpath, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		rc = lab_err_set(err, LAB_EINPUT, "build context '%s' has no Dockerfile '%s'", dir,
				 dockerfile ? dockerfile : "Dockerfile");
		goto out;
	}
	if ((rc = ctx_read_ignore(&w, err)) < 0 || (rc = lab_lazy_load(LAB_LAZY_ARCHIVE, err)) < 0)
		goto out;
	w.a = archive_write_new();
	archive_write_set_format_pax_restricted(w.a);
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open(w.a, out, NULL, ctx_write_cb, NULL) != ARCHIVE_OK) {
		rc = ctx_archive_err(&w, ".");
		goto out;
	}
	if ((rc = ctx_walk_dir(&w, "")) < 0)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK)
		rc = ctx_archive_err(&w, ".");
out:
	if (w.a)
		archive_write_free(w.a);
	lab_strv_free(&w.pats);
	free(w.dockerfile);
	free(dfpath);
	return rc;
}

int lab_context_hash(char out[65], const char *dir, const char *dockerfile, struct lab_err *err)
{
	struct lab_buf tar = LAB_BUF_INIT;
	struct archive *a = NULL;
	EVP_MD_CTX *md = NULL;
	int rc = lab_context_tar(&tar, dir, dockerfile, err);
	if (rc < 0)
		goto out;
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK) {
		rc = lab_err_set(err, LAB_ERR, "hash build context '%s': %s", dir, archive_error_string(a));
		goto out;
	}
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		char meta[64];
		const char *path = archive_entry_pathname(e), *link = archive_entry_symlink(e);
		snprintf(meta, sizeof(meta), "\n%o %lld\n", (unsigned)archive_entry_mode(e),
			 (long long)archive_entry_size(e));
		EVP_DigestUpdate(md, path, strlen(path) + 1);
		EVP_DigestUpdate(md, meta, strlen(meta));
		if (link)
			EVP_DigestUpdate(md, link, strlen(link) + 1);
		const void *buf;
		size_t len;
		la_int64_t off;
		while (archive_read_data_block(a, &buf, &len, &off) == ARCHIVE_OK)
			EVP_DigestUpdate(md, buf, len);
	}
	if (r != ARCHIVE_EOF) {
		rc = lab_err_set(err, LAB_ERR, "hash build context '%s': %s", dir, archive_error_string(a));
		goto out;
	}
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_DigestFinal_ex(md, digest, &dlen);
	for (unsigned int i = 0; i < 32 && i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	out[64] = '\0';
out:
	EVP_MD_CTX_free(md);
	if (a)
		archive_read_free(a);
	lab_buf_release(&tar);
	return rc;
}
