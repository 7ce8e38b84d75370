/* labctl exec: run a command in a service's container and exit with its
 * exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../plan/plan.h"
#include "cmd.h"

static int cmd_exec(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt exec_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"replica", 'r', "N", "which replica to run in (default 1)"},
	{"user", 'u', "USER", "run as this user"},
	{"workdir", 'w', "DIR", "working directory inside the container"},
	{"env", 'e', "KEY=VALUE", "set an environment variable (one per option)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.opts = exec_opts,
	.usage = "LAB SERVICE [-- CMD [ARG...]]",
	.summary = "run a command in a service's container",
	.description = "Runs CMD in the container (replica 1 unless --replica), prints its\n"
		       "output and exits with its exit code. Without CMD, on a terminal, opens\n"
		       "an interactive shell through the docker CLI.",
	.fn = cmd_exec,
};

static int write_out(int stream, const char *data, size_t len, void *ud)
{
	FILE *f = stream == 2 ? stderr : stdout;
	fwrite(data, 1, len, f);
	fflush(f);
	return ferror(stdout) ? 1 : 0;
}

static int cmd_exec(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	struct lab_err err = {0};
	cJSON *list = NULL;
	char *id = NULL;
	struct lab_strv env = LAB_STRV_INIT;
	char *project = NULL;
	if (args->pos.n < 2 && !cmd_opt(cmd, args, "file")) {
		code = cmd_usage_error(cmd, "name a lab and a service");
		goto out;
	}
	const char *service = NULL;
	if ((code = cmd_service_arg(cmd, args, &service)))
		goto out;
	if (!service) {
		code = cmd_usage_error(cmd, "name a service");
		goto out;
	}
	const char *r = cmd_opt(cmd, args, "replica");
	int replica = r ? atoi(r) : 1;
	code = cmd_open_lab(cmd, args, &project, &engine, &list);
	if (code || (code = cmd_check_lab_known(cmd, args, list)) ||
	    (code = cmd_check_service(cmd, args, project, list, service)))
		goto out;
	const cJSON *c;
	cJSON_ArrayForEach(c, list)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
		const char *rep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_REPLICA));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "State"));
		if (svc && strcmp(svc, service) == 0 && rep && atoi(rep) == replica) {
			if (!state || strcmp(state, "running") != 0) {
				fprintf(stderr, "labctl: %s-%d is not running (%s)\n", service, replica, state ? state : "?");
				code = LAB_EXIT_FAIL;
				goto out;
			}
			id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id")));
		}
	}
	if (!id) {
		fprintf(stderr, "labctl: lab '%s' has no running container for service '%s' replica %d\n", project,
			service, replica);
		code = LAB_EXIT_FAIL;
		goto out;
	}
	if (args->rest.n == 0) {
		/* interactive shell: needs a TTY and stdin, which the docker CLI does */
		if (!isatty(STDIN_FILENO)) {
			code = cmd_usage_error(cmd, "give a command after '--' (an interactive shell needs a terminal)");
			goto out;
		}
		fflush(stdout);
		execlp("docker", "docker", "exec", "-it", id, "sh", "-c",
		       "command -v bash >/dev/null && exec bash || exec sh", (char *)NULL);
		fprintf(stderr, "labctl: an interactive shell needs the docker CLI; give a command after '--'\n");
		code = LAB_EXIT_FAIL;
		goto out;
	}
	lab_strv_copy(&env, cmd_opt_all(cmd, args, "env"));
	int exit_code = 0;
	if (lab_engine_exec(engine, id, args->rest.v, &env, cmd_opt(cmd, args, "user"),
			    cmd_opt(cmd, args, "workdir"), write_out, NULL, &exit_code, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	code = exit_code;
out:
	lab_strv_free(&env);
	cJSON_Delete(list);
	free(id);
	free(project);
	lab_engine_free(engine);
	return code;
}
