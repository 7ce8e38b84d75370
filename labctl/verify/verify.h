/* labctl verify: run a lab's checks (lab->checks, see struct lab_check in
 * lab/lab.h; each kind in verify/checks/<kind>.c, listed in registry.h)
 * against the live lab and report them.
 *
 * Every check runs in its own thread with its own engine handle, all at
 * once; one check's failure never stops another. A check that has not
 * finished within its timeout is reported as LAB_VERIFY_TIMEOUT and
 * abandoned: SQL checks also set statement_timeout so the server cancels
 * the query; an exec keeps running in its container. Endpoints are the
 * services' published ports on 127.0.0.1 (as `labctl env`), else their
 * address on the lab network; credentials come from their x-ready probes.
 */
#ifndef LAB_VERIFY_H
#define LAB_VERIFY_H

#include <stddef.h>

#include "../engine/engine.h"
#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

enum lab_verify_status {
	LAB_VERIFY_PASSED,
	LAB_VERIFY_FAILED,   /* it ran; the lab is not as expected */
	LAB_VERIFY_ERROR,    /* it could not run (service down, SQL error, bad answer) */
	LAB_VERIFY_TIMEOUT,  /* not finished within the check's timeout */
	LAB_VERIFY_SKIPPED,  /* it does not apply: its skip_unless condition is false
	                        (e.g. the job it grades was not run); neither passed
	                        nor a failure, not counted by lab_verify_failures */
};

/* "passed", "failed", "error", "timeout", "skipped". */
const char *lab_verify_status_name(enum lab_verify_status s);

struct lab_verify_result {
	const struct lab_check *check; /* points into the lab */
	enum lab_verify_status status;
	char *observed;    /* what was seen, as text, or NULL */
	char *expected;    /* what was wanted, as text ("hmac-sha256:..." never:
	                      a hashed answer shows as "<hidden>"), or NULL */
	char *message;     /* why it did not pass (one line), or NULL */
	long duration_ms;
};

/* Run the checks of lab (only those whose id is in only, when only is
 * non-NULL and non-empty) against its running containers (project label).
 * *out gets n_out results in the lab's check order (free with
 * lab_verify_results_free). *abandoned gets the number of checks that
 * timed out and whose threads still run: while it is non-zero, lab and e
 * must stay allocated until the process exits (call _exit after output).
 * key: the key of equals_hash (see lab_verify_hash), NULL = lab->seed.
 * Errors: LAB_EUNREACHABLE / LAB_EENGINE when the engine cannot list the
 * lab's containers; LAB_EINPUT for an id in only that is not a check. */
int lab_verify_run(struct lab_verify_result **out, size_t *n_out, size_t *abandoned, const struct lab *lab,
		   struct lab_engine *e, const struct lab_strv *only, const char *key, struct lab_err *err);

void lab_verify_results_free(struct lab_verify_result *r, size_t n);

/* The text a hashed answer is stored as: "hmac-sha256:" and
 * HMAC-SHA256(key, value with surrounding whitespace trimmed) in lowercase
 * hex. New string. */
char *lab_verify_hash(const char *key, const char *value);

/* Compare an observed value with an expectation (equals, equals_hash,
 * min, max; see struct lab_expect). Returns 1 when it holds, 0 when not.
 * *expected (may be NULL) gets a new string describing what was wanted:
 * "= 5", ">= 3", ">= 3 and <= 9", "<hidden>" for a hash. Numbers compare
 * numerically; an observed "t"/"f" (PostgreSQL booleans) equals
 * "true"/"false". */
int lab_verify_compare(const struct lab_expect *want, const char *observed, const char *key, char **expected);

enum lab_verify_format {
	LAB_VERIFY_HUMAN, /* one line per check, hint under a failure, then "N passed, M failed" */
	LAB_VERIFY_JSON,  /* {"lab","student","passed","failed","checks":[{id,description,status,
	                     observed,expected,duration_ms,hint,message}]} */
	LAB_VERIFY_TAP,   /* TAP version 13 with a YAML block under each not ok */
	LAB_VERIFY_JUNIT, /* JUnit XML: testsuites/testsuite/testcase, <failure> for failed,
	                     <error> for error and timeout */
};

/* Parse "human", "json", "tap", "junit". Returns 0 or LAB_EINPUT. */
int lab_verify_parse_format(enum lab_verify_format *out, const char *s);

/* Render results in format f to out. utf8: human format uses ✓/✗, else
 * PASS/FAIL. name: the lab's name (JUnit suite and class name). student
 * may be NULL. */
void lab_verify_format(struct lab_buf *out, enum lab_verify_format f, const struct lab_verify_result *r,
		       size_t n, const char *name, const char *student, int utf8);

/* Append s (NULL: nothing) to b as XML text or an attribute value:
 * & < > " ' newline and tab escaped, the characters XML 1.0 does not
 * allow dropped. */
void lab_verify_put_xml(struct lab_buf *b, const char *s);

/* A gradebook: every student's results in one document (labctl class
 * verify). */
struct lab_grade {
	const char *student;
	const char *project;                  /* the instance's, "<lab>-<student>" */
	const struct lab_verify_result *r;    /* its results, n of them */
	size_t n;
	const char *error;                    /* or: why it could not be graded (engine
	                                         error); then r is unused and every check
	                                         in checks/n_checks is a row "error" */
	const struct lab_check *checks;
	size_t n_checks;
};

enum lab_gradebook_format {
	LAB_GRADEBOOK_CSV,   /* RFC 4180, header student,check,status,observed,expected,message */
	LAB_GRADEBOOK_JSON,  /* {"lab","students":[{"student","project","passed","failed"}],
	                        "rows":[{"student","check","status","observed","expected","message"}]} */
	LAB_GRADEBOOK_JUNIT, /* <testsuites name=LAB> with a <testsuite name=STUDENT> per student,
	                        <testcase classname="LAB.STUDENT" name=CHECK> as verify's */
};

/* Parse "csv", "json", "junit". Returns 0 or LAB_EINPUT. */
int lab_gradebook_parse_format(enum lab_gradebook_format *out, const char *s);

/* Render the gradebook of lab (its name) for the n students in g, in
 * their order, each student's rows in check order. Hidden answers stay
 * hidden (expected "<hidden>", as verify). */
void lab_gradebook_format(struct lab_buf *out, enum lab_gradebook_format f, const char *lab,
			  const struct lab_grade *g, size_t n);

/* Number of results that did not pass and were not skipped. */
size_t lab_verify_failures(const struct lab_verify_result *r, size_t n);

/* Number of results skipped (LAB_VERIFY_SKIPPED). */
size_t lab_verify_skipped(const struct lab_verify_result *r, size_t n);

#endif
