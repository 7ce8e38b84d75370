/* labctl: bring up big-data teaching labs on a Docker Engine.
 * Command table and dispatch; each command lives in cmd/<name>.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cmd/cmd.h"

static const struct cmd_opt no_opts[] = {{NULL, 0, NULL, NULL}};

static const struct cmd_opt lab_file_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt up_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"build", 0, NULL, "build images of services with build: even when the image exists"},
	{"remove-orphans", 0, NULL, "remove containers of services no longer in the lab file"},
	{"json", 0, NULL, "print the result as JSON on stdout (progress stays on stderr)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt down_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"volumes", 'v', NULL, "also remove the lab's named volumes (their data is lost)"},
	{"timeout", 't', "SECONDS", "seconds to wait for a container to stop before killing it (default 10)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt status_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"json", 0, NULL, "print a JSON array, one object per container"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt logs_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"follow", 0, NULL, "keep printing new output (also -F)"},
	{"tail", 'n', "N", "only the last N lines of each container (default: all)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt exec_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"replica", 'r', "N", "which replica to run in (default 1)"},
	{"user", 'u', "USER", "run as this user"},
	{"workdir", 'w', "DIR", "working directory inside the container"},
	{"env", 'e', "KEY=VALUE", "set an environment variable (one per option)"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt verify_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"},
	{"format", 0, "FORMAT", "human (default), json, tap or junit"},
	{"only", 0, "ID[,ID...]", "run only these checks (may be repeated)"},
	{"student", 0, "ID", "the student's id for params (default: $LAB_STUDENT)"},
	{"hash", 0, "VALUE", "print the equals_hash of VALUE for this lab's key and exit"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt labs_opts[] = {
	{"json", 0, NULL, "print a JSON array of {name, title, path}"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd_opt export_opts[] = {
	{"file", 'f', "FILE", "use this lab or docker-compose file instead of a lab name"},
	{"project-name", 'p', "NAME", "project name whose credentials .env gets (default: the lab's name)"},
	{"output", 'o', "DIR", "write DIR/docker-compose.yml and DIR/.env instead of printing the file"},
	{"no-env", 0, NULL, "with -o: do not write DIR/.env"},
	{NULL, 0, NULL, NULL},
};

static const struct cmd commands[] = {
	{"labs", cmd_labs, "", "list the labs with their titles",
	 "Lists labs/<name>/lab.yml under $LABCTL_LABS_DIR, ./labs, or the labs\n"
	 "directory of the labctl checkout.",
	 labs_opts},
	{"validate", cmd_validate, "LAB | -f FILE", "check a lab or compose file without touching the engine",
	 "Loads the file, its includes and .env, interpolates variables and checks\n"
	 "everything up would need. Every problem is printed as path:line:col:\n"
	 "message. Exit 0 when valid, 2 when not.",
	 lab_file_opts},
	{"up", cmd_up, "LAB | -f FILE", "create or converge a lab and wait until every service is ready",
	 "Builds or pulls missing images, creates the lab's networks and volumes,\n"
	 "then starts services in dependency order, each when what it depends on\n"
	 "meets its condition (started, healthy, completed). Returns when every\n"
	 "service is ready: its x-ready probes pass, else its healthcheck reports\n"
	 "healthy, else it runs. Unchanged containers are kept; a service whose\n"
	 "configuration or image changed is recreated. Exit 0 when all are ready,\n"
	 "1 when one fails or times out, 2 for a bad lab file, 3 for engine errors.",
	 up_opts},
	{"down", cmd_down, "LAB | -f FILE [--volumes]", "stop and remove a lab's containers and networks",
	 "Removes only containers, networks (and with --volumes, volumes) that\n"
	 "carry the lab's io.labctl.lab label. Named volumes, and the data in\n"
	 "them, are kept unless --volumes is given.",
	 down_opts},
	{"status", cmd_status, "LAB | -f FILE [--json]", "show the lab's containers, state, health and endpoints", NULL,
	 status_opts},
	{"logs", cmd_logs, "LAB [SERVICE] [--follow] [--tail N]", "print the logs of a lab's containers",
	 "Each line is prefixed by the container's service and replica.", logs_opts},
	{"exec", cmd_exec, "LAB SERVICE [-- CMD [ARG...]]", "run a command in a service's container",
	 "Runs CMD in the container (replica 1 unless --replica), prints its\n"
	 "output and exits with its exit code. Without CMD, on a terminal, opens\n"
	 "an interactive shell through the docker CLI.",
	 exec_opts},
	{"jobs", cmd_jobs, "LAB | -f FILE", "list the lab's jobs", NULL, lab_file_opts},
	{"run", cmd_run, "LAB JOB [-- ARGS...]", "build a job, copy it into its service's replicas and run it there",
	 "Compiles jobs/<binary>/ in the builder image (sources in and the binary\n"
	 "out through the Engine API, cached by a hash of the sources), copies it\n"
	 "and the datasets the job needs into every replica of its service, and\n"
	 "runs it in all of them at once with LAB_RANK (0-based), LAB_WORLD_SIZE,\n"
	 "LAB_DATASET_<NAME> and the lab's internal endpoints (PG*,\n"
	 "KAFKA_BOOTSTRAP_SERVERS, AWS_*) in its environment. Each output line is\n"
	 "prefixed by its replica. ARGS after '--' are appended to the job's args.\n"
	 "Datasets: the full file from $LABCTL_DATA_DIR, checksum verified, else\n"
	 "the lab's sample. Exit 0 when every replica exited 0, else 1 naming them.",
	 lab_file_opts},
	{"env", cmd_env, "LAB | -f FILE", "print export lines for the lab's PostgreSQL, Kafka and S3 endpoints",
	 "Prints shell-quoted export lines for the services that run:\n"
	 "PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE, KAFKA_BOOTSTRAP_SERVERS (the\n"
	 "listener for clients on this host), AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\n"
	 "AWS_ENDPOINT_URL AWS_REGION. Use: eval \"$(labctl env LAB)\"",
	 lab_file_opts},
	{"export", cmd_export, "compose LAB | -f FILE [-o DIR]",
	 "write the lab as a plain docker-compose file that runs without labctl",
	 "Prints the lab as one docker-compose file (Compose Specification, no\n"
	 "version key, as Debian's docker-compose 1.29 reads it):\n"
	 "includes flattened, variables resolved, host ports on the addresses labctl\n"
	 "uses, x-ready probes as healthchecks polled every 1 s (pg_isready, curl,\n"
	 "bash /dev/tcp; kafka, s3 and log probes keep the image's HEALTHCHECK),\n"
	 "buckets as the object store's S3_BUCKETS. The lab's generated credentials\n"
	 "stay ${NAME} references: with -o DIR the file goes to DIR/docker-compose.yml\n"
	 "and the credentials (labctl's own values for the lab, generated on first\n"
	 "use) to DIR/.env, mode 0600. Build contexts and bind mounts are written\n"
	 "relative to DIR (or the current directory) when both are under a common\n"
	 "directory other than /, else absolute. jobs:, datasets: and checks: have no Compose\n"
	 "equivalent and are left out. Never touches the engine.",
	 export_opts},
	{"verify", cmd_verify, "LAB | -f FILE [--format human|json|tap|junit] [--only ID]",
	 "run the lab's checks against the running lab: what is left to do",
	 /* cmd/verify.c puts a paragraph naming the check kinds before this */
	 "Prints one line per check and the hint under a failure, then\n"
	 "'N passed, M failed'; --format json, tap or junit for tools.\n"
	 "params: take $LAB_STUDENT (or --student); equals_hash answers use the key\n"
	 "$LABCTL_VERIFY_KEY, else lab.seed (--hash VALUE prints one).\n"
	 "Exit 0 when all passed, 1 when one failed, errored or timed out, 2 for a\n"
	 "bad lab file, 3 when the engine cannot be reached.",
	 verify_opts},
	{"version", cmd_version, "", "print labctl's version and the engine's", NULL, no_opts},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};


static void print_main_help(FILE *f)
{
	fprintf(f, "usage: labctl COMMAND [ARGS...]\n\n"
		   "Brings up big-data teaching labs (PostgreSQL, Kafka, object stores, compute\n"
		   "nodes) on a Docker Engine, health-gated, from labs/<name>/lab.yml or a\n"
		   "docker-compose file.\n\ncommands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'labctl COMMAND --help' for a command's options.\n\n"
		   "environment:\n"
		   "  DOCKER_HOST        engine address: unix:///path or tcp://host:port\n"
		   "  DOCKER_TLS_VERIFY  with DOCKER_CERT_PATH: TLS for tcp:// (ca.pem, cert.pem, key.pem)\n"
		   "  LABCTL_LABS_DIR    where lab names are looked up (default: ./labs)\n"
		   "  LABCTL_STATE_DIR   where generated credentials are kept\n"
		   "                     (default: ~/.local/state/labctl)\n\n"
		   "exit codes: 0 ok, 1 failed, 2 bad input, 3 engine unreachable or engine error\n");
}

int main(int argc, char **argv)
{
	cmd_global.tty_out = isatty(STDOUT_FILENO);
	cmd_global.tty_err = isatty(STDERR_FILENO);
	if (argc < 2) {
		print_main_help(stderr);
		return LAB_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			for (const struct cmd *c = commands; c->name; c++)
				if (strcmp(c->name, argv[2]) == 0) {
					/* as CMD --help: a command may add to its
					   entry's help (verify names the check kinds) */
					char *help_argv[] = {argv[2], "--help", NULL};
					return cmd_finish(c->fn(c, 2, help_argv));
				}
		}
		print_main_help(stdout);
		return cmd_finish(0);
	}
	if (strcmp(name, "--version") == 0)
		name = "version";
	for (const struct cmd *c = commands; c->name; c++) {
		if (strcmp(c->name, name) == 0) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			int rc = c->fn(c, argc - 1, argv + 1);
			curl_global_cleanup();
			return cmd_finish(rc);
		}
	}
	fprintf(stderr, "labctl: unknown command '%s' (see 'labctl --help')\n", name);
	return LAB_EXIT_USAGE;
}
