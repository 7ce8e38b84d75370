/* Planner: dependency waves, cycles, names, config hash, create body. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/plan/plan.h"

/* A lab built in memory: services[i] depends on the names in deps[i]
 * (space-separated). */
struct mini {
	struct lab lab;
	struct lab_service svc[8];
	struct lab_dep dep[8][4];
	struct lab_network net;
};

static void mini_init(struct mini *m, const char *const names[], const char *const deps[], size_t n)
{
	memset(m, 0, sizeof(*m));
	m->lab.project = "proj";
	m->lab.services = m->svc;
	m->lab.n_services = n;
	m->net.name = "default";
	m->lab.networks = &m->net;
	m->lab.n_networks = 1;
	for (size_t i = 0; i < n; i++) {
		m->svc[i].name = (char *)names[i];
		m->svc[i].image = "debian:bookworm-slim";
		m->svc[i].replicas = 1;
		m->svc[i].mark = (struct lab_mark){"lab.yml", (int)i + 2, 3};
		char *copy = strdup(deps[i]), *save = NULL;
		size_t k = 0;
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save), k++) {
			m->dep[i][k].service = strdup(t);
			m->dep[i][k].mark = (struct lab_mark){"lab.yml", (int)i + 10, (int)k + 5};
		}
		free(copy);
		m->svc[i].deps = m->dep[i];
		m->svc[i].n_deps = k;
	}
}

static void mini_free(struct mini *m)
{
	for (size_t i = 0; i < m->lab.n_services; i++)
		for (size_t k = 0; k < m->svc[i].n_deps; k++)
			free(m->dep[i][k].service);
}

struct wave_case {
	const char *names[6];
	const char *deps[6];
	size_t n;
	int waves[6];
	size_t n_waves;
	const char *error; /* expected message, or NULL */
};

static const struct wave_case wave_cases[] = {
	{{"a"}, {""}, 1, {0}, 1, NULL},
	{{"a", "b", "c"}, {"", "", ""}, 3, {0, 0, 0}, 1, NULL},
	{{"db", "api", "web"}, {"", "db", "api"}, 3, {0, 1, 2}, 3, NULL},
	{{"web", "api", "db", "cache"}, {"api cache", "db", "", ""}, 4, {2, 1, 0, 0}, 3, NULL},
	{{"a", "b", "c", "d"}, {"", "a", "a", "b c"}, 4, {0, 1, 1, 2}, 3, NULL},
	{{"a", "b"}, {"b", "a"}, 2, {0}, 0, "lab.yml:10:5: dependency cycle: a -> b -> a"},
	{{"a"}, {"a"}, 1, {0}, 0, "lab.yml:10:5: dependency cycle: a -> a"},
	{{"x", "a", "b", "c"}, {"", "b", "c", "a"}, 4, {0}, 0, "lab.yml:11:5: dependency cycle: a -> b -> c -> a"},
	{{"a"}, {"nope"}, 1, {0}, 0, "lab.yml:10:5: service 'a' depends on unknown service 'nope'"},
};

Test(plan, waves_table)
{
	for (size_t c = 0; c < sizeof(wave_cases) / sizeof(wave_cases[0]); c++) {
		const struct wave_case *wc = &wave_cases[c];
		struct mini m;
		mini_init(&m, wc->names, wc->deps, wc->n);
		int *waves = NULL;
		size_t n_waves = 0;
		struct lab_err err = {0};
		int rc = lab_plan_waves(&waves, &n_waves, &m.lab, &err);
		if (wc->error) {
			cr_expect_eq(rc, LAB_EINPUT, "case %zu: want an error", c);
			cr_expect_str_eq(err.msg, wc->error, "case %zu", c);
		} else {
			cr_assert_eq(rc, 0, "case %zu: %s", c, err.msg);
			cr_expect_eq(n_waves, wc->n_waves, "case %zu: waves", c);
			for (size_t i = 0; i < wc->n; i++)
				cr_expect_eq(waves[i], wc->waves[i], "case %zu: wave of %s", c, wc->names[i]);
		}
		free(waves);
		mini_free(&m);
	}
}

Test(plan, names_follow_compose)
{
	const char *names[] = {"web"}, *deps[] = {""};
	struct mini m;
	mini_init(&m, names, deps, 1);
	char *c = lab_plan_container_name(&m.lab, &m.svc[0], 2);
	cr_expect_str_eq(c, "proj-web-2");
	free(c);
	m.svc[0].image = NULL;
	c = lab_plan_image_name(&m.lab, &m.svc[0]);
	cr_expect_str_eq(c, "proj-web");
	free(c);
	c = lab_plan_network_name(&m.lab, &m.net);
	cr_expect_str_eq(c, "proj_default");
	free(c);
	struct lab_volume v = {.name = "pgdata"};
	c = lab_plan_volume_name(&m.lab, &v);
	cr_expect_str_eq(c, "proj_pgdata");
	free(c);
	v.custom_name = "course-data";
	c = lab_plan_volume_name(&m.lab, &v);
	cr_expect_str_eq(c, "course-data");
	free(c);
	v.custom_name = NULL;
	v.external_name = "shared";
	c = lab_plan_volume_name(&m.lab, &v);
	cr_expect_str_eq(c, "shared");
	free(c);
	m.net.custom_name = "course-net";
	c = lab_plan_network_name(&m.lab, &m.net);
	cr_expect_str_eq(c, "course-net");
	free(c);
	m.net.custom_name = NULL;
	mini_free(&m);
}

/* A volume's or network's labels: the file's, then labctl's two. */
Test(plan, resource_labels)
{
	const char *names[] = {"web"}, *deps[] = {""};
	struct mini m;
	mini_init(&m, names, deps, 1);
	struct lab_strv l = LAB_STRV_INIT;
	lab_strv_push(&l, "course=bigdata");
	lab_strv_push(&l, "bare=");
	cJSON *o = lab_plan_resource_labels(&m.lab, "data", &l, 0);
	char *s = cJSON_PrintUnformatted(o);
	cr_expect_str_eq(s, "{\"course\":\"bigdata\",\"bare\":\"\",\"io.labctl.lab\":\"proj\",\"io.labctl.volume\":\"data\"}");
	free(s);
	cJSON_Delete(o);
	o = lab_plan_resource_labels(&m.lab, "front", &l, 1);
	s = cJSON_PrintUnformatted(o);
	cr_expect_str_eq(s, "{\"course\":\"bigdata\",\"bare\":\"\",\"io.labctl.lab\":\"proj\",\"io.labctl.network\":\"front\"}");
	free(s);
	cJSON_Delete(o);
	lab_strv_free(&l);
	mini_free(&m);
}

Test(plan, config_hash_is_stable_and_sensitive)
{
	const char *names[] = {"web"}, *deps[] = {""};
	struct mini m;
	mini_init(&m, names, deps, 1);
	char h1[65], h2[65], h3[65], h4[65], h5[65];
	lab_plan_config_hash(h1, &m.lab, &m.svc[0], "sha256:aaa");
	lab_plan_config_hash(h2, &m.lab, &m.svc[0], "sha256:aaa");
	cr_expect_str_eq(h1, h2, "same input, same hash");
	cr_expect_eq(strlen(h1), 64);
	lab_plan_config_hash(h3, &m.lab, &m.svc[0], "sha256:bbb");
	cr_expect_str_neq(h1, h3, "a rebuilt image changes the hash");
	lab_strv_push(&m.svc[0].environment, "A=1");
	lab_plan_config_hash(h4, &m.lab, &m.svc[0], "sha256:aaa");
	cr_expect_str_neq(h1, h4, "an environment change changes the hash");
	/* replicas do not change a replica's configuration */
	m.svc[0].replicas = 5;
	lab_plan_config_hash(h5, &m.lab, &m.svc[0], "sha256:aaa");
	cr_expect_str_eq(h4, h5, "replica count is not part of a container's config");
	lab_strv_free(&m.svc[0].environment);
	mini_free(&m);
}

Test(plan, container_body_has_labels_ports_mounts_healthcheck)
{
	const char *names[] = {"db"}, *deps[] = {""};
	struct mini m;
	mini_init(&m, names, deps, 1);
	struct lab_port port = {.host_ip = "127.0.0.1", .host_port = 15432, .container_port = 5432, .protocol = "tcp"};
	struct lab_volume vol = {.name = "pgdata"};
	struct lab_mount mount = {.type = LAB_MOUNT_VOLUME, .source = "pgdata", .target = "/var/lib/postgresql/data"};
	m.lab.volumes = &vol;
	m.lab.n_volumes = 1;
	m.svc[0].ports = &port;
	m.svc[0].n_ports = 1;
	m.svc[0].mounts = &mount;
	m.svc[0].n_mounts = 1;
	m.svc[0].healthcheck.present = 1;
	lab_strv_push(&m.svc[0].healthcheck.test, "CMD-SHELL");
	lab_strv_push(&m.svc[0].healthcheck.test, "pg_isready");
	m.svc[0].healthcheck.interval_ms = 1000;
	m.svc[0].restart = "on-failure:3";
	cJSON *b = lab_plan_container_body(&m.lab, &m.svc[0], "sha256:abc", 1);
	char *text = cJSON_PrintUnformatted(b);
	cr_expect(strstr(text, "\"io.labctl.lab\":\"proj\""), "%s", text);
	cr_expect(strstr(text, "\"io.labctl.service\":\"db\""), "%s", text);
	cr_expect(strstr(text, "\"io.labctl.replica\":\"1\""), "%s", text);
	cr_expect(strstr(text, "\"io.labctl.config-hash\":\""), "%s", text);
	cr_expect(strstr(text, "\"5432/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"15432\"}]"), "%s", text);
	cr_expect(strstr(text, "\"Source\":\"proj_pgdata\",\"Target\":\"/var/lib/postgresql/data\""), "%s", text);
	cr_expect(strstr(text, "\"Interval\":1000000000"), "durations in ns: %s", text);
	cr_expect(strstr(text, "\"Name\":\"on-failure\",\"MaximumRetryCount\":3"), "%s", text);
	cr_expect(strstr(text, "\"proj_default\":{\"Aliases\":[\"db\"]}"), "%s", text);
	free(text);
	cJSON_Delete(b);
	lab_strv_free(&m.svc[0].healthcheck.test);
	mini_free(&m);
}
