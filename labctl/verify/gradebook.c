/* The gradebook of labctl class verify: every student's check results in
 * one CSV, JSON or JUnit XML document (see verify.h). */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "verify.h"

int lab_gradebook_parse_format(enum lab_gradebook_format *out, const char *s)
{
	static const struct {
		const char *name;
		enum lab_gradebook_format f;
	} names[] = {{"csv", LAB_GRADEBOOK_CSV}, {"json", LAB_GRADEBOOK_JSON}, {"junit", LAB_GRADEBOOK_JUNIT}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s && strcmp(s, names[i].name) == 0) {
			*out = names[i].f;
			return 0;
		}
	return LAB_EINPUT;
}

/* One row of the gradebook, whichever way it came. */
struct row {
	const char *check, *status, *observed, *expected, *message;
	long duration_ms;
};

static size_t n_rows(const struct lab_grade *g)
{
	return g->error ? g->n_checks : g->n;
}

static struct row row_at(const struct lab_grade *g, size_t i)
{
	if (g->error)
		return (struct row){g->checks[i].id, "error", NULL, NULL, g->error, 0};
	const struct lab_verify_result *r = &g->r[i];
	return (struct row){r->check->id, lab_verify_status_name(r->status), r->observed, r->expected, r->message,
			    r->duration_ms};
}

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
static void put_csv(struct lab_buf *b, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		lab_buf_puts(b, s);
		return;
	}
	lab_buf_puts(b, "\"");
	for (const char *p = s; *p; p++)
		lab_buf_append(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
	lab_buf_puts(b, "\"");
}

static void fmt_csv(struct lab_buf *b, const struct lab_grade *g, size_t n)
{
	lab_buf_puts(b, "student,check,status,observed,expected,message\r\n");
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < n_rows(&g[s]); i++) {
			struct row r = row_at(&g[s], i);
			const char *cells[] = {g[s].student, r.check, r.status, r.observed, r.expected, r.message};
			for (size_t c = 0; c < 6; c++) {
				if (c)
					lab_buf_puts(b, ",");
				put_csv(b, cells[c]);
			}
			lab_buf_puts(b, "\r\n");
		}
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void fmt_json(struct lab_buf *b, const char *lab, const struct lab_grade *g, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "lab", lab);
	cJSON *students = cJSON_AddArrayToObject(o, "students");
	cJSON *rows = cJSON_AddArrayToObject(o, "rows");
	for (size_t s = 0; s < n; s++) {
		size_t passed = 0, failed = 0, skipped = 0;
		for (size_t i = 0; i < n_rows(&g[s]); i++) {
			struct row r = row_at(&g[s], i);
			int ok = strcmp(r.status, "passed") == 0, skip = strcmp(r.status, "skipped") == 0;
			passed += ok;
			skipped += skip;
			failed += !ok && !skip;
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "student", g[s].student);
			cJSON_AddStringToObject(x, "check", r.check);
			cJSON_AddStringToObject(x, "status", r.status);
			cJSON_AddItemToObject(x, "observed", str_or_null(r.observed));
			cJSON_AddItemToObject(x, "expected", str_or_null(r.expected));
			cJSON_AddItemToObject(x, "message", str_or_null(r.message));
			cJSON_AddItemToArray(rows, x);
		}
		cJSON *st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "student", g[s].student);
		cJSON_AddStringToObject(st, "project", g[s].project);
		cJSON_AddNumberToObject(st, "passed", (double)passed);
		cJSON_AddNumberToObject(st, "failed", (double)failed);
		cJSON_AddNumberToObject(st, "skipped", (double)skipped);
		cJSON_AddItemToObject(st, "error", str_or_null(g[s].error));
		cJSON_AddItemToArray(students, st);
	}
	char *text = cJSON_Print(o);
	lab_buf_printf(b, "%s\n", text);
	free(text);
	cJSON_Delete(o);
}

static void fmt_junit(struct lab_buf *b, const char *lab, const struct lab_grade *g, size_t n)
{
	size_t tests = 0, failures = 0, errors = 0;
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < n_rows(&g[s]); i++) {
			struct row r = row_at(&g[s], i);
			tests++;
			failures += strcmp(r.status, "failed") == 0;
			errors += strcmp(r.status, "error") == 0 || strcmp(r.status, "timeout") == 0;
		}
	lab_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	lab_verify_put_xml(b, lab);
	lab_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", tests, failures, errors);
	for (size_t s = 0; s < n; s++) {
		size_t f = 0, e = 0, k = 0, t = n_rows(&g[s]);
		long ms = 0;
		for (size_t i = 0; i < t; i++) {
			struct row r = row_at(&g[s], i);
			f += strcmp(r.status, "failed") == 0;
			k += strcmp(r.status, "skipped") == 0;
			e += strcmp(r.status, "error") == 0 || strcmp(r.status, "timeout") == 0;
			ms += r.duration_ms;
		}
		lab_buf_puts(b, "  <testsuite name=\"");
		lab_verify_put_xml(b, g[s].student);
		lab_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", t,
			       f, e, k, (double)ms / 1000.0);
		for (size_t i = 0; i < t; i++) {
			struct row r = row_at(&g[s], i);
			lab_buf_puts(b, "    <testcase classname=\"");
			lab_verify_put_xml(b, lab);
			lab_buf_puts(b, ".");
			lab_verify_put_xml(b, g[s].student);
			lab_buf_puts(b, "\" name=\"");
			lab_verify_put_xml(b, r.check);
			lab_buf_printf(b, "\" time=\"%.3f\">", (double)r.duration_ms / 1000.0);
			if (strcmp(r.status, "passed") == 0) {
				lab_buf_puts(b, "</testcase>\n");
				continue;
			}
			if (strcmp(r.status, "skipped") == 0) {
				lab_buf_puts(b, "\n      <skipped message=\"");
				lab_verify_put_xml(b, r.message ? r.message : r.status);
				lab_buf_puts(b, "\"/>\n    </testcase>\n");
				continue;
			}
			const char *tag = strcmp(r.status, "failed") == 0 ? "failure" : "error";
			lab_buf_printf(b, "\n      <%s message=\"", tag);
			lab_verify_put_xml(b, r.message ? r.message : r.status);
			lab_buf_printf(b, "\" type=\"%s\">", r.status);
			if (r.observed) {
				lab_buf_puts(b, "observed: ");
				lab_verify_put_xml(b, r.observed);
			}
			if (r.expected) {
				lab_buf_puts(b, r.observed ? "&#10;expected: " : "expected: ");
				lab_verify_put_xml(b, r.expected);
			}
			lab_buf_printf(b, "</%s>\n    </testcase>\n", tag);
		}
		lab_buf_puts(b, "  </testsuite>\n");
	}
	lab_buf_puts(b, "</testsuites>\n");
}

void lab_gradebook_format(struct lab_buf *out, enum lab_gradebook_format f, const char *lab,
			  const struct lab_grade *g, size_t n)
{
	switch (f) {
	case LAB_GRADEBOOK_CSV:
		fmt_csv(out, g, n);
		break;
	case LAB_GRADEBOOK_JSON:
		fmt_json(out, lab, g, n);
		break;
	case LAB_GRADEBOOK_JUNIT:
		fmt_junit(out, lab, g, n);
		break;
	}
}
