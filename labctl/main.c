/* labctl: bring up big-data teaching labs on a Docker Engine.
 * Dispatch only: find the command's entry (each lives in cmd/<name>.c),
 * parse its options, print its help or call it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

#define N_COMMANDS cmd_n_entries
#define commands cmd_entries

static const struct cmd_entry *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_main_help(FILE *f)
{
	fprintf(f, "usage: labctl COMMAND [ARGS...]\n\n"
		   "Brings up big-data teaching labs (PostgreSQL, Kafka, object stores, compute\n"
		   "nodes) on a Docker Engine, health-gated, from labs/<name>/lab.yml or a\n"
		   "docker-compose file.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'labctl COMMAND --help' for a command's options.\n\n"
		   "environment:\n"
		   "  DOCKER_HOST        engine address: unix:///path or tcp://host:port\n"
		   "  DOCKER_TLS_VERIFY  with DOCKER_CERT_PATH: TLS for tcp:// (ca.pem, cert.pem, key.pem)\n"
		   "  LABCTL_LABS_DIR    where lab names are looked up (default: ./labs)\n"
		   "  LABCTL_IMAGES_DIR  the stand-in catalog's directory (default: the checkout's images/)\n"
		   "  LABCTL_STATE_DIR   where generated credentials are kept\n"
		   "                     (default: ~/.local/state/labctl)\n"
		   "  LAB_STUDENT        a student's id: up, status, logs, exec, run, env, verify\n"
		   "                     and down then work on that student's instance (--student)\n"
		   "  LABCTL_PORT_RANGE  host ports for student instances (default 20000-29999)\n\n"
		   "exit codes: 0 ok; 1 the lab ran and is not as wanted (not ready, a check or job\n"
		   "failed, not running); 2 bad input (usage, lab file, unknown lab, service,\n"
		   "replica, job or check, a host port taken, an image that cannot be had);\n"
		   "3 engine unreachable or engine error. exec exits with its command's code.\n");
}

/* Parse the command's options once, answer --help from its entry, else
 * run it. */
static int run_command(const struct cmd_entry *entry, int argc, char **argv)
{
	struct cmd_args args;
	struct lab_err err = {0};
	int code;
	if (cmd_parse(&args, entry, argc, argv, &err) < 0) {
		code = cmd_usage_error(entry, "%s", err.msg);
	} else if (args.help) {
		cmd_print_help(entry, stdout);
		code = 0;
	} else {
		code = entry->fn(entry, &args);
	}
	cmd_args_free(&args);
	return code;
}

int main(int argc, char **argv)
{
	cmd_global.tty_err = isatty(STDERR_FILENO);
	if (argc < 2) {
		print_main_help(stderr);
		return LAB_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		const struct cmd_entry *entry = argc > 2 && strcmp(name, "help") == 0 ? find_command(argv[2]) : NULL;
		if (entry)
			cmd_print_help(entry, stdout);
		else
			print_main_help(stdout);
		return cmd_finish(0);
	}
	/* not commands: what the man page and the shell completions are made
	   from (cmd/man.c); not listed by --help */
	if (strcmp(name, "__man") == 0) {
		cmd_man_page(stdout);
		return cmd_finish(0);
	}
	if (strcmp(name, "__complete") == 0) {
		cmd_complete(stdout, argc - 2, argv + 2);
		return cmd_finish(0);
	}
	if (strcmp(name, "--version") == 0)
		name = "version";
	const struct cmd_entry *entry = find_command(name);
	if (!entry) {
		const char *names[N_COMMANDS];
		for (size_t i = 0; i < N_COMMANDS; i++)
			names[i] = commands[i]->name;
		const char *near = cmd_suggest(name, names, N_COMMANDS);
		fprintf(stderr, "labctl: unknown command '%s'%s%s%s (see 'labctl --help')\n", name,
			near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		return LAB_EXIT_USAGE;
	}
	return cmd_finish(run_command(entry, argc - 1, argv + 1));
}
