/* lab_dockerfile_bases: the FROM images of a Dockerfile. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile.h"

/* One logical line: the instruction's physical lines joined, continuations
 * removed. */
struct logical {
	struct lab_buf text;
	int line; /* its first physical line, 1-based */
};

static int blank_or_comment(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '#';
}

/* `# escape=X` among the parser directives at the very top. */
static char escape_char(const char *text)
{
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t i = 0;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n || p[i] != '#')
			break; /* directives end at the first non-comment line */
		i++;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (n - i >= 7 && strncasecmp(p + i, "escape", 6) == 0) {
			size_t j = i + 6;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < n && p[j] == '=') {
				j++;
				while (j < n && (p[j] == ' ' || p[j] == '\t'))
					j++;
				if (j < n && (p[j] == '`' || p[j] == '\\'))
					return p[j];
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	return '\\';
}

/* Expand $NAME, ${NAME}, ${NAME:-w}, ${NAME:+w} from vars ("NAME=VALUE"). */
static int expand(struct lab_buf *out, const char *s, const struct lab_strv *vars)
{
	for (const char *p = s; *p;) {
		if (*p != '$' || !(p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
			lab_buf_append(out, p++, 1);
			continue;
		}
		p++;
		int braced = *p == '{';
		if (braced)
			p++;
		const char *name = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		char *key = lab_xstrndup(name, (size_t)(p - name));
		const char *val = lab_strv_value(vars, key);
		free(key);
		if (!braced) {
			if (val)
				lab_buf_puts(out, val);
			continue;
		}
		char op = 0;
		const char *word = p;
		if (p[0] == ':' && (p[1] == '-' || p[1] == '+')) {
			op = p[1];
			word = p + 2;
		}
		const char *close = strchr(word, '}');
		if (!close)
			return -1;
		if (op == '-' && (!val || !*val))
			lab_buf_append(out, word, (size_t)(close - word));
		else if (op == '+' && val && *val)
			lab_buf_append(out, word, (size_t)(close - word));
		else if (op == 0 && val)
			lab_buf_puts(out, val);
		p = close + 1;
	}
	return 0;
}

/* The next whitespace-separated word of *p (NULL at the end). */
static char *word(const char **p)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	const char *b = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	*p = s;
	return lab_xstrndup(b, (size_t)(s - b));
}

static char *unquote(const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		return lab_xstrndup(v + 1, n - 2);
	return lab_xstrdup(v);
}

/* ARG a=1 b "c=2": the declarations of one line, before the first FROM. */
static void declare_args(struct lab_strv *vars, const char *rest, const struct lab_strv *args)
{
	char *w;
	while ((w = word(&rest))) {
		char *eq = strchr(w, '=');
		char *name = eq ? lab_xstrndup(w, (size_t)(eq - w)) : lab_xstrdup(w);
		const char *given = args ? lab_strv_value(args, name) : NULL;
		char *val = given ? lab_xstrdup(given) : eq ? unquote(eq + 1) : NULL;
		long at = lab_strv_find_key(vars, name);
		if (val) {
			char *kv = lab_xasprintf("%s=%s", name, val);
			if (at >= 0) {
				free(vars->v[at]);
				vars->v[at] = kv;
			} else {
				lab_strv_take(vars, kv);
			}
		}
		free(name);
		free(val);
		free(w);
	}
}

int lab_dockerfile_bases(struct lab_strv *out, const char *text, const struct lab_strv *args, struct lab_err *err)
{
	char esc = escape_char(text);
	struct lab_strv vars = LAB_STRV_INIT, stages = LAB_STRV_INIT;
	struct logical cur = {LAB_BUF_INIT, 0};
	int seen_from = 0, rc = 0, lineno = 0, cont = 0;
	const char *p = text;
	while (rc == 0 && (*p || cont)) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		lineno++;
		int last = !end;
		if (cont && blank_or_comment(p, n) && !last) {
			p = end + 1;
			continue;
		}
		if (!cont && blank_or_comment(p, n)) {
			if (last)
				break;
			p = end + 1;
			continue;
		}
		if (!cont)
			cur.line = lineno;
		/* strip trailing blanks; a final escape character continues */
		size_t k = n;
		while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
			k--;
		cont = k > 0 && p[k - 1] == esc;
		lab_buf_append(&cur.text, p, cont ? k - 1 : k);
		if (cont && !last) {
			lab_buf_puts(&cur.text, " ");
			p = end + 1;
			continue;
		}
		cont = 0;
		/* one logical line */
		const char *s = lab_buf_cstr(&cur.text);
		char *ins = word(&s);
		if (ins && strcasecmp(ins, "ARG") == 0 && !seen_from) {
			declare_args(&vars, s, args);
		} else if (ins && strcasecmp(ins, "FROM") == 0) {
			seen_from = 1;
			char *w;
			while ((w = word(&s)) && strncmp(w, "--", 2) == 0)
				free(w);
			if (!w) {
				rc = lab_err_set(err, LAB_EINPUT, "line %d: FROM without an image", cur.line);
			} else {
				struct lab_buf img = LAB_BUF_INIT;
				if (expand(&img, w, &vars) < 0) {
					rc = lab_err_set(err, LAB_EINPUT, "line %d: a variable reference is not closed",
							 cur.line);
				} else {
					const char *name = lab_buf_cstr(&img);
					int stage = 0;
					for (size_t i = 0; i < stages.n && !stage; i++)
						stage = strcasecmp(stages.v[i], name) == 0;
					if (*name && !stage && strcasecmp(name, "scratch") != 0 && lab_strv_find(out, name) < 0)
						lab_strv_push(out, name);
				}
				lab_buf_release(&img);
				char *as = word(&s), *alias = as ? word(&s) : NULL;
				if (as && alias && strcasecmp(as, "AS") == 0)
					lab_strv_push(&stages, alias);
				free(as);
				free(alias);
				free(w);
			}
		}
		free(ins);
		lab_buf_reset(&cur.text);
		if (last)
			break;
		p = end + 1;
	}
	lab_buf_release(&cur.text);
	lab_strv_free(&vars);
	lab_strv_free(&stages);
	return rc;
}
