/* Unit tests of labctl/verify and the params of labctl/lab/checks.c:
 * tables of input -> expected, no engine. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/verify/verify.h"

Test(verify_hash, rfc4231_and_trimming)
{
	char hex[65];
	lab_hmac_sha256_hex(hex, "Jefe", "what do ya want for nothing?", 28); /* RFC 4231 test case 2 */
	cr_expect_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	char *a = lab_verify_hash("k", "  42\n"), *b = lab_verify_hash("k", "42"), *c = lab_verify_hash("j", "42");
	cr_expect_str_eq(a, b, "surrounding whitespace is not part of the answer");
	cr_expect_str_neq(b, c, "the key matters");
	cr_expect(strncmp(a, "hmac-sha256:", 12) == 0 && strlen(a) == 76);
	free(a);
	free(b);
	free(c);
}

Test(verify_compare, table)
{
	char *h42 = lab_verify_hash("key", "42");
	struct {
		struct lab_expect want;
		const char *observed;
		int ok;
		const char *expected;
	} t[] = {
		{{.equals = "42"}, "42", 1, "42"},
		{{.equals = "42"}, " 42\n", 1, "42"},
		{{.equals = "42"}, "42.0", 1, "42"},
		{{.equals = "42"}, "43", 0, "42"},
		{{.equals = "abc"}, "abc", 1, "abc"},
		{{.equals = "abc"}, "abd", 0, "abc"},
		{{.equals = "true"}, "t", 1, "true"},
		{{.equals = "false"}, "t", 0, "false"},
		{{.has_min = 1, .min = 20000}, "20000", 1, ">= 20000"},
		{{.has_min = 1, .min = 20000}, "19999", 0, ">= 20000"},
		{{.has_min = 1, .min = 1}, "", 0, ">= 1"},
		{{.has_min = 1, .min = 1}, "many", 0, ">= 1"},
		{{.has_max = 1, .max = 0.5}, "0.25", 1, "<= 0.5"},
		{{.has_min = 1, .min = 3, .has_max = 1, .max = 9}, "10", 0, ">= 3 and <= 9"},
		{{.equals_hash = h42}, "42", 1, "<hidden>"},
		{{.equals_hash = h42}, "41", 0, "<hidden>"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *exp = NULL;
		int ok = lab_verify_compare(&t[i].want, t[i].observed, "key", &exp);
		cr_expect_eq(ok, t[i].ok, "case %zu: '%s'", i, t[i].observed);
		cr_expect_str_eq(exp, t[i].expected, "case %zu", i);
		free(exp);
	}
	free(h42);
}

Test(verify_params, deterministic_per_student)
{
	struct lab_param pick = {.name = "topic", .kind = LAB_PARAM_PICK};
	lab_strv_push(&pick.pick, "orders");
	lab_strv_push(&pick.pick, "payments");
	lab_strv_push(&pick.pick, "clicks");
	struct lab_param range = {.name = "threshold", .kind = LAB_PARAM_RANGE, .lo = 100, .hi = 200};
	struct lab_param hex = {.name = "suffix", .kind = LAB_PARAM_HEX, .hex_len = 6};
	struct lab_param *ps[] = {&pick, &range, &hex};
	int differ = 0;
	for (size_t i = 0; i < 3; i++) {
		char *a1 = lab_param_value(ps[i], "seed", "alice"), *a2 = lab_param_value(ps[i], "seed", "alice");
		char *b = lab_param_value(ps[i], "seed", "bob"), *s = lab_param_value(ps[i], "other-seed", "alice");
		cr_expect_str_eq(a1, a2, "same student, same %s", ps[i]->name);
		differ += strcmp(a1, b) != 0;
		if (ps[i] == &range) {
			long v = atol(a1);
			cr_expect(v >= 100 && v <= 200, "range: %s", a1);
		} else if (ps[i] == &hex) {
			cr_expect_eq(strlen(a1), 6);
			cr_expect_str_neq(a1, s, "the seed matters");
			cr_expect_str_neq(a1, b, "different students, different suffix");
		} else {
			cr_expect(lab_strv_find(&pick.pick, a1) >= 0, "pick: %s", a1);
		}
		free(a1);
		free(a2);
		free(b);
		free(s);
	}
	cr_expect(differ >= 1);
	/* over many students every choice comes up */
	int seen[3] = {0};
	for (int i = 0; i < 60; i++) {
		char st[16];
		snprintf(st, sizeof(st), "s%d", i);
		char *v = lab_param_value(&pick, "seed", st);
		seen[lab_strv_find(&pick.pick, v)]++;
		free(v);
	}
	cr_expect(seen[0] && seen[1] && seen[2]);
	lab_strv_free(&pick.pick);
}

Test(verify_format, junit_tap_json_human)
{
	struct lab_check c1 = {.id = "a", .description = "x < y & \"z\"", .hint = "do <it>"};
	struct lab_check c2 = {.id = "b", .timeout_ms = 2000};
	struct lab_check c3 = {.id = "c"};
	struct lab_verify_result r[] = {
		{&c1, LAB_VERIFY_FAILED, "1", "2", "the result is '1', want 2", 12},
		{&c2, LAB_VERIFY_TIMEOUT, NULL, NULL, "no answer within 2.0s", 2000},
		{&c3, LAB_VERIFY_PASSED, "ok", "ok", NULL, 1},
	};
	struct lab_buf b = LAB_BUF_INIT;
	lab_verify_format(&b, LAB_VERIFY_JUNIT, r, 3, "lab", NULL, 0);
	const char *x = lab_buf_cstr(&b);
	cr_expect(strstr(x, "<testsuite name=\"lab\" tests=\"3\" failures=\"1\" errors=\"1\""), "%s", x);
	cr_expect(strstr(x, "<failure message=\"the result is &apos;1&apos;, want 2\" type=\"failed\">description: x &lt; y "
			    "&amp; &quot;z&quot;&#10;observed: 1&#10;expected: 2&#10;hint: do &lt;it&gt;</failure>"),
		  "%s", x);
	cr_expect(strstr(x, "<testcase classname=\"lab\" name=\"b\" time=\"2.000\">\n      <error message="), "%s", x);
	cr_expect(strstr(x, "<testcase classname=\"lab\" name=\"c\" time=\"0.001\"></testcase>"), "%s", x);
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_HUMAN, r, 3, "lab", NULL, 0);
	cr_expect_str_eq(lab_buf_cstr(&b), "FAIL a  x < y & \"z\"\n    the result is '1', want 2\n    hint: do <it>\n"
					   "FAIL b  b (timed out after 2.0s)\n    no answer within 2.0s\n"
					   "PASS c  c\n1 passed, 2 failed\n");
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_HUMAN, r + 2, 1, "lab", NULL, 1);
	cr_expect_str_eq(lab_buf_cstr(&b), "\xe2\x9c\x93 c  c\n1 passed, 0 failed\n");
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_TAP, r, 3, "lab", NULL, 0);
	const char *tap = "TAP version 13\n1..3\nnot ok 1 - a: x < y & \"z\"\n  ---\n  status: failed\n";
	cr_expect(strncmp(lab_buf_cstr(&b), tap, strlen(tap)) == 0, "%s", lab_buf_cstr(&b));
	cr_expect(strstr(lab_buf_cstr(&b), "\nok 3 - c: c\n"), "%s", lab_buf_cstr(&b));
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_JSON, r + 1, 1, "lab", "st", 0);
	cr_expect_str_eq(lab_buf_cstr(&b), "{\"lab\": \"lab\", \"student\": \"st\", \"passed\": 0, \"failed\": 1, \"skipped\": 0, \"checks\": [\n"
					   "  {\"id\": \"b\", \"description\": \"b\", \"status\": \"timeout\", \"observed\": null, "
					   "\"expected\": null, \"duration_ms\": 2000, \"hint\": null, \"message\": \"no answer "
					   "within 2.0s\"}\n]}\n");
	lab_buf_release(&b);
	enum lab_verify_format f;
	cr_expect_eq(lab_verify_parse_format(&f, "junit"), 0);
	cr_expect_eq(f, LAB_VERIFY_JUNIT);
	cr_expect_eq(lab_verify_parse_format(&f, "xml"), LAB_EINPUT);
}

/* A skipped check (skip_unless not true) is neither passed nor a failure,
 * in every format, and says why. */
Test(verify_format, skipped_is_neither_passed_nor_failed)
{
	struct lab_check c1 = {.id = "a", .hint = "run it"};
	struct lab_check c2 = {.id = "b", .description = "spark"};
	struct lab_verify_result r[] = {
		{&c1, LAB_VERIFY_PASSED, "1", "= 1", NULL, 3},
		{&c2, LAB_VERIFY_SKIPPED, NULL, NULL, "not true: select false", 4},
	};
	cr_expect_eq(lab_verify_failures(r, 2), 0);
	cr_expect_eq(lab_verify_skipped(r, 2), 1);
	cr_expect_str_eq(lab_verify_status_name(LAB_VERIFY_SKIPPED), "skipped");
	struct lab_buf b = LAB_BUF_INIT;
	lab_verify_format(&b, LAB_VERIFY_HUMAN, r, 2, "lab", NULL, 0);
	cr_expect_str_eq(lab_buf_cstr(&b), "PASS a  a\nSKIP b  spark (skipped: not true: select false)\n"
					   "1 passed, 0 failed, 1 skipped\n");
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_HUMAN, r + 1, 1, "lab", NULL, 1);
	cr_expect_str_eq(lab_buf_cstr(&b), "- b  spark (skipped: not true: select false)\n0 passed, 0 failed, 1 skipped\n");
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_TAP, r, 2, "lab", NULL, 0);
	cr_expect_str_eq(lab_buf_cstr(&b), "TAP version 13\n1..2\nok 1 - a: a\nok 2 - b: spark # SKIP not true: select false\n");
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_JUNIT, r, 2, "lab", NULL, 0);
	const char *x = lab_buf_cstr(&b);
	cr_expect(strstr(x, "<testsuite name=\"lab\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""), "%s", x);
	cr_expect(strstr(x, "<testcase classname=\"lab\" name=\"b\" time=\"0.004\">\n      <skipped message=\"not true: "
			    "select false\"/>\n    </testcase>"),
		  "%s", x);
	lab_buf_reset(&b);
	lab_verify_format(&b, LAB_VERIFY_JSON, r, 2, "lab", NULL, 0);
	x = lab_buf_cstr(&b);
	cr_expect(strstr(x, "\"passed\": 1, \"failed\": 0, \"skipped\": 1,"), "%s", x);
	cr_expect(strstr(x, "\"status\": \"skipped\""), "%s", x);
	lab_buf_release(&b);
}
