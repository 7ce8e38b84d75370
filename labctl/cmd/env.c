/* labctl env: export lines for the lab's data services, so that psql,
 * Kafka clients and AWS tools on the host just work after
 *   eval "$(labctl env LAB)"
 * Which service is which comes from its x-ready probe (postgres, kafka,
 * s3); the host port from the running container's published binding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
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

/* "127.0.0.1:PORT" published for container_port of the service's replica,
 * from the running container, else from a fixed host port in the file.
 * NULL when neither. */
static char *host_endpoint(struct lab_engine *e, const struct lab *lab, const struct lab_service *svc,
			   int replica, int container_port)
{
	char *name = lab_plan_container_name(lab, svc, replica);
	cJSON *in = NULL;
	struct lab_err err = {0};
	char *out = NULL;
	if (e && lab_engine_container_inspect(e, name, &in, &err) == 0) {
		char key[32];
		snprintf(key, sizeof(key), "%d/tcp", container_port);
		const cJSON *ports = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings"), "Ports");
		const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ports, key), 0);
		const char *hp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostPort"));
		const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostIp"));
		if (hp && *hp)
			out = lab_xasprintf("%s:%s", !ip || !*ip || strcmp(ip, "0.0.0.0") == 0 ? "127.0.0.1" : ip, hp);
	}
	for (size_t i = 0; !out && i < svc->n_ports; i++)
		if (svc->ports[i].container_port == container_port && svc->ports[i].host_port)
			out = lab_xasprintf("%s:%d", svc->ports[i].host_ip, svc->ports[i].host_port);
	cJSON_Delete(in);
	free(name);
	return out;
}

static int cmd_env(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_buf kafka = LAB_BUF_INIT;
	code = cmd_lab_arg(cmd, args, 0, &lab);
	if (code)
		goto out;
	code = cmd_open_engine(&engine);
	if (code)
		goto out;
	int pg_done = 0, s3_done = 0, missing = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		const struct lab_ready *rd = &s->ready;
		if (rd->pg_port && !pg_done) {
			char *ep = host_endpoint(engine, lab, s, 1, rd->pg_port);
			if (ep) {
				char *colon = strrchr(ep, ':');
				*colon = '\0';
				put_export("PGHOST", ep);
				put_export("PGPORT", colon + 1);
				put_export("PGUSER", rd->pg_user ? rd->pg_user : "postgres");
				if (rd->pg_password)
					put_export("PGPASSWORD", rd->pg_password);
				put_export("PGDATABASE", rd->pg_database ? rd->pg_database : (rd->pg_user ? rd->pg_user : "postgres"));
				pg_done = 1;
				free(ep);
			} else {
				missing++;
			}
		}
		if (rd->kafka_port) {
			for (int rep = 1; rep <= s->replicas; rep++) {
				char *ep = host_endpoint(engine, lab, s, rep, rd->kafka_port);
				if (ep) {
					lab_buf_printf(&kafka, "%s%s", kafka.len ? "," : "", ep);
					free(ep);
				} else {
					missing++;
				}
			}
		}
		if (rd->s3_port && !s3_done) {
			char *ep = host_endpoint(engine, lab, s, 1, rd->s3_port);
			if (ep) {
				put_export("AWS_ACCESS_KEY_ID", rd->s3_access_key);
				put_export("AWS_SECRET_ACCESS_KEY", rd->s3_secret_key);
				char *url = lab_xasprintf("http://%s", ep);
				put_export("AWS_ENDPOINT_URL", url);
				free(url);
				put_export("AWS_REGION", rd->s3_region ? rd->s3_region : "us-east-1");
				s3_done = 1;
				free(ep);
			} else {
				missing++;
			}
		}
	}
	if (kafka.len)
		put_export("KAFKA_BOOTSTRAP_SERVERS", lab_buf_cstr(&kafka));
	if (missing)
		fprintf(stderr, "labctl: %d service endpoint%s not published or not running (labctl up %s)\n", missing,
			missing == 1 ? "" : "s", lab->project);
out:
	lab_buf_release(&kafka);
	lab_engine_free(engine);
	lab_free(lab);
	return code;
}
