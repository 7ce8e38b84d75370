/* Unit tests of up --swarm's ServiceSpec (labctl/swarm/swarm.c
 * lab_swarm_service_spec, the mapping in swarm.h; Engine API v1.41
 * ServiceSpec), the deploy keys the loader keeps for it, and the replica
 * of a Swarm task's container (lab_plan_replica_label). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/plan/plan.h"
#include "../../labctl/swarm/swarm.h"
#include "fake_engine.h"

static char tsw_dir[PATH_MAX];

static void tsw_setup(void)
{
	snprintf(tsw_dir, sizeof(tsw_dir), "/tmp/swarmtest-XXXXXX");
	cr_assert(mkdtemp(tsw_dir));
	cr_assert(chdir(tsw_dir) == 0);
}

static int tsw_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void tsw_teardown(void)
{
	if (chdir("/") == 0 && tsw_dir[0])
		nftw(tsw_dir, tsw_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static struct lab *tsw_load(const char *yaml, struct lab_err *err)
{
	FILE *f = fopen("compose.yaml", "w");
	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	memset(err, 0, sizeof(*err));
	struct lab *lab = NULL;
	lab_load(&lab, "compose.yaml", NULL, err);
	return lab;
}

/* The value at a path of keys ("TaskTemplate.RestartPolicy.Condition"),
 * a number printed as %.0f, an array item by index. */
static char *at(const cJSON *o, const char *path)
{
	char *p = strdup(path), *save = NULL;
	for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(k)) : cJSON_GetObjectItemCaseSensitive(o, k);
	free(p);
	char buf[64];
	if (cJSON_IsString(o))
		return strdup(o->valuestring);
	if (cJSON_IsNumber(o)) {
		snprintf(buf, sizeof(buf), "%.15g", o->valuedouble);
		return strdup(buf);
	}
	if (cJSON_IsBool(o))
		return strdup(cJSON_IsTrue(o) ? "true" : "false");
	return strdup(o ? "?" : "(absent)");
}

static const char *const full_lab =
	"name: sw\n"
	"services:\n"
	"  kafka:\n"
	"    image: labctl/kafka:4.4.0\n"
	"    hostname: kafka\n"
	"    environment: { A: '1' }\n"
	"    ports:\n"
	"      - '19092:19092'\n"
	"      - { target: 9000, published: 19000, mode: host }\n"
	"    volumes: [data:/var/lib/kafka]\n"
	"    networks: { default: { aliases: [broker] } }\n"
	"    healthcheck: { test: [CMD, true], interval: 2s, retries: 3 }\n"
	"    deploy:\n"
	"      replicas: 1\n"
	"      labels: { tier: data }\n"
	"      resources:\n"
	"        limits: { cpus: '0.5', memory: 512m }\n"
	"        reservations: { cpus: '0.25', memory: 256m }\n"
	"      restart_policy: { condition: on-failure, max_attempts: 2, delay: 5s, window: 1m }\n"
	"      placement:\n"
	"        constraints: [node.labels.zone==b, node.role!=manager]\n"
	"        preferences: [{ spread: node.labels.rack }]\n"
	"        max_replicas_per_node: 1\n"
	"      update_config: { parallelism: 2, delay: 10s, order: start-first, failure_action: rollback }\n"
	"      rollback_config: { parallelism: 3, monitor: 30s, max_failure_ratio: 0.25, failure_action: pause }\n"
	"volumes: { data: {} }\n";

Test(swarm_spec, every_deploy_key, .init = tsw_setup, .fini = tsw_teardown)
{
	struct lab_err err;
	struct lab *lab = tsw_load(full_lab, &err);
	cr_assert(lab, "%s", err.msg);
	cJSON *spec = NULL;
	cr_assert_eq(lab_swarm_service_spec(&spec, lab, &lab->services[0], "labctl/kafka:4.4.0", 0, 0, &err), 0, "%s",
		     err.msg);
	static const struct {
		const char *path, *want;
	} rows[] = {
		{"Name", "sw_kafka"},
		{"Labels.tier", "data"},
		{"TaskTemplate.ContainerSpec.Image", "labctl/kafka:4.4.0"},
		{"TaskTemplate.ContainerSpec.Hostname", "kafka"},
		{"TaskTemplate.ContainerSpec.Env.0", "A=1"},
		{"TaskTemplate.ContainerSpec.Mounts.0.Type", "volume"},
		{"TaskTemplate.ContainerSpec.Mounts.0.Source", "sw_data"},
		{"TaskTemplate.ContainerSpec.Mounts.0.Target", "/var/lib/kafka"},
		{"TaskTemplate.ContainerSpec.HealthCheck.Test.1", "true"},
		{"TaskTemplate.ContainerSpec.HealthCheck.Interval", "2000000000"},
		{"TaskTemplate.ContainerSpec.HealthCheck.Retries", "3"},
		{"TaskTemplate.Resources.Limits.NanoCPUs", "500000000"},
		{"TaskTemplate.Resources.Limits.MemoryBytes", "536870912"},
		{"TaskTemplate.Resources.Reservations.NanoCPUs", "250000000"},
		{"TaskTemplate.Resources.Reservations.MemoryBytes", "268435456"},
		{"TaskTemplate.RestartPolicy.Condition", "on-failure"},
		{"TaskTemplate.RestartPolicy.MaxAttempts", "2"},
		{"TaskTemplate.RestartPolicy.Delay", "5000000000"},
		{"TaskTemplate.RestartPolicy.Window", "60000000000"},
		{"TaskTemplate.Placement.Constraints.0", "node.labels.zone==b"},
		{"TaskTemplate.Placement.Constraints.1", "node.role!=manager"},
		{"TaskTemplate.Placement.Preferences.0.Spread.SpreadDescriptor", "node.labels.rack"},
		{"TaskTemplate.Placement.MaxReplicas", "1"},
		{"TaskTemplate.Networks.0.Target", "sw_default"},
		{"TaskTemplate.Networks.0.Aliases.0", "kafka"},
		{"TaskTemplate.Networks.0.Aliases.1", "broker"},
		{"Mode.Replicated.Replicas", "1"},
		{"UpdateConfig.Parallelism", "2"},
		{"UpdateConfig.Delay", "10000000000"},
		{"UpdateConfig.Order", "start-first"},
		{"UpdateConfig.FailureAction", "rollback"},
		{"RollbackConfig.Parallelism", "3"},
		{"RollbackConfig.Monitor", "30000000000"},
		{"RollbackConfig.MaxFailureRatio", "0.25"},
		{"RollbackConfig.FailureAction", "pause"},
		{"EndpointSpec.Mode", "vip"},
		{"EndpointSpec.Ports.0.PublishedPort", "19092"},
		{"EndpointSpec.Ports.0.TargetPort", "19092"},
		{"EndpointSpec.Ports.0.PublishMode", "ingress"},
		{"EndpointSpec.Ports.1.PublishedPort", "19000"},
		{"EndpointSpec.Ports.1.PublishMode", "host"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = at(spec, rows[i].path);
		cr_expect_str_eq(got, rows[i].want, "%s", rows[i].path);
		free(got);
	}
	/* the lab's labels, on the service and on its tasks' containers */
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "io.labctl.lab")), "sw");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "io.labctl.service")), "kafka");
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate"), "ContainerSpec"),
		"Labels");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cl, "io.labctl.lab")), "sw");
	const cJSON *vo = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
					   cJSON_GetObjectItemCaseSensitive(
						   cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate"), "ContainerSpec"),
					   "Mounts"),
				   0),
		"VolumeOptions");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				 cJSON_GetObjectItemCaseSensitive(vo, "Labels"), "io.labctl.lab")),
			 "sw", "the volume a node makes carries the lab's label");

	/* the hash: same spec and image, same hash; another image id, another */
	char h1[65], h2[65], h3[65];
	lab_swarm_spec_hash(h1, spec, "sha256:aa");
	lab_swarm_spec_hash(h2, spec, "sha256:aa");
	lab_swarm_spec_hash(h3, spec, "sha256:bb");
	cr_expect_str_eq(h1, h2);
	cr_expect_str_neq(h1, h3);
	cJSON_Delete(spec);

	/* dnsrr (up --endpoint-mode dnsrr): DNS round-robin, every port in host mode */
	cr_assert_eq(lab_swarm_service_spec(&spec, lab, &lab->services[0], "x", 0, 1, &err), 0, "%s", err.msg);
	char *m = at(spec, "EndpointSpec.Mode"), *p0 = at(spec, "EndpointSpec.Ports.0.PublishMode");
	cr_expect_str_eq(m, "dnsrr");
	cr_expect_str_eq(p0, "host");
	free(m);
	free(p0);
	cJSON_Delete(spec);
	lab_free(lab);
}

Test(swarm_spec, restart_condition, .init = tsw_setup, .fini = tsw_teardown)
{
	static const struct {
		const char *restart; /* the service's restart: line, or "" */
		int one_shot;
		const char *want;
	} rows[] = {
		{"", 0, "any"},
		{"", 1, "none"},
		{"    restart: \"no\"\n", 0, "none"},
		{"    restart: always\n", 1, "any"},
		{"    restart: unless-stopped\n", 0, "any"},
		{"    restart: on-failure\n", 0, "on-failure"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "name: sw\nservices:\n  a:\n    image: x\n%s", rows[i].restart);
		struct lab_err err;
		struct lab *lab = tsw_load(yaml, &err);
		cr_assert(lab, "%s", err.msg);
		cJSON *spec = NULL;
		cr_assert_eq(lab_swarm_service_spec(&spec, lab, &lab->services[0], "x", rows[i].one_shot, 0, &err), 0);
		char *got = at(spec, "TaskTemplate.RestartPolicy.Condition");
		cr_expect_str_eq(got, rows[i].want, "restart '%s' one_shot %d", rows[i].restart, rows[i].one_shot);
		free(got);
		cJSON_Delete(spec);
		lab_free(lab);
	}
}

Test(swarm_spec, refused_and_bad_keys, .init = tsw_setup, .fini = tsw_teardown)
{
	struct lab_err err;
	struct lab *lab = tsw_load("name: sw\nservices:\n  a:\n    image: x\n    privileged: true\n", &err);
	cr_assert(lab, "%s", err.msg);
	cJSON *spec = NULL;
	cr_expect_eq(lab_swarm_service_spec(&spec, lab, &lab->services[0], "x", 0, 0, &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "compose.yaml:3:3: service 'a': 'privileged' has no Swarm equivalent (up --swarm)"),
		  "%s", err.msg);
	cr_expect_null(spec);
	lab_free(lab);

	static const struct {
		const char *deploy, *msg;
	} bad[] = {
		{"placement: { constraints: [node.role] }", "invalid constraint 'node.role'"},
		{"update_config: { order: sideways }", "invalid order 'sideways' (start-first or stop-first)"},
		{"update_config: { failure_action: retry }", "invalid failure_action 'retry'"},
		{"rollback_config: { failure_action: rollback }", "invalid failure_action 'rollback' (continue, pause)"},
		{"update_config: { max_failure_ratio: 2 }", "invalid max_failure_ratio '2' (a number from 0 to 1)"},
		{"rollback_config: { max_failure_ratio: half }", "invalid max_failure_ratio 'half'"},
		{"endpoint_mode: round", "invalid endpoint_mode 'round' (vip or dnsrr)"},
		{"placement: { preferences: [{ pack: x }] }", "unknown key 'pack'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[256];
		snprintf(yaml, sizeof(yaml), "name: sw\nservices:\n  a:\n    image: x\n    deploy: { %s }\n", bad[i].deploy);
		lab = tsw_load(yaml, &err);
		cr_expect_null(lab, "%s", bad[i].deploy);
		cr_expect(strstr(err.msg, bad[i].msg), "%s: %s", bad[i].deploy, err.msg);
		lab_free(lab);
	}
	/* lab.swarm: true */
	lab = tsw_load("lab: { name: sw, swarm: true }\nservices:\n  a: { image: x }\n", &err);
	cr_assert(lab, "%s", err.msg);
	cr_expect_eq(lab->swarm, 1);
	lab_free(lab);
}

Test(swarm_spec, replica_of_a_task_container)
{
	static const struct {
		const char *labels, *want;
	} rows[] = {
		{"{\"io.labctl.replica\": \"2\"}", "2"},
		{"{\"com.docker.swarm.task.name\": \"m0_kafka.3.x1y2z3\"}", "3"},
		{"{\"com.docker.swarm.task.name\": \"m0_kafka.12.x1y2z3\", \"io.labctl.replica\": \"1\"}", "1"},
		{"{\"com.docker.swarm.task.name\": \"m0_agent.n0d3id.t4sk\"}", NULL}, /* global: a node id */
		{"{\"com.docker.swarm.task.name\": \"nodots\"}", NULL},
		{"{}", NULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cJSON *l = cJSON_Parse(rows[i].labels);
		char buf[16];
		const char *got = lab_plan_replica_label(l, buf);
		if (rows[i].want)
			cr_expect(got && strcmp(got, rows[i].want) == 0, "%s: got %s", rows[i].labels, got ? got : "NULL");
		else
			cr_expect_null(got, "%s: got %s", rows[i].labels, got);
		cJSON_Delete(l);
	}
}

/* down --volumes on a Swarm: the sweep of another node's volumes
 * (lab_swarm_sweep_run). What a real engine cannot produce on cue: one
 * node's task rejected (its image gone), another's engine refusing a
 * removal. Each sweep service is pinned to its node with the node's engine
 * socket; down fails naming both nodes, counts the one volume removed and
 * removes both sweep services. */
static void tsw_removed(const char *node, const char *volume, void *ud)
{
	lab_buf_printf(ud, "%s/%s;", node, volume);
}

Test(swarm_sweep, failures_name_the_node)
{
	static char logs[512];
	static const char *const frames[] = {"1removed p_a\n", "1absent p_c\n", "1error p_b: 500 boom\n", NULL};
	size_t logs_len = fe_framed(logs, sizeof(logs), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", frames);
	char *f1 = lab_engine_escape("{\"service\":[\"s1\"]}"), *f2 = lab_engine_escape("{\"service\":[\"s2\"]}");
	char *m1 = lab_xasprintf("GET /v1.41/tasks?filters=%s", f1), *m2 = lab_xasprintf("GET /v1.41/tasks?filters=%s", f2);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/services/create", FE_HTTP("201 Created", "{\"ID\":\"s1\"}"), 0, 1},
		{"POST /v1.41/services/create", FE_HTTP("201 Created", "{\"ID\":\"s2\"}"), 0, 1},
		{m1, FE_HTTP("200 OK", "[{\"Status\":{\"State\":\"rejected\",\"Err\":\"No such image: labctl/kafka:4.4.0\"}}]"), 0, 0},
		{m2, FE_HTTP("200 OK", "[{\"Status\":{\"State\":\"complete\"}}]"), 0, 0},
		{"GET /v1.41/services/s1/logs", FE_HTTP("404 Not Found", "{\"message\":\"no such task\"}"), 0, 0},
		{"GET /v1.41/services/s2/logs", logs, logs_len, 0},
		{"DELETE /v1.41/services/s", FE_HTTP("200 OK", ""), 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	struct lab_swarm_sweep_node nodes[] = {{"n1", "sw1", "labctl/kafka:4.4.0"}, {"n2", "sw2", "labctl/postgres:15"}};
	struct lab_swarm_sweep sw = {.nodes = nodes, .n = 2};
	lab_strv_push(&sw.volumes, "p_a");
	lab_strv_push(&sw.volumes, "p_b");
	lab_strv_push(&sw.volumes, "p_c");
	struct lab_buf seen = LAB_BUF_INIT;
	size_t n = 0;
	int rc = lab_swarm_sweep_run(&sw, e, "p", 5, tsw_removed, &seen, &n, &err);
	cr_expect_eq(rc, LAB_ERR, "%d %s", rc, err.msg);
	cr_expect(strstr(err.msg, "node 'sw1': task rejected: No such image: labctl/kafka:4.4.0"), "%s", err.msg);
	cr_expect(strstr(err.msg, "node 'sw2': error p_b: 500 boom"), "%s", err.msg);
	cr_expect(!strstr(err.msg, "p_c"), "an absent volume is no failure: %s", err.msg);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(lab_buf_cstr(&seen), "sw2/p_a;");
	/* the first sweep service: on n1, the socket, root, once, the lab's */
	long c = fe_find(&s, "POST /v1.41/services/create", 0);
	cr_assert_geq(c, 0);
	cJSON *spec = cJSON_Parse(fe_body(&s, (size_t)c));
	cr_assert(spec);
	const cJSON *tt = cJSON_GetObjectItem(spec, "TaskTemplate"), *cs = cJSON_GetObjectItem(tt, "ContainerSpec");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(spec, "Name")), "p_volume-sweep-n1");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "Labels"), "io.labctl.lab")), "p");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cs, "Image")), "labctl/kafka:4.4.0");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cs, "User")), "0");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(cs, "Command"), 0)), "perl");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(cs, "Command"), 3)), "p");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(cs, "Command"), 6)), "p_c");
	const cJSON *mount = cJSON_GetArrayItem(cJSON_GetObjectItem(cs, "Mounts"), 0);
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(mount, "Source")), "/var/run/docker.sock");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(mount, "Type")), "bind");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(
				 cJSON_GetObjectItem(cJSON_GetObjectItem(tt, "Placement"), "Constraints"), 0)),
			 "node.id==n1");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(tt, "RestartPolicy"), "Condition")),
			 "none");
	cJSON_Delete(spec);
	cr_expect_geq(fe_find(&s, "DELETE /v1.41/services/s1", 0), 0, "sweep service s1 removed");
	cr_expect_geq(fe_find(&s, "DELETE /v1.41/services/s2", 0), 0, "sweep service s2 removed");
	lab_strv_free(&sw.volumes);
	lab_buf_release(&seen);
	lab_engine_free(e);
	fe_stop(&s);
	free(f1);
	free(f2);
	free(m1);
	free(m2);
}
