/* Small helpers of the lab loader: durations, edit distance, shell words,
 * lexical paths. */
#include "lab_private.h"

#include <errno.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int lab_parse_duration_ms(const char *s, long *ms)
{
	if (!s || !*s)
		return LAB_EINPUT;
	const char *p = s;
	int all_digits = 1;
	for (const char *c = s; *c; c++)
		if (!isdigit((unsigned char)*c))
			all_digits = 0;
	if (all_digits) {
		if (strlen(s) > 12)
			return LAB_EINPUT;
		*ms = strtol(s, NULL, 10) * 1000L;
		return 0;
	}
	double total = 0; /* ms */
	while (*p) {
		const char *num = p;
		int digits = 0;
		while (isdigit((unsigned char)*p))
			p++, digits++;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++, digits++;
		}
		if (!digits)
			return LAB_EINPUT;
		double v = strtod(num, NULL);
		double unit;
		if (strncmp(p, "ns", 2) == 0)
			unit = 1e-6, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			unit = 1e-3, p += 2;
		else if (strncmp(p, "\xc2\xb5s", 3) == 0 || strncmp(p, "\xce\xbcs", 3) == 0)
			unit = 1e-3, p += 3;
		else if (strncmp(p, "ms", 2) == 0)
			unit = 1, p += 2;
		else if (*p == 's')
			unit = 1000, p += 1;
		else if (*p == 'm')
			unit = 60000, p += 1;
		else if (*p == 'h')
			unit = 3600000, p += 1;
		else
			return LAB_EINPUT;
		total += v * unit;
		if (total > 1e15)
			return LAB_EINPUT;
	}
	*ms = (long)(total + 1e-9);
	return 0;
}

size_t lab_edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, LAB_EDIT_MAX_LEN + 1), lb = strnlen(b, LAB_EDIT_MAX_LEN + 1);
	if (la > LAB_EDIT_MAX_LEN || lb > LAB_EDIT_MAX_LEN)
		return (size_t)-1;
	size_t *row = lab_xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

int lab_shell_split(struct lab_strv *out, const char *s)
{
	struct lab_buf w = LAB_BUF_INIT;
	int in_word = 0, rc = 0;
	for (const char *p = s;; p++) {
		char c = *p;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word)
				lab_strv_take(out, lab_buf_detach(&w));
			in_word = 0;
			if (!c)
				break;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			const char *q = strchr(p + 1, '\'');
			if (!q) {
				rc = LAB_EINPUT;
				goto out;
			}
			lab_buf_append(&w, p + 1, (size_t)(q - p - 1));
			p = q;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1]))
					p++;
				lab_buf_append(&w, p, 1);
			}
			if (!*p) {
				rc = LAB_EINPUT;
				goto out;
			}
		} else if (c == '\\' && p[1]) {
			p++;
			lab_buf_append(&w, p, 1);
		} else {
			lab_buf_append(&w, &c, 1);
		}
		if (!w.data)
			lab_buf_puts(&w, ""); /* '' is an empty word */
	}
out:
	lab_buf_release(&w);
	return rc;
}

char *lab_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return lab_xstrdup(".");
	if (slash == path)
		return lab_xstrdup("/");
	return lab_xstrndup(path, (size_t)(slash - path));
}

char *lab_path_join(const char *dir, const char *path)
{
	char *full = path[0] == '/' ? lab_xstrdup(path) : lab_xasprintf("%s/%s", dir, path);
	int abs = full[0] == '/';
	struct lab_strv parts = LAB_STRV_INIT;
	char *save = NULL;
	for (char *t = strtok_r(full, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0 && parts.n > 0 && strcmp(parts.v[parts.n - 1], "..") != 0) {
			free(parts.v[--parts.n]);
			parts.v[parts.n] = NULL;
			continue;
		}
		if (strcmp(t, "..") == 0 && abs)
			continue;
		lab_strv_push(&parts, t);
	}
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, abs ? "/" : "");
	for (size_t i = 0; i < parts.n; i++)
		lab_buf_printf(&b, "%s%s", i ? "/" : "", parts.v[i]);
	if (!abs && parts.n == 0)
		lab_buf_puts(&b, ".");
	lab_strv_free(&parts);
	free(full);
	return lab_buf_detach(&b);
}

int lab_parse_bytes(const char *s, long long *out)
{
	/* go-units parseSize with its binary map, step by step */
	if (!s)
		return LAB_EINPUT;
	const char *sep = NULL;
	for (const char *p = s; *p; p++)
		if (strchr("0123456789. ", *p))
			sep = p;
	if (!sep)
		return LAB_EINPUT;
	size_t numlen = *sep == ' ' ? (size_t)(sep - s) : (size_t)(sep - s) + 1;
	const char *sfx = sep + 1;
	char num[64];
	if (numlen == 0 || numlen >= sizeof(num))
		return LAB_EINPUT;
	memcpy(num, s, numlen);
	num[numlen] = '\0';
	/* strconv.ParseFloat's decimal forms only: no hex, inf or nan */
	if (strpbrk(num, "xXpPiInN ") || !(isdigit((unsigned char)num[0]) || num[0] == '.' || num[0] == '+'))
		return LAB_EINPUT;
	char *end = NULL;
	errno = 0;
	double v = strtod(num, &end);
	if (*end || errno || v < 0)
		return LAB_EINPUT;
	size_t sl = strlen(sfx);
	if (sl > 3)
		return LAB_EINPUT;
	char low[4] = {0};
	for (size_t i = 0; i < sl; i++)
		low[i] = (char)tolower((unsigned char)sfx[i]);
	if (sl && low[0] == 'b') {
		if (sl > 1)
			return LAB_EINPUT;
	} else if (sl) {
		static const char units[] = "kmgtp";
		const char *u = strchr(units, low[0]);
		if (!u || !low[0])
			return LAB_EINPUT;
		if ((sl == 2 && low[1] != 'b') || (sl == 3 && strcmp(low + 1, "ib") != 0))
			return LAB_EINPUT;
		for (long i = 0; i <= u - units; i++)
			v *= 1024.0;
	}
	if (v >= 9223372036854775807.0)
		return LAB_EINPUT;
	*out = (long long)v;
	return 0;
}
