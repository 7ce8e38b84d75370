/* labctl verify against a real lab (PostgreSQL, Kafka, object store,
 * compute): every check kind passing and failing, hidden answers, params
 * per student, a hung SQL query and a hung exec reported as timeout while
 * the rest still run, the output formats parsed (JSON and JUnit XML by
 * python3), and the exit codes 0, 1, 2 and 3. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static const char *verify_lab =
	"lab: { name: \"@NAME@\", seed: it-verify-seed }\n"
	"include:\n"
	"  - \"@REPO@/labs/common/postgres.yml\"\n"
	"  - \"@REPO@/labs/common/objectstore.yml\"\n"
	"  - \"@REPO@/labs/common/kafka.yml\"\n"
	"  - \"@REPO@/labs/common/compute.yml\"\n"
	"buckets: [lake]\n"
	"params:\n"
	"  topic: { pick: [orders, payments, clicks] }\n"
	"  suffix: { hex: 8 }\n"
	"checks:\n"
	"  - { id: sql-pass, description: the answer, sql: { query: 'select 40 + 2', equals: 42 } }\n"
	"  - { id: sql-fail, sql: { query: 'select 1', equals: 2 }, hint: sql-hint-text }\n"
	"  - { id: sql-min-fail, sql: { query: 'select 5', min: 6 } }\n"
	"  - id: sql-rows\n"
	"    sql: { query: \"select * from (values (1, 'a'), (2, 'b')) v order by 1\", rows: [[1, a], [2, b]] }\n"
	"  - { id: sql-hash, sql: { query: \"select 'secret-answer'\", equals_hash: \"@HASH@\" } }\n"
	"  - { id: sql-hash-fail, sql: { query: \"select 'wrong'\", equals_hash: \"@HASH@\" } }\n"
	"  - { id: sql-timeout, timeout: 2s, sql: { query: 'select pg_sleep(60)', equals: 1 } }\n"
	"  - id: kafka-pass\n"
	"    description: topic ${PARAM_TOPIC}-${PARAM_SUFFIX}\n"
	"    kafka: { topic: \"${PARAM_TOPIC}-${PARAM_SUFFIX}\", partitions: 2, replication_factor: 1, "
	"min_end_offset: 3, group: readers, max_lag: 0 }\n"
	"  - { id: kafka-fail, kafka: { topic: no-such-topic } }\n"
	"  - { id: kafka-group-fail, kafka: { topic: \"${PARAM_TOPIC}-${PARAM_SUFFIX}\", group: nobody } }\n"
	"  - { id: kafka-offset-fail, kafka: { topic: \"${PARAM_TOPIC}-${PARAM_SUFFIX}\", end_offset: 99 } }\n"
	"  - { id: s3-bucket, s3: { bucket: lake } }\n"
	"  - { id: s3-bucket-fail, s3: { bucket: nolake } }\n"
	"  - { id: s3-object, s3: { bucket: lake, key: data/hello.txt, min_size: 5, contains: hello } }\n"
	"  - { id: s3-object-fail, s3: { bucket: lake, key: data/missing.txt } }\n"
	"  - { id: s3-prefix, s3: { bucket: lake, prefix: data/, count: 1 } }\n"
	"  - { id: s3-prefix-fail, s3: { bucket: lake, prefix: data/, min_count: 6 } }\n"
	"  - { id: http-pass, http: { service: objectstore, port: 9000, path: /, status: 403 } }\n"
	"  - { id: http-fail, http: { service: objectstore, port: 9000, path: /, status: 200 } }\n"
	"  - { id: exec-pass, exec: { service: compute, command: 'echo hello world', stdout: '^hello w' } }\n"
	"  - { id: exec-fail, exec: { service: compute, command: 'exit 3' }, hint: exec-hint-text }\n"
	"  - { id: exec-timeout, timeout: 2s, exec: { service: compute, command: 'sleep 60' } }\n"
	"  - { id: file-pass, file: { service: compute, path: /etc/os-release, contains: Debian } }\n"
	"  - { id: file-fail, file: { service: compute, path: /no/such/file } }\n"
	"  - { id: log-pass, log: { service: postgres, regex: 'ready to accept connections' } }\n"
	"  - { id: log-fail, log: { service: postgres, regex: 'no such line [0-9]+ here' } }\n";

/* passes: sql-pass sql-rows sql-hash kafka-pass s3-bucket s3-object s3-prefix
 * http-pass exec-pass file-pass log-pass */
#define N_PASS 11
#define N_CHECKS 26

static void write_lab(struct it_lab *lab, const char *hash)
{
	const char *at = strstr(verify_lab, "@HASH@");
	size_t cap = strlen(verify_lab) + 2 * strlen(hash) + 1;
	char *y = calloc(1, cap), *o = y;
	for (const char *p = verify_lab; *p;) {
		if ((at = strstr(p, "@HASH@")) == p) {
			o += sprintf(o, "%s", hash);
			p += 6;
		} else {
			*o++ = *p++;
		}
	}
	it_lab_write(lab, y);
	free(y);
}

static const char *last_line(const char *s)
{
	static char buf[256];
	const char *end = s + strlen(s);
	while (end > s && end[-1] == '\n')
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - start), start);
	return buf;
}

Test(verify, every_kind_formats_timeouts_exit_codes, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char port[16];
	snprintf(port, sizeof(port), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", port, 1);
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	unsetenv("LAB_STUDENT"); /* a student id would make it an instance */
	unsetenv("LABCTL_VERIFY_KEY");
	it_lab_make(&lab, "verify", "lab: { name: \"@NAME@\" }\n");
	write_lab(&lab, "hmac-sha256:0000000000000000000000000000000000000000000000000000000000000000");

	/* --hash: the instructor's helper, keyed with lab.seed */
	it_labctl_run(&r, &lab, "verify '%s' --hash ' secret-answer\n'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *want = it_sh("printf %%s secret-answer | openssl dgst -sha256 -hmac it-verify-seed | sed 's/.*= //'");
	char hash[128];
	snprintf(hash, sizeof(hash), "hmac-sha256:%s", want);
	/* surrounding whitespace is trimmed before hashing */
	cr_expect(strncmp(r.out, hash, strlen(hash)) == 0, "--hash: %s, openssl: %s", r.out, hash);
	it_run_free(&r);
	free(want);
	write_lab(&lab, hash);

	/* the lab file's checks are validated like the rest */
	it_labctl_run(&r, &lab, "validate '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);

	/* the student's topic name comes from params; make it and consume it in a group */
	char *topic = it_sh("LABCTL_STATE_DIR='%s' '%s' verify '%s' --only kafka-pass --format json | python3 -c "
			    "'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"][6:])'",
			    lab.state, it_labctl(), lab.dir);
	cr_assert(strlen(topic) > 9, "topic from params: '%s'", topic);
	it_labctl_run(&r, &lab,
		      "exec '%s' kafka -- kafka-topics.sh --bootstrap-server kafka:9092 --create --topic '%s' --partitions 2",
		      lab.dir, topic);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "printf 'a\\nb\\nc\\n' | kcat -P -b localhost:%s -t '%s' -X acks=all", port, topic);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_run(&r, "timeout 60 kcat -b localhost:%s -G readers -X auto.offset.reset=earliest -e -q '%s'", port, topic);
	it_run_free(&r);
	/* an object for the s3 checks, signed from the host */
	it_run(&r,
	       "eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && curl -sf -X PUT --aws-sigv4 aws:amz:$AWS_REGION:s3 "
	       "--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -H 'Content-Type: text/plain' "
	       "--data-binary 'hello verify' \"$AWS_ENDPOINT_URL/lake/data/hello.txt\"",
	       lab.state, it_labctl(), lab.dir);
	cr_assert_eq(r.status, 0, "put object: %s", r.err);
	it_run_free(&r);

	/* human: one line per check, hints under failures, the final line;
	   the two hung checks time out after 2 s and the whole run ends soon after */
	time_t t0 = time(NULL);
	it_labctl_run(&r, &lab, "verify '%s'", lab.dir);
	time_t took = time(NULL) - t0;
	cr_expect_eq(r.status, 1, "some checks fail: %s\n%s", r.out, r.err);
	char final[64];
	snprintf(final, sizeof(final), "%d passed, %d failed", N_PASS, N_CHECKS - N_PASS);
	cr_expect_str_eq(last_line(r.out), final, "%s", r.out);
	cr_expect_eq(it_lines(r.out), N_CHECKS + 1 + (N_CHECKS - N_PASS) + 2 /* hints */, "%s", r.out);
	cr_expect(strstr(r.out, "PASS sql-pass  the answer\n") || strstr(r.out, "\xe2\x9c\x93 sql-pass  the answer\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "    hint: sql-hint-text\n"), "%s", r.out);
	cr_expect(strstr(r.out, "    hint: exec-hint-text\n"), "%s", r.out);
	cr_expect(strstr(r.out, "sql-timeout") && strstr(r.out, "timed out"), "%s", r.out);
	cr_expect(took < 20, "verify took %lds despite checks hung for 60s", (long)took);
	it_run_free(&r);

	/* JSON: every check's status; a hashed answer is never printed */
	it_labctl_run(&r, &lab,
		      "verify '%s' --format json > '%s/out.json'; echo $?; python3 -c 'import json,sys\n"
		      "d = json.load(open(sys.argv[1]))\n"
		      "for c in d[\"checks\"]: print(c[\"id\"], c[\"status\"], c[\"expected\"], c[\"duration_ms\"] >= 0)\n"
		      "print(d[\"passed\"], d[\"failed\"])' '%s/out.json'; cat '%s/out.json'",
		      lab.dir, lab.dir, lab.dir, lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strncmp(r.out, "1\n", 2) == 0, "exit code 1: %s", r.out);
	static const char *const pass[] = {"sql-pass", "sql-rows", "sql-hash", "kafka-pass", "s3-bucket", "s3-object",
					   "s3-prefix", "http-pass", "exec-pass", "file-pass", "log-pass"};
	static const char *const fail[] = {"sql-fail",       "sql-min-fail",   "sql-hash-fail", "kafka-fail",
					   "kafka-group-fail", "kafka-offset-fail", "s3-bucket-fail", "s3-object-fail",
					   "s3-prefix-fail", "http-fail",      "exec-fail",     "file-fail",
					   "log-fail"};
	char line[256];
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		snprintf(line, sizeof(line), "\n%s passed ", pass[i]);
		cr_expect(strstr(r.out, line), "%s should pass: %s", pass[i], r.out);
	}
	for (size_t i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
		snprintf(line, sizeof(line), "\n%s failed ", fail[i]);
		cr_expect(strstr(r.out, line), "%s should fail: %s", fail[i], r.out);
	}
	cr_expect(strstr(r.out, "\nsql-timeout timeout "), "%s", r.out);
	cr_expect(strstr(r.out, "\nexec-timeout timeout "), "%s", r.out);
	cr_expect(strstr(r.out, "\nsql-hash passed <hidden> True"), "%s", r.out);
	cr_expect(strstr(r.out, "\nsql-fail failed 2 True"), "%s", r.out);
	cr_expect(!strstr(r.out, hash + 12), "the hash is not printed");
	it_run_free(&r);

	/* JUnit XML parsed; counts add up */
	it_labctl_run(&r, &lab,
		      "verify '%s' --format junit > '%s/out.xml'; python3 -c 'import sys, xml.etree.ElementTree as ET\n"
		      "s = ET.parse(sys.argv[1]).getroot().find(\"testsuite\")\n"
		      "cs = s.findall(\"testcase\")\n"
		      "print(s.get(\"tests\"), s.get(\"failures\"), s.get(\"errors\"), len(cs),"
		      " len([c for c in cs if c.find(\"failure\") is not None]),"
		      " [c.get(\"name\") for c in cs if c.find(\"error\") is not None])' '%s/out.xml'",
		      lab.dir, lab.dir, lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "26 13 2 26 13 ['sql-timeout', 'exec-timeout']\n", "%s", r.out);
	it_run_free(&r);

	/* TAP */
	it_labctl_run(&r, &lab, "verify '%s' --format tap --only sql-pass,sql-fail", lab.dir);
	cr_expect_eq(r.status, 1);
	cr_expect(strncmp(r.out, "TAP version 13\n1..2\nok 1 - sql-pass: the answer\nnot ok 2 - sql-fail", 67) == 0,
		  "%s", r.out);
	it_run_free(&r);

	/* exit 0 when everything selected passes */
	it_labctl_run(&r, &lab, "verify '%s' --only sql-pass --only s3-object,kafka-pass", lab.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect_str_eq(last_line(r.out), "3 passed, 0 failed", "%s", r.out);
	it_run_free(&r);

	/* params: the same student gets the same values, another student others */
	char *d1 = it_sh("LABCTL_STATE_DIR='%s' '%s' verify '%s' --student alice --only kafka-pass --format json | "
			 "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"])'",
			 lab.state, it_labctl(), lab.dir);
	char *d2 = it_sh("LABCTL_STATE_DIR='%s' '%s' verify '%s' --student alice --only kafka-pass --format json | "
			 "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"])'",
			 lab.state, it_labctl(), lab.dir);
	char *d3 = it_sh("LABCTL_STATE_DIR='%s' '%s' verify '%s' --student bob --only kafka-pass --format json | "
			 "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"])'",
			 lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(d1, d2, "same student, same params");
	cr_expect_str_neq(d1, d3, "different students, different params");
	free(d1);
	free(d2);
	free(d3);
	free(topic);

	/* exit 3: no engine */
	it_run(&r, "DOCKER_HOST=unix:///nonexistent.sock LABCTL_STATE_DIR='%s' '%s' verify '%s'", lab.state, it_labctl(),
	       lab.dir);
	cr_expect_eq(r.status, 3, "%s", r.err);
	it_run_free(&r);

	/* exit 2: a lab file error in checks, reported file:line:col, nothing run */
	it_lab_write(&lab, "lab: { name: \"@NAME@\" }\n"
			   "include: [\"@REPO@/labs/common/postgres.yml\"]\n"
			   "checks:\n"
			   "  - id: bad\n"
			   "    sql: { query: 'select 1', equls: 1 }\n"
			   "  - id: bad\n"
			   "    log: { service: nosuch, regex: x }\n");
	it_labctl_run(&r, &lab, "verify '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "lab.yml:5:31: unknown key 'equls' (did you mean 'equals'?)"), "%s", r.err);
	cr_expect(strstr(r.err, "lab.yml:6:9: check 'bad' is already defined at"), "%s", r.err);
	cr_expect_str_eq(r.out, "");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "validate '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s' --volumes", lab.dir);
	it_run_free(&r);
	it_lab_cleanup(&lab);
	unsetenv("LAB_STUDENT");
}

/* The threads of up (one per service, dependencies waited on) and of
 * verify (one per check, two abandoned on timeout) without Kafka, so that
 * `make tsan` can run it: librdkafka's uninstrumented threads crash the
 * ThreadSanitizer runtime. */
Test(verify, checks_run_at_once_without_kafka, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "verify-nokafka",
		    "lab: { name: \"@NAME@\" }\n"
		    "include:\n"
		    "  - \"@REPO@/labs/common/postgres.yml\"\n"
		    "  - \"@REPO@/labs/common/objectstore.yml\"\n"
		    "  - \"@REPO@/labs/common/compute.yml\"\n"
		    "buckets: [lake]\n"
		    "checks:\n"
		    "  - { id: sql-pass, sql: { query: 'select 40 + 2', equals: 42 } }\n"
		    "  - { id: sql-fail, sql: { query: 'select 1', equals: 2 } }\n"
		    "  - { id: sql-timeout, timeout: 2s, sql: { query: 'select pg_sleep(60)', equals: 1 } }\n"
		    "  - { id: s3-bucket, s3: { bucket: lake } }\n"
		    "  - { id: s3-bucket-fail, s3: { bucket: nolake } }\n"
		    "  - { id: http-pass, http: { service: objectstore, port: 9000, path: /, status: 403 } }\n"
		    "  - { id: exec-pass, exec: { service: compute, command: 'echo hi', stdout: '^hi' } }\n"
		    "  - { id: exec-fail, exec: { service: compute, command: 'exit 3' } }\n"
		    "  - { id: exec-timeout, timeout: 2s, exec: { service: compute, command: 'sleep 60' } }\n"
		    "  - { id: file-pass, file: { service: compute, path: /etc/os-release, contains: Debian } }\n"
		    "  - { id: log-pass, log: { service: postgres, regex: 'ready to accept connections' } }\n"
		    "  - { id: log-fail, log: { service: postgres, regex: 'no such line [0-9]+ here' } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "verify '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "%s\n%s", r.out, r.err);
	cr_expect_str_eq(last_line(r.out), "6 passed, 6 failed", "%s", r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab,
		      "verify '%s' --format json | python3 -c 'import json,sys\n"
		      "print(sorted(c[\"id\"] for c in json.load(sys.stdin)[\"checks\"] if c[\"status\"] == \"timeout\"))'",
		      lab.dir);
	cr_expect_str_eq(r.out, "['exec-timeout', 'sql-timeout']\n", "%s\n%s", r.out, r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
