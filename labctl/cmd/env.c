/* labctl env: export lines for the lab's data services, so that psql,
 * Kafka clients and AWS tools on the host just work after
 *   eval "$(labctl env LAB)"
 * What they are and where: labctl/endpoints (from the services' x-ready
 * probes and the running containers' published ports). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../endpoints/endpoints.h"
#include "cmd.h"

static int cmd_env(const struct cmd_entry *cmd, struct cmd_args *args);

const struct cmd_entry cmd_env_entry = {
	.name = "env",
	.opts = cmd_lab_student_opts,
	.usage = "LAB | -f FILE",
	.summary = "print export lines for the lab's PostgreSQL, Kafka and S3 endpoints",
	.description = "Prints shell-quoted export lines for the services that run:\n"
		       "PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE, KAFKA_BOOTSTRAP_SERVERS (the\n"
		       "listener for clients on this host), AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID\n"
		       "AWS_SECRET_ACCESS_KEY AWS_REGION; and the lab's per-student params as\n"
		       "PARAM_<NAME> (for $LAB_STUDENT), the values verify's checks expect.\n"
		       "Use: eval \"$(labctl env LAB)\"\n"
		       "With --student ID, those of the student's instance (its own ports).",
	.fn = cmd_env,
};

/* POSIX shell single-quoting. */
static void put_export(const char *name, const char *value)
{
	printf("export %s='", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	printf("'\n");
}

static int cmd_env(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_endpoints ep = {0};
	struct lab_strv env = LAB_STRV_INIT;
	struct lab_err err = {0};
	code = cmd_lab_arg(cmd, args, 0, &lab);
	if (code)
		goto out;
	code = cmd_open_engine(&engine);
	if (code)
		goto out;
	if (lab_endpoints_read(&ep, lab, engine, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	int missing = lab_endpoints_env(&env, &ep, LAB_ENDPOINTS_HOST, NULL, NULL);
	for (size_t i = 0; i < env.n; i++) {
		char *eq = strchr(env.v[i], '=');
		*eq = '\0';
		put_export(env.v[i], eq + 1);
		*eq = '=';
	}
	/* the student's own values (lab.h, params): a README step can name
	   them as the checks do, "${PARAM_TOPIC}-${PARAM_SUFFIX}" */
	for (size_t i = 0; i < lab->n_params; i++) {
		char *name = lab_xasprintf("PARAM_%s", lab->params[i].name);
		for (char *p = name; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		put_export(name, lab->params[i].value);
		free(name);
	}
	const char *student = NULL;
	cmd_student(cmd, args, &student); /* checked by cmd_lab_arg */
	if (missing && student)
		fprintf(stderr, "labctl: %d service endpoint%s not published or not running (labctl up %s --student %s)\n",
			missing, missing == 1 ? "" : "s", args->pos.n ? args->pos.v[0] : "-f FILE", student);
	else if (missing)
		fprintf(stderr, "labctl: %d service endpoint%s not published or not running (labctl up %s)\n", missing,
			missing == 1 ? "" : "s", lab->project);
out:
	lab_strv_free(&env);
	lab_endpoints_release(&ep);
	lab_engine_free(engine);
	lab_free(lab);
	return code;
}
