#include "json_pointer.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

int lab_json_pointer_check(const char *p, struct lab_err *err)
{
	if (*p && *p != '/')
		return lab_err_set(err, LAB_EINPUT, "must be empty or start with '/'");
	for (; *p; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return lab_err_set(err, LAB_EINPUT, "'~' must be followed by '0' or '1'");
	return 0;
}

/* Token [s, end) unescaped into out (at least end - s + 1 bytes). */
static void unescape(char *out, const char *s, const char *end)
{
	while (s < end) {
		if (*s == '~' && s + 1 < end && (s[1] == '0' || s[1] == '1')) {
			*out++ = s[1] == '0' ? '~' : '/';
			s += 2;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* An array index: "0" or [1-9][0-9]*, within int. -1 when not. */
static int array_index(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 9 || (n > 1 && t[0] == '0') || strspn(t, "0123456789") != n)
		return -1;
	return atoi(t);
}

const cJSON *lab_json_pointer_get(const cJSON *doc, const char *p)
{
	if (!doc || lab_json_pointer_check(p, NULL) < 0)
		return NULL;
	char *tok = lab_xmalloc(strlen(p) + 1);
	const cJSON *v = doc;
	while (v && *p) {
		const char *start = p + 1, *end = strchr(start, '/');
		if (!end)
			end = start + strlen(start);
		unescape(tok, start, end);
		p = end;
		if (cJSON_IsObject(v)) {
			const cJSON *m = NULL;
			cJSON_ArrayForEach(m, v)
			{
				if (m->string && strcmp(m->string, tok) == 0)
					break;
			}
			v = m;
		} else if (cJSON_IsArray(v)) {
			int i = array_index(tok);
			v = i < 0 ? NULL : cJSON_GetArrayItem(v, i);
		} else {
			v = NULL;
		}
	}
	free(tok);
	return v;
}
