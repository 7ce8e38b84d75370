/* What a check kind's file (labctl/verify/checks/<kind>.c) works with:
 * its descriptor (registry.h), the loader's helpers for parse
 * (lab/lab_private.h), and for run the context below with the helpers of
 * verify/run.c. Private to labctl/verify (tests may include it).
 */
#ifndef LAB_VERIFY_CHECK_H
#define LAB_VERIFY_CHECK_H

#include "../lab/lab_private.h"
#include "../lazy/lazy.h"
#include "registry.h"
#include "verify.h"

/* Cap on a response body or file read by a check, in bytes. */
#define LAB_CHECK_BODY_MAX (16u << 20)

/* One running check: what run reads, and where it leaves the outcome. The
 * runner (run.c) makes one per check, on the check's own thread. */
struct lab_check_ctx {
	const struct lab *lab;
	const struct lab_check *check;  /* points into lab; its conf is the kind's */
	struct lab_engine *e;           /* this check's own engine handle */
	const char *key;                /* the key of equals_hash (lab_verify_compare) */
	double deadline;                /* seconds, CLOCK_MONOTONIC */
	/* Id of the running container of service (replica 1), or NULL with the
	 * outcome set to error ("service 'x' is not running ..."). */
	const char *(*container)(struct lab_check_ctx *x, const char *service);
	/* Where the host reaches container port `port` of service (replica 1,
	 * labctl/endpoints: its published binding on 127.0.0.1, else the
	 * container's address on the lab network). "host:port" (IPv6 hosts in
	 * brackets), a new string; or NULL with the outcome set to error. */
	char *(*endpoint)(struct lab_check_ctx *x, const char *service, int port);
	/* What a client on the host needs to reach service through its x-ready
	 * probe of kind probe ("postgres": PGHOST PGPORT PGUSER...; "kafka":
	 * KAFKA_BOOTSTRAP_SERVERS; "s3": AWS_*; labctl/endpoints), appended to
	 * env as "KEY=VALUE". Returns 0, or -1 with the outcome set to error:
	 * the service has no such probe ("service 'x' has no x-ready <probe>
	 * probe (<what>)"), is not running, or has no address. */
	int (*client_env)(struct lab_check_ctx *x, const char *service, const char *probe, const char *what,
			  struct lab_strv *env);
	/* The outcome: status stays LAB_VERIFY_PASSED unless set; the strings
	 * are new strings or NULL, handed to the result. */
	enum lab_verify_status status;
	char *observed, *expected, *message;
};

/* Milliseconds left before x's deadline, at least 100. */
long lab_check_left_ms(const struct lab_check_ctx *x);

/* Set the outcome: status st and a message from fmt (may be NULL). The
 * first call wins; later ones change nothing. */
void lab_check_outcome(struct lab_check_ctx *x, enum lab_verify_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Compare observed with the check's expect (lab_verify_compare); when it
 * does not hold, fail with "<what> is '<observed>', want <expected>" (or
 * "<what> '<observed>' is not the expected answer" for a hidden answer).
 * x->expected gets what was wanted. Returns 1 when it holds, else 0. */
int lab_check_expect(struct lab_check_ctx *x, const char *observed, const char *what);

/* Any of equals, equals_hash, min, max is set. */
int lab_check_has_expect(const struct lab_expect *e);

/* Run query on the lab's first service with an x-ready postgres probe
 * (a check's skip_unless): 1 when its first value is true ("t", "true",
 * as lab_verify_compare), 0 when it is not (false, NULL, no row), -1 when
 * it could not run (x's outcome then an error). verify/checks/sql.c. */
int lab_check_sql_holds(struct lab_check_ctx *x, const char *query);

/* Load lib for x's run (lab_lazy_load) before its first call into it: 0,
 * or -1 with the outcome an error naming what could not be loaded. */
int lab_check_need_lib(struct lab_check_ctx *x, enum lab_lazy_lib lib);

/* Free *dst and put s there. */
void lab_check_set_str(char **dst, char *s);

#endif
