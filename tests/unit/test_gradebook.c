/* verify/gradebook.c: one document for a class, a row per student and
 * check; CSV quoting (RFC 4180), an ungraded student's error rows, JSON
 * and JUnit shapes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "../../labctl/verify/verify.h"

static struct lab_check checks[] = {{.id = "sql-one"}, {.id = "words"}, {.id = "spark"}};

static void book(struct lab_buf *out, enum lab_gradebook_format f)
{
	static struct lab_verify_result alice[] = {
		{.check = &checks[0], .status = LAB_VERIFY_PASSED, .observed = "1", .expected = "= 1", .duration_ms = 5},
		{.check = &checks[1], .status = LAB_VERIFY_FAILED, .observed = "say \"hi\", then\nbye",
		 .expected = "<hidden>", .message = "not \"equal\"", .duration_ms = 7},
		{.check = &checks[2], .status = LAB_VERIFY_SKIPPED, .message = "not true: q", .duration_ms = 1},
	};
	struct lab_grade g[] = {
		{.student = "alice", .project = "m-alice", .r = alice, .n = 3, .checks = checks, .n_checks = 3},
		{.student = "bob", .project = "m-bob", .error = "cannot connect to the engine", .checks = checks,
		 .n_checks = 3},
	};
	lab_gradebook_format(out, f, "m", g, 2);
}

Test(gradebook, csv)
{
	struct lab_buf b = LAB_BUF_INIT;
	book(&b, LAB_GRADEBOOK_CSV);
	cr_expect_str_eq(lab_buf_cstr(&b), "student,check,status,observed,expected,message\r\n"
					   "alice,sql-one,passed,1,= 1,\r\n"
					   "alice,words,failed,\"say \"\"hi\"\", then\nbye\",<hidden>,\"not \"\"equal\"\"\"\r\n"
					   "alice,spark,skipped,,,not true: q\r\n"
					   "bob,sql-one,error,,,cannot connect to the engine\r\n"
					   "bob,words,error,,,cannot connect to the engine\r\n"
					   "bob,spark,error,,,cannot connect to the engine\r\n");
	lab_buf_release(&b);
}

Test(gradebook, json_and_junit)
{
	struct lab_buf b = LAB_BUF_INIT;
	book(&b, LAB_GRADEBOOK_JSON);
	cJSON *o = cJSON_Parse(lab_buf_cstr(&b));
	cr_assert_not_null(o, "%s", lab_buf_cstr(&b));
	cr_expect_str_eq(cJSON_GetObjectItem(o, "lab")->valuestring, "m");
	cJSON *st = cJSON_GetObjectItem(o, "students"), *rows = cJSON_GetObjectItem(o, "rows");
	cr_expect_eq(cJSON_GetArraySize(st), 2);
	cr_expect_eq(cJSON_GetArraySize(rows), 6);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "passed")->valueint, 1);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "failed")->valueint, 1);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "skipped")->valueint, 1);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 1), "failed")->valueint, 3);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "error")));
	cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 2), "status")->valuestring, "skipped");
	cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 3), "student")->valuestring, "bob");
	cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 3), "status")->valuestring, "error");
	cJSON_Delete(o);
	lab_buf_reset(&b);
	book(&b, LAB_GRADEBOOK_JUNIT);
	const char *x = lab_buf_cstr(&b);
	cr_expect(strstr(x, "<testsuites name=\"m\" tests=\"6\" failures=\"1\" errors=\"3\">"), "%s", x);
	cr_expect(strstr(x, "<testsuite name=\"alice\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), "%s", x);
	cr_expect(strstr(x, "<testcase classname=\"m.alice\" name=\"spark\" time=\"0.001\">\n      <skipped message=\"not true: q\"/>"), "%s", x);
	cr_expect(strstr(x, "<testcase classname=\"m.bob\" name=\"words\""), "%s", x);
	cr_expect(strstr(x, "observed: say &quot;hi&quot;, then&#10;bye&#10;expected: &lt;hidden&gt;"), "%s", x);
	lab_buf_release(&b);
	enum lab_gradebook_format f;
	cr_expect_eq(lab_gradebook_parse_format(&f, "junit"), 0);
	cr_expect_eq(f, LAB_GRADEBOOK_JUNIT);
	cr_expect_eq(lab_gradebook_parse_format(&f, "tap"), LAB_EINPUT);
}
