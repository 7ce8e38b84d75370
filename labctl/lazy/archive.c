/* libarchive (libarchive.so.13, Debian package libarchive13), loaded on
 * first use: the functions labctl calls (engine/context.c, cmd/run.c,
 * verify/run.c; archive_entry_uid for tests/unit), each with the prototype
 * from <archive.h> / <archive_entry.h>, forwarding to the real one. See
 * lazy.h (errors: lab_lazy_load(LAB_LAZY_ARCHIVE) returns them). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include <archive.h>
#include <archive_entry.h>

#include "lazy.h"

#define ARCHIVE_FUNCS(X)                                                                           \
	X(archive_entry_clear)                                                                     \
	X(archive_entry_copy_stat)                                                                 \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_free)                                                                      \
	X(archive_entry_mode)                                                                      \
	X(archive_entry_new)                                                                       \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_set_filetype)                                                              \
	X(archive_entry_set_gid)                                                                   \
	X(archive_entry_set_mtime)                                                                 \
	X(archive_entry_set_nlink)                                                                 \
	X(archive_entry_set_pathname)                                                              \
	X(archive_entry_set_perm)                                                                  \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_set_symlink)                                                               \
	X(archive_entry_set_uid)                                                                   \
	X(archive_entry_size)                                                                      \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_uid)                                                                       \
	X(archive_error_string)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_block)                                                                 \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open_memory)                                                                \
	X(archive_read_support_format_tar)                                                         \
	X(archive_set_error)                                                                       \
	X(archive_write_close)                                                                     \
	X(archive_write_data)                                                                      \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_open)                                                                      \
	X(archive_write_set_bytes_in_last_block)                                                   \
	X(archive_write_set_bytes_per_block)                                                       \
	X(archive_write_set_format_pax_restricted)

LAZY_LIBRARY(archive, ARCHIVE_FUNCS, lazy_open, "libarchive.so.13", "libarchive13", "LABCTL_LAZY_ARCHIVE")
#define AR() lazy_fn()

/* archive.h */

struct archive *archive_read_new(void)
{
	return AR()->archive_read_new();
}

int archive_read_support_format_tar(struct archive *a)
{
	return AR()->archive_read_support_format_tar(a);
}

int archive_read_open_memory(struct archive *a, const void *buff, size_t size)
{
	return AR()->archive_read_open_memory(a, buff, size);
}

int archive_read_next_header(struct archive *a, struct archive_entry **entry)
{
	return AR()->archive_read_next_header(a, entry);
}

la_ssize_t archive_read_data(struct archive *a, void *buff, size_t size)
{
	return AR()->archive_read_data(a, buff, size);
}

int archive_read_data_block(struct archive *a, const void **buff, size_t *size, la_int64_t *offset)
{
	return AR()->archive_read_data_block(a, buff, size, offset);
}

int archive_read_free(struct archive *a)
{
	return AR()->archive_read_free(a);
}

struct archive *archive_write_new(void)
{
	return AR()->archive_write_new();
}

int archive_write_set_bytes_per_block(struct archive *a, int bytes_per_block)
{
	return AR()->archive_write_set_bytes_per_block(a, bytes_per_block);
}

int archive_write_set_bytes_in_last_block(struct archive *a, int bytes_in_last_block)
{
	return AR()->archive_write_set_bytes_in_last_block(a, bytes_in_last_block);
}

int archive_write_set_format_pax_restricted(struct archive *a)
{
	return AR()->archive_write_set_format_pax_restricted(a);
}

int archive_write_open(struct archive *a, void *client_data, archive_open_callback *opener,
		       archive_write_callback *writer, archive_close_callback *closer)
{
	return AR()->archive_write_open(a, client_data, opener, writer, closer);
}

int archive_write_header(struct archive *a, struct archive_entry *entry)
{
	return AR()->archive_write_header(a, entry);
}

la_ssize_t archive_write_data(struct archive *a, const void *buff, size_t size)
{
	return AR()->archive_write_data(a, buff, size);
}

int archive_write_close(struct archive *a)
{
	return AR()->archive_write_close(a);
}

int archive_write_free(struct archive *a)
{
	return AR()->archive_write_free(a);
}

const char *archive_error_string(struct archive *a)
{
	return AR()->archive_error_string(a);
}

/* The real one is variadic with no va_list variant: format here (vsnprintf,
 * a superset of libarchive's own formatter; at most 1023 bytes) and pass
 * the text through. */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	if (!fmt) { /* NULL clears the error */
		AR()->archive_set_error(a, err, NULL);
		return;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	AR()->archive_set_error(a, err, "%s", msg);
}

/* archive_entry.h */

struct archive_entry *archive_entry_new(void)
{
	return AR()->archive_entry_new();
}

struct archive_entry *archive_entry_clear(struct archive_entry *e)
{
	return AR()->archive_entry_clear(e);
}

void archive_entry_free(struct archive_entry *e)
{
	AR()->archive_entry_free(e);
}

__LA_MODE_T archive_entry_filetype(struct archive_entry *e)
{
	return AR()->archive_entry_filetype(e);
}

__LA_MODE_T archive_entry_mode(struct archive_entry *e)
{
	return AR()->archive_entry_mode(e);
}

const char *archive_entry_pathname(struct archive_entry *e)
{
	return AR()->archive_entry_pathname(e);
}

const char *archive_entry_symlink(struct archive_entry *e)
{
	return AR()->archive_entry_symlink(e);
}

la_int64_t archive_entry_size(struct archive_entry *e)
{
	return AR()->archive_entry_size(e);
}

la_int64_t archive_entry_uid(struct archive_entry *e)
{
	return AR()->archive_entry_uid(e);
}

void archive_entry_copy_stat(struct archive_entry *e, const struct stat *st)
{
	AR()->archive_entry_copy_stat(e, st);
}

void archive_entry_set_filetype(struct archive_entry *e, unsigned int type)
{
	AR()->archive_entry_set_filetype(e, type);
}

void archive_entry_set_perm(struct archive_entry *e, __LA_MODE_T perm)
{
	AR()->archive_entry_set_perm(e, perm);
}

void archive_entry_set_mtime(struct archive_entry *e, time_t t, long ns)
{
	AR()->archive_entry_set_mtime(e, t, ns);
}

void archive_entry_set_size(struct archive_entry *e, la_int64_t size)
{
	AR()->archive_entry_set_size(e, size);
}

void archive_entry_set_pathname(struct archive_entry *e, const char *name)
{
	AR()->archive_entry_set_pathname(e, name);
}

void archive_entry_set_symlink(struct archive_entry *e, const char *target)
{
	AR()->archive_entry_set_symlink(e, target);
}

void archive_entry_set_uid(struct archive_entry *e, la_int64_t uid)
{
	AR()->archive_entry_set_uid(e, uid);
}

void archive_entry_set_gid(struct archive_entry *e, la_int64_t gid)
{
	AR()->archive_entry_set_gid(e, gid);
}

void archive_entry_set_nlink(struct archive_entry *e, unsigned int nlink)
{
	AR()->archive_entry_set_nlink(e, nlink);
}
