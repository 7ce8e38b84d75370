/* Unit tests of the lab loader (labctl/lab): tables of lab files -> exact
 * messages, and good files -> struct values. Each test runs in a fresh
 * temporary directory and chdirs into it, so marks read "lab.yml:3:5". */

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/lab/lab_private.h"
#include "../../labctl/probe/probe.h"

static char tlab_dir[PATH_MAX];

static void tlab_mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
}

/* Write content to rel (relative to the test directory), making parents. */
static void tlab_write(const char *rel, const char *content)
{
	tlab_mkdirs(rel);
	FILE *f = fopen(rel, "w");
	cr_assert(f, "cannot write %s", rel);
	fputs(content, f);
	fclose(f);
}

static void tlab_setup(void)
{
	snprintf(tlab_dir, sizeof(tlab_dir), "/tmp/labtest-XXXXXX");
	cr_assert(mkdtemp(tlab_dir));
	cr_assert(chdir(tlab_dir) == 0);
}

static int tlab_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tlab_teardown(void)
{
	if (chdir("/") == 0 && tlab_dir[0])
		nftw(tlab_dir, tlab_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Absolute path of rel in the test directory (static buffer). */
static const char *tlab_path_abs(const char *rel)
{
	static char buf[PATH_MAX * 2];
	snprintf(buf, sizeof(buf), "%s/%s", tlab_dir, rel);
	return buf;
}

/* A lab_probe_where for the host that answers "HOST" and the port itself. */
static int tlab_addr(char **host, int *hport, void *ud, int port)
{
	(void)ud;
	*host = strdup("HOST");
	*hport = port;
	return 0;
}

/* What a client of s needs (its probes' client_env), "K=V" joined by ' '. */
static char *tlab_client_env(const struct lab_service *s)
{
	struct lab_strv env = LAB_STRV_INIT;
	struct lab_probe_where w = {0, tlab_addr, NULL};
	lab_probe_client_env(&env, &s->ready, &w);
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	for (size_t i = 0; i < env.n; i++)
		lab_buf_printf(&b, "%s%s", i ? " " : "", env.v[i]);
	lab_strv_free(&env);
	return lab_buf_detach(&b);
}

/* The Compose healthcheck command of s's probes, or "" when none. */
static char *tlab_compose_test(const struct lab_service *s)
{
	struct lab_strv t = LAB_STRV_INIT;
	char *out = strdup(lab_probe_compose_test(&t, &s->ready) ? t.v[1] : "");
	lab_strv_free(&t);
	return out;
}

/* Write lab.yml with yaml, load it; return the code, err filled. */
static int tlab_load_yaml(struct lab **out, const char *yaml, const struct lab_load_opts *opts,
			  struct lab_err *err)
{
	tlab_write("lab.yml", yaml);
	memset(err, 0, sizeof(*err));
	*out = NULL;
	return lab_load(out, "lab.yml", opts, err);
}


/* ---- errors: one lab.yml -> the exact message ---- */

struct tlab_case {
	const char *yaml;
	const char *want;
};

static const struct tlab_case tlab_errors[] = {
	/* unknown keys, did-you-mean */
	{"servics:\n  a:\n    image: x\n",
	 "lab.yml:1:1: unknown key 'servics' (did you mean 'services'?)"},
	{"services:\n  web:\n    image: nginx\n    imgae: nginx\n",
	 "lab.yml:4:5: unknown key 'imgae' (did you mean 'image'?)"},
	{"services:\n  web:\n    image: nginx\n    frobnicate: 1\n",
	 "lab.yml:4:5: unknown key 'frobnicate'"},
	{"lab:\n  nmae: x\nservices: {}\n", "lab.yml:2:3: unknown key 'nmae' (did you mean 'name'?)"},
	{"services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [CMD, true]\n      intervl: 5s\n",
	 "lab.yml:6:7: unknown key 'intervl' (did you mean 'interval'?)"},
	{"services:\n  web:\n    image: nginx\n    deploy:\n      replica: 2\n",
	 "lab.yml:5:7: unknown key 'replica' (did you mean 'replicas'?)"},
	/* wrong types */
	{"services:\n  web:\n    image: nginx\n    ports: 8080\n",
	 "lab.yml:4:12: expected a list for 'ports'"},
	{"services:\n  web:\n    image: nginx\n    healthcheck: yes\n",
	 "lab.yml:4:18: expected a mapping for 'healthcheck'"},
	{"services:\n  web:\n    image: [nginx]\n", "lab.yml:3:12: expected a string for 'image'"},
	{"services:\n  web:\n    image: nginx\n    tty: \"true\"\n",
	 "lab.yml:4:10: expected a boolean for 'tty'"},
	{"services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [CMD, x]\n      retries: three\n",
	 "lab.yml:6:16: expected an integer for 'retries'"},
	{"services:\n  web:\n    image: nginx\n    environment: FOO=1\n",
	 "lab.yml:4:18: expected a mapping or a list for 'environment'"},
	/* durations */
	{"services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [CMD, x]\n      interval: 5x\n",
	 "lab.yml:6:17: invalid duration '5x' for 'interval'"},
	{"services:\n  web:\n    image: nginx\n    stop_grace_period: soon\n",
	 "lab.yml:4:24: invalid duration 'soon' for 'stop_grace_period'"},
	/* ports */
	{"services:\n  web:\n    image: nginx\n    ports: [\"80:abc\"]\n",
	 "lab.yml:4:13: invalid port spec '80:abc' for 'ports'"},
	{"services:\n  web:\n    image: nginx\n    ports: [\"70000:80\"]\n",
	 "lab.yml:4:13: invalid port spec '70000:80' for 'ports'"},
	{"services:\n  web:\n    image: nginx\n    ports: [\"8000-8010:80\"]\n",
	 "lab.yml:4:13: port ranges are not supported: '8000-8010:80'"},
	{"services:\n  web:\n    image: nginx\n    ports: [\"80/sctp\"]\n",
	 "lab.yml:4:13: invalid port spec '80/sctp' for 'ports'"},
	{"services:\n  web:\n    image: nginx\n    ports:\n      - published: 8080\n",
	 "lab.yml:5:9: missing 'target' for 'ports'"},
	{"services:\n  a:\n    image: nginx\n    ports: [\"8080:80\"]\n  b:\n    image: nginx\n    ports: [\"8080:81\"]\n",
	 "lab.yml:7:13: host port 127.0.0.1:8080/tcp is already published by service 'a'"},
	{"services:\n  a:\n    image: nginx\n    ports: [\"0.0.0.0:8080:80\"]\n  b:\n    image: nginx\n    ports: [\"8080:81/udp\", \"8080:82\"]\n",
	 "lab.yml:7:28: host port 127.0.0.1:8080/tcp is already published by service 'a'"},
	{"services:\n  w:\n    image: nginx\n    deploy: {replicas: 3}\n    ports: [\"8081:8081\"]\n",
	 "lab.yml:5:13: service 'w' publishes fixed host port 8081 but has 3 replicas"},
	/* dependencies */
	{"services:\n  db:\n    image: postgres\n  web:\n    image: nginx\n    depends_on: [db2]\n",
	 "lab.yml:6:18: service 'web' depends on unknown service 'db2' (did you mean 'db'?)"},
	{"services:\n  web:\n    image: nginx\n    depends_on:\n      cache:\n        condition: service_healthy\n",
	 "lab.yml:5:7: service 'web' depends on unknown service 'cache'"},
	{"services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
	 "lab.yml:7:18: dependency cycle: a -> b -> a"},
	{"services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on:\n      a: {condition: service_started}\n",
	 "lab.yml:11:7: dependency cycle: a -> b -> c -> a"},
	{"services:\n  a:\n    image: x\n    depends_on: [a]\n", "lab.yml:4:18: service 'a' depends on itself"},
	{"services:\n  db:\n    image: x\n  a:\n    image: x\n    depends_on:\n      db: {condition: service_ready}\n",
	 "lab.yml:7:23: invalid condition 'service_ready' for 'depends_on' (expected service_started, "
	 "service_healthy or service_completed_successfully)"},
	/* volumes and networks */
	{"services:\n  db:\n    image: postgres\n    volumes: [\"pgdat:/var/lib/postgresql/data\"]\nvolumes:\n  pgdata:\n",
	 "lab.yml:4:15: service 'db' uses undeclared volume 'pgdat'"},
	{"services:\n  db:\n    image: postgres\n    volumes: [\"data:relative\"]\nvolumes:\n  data:\n",
	 "lab.yml:4:15: invalid mount target 'relative': must be an absolute path"},
	{"services:\n  db:\n    image: postgres\n    volumes: [\"./x:/x:rox\"]\n",
	 "lab.yml:4:15: invalid volume spec './x:/x:rox' for 'volumes'"},
	{"services:\n  db:\n    image: postgres\n    networks: [front]\n",
	 "lab.yml:4:16: service 'db' uses undeclared network 'front'"},
	{"services:\n  db:\n    image: postgres\nvolumes:\n  data:\n    drivr: local\n",
	 "lab.yml:6:5: unknown key 'drivr' (did you mean 'driver'?)"},
	/* service shape */
	{"services:\n  web:\n    restart: always\n", "lab.yml:2:3: service 'web' has neither image nor build"},
	{"services:\n  web:\n", "lab.yml:2:3: service 'web' has neither image nor build"},
	{"services:\n  -web:\n    image: x\n",
	 "lab.yml:2:3: invalid service name '-web': must start with a letter or digit and contain only "
	 "letters, digits, '_', '.' and '-'"},
	{"services:\n  web:\n    image: x\n    deploy:\n      replicas: -1\n",
	 "lab.yml:5:17: invalid replicas '-1' for 'replicas': must be a non-negative integer"},
	{"services:\n  web:\n    image: x\n    deploy:\n      replicas: 1.5\n",
	 "lab.yml:5:17: invalid replicas '1.5' for 'replicas': must be a non-negative integer"},
	{"services:\n  web:\n    image: x\n    container_name: web1\n    deploy: {replicas: 2}\n",
	 "lab.yml:4:21: service 'web' sets container_name but has 2 replicas"},
	{"services:\n  web:\n    image: x\n    restart: sometimes\n",
	 "lab.yml:4:14: invalid restart policy 'sometimes' for 'restart'"},
	{"services:\n  web:\n    build: ./nope\n", "lab.yml:3:12: build context './nope' does not exist"},
	{"services:\n  web:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n",
	 "lab.yml:4:16: Dockerfile 'Dockerfile.dev' not found in build context '.'"},
	{"services:\n  web:\n    image: x\n    env_file: missing.env\n",
	 "lab.yml:4:15: env file 'missing.env' not found"},
	{"services:\n  web:\n    image: x\n    command: echo 'oops\n",
	 "lab.yml:4:14: unterminated quote in 'command'"},
	{"services:\n  web:\n    image: x\n    healthcheck:\n      test: [RUN, x]\n",
	 "lab.yml:5:13: healthcheck 'test' must start with 'CMD', 'CMD-SHELL' or 'NONE'"},
	/* x-ready */
	{"services:\n  web:\n    image: x\n    x-ready:\n      tcp: 80\n      htp: 80\n",
	 "lab.yml:6:7: unknown key 'htp' (did you mean 'http'?)"},
	{"services:\n  web:\n    image: x\n    x-ready:\n      log: \"ready (\"\n",
	 "lab.yml:5:12: invalid regular expression 'ready (' for 'log': Unmatched ( or \\("},
	{"services:\n  web:\n    image: x\n    x-ready:\n      timeout: forever\n",
	 "lab.yml:5:16: invalid duration 'forever' for 'timeout'"},
	{"services:\n  web:\n    image: x\n    x-ready:\n      kafka: {port: 9092, brokers: 0}\n",
	 "lab.yml:5:36: invalid brokers '0' for 'brokers'"},
	{"services:\n  web:\n    image: x\n    x-ready:\n      kafka: {brokers: 3}\n",
	 "lab.yml:5:14: missing 'port' for 'kafka'"},
	{"services:\n  web:\n    image: x\n    x-ready:\n      s3: {port: 9000, access_key: k}\n",
	 "lab.yml:5:11: missing 'secret_key' for 's3'"},
	{"services:\n  web:\n    image: x\n    x-ready:\n      s3: {port: 9000, acces_key: k}\n",
	 "lab.yml:5:24: unknown key 'acces_key' (did you mean 'access_key'?)"},
	{"services:\n  web:\n    image: x\n    x-buckets: [lake, Raw_Data]\n",
	 "lab.yml:4:23: invalid bucket name 'Raw_Data': 3-63 characters of a-z, 0-9, '.' and '-'"},
	{"services:\n  web:\n    image: x\n    x-buckets: lake\n",
	 "lab.yml:4:16: expected a list for 'x-buckets'"},
	/* jobs and datasets */
	{"services:\n  c: {image: x}\njobs:\n  run: {binary: nope, on: c, source: .}\n",
	 "lab.yml:4:17: job source '" "@DIR@" "/nope' not found"},
	{"services:\n  c: {image: x}\njobs:\n  run: {binary: hello, on: d, source: jobsrc}\n",
	 "lab.yml:4:28: job 'run' runs on unknown service 'd'"},
	{"services:\n  c: {image: x}\njobs:\n  run: {binary: hello, on: c, source: jobsrc, datasets: [flights]}\n",
	 "lab.yml:4:58: job 'run' needs unknown dataset 'flights'"},
	{"services:\n  c: {image: x}\njobs:\n  run: {binary: hello, source: jobsrc, replicas: 0, on: c, bogus: 1}\n",
	 "lab.yml:4:60: unknown key 'bogus'"},
	{"services:\n  c: {image: x}\ndatasets:\n  f: {file: a.csv, sha256: ABC, sample: data/missing.csv}\n",
	 "lab.yml:4:28: invalid sha256 'ABC': 64 lowercase hex digits\n"
	 "lab.yml:4:41: sample 'data/missing.csv' of dataset 'f' not found"},
	{"services:\n  c: {image: x}\ndatasets:\n  f: {sample: data/s.csv}\n",
	 "lab.yml:4:3: dataset 'f' needs 'file': the full file's name (no directory)"},
	/* names */
	{"lab:\n  name: Module3\nservices: {}\n",
	 "lab.yml:2:9: invalid lab name 'Module3': must contain only lowercase letters, digits, '_' and "
	 "'-' and start with a letter or digit"},
	{"credentials: [PG-PASS]\nservices: {}\n", "lab.yml:1:15: invalid credential name 'PG-PASS'"},
	/* interpolation */
	{"services:\n  web:\n    image: ${TLAB_UNSET_IMAGE:?set an image}\n",
	 "lab.yml:3:12: required variable 'TLAB_UNSET_IMAGE' is not set: set an image"},
	{"services:\n  web:\n    image: \"nginx:${TAG\"\n",
	 "lab.yml:3:12: invalid interpolation format in 'nginx:${TAG'"},
	/* YAML level */
	{"services:\n  web:\n    image: x\n    image: y\n", "lab.yml:4:5: duplicate key 'image'"},
	{"services:\n  web:\n    image: x\n   bad: 1\n",
	 "lab.yml:4:4: did not find expected key"},
	{"services: {}\n---\nservices: {}\n",
	 "lab.yml:2:1: multiple YAML documents in one file are not supported"},
	{"services:\n  web:\n    image: *nothing\n", "lab.yml:3:12: unknown anchor 'nothing'"},
	/* several problems: all reported, sorted by line */
	{"services:\n  b:\n    image: x\n    depends_on: [zz]\n  a:\n    imag: x\n    ports: [\"1:2:3:4\"]\n",
	 "lab.yml:4:18: service 'b' depends on unknown service 'zz'\n"
	 "lab.yml:5:3: service 'a' has neither image nor build\n"
	 "lab.yml:6:5: unknown key 'imag' (did you mean 'image'?)\n"
	 "lab.yml:7:13: invalid port spec '1:2:3:4' for 'ports'"},
};

Test(lab_errors, table, .init = tlab_setup, .fini = tlab_teardown)
{
	for (size_t i = 0; i < sizeof(tlab_errors) / sizeof(tlab_errors[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		tlab_write("jobsrc/hello/hello.c", "int main(void) { return 0; }\n");
		tlab_write("data/s.csv", "a\n");
		int rc = tlab_load_yaml(&lab, tlab_errors[i].yaml, NULL, &err);
		/* "@DIR@" in an expected message stands for the test's directory */
		char want[8192];
		const char *at = strstr(tlab_errors[i].want, "@DIR@");
		if (at)
			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - tlab_errors[i].want), tlab_errors[i].want,
				 tlab_dir, at + 5);
		else
			snprintf(want, sizeof(want), "%s", tlab_errors[i].want);
		cr_expect_eq(rc, LAB_EINPUT, "case %zu: rc %d", i, rc);
		cr_expect_eq(err.code, LAB_EINPUT, "case %zu", i);
		cr_expect_null(lab, "case %zu", i);
		cr_expect_str_eq(err.msg, want, "case %zu:\n%s\ngot:\n%s", i, tlab_errors[i].yaml, err.msg);
	}
}

/* ---- good files -> struct values ---- */

Test(lab_good, full_service, .init = tlab_setup, .fini = tlab_teardown)
{
	tlab_write("app/Dockerfile", "FROM scratch\n");
	tlab_write("web.env", "# comment\nexport FROM_FILE=1\nSHARED=file\nQUOTED=\"a b\"\n");
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab,
		"version: '3.8'\n"
		"lab:\n  name: module3\n  title: Streaming\n  description: Kafka to Postgres\n"
		"services:\n"
		"  db:\n"
		"    image: postgres:16\n"
		"    environment:\n      POSTGRES_USER: lab\n      PORT: 5432\n"
		"    ports: [\"5432\"]\n"
		"    volumes: [\"pgdata:/var/lib/postgresql/data\"]\n"
		"    healthcheck:\n      test: pg_isready -U lab\n      interval: 1s\n"
		"      timeout: 500ms\n      start_period: 1m30s\n      retries: 30\n"
		"    x-ready:\n      postgres: {user: lab, password: pw, database: labdb}\n      timeout: 90s\n"
		"  web:\n"
		"    build:\n      context: ./app\n      args: [VERSION=1, \"NAME=a b\"]\n      target: prod\n"
		"    image: labctl/web:1\n"
		"    command: [\"serve\", \"--port\", \"80\"]\n"
		"    entrypoint: /bin/sh -c 'exec \"$$0\" \"$$@\"'\n"
		"    env_file: web.env\n"
		"    environment:\n      - SHARED=env\n      - PLAIN=x\n"
		"    ports:\n      - \"8080:80\"\n      - \"0.0.0.0:9090:90/udp\"\n      - \"[::1]:8443:443\"\n"
		"      - target: 81\n        published: \"8081\"\n"
		"      - {target: 82, host_ip: 0.0.0.0, protocol: udp}\n"
		"    volumes:\n      - ./data:/data:ro\n      - /tmp\n"
		"      - type: bind\n        source: ../outside\n        target: /outside\n        read_only: true\n"
		"    networks:\n      front:\n        aliases: [www]\n      default:\n"
		"    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n"
		"      job: {condition: service_completed_successfully}\n"
		"    restart: on-failure:3\n"
		"    deploy:\n      replicas: 0\n      resources: {limits: {cpus: '0.5'}}\n"
		"    labels: {team: data, tier: \"1\"}\n"
		"    hostname: web\n    user: \"1000:1000\"\n    working_dir: /srv\n"
		"    x-ready:\n      http: {port: 80, path: /health, status: 204}\n      tcp: 80\n"
		"      log: \"listening on [0-9]+\"\n"
		"    x-buckets: [lake, raw-2001]\n"
		"    x-anything: [goes, {here: \"${NOT_INTERPOLATED\"}]\n"
		"  job:\n    image: busybox\n    command: echo done\n    depends_on: [db]\n"
		"volumes:\n  pgdata:\n  ext: {external: true, name: shared-ext}\n"
		"networks:\n  front:\n    driver: bridge\n"
		"x-notes:\n  anything: ${NOT_INTERPOLATED\n",
		NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "module3");
	cr_expect_str_eq(lab->title, "Streaming");
	cr_expect_str_eq(lab->description, "Kafka to Postgres");
	cr_expect_str_eq(lab->path, tlab_path_abs("lab.yml"));
	cr_expect_str_eq(lab->dir, tlab_dir);
	cr_assert_eq(lab->n_services, 3);

	struct lab_service *db = lab_find_service(lab, "db");
	cr_assert(db);
	cr_expect_str_eq(db->image, "postgres:16");
	cr_expect_eq(db->has_build, 0);
	cr_expect_eq(db->mark.line, 7);
	cr_expect_eq(db->mark.col, 3);
	cr_assert_eq(db->environment.n, 2);
	cr_expect_str_eq(db->environment.v[0], "POSTGRES_USER=lab");
	cr_expect_str_eq(db->environment.v[1], "PORT=5432");
	cr_assert_eq(db->n_ports, 1);
	cr_expect_str_eq(db->ports[0].host_ip, "127.0.0.1");
	cr_expect_eq(db->ports[0].host_port, 0);
	cr_expect_eq(db->ports[0].container_port, 5432);
	cr_expect_str_eq(db->ports[0].protocol, "tcp");
	cr_assert_eq(db->n_mounts, 1);
	cr_expect_eq(db->mounts[0].type, LAB_MOUNT_VOLUME);
	cr_expect_str_eq(db->mounts[0].source, "pgdata");
	cr_expect_str_eq(db->mounts[0].target, "/var/lib/postgresql/data");
	cr_expect_eq(db->healthcheck.present, 1);
	cr_assert_eq(db->healthcheck.test.n, 2);
	cr_expect_str_eq(db->healthcheck.test.v[0], "CMD-SHELL");
	cr_expect_str_eq(db->healthcheck.test.v[1], "pg_isready -U lab");
	cr_expect_eq(db->healthcheck.interval_ms, 1000);
	cr_expect_eq(db->healthcheck.timeout_ms, 500);
	cr_expect_eq(db->healthcheck.start_period_ms, 90000);
	cr_expect_eq(db->healthcheck.retries, 30);
	cr_assert_eq(db->ready.n_probes, 1);
	const struct lab_probe *pg = lab_ready_find(&db->ready, "postgres");
	cr_assert(pg);
	cr_expect_eq(pg->kind->port(pg->cfg), 5432);
	char *env = tlab_client_env(db);
	cr_expect_str_eq(env, "PGHOST=HOST PGPORT=5432 PGUSER=lab PGPASSWORD=pw PGDATABASE=labdb");
	free(env);
	cr_expect_eq(db->ready.timeout_ms, 90000);
	cr_expect_null(lab_ready_find(&db->ready, "tcp"));
	cr_expect_null(lab_ready_find(&db->ready, "log"));
	cr_expect_eq(db->replicas, 1);
	cr_expect_null(db->restart);
	cr_expect_eq(db->networks.n, 0);
	cr_expect_eq(db->has_command, 0);

	struct lab_service *web = lab_find_service(lab, "web");
	cr_assert(web);
	cr_assert_eq(web->buckets.n, 2);
	cr_expect_str_eq(web->buckets.v[0], "lake");
	cr_expect_str_eq(web->buckets.v[1], "raw-2001");
	cr_expect_eq(web->has_build, 1);
	cr_expect_str_eq(web->build_context, tlab_path_abs("app"));
	cr_expect_str_eq(web->build_dockerfile, "Dockerfile");
	cr_assert_eq(web->build_args.n, 2);
	cr_expect_str_eq(web->build_args.v[1], "NAME=a b");
	cr_expect_str_eq(web->build_target, "prod");
	cr_expect_str_eq(web->image, "labctl/web:1");
	cr_expect_eq(web->has_command, 1);
	cr_assert_eq(web->command.n, 3);
	cr_expect_str_eq(web->command.v[2], "80");
	cr_expect_eq(web->has_entrypoint, 1);
	cr_assert_eq(web->entrypoint.n, 3);
	cr_expect_str_eq(web->entrypoint.v[0], "/bin/sh");
	cr_expect_str_eq(web->entrypoint.v[1], "-c");
	cr_expect_str_eq(web->entrypoint.v[2], "exec \"$0\" \"$@\"");
	cr_assert_eq(web->environment.n, 4);
	cr_expect_str_eq(web->environment.v[0], "FROM_FILE=1");
	cr_expect_str_eq(web->environment.v[1], "SHARED=env");
	cr_expect_str_eq(web->environment.v[2], "QUOTED=a b");
	cr_expect_str_eq(web->environment.v[3], "PLAIN=x");
	cr_assert_eq(web->n_ports, 5);
	const struct {
		const char *ip;
		int host, cont;
		const char *proto;
	} wp[] = {{"127.0.0.1", 8080, 80, "tcp"}, {"0.0.0.0", 9090, 90, "udp"},
		  {"::1", 8443, 443, "tcp"}, {"127.0.0.1", 8081, 81, "tcp"},
		  {"0.0.0.0", 0, 82, "udp"}};
	for (size_t i = 0; i < 5; i++) {
		cr_expect_str_eq(web->ports[i].host_ip, wp[i].ip, "port %zu", i);
		cr_expect_eq(web->ports[i].host_port, wp[i].host, "port %zu", i);
		cr_expect_eq(web->ports[i].container_port, wp[i].cont, "port %zu", i);
		cr_expect_str_eq(web->ports[i].protocol, wp[i].proto, "port %zu", i);
	}
	cr_expect_eq(web->ports[1].mark.line, 37);
	cr_expect_eq(web->ports[1].mark.col, 9);
	cr_assert_eq(web->n_mounts, 3);
	cr_expect_eq(web->mounts[0].type, LAB_MOUNT_BIND);
	cr_expect_str_eq(web->mounts[0].source, tlab_path_abs("data"));
	cr_expect_eq(web->mounts[0].read_only, 1);
	cr_expect_eq(web->mounts[1].type, LAB_MOUNT_ANON);
	cr_expect_null(web->mounts[1].source);
	cr_expect_str_eq(web->mounts[1].target, "/tmp");
	cr_expect_eq(web->mounts[2].type, LAB_MOUNT_BIND);
	cr_expect_eq(web->mounts[2].read_only, 1);
	char *outside = strdup(tlab_dir);
	strcpy(strrchr(outside, '/'), "/outside");
	cr_expect_str_eq(web->mounts[2].source, outside);
	free(outside);
	cr_assert_eq(web->networks.n, 2);
	cr_expect_str_eq(web->networks.v[0], "front");
	cr_expect_str_eq(web->networks.v[1], "default");
	cr_assert_eq(web->n_deps, 2);
	cr_expect_str_eq(web->deps[0].service, "db");
	cr_expect_eq(web->deps[0].condition, LAB_DEP_HEALTHY);
	cr_expect_str_eq(web->deps[1].service, "job");
	cr_expect_eq(web->deps[1].condition, LAB_DEP_COMPLETED);
	cr_expect_str_eq(web->restart, "on-failure:3");
	cr_expect_eq(web->replicas, 0);
	cr_assert_eq(web->labels.n, 2);
	cr_expect_str_eq(web->labels.v[0], "team=data");
	cr_expect_str_eq(web->labels.v[1], "tier=1");
	cr_expect_str_eq(web->hostname, "web");
	cr_expect_str_eq(web->user, "1000:1000");
	cr_expect_str_eq(web->working_dir, "/srv");
	/* in registry order, whatever the file's */
	cr_assert_eq(web->ready.n_probes, 3);
	cr_expect_str_eq(web->ready.probes[0].kind->name, "tcp");
	cr_expect_str_eq(web->ready.probes[1].kind->name, "http");
	cr_expect_str_eq(web->ready.probes[2].kind->name, "log");
	cr_expect_eq(web->ready.probes[0].kind->port(web->ready.probes[0].cfg), 80);
	cr_expect_eq(web->ready.probes[1].kind->port(web->ready.probes[1].cfg), 80);
	cr_expect_eq(web->ready.probes[1].mark.line, 67);
	cr_expect_eq(web->ready.probes[1].mark.col, 7);
	char *test = tlab_compose_test(web);
	cr_expect_str_eq(test, "test \"$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:80/health)\" = 204");
	free(test);
	cr_expect_eq(web->ready.timeout_ms, 120000);
	cr_expect_eq(web->healthcheck.present, 0);

	struct lab_service *job = lab_find_service(lab, "job");
	cr_assert(job);
	cr_assert_eq(job->command.n, 2);
	cr_expect_str_eq(job->command.v[0], "echo");
	cr_assert_eq(job->n_deps, 1);
	cr_expect_eq(job->deps[0].condition, LAB_DEP_STARTED);
	cr_expect_null(lab_find_service(lab, "nope"));

	cr_assert_eq(lab->n_volumes, 2);
	cr_expect_str_eq(lab->volumes[0].name, "pgdata");
	cr_expect_null(lab->volumes[0].external_name);
	cr_expect_str_eq(lab->volumes[1].external_name, "shared-ext");
	cr_assert_eq(lab->n_networks, 2);
	cr_expect_str_eq(lab->networks[0].name, "front");
	cr_expect_str_eq(lab->networks[1].name, "default");
	cr_expect_str_eq(lab->files.v[0], "lab.yml");
	lab_free(lab);
}

Test(lab_good, healthcheck_forms, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab,
		"services:\n"
		"  a:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n"
		"      start_interval: 1s\n"
		"  b:\n    image: x\n    healthcheck:\n      test: [NONE]\n"
		"  c:\n    image: x\n    healthcheck:\n      disable: true\n"
		"  d:\n    image: x\n    command: []\n    entrypoint: [\"\"]\n"
		"    healthcheck:\n      test: [CMD-SHELL, \"exit 0\"]\n      interval: 2.5s\n",
		NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	struct lab_service *a = lab_find_service(lab, "a"), *b = lab_find_service(lab, "b");
	struct lab_service *c = lab_find_service(lab, "c"), *d = lab_find_service(lab, "d");
	cr_expect_eq(a->healthcheck.test.n, 4);
	cr_expect_str_eq(a->healthcheck.test.v[0], "CMD");
	cr_expect_eq(a->healthcheck.disable, 0);
	cr_expect_eq(b->healthcheck.disable, 1);
	cr_expect_eq(c->healthcheck.disable, 1);
	cr_expect_eq(c->healthcheck.present, 1);
	cr_expect_eq(d->healthcheck.interval_ms, 2500);
	cr_expect_eq(d->has_command, 1);
	cr_expect_eq(d->command.n, 0);
	cr_expect_eq(d->has_entrypoint, 1);
	cr_assert_eq(d->entrypoint.n, 1);
	cr_expect_str_eq(d->entrypoint.v[0], "");
	lab_free(lab);
}

Test(lab_good, environment_forms, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	setenv("TLAB_FROM_ENV", "host-value", 1);
	unsetenv("TLAB_ABSENT");
	int rc = tlab_load_yaml(&lab,
		"services:\n"
		"  list:\n    image: x\n    environment:\n      - A=1\n      - B=\n      - TLAB_FROM_ENV\n"
		"      - TLAB_ABSENT\n      - C=x=y\n"
		"  map:\n    image: x\n    environment:\n      A: 1\n      B: \"\"\n      TLAB_FROM_ENV:\n"
		"      TLAB_ABSENT: ~\n      T: true\n      Q: 'quoted'\n",
		NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	const char *want[] = {"A=1", "B=", "TLAB_FROM_ENV=host-value", "C=x=y"};
	const char *want_map[] = {"A=1", "B=", "TLAB_FROM_ENV=host-value", "T=true", "Q=quoted"};
	struct lab_service *l = lab_find_service(lab, "list"), *m = lab_find_service(lab, "map");
	cr_assert_eq(l->environment.n, 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect_str_eq(l->environment.v[i], want[i]);
	cr_assert_eq(m->environment.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_expect_str_eq(m->environment.v[i], want_map[i]);
	lab_free(lab);
}

Test(lab_good, aliases_and_merge_keys, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab,
		"x-base: &base\n  image: busybox\n  restart: always\n  environment: &env\n    A: \"1\"\n"
		"x-more: &more\n  restart: unless-stopped\n  hostname: more\n"
		"services:\n"
		"  one:\n    <<: *base\n"
		"  two:\n    <<: [*base, *more]\n    image: alpine\n"
		"  three:\n    <<: *more\n    image: x\n    environment: *env\n",
		NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	struct lab_service *one = lab_find_service(lab, "one"), *two = lab_find_service(lab, "two");
	struct lab_service *three = lab_find_service(lab, "three");
	cr_expect_str_eq(one->image, "busybox");
	cr_expect_str_eq(one->restart, "always");
	cr_expect_str_eq(one->environment.v[0], "A=1");
	cr_expect_str_eq(two->image, "alpine");       /* explicit key wins */
	cr_expect_str_eq(two->restart, "always");     /* earlier merge source wins */
	cr_expect_str_eq(two->hostname, "more");
	cr_expect_str_eq(three->restart, "unless-stopped");
	cr_expect_str_eq(three->environment.v[0], "A=1");
	lab_free(lab);
}

Test(lab_good, project_names, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tlab_load_yaml(&lab, "name: from-name\nservices: {}\n", NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "from-name");
	lab_free(lab);
	cr_assert_eq(tlab_load_yaml(&lab, "name: from-name\nlab: {name: from-lab}\n", NULL, &err), 0);
	cr_expect_str_eq(lab->project, "from-lab");
	lab_free(lab);
	struct lab_load_opts opts = {.project = "override"};
	cr_assert_eq(tlab_load_yaml(&lab, "lab: {name: from-lab}\n", &opts, &err), 0);
	cr_expect_str_eq(lab->project, "override");
	lab_free(lab);
	/* the directory's name, normalised like Compose */
	tlab_write("My Lab.Dir_1/lab.yml", "services: {}\n");
	memset(&err, 0, sizeof(err));
	cr_assert_eq(lab_load(&lab, "My Lab.Dir_1", NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "mylabdir_1");
	lab_free(lab);
	/* an empty file is refused, as Compose refuses it (test_hostile.c) */
}

Test(lab_good, finds_the_file, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_expect_eq(lab_load(&lab, "nope.yml", NULL, &err), LAB_ENOTFOUND);
	cr_expect_str_eq(err.msg, "lab file 'nope.yml' not found");
	cr_expect_null(lab);
	mkdir("empty", 0755);
	cr_expect_eq(lab_load(&lab, "empty", NULL, &err), LAB_ENOTFOUND);
	cr_expect_str_eq(err.msg, "no lab file in 'empty' (looked for lab.yml, docker-compose.yml, "
				  "compose.yaml, compose.yml, docker-compose.yaml)");
	tlab_write("c/compose.yaml", "services:\n  a: {image: x}\n");
	tlab_write("c/docker-compose.yml", "services:\n  b: {image: x}\n");
	cr_assert_eq(lab_load(&lab, "c", NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].name, "b");
	cr_expect_str_eq(lab->files.v[0], "c/docker-compose.yml");
	lab_free(lab);
	tlab_write("c/lab.yml", "services:\n  l: {image: x}\n");
	cr_assert_eq(lab_load(&lab, "c/", NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].name, "l");
	lab_free(lab);
	lab_free(NULL);
}

/* params: for the student the caller names (verify --student), which wins
 * over $LAB_STUDENT; looked up after vars and before the environment. */
Test(lab_good, params_for_the_student_in_load_opts, .init = tlab_setup, .fini = tlab_teardown)
{
	static const char yaml[] = "lab: {name: p, seed: s}\n"
				   "params:\n  suffix: {hex: 8}\n"
				   "services:\n  a: {image: \"img:${PARAM_SUFFIX}\"}\n";
	struct lab_param hex = {.name = "suffix", .kind = LAB_PARAM_HEX, .hex_len = 8};
	char *alice = lab_param_value(&hex, "s", "alice"), *bob = lab_param_value(&hex, "s", "bob");
	char *nobody = lab_param_value(&hex, "s", "");
	struct {
		const char *env;     /* $LAB_STUDENT, or NULL for unset */
		const char *student; /* lab_load_opts.student */
		const char *want_student, *want_suffix;
	} t[] = {
		{"bob", "alice", "alice", alice},
		{"bob", NULL, "bob", bob},
		{NULL, "alice", "alice", alice},
		{NULL, NULL, "", nobody},
	};
	setenv("PARAM_SUFFIX", "from-the-environment", 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].env)
			setenv("LAB_STUDENT", t[i].env, 1);
		else
			unsetenv("LAB_STUDENT");
		struct lab_load_opts opts = {.student = t[i].student};
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(tlab_load_yaml(&lab, yaml, &opts, &err), 0, "case %zu: %s", i, err.msg);
		cr_expect_str_eq(lab->student, t[i].want_student, "case %zu", i);
		char want[32];
		snprintf(want, sizeof(want), "img:%s", t[i].want_suffix);
		cr_expect_str_eq(lab->services[0].image, want, "case %zu", i);
		lab_free(lab);
	}
	unsetenv("PARAM_SUFFIX");
	unsetenv("LAB_STUDENT");
	free(alice);
	free(bob);
	free(nobody);
}

/* status, logs, exec and down load the lab for names only (no HMAC):
 * a param used where a number must be still reads as one of its kind. */
Test(lab_good, names_only_params_keep_their_kind, .init = tlab_setup, .fini = tlab_teardown)
{
	static const char yaml[] = "lab: {name: p, seed: s}\n"
				   "params:\n  n: {range: [3, 9]}\n  t: {pick: [orders, payments]}\n  h: {hex: 4}\n"
				   "services:\n  a: {image: \"img:${PARAM_T}-${PARAM_H}\"}\n"
				   "checks:\n"
				   "  - id: rows\n"
				   "    sql: {service: a, query: \"select 1\", min: \"${PARAM_N}\"}\n";
	struct lab_load_opts opts = {.names_only = 1};
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tlab_load_yaml(&lab, yaml, &opts, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "p");
	cr_expect_str_eq(lab->services[0].image, "img:orders-0000");
	lab_free(lab);
}

/* ---- interpolation ---- */

static const char *tlab_lookup(const char *name, void *ud)
{
	static const char *const vars[][2] = {
		{"V", "val"}, {"EMPTY", ""}, {"N", "42"}, {"_under_1", "u"},
	};
	(void)ud;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

Test(lab_interp, table)
{
	static const struct {
		const char *in, *out, *err;
	} cases[] = {
		{"plain", "plain", NULL},
		{"${V}", "val", NULL},
		{"$V", "val", NULL},
		{"a-$V-b", "a-val-b", NULL},
		{"$V.x", "val.x", NULL},
		{"${_under_1}$N", "u42", NULL},
		{"${UNSET}", "", NULL},
		{"$UNSET|", "|", NULL},
		{"$$", "$", NULL},
		{"$$V", "$V", NULL},
		{"cost: $$5", "cost: $5", NULL},
		{"${V:-d}", "val", NULL},
		{"${UNSET:-d}", "d", NULL},
		{"${EMPTY:-d}", "d", NULL},
		{"${V-d}", "val", NULL},
		{"${UNSET-d}", "d", NULL},
		{"${EMPTY-d}", "", NULL},
		{"${UNSET:-}", "", NULL},
		{"${UNSET:-a b:c}", "a b:c", NULL},
		{"${UNSET:-${V}}", "val", NULL},
		{"${V:+r}", "r", NULL},
		{"${EMPTY:+r}", "", NULL},
		{"${UNSET:+r}", "", NULL},
		{"${EMPTY+r}", "r", NULL},
		{"${UNSET+r}", "", NULL},
		{"${V:?msg}", "val", NULL},
		{"${V?msg}", "val", NULL},
		{"${EMPTY?msg}", "", NULL},
		{"${UNSET:?msg}", NULL, "f.yml:3:7: required variable 'UNSET' is not set: msg"},
		{"${UNSET?please set it}", NULL,
		 "f.yml:3:7: required variable 'UNSET' is not set: please set it"},
		{"${EMPTY:?msg}", NULL, "f.yml:3:7: required variable 'EMPTY' is not set: msg"},
		{"${UNSET:?}", NULL, "f.yml:3:7: required variable 'UNSET' is not set"},
		{"${V", NULL, "f.yml:3:7: invalid interpolation format in '${V'"},
		{"${}", NULL, "f.yml:3:7: invalid interpolation format in '${}'"},
		{"${1V}", NULL, "f.yml:3:7: invalid interpolation format in '${1V}'"},
		{"${V!}", NULL, "f.yml:3:7: invalid interpolation format in '${V!}'"},
		{"price $5", NULL, "f.yml:3:7: invalid interpolation format in 'price $5'"},
		{"end $", NULL, "f.yml:3:7: invalid interpolation format in 'end $'"},
	};
	struct lab_mark mark = {"f.yml", 3, 7};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		struct lab_err err = {0};
		int rc = lab_interpolate(&out, cases[i].in, tlab_lookup, NULL, &mark, &err);
		if (cases[i].out) {
			cr_expect_eq(rc, 0, "'%s': %s", cases[i].in, err.msg);
			if (out)
				cr_expect_str_eq(out, cases[i].out, "'%s'", cases[i].in);
		} else {
			cr_expect_eq(rc, LAB_EINPUT, "'%s'", cases[i].in);
			cr_expect_str_eq(err.msg, cases[i].err, "'%s'", cases[i].in);
		}
		free(out);
	}
}

static const char *tlab_cred(const char *project, const char *name, void *ud)
{
	int *calls = ud;
	(*calls)++;
	if (strcmp(name, "PG_PASS") == 0)
		return strcmp(project, "credlab") == 0 ? "s3cret" : "wrong-project";
	return NULL;
}

Test(lab_interp, lookup_order_and_dotenv, .init = tlab_setup, .fini = tlab_teardown)
{
	setenv("TLAB_E1", "from-env", 1);
	setenv("TLAB_E2", "from-env", 1);
	unsetenv("TLAB_D1");
	unsetenv("TLAB_D2");
	tlab_write(".env", "# defaults\nTLAB_E2=from-dotenv\nexport TLAB_D1='single quoted'\n"
			   "TLAB_D2=\"double\\tq\"  \nTLAB_D3=plain # comment\nPG_PASS=never\n");
	struct lab_strv vars = LAB_STRV_INIT;
	lab_strv_push(&vars, "TLAB_E1=from-vars");
	int calls = 0;
	struct lab_load_opts opts = {.vars = &vars, .credential = tlab_cred, .credential_ud = &calls};
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab,
		"lab: {name: credlab}\ncredentials: [PG_PASS, UNUSED]\n"
		"services:\n  a:\n    image: x\n    environment:\n"
		"      E1: $TLAB_E1\n      E2: ${TLAB_E2}\n      D1: ${TLAB_D1}\n      D2: ${TLAB_D2}\n"
		"      D3: ${TLAB_D3}\n      PW: ${PG_PASS}\n      PW2: pw=$PG_PASS\n"
		"    x-ready:\n      postgres: {user: lab, password: \"${PG_PASS}\"}\n"
		"    ports: [\"${TLAB_PORT:-8080}:80\"]\n"
		"    deploy: {replicas: \"${TLAB_REPLICAS:-1}\"}\n",
		&opts, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	const char *want[] = {"E1=from-vars", "E2=from-env", "D1=single quoted", "D2=double\tq",
			      "D3=plain", "PW=s3cret", "PW2=pw=s3cret"};
	struct lab_service *a = lab_find_service(lab, "a");
	cr_assert_eq(a->environment.n, 7);
	for (size_t i = 0; i < 7; i++)
		cr_expect_str_eq(a->environment.v[i], want[i]);
	char *env = tlab_client_env(a);
	cr_expect_str_eq(env, "PGHOST=HOST PGPORT=5432 PGUSER=lab PGPASSWORD=s3cret PGDATABASE=lab");
	free(env);
	cr_expect_eq(a->ports[0].host_port, 8080);
	cr_expect_eq(a->replicas, 1);
	cr_expect_eq(calls, 1);
	cr_assert_eq(lab->credentials.n, 2);
	cr_expect_str_eq(lab->credentials.v[0], "PG_PASS");
	cr_expect_str_eq(lab->files.v[1], ".env");
	lab_free(lab);

	/* no callback: credentials read "<generated>" */
	rc = tlab_load_yaml(&lab, "credentials: [PG_PASS]\nservices:\n  a:\n    image: x\n"
				  "    environment: [PW=$PG_PASS]\n",
			    NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].environment.v[0], "PW=<generated>");
	lab_free(lab);

	/* the callback gives nothing: an error at the use */
	rc = tlab_load_yaml(&lab, "lab: {name: credlab}\ncredentials: [OTHER]\nservices:\n  a:\n"
				  "    image: x\n    environment: [PW=$OTHER]\n",
			    &opts, &err);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:6:19: no value for credential 'OTHER'");
	lab_strv_free(&vars);
}

Test(lab_interp, x_sections_untouched_and_errors_collected, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	unsetenv("TLAB_A");
	unsetenv("TLAB_B");
	int rc = tlab_load_yaml(&lab,
		"x-raw: ${not valid\n# checks: and params: are real sections now (test_verify.c)\n#\nservices:\n  a:\n    image: ${TLAB_A:?need A}\n"
		"    x-other: $5\n    command: echo ${TLAB_B?need B}\n",
		NULL, &err);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:6:12: required variable 'TLAB_A' is not set: need A\n"
				  "lab.yml:8:14: required variable 'TLAB_B' is not set: need B");
}

Test(lab_good, jobs_and_datasets, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	tlab_write("jobsrc/produce/main.c", "int main(void) { return 0; }\n");
	tlab_write("data/sample.csv.gz", "x");
	setenv("TLAB_TOPIC", "flights", 1);
	int rc = tlab_load_yaml(&lab,
		"services:\n  compute: {image: x, deploy: {replicas: 4}}\n"
		"datasets:\n  flights:\n    file: flights-3m.csv.gz\n    sample: data/sample.csv.gz\n"
		"    sha256: e88dd9f5044d280b423c879fcb68923eef42dbf0ea08f6b92939b82594cb1f4a\n"
		"jobs:\n  produce:\n    binary: produce\n    source: jobsrc\n    on: compute\n    replicas: 2\n"
		"    args: [--topic, \"${TLAB_TOPIC}\"]\n    env: {BATCH: \"100\"}\n    datasets: [flights]\n"
		"    description: one event per flight\n",
		NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(lab->n_datasets, 1);
	cr_expect_str_eq(lab->datasets[0].file, "flights-3m.csv.gz");
	cr_expect_str_eq(lab->datasets[0].sample, tlab_path_abs("data/sample.csv.gz"));
	struct lab_job *j = lab_find_job(lab, "produce");
	cr_assert(j);
	cr_expect_str_eq(j->binary, "produce");
	cr_expect_str_eq(j->source, tlab_path_abs("jobsrc"));
	cr_expect_str_eq(j->service, "compute");
	cr_expect_eq(j->replicas, 2);
	cr_assert_eq(j->args.n, 2);
	cr_expect_str_eq(j->args.v[1], "flights", "job args are interpolated");
	cr_expect_str_eq(j->env.v[0], "BATCH=100");
	cr_expect_str_eq(j->datasets.v[0], "flights");
	cr_expect_str_eq(j->description, "one event per flight");
	lab_free(lab);
}

/* ---- includes ---- */

Test(lab_include, merge_and_relative_paths, .init = tlab_setup, .fini = tlab_teardown)
{
	tlab_write("common/pg.yml",
		   "credentials: [PG_PASS]\n"
		   "include: [sub/cache.yml]\n"
		   "services:\n  postgres:\n    image: postgres:16\n    env_file: pg.env\n"
		   "    volumes: [\"./init:/docker-entrypoint-initdb.d:ro\", \"pgdata:/var/lib/postgresql/data\"]\n"
		   "volumes:\n  pgdata: {}\n");
	tlab_write("common/pg.env", "POSTGRES_DB=lab\n");
	tlab_write("common/sub/cache.yml",
		   "services:\n  cache:\n    build: ./img\n    networks: [back]\nnetworks:\n  back:\n");
	tlab_write("common/sub/img/Dockerfile", "FROM scratch\n");
	tlab_write("labs/m1/lab.yml",
		   "include:\n  - ../../common/pg.yml\n"
		   "services:\n  app:\n    image: x\n    depends_on: [postgres, cache]\n"
		   "    environment: [PW=$PG_PASS]\n    volumes: [\"pgdata:/d\"]\n");
	struct lab *lab = NULL;
	struct lab_err err = {0};
	int rc = lab_load(&lab, "labs/m1/lab.yml", NULL, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "m1");
	cr_assert_eq(lab->n_services, 3);
	cr_expect_str_eq(lab->services[0].name, "app");
	cr_expect_str_eq(lab->services[0].environment.v[0], "PW=<generated>");
	struct lab_service *pg = lab_find_service(lab, "postgres");
	cr_assert(pg);
	cr_expect_str_eq(pg->mark.file, "common/pg.yml");
	cr_expect_eq(pg->mark.line, 4);
	cr_expect_str_eq(pg->environment.v[0], "POSTGRES_DB=lab");
	cr_expect_str_eq(pg->mounts[0].source, tlab_path_abs("common/init"));
	struct lab_service *cache = lab_find_service(lab, "cache");
	cr_assert(cache);
	cr_expect_str_eq(cache->build_context, tlab_path_abs("common/sub/img"));
	cr_expect_str_eq(cache->mark.file, "common/sub/cache.yml");
	cr_expect_eq(lab->n_volumes, 1);
	cr_assert_eq(lab->n_networks, 2);
	cr_expect_str_eq(lab->networks[0].name, "back");
	cr_expect_str_eq(lab->networks[1].name, "default");
	cr_expect_eq(lab->files.n, 3);
	lab_free(lab);
}

Test(lab_include, errors, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	tlab_write("a.yml", "services:\n  db:\n    image: x\n");
	tlab_write("b.yml", "include: [c.yml]\nservices:\n  other:\n    image: x\n");
	tlab_write("c.yml", "include: [b.yml]\n");
	tlab_write("d.yml", "services:\n  x:\n    image: x\nlab: {name: nope}\n");
	int rc = tlab_load_yaml(&lab,
		"include: [a.yml, missing.yml, b.yml, d.yml]\n"
		"services:\n  db:\n    image: y\n",
		NULL, &err);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(err.msg,
		"a.yml:2:3: service 'db' is already defined at lab.yml:3:3\n"
		"c.yml:1:11: include cycle: b.yml -> c.yml -> b.yml\n"
		"d.yml:4:1: unknown key 'lab'\n"
		"lab.yml:1:18: include file 'missing.yml' not found");
}

/* ---- YAML bounds ---- */

Test(lab_yaml, billion_laughs_rejected_quickly, .init = tlab_setup, .fini = tlab_teardown, .timeout = 5)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i < 10; i++) {
		lab_buf_printf(&b, "x-a%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			lab_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		lab_buf_puts(&b, "]\n");
	}
	lab_buf_puts(&b, "services: {}\n");
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab, lab_buf_cstr(&b), NULL, &err);
	lab_buf_release(&b);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect(strstr(err.msg, ": too many alias expansions") != NULL, "%s", err.msg);
	cr_expect_eq(strncmp(err.msg, "lab.yml:5:", 10), 0, "%s", err.msg);
}

Test(lab_yaml, nesting_too_deep, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "x-deep: ");
	for (int i = 0; i < 100; i++)
		lab_buf_puts(&b, "[");
	for (int i = 0; i < 100; i++)
		lab_buf_puts(&b, "]");
	lab_buf_puts(&b, "\n");
	struct lab *lab;
	struct lab_err err;
	int rc = tlab_load_yaml(&lab, lab_buf_cstr(&b), NULL, &err);
	lab_buf_release(&b);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:1:72: nesting too deep");
}

Test(lab_yaml, merge_key_limits_and_marks)
{
	struct lab_node *root = NULL;
	struct lab_err err = {0};
	const char *y = "a: &x {k: 1, j: [2, 3]}\nb:\n  <<: *x\n  k: 9\nc: 'null'\nd: null\ne: \"5\"\n";
	cr_assert_eq(lab_node_parse_string(&root, y, strlen(y), "t.yml", &err), 0, "%s", err.msg);
	struct lab_node *b = lab_node_get(root, "b");
	cr_assert(b);
	cr_expect_eq(b->n, 2);
	cr_expect_str_eq(lab_node_get(b, "k")->text, "9");
	cr_expect_eq(lab_node_get(b, "j")->n, 2);
	cr_expect_eq(lab_node_get(root, "b")->mark.line, 3);
	cr_expect_eq(lab_node_get(root, "b")->mark.col, 3);
	cr_expect_eq(lab_node_is_null(lab_node_get(root, "c")), 0);
	cr_expect_eq(lab_node_is_null(lab_node_get(root, "d")), 1);
	cr_expect_eq(lab_node_get(root, "e")->quoted, 1);
	lab_node_free(root);

	const char *bad = "a: &x [1]\nb:\n  <<: *x\n";
	cr_expect_eq(lab_node_parse_string(&root, bad, strlen(bad), "t.yml", &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "t.yml:3:7: merge key '<<' needs a mapping or a list of mappings");
	const char *key = "? [a]\n: 1\n";
	cr_expect_eq(lab_node_parse_string(&root, key, strlen(key), "t.yml", &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "t.yml:1:3: mapping keys must be strings");
	const char *tab = "a:\n\t- b\n";
	cr_expect_eq(lab_node_parse_string(&root, tab, strlen(tab), "t.yml", &err), LAB_EINPUT);
	cr_expect_eq(strncmp(err.msg, "t.yml:2:1: ", 11), 0, "%s", err.msg);
}

Test(lab_yaml, top_level_not_a_mapping, .init = tlab_setup, .fini = tlab_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(tlab_load_yaml(&lab, "- a\n- b\n", NULL, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:1:1: expected a mapping at the top of 'lab.yml'");
}

/* ---- helpers ---- */

Test(lab_util, durations)
{
	static const struct {
		const char *in;
		long ms;
	} ok[] = {
		{"10s", 10000}, {"500ms", 500}, {"1m30s", 90000}, {"2h", 7200000},
		{"1h2m3s", 3723000}, {"1.5s", 1500}, {"0.5m", 30000}, {"30", 30000},
		{"0", 0}, {"1500us", 1}, {"2000\xc2\xb5s", 2}, {"5000000ns", 5}, {"1m0.5s", 60500},
	};
	static const char *const bad[] = {"", "5x", "s", "1.5", "-1s", "1 s", "1d", "ms", "1s2",
					  "1.s5", "99999999999999999999h"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long ms = -1;
		cr_expect_eq(lab_parse_duration_ms(ok[i].in, &ms), 0, "'%s'", ok[i].in);
		cr_expect_eq(ms, ok[i].ms, "'%s' -> %ld", ok[i].in, ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long ms = -1;
		cr_expect_eq(lab_parse_duration_ms(bad[i], &ms), LAB_EINPUT, "'%s'", bad[i]);
	}
}

Test(lab_util, edit_distance)
{
	cr_expect_eq(lab_edit_distance("", ""), 0);
	cr_expect_eq(lab_edit_distance("abc", ""), 3);
	cr_expect_eq(lab_edit_distance("", "abc"), 3);
	cr_expect_eq(lab_edit_distance("servics", "services"), 1);
	cr_expect_eq(lab_edit_distance("imgae", "image"), 2);
	cr_expect_eq(lab_edit_distance("kitten", "sitting"), 3);
	cr_expect_eq(lab_edit_distance("same", "same"), 0);
}

/* ---- real-world compose files validate unchanged ---- */

/* tests/fixtures/lab/compose, found from this file's path (the tests run
 * from the repository root). */
static const char *tlab_compose_dir(void)
{
	static char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	slash = strrchr(dir, '/');
	snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/fixtures/lab/compose");
	return dir;
}

Test(lab_compose, real_world_files_validate)
{
	static const char *const files[] = {"postgres.yml", "kafka-bitnami.yml",
					    "kafka-confluent.yml", "spark.yml"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof(path), "%s/%s", tlab_compose_dir(), files[i]);
		struct lab *lab = NULL;
		struct lab_err err = {0};
		int rc = lab_load(&lab, path, NULL, &err);
		cr_expect_eq(rc, 0, "%s: %s", files[i], err.msg);
		cr_expect(rc != 0 || lab->n_services >= 2, "%s", files[i]);
		lab_free(lab);
	}
}

Test(lab_compose, values)
{
	char path[PATH_MAX * 2];
	struct lab *lab = NULL;
	struct lab_err err = {0};
	unsetenv("POSTGRES_USER");
	snprintf(path, sizeof(path), "%s/spark.yml", tlab_compose_dir());
	cr_assert_eq(lab_load(&lab, path, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->project, "compose");
	struct lab_service *w = lab_find_service(lab, "spark-worker");
	cr_assert(w);
	cr_expect_eq(w->replicas, 2);
	cr_expect_str_eq(w->image, "bitnami/spark:3.5"); /* from the << merge */
	cr_expect_eq(w->n_mounts, 2);
	cr_expect_eq(w->ports[0].host_port, 0);
	cr_expect_eq(w->deps[0].condition, LAB_DEP_HEALTHY);
	cr_expect_str_eq(w->networks.v[0], "spark");
	struct lab_service *j = lab_find_service(lab, "jupyter");
	cr_assert_eq(j->command.n, 2);
	cr_expect_str_eq(j->command.v[1], "--NotebookApp.token=");
	lab_free(lab);

	snprintf(path, sizeof(path), "%s/kafka-bitnami.yml", tlab_compose_dir());
	cr_assert_eq(lab_load(&lab, path, NULL, &err), 0, "%s", err.msg);
	struct lab_service *k = lab_find_service(lab, "kafka");
	cr_expect_eq(k->environment.n, 14);
	cr_expect_eq(k->healthcheck.start_period_ms, 30000);
	struct lab_service *it = lab_find_service(lab, "init-topics");
	cr_expect_str_eq(it->restart, "no");
	cr_assert_eq(it->command.n, 1);
	cr_expect(strstr(it->command.v[0], "echo 'topics created'") != NULL);
	lab_free(lab);

	snprintf(path, sizeof(path), "%s/postgres.yml", tlab_compose_dir());
	cr_assert_eq(lab_load(&lab, path, NULL, &err), 0, "%s", err.msg);
	struct lab_service *pg = lab_find_service(lab, "postgres");
	cr_expect_str_eq(pg->environment.v[0], "POSTGRES_USER=postgres");
	cr_expect_str_eq(pg->healthcheck.test.v[1], "pg_isready -U ${POSTGRES_USER} -d ${POSTGRES_DB}");
	cr_expect_str_eq(pg->container_name, "postgres");
	lab_free(lab);
}

/* How long up waits when x-ready gives no timeout: 120 s, or a service's
 * own healthcheck allowance when longer (start_period + retries x
 * (interval + timeout), unset ones at the Engine's defaults). */
Test(lab_good, ready_timeout_follows_a_healthcheck_allowance, .init = tlab_setup, .fini = tlab_teardown)
{
	static const struct {
		const char *svc;
		long want_ms;
	} cases[] = {
		{"    image: x\n", 120000},
		/* pgAdmin's in a course file: 180 + 3 x (10 + 5) s */
		{"    image: x\n    healthcheck: {test: [CMD, true], interval: 10s, timeout: 5s, retries: 3, start_period: 180s}\n",
		 225000},
		/* the Engine's defaults: 3 x (30 + 30) s */
		{"    image: x\n    healthcheck: {test: [CMD, true]}\n", 180000},
		/* a quick one does not shorten the floor */
		{"    image: x\n    healthcheck: {test: [CMD, true], interval: 1s, timeout: 1s, retries: 5}\n", 120000},
		{"    image: x\n    healthcheck: {disable: true}\n", 120000},
		/* x-ready's timeout wins, and probes gate instead of the healthcheck */
		{"    image: x\n    healthcheck: {test: [CMD, true], start_period: 600s}\n    x-ready: {timeout: 30s}\n", 30000},
		{"    image: x\n    healthcheck: {test: [CMD, true], start_period: 600s}\n    x-ready: {tcp: 80}\n", 120000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml), "services:\n  a:\n%s", cases[i].svc);
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(tlab_load_yaml(&lab, yaml, NULL, &err), 0, "case %zu: %s", i, err.msg);
		cr_expect_eq(lab->services[0].ready.timeout_ms, cases[i].want_ms, "case %zu: %ld ms", i,
			     lab->services[0].ready.timeout_ms);
		lab_free(lab);
	}
}
