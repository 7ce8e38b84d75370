#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *lab_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("labctl: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *lab_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fputs("labctl: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *lab_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("labctl: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *lab_xstrdup(const char *s)
{
	return s ? lab_xstrndup(s, strlen(s)) : NULL;
}

char *lab_xstrndup(const char *s, size_t n)
{
	char *p = lab_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *lab_xasprintf(const char *fmt, ...)
{
	struct lab_buf b = LAB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	lab_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return lab_buf_detach(&b);
}

void lab_buf_init(struct lab_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int buf_grow(struct lab_buf *b, size_t extra)
{
	if (b->max && b->len + extra > b->max)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = lab_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int lab_buf_append(struct lab_buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int lab_buf_puts(struct lab_buf *b, const char *s)
{
	return lab_buf_append(b, s, strlen(s));
}

int lab_buf_vprintf(struct lab_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int lab_buf_printf(struct lab_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = lab_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void lab_buf_reset(struct lab_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void lab_buf_release(struct lab_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *lab_buf_detach(struct lab_buf *b)
{
	char *p = b->data ? b->data : lab_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *lab_buf_cstr(const struct lab_buf *b)
{
	return b->data ? b->data : "";
}

int lab_strv_take(struct lab_strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = lab_xrealloc(sv->v, sv->cap * sizeof(char *));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int lab_strv_push(struct lab_strv *sv, const char *s)
{
	return lab_strv_take(sv, lab_xstrdup(s));
}

int lab_strv_pushf(struct lab_strv *sv, const char *fmt, ...)
{
	struct lab_buf b = LAB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	lab_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return lab_strv_take(sv, lab_buf_detach(&b));
}

long lab_strv_find(const struct lab_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return (long)i;
	return -1;
}

long lab_strv_find_key(const struct lab_strv *sv, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], key, kl) == 0 && (sv->v[i][kl] == '=' || sv->v[i][kl] == '\0'))
			return (long)i;
	return -1;
}

const char *lab_strv_value(const struct lab_strv *sv, const char *key)
{
	long i = lab_strv_find_key(sv, key);
	const char *eq = i < 0 ? NULL : strchr(sv->v[i], '=');
	return eq ? eq + 1 : NULL;
}

int lab_strv_copy(struct lab_strv *dst, const struct lab_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		lab_strv_push(dst, src->v[i]);
	return 0;
}

void lab_strv_free(struct lab_strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
