/* Two labctl on one lab at once: they take turns on the lab's lock, and
 * what another tool left ambiguous (two networks of one name) is repaired. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *small_lab =
	"lab: { name: \"@NAME@\" }\n"
	"services:\n"
	"  db:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo db is up; sleep infinity & wait\"]\n"
	"    volumes: [\"data:/data\"]\n"
	"    x-ready: { log: \"db is up\" }\n"
	"  compute:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
	"    depends_on: { db: { condition: service_healthy } }\n"
	"volumes:\n"
	"  data: {}\n";

static int count_lines_with(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* down --volumes; up & up & wait: both exit 0, the second after waiting
 * for the first (said once), one network, both containers running. */
Test(concurrent, two_ups_of_one_lab_take_turns, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "twoups", small_lab);
	for (int round = 0; round < 3; round++) {
		it_labctl_run(&r, &lab, "down '%s' --volumes", lab.dir);
		cr_assert_eq(r.status, 0, "down: %s", r.err);
		it_run_free(&r);
		char *cmd = NULL;
		cr_assert(asprintf(&cmd,
				   "export LABCTL_STATE_DIR='%s'; '%s' up '%s' >/dev/null 2>%s/up1.err & p1=$!; "
				   "'%s' up '%s' >/dev/null 2>%s/up2.err & p2=$!; "
				   "wait $p1; a=$?; wait $p2; b=$?; echo \"$a $b\"; cat %s/up1.err %s/up2.err >&2",
				   lab.state, it_labctl(), lab.dir, lab.dir, it_labctl(), lab.dir, lab.dir, lab.dir,
				   lab.dir) > 0);
		it_run(&r, "%s", cmd);
		free(cmd);
		cr_expect_str_eq(r.out, "0 0\n", "round %d: both exit 0 (exit codes: %s)\n%s", round, r.out, r.err);
		cr_expect_eq(count_lines_with(r.err, "waiting for labctl (pid "), 1,
			     "round %d: one run waits for the other, saying so:\n%s", round, r.err);
		char want[128];
		snprintf(want, sizeof(want), "on lab '%s'", lab.project);
		cr_expect(strstr(r.err, want), "names the lab: %s", r.err);
		cr_expect_eq(count_lines_with(r.err, "network '"), 1, "round %d: one network created:\n%s", round, r.err);
		cr_expect(strstr(r.err, "nothing changed"), "round %d: the second run is a no-op:\n%s", round, r.err);
		it_run_free(&r);
		cr_expect_eq(it_count_networks(lab.project), 1, "round %d: one network", round);
		cr_expect_eq(it_count_containers(lab.project), 2, "round %d", round);
		char *states = it_sh("docker ps -a --filter label=io.labctl.lab=%s --format '{{.State}}' | sort | uniq -c | "
				     "awk '{print $1, $2}'",
				     lab.project);
		cr_expect_str_eq(states, "2 running", "round %d: %s", round, states);
		free(states);
	}
	/* the lock file holds no pid once nobody holds it */
	char *held = it_sh("cat '%s/%s/lock'", lab.state, lab.project);
	cr_expect_str_eq(held, "");
	free(held);
	it_lab_cleanup(&lab);
}

/* up and down at once: whichever goes second sees what the first left
 * whole; down then up leaves the lab up, up then down leaves nothing. */
Test(concurrent, up_and_down_of_one_lab_take_turns, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "updown", small_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	/* down holds the lock while it removes; an up started meanwhile waits
	   and brings the lab back */
	char *cmd = NULL;
	cr_assert(asprintf(&cmd,
			   "export LABCTL_STATE_DIR='%s'; '%s' down '%s' 2>%s/down.err & p=$!; sleep 0.3; "
			   "'%s' up '%s' >/dev/null 2>%s/up.err; u=$?; wait $p; d=$?; echo \"$d $u\"; cat %s/down.err %s/up.err >&2",
			   lab.state, it_labctl(), lab.dir, lab.dir, it_labctl(), lab.dir, lab.dir, lab.dir, lab.dir) > 0);
	it_run(&r, "%s", cmd);
	free(cmd);
	cr_expect_str_eq(r.out, "0 0\n", "exit codes %s\n%s", r.out, r.err);
	it_run_free(&r);
	char *states = it_sh("docker ps -a --filter label=io.labctl.lab=%s --format '{{.State}}' | sort | uniq -c | "
			     "awk '{print $1, $2}'",
			     lab.project);
	cr_expect_str_eq(states, "2 running", "up after down leaves the lab up: %s", states);
	free(states);
	cr_expect_eq(it_count_networks(lab.project), 1);
	it_lab_cleanup(&lab);
}

/* Two networks of the lab's name, as an older labctl racing itself or
 * another tool left them: up keeps one and removes the other, and works;
 * before, every up failed with "network ... is ambiguous" until down. */
Test(concurrent, duplicate_network_is_repaired, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "dupnet", small_lab);
	/* the API (unlike the CLI) makes a second network of a name when
	   CheckDuplicate is not set */
	for (int i = 0; i < 2; i++) {
		char *id = it_sh("curl -s --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/json' "
				 "-d '{\"Name\":\"%s_default\",\"Labels\":{\"io.labctl.lab\":\"%s\",\"io.labctl.network\":\"default\"}}' "
				 "http://engine/v1.41/networks/create",
				 lab.project, lab.project);
		cr_assert(strstr(id, "\"Id\""), "could not make the duplicate: %s", id);
		free(id);
	}
	cr_assert_eq(it_count_networks(lab.project), 2);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "up with two networks of its name: %s", r.err);
	cr_expect(strstr(r.err, "duplicate"), "says it removed a duplicate: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_networks(lab.project), 1, "one network left");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* Two networks of the name, both with containers attached: which one the
 * lab should use cannot be told, so up refuses, naming them and what to
 * do, and creates nothing. */
Test(concurrent, duplicate_networks_in_use_are_refused_clearly, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "dupused", small_lab);
	char *ids[2];
	for (int i = 0; i < 2; i++) {
		char *out = it_sh("curl -s --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/json' "
				  "-d '{\"Name\":\"%s_default\",\"Labels\":{\"io.labctl.lab\":\"%s\"}}' "
				  "http://engine/v1.41/networks/create | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Id\"])'",
				  lab.project, lab.project);
		cr_assert_eq(strlen(out), 64, "%s", out);
		ids[i] = out;
		/* a container started on a name two networks carry fails to
		   start, so each joins by id once running */
		char *c = it_sh("docker run -d --label io.labctl.lab=%s --name %s-squatter%d debian:bookworm-slim sleep 300 "
				">/dev/null && docker network connect %s %s-squatter%d && echo ok",
				lab.project, lab.project, i, ids[i], lab.project, i);
		cr_assert_str_eq(c, "ok", "squatter %d", i);
		free(c);
	}
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_neq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "ambiguous") && strstr(r.err, "containers attached"), "%s", r.err);
	char short_id[13];
	snprintf(short_id, sizeof(short_id), "%.12s", ids[0]);
	cr_expect(strstr(r.err, short_id), "names the networks: %s", r.err);
	it_run_free(&r);
	char *made = it_sh("docker ps -aq --filter label=io.labctl.lab=%s --filter label=io.labctl.service", lab.project);
	cr_expect_str_eq(made, "", "no container of the lab was made");
	free(made);
	it_run(&r, "docker rm -f %s-squatter0 %s-squatter1", lab.project, lab.project);
	it_run_free(&r);
	free(ids[0]);
	free(ids[1]);
	it_lab_cleanup(&lab);
}
