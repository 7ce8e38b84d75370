/* Compose-style variable interpolation and .env files. */
#include "lab_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_name_start(char c)
{
	return c == '_' || isalpha((unsigned char)c);
}

static int is_name_char(char c)
{
	return c == '_' || isalnum((unsigned char)c);
}

/* Index of the '}' closing the "${" whose body starts at s, or -1. */
static long closing_brace(const char *s)
{
	int depth = 1;
	for (long i = 0; s[i]; i++) {
		if (s[i] == '$' && s[i + 1] == '$') {
			i++;
		} else if (s[i] == '$' && s[i + 1] == '{') {
			depth++;
			i++;
		} else if (s[i] == '}' && --depth == 0) {
			return i;
		}
	}
	return -1;
}

static int invalid(char **msg, const char *s)
{
	*msg = lab_xasprintf("invalid interpolation format in '%s'", s);
	return LAB_EINPUT;
}

int lab_interp_run(char **out, const char *s, lab_lookup_fn lookup, void *ud, char **msg)
{
	int rc = 0;
	struct lab_buf b = LAB_BUF_INIT;
	char *name = NULL, *arg = NULL;
	*msg = NULL;
	lab_buf_puts(&b, "");
	for (const char *p = s; *p;) {
		if (*p != '$') {
			const char *q = strchr(p, '$');
			size_t len = q ? (size_t)(q - p) : strlen(p);
			lab_buf_append(&b, p, len);
			p += len;
			continue;
		}
		if (p[1] == '$') {
			lab_buf_puts(&b, "$");
			p += 2;
			continue;
		}
		if (is_name_start(p[1])) {
			const char *q = p + 1;
			while (is_name_char(*q))
				q++;
			name = lab_xstrndup(p + 1, (size_t)(q - p - 1));
			const char *v = lookup(name, ud);
			if (v)
				lab_buf_puts(&b, v);
			free(name);
			name = NULL;
			p = q;
			continue;
		}
		if (p[1] != '{') {
			rc = invalid(msg, s);
			goto out;
		}
		long close = closing_brace(p + 2);
		if (close < 0 || !is_name_start(p[2])) {
			rc = invalid(msg, s);
			goto out;
		}
		const char *body = p + 2, *end = p + 2 + close;
		const char *q = body;
		while (is_name_char(*q))
			q++;
		name = lab_xstrndup(body, (size_t)(q - body));
		const char *v = lookup(name, ud);
		int colon = 0;
		char op = 0;
		if (q < end) {
			if (*q == ':') {
				colon = 1;
				q++;
			}
			if (q < end && (*q == '-' || *q == '?' || *q == '+'))
				op = *q++;
			if (!op) {
				rc = invalid(msg, s);
				goto out;
			}
			char *raw = lab_xstrndup(q, (size_t)(end - q));
			rc = lab_interp_run(&arg, raw, lookup, ud, msg);
			free(raw);
			if (rc)
				goto out;
		}
		int set = v != NULL, nonempty = v && *v;
		int usable = colon ? nonempty : set;
		switch (op) {
		case 0:
			if (v)
				lab_buf_puts(&b, v);
			break;
		case '-':
			lab_buf_puts(&b, usable ? v : arg);
			break;
		case '?':
			if (!usable) {
				if (*arg)
					*msg = lab_xasprintf("required variable '%s' is not set: %s", name, arg);
				else
					*msg = lab_xasprintf("required variable '%s' is not set", name);
				rc = LAB_EINPUT;
				goto out;
			}
			lab_buf_puts(&b, v);
			break;
		case '+':
			if (usable)
				lab_buf_puts(&b, arg);
			break;
		}
		free(name);
		free(arg);
		name = arg = NULL;
		p = end + 1;
	}
out:
	free(name);
	free(arg);
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
static char *dotenv_value(const char *v, char **msg, int lineno)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\'' || *v == '"') {
		char q = *v++;
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
			*msg = lab_xasprintf("line %d: unterminated quote", lineno);
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

int lab_dotenv_parse(struct lab_strv *out, const char *path, char **msg)
{
	int rc = 0;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	*msg = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		*msg = lab_xasprintf("cannot read '%s': %s", path, strerror(errno));
		return errno == ENOENT ? LAB_ENOTFOUND : LAB_EINPUT;
	}
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
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
			*msg = lab_xasprintf("line %d: expected KEY=VALUE", lineno);
			rc = LAB_EINPUT;
			goto out;
		}
		if (!*p) {
			lab_strv_take(out, lab_xstrndup(k, klen));
			continue;
		}
		char *v = dotenv_value(p + 1, msg, lineno);
		if (!v) {
			rc = LAB_EINPUT;
			goto out;
		}
		lab_strv_pushf(out, "%.*s=%s", (int)klen, k, v);
		free(v);
	}
out:
	free(line);
	fclose(f);
	return rc;
}
