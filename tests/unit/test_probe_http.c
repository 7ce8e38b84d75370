/* The http probe's json: match. Tables: RFC 6901 pointers into a cJSON
 * document; x-ready http json: lab files -> the exact file:line:col
 * message; and the probe run for real (its descriptor's run) against an
 * HTTP server on 127.0.0.1 in a thread of this test, bodies -> ready or
 * the reason it is not. */

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/probe/probe.h"
#include "../../labctl/util/json_pointer.h"
#include "probe_fixture.h"

/* ---- RFC 6901 ---- */

/* RFC 6901 section 5's document, and more. */
static const char *const tp_doc =
	"{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3, \"g|h\": 4,"
	" \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8,"
	" \"~1\": \"tilde-one\", \"nest\": {\"arr\": [10, {\"x\": [true, null]}], \"dup\": 1, \"dup\": 2}}";

static const struct {
	const char *pointer;
	const char *want; /* the value printed unformatted, NULL: none */
} tp_pointers[] = {
	/* RFC 6901 section 5 */
	{"", NULL /* the whole document: checked below */},
	{"/foo", "[\"bar\",\"baz\"]"},
	{"/foo/0", "\"bar\""},
	{"/", "0"},
	{"/a~1b", "1"},
	{"/c%d", "2"},
	{"/e^f", "3"},
	{"/g|h", "4"},
	{"/i\\j", "5"},
	{"/k\"l", "6"},
	{"/ ", "7"},
	{"/m~0n", "8"},
	/* ~01 is "~1" (unescape ~1 first would give "~/"... not what RFC says) */
	{"/~01", "\"tilde-one\""},
	/* arrays: indexes, nesting */
	{"/foo/1", "\"baz\""},
	{"/nest/arr/1/x/0", "true"},
	{"/nest/arr/1/x/1", "null"},
	{"/nest/dup", "1"},
	/* nothing there */
	{"/foo/2", NULL},
	{"/foo/-", NULL},
	{"/foo/01", NULL},
	{"/foo/+1", NULL},
	{"/foo/x", NULL},
	{"/foo/0/x", NULL},
	{"/nope", NULL},
	{"/a~1b/c", NULL},
	{"/m~n", NULL},
	{"/FOO", NULL},
	/* not a pointer */
	{"foo", NULL},
	{"/a~2", NULL},
};

Test(json_pointer, rfc6901_table)
{
	cJSON *doc = cJSON_Parse(tp_doc);
	cr_assert(doc);
	cr_expect_eq(lab_json_pointer_get(doc, ""), doc, "'' is the whole document");
	for (size_t i = 1; i < sizeof(tp_pointers) / sizeof(tp_pointers[0]); i++) {
		const cJSON *v = lab_json_pointer_get(doc, tp_pointers[i].pointer);
		if (!tp_pointers[i].want) {
			cr_expect_null(v, "'%s' finds nothing", tp_pointers[i].pointer);
			continue;
		}
		cr_assert(v, "'%s' finds %s", tp_pointers[i].pointer, tp_pointers[i].want);
		char *got = cJSON_PrintUnformatted(v);
		cr_expect_str_eq(got, tp_pointers[i].want, "'%s'", tp_pointers[i].pointer);
		free(got);
	}
	cr_expect_null(lab_json_pointer_get(NULL, "/foo"));
	cJSON_Delete(doc);
}

Test(json_pointer, syntax_table)
{
	static const struct {
		const char *pointer;
		const char *want; /* NULL: valid */
	} t[] = {
		{"", NULL},
		{"/", NULL},
		{"/a/b/0", NULL},
		{"/~0~1", NULL},
		{"a", "must be empty or start with '/'"},
		{"#/a", "must be empty or start with '/'"},
		{"/a~", "'~' must be followed by '0' or '1'"},
		{"/a~2", "'~' must be followed by '0' or '1'"},
		{"/~~0", "'~' must be followed by '0' or '1'"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct lab_err err = {0};
		int rc = lab_json_pointer_check(t[i].pointer, &err);
		if (!t[i].want) {
			cr_expect_eq(rc, 0, "'%s': %s", t[i].pointer, err.msg);
		} else {
			cr_expect_eq(rc, LAB_EINPUT, "'%s'", t[i].pointer);
			cr_expect_str_eq(err.msg, t[i].want, "'%s'", t[i].pointer);
		}
	}
}

/* ---- lab files in a temporary directory ---- */

static char tp_dir[PATH_MAX];

static void tp_setup(void)
{
	fx_tmpdir_enter(tp_dir, "probetest");
}

static void tp_teardown(void)
{
	fx_tmpdir_leave(tp_dir);
}

/* Load a lab whose one service w has x-ready http with the lines given
 * (indented under http:, e.g. "port: 8080"). */
static int tp_load(struct lab **lab, const char *http_lines, struct lab_err *err)
{
	FILE *f = fopen("lab.yml", "w");
	cr_assert(f);
	fprintf(f, "services:\n  w:\n    image: x\n    x-ready:\n      http:\n%s", http_lines);
	fclose(f);
	memset(err, 0, sizeof(*err));
	*lab = NULL;
	return lab_load(lab, "lab.yml", NULL, err);
}

/* ---- parse errors: file:line:col ---- */

static const struct {
	const char *lines;
	const char *want;
} tp_errors[] = {
	{"        port: 8080\n        json: /status\n", "lab.yml:7:15: expected a mapping for 'json'"},
	{"        port: 8080\n        json: {equals: UP}\n", "lab.yml:7:15: missing 'pointer' for 'json'"},
	{"        port: 8080\n        json: {pointer: status}\n",
	 "lab.yml:7:25: invalid JSON pointer 'status' for 'pointer': must be empty or start with '/'"},
	{"        port: 8080\n        json: {pointer: /a~2}\n",
	 "lab.yml:7:25: invalid JSON pointer '/a~2' for 'pointer': '~' must be followed by '0' or '1'"},
	{"        port: 8080\n        json: {pointer: /a~}\n",
	 "lab.yml:7:25: invalid JSON pointer '/a~' for 'pointer': '~' must be followed by '0' or '1'"},
	{"        port: 8080\n        json: {pointer: [a]}\n", "lab.yml:7:25: expected a string for 'pointer'"},
	{"        port: 8080\n        json: {pointer: /s, equal: UP}\n",
	 "lab.yml:7:29: unknown key 'equal' (did you mean 'equals'?)"},
	{"        port: 8080\n        json: {pointer: /s, equals: [UP]}\n",
	 "lab.yml:7:37: expected a string, number or boolean for 'equals'"},
	{"        port: 8080\n        json: {pointer: /s, equals: {a: 1}}\n",
	 "lab.yml:7:37: expected a string, number or boolean for 'equals'"},
	{"        port: 8080\n        jsn: {pointer: /s}\n", "lab.yml:7:9: unknown key 'jsn' (did you mean 'json'?)"},
	{"        json: {pointer: /s}\n", "lab.yml:6:9: missing 'port' for 'http'"},
	/* several at once, sorted by position */
	{"        port: 8080\n        json:\n          pointer: x\n          equals: [1]\n",
	 "lab.yml:8:20: invalid JSON pointer 'x' for 'pointer': must be empty or start with '/'\n"
	 "lab.yml:9:19: expected a string, number or boolean for 'equals'"},
};

Test(probe_http, json_parse_errors_table, .init = tp_setup, .fini = tp_teardown)
{
	for (size_t i = 0; i < sizeof(tp_errors) / sizeof(tp_errors[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		int rc = tp_load(&lab, tp_errors[i].lines, &err);
		cr_expect_eq(rc, LAB_EINPUT, "case %zu: rc %d", i, rc);
		cr_expect_null(lab, "case %zu", i);
		cr_expect_str_eq(err.msg, tp_errors[i].want, "case %zu:\n%s\ngot:\n%s", i, tp_errors[i].lines, err.msg);
		lab_free(lab);
	}
}

/* ---- the probe against a real HTTP server ---- */

static struct fx_http tp_srv;

static void tp_server_start(void)
{
	tp_setup();
	fx_http_start(&tp_srv);
}

static void tp_server_stop(void)
{
	fx_http_stop(&tp_srv);
	tp_teardown();
}

static const struct {
	int status;          /* the server's */
	const char *body;    /* the server's */
	const char *json;    /* the json: value under http (flow YAML), NULL: none */
	const char *want;    /* NULL: ready; else the reason, "@URL@" the probe's URL */
} tp_runs[] = {
	/* strings */
	{200, "{\"status\": \"UP\"}", "{pointer: /status, equals: UP}", NULL},
	{200, "{\"status\": \"DOWN\"}", "{pointer: /status, equals: UP}", "GET @URL@: '/status' is \"DOWN\", want \"UP\""},
	{200, "{\"status\": \"up\"}", "{pointer: /status, equals: UP}", "GET @URL@: '/status' is \"up\", want \"UP\""},
	{200, "{\"v\": \"3\"}", "{pointer: /v, equals: \"3\"}", NULL},
	{200, "{\"v\": 3}", "{pointer: /v, equals: \"3\"}", "GET @URL@: '/v' is 3, want \"3\""},
	{200, "{\"v\": \"a \\\"b\\\"\"}", "{pointer: /v, equals: 'a \"b\"'}", NULL},
	/* numbers */
	{200, "{\"n\": 3}", "{pointer: /n, equals: 3}", NULL},
	{200, "{\"n\": 3.0}", "{pointer: /n, equals: 3}", NULL},
	{200, "{\"n\": -1.5e2}", "{pointer: /n, equals: -150}", NULL},
	{200, "{\"n\": 0.25}", "{pointer: /n, equals: .25}", NULL},
	{200, "{\"n\": 4}", "{pointer: /n, equals: 3}", "GET @URL@: '/n' is 4, want 3"},
	{200, "{\"n\": \"3\"}", "{pointer: /n, equals: 3}", "GET @URL@: '/n' is \"3\", want 3"},
	{200, "{\"n\": 3.5}", "{pointer: /n, equals: 3}", "GET @URL@: '/n' is 3.5, want 3"},
	{200, "{\"n\": 0.1}", "{pointer: /n, equals: 0.2}", "GET @URL@: '/n' is 0.1, want 0.2"},
	{200, "{\"n\": 1e3}", "{pointer: /n, equals: 1000.0}", NULL},
	/* booleans and null */
	{200, "{\"ok\": true}", "{pointer: /ok, equals: true}", NULL},
	{200, "{\"ok\": true}", "{pointer: /ok, equals: True}", NULL},
	{200, "{\"ok\": false}", "{pointer: /ok, equals: false}", NULL},
	{200, "{\"ok\": false}", "{pointer: /ok, equals: true}", "GET @URL@: '/ok' is false, want true"},
	{200, "{\"ok\": \"true\"}", "{pointer: /ok, equals: true}", "GET @URL@: '/ok' is \"true\", want true"},
	{200, "{\"ok\": true}", "{pointer: /ok, equals: \"true\"}", "GET @URL@: '/ok' is true, want \"true\""},
	{200, "{\"ok\": 1}", "{pointer: /ok, equals: true}", "GET @URL@: '/ok' is 1, want true"},
	{200, "{\"ok\": \"false\"}", "{pointer: /ok, equals: false}", "GET @URL@: '/ok' is \"false\", want false"},
	{200, "{\"ok\": null}", "{pointer: /ok, equals: false}", "GET @URL@: '/ok' is null, want false"},
	{200, "{\"ok\": 0}", "{pointer: /ok, equals: false}", "GET @URL@: '/ok' is 0, want false"},
	{200, "{\"x\": null}", "{pointer: /x, equals: null}", NULL},
	{200, "{\"x\": null}", "{pointer: /x, equals: ~}", NULL},
	{200, "{\"x\": \"null\"}", "{pointer: /x, equals: null}", "GET @URL@: '/x' is \"null\", want null"},
	/* pointers: escapes, array indexes, the whole document */
	{200, "{\"a/b\": {\"m~n\": [10, {\"s\": \"ok\"}]}}", "{pointer: /a~1b/m~0n/1/s, equals: ok}", NULL},
	{200, "{\"checks\": [{\"ok\": true}]}", "{pointer: /checks/0/ok, equals: true}", NULL},
	{200, "{\"checks\": [{\"ok\": true}]}", "{pointer: /checks/1/ok, equals: true}",
	 "GET @URL@: no value at '/checks/1/ok' in the body"},
	{200, "\"UP\"", "{pointer: \"\", equals: UP}", NULL},
	/* without equals: the value only has to be there */
	{200, "{\"status\": {\"deep\": 1}}", "{pointer: /status}", NULL},
	{200, "{}", "{pointer: /status}", "GET @URL@: no value at '/status' in the body"},
	/* the status first, then the body */
	{503, "{\"status\": \"UP\"}", "{pointer: /status, equals: UP}", "GET @URL@: status 503, want 200"},
	{200, "<html>ok</html>", "{pointer: /status, equals: UP}", "GET @URL@: the body is not JSON"},
	{200, "", "{pointer: /status, equals: UP}", "GET @URL@: the body is not JSON"},
	/* without json: the body is not read */
	{200, "<html>ok</html>", NULL, NULL},
};

Test(probe_http, json_run_table, .init = tp_server_start, .fini = tp_server_stop)
{
	char inspect[256], url[64];
	snprintf(inspect, sizeof(inspect),
		 "{\"NetworkSettings\": {\"Ports\": {\"8080/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"%d\"}]}}}",
		 tp_srv.port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", tp_srv.port);
	cJSON *in = cJSON_Parse(inspect);
	struct lab_probe_target t = {NULL, "none", in, NULL};
	for (size_t i = 0; i < sizeof(tp_runs) / sizeof(tp_runs[0]); i++) {
		char lines[512];
		struct lab *lab;
		struct lab_err err;
		snprintf(lines, sizeof(lines), "        port: 8080\n        path: /health\n%s%s%s",
			 tp_runs[i].json ? "        json: " : "", tp_runs[i].json ? tp_runs[i].json : "",
			 tp_runs[i].json ? "\n" : "");
		int rc = tp_load(&lab, lines, &err);
		cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
		const struct lab_probe *p = lab_ready_find(&lab->services[0].ready, "http");
		cr_assert(p, "case %zu", i);
		fx_http_answer(&tp_srv, tp_runs[i].status, tp_runs[i].body);
		struct lab_err why = {0};
		rc = lab_probe_run_all(&lab->services[0].ready, &t, &why);
		if (!tp_runs[i].want) {
			cr_expect_eq(rc, 0, "case %zu (%s on %s): %s", i, tp_runs[i].json, tp_runs[i].body, why.msg);
		} else {
			char want[512];
			const char *at = strstr(tp_runs[i].want, "@URL@");
			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - tp_runs[i].want), tp_runs[i].want, url, at + 5);
			cr_expect_eq(rc, LAB_ERR, "case %zu: not yet is LAB_ERR, got %d", i, rc);
			cr_expect_str_eq(why.msg, want, "case %zu", i);
		}
		lab_free(lab);
	}
	cJSON_Delete(in);
}
