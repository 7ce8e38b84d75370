/* One test per row of the README's exit-code table: 0 ok; 1 the lab ran
 * and is not as wanted; 2 bad input (nothing changed on the engine); 3
 * the engine unreachable or an engine error. Each asserts the code and
 * the message the user sees, across the commands. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* One running service with a check that passes. */
static const char *one_service = "services:\n"
				 "  app:\n"
				 "    image: debian:bookworm-slim\n"
				 "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo app says hello; sleep infinity & wait\"]\n"
				 "checks:\n"
				 "  - id: answers\n"
				 "    exec: { service: app, command: \"true\", exit_code: 0 }\n";

/* r's exit code is want and its stderr (or stdout) holds every needle. */
#define EXPECT_RUN(r, want, what, ...)                                                                             \
	do {                                                                                                       \
		cr_expect_eq((r)->status, (want), "%s: exit %d (want %d): out: %s err: %s", (what), (r)->status,  \
			     (want), (r)->out, (r)->err);                                                          \
		const char *needles_[] = {__VA_ARGS__, NULL};                                                      \
		for (int k_ = 0; needles_[k_]; k_++)                                                               \
			cr_expect(strstr((r)->err, needles_[k_]) || strstr((r)->out, needles_[k_]),               \
				  "%s: says '%s': out: %s err: %s", (what), needles_[k_], (r)->out, (r)->err);     \
	} while (0)

static char *app_state(const char *project)
{
	char *id = it_container_id(project, "app", 1);
	char *state = *id ? it_sh("docker inspect -f '{{.State.Status}}' %s", id) : strdup("none");
	free(id);
	return state;
}

Test(exit_codes, row0_ok, .timeout = 180)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "xc0", one_service);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	EXPECT_RUN(&r, 0, "up", "is up");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "status '%s'", lab.dir);
	EXPECT_RUN(&r, 0, "status", "running");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' app -- echo inside", lab.dir);
	EXPECT_RUN(&r, 0, "exec", "inside");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs '%s' app", lab.dir);
	EXPECT_RUN(&r, 0, "logs", "app-1 | app says hello");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "env '%s'", lab.dir);
	EXPECT_RUN(&r, 0, "env (a lab with no data service: nothing to export)", "");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "verify '%s'", lab.dir);
	EXPECT_RUN(&r, 0, "verify", "1 passed, 0 failed");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	EXPECT_RUN(&r, 0, "down", "is down");
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(exit_codes, row1_the_lab_ran_and_is_not_as_wanted, .timeout = 180)
{
	struct it_lab lab;
	struct it_run r;
	char want[300];
	it_lab_make(&lab, "xc1",
		    "services:\n"
		    "  app:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "checks:\n"
		    "  - id: wants-a-file\n"
		    "    file: { service: app, path: /tmp/answer.txt }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	/* a check failed */
	it_labctl_run(&r, &lab, "verify '%s'", lab.dir);
	EXPECT_RUN(&r, 1, "verify with a failing check", "wants-a-file", "0 passed, 1 failed");
	it_run_free(&r);
	/* a service's container is not running */
	char *id = it_container_id(lab.project, "app", 1);
	free(it_sh("docker stop -t 1 %s", id));
	free(id);
	it_labctl_run(&r, &lab, "exec '%s' app -- true", lab.dir);
	EXPECT_RUN(&r, 1, "exec into a stopped container", "is not running (exited; labctl up");
	it_run_free(&r);
	/* the lab is not up at all: a known lab, a known service */
	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' app -- true", lab.dir);
	snprintf(want, sizeof(want), "service 'app' of lab '%s' is not running (labctl up %s)", lab.project,
		 lab.project);
	EXPECT_RUN(&r, 1, "exec on a lab that is down", want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs '%s'", lab.dir);
	snprintf(want, sizeof(want), "lab '%s' has no containers (labctl up %s)", lab.project, lab.project);
	EXPECT_RUN(&r, 1, "logs of a lab that is down", want);
	it_run_free(&r);
	/* not ready in time */
	it_lab_write(&lab, "services:\n"
			   "  app:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
			   "    x-ready: { tcp: 9999, timeout: 1s }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	EXPECT_RUN(&r, 1, "up with a service never ready", "service 'app' not ready after 1s");
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* Bad input changes nothing: the lab's one container keeps running. */
static void expect_untouched(const struct it_lab *lab, const char *what)
{
	char *state = app_state(lab->project);
	cr_expect_str_eq(state, "running", "%s: app is %s", what, state);
	free(state);
	cr_expect_eq(it_count_containers(lab->project), 1, "%s: no container made or removed", what);
}

Test(exit_codes, row2_bad_input, .timeout = 240)
{
	struct it_lab lab;
	struct it_run r;
	char want[400];
	it_lab_make(&lab, "xc2", one_service);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	/* unknown service, with a did-you-mean when one is near */
	it_labctl_run(&r, &lab, "exec '%s' nosuchservice -- true", lab.dir);
	snprintf(want, sizeof(want), "labctl: lab '%s' has no service 'nosuchservice'\n", lab.project);
	EXPECT_RUN(&r, 2, "exec, unknown service", want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' ap -- true", lab.dir);
	snprintf(want, sizeof(want), "labctl: lab '%s' has no service 'ap'; did you mean 'app'?", lab.project);
	EXPECT_RUN(&r, 2, "exec, a near miss", want);
	it_run_free(&r);
	/* by the lab's name only (its labels), the same */
	it_labctl_run(&r, &lab, "exec -p '%s' '%s' ap -- true", lab.project, lab.project);
	EXPECT_RUN(&r, 2, "exec -p, a near miss", want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs '%s' nosuchservice", lab.dir);
	snprintf(want, sizeof(want), "labctl: lab '%s' has no service 'nosuchservice'", lab.project);
	EXPECT_RUN(&r, 2, "logs, unknown service", want);
	it_run_free(&r);
	/* unknown replica */
	it_labctl_run(&r, &lab, "exec '%s' app --replica 5 -- true", lab.dir);
	snprintf(want, sizeof(want), "labctl: service 'app' of lab '%s' has 1 replica: no replica 5", lab.project);
	EXPECT_RUN(&r, 2, "exec, unknown replica", want);
	it_run_free(&r);
	/* unknown job, unknown check */
	it_labctl_run(&r, &lab, "run '%s' nosuchjob", lab.dir);
	snprintf(want, sizeof(want), "labctl: lab '%s' has no job 'nosuchjob'", lab.project);
	EXPECT_RUN(&r, 2, "run, unknown job", want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "verify '%s' --only nosuchcheck", lab.dir);
	snprintf(want, sizeof(want), "labctl: lab '%s' has no check 'nosuchcheck'", lab.project);
	EXPECT_RUN(&r, 2, "verify, unknown check", want);
	it_run_free(&r);
	/* unknown lab: no file and nothing on the engine, with a did-you-mean */
	const char *on_running[] = {"status", "logs", "down", "exec"};
	for (size_t i = 0; i < sizeof(on_running) / sizeof(on_running[0]); i++) {
		it_labctl_run(&r, &lab, "%s modul3%s", on_running[i], strcmp(on_running[i], "exec") ? "" : " app -- true");
		EXPECT_RUN(&r, 2, on_running[i], "labctl: no lab named 'modul3'; did you mean 'module3'?");
		it_run_free(&r);
	}
	/* numbers that are not */
	it_labctl_run(&r, &lab, "exec '%s' app --replica x -- true", lab.dir);
	EXPECT_RUN(&r, 2, "exec --replica x", "option '--replica' wants a whole number from 1, not 'x'");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs '%s' --tail x", lab.dir);
	EXPECT_RUN(&r, 2, "logs --tail x", "option '--tail' wants a whole number from 0, not 'x'");
	it_run_free(&r);
	it_labctl_run(&r, &lab, "down '%s' --timeout x", lab.dir);
	EXPECT_RUN(&r, 2, "down --timeout x", "option '--timeout' wants a whole number from 0, not 'x'");
	it_run_free(&r);
	expect_untouched(&lab, "after the names");
	/* -f with a file that is not there, every command that takes one */
	const char *with_file[] = {"up", "status", "logs", "down", "env", "verify", "validate", "jobs", "exec", "run"};
	for (size_t i = 0; i < sizeof(with_file) / sizeof(with_file[0]); i++) {
		it_labctl_run(&r, &lab, "%s -f /nonexistent/lab.yml%s", with_file[i],
			      strcmp(with_file[i], "exec") == 0  ? " app -- true"
			      : strcmp(with_file[i], "run") == 0 ? " job"
								 : "");
		EXPECT_RUN(&r, 2, with_file[i], "lab file '/nonexistent/lab.yml' not found");
		it_run_free(&r);
	}
	/* a lab file with an error: file:line:col, for what runs too */
	char bad[400];
	snprintf(bad, sizeof(bad), "%s/../bad.yml", lab.dir);
	FILE *f = fopen(bad, "w");
	cr_assert_not_null(f);
	fputs("services:\n  app:\n    imgae: debian:bookworm-slim\n", f);
	fclose(f);
	it_labctl_run(&r, &lab, "status -f '%s'", bad);
	EXPECT_RUN(&r, 2, "status of a bad file", "bad.yml:3:5: unknown key 'imgae' (did you mean 'image'?)", "-p NAME");
	it_run_free(&r);
	/* usage */
	it_labctl_run(&r, &lab, "nosuchcommand");
	EXPECT_RUN(&r, 2, "unknown command", "unknown command 'nosuchcommand'");
	it_run_free(&r);
	expect_untouched(&lab, "after the files");
	/* up: an image that does not exist (and cannot be had: no registry
	   here, or one that has no such image), a host port already taken */
	it_lab_write(&lab, "services:\n"
			   "  app:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo app says hello; sleep infinity & wait\"]\n"
			   "  other:\n"
			   "    image: labctl-it-nosuch/image:1\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	EXPECT_RUN(&r, 2, "up, an image that does not exist",
		   "service 'other': image 'labctl-it-nosuch/image:1': no registry reachable", "docker load");
	it_run_free(&r);
	int port = it_free_port();
	char *pid = it_sh("python3 -c 'import os,socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", %d)); "
			  "s.listen(); print(os.getpid(), flush=True); time.sleep(60)' >%s/../listener.out 2>&1 &"
			  " for i in $(seq 100); do [ -s %s/../listener.out ] && break; sleep 0.05; done;"
			  " cat %s/../listener.out",
			  port, lab.dir, lab.dir, lab.dir);
	cr_assert(atoi(pid) > 0, "listener: %s", pid);
	char yaml[600];
	snprintf(yaml, sizeof(yaml),
		 "services:\n"
		 "  app:\n"
		 "    image: debian:bookworm-slim\n"
		 "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo app says hello; sleep infinity & wait\"]\n"
		 "  web:\n"
		 "    image: debian:bookworm-slim\n"
		 "    ports: [\"%d:80\"]\n",
		 port);
	it_lab_write(&lab, yaml);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	snprintf(want, sizeof(want), "host port 127.0.0.1:%d of service 'web' is already taken", port);
	EXPECT_RUN(&r, 2, "up, a host port taken", want);
	it_run_free(&r);
	free(it_sh("kill %s", pid));
	free(pid);
	expect_untouched(&lab, "after up");
	it_lab_cleanup(&lab);
}

Test(exit_codes, row3_engine_unreachable_or_engine_error, .timeout = 180)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "xc3", one_service);
	/* unreachable: every command that talks to the engine */
	const char *cmds[] = {"up '%s'",
			      "status '%s'",
			      "logs '%s'",
			      "exec '%s' app -- true",
			      "down '%s'",
			      "env '%s'",
			      "verify '%s'",
			      "run module3 produce"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char args[300];
		snprintf(args, sizeof(args), cmds[i], lab.dir);
		it_run(&r, "DOCKER_HOST=unix:///nonexistent LABCTL_STATE_DIR='%s' '%s' %s", lab.state, it_labctl(), args);
		EXPECT_RUN(&r, 3, args, "cannot reach the Docker engine at 'unix:///nonexistent'");
		it_run_free(&r);
	}
	/* the engine answers with an error: it keeps method, path, status and
	   the daemon's message */
	it_lab_write(&lab, "services:\n"
			   "  app:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"/no/such/binary\"]\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	EXPECT_RUN(&r, 3, "up, the engine cannot start the container", "service 'app': engine: POST /containers/",
		   "/start: 400 Bad Request", "/no/such/binary");
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
