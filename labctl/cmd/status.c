/* labctl status: the lab's containers as the engine sees them. One list
 * call, no per-container inspect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../swarm/swarm.h"
#include "cmd.h"

static int cmd_status(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt status_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"json", 0, NULL, "print a JSON array, one object per container"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.opts = status_opts,
	.usage = "LAB | -f FILE [--json]",
	.summary = "show the lab's containers, state, health and endpoints",
	.description = "One row per container. REPLICA is its number / the service's number\n"
		       "of containers (what up and up --scale made). STATE uses up's words:\n"
		       "healthy, starting or unhealthy for a container with a healthcheck,\n"
		       "running for one without, completed for one that exited 0, exited (N)\n"
		       "otherwise. up alone says ready (its x-ready probes passed); status runs\n"
		       "no probes. --json keeps the engine's state, health and status text and\n"
		       "adds \"replicas\". A lab brought up with --swarm shows one row per Swarm\n"
		       "task instead (the newest of each slot): its NODE, Swarm's task STATE\n"
		       "(running, starting, pending, complete, failed, ...), the service's\n"
		       "published ports (PORT->TARGET/ingress|host) and what Swarm says of it.",
	.fn = cmd_status,
};

static const char *label(const cJSON *c, const char *key)
{
	const char *v = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "Labels"), key));
	return v ? v : "";
}

/* "Up 3 minutes (healthy)" -> "healthy"; "(health: starting)" -> "starting". */
static const char *health_of(const char *status)
{
	if (strstr(status, "(healthy)"))
		return "healthy";
	if (strstr(status, "(unhealthy)"))
		return "unhealthy";
	if (strstr(status, "(health: starting)"))
		return "starting";
	return "";
}

/* The word up's table uses for the same condition: the health when the
 * container has a healthcheck, "running" when it has none, "completed"
 * for an exit code 0, "exited (N)" otherwise, else the engine's state
 * ("created", "paused", "restarting"). up alone says "ready" (its x-ready
 * probes passed), since status runs no probes. */
static void state_word(char *out, size_t n, const char *state, const char *status, const char *health)
{
	if (strcmp(state, "running") == 0) {
		snprintf(out, n, "%s", *health ? health : "running");
		return;
	}
	if (strcmp(state, "exited") == 0) {
		const char *p = strstr(status, "Exited (");
		int code = p ? atoi(p + 8) : -1;
		if (code == 0)
			snprintf(out, n, "completed");
		else
			snprintf(out, n, "exited (%d)", code);
		return;
	}
	snprintf(out, n, "%s", *state ? state : "?");
}

static int by_service(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int c = strcmp(label(x, LAB_LABEL_SERVICE), label(y, LAB_LABEL_SERVICE));
	return c ? c : atoi(label(x, LAB_LABEL_REPLICA)) - atoi(label(y, LAB_LABEL_REPLICA));
}

/* How many of rows[0..n) (sorted by service) belong to rows[i]'s service. */
static int service_count(const cJSON **rows, size_t n, size_t i)
{
	const char *svc = label(rows[i], LAB_LABEL_SERVICE);
	int k = 0;
	for (size_t j = 0; j < n; j++)
		k += strcmp(label(rows[j], LAB_LABEL_SERVICE), svc) == 0;
	return k;
}

static void endpoints(const cJSON *c, struct lab_buf *out)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "Ports"))
	{
		const cJSON *pub = cJSON_GetObjectItemCaseSensitive(p, "PublicPort");
		if (!cJSON_IsNumber(pub))
			continue;
		const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "IP"));
		if (!ip || strcmp(ip, "0.0.0.0") == 0)
			ip = "127.0.0.1";
		char one[96];
		snprintf(one, sizeof(one), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, (int)pub->valuedouble);
		if (out->len && strstr(lab_buf_cstr(out), one))
			continue; /* IPv4 and IPv6 bindings of one port */
		lab_buf_printf(out, "%s%s", out->len ? "," : "", one);
	}
}

/* A lab run as Swarm services: one row per task (the newest of each slot). */
static void print_tasks(const struct lab_swarm_task *t, size_t n, int json)
{
	if (json) {
		cJSON *out = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "service", t[i].service);
			cJSON_AddNumberToObject(o, "replica", t[i].slot);
			cJSON_AddStringToObject(o, "node", t[i].node);
			cJSON_AddStringToObject(o, "node_addr", t[i].node_addr);
			cJSON_AddStringToObject(o, "state", t[i].state);
			cJSON_AddStringToObject(o, "desired", t[i].desired);
			cJSON_AddStringToObject(o, "message", t[i].message);
			cJSON_AddStringToObject(o, "container", t[i].container_id);
			cJSON_AddStringToObject(o, "ports", t[i].ports);
			cJSON_AddItemToArray(out, o);
		}
		cmd_print_json(out);
		return;
	}
	printf("%-20s %-8s %-16s %-11s %-24s %s\n", "SERVICE", "REPLICA", "NODE", "STATE", "PORTS", "MESSAGE");
	for (size_t i = 0; i < n; i++) {
		char rep[16];
		snprintf(rep, sizeof(rep), t[i].slot ? "%d" : "global", t[i].slot);
		printf("%-20s %-8s %-16s %-11s %-24s %s\n", t[i].service, rep, *t[i].node ? t[i].node : "-", t[i].state,
		       *t[i].ports ? t[i].ports : "-", t[i].message);
	}
}

static int cmd_status(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	cJSON *list = NULL;
	const cJSON **rows = NULL;
	char *project = NULL;
	code = cmd_open_lab(cmd, args, &project, &engine, &list);
	if (code)
		goto out;
	{
		/* a Swarm manager: the lab's Swarm tasks, when it has some */
		struct lab_swarm_info sw;
		struct lab_err err = {0};
		int manager = lab_swarm_info(&sw, engine, &err) == 0 && !strcmp(sw.state, "active") && sw.manager;
		lab_swarm_info_release(&sw);
		struct lab_swarm_task *tasks = NULL;
		size_t nt = 0;
		if (manager && lab_swarm_tasks(&tasks, &nt, engine, project, 0, &err) < 0) {
			code = cmd_fail(&err);
			goto out;
		}
		if (nt) {
			print_tasks(tasks, nt, cmd_opt(cmd, args, "json") != NULL);
			lab_swarm_tasks_free(tasks, nt);
			goto out;
		}
	}
	if ((code = cmd_check_lab_known(cmd, args, list)))
		goto out;
	size_t n = (size_t)cJSON_GetArraySize(list);
	rows = lab_xcalloc(n ? n : 1, sizeof(*rows));
	size_t k = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, list) rows[k++] = c;
	qsort(rows, n, sizeof(*rows), by_service);
	int json = cmd_opt(cmd, args, "json") != NULL;
	cJSON *out = json ? cJSON_CreateArray() : NULL;
	if (!json && n)
		printf("%-20s %-8s %-11s %s\n", "SERVICE", "REPLICA", "STATE", "ENDPOINT");
	for (size_t i = 0; i < n; i++) {
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rows[i], "State"));
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rows[i], "Status"));
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rows[i], "Names"), 0));
		struct lab_buf ep = LAB_BUF_INIT;
		endpoints(rows[i], &ep);
		const char *health = health_of(status ? status : "");
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "service", label(rows[i], LAB_LABEL_SERVICE));
			cJSON_AddNumberToObject(o, "replica", atoi(label(rows[i], LAB_LABEL_REPLICA)));
			cJSON_AddNumberToObject(o, "replicas", service_count(rows, n, i));
			cJSON_AddStringToObject(o, "container", name ? name + (name[0] == '/') : "");
			cJSON_AddStringToObject(o, "id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rows[i], "Id")));
			cJSON_AddStringToObject(o, "state", state ? state : "");
			cJSON_AddStringToObject(o, "health", health);
			cJSON_AddStringToObject(o, "status", status ? status : "");
			cJSON_AddStringToObject(o, "endpoint", lab_buf_cstr(&ep));
			cJSON_AddItemToArray(out, o);
		} else {
			char word[64], rep[32];
			state_word(word, sizeof(word), state ? state : "", status ? status : "", health);
			snprintf(rep, sizeof(rep), "%s/%d", label(rows[i], LAB_LABEL_REPLICA), service_count(rows, n, i));
			printf("%-20s %-8s %-11s %s\n", label(rows[i], LAB_LABEL_SERVICE), rep,
			       word, ep.len ? lab_buf_cstr(&ep) : "-");
		}
		lab_buf_release(&ep);
	}
	if (json) {
		cmd_print_json(out);
	} else if (!n) {
		fprintf(stderr, "lab '%s' has no containers (labctl up %s)\n", project, project);
	}
out:
	free(rows);
	cJSON_Delete(list);
	free(project);
	lab_engine_free(engine);
	return code;
}
