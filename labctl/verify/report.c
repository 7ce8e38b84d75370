/* Comparing observed values with expectations, and the report formats. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

const char *lab_verify_status_name(enum lab_verify_status s)
{
	switch (s) {
	case LAB_VERIFY_PASSED: return "passed";
	case LAB_VERIFY_FAILED: return "failed";
	case LAB_VERIFY_ERROR: return "error";
	case LAB_VERIFY_TIMEOUT: return "timeout";
	case LAB_VERIFY_SKIPPED: return "skipped";
	}
	return "error";
}

static char *trimmed(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return lab_xstrndup(s, len);
}

char *lab_verify_hash(const char *key, const char *value)
{
	char hex[65];
	char *t = trimmed(value ? value : "");
	lab_hmac_sha256_hex(hex, key ? key : "", t, strlen(t));
	free(t);
	return lab_xasprintf("hmac-sha256:%s", hex);
}

static int number(const char *s, double *v)
{
	char *end = NULL;
	if (!*s)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	return !*end && !errno && isfinite(*v);
}

static void fmt_num(struct lab_buf *b, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		lab_buf_printf(b, "%.0f", v);
	else
		lab_buf_printf(b, "%g", v);
}

int lab_verify_compare(const struct lab_expect *want, const char *observed, const char *key, char **expected)
{
	struct lab_buf b = LAB_BUF_INIT;
	char *obs = trimmed(observed ? observed : "");
	int ok = 1;
	double o = 0;
	int onum = number(obs, &o);
	lab_buf_puts(&b, "");
	if (want->equals_hash) {
		char *h = lab_verify_hash(key, obs);
		ok &= strcmp(h, want->equals_hash) == 0;
		free(h);
		lab_buf_puts(&b, "<hidden>");
	}
	if (want->equals) {
		char *w = trimmed(want->equals);
		double x;
		int eq;
		if (onum && number(w, &x))
			eq = o == x;
		else
			eq = strcmp(obs, w) == 0 || (strcmp(obs, "t") == 0 && strcmp(w, "true") == 0) ||
			     (strcmp(obs, "f") == 0 && strcmp(w, "false") == 0);
		ok &= eq;
		lab_buf_printf(&b, "%s%s", b.len ? " and " : "", w);
		free(w);
	}
	if (want->has_min) {
		ok &= onum && o >= want->min;
		lab_buf_printf(&b, "%s>= ", b.len ? " and " : "");
		fmt_num(&b, want->min);
	}
	if (want->has_max) {
		ok &= onum && o <= want->max;
		lab_buf_printf(&b, "%s<= ", b.len ? " and " : "");
		fmt_num(&b, want->max);
	}
	free(obs);
	if (expected)
		*expected = lab_buf_detach(&b);
	lab_buf_release(&b);
	return ok;
}

int lab_verify_parse_format(enum lab_verify_format *out, const char *s)
{
	static const char *const names[] = {"human", "json", "tap", "junit"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum lab_verify_format)i;
			return 0;
		}
	return LAB_EINPUT;
}

size_t lab_verify_failures(const struct lab_verify_result *r, size_t n)
{
	size_t f = 0;
	for (size_t i = 0; i < n; i++)
		f += r[i].status != LAB_VERIFY_PASSED && r[i].status != LAB_VERIFY_SKIPPED;
	return f;
}

size_t lab_verify_skipped(const struct lab_verify_result *r, size_t n)
{
	size_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += r[i].status == LAB_VERIFY_SKIPPED;
	return s;
}

/* Passed: neither a failure nor skipped. */
static size_t passed_of(const struct lab_verify_result *r, size_t n)
{
	return n - lab_verify_failures(r, n) - lab_verify_skipped(r, n);
}

static const char *desc(const struct lab_verify_result *r)
{
	return r->check->description ? r->check->description : r->check->id;
}

/* JSON / YAML double-quoted string (YAML accepts JSON strings). */
static void put_json_str(struct lab_buf *b, const char *s)
{
	if (!s) {
		lab_buf_puts(b, "null");
		return;
	}
	lab_buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': lab_buf_puts(b, "\\\""); break;
		case '\\': lab_buf_puts(b, "\\\\"); break;
		case '\n': lab_buf_puts(b, "\\n"); break;
		case '\r': lab_buf_puts(b, "\\r"); break;
		case '\t': lab_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				lab_buf_printf(b, "\\u%04x", *p);
			else
				lab_buf_append(b, p, 1);
		}
	}
	lab_buf_puts(b, "\"");
}

void lab_verify_put_xml(struct lab_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': lab_buf_puts(b, "&amp;"); break;
		case '<': lab_buf_puts(b, "&lt;"); break;
		case '>': lab_buf_puts(b, "&gt;"); break;
		case '"': lab_buf_puts(b, "&quot;"); break;
		case '\'': lab_buf_puts(b, "&apos;"); break;
		case '\n': lab_buf_puts(b, "&#10;"); break;
		case '\t': lab_buf_puts(b, "&#9;"); break;
		default:
			if (*p >= 0x20 && *p != 0x7f)
				lab_buf_append(b, p, 1);
		}
	}
}

/* One line: newlines in observed values become spaces (human format). */
static void put_line(struct lab_buf *b, const char *s, size_t max)
{
	size_t i = 0;
	for (; s && s[i] && i < max; i++)
		lab_buf_append(b, s[i] == '\n' || s[i] == '\r' ? " " : &s[i], 1);
	if (s && s[i])
		lab_buf_puts(b, "...");
}

static void fmt_human(struct lab_buf *b, const struct lab_verify_result *r, size_t n, int utf8)
{
	for (size_t i = 0; i < n; i++) {
		const struct lab_verify_result *x = &r[i];
		int ok = x->status == LAB_VERIFY_PASSED;
		const char *mark = utf8 ? (ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97") : (ok ? "PASS" : "FAIL");
		if (x->status == LAB_VERIFY_SKIPPED)
			mark = utf8 ? "-" : "SKIP";
		lab_buf_printf(b, "%s %s  %s", mark, x->check->id, desc(x));
		if (x->status == LAB_VERIFY_SKIPPED) {
			/* why, on the same line; a skip is not work left to do: no hint */
			lab_buf_puts(b, " (skipped");
			if (x->message) {
				lab_buf_puts(b, ": ");
				put_line(b, x->message, 300);
			}
			lab_buf_puts(b, ")\n");
			continue;
		}
		if (x->status == LAB_VERIFY_TIMEOUT)
			lab_buf_printf(b, " (timed out after %.1fs)", (double)x->check->timeout_ms / 1000.0);
		else if (x->status == LAB_VERIFY_ERROR)
			lab_buf_puts(b, " (error)");
		lab_buf_puts(b, "\n");
		if (ok)
			continue;
		if (x->message) {
			lab_buf_puts(b, "    ");
			put_line(b, x->message, 300);
			lab_buf_puts(b, "\n");
		}
		if (x->check->hint)
			lab_buf_printf(b, "    hint: %s\n", x->check->hint);
	}
	lab_buf_printf(b, "%zu passed, %zu failed", passed_of(r, n), lab_verify_failures(r, n));
	if (lab_verify_skipped(r, n))
		lab_buf_printf(b, ", %zu skipped", lab_verify_skipped(r, n));
	lab_buf_puts(b, "\n");
}

static void fmt_json(struct lab_buf *b, const struct lab_verify_result *r, size_t n, const char *name,
		     const char *student)
{
	lab_buf_puts(b, "{\"lab\": ");
	put_json_str(b, name);
	lab_buf_puts(b, ", \"student\": ");
	put_json_str(b, student && *student ? student : NULL);
	lab_buf_printf(b, ", \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, \"checks\": [", passed_of(r, n),
		       lab_verify_failures(r, n), lab_verify_skipped(r, n));
	for (size_t i = 0; i < n; i++) {
		const struct lab_verify_result *x = &r[i];
		lab_buf_puts(b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
		put_json_str(b, x->check->id);
		lab_buf_puts(b, ", \"description\": ");
		put_json_str(b, desc(x));
		lab_buf_printf(b, ", \"status\": \"%s\", \"observed\": ", lab_verify_status_name(x->status));
		put_json_str(b, x->observed);
		lab_buf_puts(b, ", \"expected\": ");
		put_json_str(b, x->expected);
		lab_buf_printf(b, ", \"duration_ms\": %ld, \"hint\": ", x->duration_ms);
		put_json_str(b, x->check->hint);
		lab_buf_puts(b, ", \"message\": ");
		put_json_str(b, x->message);
		lab_buf_puts(b, "}");
	}
	lab_buf_puts(b, n ? "\n]}\n" : "]}\n");
}

static void fmt_tap(struct lab_buf *b, const struct lab_verify_result *r, size_t n)
{
	lab_buf_printf(b, "TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct lab_verify_result *x = &r[i];
		int ok = x->status == LAB_VERIFY_PASSED || x->status == LAB_VERIFY_SKIPPED;
		lab_buf_printf(b, "%sok %zu - %s: ", ok ? "" : "not ", i + 1, x->check->id);
		put_line(b, desc(x), 200);
		if (x->status == LAB_VERIFY_SKIPPED) { /* TAP 13: "# SKIP reason" */
			lab_buf_puts(b, " # SKIP ");
			put_line(b, x->message ? x->message : "skipped", 200);
		}
		lab_buf_puts(b, "\n");
		if (ok)
			continue;
		lab_buf_printf(b, "  ---\n  status: %s\n  message: ", lab_verify_status_name(x->status));
		put_json_str(b, x->message);
		lab_buf_puts(b, "\n  observed: ");
		put_json_str(b, x->observed);
		lab_buf_puts(b, "\n  expected: ");
		put_json_str(b, x->expected);
		lab_buf_puts(b, "\n  hint: ");
		put_json_str(b, x->check->hint);
		lab_buf_printf(b, "\n  duration_ms: %ld\n  ...\n", x->duration_ms);
	}
}

static void fmt_junit(struct lab_buf *b, const struct lab_verify_result *r, size_t n, const char *name)
{
	size_t failures = 0, errors = 0, skipped = lab_verify_skipped(r, n);
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		failures += r[i].status == LAB_VERIFY_FAILED;
		errors += r[i].status == LAB_VERIFY_ERROR || r[i].status == LAB_VERIFY_TIMEOUT;
		total += r[i].duration_ms;
	}
	lab_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"labctl verify\"");
	lab_buf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", n, failures, errors,
		       (double)total / 1000.0);
	lab_buf_puts(b, "  <testsuite name=\"");
	lab_verify_put_xml(b, name);
	lab_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", n,
		       failures, errors, skipped, (double)total / 1000.0);
	for (size_t i = 0; i < n; i++) {
		const struct lab_verify_result *x = &r[i];
		lab_buf_puts(b, "    <testcase classname=\"");
		lab_verify_put_xml(b, name);
		lab_buf_puts(b, "\" name=\"");
		lab_verify_put_xml(b, x->check->id);
		lab_buf_printf(b, "\" time=\"%.3f\">", (double)x->duration_ms / 1000.0);
		if (x->status == LAB_VERIFY_PASSED) {
			lab_buf_puts(b, "</testcase>\n");
			continue;
		}
		if (x->status == LAB_VERIFY_SKIPPED) {
			lab_buf_puts(b, "\n      <skipped message=\"");
			lab_verify_put_xml(b, x->message ? x->message : "skipped");
			lab_buf_puts(b, "\"/>\n    </testcase>\n");
			continue;
		}
		const char *tag = x->status == LAB_VERIFY_FAILED ? "failure" : "error";
		lab_buf_printf(b, "\n      <%s message=\"", tag);
		lab_verify_put_xml(b, x->message ? x->message : lab_verify_status_name(x->status));
		lab_buf_printf(b, "\" type=\"%s\">", lab_verify_status_name(x->status));
		lab_buf_puts(b, "description: ");
		lab_verify_put_xml(b, desc(x));
		if (x->observed) {
			lab_buf_puts(b, "&#10;observed: ");
			lab_verify_put_xml(b, x->observed);
		}
		if (x->expected) {
			lab_buf_puts(b, "&#10;expected: ");
			lab_verify_put_xml(b, x->expected);
		}
		if (x->check->hint) {
			lab_buf_puts(b, "&#10;hint: ");
			lab_verify_put_xml(b, x->check->hint);
		}
		lab_buf_printf(b, "</%s>\n    </testcase>\n", tag);
	}
	lab_buf_puts(b, "  </testsuite>\n</testsuites>\n");
}

void lab_verify_format(struct lab_buf *out, enum lab_verify_format f, const struct lab_verify_result *r,
		       size_t n, const char *name, const char *student, int utf8)
{
	switch (f) {
	case LAB_VERIFY_HUMAN: fmt_human(out, r, n, utf8); break;
	case LAB_VERIFY_JSON: fmt_json(out, r, n, name, student); break;
	case LAB_VERIFY_TAP: fmt_tap(out, r, n); break;
	case LAB_VERIFY_JUNIT: fmt_junit(out, r, n, name); break;
	}
}
