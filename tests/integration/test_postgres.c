/* PostgreSQL from images/postgres: health-gated start, data on a named
 * volume surviving down/up, --volumes removing it; module0 end to end. */
#include <criterion/criterion.h>
#include <stdio.h>
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

Test(postgres, module0_comes_up_health_gated, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char port[16];
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	snprintf(port, sizeof(port), "%d", it_free_port()); /* Kafka advertises its host port */
	setenv("LAB_KAFKA_PORT", port, 1);
	it_lab_make(&lab, "module0", "");
	it_labctl_run(&r, &lab, "up -p %s module0", lab.project);
	cr_assert_eq(r.status, 0, "up module0 failed: %s\n%s", r.err, r.out);
	const char *svcs[] = {"postgres", "kafka", "objectstore", "init", "compute"};
	for (size_t i = 0; i < 5; i++)
		cr_expect(strstr(r.out, svcs[i]), "table lists %s: %s", svcs[i], r.out);
	cr_expect(strstr(r.out, "completed"), "init ran to completion: %s", r.out);
	it_run_free(&r);
	/* compute started last: after init finished */
	char *init_done = it_sh("docker inspect -f '{{.State.FinishedAt}}' %s",
				it_container_id(lab.project, "init", 1));
	char *compute_start = it_sh("docker inspect -f '{{.State.StartedAt}}' %s",
				    it_container_id(lab.project, "compute", 1));
	cr_expect(strcmp(compute_start, init_done) > 0, "compute %s before init done %s", compute_start, init_done);
	free(init_done), free(compute_start);
	/* the compute node reaches all three by name with what its environment says */
	it_labctl_run(&r, &lab, "exec -p %s module0 compute -- psql -tAc \"select count(*) from airports\"", lab.project);
	cr_expect_eq(r.status, 0, "compute psql: %s", r.err);
	cr_expect_str_eq(r.out, "0\n");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec -p %s module0 compute -- sh -c 'kcat -L -b \"$KAFKA_BOOTSTRAP_SERVERS\" -m 5 | "
				"grep -c \"broker 1 at\"'", lab.project);
	cr_expect_str_eq(r.out, "1\n", "kcat from compute: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec -p %s module0 compute -- sh -c 'curl -s -o /dev/null -w %%{http_code} "
				"--aws-sigv4 aws:amz:$AWS_REGION:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "
				"-H \"x-amz-content-sha256: UNSIGNED-PAYLOAD\" -I $AWS_ENDPOINT_URL/lake'", lab.project);
	cr_expect_str_eq(r.out, "200", "bucket lake exists and compute can sign: %s", r.err);
	it_run_free(&r);
	/* labctl env names every service of the lab */
	it_labctl_run(&r, &lab, "env -p %s module0", lab.project);
	const char *vars[] = {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "KAFKA_BOOTSTRAP_SERVERS",
			      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION"};
	for (size_t i = 0; i < 10; i++) {
		char want[64];
		snprintf(want, sizeof(want), "export %s='", vars[i]);
		cr_expect(strstr(r.out, want), "env has %s: %s", vars[i], r.out);
	}
	it_run_free(&r);
	/* and its lines work for psql on this machine */
	it_run(&r, "eval \"$(LABCTL_STATE_DIR=%s %s env -p %s module0)\" && psql -tAc 'select 41+1'", lab.state,
	       it_labctl(), lab.project);
	cr_expect_str_eq(r.out, "42\n", "%s", r.err);
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
