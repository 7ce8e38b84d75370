/* Compose keys whose effect is more than a field of the container:
 * profiles (which services up makes, and that the others are no
 * orphans) and depends_on restart: true (a dependent restarted when its
 * dependency is made anew). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char profiles_lab[] = "services:\n"
				   "  app:\n"
				   "    image: debian:bookworm-slim\n"
				   "    command: [sleep, infinity]\n"
				   "    stop_signal: SIGKILL\n"
				   "  debug:\n"
				   "    image: debian:bookworm-slim\n"
				   "    command: [sleep, infinity]\n"
				   "    stop_signal: SIGKILL\n"
				   "    profiles: [debug]\n"
				   "    depends_on: [app]\n";

Test(compose_keys, profiles_pick_what_up_makes, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "profiles", profiles_lab);
	unsetenv("COMPOSE_PROFILES");
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	char *app = it_container_id(lab.project, "app", 1), *dbg = it_container_id(lab.project, "debug", 1);
	cr_expect_str_neq(app, "");
	cr_expect_str_eq(dbg, "", "a service whose profile is not active was made");
	free(dbg);

	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' --profile debug", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	dbg = it_container_id(lab.project, "debug", 1);
	cr_expect_str_neq(dbg, "", "--profile debug did not make the debug service");

	/* without the profile again, even with --remove-orphans, its
	   container is left alone: it is not an orphan */
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' --remove-orphans", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "orphan") == NULL && strstr(r.err, "orphan") == NULL, "%s%s", r.out, r.err);
	it_run_free(&r);
	char *still = it_container_id(lab.project, "debug", 1);
	cr_expect_str_eq(still, dbg, "the debug service's container was removed as an orphan");
	free(still);
	free(dbg);
	free(app);
	it_lab_cleanup(&lab);
}

static const char restart_lab[] = "services:\n"
				  "  db:\n"
				  "    image: debian:bookworm-slim\n"
				  "    command: [sleep, infinity]\n"
				  "    stop_signal: SIGKILL\n"
				  "    environment: {GENERATION: \"@GEN@\"}\n"
				  "  follows:\n"
				  "    image: debian:bookworm-slim\n"
				  "    command: [sleep, infinity]\n"
				  "    stop_signal: SIGKILL\n"
				  "    depends_on: {db: {condition: service_started, restart: true}}\n"
				  "  stays:\n"
				  "    image: debian:bookworm-slim\n"
				  "    command: [sleep, infinity]\n"
				  "    stop_signal: SIGKILL\n"
				  "    depends_on: {db: {condition: service_started}}\n";

static char *started_at(const char *project, const char *service)
{
	char *id = it_container_id(project, service, 1);
	char *t = it_sh("docker inspect -f '{{.State.StartedAt}}' %s", id);
	free(id);
	return t;
}

static void write_generation(struct it_lab *lab, const char *gen)
{
	char yaml[sizeof(restart_lab) + 16];
	const char *at = strstr(restart_lab, "@GEN@");
	snprintf(yaml, sizeof(yaml), "%.*s%s%s", (int)(at - restart_lab), restart_lab, gen, at + 5);
	it_lab_write(lab, yaml);
}

Test(compose_keys, depends_on_restart_follows_a_recreated_dependency, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "restart", "services: {}\n");
	write_generation(&lab, "1");
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	char *f1 = started_at(lab.project, "follows"), *s1 = started_at(lab.project, "stays");

	/* nothing changed: nothing restarted */
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "restarted") == NULL && strstr(r.out, "restarted") == NULL, "%s", r.err);
	it_run_free(&r);

	write_generation(&lab, "2");
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "-follows-1 | restarted (depends on 'db' with restart: true, made anew)") != NULL,
		  "%s", r.err);
	it_run_free(&r);
	char *f2 = started_at(lab.project, "follows"), *s2 = started_at(lab.project, "stays");
	cr_expect_str_neq(f2, f1, "the dependent with restart: true was not restarted");
	cr_expect_str_eq(s2, s1, "the dependent without restart: true was restarted");
	free(f1);
	free(f2);
	free(s1);
	free(s2);
	it_lab_cleanup(&lab);
}

/* The files as Compose finds them: compose.yaml and its override in the
 * current directory, COMPOSE_FILE, -f A -f B, COMPOSE_PROJECT_NAME. */
Test(compose_keys, compose_files_found_and_merged, .timeout = 60)
{
	char *dir = it_sh("mktemp -d");
	struct it_run r;
	it_run(&r,
	       "cd '%s' && mkdir proj && cd proj && "
	       "printf 'services:\\n  a:\\n    image: debian:bookworm-slim\\n' > compose.yaml && "
	       "printf 'services:\\n  b:\\n    image: debian:bookworm-slim\\n' > compose.override.yml && "
	       "printf 'services:\\n  c:\\n    image: debian:bookworm-slim\\n' > extra.yaml && "
	       "unset COMPOSE_FILE COMPOSE_PROJECT_NAME; '%s' validate", dir, it_labctl());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "ok: lab 'proj', 2 services") != NULL, "compose.yaml + override: %s", r.out);
	it_run_free(&r);
	it_run(&r, "cd '%s/proj' && COMPOSE_FILE=compose.yaml:extra.yaml COMPOSE_PROJECT_NAME=other '%s' validate", dir,
	       it_labctl());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "ok: lab 'other', 2 services") != NULL, "COMPOSE_FILE: %s", r.out);
	it_run_free(&r);
	it_run(&r, "cd '%s/proj' && '%s' validate -f compose.yaml -f extra.yaml -f compose.override.yml", dir,
	       it_labctl());
	cr_expect(strstr(r.out, "ok: lab 'proj', 3 services") != NULL, "-f -f -f: %s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "rm -rf '%s'", dir);
	it_run_free(&r);
	free(dir);
}

/* Top-level volumes and networks with name: (a custom name labctl
 * creates, not an external one) and labels:, as Docker Compose v2 has
 * them: made under that name with the file's labels beside labctl's; when
 * the file's labels change, the network is made anew with its containers
 * connected again (Compose recreates a network whose config diverged) and
 * the volume is kept with its data, with a note (Compose keeps it unless
 * told to recreate it); down keeps the volume, down --volumes removes it.
 * Ones of those names that labctl did not make are used as they are, with
 * a note, and left by down. */
static const char resources_lab[] = "services:\n"
				    "  app:\n"
				    "    image: debian:bookworm-slim\n"
				    "    command: [sleep, infinity]\n"
				    "    stop_signal: SIGKILL\n"
				    "    networks: [front]\n"
				    "    volumes: [data:/data]\n"
				    "volumes:\n"
				    "  data:\n"
				    "    name: @NAME@-data\n"
				    "    labels: {course: bigdata}\n"
				    "networks:\n"
				    "  front:\n"
				    "    name: @NAME@-front\n"
				    "    labels: [zone=%s]\n";

static void write_resources_lab(struct it_lab *lab, const char *zone, int make)
{
	char yaml[sizeof(resources_lab) + 64];
	snprintf(yaml, sizeof(yaml), resources_lab, zone);
	if (make)
		it_lab_make(lab, "resources", yaml);
	else
		it_lab_write(lab, yaml);
}

Test(compose_keys, named_volume_and_network_with_labels, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	write_resources_lab(&lab, "dmz", 1);
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "volume '") && strstr(r.err, "-data' created"), "%s", r.err);
	it_run_free(&r);
	char *vl = it_sh("docker volume inspect '%s-data' --format '{{json .Labels}}'", lab.project);
	char *want = it_sh("printf '{\"course\":\"bigdata\",\"io.labctl.lab\":\"%s\",\"io.labctl.volume\":\"data\"}'",
			   lab.project);
	cr_expect_str_eq(vl, want, "the volume's labels");
	free(vl);
	free(want);
	char *nl = it_sh("docker network inspect '%s-front' --format '{{json .Labels}}'", lab.project);
	want = it_sh("printf '{\"io.labctl.lab\":\"%s\",\"io.labctl.network\":\"front\",\"zone\":\"dmz\"}'", lab.project);
	cr_expect_str_eq(nl, want, "the network's labels");
	free(nl);
	free(want);
	char *app = it_container_id(lab.project, "app", 1);
	it_run(&r, "docker exec '%s' sh -c 'echo kept >/data/f'", app);
	cr_expect_eq(r.status, 0, "%s", r.out);
	it_run_free(&r);

	/* other labels: the network made anew, the container kept and
	   connected again under its service name; the volume kept */
	write_resources_lab(&lab, "inside", 0);
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "-front' removed (its labels differ from the file's: made anew"), "%s", r.err);
	cr_expect(strstr(r.err, "-front' created"), "%s", r.err);
	cr_expect(!strstr(r.err, "-data' created"), "%s", r.err);
	it_run_free(&r);
	nl = it_sh("docker network inspect '%s-front' --format '{{index .Labels \"zone\"}}'", lab.project);
	cr_expect_str_eq(nl, "inside", "the network was not made anew with the file's labels");
	free(nl);
	char *again = it_container_id(lab.project, "app", 1);
	cr_expect_str_eq(again, app, "the container was recreated, not reconnected");
	free(again);
	it_run(&r, "docker exec '%s' sh -c 'cat /data/f && getent hosts app'", app);
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "kept\n"), "%s", r.out);
	it_run_free(&r);
	free(app);

	/* the volume's labels changed: kept, data in it, and said so */
	char yaml[sizeof(resources_lab) + 64];
	snprintf(yaml, sizeof(yaml), resources_lab, "inside");
	char *p = strstr(yaml, "course: bigdata");
	memcpy(p, "course: spark  ", 15);
	it_lab_write(&lab, yaml);
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "-data' exists with other labels than the file gives it; kept with its data"), "%s",
		  r.err);
	cr_expect(!strstr(r.err, "-front' removed"), "%s", r.err);
	it_run_free(&r);

	/* down keeps the named volume, down --volumes removes it */
	it_labctl_run(&r, &lab, "down -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "docker volume inspect '%s-data' >/dev/null 2>&1", lab.project);
	cr_expect_eq(r.status, 0, "down removed the named volume");
	it_run_free(&r);
	it_run(&r, "docker network inspect '%s-front' >/dev/null 2>&1", lab.project);
	cr_expect_neq(r.status, 0, "down left the network");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down -f '%s/lab.yml' -p '%s' --volumes", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "docker volume inspect '%s-data' >/dev/null 2>&1", lab.project);
	cr_expect_neq(r.status, 0, "down --volumes left the named volume");
	it_run_free(&r);

	/* a volume and a network of those names that labctl did not make:
	   used as they are, with a note each (Compose warns alike) */
	it_run(&r, "docker volume create '%s-data' >/dev/null && docker network create '%s-front' >/dev/null",
	       lab.project, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "-front' exists but was not made by labctl: used as it is") &&
			  strstr(r.err, "-data' exists but was not made by labctl: used as it is"),
		  "%s", r.err);
	cr_expect(!strstr(r.err, "removed ("), "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down -f '%s/lab.yml' -p '%s' --volumes", lab.dir, lab.project);
	it_run_free(&r);
	it_run(&r, "docker volume inspect '%s-data' >/dev/null 2>&1 && docker network inspect '%s-front' >/dev/null 2>&1",
	       lab.project, lab.project);
	cr_expect_eq(r.status, 0, "down removed a volume or network labctl did not make");
	it_run_free(&r);
	it_run(&r, "docker network rm '%s-front' >/dev/null; docker volume rm '%s-data' >/dev/null", lab.project,
	       lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
