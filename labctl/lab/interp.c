/* Compose-style variable interpolation and .env files. */
#include "lab_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/index.h"

static int is_name_start(char c)
{
	return c == '_' || isalpha((unsigned char)c);
}

static int is_name_char(char c)
{
	return c == '_' || isalnum((unsigned char)c);
}

/* Index of the '}' closing the "${" whose body starts at s, or -1; the
 * search stops at end. */
static long closing_brace(const char *s, const char *end)
{
	int depth = 1;
	for (long i = 0; s + i < end; i++) {
		if (s[i] == '$' && s + i + 1 < end && s[i + 1] == '$') {
			i++;
		} else if (s[i] == '$' && s + i + 1 < end && s[i + 1] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}' && --depth == 0) {
			return i;
		}
	}
	return -1;
}

struct interp {
	lab_lookup_fn lookup;
	void *ud;
	char **msg;
	const char *all, *all_end; /* the whole value, for messages */
};

/* s..end quoted for a message: cut after 100 bytes. */
static char *quoted(const char *s, const char *end)
{
	size_t n = (size_t)(end - s);
	return n > 100 ? lab_xasprintf("%.*s...", 100, s) : lab_xstrndup(s, n);
}

static int invalid(struct interp *I, const char *s, const char *end)
{
	char *q = quoted(s, end);
	*I->msg = lab_xasprintf("invalid interpolation format in '%s'", q);
	free(q);
	return LAB_EINPUT;
}

static int put(struct interp *I, struct lab_buf *b, const char *s, size_t len)
{
	if (lab_buf_append(b, s, len) == 0)
		return 0;
	*I->msg = lab_xasprintf("value is longer than %d MiB after interpolation", LAB_INTERP_MAX_LEN >> 20);
	return LAB_EINPUT;
}

/* Interpolate s..end into b; depth: the "${" around it. Each level
 * scans its own body once, so the work is O(depth * length). */
static int interp_range(struct interp *I, struct lab_buf *b, const char *s, const char *end, int depth)
{
	int rc = 0;
	char *name = NULL;
	struct lab_buf arg;
	lab_buf_init(&arg, LAB_INTERP_MAX_LEN);
	if (depth > LAB_INTERP_MAX_DEPTH) {
		char *q = quoted(I->all, I->all_end);
		*I->msg = lab_xasprintf("interpolation nested more than %d levels deep in '%s'", LAB_INTERP_MAX_DEPTH,
					q);
		free(q);
		return LAB_EINPUT;
	}
	for (const char *p = s; p < end;) {
		if (*p != '$') {
			const char *q = memchr(p, '$', (size_t)(end - p));
			size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
			if ((rc = put(I, b, p, len)))
				goto out;
			p += len;
			continue;
		}
		if (p + 1 < end && p[1] == '$') {
			if ((rc = put(I, b, "$", 1)))
				goto out;
			p += 2;
			continue;
		}
		if (p + 1 < end && is_name_start(p[1])) {
			const char *q = p + 1;
			while (q < end && is_name_char(*q))
				q++;
			name = lab_xstrndup(p + 1, (size_t)(q - p - 1));
			const char *v = I->lookup(name, I->ud);
			free(name);
			name = NULL;
			if (v && (rc = put(I, b, v, strlen(v))))
				goto out;
			p = q;
			continue;
		}
		if (p + 1 >= end || p[1] != '{') {
			rc = invalid(I, s, end);
			goto out;
		}
		long close = closing_brace(p + 2, end);
		if (close < 0 || !is_name_start(p[2])) {
			rc = invalid(I, s, end);
			goto out;
		}
		const char *body = p + 2, *bend = p + 2 + close;
		const char *q = body;
		while (is_name_char(*q))
			q++;
		name = lab_xstrndup(body, (size_t)(q - body));
		const char *v = I->lookup(name, I->ud);
		int colon = 0, has_arg = 0;
		char op = 0;
		if (q < bend) {
			if (*q == ':') {
				colon = 1;
				q++;
			}
			if (q < bend && (*q == '-' || *q == '?' || *q == '+'))
				op = *q++;
			if (!op) {
				rc = invalid(I, s, end);
				goto out;
			}
			lab_buf_reset(&arg);
			if ((rc = interp_range(I, &arg, q, bend, depth + 1)))
				goto out;
			has_arg = 1;
		}
		const char *a = has_arg ? lab_buf_cstr(&arg) : "";
		int set = v != NULL, nonempty = v && *v;
		int usable = colon ? nonempty : set;
		const char *add = NULL;
		switch (op) {
		case 0:
			add = v;
			break;
		case '-':
			add = usable ? v : a;
			break;
		case '?':
			if (!usable) {
				if (*a)
					*I->msg = lab_xasprintf("required variable '%s' is not set: %s", name, a);
				else
					*I->msg = lab_xasprintf("required variable '%s' is not set", name);
				rc = LAB_EINPUT;
				goto out;
			}
			add = v;
			break;
		case '+':
			add = usable ? a : NULL;
			break;
		}
		if (add && (rc = put(I, b, add, strlen(add))))
			goto out;
		free(name);
		name = NULL;
		p = bend + 1;
	}
out:
	free(name);
	lab_buf_release(&arg);
	return rc;
}

int lab_interp_run(char **out, const char *s, lab_lookup_fn lookup, void *ud, char **msg)
{
	struct interp I = {lookup, ud, msg, s, s + strlen(s)};
	struct lab_buf b;
	*msg = NULL;
	lab_buf_init(&b, LAB_INTERP_MAX_LEN);
	int rc = interp_range(&I, &b, s, I.all_end, 0);
	if (rc) {
		lab_buf_release(&b);
		return rc;
	}
	*out = lab_buf_detach(&b);
	return 0;
}

int lab_interpolate(char **out, const char *s, lab_lookup_fn lookup, void *ud,
		    const struct lab_mark *mark, struct lab_err *err)
{
	char *msg = NULL;
	int rc = lab_interp_run(out, s, lookup, ud, &msg);
	if (rc) {
		if (mark && mark->file)
			lab_err_set(err, rc, "%s:%d:%d: %s", mark->file, mark->line, mark->col, msg);
		else
			lab_err_set(err, rc, "%s", msg);
	}
	free(msg);
	return rc;
}

/* Unquote a .env value in place-ish; returns a new string or NULL. */
/* A .env value; *expand: whether it is interpolated (unquoted or double
 * quoted; a single-quoted value is literal). */
static char *dotenv_value(const char *v, char **msg, int *expand)
{
	*expand = 1;
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\'' || *v == '"') {
		char q = *v++;
		*expand = q == '"';
		for (; *v && *v != q; v++) {
			if (q == '"' && *v == '\\' && v[1]) {
				v++;
				char c = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v == 'r' ? '\r' : *v;
				lab_buf_append(&b, &c, 1);
			} else {
				lab_buf_append(&b, v, 1);
			}
		}
		if (*v != q) {
			*msg = lab_xstrdup("unterminated quote");
			lab_buf_release(&b);
			return NULL;
		}
		return lab_buf_detach(&b);
	}
	/* unquoted: an inline comment starts at " #" */
	const char *end = v + strlen(v);
	for (const char *c = v; *c; c++)
		if (*c == '#' && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
			end = c;
			break;
		}
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	lab_buf_append(&b, v, (size_t)(end - v));
	return lab_buf_detach(&b);
}

/* Variables in a .env value (compose-go dotenv expandVariables): the
 * environment first, then what the files parsed so far set (the latest). */
struct dotenv_ctx {
	const struct lab_strv *out;
	struct lab_index ix; /* key -> latest index in out */
	size_t made;         /* bytes interpolation made in this file */
};

/* What interpolation may make in one .env file, all values together: a
 * hostile 4 MiB file of "B=${A}${A}" lines stays bounded. */
#define DOTENV_INTERP_MAX (16 << 20)

static const char *dotenv_lookup(const char *name, void *ud)
{
	struct dotenv_ctx *c = ud;
	const char *v = getenv(name);
	if (v)
		return v;
	long i = lab_index_get(&c->ix, name, strlen(name));
	const char *eq = i < 0 ? NULL : strchr(c->out->v[i], '=');
	return eq ? eq + 1 : NULL;
}

int lab_dotenv_parse(struct lab_strv *out, const char *path, int *line, char **msg)
{
	struct dotenv_ctx ctx = {.out = out, .ix = LAB_INDEX_INIT};
	struct lab_buf file = LAB_BUF_INIT;
	int rc = lab_read_file(&file, path, LAB_FILE_MAX, msg);
	int lineno = 0;
	*line = 0;
	if (rc)
		return rc; /* before the index is made: nothing to free (a missing
			      include env_file leaked it, found by fuzz_lab) */
	for (size_t i = 0; i < out->n; i++)
		lab_index_set(&ctx.ix, out->v[i], strcspn(out->v[i], "="), i);
	const char *at = lab_buf_cstr(&file), *end = at + file.len;
	while (at < end) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t got = nl ? (size_t)(nl - at) : (size_t)(end - at);
		char *copy = lab_xstrndup(at, got);
		at += got + (nl != NULL);
		lineno++;
		while (got > 0 && copy[got - 1] == '\r')
			copy[--got] = '\0';
		char *p = copy;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#') {
			free(copy);
			continue;
		}
		if (strncmp(p, "export ", 7) == 0)
			for (p += 7; *p == ' ' || *p == '\t'; p++)
				;
		char *k = p;
		while (*p && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		size_t klen = (size_t)(p - k);
		while (*p == ' ' || *p == '\t')
			p++;
		if (klen == 0 || (*p && *p != '=')) {
			*msg = lab_xstrdup("expected KEY=VALUE");
			rc = LAB_EINPUT;
		} else if (!*p) {
			lab_strv_take(out, lab_xstrndup(k, klen));
		} else {
			int expand = 0;
			char *v = dotenv_value(p + 1, msg, &expand);
			char *x = NULL;
			if (v && expand && strchr(v, '$') && lab_interp_run(&x, v, dotenv_lookup, &ctx, msg) < 0) {
				free(v);
				v = NULL;
			} else if (x) {
				free(v);
				v = x;
				ctx.made += strlen(x);
				if (ctx.made > DOTENV_INTERP_MAX) {
					*msg = lab_xasprintf("interpolation makes more than %d MiB of text in this file",
							     DOTENV_INTERP_MAX >> 20);
					free(v);
					v = NULL;
				}
			}
			if (v) {
				lab_strv_pushf(out, "%.*s=%s", (int)klen, k, v);
				lab_index_set(&ctx.ix, out->v[out->n - 1], klen, out->n - 1);
			} else {
				rc = LAB_EINPUT;
			}
			free(v);
		}
		free(copy);
		if (rc) {
			*line = lineno;
			break;
		}
	}
	lab_buf_release(&file);
	lab_index_free(&ctx.ix);
	return rc;
}
