/* The command line itself, no engine needed: main's dispatch, help from
 * each command's entry, usage errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const commands[] = {"labs", "validate", "up",     "down",   "status", "logs",   "exec",
				       "jobs", "run",      "env",    "export", "verify", "class",  "schema", "version"};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

Test(cli, main_help_lists_every_command_in_order)
{
	struct it_run r;
	it_run(&r, "'%s' --help", it_labctl());
	cr_expect_eq(r.status, 0);
	cr_expect(strncmp(r.out, "usage: labctl COMMAND [ARGS...]\n", 32) == 0, "%s", r.out);
	const char *at = r.out;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char row[32];
		snprintf(row, sizeof(row), "\n  %-10s ", commands[i]);
		const char *p = strstr(at, row);
		cr_expect(p, "'%s' listed after the ones before it: %s", commands[i], r.out);
		if (p)
			at = p;
	}
	cr_expect(strstr(r.out, "'labctl COMMAND --help' for a command's options."), "%s", r.out);
	it_run_free(&r);
	/* no command: the same help, on stderr, exit 2 */
	it_run(&r, "'%s'", it_labctl());
	cr_expect_eq(r.status, 2);
	cr_expect(strncmp(r.err, "usage: labctl COMMAND", 21) == 0, "%s", r.err);
	it_run_free(&r);
	it_run(&r, "'%s' help no-such-command", it_labctl());
	cr_expect_eq(r.status, 0);
	cr_expect(strncmp(r.out, "usage: labctl COMMAND", 21) == 0, "%s", r.out);
	it_run_free(&r);
}

Test(cli, command_help_from_its_entry_three_ways)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		struct it_run a, b, c;
		it_run(&a, "'%s' %s --help", it_labctl(), commands[i]);
		it_run(&b, "'%s' help %s", it_labctl(), commands[i]);
		it_run(&c, "'%s' %s -h --no-such-option", it_labctl(), commands[i]);
		cr_expect_eq(a.status, 0, "%s --help", commands[i]);
		cr_expect_eq(c.status, 0, "%s -h before a bad option is help", commands[i]);
		char head[64];
		snprintf(head, sizeof(head), "usage: labctl %s ", commands[i]);
		cr_expect(strncmp(a.out, head, strlen(head)) == 0, "%s", a.out);
		cr_expect(strstr(a.out, "\noptions:\n") && strstr(a.out, "  -h, --help                 show this help\n"),
			  "%s", a.out);
		cr_expect_str_eq(a.out, b.out, "help %s is %s --help", commands[i], commands[i]);
		cr_expect_str_eq(a.out, c.out);
		it_run_free(&a);
		it_run_free(&b);
		it_run_free(&c);
	}
	struct it_run r;
	it_run(&r, "'%s' exec --help", it_labctl());
	cr_expect_str_eq(r.out, "usage: labctl exec LAB SERVICE [-- CMD [ARG...]]\n\n"
				"run a command in a service's container\n\n"
				"Runs CMD in the container (replica 1 unless --replica), like 'docker compose\n"
				"exec': stdin is passed to it (at its end the command reads EOF), its stdout\n"
				"and stderr come out on labctl's, and labctl exits with its exit code.\n"
				"Without CMD: an interactive shell (bash if the container has it, else sh).\n\n"
				"When stdin and stdout are terminals (and not --no-tty) the command gets a\n"
				"terminal of the same size, resized with yours; Ctrl-C goes to it.\n"
				"Ctrl-C, SIGTERM or SIGHUP to labctl end the command in the container too: it\n"
				"gets the same signal (SIGHUP with a terminal), and SIGKILL at the second one;\n"
				"what it leaves running then gets SIGTERM.\n"
				"The command sees LABCTL_EXEC=<token> in its environment: labctl finds its\n"
				"processes by it.\n\n"
				"Exit codes: the command's; 1 when its container is not running; 2 for a\n"
				"service the lab does not have; 3 for engine errors.\n\n"
				"options:\n"
				"  -f, --file FILE            use this lab or compose file instead of a lab name (again: merged over it)\n"
				"  -p, --project-name NAME    project name (default: the lab's name, or the file's directory)\n"
				"      --student ID           the student's own instance: project <lab>-ID (default: $LAB_STUDENT)\n"
				"  -r, --replica N            which replica to run in (default 1)\n"
				"  -u, --user USER            run as this user\n"
				"  -w, --workdir DIR          working directory inside the container\n"
				"  -e, --env KEY=VALUE        set an environment variable (one per option)\n"
				"  -T, --no-tty               no pseudo-terminal, even when stdin and stdout are terminals\n"
				"  -h, --help                 show this help\n");
	it_run_free(&r);
}

Test(cli, usage_errors_exit_2_with_the_usage_line)
{
	struct {
		const char *args, *err;
	} t[] = {
		{"up --nope", "labctl up: unknown option '--nope'\n"
			      "usage: labctl up LAB | -f FILE (see 'labctl up --help')\n"},
		{"labs --json=1", "labctl labs: option '--json' takes no value\n"
				  "usage: labctl labs  (see 'labctl labs --help')\n"},
		{"exec lab svc -e", "labctl exec: option '--env' needs a value (KEY=VALUE)\n"
				    "usage: labctl exec LAB SERVICE [-- CMD [ARG...]] (see 'labctl exec --help')\n"},
		{"no-such-command", "labctl: unknown command 'no-such-command' (see 'labctl --help')\n"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct it_run r;
		it_run(&r, "'%s' %s", it_labctl(), t[i].args);
		cr_expect_eq(r.status, 2, "%s: exit %d", t[i].args, r.status);
		cr_expect_str_eq(r.err, t[i].err, "%s", t[i].args);
		cr_expect_str_eq(r.out, "", "%s", t[i].args);
		it_run_free(&r);
	}
	struct it_run r;
	it_run(&r, "'%s' --version", it_labctl());
	cr_expect(strncmp(r.out, "labctl ", 7) == 0, "--version is version: %s", r.out);
	it_run_free(&r);
}

/* status, exec and logs find the project name in a lab file whose check
 * takes a number from a param (they load it for names only). */
Test(cli, param_in_a_check_threshold_does_not_stop_status_exec_logs)
{
	struct it_lab lab;
	it_lab_make(&lab, "paramcheck",
		    "lab: {name: \"@NAME@\", seed: s}\n"
		    "params:\n  n: {range: [3, 9]}\n"
		    "services:\n  a: {image: debian:bookworm-slim}\n"
		    "checks:\n"
		    "  - id: rows\n"
		    "    exec: {service: a, command: \"echo 5\", stdout: \"5\"}\n"
		    "  - id: many\n"
		    "    sql: {service: a, query: \"select 1\", min: \"${PARAM_N}\"}\n");
	const char *cmds[] = {"status -f '%s/lab.yml'", "logs -f '%s/lab.yml'", "exec -f '%s/lab.yml' a -- true"};
	for (size_t i = 0; i < 3; i++) {
		struct it_run r;
		char args[512];
		snprintf(args, sizeof(args), cmds[i], lab.dir);
		it_labctl_run(&r, &lab, "%s", args);
		cr_expect(!strstr(r.err, "cannot load"), "%s: %s", args, r.err);
		cr_expect(strstr(r.err, lab.project), "%s names the lab: %s", args, r.err);
		it_run_free(&r);
	}
	it_lab_cleanup(&lab);
}

/* Did-you-mean for lab, service, job, check and command names; an unknown
 * service or lab is bad input (exit 2). None of these reach a container. */
Test(cli, unknown_names_are_refused_with_a_suggestion)
{
	struct {
		const char *args, *err;
	} t[] = {
		{"status modul0", "labctl: no lab named 'modul0'; did you mean 'module0'? (looked in "},
		{"up modul0", "labctl: no lab named 'modul0'; did you mean 'module0'? (looked in "},
		{"verify modul0", "labctl: no lab named 'modul0'; did you mean 'module0'? (looked in "},
		{"logs modul0", "labctl: no lab named 'modul0'; did you mean 'module0'? (looked in "},
		{"exec module0 kafak -- true", "labctl: lab 'module0' has no service 'kafak'; did you mean 'kafka'?\n"},
		{"logs module0 postgre", "labctl: lab 'module0' has no service 'postgre'; did you mean 'postgres'?\n"},
		{"exec module0 nothing -- true", "labctl: lab 'module0' has no service 'nothing'\n"},
		{"run module3 produc", "labctl: lab 'module3' has no job 'produc'; did you mean 'produce'? (see 'labctl jobs module3')\n"},
		{"verify module0 --only airport-loaded",
		 "labctl: lab 'module0' has no check 'airport-loaded'; did you mean 'airports-loaded'?\n"},
		{"stauts", "labctl: unknown command 'stauts'; did you mean 'status'? (see 'labctl --help')\n"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct it_run r;
		it_run(&r, "LABCTL_LABS_DIR='%s/labs' '%s' %s", it_repo(), it_labctl(), t[i].args);
		cr_expect_eq(r.status, 2, "%s: exit %d: %s", t[i].args, r.status, r.err);
		cr_expect(strncmp(r.err, t[i].err, strlen(t[i].err)) == 0, "%s:\n%s", t[i].args, r.err);
		it_run_free(&r);
	}
}
