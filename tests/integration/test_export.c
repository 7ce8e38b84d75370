/* labctl export compose against the real docker-compose (Debian's 1.29):
 * compose/ is fresh, docker-compose accepts every export, and an exported
 * lab runs under docker-compose alone with the credentials from .env. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(export, committed_compose_files_are_fresh, .timeout = 120)
{
	struct it_run r;
	it_run(&r, "cd '%s' && LABCTL='%s' scripts/export-compose.sh --check", it_repo(), it_labctl());
	cr_expect_eq(r.status, 0, "compose/ is stale (run make compose):\n%s\n%s", r.err, r.out);
	it_run_free(&r);
}

/* For every lab: the export with its .env, and the committed file with the
 * same .env, pass `docker-compose config` with every variable set. */
Test(export, docker_compose_accepts_every_export, .timeout = 300)
{
	char *labs = it_sh("cd '%s/labs' && ls -d */lab.yml | cut -d/ -f1", it_repo());
	cr_assert(it_lines(labs) >= 4, "labs: %s", labs);
	char *save = NULL;
	for (char *lab = strtok_r(labs, "\n", &save); lab; lab = strtok_r(NULL, "\n", &save)) {
		char *tmp = it_sh("mktemp -d");
		struct it_run r;
		it_run(&r, "LABCTL_STATE_DIR='%s/state' '%s' export compose '%s/labs/%s/lab.yml' -o '%s/out'", tmp,
		       it_labctl(), it_repo(), lab, tmp);
		cr_expect_eq(r.status, 0, "export %s: %s", lab, r.err);
		it_run_free(&r);
		char *mode = it_sh("stat -c %%a '%s/out/.env'", tmp);
		cr_expect_str_eq(mode, "600", "%s: .env holds credentials, mode must be 0600", lab);
		free(mode);

		it_run(&r, "cd '%s/out' && docker-compose config", tmp);
		cr_expect_eq(r.status, 0, "docker-compose config of the %s export:\n%s", lab, r.err);
		cr_expect(strstr(r.err, "is not set") == NULL, "%s: a variable is not set:\n%s", lab, r.err);
		/* the credentials in .env reach the services */
		char *pw = it_sh("sed -n 's/^POSTGRES_PASSWORD=//p; s/^S3_SECRET_KEY=//p' '%s/out/.env' | head -1", tmp);
		if (*pw)
			cr_expect(strstr(r.out, pw), "%s: the credential from .env is not in the resolved file", lab);
		free(pw);
		it_run_free(&r);

		it_run(&r, "docker-compose --env-file '%s/out/.env' -f '%s/compose/%s/docker-compose.yml' config -q", tmp,
		       it_repo(), lab);
		cr_expect_eq(r.status, 0, "docker-compose config of compose/%s:\n%s", lab, r.err);
		it_run_free(&r);
		free(it_sh("rm -rf '%s'", tmp));
		free(tmp);
	}
	free(labs);
}

/* docker-compose's project for the test below: its containers carry
 * Compose's labels, not labctl's, so they are removed here even when an
 * assertion ends the test early. */
static char dc[128];

static void remove_compose_project(void)
{
	if (!dc[0])
		return;
	free(it_sh("docker ps -aq --filter label=com.docker.compose.project=%s | xargs -r docker rm -f -v >/dev/null 2>&1;"
		   "docker network ls -q --filter label=com.docker.compose.project=%s | xargs -r docker network rm >/dev/null 2>&1;"
		   "docker volume ls -q --filter label=com.docker.compose.project=%s | xargs -r docker volume rm >/dev/null 2>&1; true",
		   dc, dc, dc));
}

/* A lab with PostgreSQL, the object store with a bucket, a one-shot job
 * gated on PostgreSQL and a compute node gated on all of them: labctl
 * brings it up once (and builds the images), then the export runs under
 * docker-compose alone, health-gated the same way. */
Test(export, exported_lab_runs_under_docker_compose, .timeout = 600, .fini = remove_compose_project)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "export",
		    "lab: { name: \"@NAME@\" }\n"
		    "include: [\"@REPO@/labs/common/postgres.yml\", \"@REPO@/labs/common/objectstore.yml\"]\n"
		    "buckets: [lake]\n"
		    "services:\n"
		    "  init:\n"
		    "    image: labctl/postgres:15\n"
		    "    healthcheck: { disable: true }\n"
		    "    depends_on: { postgres: { condition: service_healthy } }\n"
		    "    environment: { PGHOST: postgres, PGUSER: lab, PGPASSWORD: \"${POSTGRES_PASSWORD}\", PGDATABASE: lab }\n"
		    "    command: [psql, -v, ON_ERROR_STOP=1, -c, \"create table if not exists t (price text); "
		    "insert into t values ('$$5')\"]\n"
		    "  compute:\n"
		    "    image: labctl/compute:1\n"
		    "    build: \"@REPO@/images/compute\"\n"
		    "    deploy: { replicas: 2 }\n"
		    "    depends_on:\n"
		    "      init: { condition: service_completed_successfully }\n"
		    "      objectstore: { condition: service_healthy }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "labctl up: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "labctl down: %s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "export compose '%s' -o '%s/dc'", lab.dir, lab.dir);
	cr_assert_eq(r.status, 0, "export: %s", r.err);
	it_run_free(&r);
	unsetenv("LAB_PG_PORT");
	unsetenv("LAB_S3_PORT");
	snprintf(dc, sizeof(dc), "%s-dc", lab.project);
	/* docker-compose itself waits for service_healthy and
	   service_completed_successfully before it starts compute */
	it_run(&r, "cd '%s/dc' && docker-compose -p '%s' up -d", lab.dir, dc);
	cr_expect_eq(r.status, 0, "docker-compose up:\n%s", r.err);
	it_run_free(&r);

	char *states = it_sh("docker ps -a --filter label=com.docker.compose.project=%s "
			     "--format '{{.Label \"com.docker.compose.service\"}} {{.State}} {{.Status}}' | sort",
			     dc);
	cr_expect(strstr(states, "compute running"), "%s", states);
	cr_expect_eq(it_lines(states), 5, "2 compute + init + postgres + objectstore:\n%s", states);
	cr_expect(strstr(states, "init exited Exited (0)"), "%s", states);
	cr_expect(strstr(states, "objectstore running Up") && strstr(states, "(healthy)"), "%s", states);
	free(states);

	/* the one-shot ran with the password from .env, and $$ stayed a $ */
	char *price = it_sh("docker exec %s_postgres_1 sh -c 'PGPASSWORD=$POSTGRES_PASSWORD psql -h 127.0.0.1 -U lab "
			    "-d lab -tAc \"select price from t\"'",
			    dc);
	cr_expect_str_eq(price, "$5");
	free(price);
	/* the bucket exists at start, reached with the keys from .env */
	char *code = it_sh("set -a; . '%s/dc/.env'; set +a; docker exec -e K=$S3_ACCESS_KEY -e S=$S3_SECRET_KEY "
			   "%s_compute_1 sh -c 'curl -s -o /dev/null -w %%{http_code} -I --aws-sigv4 aws:amz:us-east-1:s3 "
			   "--user \"$K:$S\" -H \"x-amz-content-sha256: UNSIGNED-PAYLOAD\" http://objectstore:9000/lake'",
			   lab.dir, dc);
	cr_expect_str_eq(code, "200", "bucket lake from S3_BUCKETS, signed HEAD from compute");
	free(code);
	/* the host port stays on loopback */
	char *bind = it_sh("docker port %s_postgres_1 5432", dc);
	cr_expect(strncmp(bind, "127.0.0.1:", 10) == 0, "published on %s", bind);
	free(bind);

	it_run(&r, "cd '%s/dc' && docker-compose -p '%s' down -v", lab.dir, dc);
	cr_expect_eq(r.status, 0, "docker-compose down: %s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* A lab whose image is FROM a base built here (labctl/NAME:1 from the
 * directory NAME beside its context, as images/kafka is FROM labctl/jre:17):
 * on a machine that has neither image, the export alone builds the base
 * first (a build-only service, replicas 0, first in the file) and runs the
 * service on it; the base never runs. */
Test(export, exported_lab_builds_its_base_first_where_neither_image_is, .timeout = 300,
     .fini = remove_compose_project)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "exbase",
		    "services:\n"
		    "  app:\n"
		    "    build: ./imgs/app\n"
		    "    image: \"@NAME@-app:1\"\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	it_run(&r,
	       "cd '%s' && mkdir -p imgs/app imgs/%s && printf 'FROM labctl/%s:1\\nRUN cp /base.txt /app.txt\\n' "
	       "> imgs/app/Dockerfile && printf 'FROM debian:bookworm-slim\\nCOPY base.txt /base.txt\\n' > "
	       "imgs/%s/Dockerfile && echo one > imgs/%s/base.txt",
	       lab.dir, lab.project, lab.project, lab.project, lab.project);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "export compose '%s' -o '%s/dc'", lab.dir, lab.dir);
	cr_assert_eq(r.status, 0, "export: %s", r.err);
	it_run_free(&r);
	free(it_sh("docker rmi -f %s-app:1 labctl/%s:1 >/dev/null 2>&1", lab.project, lab.project));

	snprintf(dc, sizeof(dc), "%s-dc", lab.project);
	it_run(&r, "cd '%s/dc' && docker-compose -p '%s' up -d", lab.dir, dc);
	cr_expect_eq(r.status, 0, "docker-compose up:\n%s", r.err);
	it_run_free(&r);
	char *states = it_sh("docker ps -a --filter label=com.docker.compose.project=%s "
			     "--format '{{.Label \"com.docker.compose.service\"}} {{.State}}' | sort",
			     dc);
	cr_expect_str_eq(states, "app running", "only app runs, the base is built only");
	free(states);
	char *content = it_sh("docker exec %s_app_1 cat /app.txt", dc);
	cr_expect_str_eq(content, "one");
	free(content);
	it_run(&r, "cd '%s/dc' && docker-compose -p '%s' down -v", lab.dir, dc);
	it_run_free(&r);
	free(it_sh("docker rmi -f %s-app:1 labctl/%s:1 >/dev/null 2>&1", lab.project, lab.project));
	it_lab_cleanup(&lab);
}
