/* labctl/endpoints: canned engine JSON -> addresses and client
 * environments, in tables. */

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/endpoints/endpoints.h"

/* ---- one container's host address, from inspect or list JSON ---- */

#define NETS "\"Networks\": {\"lab_default\": {\"IPAddress\": \"172.18.0.7\"}}"

static const struct {
	const char *container; /* JSON */
	int port;
	const char *want;      /* "host port", NULL: LAB_ENOTFOUND */
} te_hosts[] = {
	/* GET /containers/{id}/json */
	{"{\"NetworkSettings\": {\"Ports\": {\"5432/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"15432\"}]}, " NETS "}}",
	 5432, "127.0.0.1 15432"},
	{"{\"NetworkSettings\": {\"Ports\": {\"5432/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"32768\"},"
	 " {\"HostIp\": \"::\", \"HostPort\": \"32768\"}]}}}",
	 5432, "127.0.0.1 32768"},
	{"{\"NetworkSettings\": {\"Ports\": {\"5432/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"1\"}]}}}", 5432, "127.0.0.1 1"},
	{"{\"NetworkSettings\": {\"Ports\": {\"5432/tcp\": [{\"HostIp\": \"::\", \"HostPort\": \"2\"}]}}}", 5432, "::1 2"},
	{"{\"NetworkSettings\": {\"Ports\": {\"443/tcp\": [{\"HostIp\": \"::1\", \"HostPort\": \"8443\"}]}}}", 443, "::1 8443"},
	{"{\"NetworkSettings\": {\"Ports\": {\"443/tcp\": [{\"HostIp\": \"10.0.0.5\", \"HostPort\": \"8443\"}]}}}", 443,
	 "10.0.0.5 8443"},
	/* not published: the address on the lab network, at the port itself */
	{"{\"NetworkSettings\": {\"Ports\": {\"8080/tcp\": null}, " NETS "}}", 8080, "172.18.0.7 8080"},
	{"{\"NetworkSettings\": {\"Ports\": {\"8080/udp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"9\"}]}, " NETS "}}",
	 8080, "172.18.0.7 8080"},
	{"{\"NetworkSettings\": {\"Ports\": {}, \"Networks\": {\"a\": {\"IPAddress\": \"\"}, \"b\": {\"IPAddress\": \"10.1.1.1\"}}}}",
	 80, "10.1.1.1 80"},
	{"{\"NetworkSettings\": {\"Ports\": {}, \"Networks\": {\"none\": {\"IPAddress\": \"\"}}}}", 80, NULL},
	{"{}", 80, NULL},
	/* GET /containers/json entries */
	{"{\"Ports\": [{\"IP\": \"127.0.0.1\", \"PrivatePort\": 5432, \"PublicPort\": 15432, \"Type\": \"tcp\"}], "
	 "\"NetworkSettings\": {" NETS "}}",
	 5432, "127.0.0.1 15432"},
	{"{\"Ports\": [{\"IP\": \"0.0.0.0\", \"PrivatePort\": 81, \"PublicPort\": 32768, \"Type\": \"tcp\"},"
	 " {\"IP\": \"::\", \"PrivatePort\": 81, \"PublicPort\": 32768, \"Type\": \"tcp\"}]}",
	 81, "127.0.0.1 32768"},
	{"{\"Ports\": [{\"IP\": \"::\", \"PrivatePort\": 81, \"PublicPort\": 32769, \"Type\": \"tcp\"}]}", 81, "::1 32769"},
	{"{\"Ports\": [{\"IP\": \"0.0.0.0\", \"PrivatePort\": 53, \"PublicPort\": 5353, \"Type\": \"udp\"},"
	 " {\"PrivatePort\": 53, \"Type\": \"tcp\"}], \"NetworkSettings\": {" NETS "}}",
	 53, "172.18.0.7 53"},
	{"{\"Ports\": [{\"IP\": \"0.0.0.0\", \"PrivatePort\": 80, \"PublicPort\": 8080, \"Type\": \"tcp\"}]}", 81, NULL},
};

Test(endpoints, host_address_table)
{
	for (size_t i = 0; i < sizeof(te_hosts) / sizeof(te_hosts[0]); i++) {
		cJSON *c = cJSON_Parse(te_hosts[i].container);
		cr_assert(c, "case %zu: bad JSON", i);
		char *host = NULL;
		int port = 0;
		int rc = lab_endpoint_host(&host, &port, c, te_hosts[i].port);
		if (!te_hosts[i].want) {
			cr_expect_eq(rc, LAB_ENOTFOUND, "case %zu: rc %d (%s)", i, rc, host ? host : "");
			cr_expect_null(host, "case %zu", i);
		} else {
			char got[128];
			snprintf(got, sizeof(got), "%s %d", host ? host : "(null)", port);
			cr_expect_eq(rc, 0, "case %zu", i);
			cr_expect_str_eq(got, te_hosts[i].want, "case %zu", i);
		}
		free(host);
		cJSON_Delete(c);
	}
}

/* ---- a lab's client environment ---- */

static const char *const te_lab =
	"services:\n"
	"  db:\n"
	"    image: x\n"
	"    ports: [\"15432:5432\"]\n"
	"    x-ready: {postgres: {port: 5432, user: lab, password: pw}}\n"
	"  db2:\n"
	"    image: x\n"
	"    x-ready: {postgres: 5433}\n"
	"  kafka:\n"
	"    image: x\n"
	"    deploy: {replicas: 2}\n"
	"    ports: [\"19092\"]\n"
	"    x-ready: {kafka: {port: 19092, internal_port: 9092, brokers: 2}}\n"
	"  store:\n"
	"    image: x\n"
	"    ports: [\"9000\"]\n"
	"    x-ready: {s3: {port: 9000, access_key: ak, secret_key: sk}}\n"
	"  web:\n"
	"    image: x\n"
	"    x-ready: {http: 80, tcp: 80}\n";

/* One entry of GET /containers/json: service, replica, state, then the
 * Ports array's and the network address's JSON. */
#define C(svc, rep, state, ports, ip)                                                              \
	"{\"Id\": \"id-" svc "-" #rep "\", \"State\": \"" state "\", \"Labels\": {\"io.labctl.service\": \"" svc \
	"\", \"io.labctl.replica\": \"" #rep "\"}, \"Ports\": [" ports "], \"NetworkSettings\": {\"Networks\": " \
	"{\"lab_default\": {\"IPAddress\": \"" ip "\"}}}}"
#define P(ip, priv, pub) "{\"IP\": \"" ip "\", \"PrivatePort\": " #priv ", \"PublicPort\": " #pub ", \"Type\": \"tcp\"}"

static const struct {
	const char *containers;    /* JSON array, NULL: none */
	enum lab_endpoints_for who;
	const char *service;       /* NULL: every service */
	const char *probe;         /* NULL: every kind */
	const char *want;          /* env joined by ' ' */
	int missing;
} te_envs[] = {
	/* everything running; IPv6 wildcards are reached on ::1, in brackets in lists and URLs */
	{"[" C("db", 1, "running", P("127.0.0.1", 5432, 15432), "172.18.0.2") ","
	 C("kafka", 1, "running", P("0.0.0.0", 19092, 32001) "," P("::", 19092, 32001), "172.18.0.3") ","
	 C("kafka", 2, "running", P("::", 19092, 32002), "172.18.0.4") ","
	 C("store", 1, "running", P("::", 9000, 32003), "172.18.0.5") "]",
	 LAB_ENDPOINTS_HOST, NULL, NULL,
	 "PGHOST=127.0.0.1 PGPORT=15432 PGUSER=lab PGPASSWORD=pw PGDATABASE=lab "
	 "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:32001,[::1]:32002 "
	 "AWS_ENDPOINT_URL=http://[::1]:32003 AWS_ACCESS_KEY_ID=ak AWS_SECRET_ACCESS_KEY=sk AWS_REGION=us-east-1",
	 0},
	/* for containers: <service>:<port>, Kafka's internal listener, no engine needed */
	{NULL, LAB_ENDPOINTS_INTERNAL, NULL, NULL,
	 "PGHOST=db PGPORT=5432 PGUSER=lab PGPASSWORD=pw PGDATABASE=lab KAFKA_BOOTSTRAP_SERVERS=kafka:9092 "
	 "AWS_ENDPOINT_URL=http://store:9000 AWS_ACCESS_KEY_ID=ak AWS_SECRET_ACCESS_KEY=sk AWS_REGION=us-east-1",
	 0},
	/* nothing running: a host port fixed in the file still answers for db;
	   both brokers and the store are missing */
	{"[]", LAB_ENDPOINTS_HOST, NULL, NULL, "PGHOST=127.0.0.1 PGPORT=15432 PGUSER=lab PGPASSWORD=pw PGDATABASE=lab", 3},
	/* a broker stopped: the other is still listed */
	{"[" C("kafka", 1, "exited", "", "") "," C("kafka", 2, "running", P("127.0.0.1", 19092, 32002), "172.18.0.4") "]",
	 LAB_ENDPOINTS_HOST, "kafka", NULL, "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:32002", 1},
	/* one service, one kind; not published: its address on the lab
	   network; no user: postgres, and its database */
	{"[" C("db2", 1, "running", "", "172.18.0.9") "]", LAB_ENDPOINTS_HOST, "db2", "postgres",
	 "PGHOST=172.18.0.9 PGPORT=5433 PGUSER=postgres PGDATABASE=postgres", 0},
	{NULL, LAB_ENDPOINTS_INTERNAL, "db2", NULL, "PGHOST=db2 PGPORT=5433 PGUSER=postgres PGDATABASE=postgres", 0},
	/* kinds without client needs give nothing */
	{NULL, LAB_ENDPOINTS_INTERNAL, "web", NULL, "", 0},
	{NULL, LAB_ENDPOINTS_INTERNAL, "store", "kafka", "", 0},
};

Test(endpoints, client_env_table)
{
	char dir[] = "/tmp/endpointstest-XXXXXX";
	cr_assert(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lab.yml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(te_lab, f);
	fclose(f);
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, path, NULL, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(te_envs) / sizeof(te_envs[0]); i++) {
		struct lab_endpoints ep;
		cJSON *list = te_envs[i].containers ? cJSON_Parse(te_envs[i].containers) : NULL;
		cr_assert(list || !te_envs[i].containers, "case %zu: bad JSON", i);
		lab_endpoints_init(&ep, lab, list);
		struct lab_strv env = LAB_STRV_INIT;
		const struct lab_service *s = te_envs[i].service ? lab_find_service(lab, te_envs[i].service) : NULL;
		int missing = lab_endpoints_env(&env, &ep, te_envs[i].who, s, te_envs[i].probe);
		struct lab_buf b = LAB_BUF_INIT;
		lab_buf_puts(&b, "");
		for (size_t k = 0; k < env.n; k++)
			lab_buf_printf(&b, "%s%s", k ? " " : "", env.v[k]);
		cr_expect_str_eq(lab_buf_cstr(&b), te_envs[i].want, "case %zu", i);
		cr_expect_eq(missing, te_envs[i].missing, "case %zu: missing %d", i, missing);
		lab_buf_release(&b);
		lab_strv_free(&env);
		lab_endpoints_release(&ep);
	}
	/* the container of a replica, a running one first */
	cJSON *list = cJSON_Parse("[" C("db", 1, "exited", "", "") "," C("db", 1, "running", "", "") "," C("db", 2, "running", "", "") "]");
	struct lab_endpoints ep;
	lab_endpoints_init(&ep, lab, list);
	const cJSON *c = lab_endpoints_container(&ep, "db", 1);
	cr_expect(c && lab_endpoints_running(c));
	cr_expect_null(lab_endpoints_container(&ep, "db", 3));
	cr_expect_null(lab_endpoints_container(&ep, "kafka", 1));
	lab_endpoints_release(&ep);
	lab_free(lab);
	unlink(path);
	rmdir(dir);
}
