/* labctl env: export lines for the lab's data services, so that psql,
 * Kafka clients and AWS tools on the host just work after
 *   eval "$(labctl env LAB)"
 * Which service is which comes from its x-ready probe (postgres, kafka,
 * s3); the host port from the running container's published binding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../probe/probe.h"
#include "cmd.h"

static int cmd_env(const struct cmd_entry *cmd, struct cmd_args *args);

const struct cmd_entry cmd_env_entry = {
	.name = "env",
	.opts = cmd_lab_file_opts,
	.usage = "LAB | -f FILE",
	.summary = "print export lines for the lab's PostgreSQL, Kafka and S3 endpoints",
	.description = "Prints shell-quoted export lines for the services that run:\n"
		       "PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE, KAFKA_BOOTSTRAP_SERVERS (the\n"
		       "listener for clients on this host), AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY\n"
		       "AWS_ENDPOINT_URL AWS_REGION. Use: eval \"$(labctl env LAB)\"",
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

/* Which replica of which service a host address is looked up for. */
struct host_ctx {
	struct lab_engine *e;
	const struct lab *lab;
	const struct lab_service *svc;
	int replica;
};

/* The host address published for container port `port` of the replica,
 * from the running container, else from a fixed host port in the file (a
 * lab_probe_where's addr). */
static int host_addr(char **host, int *hport, void *ud, int port)
{
	struct host_ctx *h = ud;
	char *name = lab_plan_container_name(h->lab, h->svc, h->replica);
	cJSON *in = NULL;
	struct lab_err err = {0};
	int rc = LAB_ENOTFOUND;
	if (h->e && lab_engine_container_inspect(h->e, name, &in, &err) == 0) {
		char key[32];
		snprintf(key, sizeof(key), "%d/tcp", port);
		const cJSON *ports = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings"), "Ports");
		const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ports, key), 0);
		const char *hp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostPort"));
		const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostIp"));
		if (hp && *hp) {
			*host = lab_xstrdup(!ip || !*ip || strcmp(ip, "0.0.0.0") == 0 ? "127.0.0.1" : ip);
			*hport = atoi(hp);
			rc = 0;
		}
	}
	for (size_t i = 0; rc < 0 && i < h->svc->n_ports; i++)
		if (h->svc->ports[i].container_port == port && h->svc->ports[i].host_port) {
			*host = lab_xstrdup(h->svc->ports[i].host_ip);
			*hport = h->svc->ports[i].host_port;
			rc = 0;
		}
	cJSON_Delete(in);
	free(name);
	return rc;
}

static int cmd_env(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_strv env = LAB_STRV_INIT;
	code = cmd_lab_arg(cmd, args, 0, &lab);
	if (code)
		goto out;
	code = cmd_open_engine(&engine);
	if (code)
		goto out;
	int missing = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		for (int rep = 1; rep <= s->replicas; rep++) {
			struct host_ctx h = {engine, lab, s, rep};
			struct lab_probe_where where = {0, host_addr, &h};
			missing += lab_probe_client_env(&env, &s->ready, &where);
		}
	}
	/* psql's own defaults would be the login name: say postgres */
	if (lab_strv_value(&env, "PGHOST") && !lab_strv_value(&env, "PGUSER"))
		lab_strv_push(&env, "PGUSER=postgres");
	if (lab_strv_value(&env, "PGHOST") && !lab_strv_value(&env, "PGDATABASE"))
		lab_strv_pushf(&env, "PGDATABASE=%s", lab_strv_value(&env, "PGUSER"));
	static const char *const order[] = {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE",
					    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL",
					    "AWS_REGION", "KAFKA_BOOTSTRAP_SERVERS"};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (lab_strv_value(&env, order[i]))
			put_export(order[i], lab_strv_value(&env, order[i]));
	if (missing)
		fprintf(stderr, "labctl: %d service endpoint%s not published or not running (labctl up %s)\n", missing,
			missing == 1 ? "" : "s", lab->project);
out:
	lab_strv_free(&env);
	lab_engine_free(engine);
	lab_free(lab);
	return code;
}
