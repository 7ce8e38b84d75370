/* The schema registry (images/schema-registry through
 * labs/common/schema-registry.yml) and Kafka Connect (images/connect
 * through labs/common/connect.yml with a lab's connectors:), against real
 * services: what a student's client sees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *registry_lab = "lab: { name: \"@NAME@\" }\n"
				  "include: [\"@REPO@/labs/common/kafka.yml\", \"@REPO@/labs/common/schema-registry.yml\"]\n";

#define V1 "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"UserEvent\\\",\\\"fields\\\":[{\\\"name\\\":\\\"user_id\\\",\\\"type\\\":\\\"string\\\"}]}"
#define V2                                                                                                             \
	"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"UserEvent\\\",\\\"fields\\\":[{\\\"name\\\":\\\"user_id\\\","     \
	"\\\"type\\\":\\\"string\\\"},{\\\"name\\\":\\\"country\\\",\\\"type\\\":[\\\"null\\\",\\\"string\\\"],"         \
	"\\\"default\\\":null}]}"
#define BROKEN                                                                                                         \
	"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"UserEvent\\\",\\\"fields\\\":[{\\\"name\\\":\\\"user_id\\\","     \
	"\\\"type\\\":\\\"string\\\"},{\\\"name\\\":\\\"amount\\\",\\\"type\\\":\\\"int\\\"}]}"

/* curl METHOD url [body] against the registry: "STATUS BODY" into r->out. */
static void sr(struct it_run *r, const char *url, const char *method, const char *path, const char *body)
{
	it_run(r,
	       "curl -s -w ' %%{http_code}' -X %s -H 'Content-Type: application/vnd.schemaregistry.v1+json' %s%s%s '%s%s'",
	       method, body ? "--data '" : "", body ? body : "", body ? "'" : "", url, path);
}

Test(schemas, registry_register_evolve_refuse_and_survive_down_up, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	char kport[16], sport[16], url[64], want[128];
	snprintf(kport, sizeof(kport), "%d", it_free_port());
	snprintf(sport, sizeof(sport), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", kport, 1);
	setenv("LAB_SCHEMA_REGISTRY_PORT", sport, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", sport);
	it_lab_make(&lab, "registry", registry_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "env '%s'", lab.dir);
	snprintf(want, sizeof(want), "export SCHEMA_REGISTRY_URL='%s'", url);
	cr_expect(strstr(r.out, want), "env: %s", r.out);
	it_run_free(&r);

	sr(&r, url, "GET", "/subjects", NULL);
	cr_expect_str_eq(r.out, "[] 200", "no subjects yet: %s", r.err);
	it_run_free(&r);

	sr(&r, url, "POST", "/subjects/user_event-value/versions", "{\"schema\": \"" V1 "\"}");
	cr_expect_str_eq(r.out, "{\"id\": 1} 200", "v1 registered: %s", r.err);
	it_run_free(&r);
	/* the same schema again: the same id, no new version */
	sr(&r, url, "POST", "/subjects/user_event-value/versions", "{\"schema\": \"" V1 "\"}");
	cr_expect_str_eq(r.out, "{\"id\": 1} 200", "v1 again: %s", r.err);
	it_run_free(&r);

	sr(&r, url, "POST", "/compatibility/subjects/user_event-value/versions/latest", "{\"schema\": \"" V2 "\"}");
	cr_expect_str_eq(r.out, "{\"is_compatible\": true} 200", "an optional field is BACKWARD compatible");
	it_run_free(&r);
	sr(&r, url, "POST", "/subjects/user_event-value/versions", "{\"schema\": \"" V2 "\"}");
	cr_expect_str_eq(r.out, "{\"id\": 2} 200", "v2 registered: %s", r.err);
	it_run_free(&r);

	/* a required field without a default: refused under BACKWARD */
	sr(&r, url, "POST", "/subjects/user_event-value/versions", "{\"schema\": \"" BROKEN "\"}");
	cr_expect(strstr(r.out, "\"error_code\": 409") && strstr(r.out, "incompatible") && strstr(r.out, "amount") &&
			  strstr(r.out, " 409"),
		  "incompatible change refused with 409 naming the field: %s", r.out);
	it_run_free(&r);
	/* ... but FORWARD compatible: an old reader skips the new field */
	sr(&r, url, "PUT", "/config/user_event-value", "{\"compatibility\": \"FORWARD\"}");
	cr_expect_str_eq(r.out, "{\"compatibility\": \"FORWARD\"} 200");
	it_run_free(&r);
	sr(&r, url, "POST", "/compatibility/subjects/user_event-value/versions/latest", "{\"schema\": \"" BROKEN "\"}");
	cr_expect_str_eq(r.out, "{\"is_compatible\": true} 200", "FORWARD: %s", r.out);
	it_run_free(&r);
	sr(&r, url, "PUT", "/config/user_event-value", "{\"compatibility\": \"FULL\"}");
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	cr_assert_eq(it_count_containers(lab.project), 0);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up again: %s\n%s", r.err, r.out);
	it_run_free(&r);

	/* the registry's container is new; the versions and the level came
	   back from the _schemas topic on the broker's volume */
	sr(&r, url, "GET", "/subjects/user_event-value/versions", NULL);
	cr_expect_str_eq(r.out, "[1, 2] 200", "versions survived down/up: %s", r.err);
	it_run_free(&r);
	sr(&r, url, "GET", "/config/user_event-value", NULL);
	cr_expect_str_eq(r.out, "{\"compatibilityLevel\": \"FULL\"} 200", "level survived down/up");
	it_run_free(&r);
	sr(&r, url, "GET", "/schemas/ids/2", NULL);
	cr_expect(strstr(r.out, "country") && strstr(r.out, " 200"), "schema 2 by id: %s", r.out);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* PostgreSQL with logical WAL, Kafka, a Connect worker, a one-shot that
 * makes the CDC source table, and two connectors; @EXTRA@ is replaced by
 * more connectors. */
static const char *connect_lab =
	"lab: { name: \"@NAME@\" }\n"
	"include: [\"@REPO@/labs/common/postgres.yml\", \"@REPO@/labs/common/kafka.yml\", "
	"\"@REPO@/labs/common/connect.yml\"]\n"
	"services:\n"
	"  init:\n"
	"    image: labctl/postgres:15\n"
	"    healthcheck: { disable: true }\n"
	"    depends_on: { postgres: { condition: service_healthy } }\n"
	"    environment: { PGHOST: postgres, PGUSER: lab, PGPASSWORD: \"${POSTGRES_PASSWORD}\", PGDATABASE: lab }\n"
	"    command: [psql, -v, ON_ERROR_STOP=1, -c, \"create table if not exists customers (id int primary key, "
	"email text); insert into customers values (1, 'a@x'), (2, 'b@x'), (3, 'c@x') on conflict do nothing\"]\n"
	"connectors:\n"
	"  sink:\n"
	"    config:\n"
	"      connector.class: io.debezium.connector.jdbc.JdbcSinkConnector\n"
	"      topics: station_counts\n"
	"      connection.url: jdbc:postgresql://postgres:5432/lab\n"
	"      connection.username: lab\n"
	"      connection.password: ${POSTGRES_PASSWORD}\n"
	"      insert.mode: upsert\n"
	"      primary.key.mode: record_key\n"
	"      primary.key.fields: station\n"
	"      schema.evolution: basic\n"
	"  cdc:\n"
	"    config:\n"
	"      connector.class: io.debezium.connector.postgresql.PostgresConnector\n"
	"      plugin.name: pgoutput\n"
	"      database.hostname: postgres\n"
	"      database.port: 5432\n"
	"      database.user: lab\n"
	"      database.password: ${POSTGRES_PASSWORD}\n"
	"      database.dbname: lab\n"
	"      topic.prefix: cdc\n"
	"      table.include.list: public.customers\n"
	"      slot.name: it_cdc\n"
	"      publication.autocreate.mode: filtered\n";

static const char *wrong_password =
	"  sink-wrong-password:\n"
	"    config:\n"
	"      connector.class: io.debezium.connector.jdbc.JdbcSinkConnector\n"
	"      topics: station_counts\n"
	"      connection.url: jdbc:postgresql://postgres:5432/lab\n"
	"      connection.username: lab\n"
	"      connection.password: not-the-password\n"
	"      primary.key.mode: none\n"
	"      table.name.format: other_counts\n";

/* Poll sh command cmd until its trimmed stdout equals want, up to secs. */
static int wait_for(const char *want, int secs, const char *cmd)
{
	for (int i = 0; i < secs * 2; i++) {
		char *got = it_sh("%s", cmd);
		int ok = strcmp(got, want) == 0;
		free(got);
		if (ok)
			return 1;
		usleep(500000);
	}
	return 0;
}

Test(schemas, connect_sink_and_source_end_to_end_then_a_wrong_password_fails_up, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char kport[16], cport[16], pport[16], cmd[1024];
	snprintf(kport, sizeof(kport), "%d", it_free_port());
	snprintf(cport, sizeof(cport), "%d", it_free_port());
	snprintf(pport, sizeof(pport), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", kport, 1);
	setenv("LAB_CONNECT_PORT", cport, 1);
	setenv("LAB_PG_PORT", pport, 1);
	setenv("LAB_PG_WAL_LEVEL", "logical", 1);
	it_lab_make(&lab, "connect", connect_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "CONNECTOR") && strstr(r.out, "sink                 connect              RUNNING") &&
			  strstr(r.out, "cdc                  connect              RUNNING"),
		  "both connectors RUNNING in up's table: %s", r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "env '%s'", lab.dir);
	char want[96];
	snprintf(want, sizeof(want), "export KAFKA_CONNECT_URL='http://127.0.0.1:%s'", cport);
	cr_expect(strstr(r.out, want), "env: %s", r.out);
	it_run_free(&r);

	/* sink: module6's producer (100 counts, 10 keys) from the host; the
	   upserts leave one row per key holding its last count */
	it_run(&r, "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:%s sh '%s/labs/module6/produce-counts.sh'", kport, it_repo());
	cr_assert_eq(r.status, 0, "produce: %s", r.err);
	it_run_free(&r);
	snprintf(cmd, sizeof(cmd),
		 "%s exec '%s' postgres -- psql -U lab -d lab -tAc 'select count(*), sum(count) from station_counts' "
		 "2>/dev/null",
		 it_labctl(), lab.dir);
	/* the lab's state dir: it_labctl_run sets it; here by hand */
	char full[1400];
	snprintf(full, sizeof(full), "LABCTL_STATE_DIR='%s' %s", lab.state, cmd);
	cr_expect(wait_for("10|955", 60, full), "station_counts: 10 rows, the last count per key");

	/* source: the snapshot's 3 rows, then an UPDATE as an op u event */
	snprintf(full, sizeof(full), "kcat -C -b 127.0.0.1:%s -t cdc.public.customers -e -q -f '%%s\\n' | grep -c '\"op\":\"r\"'",
		 kport);
	cr_expect(wait_for("3", 60, full), "3 snapshot events");
	it_labctl_run(&r, &lab, "exec '%s' postgres -- psql -U lab -d lab -c \"update customers set email = 'new@x' where id = 2\"",
		      lab.dir);
	cr_assert_eq(r.status, 0, "update: %s", r.err);
	it_run_free(&r);
	snprintf(full, sizeof(full),
		 "kcat -C -b 127.0.0.1:%s -t cdc.public.customers -e -q -f '%%s\\n' | grep '\"op\":\"u\"' | grep -c 'new@x'",
		 kport);
	cr_expect(wait_for("1", 60, full), "the UPDATE arrived as one change event with the new value");

	/* a third connector with a wrong password: up exits 1, the table says
	   FAILED, and the reason is PostgreSQL's; the two others still run */
	char *yaml = NULL;
	size_t n = strlen(connect_lab) + strlen(wrong_password) + 1;
	yaml = malloc(n);
	snprintf(yaml, n, "%s%s", connect_lab, wrong_password);
	it_lab_write(&lab, yaml);
	free(yaml);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "up with a failing connector exits 1: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "sink-wrong-password  connect              FAILED"), "FAILED in the table: %s", r.out);
	cr_expect(strstr(r.out, "sink                 connect              RUNNING"), "the others still RUNNING: %s", r.out);
	cr_expect(strstr(r.err, "connector 'sink-wrong-password' FAILED") &&
			  strstr(r.err, "password authentication failed for user \"lab\""),
		  "the reason under the table: %s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
