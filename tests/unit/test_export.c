/* labctl export compose: relative paths, and what a lab becomes in the
 * docker-compose file (credentials, '$', ports, healthchecks, buckets). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/export/compose.h"

struct rel_case {
	const char *dir, *path, *want;
};

static const struct rel_case rel_cases[] = {
	{"/work/main/compose/module0", "/work/main/images/postgres", "../../images/postgres"},
	{"/work/main/compose/module0", "/work/main/compose/module0/data", "data"},
	{"/work/main/compose/module0", "/work/main/compose/module0", "."},
	{"/work/main2", "/work/main/x", "../main/x"},
	{"/work/main", "/work/main2/x", "../main2/x"},
	{"/work/x", "/var/run/docker.sock", "/var/run/docker.sock"},
	{"/", "/etc/hosts", "etc/hosts"},
};

Test(export, relpath)
{
	for (size_t i = 0; i < sizeof(rel_cases) / sizeof(rel_cases[0]); i++) {
		char *got = lab_export_relpath(rel_cases[i].dir, rel_cases[i].path);
		cr_expect_str_eq(got, rel_cases[i].want, "relpath(%s, %s)", rel_cases[i].dir, rel_cases[i].path);
		free(got);
	}
}

/* Export yaml (written as lab.yml in a temp dir, with an images/app build
 * context beside it) with base_dir = that dir; returns the file text. */
static char *export_yaml(const char *yaml, char *dir_out)
{
	char dir[] = "/tmp/labctl-export-XXXXXX";
	cr_assert(mkdtemp(dir));
	strcpy(dir_out, dir);
	char path[256];
	snprintf(path, sizeof(path), "%s/app", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/app/Dockerfile", dir);
	FILE *f = fopen(path, "w");
	fputs("FROM debian:bookworm-slim\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/lab.yml", dir);
	f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	struct lab_strv marks = LAB_STRV_INIT;
	struct lab_load_opts opts = {0};
	opts.credential = lab_export_credential_ref;
	opts.credential_ud = &marks;
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, path, &opts, &err), 0, "%s", err.msg);
	char *real = realpath(dir, NULL);
	struct lab_buf out = LAB_BUF_INIT;
	cr_assert_eq(lab_export_compose(lab, real, &out, &err), 0, "%s", err.msg);
	free(real);
	lab_free(lab);
	lab_strv_free(&marks);
	return lab_buf_detach(&out);
}

static void remove_dir(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static const char *lab_yml =
	"lab: { name: exp, title: Export test }\n"
	"credentials: [DB_PASSWORD, S3_KEY]\n"
	"buckets: [lake, raw]\n"
	"services:\n"
	"  db:\n"
	"    image: labctl/postgres:15\n"
	"    environment:\n"
	"      POSTGRES_PASSWORD: ${DB_PASSWORD}\n"
	"      URL: \"postgres://lab:${DB_PASSWORD}@db/lab\"\n"
	"      PRICE: \"$$5\"\n"
	"      NODE_ID: \"1\"\n"
	"      FLAG: \"yes\"\n"
	"    ports: [\"${PORT:-15432}:5432\"]\n"
	"    volumes: [dbdata:/var/lib/postgresql/data]\n"
	"    x-ready:\n"
	"      postgres: { port: 5432, user: lab, password: \"${DB_PASSWORD}\", database: lab }\n"
	"      timeout: 90s\n"
	"  store:\n"
	"    image: labctl/objectstore:4.1.0\n"
	"    environment: { S3_ACCESS_KEY: key, S3_SECRET_KEY: \"${S3_KEY}\" }\n"
	"    x-ready:\n"
	"      s3: { port: 9000, access_key: key, secret_key: \"${S3_KEY}\" }\n"
	"  web:\n"
	"    build: ./app\n"
	"    image: exp/web:1\n"
	"    command: [\"sh\", \"-c\", \"echo $$HOME\"]\n"
	"    volumes: [\"./app:/srv:ro\"]\n"
	"    deploy: { replicas: 3 }\n"
	"    depends_on:\n"
	"      db: { condition: service_healthy }\n"
	"      once: { condition: service_completed_successfully }\n"
	"    x-ready: { http: { port: 8080, path: /health } }\n"
	"  once:\n"
	"    image: debian:bookworm-slim\n"
	"    command: \"true\"\n"
	"    healthcheck: { disable: true }\n"
	"volumes:\n"
	"  dbdata: {}\n";

Test(export, credentials_stay_references_and_dollars_are_escaped)
{
	char dir[64];
	setenv("PORT", "25432", 1);
	char *y = export_yaml(lab_yml, dir);
	unsetenv("PORT");
	cr_expect(strstr(y, "POSTGRES_PASSWORD: ${DB_PASSWORD}\n"), "%s", y);
	cr_expect(strstr(y, "URL: postgres://lab:${DB_PASSWORD}@db/lab\n"), "%s", y);
	cr_expect(strstr(y, "S3_SECRET_KEY: ${S3_KEY}\n"), "%s", y);
	/* a literal $ (written $$ in the lab) is $$ again for Compose */
	cr_expect(strstr(y, "PRICE: $$5\n"), "%s", y);
	cr_expect(strstr(y, "echo $$HOME"), "%s", y);
	/* values YAML would read as numbers or booleans stay strings */
	cr_expect(strstr(y, "NODE_ID: \"1\"\n"), "%s", y);
	cr_expect(strstr(y, "FLAG: \"yes\"\n"), "%s", y);
	/* other variables are resolved; the port keeps labctl's loopback address */
	cr_expect(strstr(y, "- \"127.0.0.1:25432:5432\"\n"), "%s", y);
	cr_expect(strstr(y, "# Not in Compose") == NULL, "nothing left out: %s", y);
	cr_expect(strstr(y, "(DB_PASSWORD, S3_KEY)\n# from the .env file"), "%s", y);
	free(y);
	remove_dir(dir);
}

Test(export, probes_become_healthchecks_polled_every_second)
{
	char dir[64];
	char *y = export_yaml(lab_yml, dir);
	const char *db = strstr(y, "\n  db:\n");
	const char *store = strstr(y, "\n  store:\n");
	const char *web = strstr(y, "\n  web:\n");
	const char *once = strstr(y, "\n  once:\n");
	cr_assert(db && store && web && once, "%s", y);
	/* postgres probe -> pg_isready, with the probe's timeout as start period */
	const char *pg = strstr(db, "test: [CMD-SHELL, pg_isready -q -h 127.0.0.1 -p 5432 -U lab -d lab]");
	cr_expect(pg && pg < store, "%s", y);
	const char *iv = strstr(db, "interval: 1s\n");
	cr_expect(iv && iv < store, "%s", y);
	const char *sp = strstr(db, "start_period: 90s\n");
	cr_expect(sp && sp < store, "%s", y);
	/* s3 probe: the image's own HEALTHCHECK, polled every second; the
	   lab's buckets in S3_BUCKETS */
	const char *hc = strstr(store, "healthcheck:\n      interval: 1s\n");
	cr_expect(hc && hc < web, "%s", y);
	const char *b = strstr(store, "S3_BUCKETS: lake raw\n");
	cr_expect(b && b < web, "%s", y);
	/* http probe -> curl with the expected status */
	/* the healthcheck's own $( is $$( for Compose */
	cr_expect(strstr(web, "test \"$$(curl -s -o /dev/null -w ''%{http_code}'' http://127.0.0.1:8080/health)\" = 200"),
		  "%s", y);
	cr_expect(strstr(web, "db: {condition: service_healthy}"), "%s", y);
	cr_expect(strstr(web, "once: {condition: service_completed_successfully}"), "%s", y);
	cr_expect(strstr(web, "deploy: {replicas: 3}"), "%s", y);
	/* build context and bind mount relative to the output directory */
	cr_expect(strstr(web, "context: ./app\n"), "%s", y);
	cr_expect(strstr(web, "- ./app:/srv:ro\n"), "%s", y);
	cr_expect(strstr(once, "healthcheck: {disable: true}"), "%s", y);
	cr_expect(strstr(y, "\nvolumes:\n  dbdata: {}\n"), "%s", y);
	free(y);
	remove_dir(dir);
}

Test(export, same_lab_same_bytes)
{
	char d1[64], d2[64];
	char *a = export_yaml(lab_yml, d1);
	char *b = export_yaml(lab_yml, d2);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	remove_dir(d1);
	remove_dir(d2);
}

/* mem_limit is written (as the Compose byte value it equals), not refused:
 * labctl applies it, so an export without it would run differently. */
Test(export, mem_limit_is_written)
{
	char dir[64];
	char *y = export_yaml("lab: { name: mem, title: Memory }\n"
			      "services:\n"
			      "  a: { image: debian:bookworm-slim, mem_limit: 2g }\n"
			      "  b: { image: debian:bookworm-slim, mem_limit: 1536m }\n"
			      "  c: { image: debian:bookworm-slim, mem_limit: 1000000 }\n",
			      dir);
	const char *a = strstr(y, "\n  a:\n"), *b = strstr(y, "\n  b:\n"), *c = strstr(y, "\n  c:\n");
	cr_assert(a && b && c, "%s", y);
	const char *ma = strstr(a, "mem_limit: 2g\n"), *mb = strstr(b, "mem_limit: 1536m\n");
	cr_expect(ma && ma < b, "%s", y);
	cr_expect(mb && mb < c, "%s", y);
	cr_expect(strstr(c, "mem_limit: 1000000\n"), "%s", y);
	free(y);
	remove_dir(dir);
}
