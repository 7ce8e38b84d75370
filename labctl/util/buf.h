/* Growable byte buffer and string vector: the two containers every module uses. */
#ifndef LAB_BUF_H
#define LAB_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A growable, always NUL-terminated byte buffer.
 * `max` (bytes, 0 = unlimited) caps the size of data filled from the
 * network: an append past it fails with -1 and leaves the buffer as it was. */
struct lab_buf {
	char *data; /* NULL until the first append; then NUL-terminated */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* size cap in bytes, 0 = none */
};

#define LAB_BUF_INIT {NULL, 0, 0, 0}

void lab_buf_init(struct lab_buf *b, size_t max);
/* Append len bytes. Returns 0, or -1 past the cap (or out of memory). */
int lab_buf_append(struct lab_buf *b, const void *data, size_t len);
int lab_buf_puts(struct lab_buf *b, const char *s);
int lab_buf_printf(struct lab_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lab_buf_vprintf(struct lab_buf *b, const char *fmt, va_list ap);
/* Empty the buffer, keeping its memory. */
void lab_buf_reset(struct lab_buf *b);
/* Free memory; the buffer is LAB_BUF_INIT afterwards (max kept). Accepts NULL. */
void lab_buf_release(struct lab_buf *b);
/* Hand the data to the caller (never NULL: "" when empty); buffer becomes empty. */
char *lab_buf_detach(struct lab_buf *b);
/* Data as a C string, "" when nothing was appended. */
const char *lab_buf_cstr(const struct lab_buf *b);

/* A growable NULL-terminated vector of owned strings. */
struct lab_strv {
	char **v;   /* v[n] == NULL when n > 0; NULL when empty */
	size_t n;
	size_t cap;
};

#define LAB_STRV_INIT {NULL, 0, 0}

/* Push a copy of s. Returns 0 or -1 (out of memory). */
int lab_strv_push(struct lab_strv *sv, const char *s);
int lab_strv_pushf(struct lab_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Push s without copying; sv owns it afterwards. */
int lab_strv_take(struct lab_strv *sv, char *s);
/* Index of the first element equal to s, or -1. */
long lab_strv_find(const struct lab_strv *sv, const char *s);
/* For "KEY=VALUE" vectors: index of the element whose key is key, or -1. */
long lab_strv_find_key(const struct lab_strv *sv, const char *key);
/* For "KEY=VALUE" vectors: the value of key (points into sv), or NULL
 * when key is absent or has no '='. */
const char *lab_strv_value(const struct lab_strv *sv, const char *key);
/* Append copies of the strings of src to dst; returns 0 or -1. */
int lab_strv_copy(struct lab_strv *dst, const struct lab_strv *src);
void lab_strv_free(struct lab_strv *sv);

/* Memory helpers that abort on out-of-memory (labctl does not try to
 * recover from OOM; every other failure is reported). */
void *lab_xmalloc(size_t n);
void *lab_xcalloc(size_t n, size_t size);
void *lab_xrealloc(void *p, size_t n);
char *lab_xstrdup(const char *s); /* NULL -> NULL */
char *lab_xstrndup(const char *s, size_t n);
char *lab_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
