/* PostgreSQL from images/postgres: health-gated start, data on a named
 * volume surviving down/up, --volumes removing it; module0 end to end. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *pg_lab = "lab: { name: \"@NAME@\" }\n"
			    "include: [\"@REPO@/labs/common/postgres.yml\"]\n";

static void psql(struct it_run *r, const struct it_lab *lab, const char *sql)
{
	it_labctl_run(r, lab, "exec '%s' postgres -- psql -U lab -d lab -tAc \"%s\"", lab->dir, sql);
}

Test(postgres, rows_survive_down_up_and_volumes_removes_them, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1); /* engine-chosen host port: tests may run beside a real lab */
	it_lab_make(&lab, "pgdata", pg_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "127.0.0.1:"), "endpoint on loopback: %s", r.out);
	it_run_free(&r);

	psql(&r, &lab, "create table marks(student text, score int); insert into marks values ('ada', 97)");
	cr_assert_eq(r.status, 0, "psql: %s %s", r.out, r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "second up: %s", r.err);
	it_run_free(&r);
	psql(&r, &lab, "select student || '=' || score from marks");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "ada=97\n", "row lost across down/up");
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s' --volumes", lab.dir);
	cr_assert_eq(r.status, 0, "down --volumes: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "third up: %s", r.err);
	it_run_free(&r);
	psql(&r, &lab, "select count(*) from pg_tables where tablename = 'marks'");
	cr_expect_str_eq(r.out, "0\n", "--volumes must remove the data");
	it_run_free(&r);

	/* the password was generated, stored 0600, and is not in the file */
	char *mode = it_sh("stat -c %%a '%s/%s/credentials.env'", lab.state, lab.project);
	cr_expect_str_eq(mode, "600");
	free(mode);
	it_lab_cleanup(&lab);
}

Test(postgres, module0_comes_up_health_gated, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1);
	it_lab_make(&lab, "module0", "");
	it_labctl_run(&r, &lab, "up -p %s module0", lab.project);
	cr_assert_eq(r.status, 0, "up module0 failed: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "postgres") && strstr(r.out, "init") && strstr(r.out, "client"), "%s", r.out);
	cr_expect(strstr(r.out, "completed"), "init ran to completion: %s", r.out);
	it_run_free(&r);
	/* the init job made the table; the client reaches postgres by name */
	it_labctl_run(&r, &lab, "exec -p %s module0 client -- psql -tAc \"select count(*) from airports\"", lab.project);
	cr_expect_eq(r.status, 0, "client psql: %s", r.err);
	cr_expect_str_eq(r.out, "0\n");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down -p %s module0 --volumes", lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(postgres, killed_up_converges_without_duplicates, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "kill9",
		    "services:\n"
		    "  worker:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    deploy: { replicas: 4 }\n"
		    "  late:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on: { worker: { condition: service_healthy } }\n");
	/* kill -9 as soon as the first container exists */
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' up '%s' >/dev/null 2>&1 & pid=$!;"
	       "for i in $(seq 1 400); do n=$(docker ps -aq --filter label=io.labctl.lab=%s | wc -l);"
	       " [ \"$n\" -ge 1 ] && break; sleep 0.02; done; kill -9 $pid; wait $pid; true",
	       lab.state, it_labctl(), lab.dir, lab.project);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "up after kill -9: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 5, "4 workers + 1 late, no duplicates");
	char *running = it_sh("docker ps -q --filter label=io.labctl.lab=%s | wc -l", lab.project);
	cr_expect_str_eq(running, "5");
	free(running);
	it_lab_cleanup(&lab);
}
