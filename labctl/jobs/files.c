/* Files for jobs: tars made and read in memory (libarchive), host files. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "../lazy/lazy.h"
#include "internal.h"

/* ---- tar in memory ---- */

static la_ssize_t tar_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	return lab_buf_append(ud, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

int jobs_tar_build(struct lab_buf *out, const struct tar_file *files, size_t n, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_ARCHIVE, err);
	if (rc < 0)
		return rc;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open(a, out, NULL, tar_write, NULL) != ARCHIVE_OK) {
		rc = lab_err_set(err, LAB_ERR, "tar: %s", archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t plen = strlen(files[i].path);
		int dir = plen && files[i].path[plen - 1] == '/';
		archive_entry_clear(e);
		archive_entry_set_pathname(e, files[i].path);
		archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, (mode_t)files[i].mode);
		archive_entry_set_size(e, dir ? 0 : (la_int64_t)files[i].len);
		archive_entry_set_mtime(e, time(NULL), 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (!dir && files[i].len && archive_write_data(a, files[i].data, files[i].len) < 0))
			rc = lab_err_set(err, LAB_ERR, "tar '%s': %s", files[i].path, archive_error_string(a));
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = lab_err_set(err, LAB_ERR, "tar: %s", archive_error_string(a));
out:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

/* The first regular file of a tar, as GET /archive returns for a file. */
int jobs_tar_first_file(struct lab_buf *out, const struct lab_buf *tar, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_ARCHIVE, err);
	if (rc < 0)
		return rc;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	rc = LAB_ENOTFOUND;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->data, tar->len) != ARCHIVE_OK) {
		rc = lab_err_set(err, LAB_ERR, "untar: %s", archive_error_string(a));
		goto out;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		char chunk[65536];
		la_ssize_t n;
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			lab_buf_append(out, chunk, (size_t)n);
		rc = n < 0 ? lab_err_set(err, LAB_ERR, "untar: %s", archive_error_string(a)) : 0;
		break;
	}
	if (rc == LAB_ENOTFOUND)
		lab_err_set(err, rc, "untar: no file in the archive");
out:
	archive_read_free(a);
	return rc;
}

/* ---- files on the host ---- */

int jobs_read_file(struct lab_buf *out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char chunk[1 << 16];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		lab_buf_append(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

void jobs_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}
