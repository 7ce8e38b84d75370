/* Bounded memory: logs and exec of a container that wrote 200 MB without
 * a newline, and exec passing 200 MB of stdin, stay under 16 MB of peak RSS. (For logs the 200 MB line is
 * then ended: the engine's log copier holds back the last partial 16 KiB
 * of a running container until a newline comes.) Measured on build/labctl (the
 * -O2 build: ASan's shadow memory would inflate the figure) with GNU
 * time's %M (maximum resident set size, KiB). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define BIG_BYTES 200000000L
#define RSS_MAX_KB (16L * 1024)
/* pieces of a 200 MB line through labctl's 64 KiB line buffer */
#define PIECES ((BIG_BYTES + 65535) / 65536)

/* The -O2 labctl beside the checkout. */
static char *plain_labctl(void)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/build/labctl", it_repo()) > 0);
	cr_assert_eq(access(p, X_OK), 0, "%s not built (make build/labctl)", p);
	return p;
}

/* Run "labctl ARGS" (the -O2 one) with its stdout piped into consume
 * (a shell command); *rss_kb gets labctl's peak RSS. Returns consume's
 * stdout (caller frees). labctl must exit 0. */
static char *measure(const struct it_lab *lab, const char *args, const char *consume, long *rss_kb)
{
	char *bin = plain_labctl();
	char rss_file[300];
	int code = -1;
	snprintf(rss_file, sizeof(rss_file), "%s/rss", lab->dir);
	struct it_run r;
	it_run(&r, "LABCTL_STATE_DIR='%s' /usr/bin/time -f '%%x %%M' -o '%s' '%s' %s | %s", lab->state, rss_file, bin,
	       args, consume);
	cr_assert_eq(r.status, 0, "labctl %s | %s: %s", args, consume, r.err);
	/* "<exit code> <max RSS KiB>" on the last line (a line before it when non-zero) */
	char *t = it_sh("tail -n 1 '%s'", rss_file);
	cr_assert_eq(sscanf(t, "%d %ld", &code, rss_kb), 2, "time said '%s'", t);
	cr_assert_eq(code, 0, "labctl %s exited %d: %s", args, code, r.err);
	free(t);
	free(bin);
	char *out = strdup(r.out);
	it_run_free(&r);
	return out;
}

Test(memory, logs_and_exec_of_a_200mb_line_stay_under_16mb)
{
	struct it_lab lab;
	struct it_run r;
	long rss = 0;
	char want[128];
	it_lab_make(&lab, "bigline",
		    "services:\n"
		    "  talker:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; head -c 200000000 /dev/zero | tr '\\\\0' x;"
		    " echo; touch /tmp/done; sleep infinity & wait\"]\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	char *id = it_container_id(lab.project, "talker", 1);
	it_run(&r, "for i in $(seq 600); do docker exec %s test -f /tmp/done && exit 0; sleep 0.5; done; exit 1", id);
	cr_assert_eq(r.status, 0, "the container did not finish writing");
	it_run_free(&r);

	/* logs: one 200 MB line, passed on in 64 KiB pieces */
	char args[600];
	snprintf(args, sizeof(args), "logs '%s' talker", lab.dir);
	char *sum = measure(&lab, args,
			    "awk '{n++; c[$2]++; b += length($0) - length($1) - 3}"
			    " END {printf \"%d %d %d %d\", n, c[\"|\"], c[\"+\"], b}'",
			    &rss);
	snprintf(want, sizeof(want), "%ld 1 %ld %ld", (long)PIECES, (long)PIECES - 1, BIG_BYTES);
	cr_expect_str_eq(sum, want, "lines, first pieces, continued pieces, bytes: %s, want %s", sum, want);
	cr_expect(rss > 0 && rss <= RSS_MAX_KB, "labctl logs peaked at %ld KiB of RSS, want <= %ld", rss, RSS_MAX_KB);
	fprintf(stderr, "memory: logs of a 200 MB line: peak RSS %ld KiB\n", rss);
	free(sum);

	/* exec: the same output, passed through as it comes */
	snprintf(args, sizeof(args), "exec '%s' talker -- sh -c \"head -c 200000000 /dev/zero | tr '\\\\0' x\"", lab.dir);
	rss = 0;
	sum = measure(&lab, args, "wc -c", &rss);
	cr_expect_eq(atol(sum), BIG_BYTES, "exec passed on %s bytes", sum);
	cr_expect(rss > 0 && rss <= RSS_MAX_KB, "labctl exec peaked at %ld KiB of RSS, want <= %ld", rss, RSS_MAX_KB);
	fprintf(stderr, "memory: exec of a 200 MB line: peak RSS %ld KiB\n", rss);
	free(sum);

	/* exec's stdin: 200 MB in, read as the connection takes it */
	{
		char *bin = plain_labctl();
		char rss_file[300];
		int code = -1;
		snprintf(rss_file, sizeof(rss_file), "%s/rss-in", lab.dir);
		it_run(&r, "head -c %ld /dev/zero | LABCTL_STATE_DIR='%s' /usr/bin/time -f '%%x %%M' -o '%s' '%s' exec '%s' talker -- wc -c",
		       BIG_BYTES, lab.state, rss_file, bin, lab.dir);
		cr_expect_eq(r.status, 0, "%s", r.err);
		cr_expect_eq(atol(r.out), BIG_BYTES, "the command read %s bytes", r.out);
		it_run_free(&r);
		char *t = it_sh("tail -n 1 '%s'", rss_file);
		rss = 0;
		cr_expect_eq(sscanf(t, "%d %ld", &code, &rss), 2, "time said '%s'", t);
		cr_expect(rss > 0 && rss <= RSS_MAX_KB, "labctl exec with 200 MB on stdin peaked at %ld KiB of RSS, want <= %ld",
			  rss, RSS_MAX_KB);
		fprintf(stderr, "memory: exec reading 200 MB of stdin: peak RSS %ld KiB\n", rss);
		free(t);
		free(bin);
	}
	free(id);
	it_lab_cleanup(&lab);
}
