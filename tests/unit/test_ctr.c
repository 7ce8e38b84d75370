/* Unit tests of the service keys that become container settings
 * (labctl/lab/ctr.c, struct lab_ctr_opts) and of how they reach the create
 * body (labctl/plan): byte values, durations, every key's Engine API field,
 * the refusals and the warnings. Expected values are what Docker Compose
 * v2 (v5.6.0) sends for the same file; tests/integration/test_conformance.c
 * compares the two on a real engine. */
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

static char tctr_dir[PATH_MAX];

static void tctr_write(const char *rel, const char *content)
{
	FILE *f = fopen(rel, "w");
	cr_assert(f, "cannot write %s", rel);
	fputs(content, f);
	fclose(f);
}

static void tctr_setup(void)
{
	/* services with profiles are in the lab (the profile tests set their own) */
	setenv("COMPOSE_PROFILES", "*", 1);
	snprintf(tctr_dir, sizeof(tctr_dir), "/tmp/ctrtest-XXXXXX");
	cr_assert(mkdtemp(tctr_dir));
	cr_assert(chdir(tctr_dir) == 0);
}

static int tctr_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tctr_teardown(void)
{
	if (chdir("/") == 0 && tctr_dir[0])
		nftw(tctr_dir, tctr_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static int tctr_load(struct lab **out, const char *yaml, struct lab_err *err)
{
	tctr_write("compose.yaml", yaml);
	memset(err, 0, sizeof(*err));
	*out = NULL;
	return lab_load(out, "compose.yaml", NULL, err);
}

/* The create body of the lab's first service, as compact JSON of the
 * member at pointer-like path "Config.X" / "HostConfig.X" (NULL: absent). */
static char *tctr_field(const struct lab *lab, const char *svc, const char *path)
{
	const struct lab_service *s = lab_find_service(lab, svc);
	cr_assert(s, "no service %s", svc);
	cJSON *b = lab_plan_container_body(lab, s, "sha256:x", 1);
	const cJSON *at = b;
	char *copy = strdup(path), *save = NULL;
	for (char *t = strtok_r(copy, ".", &save); t && at; t = strtok_r(NULL, ".", &save))
		at = strcmp(t, "Config") == 0 ? at : cJSON_GetObjectItemCaseSensitive(at, t);
	char *r = at ? cJSON_PrintUnformatted(at) : NULL;
	free(copy);
	cJSON_Delete(b);
	return r;
}

Test(ctr_bytes, compose_byte_values)
{
	static const struct {
		const char *in;
		long long want;
	} ok[] = {
		{"2g", 2147483648LL},   {"1gb", 1073741824LL},  {"1GiB", 1073741824LL}, {"1G", 1073741824LL},
		{"512m", 536870912LL},  {"512 m", 536870912LL}, {"512MB", 536870912LL}, {"1.5g", 1610612736LL},
		{"100", 100},           {"100b", 100},          {"100B", 100},          {"1k", 1024},
		{"1kb", 1024},          {"1KiB", 1024},         {"0", 0},               {"1t", 1099511627776LL},
		{"0.5k", 512},          {"1.0001k", 1024},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long long v = -1;
		cr_expect_eq(lab_parse_bytes(ok[i].in, &v), 0, "'%s'", ok[i].in);
		cr_expect_eq(v, ok[i].want, "'%s': %lld, want %lld", ok[i].in, v, ok[i].want);
	}
	static const char *const bad[] = {"", "g", "-1g", "1x", "1gbb", "1bb", "1.2.3m", "1mib2", "1e", "0x10",
					  "inf", "1 gb b", "99999999999p"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long v = 7;
		cr_expect_eq(lab_parse_bytes(bad[i], &v), LAB_EINPUT, "'%s'", bad[i]);
		cr_expect_eq(v, 7, "'%s' changed the output", bad[i]);
	}
}

static const char every_key[] =
	"services:\n"
	"  app:\n"
	"    image: debian:bookworm-slim\n"
	"    mem_limit: 64m\n"
	"    mem_reservation: 32mb\n"
	"    cpus: \"0.5\"\n"
	"    shm_size: 1gb\n"
	"    tmpfs: [\"/run/a\", \"/run/b:size=1m,mode=1777\"]\n"
	"    extra_hosts: [\"db.example=10.0.0.5\", \"old.example:10.0.0.6\", \"v6=[::1]\"]\n"
	"    cap_add: [net_admin, CAP_SYS_TIME, NET_ADMIN]\n"
	"    cap_drop: [ALL]\n"
	"    privileged: true\n"
	"    init: false\n"
	"    ulimits: { nproc: 512, nofile: { soft: 1024, hard: 2048 } }\n"
	"    sysctls: [net.core.somaxconn=1024]\n"
	"    security_opt: [\"no-new-privileges:true\", \"seccomp:sc.json\", \"systempaths=unconfined\"]\n"
	"    read_only: true\n"
	"    devices: [\"/dev/null:/dev/lab-null:r\", \"/dev/zero\", {source: /dev/full, target: /dev/f}]\n"
	"    dns: 10.0.0.53\n"
	"    dns_search: [lab.example]\n"
	"    stop_signal: SIGINT\n"
	"    stop_grace_period: 1m30s\n"
	"    tty: true\n"
	"    stdin_open: true\n"
	"    logging: { driver: local, options: { max-size: 1m, max-file: 2 } }\n"
	"    ipc: shareable\n"
	"    pid: host\n"
	"    group_add: [100, audio]\n"
	"    domainname: lab.example\n"
	"    expose: [\"7000\", 7001, \"7100-7101/udp\"]\n"
	"    platform: linux/amd64\n"
	"    pull_policy: if_not_present\n"
	"    profiles: [debug]\n"
	"    networks: { default: { aliases: [app-alias, second] } }\n"
	"  limits:\n"
	"    image: debian:bookworm-slim\n"
	"    mem_limit: 48m\n"
	"    deploy:\n"
	"      resources:\n"
	"        limits: { cpus: \"0.1\", memory: 48M, pids: 64 }\n"
	"        reservations: { memory: 16M }\n"
	"      restart_policy: { condition: on-failure, max_attempts: 3 }\n"
	"    restart: always\n";

Test(ctr_keys, every_key_reaches_the_create_body, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write("sc.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []\n}\n");
	struct lab *lab;
	struct lab_err err;
	int rc = tctr_load(&lab, every_key, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	static const struct {
		const char *svc, *path, *want;
	} want[] = {
		{"app", "HostConfig.Memory", "67108864"},
		{"app", "HostConfig.MemoryReservation", "33554432"},
		{"app", "HostConfig.NanoCpus", "500000000"},
		{"app", "HostConfig.ShmSize", "1073741824"},
		{"app", "HostConfig.Tmpfs", "{\"/run/a\":\"\",\"/run/b\":\"size=1m,mode=1777\"}"},
		{"app", "HostConfig.ExtraHosts", "[\"db.example:10.0.0.5\",\"old.example:10.0.0.6\",\"v6:::1\"]"},
		{"app", "HostConfig.CapAdd", "[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"]"},
		{"app", "HostConfig.CapDrop", "[\"ALL\"]"},
		{"app", "HostConfig.Privileged", "true"},
		{"app", "HostConfig.Init", "false"},
		{"app", "HostConfig.Ulimits",
		 "[{\"Name\":\"nproc\",\"Soft\":512,\"Hard\":512},{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2048}]"},
		{"app", "HostConfig.Sysctls", "{\"net.core.somaxconn\":\"1024\"}"},
		{"app", "HostConfig.SecurityOpt",
		 "[\"no-new-privileges:true\",\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":[]}\"]"},
		{"app", "HostConfig.MaskedPaths", "[]"},
		{"app", "HostConfig.ReadonlyPaths", "[]"},
		{"app", "HostConfig.ReadonlyRootfs", "true"},
		{"app", "HostConfig.Devices",
		 "[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/lab-null\",\"CgroupPermissions\":\"r\"},"
		 "{\"PathOnHost\":\"/dev/zero\",\"PathInContainer\":\"/dev/zero\",\"CgroupPermissions\":\"rwm\"},"
		 "{\"PathOnHost\":\"/dev/full\",\"PathInContainer\":\"/dev/f\",\"CgroupPermissions\":\"rwm\"}]"},
		{"app", "HostConfig.Dns", "[\"10.0.0.53\"]"},
		{"app", "HostConfig.DnsSearch", "[\"lab.example\"]"},
		{"app", "Config.StopSignal", "\"SIGINT\""},
		{"app", "Config.StopTimeout", "90"},
		{"app", "Config.Tty", "true"},
		{"app", "Config.OpenStdin", "true"},
		{"app", "HostConfig.LogConfig", "{\"Type\":\"local\",\"Config\":{\"max-size\":\"1m\",\"max-file\":\"2\"}}"},
		{"app", "HostConfig.IpcMode", "\"shareable\""},
		{"app", "HostConfig.PidMode", "\"host\""},
		{"app", "HostConfig.GroupAdd", "[\"100\",\"audio\"]"},
		{"app", "Config.Domainname", "\"lab.example\""},
		{"app", "Config.ExposedPorts", "{\"7000/tcp\":{},\"7001/tcp\":{},\"7100/udp\":{},\"7101/udp\":{}}"},
		{"limits", "HostConfig.Memory", "50331648"},
		{"limits", "HostConfig.MemoryReservation", "16777216"},
		{"limits", "HostConfig.NanoCpus", "100000000"},
		{"limits", "HostConfig.PidsLimit", "64"},
		{"limits", "HostConfig.RestartPolicy", "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}"},
		/* not given: not sent, the engine's default (and the hash of a
		   service that sets none of them is what it was) */
		{"limits", "HostConfig.ShmSize", NULL},
		{"limits", "HostConfig.Init", NULL},
		{"limits", "Config.StopTimeout", NULL},
		{"limits", "HostConfig.LogConfig", NULL},
		{"limits", "HostConfig.CapAdd", NULL},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *got = tctr_field(lab, want[i].svc, want[i].path);
		if (want[i].want)
			cr_expect(got && strcmp(got, want[i].want) == 0, "%s %s: %s, want %s", want[i].svc, want[i].path,
				  got ? got : "(absent)", want[i].want);
		else
			cr_expect_null(got, "%s %s: %s, want it absent", want[i].svc, want[i].path, got);
		free(got);
	}
	char net[64];
	snprintf(net, sizeof(net), "NetworkingConfig.EndpointsConfig.%s_default.Aliases", lab->project);
	char *al = tctr_field(lab, "app", net);
	cr_expect(al && !strcmp(al, "[\"app\",\"app-alias\",\"second\"]"), "aliases %s", al ? al : "(absent)");
	free(al);
	const struct lab_service *app = lab_find_service(lab, "app");
	cr_expect_str_eq(app->ctr.platform, "linux/amd64");
	cr_expect_str_eq(app->ctr.pull_policy, "missing");
	cr_expect_eq(app->profiles.n, 1);
	cr_expect_eq(lab->warnings.n, 0, "%s", lab->warnings.n ? lab->warnings.v[0] : "");
	lab_free(lab);
}

/* Changing any of them changes the config hash (up recreates the service);
 * pull_policy and profiles do not, as in Compose (its hash leaves them out). */
Test(ctr_keys, every_key_is_in_the_config_hash, .init = tctr_setup, .fini = tctr_teardown)
{
	static const char *const lines[] = {
		"    mem_limit: 64m\n", "    mem_reservation: 32m\n", "    cpus: 0.5\n", "    shm_size: 1g\n",
		"    tmpfs: /run/a\n", "    extra_hosts: [a=10.0.0.1]\n", "    cap_add: [NET_ADMIN]\n",
		"    cap_drop: [MKNOD]\n", "    privileged: true\n", "    init: true\n", "    ulimits: {nproc: 5}\n",
		"    sysctls: {net.core.somaxconn: 1}\n", "    security_opt: [no-new-privileges]\n",
		"    read_only: true\n", "    devices: [/dev/null]\n", "    dns: [10.0.0.1]\n",
		"    dns_search: [x]\n", "    stop_signal: SIGINT\n", "    stop_grace_period: 5s\n", "    tty: true\n",
		"    stdin_open: true\n", "    logging: {driver: local}\n", "    ipc: private\n", "    pid: host\n",
		"    group_add: [audio]\n", "    domainname: x\n", "    expose: [1]\n", "    platform: linux/amd64\n",
		"    networks: {default: {aliases: [x]}}\n", "    deploy: {resources: {limits: {pids: 3}}}\n",
		"    deploy: {restart_policy: {condition: any}}\n",
	};
	static const char base[] = "services:\n  a:\n    image: debian:bookworm-slim\n";
	struct lab *lab;
	struct lab_err err;
	char h0[65], h[65], yaml[512];
	cr_assert_eq(tctr_load(&lab, base, &err), 0, "%s", err.msg);
	lab_plan_config_hash(h0, lab, &lab->services[0], "sha256:x");
	lab_free(lab);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(yaml, sizeof(yaml), "%s%s", base, lines[i]);
		cr_assert_eq(tctr_load(&lab, yaml, &err), 0, "%s: %s", lines[i], err.msg);
		lab_plan_config_hash(h, lab, &lab->services[0], "sha256:x");
		cr_expect_str_neq(h, h0, "%s does not change the hash", lines[i]);
		lab_free(lab);
	}
	static const char *const same[] = {"    pull_policy: always\n", "    profiles: [x]\n"};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		snprintf(yaml, sizeof(yaml), "%s%s", base, same[i]);
		cr_assert_eq(tctr_load(&lab, yaml, &err), 0, "%s: %s", same[i], err.msg);
		lab_plan_config_hash(h, lab, &lab->services[0], "sha256:x");
		cr_expect_str_eq(h, h0, "%s changes the hash", same[i]);
		lab_free(lab);
	}
}

/* What labctl cannot do is refused where the file says it. */
Test(ctr_keys, refused_with_file_line_col, .init = tctr_setup, .fini = tctr_teardown)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"    shm_size: 2x\n", "compose.yaml:4:15: invalid size '2x' for 'shm_size' (a byte value such as 512m, 2g or 1gb)"},
		{"    mem_limit: -1g\n", "compose.yaml:4:16: invalid size '-1g' for 'mem_limit' (a byte value such as 512m, 2g or 1gb)"},
		{"    cpus: lots\n", "compose.yaml:4:11: invalid number of CPUs 'lots' for 'cpus'"},
		{"    extra_hosts: [nohost]\n", "compose.yaml:4:19: invalid extra host 'nohost': missing IP (HOST=IP or HOST:IP)"},
		{"    extra_hosts: [\"a=notip\"]\n", "compose.yaml:4:19: invalid extra host 'a': 'notip' is not an IP address"},
		{"    dns: [8.8.8]\n", "compose.yaml:4:10: invalid DNS address '8.8.8' for 'dns'"},
		{"    ipc: \"service:db\"\n",
		 "compose.yaml:4:10: 'ipc' is not supported by labctl for 'service:db' (share with a service's container: "
		 "write container:<its container name>)"},
		{"    pull_policy: daily\n",
		 "compose.yaml:4:18: 'pull_policy' is not supported by labctl for 'daily' (the engine does not record when "
		 "an image was pulled; use always or missing)"},
		{"    devices: [\"nvidia.com/gpu=all\"]\n",
		 "compose.yaml:4:15: 'devices' is not supported by labctl for CDI device 'nvidia.com/gpu=all' (Engine API "
		 "1.41 has no CDI device requests)"},
		{"    devices: [\"/a:/b:rw:x\"]\n", "compose.yaml:4:15: confusing device mapping '/a:/b:rw:x', please use the long syntax"},
		{"    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n",
		 "compose.yaml:4:50: 'deploy.resources.reservations.devices' is not supported by labctl (device requests, e.g. GPUs)"},
		{"    cpus: 1\n    deploy: {resources: {limits: {cpus: 2}}}\n",
		 "compose.yaml:5:41: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'"},
		{"    deploy: {resources: {limits: {memory: 1g}}}\n    mem_limit: 2g\n",
		 "compose.yaml:4:43: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'"},
		{"    networks: {default: {ipv4_address: 10.0.0.9}}\n",
		 "compose.yaml:4:40: 'ipv4_address' is not supported by labctl (of a service's network only 'aliases' is)"},
		{"    ulimits: {nofile: {soft: 10}}\n", "compose.yaml:4:23: ulimit 'nofile' needs both 'soft' and 'hard'"},
		{"    ulimits: {nofile: {soft: 10, hard: 5}}\n", "compose.yaml:4:23: invalid ulimit 'nofile': soft 10, hard 5"},
		{"    security_opt: [nonsense]\n", "compose.yaml:4:20: invalid security_opt 'nonsense' (KEY=VALUE or no-new-privileges)"},
		{"    security_opt: [\"seccomp=missing.json\"]\n", "compose.yaml:4:20: seccomp profile 'missing.json' not found"},
		{"    expose: [\"70000\"]\n", "compose.yaml:4:14: invalid port '70000' for 'expose'"},
		{"    profiles: [\"\"]\n", "compose.yaml:4:16: invalid profile name '': empty"},
		{"    platform: amd64\n", "compose.yaml:4:15: invalid platform 'amd64' (expected os/arch or os/arch/variant)"},
		{"    logging: {drivr: local}\n", "compose.yaml:4:15: unknown key 'drivr' (did you mean 'driver'?)"},
	};
	static const char base[] = "services:\n  a:\n    image: debian:bookworm-slim\n";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		struct lab *lab;
		struct lab_err err;
		snprintf(yaml, sizeof(yaml), "%s%s", base, cases[i].line);
		cr_expect_eq(tctr_load(&lab, yaml, &err), LAB_EINPUT, "%s", cases[i].line);
		cr_expect_str_eq(err.msg, cases[i].want, "%s", cases[i].line);
		lab_free(lab);
	}
}

/* What Docker Compose ignores (Swarm's) is a warning, never silence. */
Test(ctr_keys, swarm_keys_warned, .init = tctr_setup, .fini = tctr_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "services:\n  a:\n    image: debian:bookworm-slim\n    deploy:\n"
			       "      labels: {a: b}\n"
			       "      placement: {constraints: [node.role==manager]}\n"
			       "      resources: {reservations: {cpus: \"0.5\"}}\n"
			       "      restart_policy: {condition: any, delay: 5s}\n",
			       &err),
		     0, "%s", err.msg);
	/* Swarm's own: shown only when the lab does not run on Swarm (cmd/common.c) */
	cr_expect_eq(lab->warnings.n, 0);
	cr_assert_eq(lab->swarm_warnings.n, 4);
	cr_expect_str_eq(lab->swarm_warnings.v[0], "compose.yaml:7:40: warning: 'deploy.resources.reservations.cpus' "
						   "is ignored without Swarm (Docker Compose ignores it too; up --swarm "
						   "applies it)");
	cr_expect_str_eq(lab->swarm_warnings.v[1], "compose.yaml:8:47: warning: 'deploy.restart_policy.delay' is "
						   "ignored without Swarm (Docker Compose ignores it too; up --swarm "
						   "applies it)");
	cr_expect_str_eq(lab->swarm_warnings.v[2], "compose.yaml:5:15: warning: 'deploy.labels' is ignored without "
						   "Swarm (Docker Compose ignores it too; up --swarm applies it)");
	cr_expect_str_eq(lab->swarm_warnings.v[3], "compose.yaml:6:18: warning: 'deploy.placement' is ignored without "
						   "Swarm (Docker Compose ignores it too; up --swarm applies it)");
	cr_expect_str_eq(lab->services[0].restart, "always");
	lab_free(lab);
}

/* ---- profiles (Compose spec "Using profiles with Compose") ---- */

static const char profiled[] = "services:\n"
			       "  app:\n"
			       "    image: x\n"
			       "    depends_on:\n"
			       "      db: {condition: service_started}\n"
			       "      debugger: {condition: service_started, required: false}\n"
			       "  db:\n"
			       "    image: x\n"
			       "  tools:\n"
			       "    image: x\n"
			       "    profiles: [tools, ops]\n"
			       "    depends_on: [db, app]\n"
			       "  debugger:\n"
			       "    image: x\n"
			       "    profiles: [debug]\n"
			       "    depends_on: [db]\n";

/* The services in the lab, space-separated, then "| " and those left out. */
static char *tctr_in_out(const struct lab *lab)
{
	struct lab_buf b = LAB_BUF_INIT;
	for (size_t i = 0; i < lab->n_services; i++)
		lab_buf_printf(&b, "%s ", lab->services[i].name);
	lab_buf_puts(&b, "|");
	for (size_t i = 0; i < lab->disabled.n; i++)
		lab_buf_printf(&b, " %s", lab->disabled.v[i]);
	return lab_buf_detach(&b);
}

Test(ctr_profiles, active_profiles_pick_the_services, .init = tctr_setup, .fini = tctr_teardown)
{
	static const struct {
		const char *flags; /* --profile values, comma-separated, or NULL */
		const char *env;   /* COMPOSE_PROFILES, or NULL */
		const char *want;
		size_t app_deps;
	} cases[] = {
		{NULL, NULL, "app db | tools debugger", 1},       /* debugger: required: false, dropped */
		{"ops", NULL, "app db tools | debugger", 1},       /* any one of a service's profiles */
		{NULL, "debug", "app db debugger | tools", 2},
		{NULL, " ops , debug ", "app db tools debugger |", 2},
		{"debug", "ops", "app db debugger | tools", 2},    /* --profile wins over the variable */
		{"*", NULL, "app db tools debugger |", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lab_strv pr = LAB_STRV_INIT;
		if (cases[i].flags)
			lab_strv_push(&pr, cases[i].flags);
		struct lab_load_opts o = {.profiles = &pr};
		if (cases[i].env)
			setenv("COMPOSE_PROFILES", cases[i].env, 1);
		else
			unsetenv("COMPOSE_PROFILES");
		tctr_write("compose.yaml", profiled);
		struct lab *lab = NULL;
		struct lab_err err = {0};
		int rc = lab_load(&lab, "compose.yaml", &o, &err);
		cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
		char *got = tctr_in_out(lab);
		cr_expect_str_eq(got, cases[i].want, "case %zu", i);
		cr_expect_eq(lab_find_service(lab, "app")->n_deps, cases[i].app_deps, "case %zu", i);
		free(got);
		lab_free(lab);
		lab_strv_free(&pr);
	}
	unsetenv("COMPOSE_PROFILES");
}

Test(ctr_profiles, required_dependency_on_a_disabled_service, .init = tctr_setup, .fini = tctr_teardown)
{
	unsetenv("COMPOSE_PROFILES");
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(tctr_load(&lab,
			       "services:\n  app:\n    image: x\n    depends_on: [db]\n"
			       "  db:\n    image: x\n    profiles: [data, all]\n",
			       &err),
		     LAB_EINPUT);
	cr_expect_str_eq(err.msg, "compose.yaml:4:18: service 'db' is required by 'app' but is disabled by its profiles: "
				  "enable it with --profile data or --profile all (or COMPOSE_PROFILES), or give the "
				  "dependency required: false");
	lab_free(lab);
}

/* Profiles are decided before cycles are looked for: a cycle through a
 * service left out is none; with its profile active it is one. */
Test(ctr_profiles, before_cycles, .init = tctr_setup, .fini = tctr_teardown)
{
	static const char cyc[] = "services:\n"
				  "  a:\n    image: x\n    depends_on: {b: {condition: service_started, required: false}}\n"
				  "  b:\n    image: x\n    profiles: [extra]\n    depends_on: [a]\n";
	struct lab *lab;
	struct lab_err err;
	unsetenv("COMPOSE_PROFILES");
	cr_expect_eq(tctr_load(&lab, cyc, &err), 0, "%s", err.msg);
	lab_free(lab);
	setenv("COMPOSE_PROFILES", "extra", 1);
	cr_expect_eq(tctr_load(&lab, cyc, &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "dependency cycle: ") != NULL, "%s", err.msg);
	unsetenv("COMPOSE_PROFILES");
	lab_free(lab);
}

/* ---- -f A -f B: the Compose spec's merge rules; expected values are
 * what `docker compose config` (v5.6.0) prints for the same two files ---- */

Test(ctr_merge, override_file_merged_by_compose_rules, .init = tctr_setup, .fini = tctr_teardown)
{
	mkdir("conf", 0755);
	mkdir("other", 0755);
	tctr_write("override.yaml", "services:\n"
				    "  web:\n"
				    "    command: [sleep, \"2\"]\n"
				    "    environment: {B: \"3\", C: \"4\"}\n"
				    "    ports: [\"127.0.0.1:8081:81\"]\n"
				    "    volumes: [\"./other:/etc/conf\"]\n"
				    "    depends_on: {cache: {condition: service_started}}\n"
				    "    labels: !override {y: \"2\"}\n"
				    "    dns: [10.0.0.2]\n"
				    "  db:\n"
				    "    shm_size: !reset null\n"
				    "  cache:\n"
				    "    image: debian:bookworm-slim\n");
	tctr_write("compose.yaml", "services:\n"
				   "  web:\n"
				   "    image: debian:bookworm-slim\n"
				   "    command: [sleep, \"1\"]\n"
				   "    environment: [A=1, B=2]\n"
				   "    ports: [\"127.0.0.1:8080:80\"]\n"
				   "    volumes: [\"data:/data\", \"./conf:/etc/conf:ro\"]\n"
				   "    depends_on: [db]\n"
				   "    labels: {x: \"1\"}\n"
				   "    dns: 10.0.0.1\n"
				   "  db:\n"
				   "    image: debian:bookworm-slim\n"
				   "    shm_size: 1g\n"
				   "volumes:\n"
				   "  data: {}\n");
	struct lab_strv ov = LAB_STRV_INIT;
	lab_strv_push(&ov, "override.yaml");
	struct lab_load_opts o = {.overrides = &ov};
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, "compose.yaml", &o, &err), 0, "%s", err.msg);
	const struct lab_service *web = lab_find_service(lab, "web"), *db = lab_find_service(lab, "db");
	cr_assert(web && db && lab_find_service(lab, "cache"));
	cr_expect_eq(web->command.n, 2);
	cr_expect_str_eq(web->command.v[1], "2");
	cr_expect_eq(web->environment.n, 3);
	cr_expect_str_eq(web->environment.v[0], "A=1");
	cr_expect_str_eq(web->environment.v[1], "B=3");
	cr_expect_str_eq(web->environment.v[2], "C=4");
	cr_expect_eq(web->labels.n, 1);
	cr_expect_str_eq(web->labels.v[0], "y=2");
	cr_expect_eq(web->ctr.dns.n, 2);
	cr_expect_eq(web->n_ports, 2);
	cr_assert_eq(web->n_mounts, 2);
	cr_expect_str_eq(web->mounts[1].target, "/etc/conf");
	cr_expect(strstr(web->mounts[1].source, "/other") != NULL, "%s", web->mounts[1].source);
	cr_expect_eq(web->mounts[1].read_only, 0);
	cr_expect_eq(web->n_deps, 2);
	cr_expect_eq(db->ctr.shm_size, 0, "!reset kept shm_size");
	lab_free(lab);
	lab_strv_free(&ov);
}

/* -f over a file with include: the override may change a service the
 * included file defines (compose-go applies each file's includes before
 * merging the next file over it); a service of the lab's own is merged as
 * before, a new one added. */
Test(ctr_merge, override_changes_an_included_service, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write("frag.yml", "services:\n"
			       "  kafka:\n"
			       "    image: debian:bookworm-slim\n"
			       "    environment: {HOST: 127.0.0.1, PORT: \"19092\"}\n");
	tctr_write("compose.yaml", "include: [frag.yml]\n"
				   "services:\n"
				   "  web: { image: debian:bookworm-slim }\n");
	tctr_write("spread.yaml", "services:\n"
				  "  kafka:\n"
				  "    environment: {HOST: 10.0.0.3}\n"
				  "    deploy: { placement: { constraints: [node.hostname==sw1] } }\n"
				  "  web:\n"
				  "    deploy: { placement: { constraints: [node.role==manager] } }\n"
				  "  extra: { image: debian:bookworm-slim }\n");
	struct lab_strv ov = LAB_STRV_INIT;
	lab_strv_push(&ov, "spread.yaml");
	struct lab_load_opts o = {.overrides = &ov};
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, "compose.yaml", &o, &err), 0, "%s", err.msg);
	const struct lab_service *k = lab_find_service(lab, "kafka"), *web = lab_find_service(lab, "web");
	cr_assert(k && web && lab_find_service(lab, "extra"));
	cr_expect_str_eq(k->image, "debian:bookworm-slim");
	cr_assert_eq(k->environment.n, 2);
	cr_expect_str_eq(k->environment.v[0], "HOST=10.0.0.3");
	cr_expect_str_eq(k->environment.v[1], "PORT=19092");
	cr_assert_eq(k->swarm.constraints.n, 1);
	cr_expect_str_eq(k->swarm.constraints.v[0], "node.hostname==sw1");
	cr_assert_eq(web->swarm.constraints.n, 1);
	cr_expect_str_eq(web->swarm.constraints.v[0], "node.role==manager");
	lab_free(lab);
	lab_strv_free(&ov);
}

/* --env-file: instead of .env; a later file's value wins, as in Compose. */
Test(ctr_merge, env_files_instead_of_dotenv, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write(".env", "TAG=dotenv\nONLY=dotenv\n");
	tctr_write("a.env", "TAG=a\nA=1\n");
	tctr_write("b.env", "TAG=b\n");
	tctr_write("compose.yaml", "services:\n  s:\n    image: \"x:${TAG}-${A:-none}-${ONLY:-none}\"\n");
	struct lab_strv ef = LAB_STRV_INIT;
	lab_strv_push(&ef, "a.env");
	lab_strv_push(&ef, "b.env");
	struct lab_load_opts o = {.env_files = &ef};
	struct lab *lab = NULL;
	struct lab_err err = {0};
	unsetenv("TAG");
	unsetenv("A");
	unsetenv("ONLY");
	cr_assert_eq(lab_load(&lab, "compose.yaml", &o, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].image, "x:b-1-none");
	lab_free(lab);
	cr_assert_eq(lab_load(&lab, "compose.yaml", NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].image, "x:dotenv-none-dotenv");
	lab_free(lab);
	lab_strv_free(&ef);
}

Test(ctr_keys, volumes_from, .init = tctr_setup, .fini = tctr_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "name: vf\nservices:\n  a:\n    image: x\n    volumes_from: [\"b:ro\", \"container:other\"]\n"
			       "  b:\n    image: x\n    volumes: [/data]\n",
			       &err),
		     0, "%s", err.msg);
	char *vf = tctr_field(lab, "a", "HostConfig.VolumesFrom");
	cr_expect(vf && !strcmp(vf, "[\"vf-b-1:ro\",\"other\"]"), "%s", vf ? vf : "(absent)");
	free(vf);
	const struct lab_service *a = lab_find_service(lab, "a");
	cr_assert_eq(a->n_deps, 1);
	cr_expect_str_eq(a->deps[0].service, "b");
	lab_free(lab);
	cr_expect_eq(tctr_load(&lab, "services:\n  a:\n    image: x\n    volumes_from: [\"b:rx\"]\n", &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "compose.yaml:4:20: invalid volumes_from 'b:rx' (SERVICE[:ro|rw] or container:NAME[:ro|rw])");
	lab_free(lab);
}

/* extends, with file: (paths from the extended file are its own) and
 * without; expected: `docker compose config` (v5.6.0) of the same files. */
Test(ctr_merge, extends_with_and_without_file, .init = tctr_setup, .fini = tctr_teardown)
{
	mkdir("common", 0755);
	mkdir("common/ctx", 0755);
	tctr_write("common/ctx/Dockerfile", "FROM scratch\n");
	tctr_write("common/base.yaml", "services:\n  basesvc:\n    image: debian:bookworm-slim\n    build: ./ctx\n"
				       "    environment: {A: \"1\", B: \"2\"}\n    volumes: [\"./data:/data\"]\n"
				       "    mem_limit: 64m\n");
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "services:\n  web:\n    extends: {file: common/base.yaml, service: basesvc}\n"
			       "    environment: {B: \"3\"}\n"
			       "  worker:\n    extends: web\n    command: [sleep, \"1\"]\n",
			       &err),
		     0, "%s", err.msg);
	for (int i = 0; i < 2; i++) {
		const struct lab_service *s = lab_find_service(lab, i ? "worker" : "web");
		cr_assert(s);
		cr_expect_eq(s->environment.n, 2, "%s", s->name);
		cr_expect_str_eq(s->environment.v[1], "B=3", "%s", s->name);
		cr_expect_eq(s->ctr.memory, 67108864, "%s", s->name);
		cr_assert_eq(s->n_mounts, 1, "%s", s->name);
		char want[PATH_MAX + 32];
		snprintf(want, sizeof(want), "%s/common/data", tctr_dir);
		cr_expect_str_eq(s->mounts[0].source, want, "%s", s->name);
		snprintf(want, sizeof(want), "%s/common/ctx", tctr_dir);
		cr_expect_str_eq(s->build_context, want, "%s", s->name);
	}
	cr_expect_eq(lab_find_service(lab, "worker")->command.n, 2);
	lab_free(lab);
	cr_expect_eq(tctr_load(&lab, "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n    image: x\n",
			       &err),
		     LAB_EINPUT);
	cr_expect(strstr(err.msg, "extends: more than 16 levels") != NULL, "%s", err.msg);
	lab_free(lab);
}

/* Each file's extends are resolved before -f merges it (compose-go's
 * loader): an override's !reset removes what the first file's service got
 * from the one it extends. Expected: `docker compose -f compose.yaml -f
 * override.yaml config` (v5.6.0) has no user for web and user 7 for job,
 * whose extends is in the override. */
Test(ctr_merge, extends_before_merge, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write("compose.yaml", "services:\n  base:\n    image: x\n    user: \"33\"\n"
				   "  web:\n    extends: base\n");
	tctr_write("override.yaml", "services:\n  web:\n    user: !reset null\n"
				    "  jobbase:\n    image: y\n    user: \"7\"\n  job:\n    extends: jobbase\n");
	struct lab_strv ov = LAB_STRV_INIT;
	lab_strv_push(&ov, "override.yaml");
	struct lab_load_opts o = {.overrides = &ov};
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, "compose.yaml", &o, &err), 0, "%s", err.msg);
	const struct lab_service *web = lab_find_service(lab, "web"), *job = lab_find_service(lab, "job");
	cr_assert(web && job);
	cr_expect_null(web->user, "user: %s", web->user);
	cr_expect_str_eq(web->image, "x");
	cr_expect_str_eq(job->user, "7");
	lab_free(lab);
	lab_strv_free(&ov);
}

/* .env values are interpolated like Compose's (compose-go dotenv): unquoted
 * and double-quoted values, not single-quoted ones; the environment first,
 * then what the file set above. Upstream fixture: docker/compose
 * pkg/e2e/fixtures/dotenv/development/.env. And an empty dockerfile is the
 * default one. */
Test(ctr_merge, dotenv_values_are_interpolated, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write(".env", "A=1\nB=\"${A}-x\"\nC='${A}'\nD=${NOPE_CC_UNSET:-def}\nE=$${A}\n");
	tctr_write("Dockerfile", "FROM scratch\n");
	unsetenv("A");
	unsetenv("NOPE_CC_UNSET");
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "services:\n  s:\n    image: \"x:${B}.${C}.${D}.${E}\"\n"
			       "    build: {context: ., dockerfile: \"${NOPE_CC_UNSET}\"}\n",
			       &err),
		     0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].image, "x:1-x.${A}.def.${A}");
	cr_expect_str_eq(lab->services[0].build_dockerfile, "Dockerfile");
	lab_free(lab);
	tctr_write(".env", "A=${NOPE_CC_UNSET:?needs a value}\n");
	cr_expect_eq(tctr_load(&lab, "services:\n  s:\n    image: x\n", &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, ".env:1:1: ") && strstr(err.msg, "needs a value"), "%s", err.msg);
	lab_free(lab);
	/* bounded: 300 lines doubling a 400 kB value would make 240 MB */
	FILE *f = fopen(".env", "w");
	cr_assert(f);
	fputs("A=", f);
	for (int i = 0; i < 400000; i++)
		fputc('x', f);
	fputc('\n', f);
	for (int i = 0; i < 300; i++)
		fprintf(f, "B%d=${A}${A}\n", i);
	fclose(f);
	cr_expect_eq(tctr_load(&lab, "services:\n  s:\n    image: x\n", &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, ".env:22:1: interpolation makes more than 16 MiB of text in this file"), "%s",
		  err.msg);
	lab_free(lab);
}

/* include in its long form: bad entries are file:line:col errors. */
Test(ctr_merge, include_long_form_errors, .init = tctr_setup, .fini = tctr_teardown)
{
	mkdir("sub", 0755);
	tctr_write("sub/a.yaml", "services:\n  a:\n    image: \"x:${TAG}\"\n");
	tctr_write("a.env", "TAG=from-env-file\n");
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab, "include:\n  - path: sub/a.yaml\n    env_file: a.env\n", &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab->services[0].image, "x:from-env-file");
	lab_free(lab);
	cr_expect_eq(tctr_load(&lab, "include:\n  - path: sub/a.yaml\n    env_file: [a.env, missing.env]\n", &err),
		     LAB_EINPUT);
	cr_expect_str_eq(err.msg, "compose.yaml:3:23: include env_file 'missing.env' not found");
	lab_free(lab);
	cr_expect_eq(tctr_load(&lab, "include:\n  - path: sub/a.yaml\n    project_directory: nowhere\n", &err),
		     LAB_EINPUT);
	cr_expect(strstr(err.msg, "compose.yaml:3:24: include project_directory 'nowhere' is not a directory"), "%s",
		  err.msg);
	lab_free(lab);
	cr_expect_eq(tctr_load(&lab, "include:\n  - path: []\n", &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "compose.yaml:2:11: 'include.path' is an empty list"), "%s", err.msg);
	lab_free(lab);
}

/* No key is accepted and dropped: each Compose key labctl does not apply
 * is refused with its reason, or warned about where Docker Compose
 * ignores it too. */
Test(ctr_keys, not_applied_is_refused_or_warned, .init = tctr_setup, .fini = tctr_teardown)
{
	tctr_write("Dockerfile", "FROM scratch\n");
	tctr_write("e.env", "A=1\n");
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(tctr_load(&lab,
			       "services:\n"
			       "  a:\n"
			       "    image: x\n"
			       "    network_mode: host\n"
			       "    pids_limit: 5\n"
			       "    build: {context: ., no_cache: true}\n"
			       "    volumes:\n"
			       "      - {type: bind, source: ., target: /x, bind: {propagation: rshared}}\n"
			       "    env_file: [{path: e.env, format: raw}]\n"
			       "volumes:\n"
			       "  v: {driver: nfs, driver_opts: {o: x}}\n"
			       "networks:\n"
			       "  n: {internal: true, ipam: {config: [{subnet: 10.9.0.0/16}]}}\n",
			       &err),
		     LAB_EINPUT);
	static const char *const want[] = {
		"compose.yaml:4:5: 'network_mode' is not supported by labctl (a lab's services share its networks)",
		"compose.yaml:5:5: 'pids_limit' is not supported by labctl (write deploy.resources.limits.pids)",
		"compose.yaml:6:25: 'build.no_cache' is not supported by labctl (its builds send the context, "
		"dockerfile, args, target and labels only)",
		"compose.yaml:8:52: 'volumes.bind.propagation' is not supported by labctl (mounts are made with type, "
		"source, target and read_only only)",
		"compose.yaml:9:38: 'env_file.format: raw' is not supported by labctl (env files are read in the .env "
		"format)",
		"compose.yaml:11:15: 'volumes.driver: nfs' is not supported by labctl (its volumes are local volumes "
		"without options)",
		"compose.yaml:11:33: 'volumes.driver_opts' is not supported by labctl (its volumes are local volumes "
		"without options)",
		"compose.yaml:13:17: 'networks.internal' is not supported by labctl (its networks are bridge networks "
		"with the engine's addresses)",
		"compose.yaml:13:29: 'networks.ipam' is not supported by labctl (its networks are bridge networks with "
		"the engine's addresses)",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(strstr(err.msg, want[i]), "missing: %s\nin:\n%s", want[i], err.msg);
	lab_free(lab);

	cr_assert_eq(tctr_load(&lab,
			       "services:\n"
			       "  a:\n"
			       "    image: x\n"
			       "    develop: {watch: []}\n"
			       "    ports: [{target: 80, name: web, app_protocol: http}]\n"
			       "    volumes: [{type: volume, source: v, target: /y, volume: {}, consistency: cached}]\n"
			       "    healthcheck: {test: [CMD, \"true\"], start_interval: 1s}\n"
			       "volumes:\n"
			       "  v: {driver: local, driver_opts: {}}\n"
			       "networks:\n"
			       "  default: {driver: bridge, attachable: true, internal: false}\n",
			       &err),
		     0, "%s", err.msg);
	static const char *const warn[] = {
		"compose.yaml:4:14: warning: 'develop' is ignored",
		"compose.yaml:5:32: warning: 'ports.name' is ignored",
		"compose.yaml:5:51: warning: 'ports.app_protocol' is ignored",
		"compose.yaml:6:78: warning: 'volumes.consistency' is ignored",
		"compose.yaml:7:56: warning: 'healthcheck.start_interval' is ignored",
		"compose.yaml:11:41: warning: 'networks.attachable' is ignored",
	};
	cr_expect_eq(lab->warnings.n, sizeof(warn) / sizeof(warn[0]));
	for (size_t i = 0; i < sizeof(warn) / sizeof(warn[0]) && i < lab->warnings.n; i++)
		cr_expect(!strncmp(lab->warnings.v[i], warn[i], strlen(warn[i])), "%s\nwant %s", lab->warnings.v[i],
			  warn[i]);
	lab_free(lab);
}

/* Top-level volumes and networks: name: alone is a custom name labctl
 * creates (not an external one), labels in both forms are kept; a label
 * of labctl's own (io.labctl.*) and labels on an external one are
 * refused at their place. */
Test(ctr_keys, resource_names_and_labels, .init = tctr_setup, .fini = tctr_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "services:\n"
			       "  a: {image: x, networks: [n, m], volumes: [v:/v, w:/w]}\n"
			       "volumes:\n"
			       "  v: {name: course-data, labels: {course: bigdata, tier: \"1\"}}\n"
			       "  w: {external: true, name: theirs}\n"
			       "networks:\n"
			       "  n: {name: course-net, labels: [zone=dmz, bare]}\n"
			       "  m: {labels: {zone: inside}}\n",
			       &err),
		     0, "%s", err.msg);
	cr_assert_eq(lab->n_volumes, 2);
	cr_expect_null(lab->volumes[0].external_name);
	cr_expect_str_eq(lab->volumes[0].custom_name, "course-data");
	cr_assert_eq(lab->volumes[0].labels.n, 2);
	cr_expect_str_eq(lab->volumes[0].labels.v[0], "course=bigdata");
	cr_expect_str_eq(lab->volumes[0].labels.v[1], "tier=1");
	cr_expect_str_eq(lab->volumes[1].external_name, "theirs");
	cr_expect_null(lab->volumes[1].custom_name);
	cr_expect_null(lab->networks[0].external_name);
	cr_expect_str_eq(lab->networks[0].custom_name, "course-net");
	cr_assert_eq(lab->networks[0].labels.n, 2);
	cr_expect_str_eq(lab->networks[0].labels.v[0], "zone=dmz");
	cr_expect_str_eq(lab->networks[0].labels.v[1], "bare=");
	cr_expect_null(lab->networks[1].custom_name);
	cr_expect_str_eq(lab->networks[1].labels.v[0], "zone=inside");
	lab_free(lab);

	cr_expect_eq(tctr_load(&lab,
			       "services:\n"
			       "  a: {image: x, networks: [n], volumes: [v:/v, w:/w]}\n"
			       "volumes:\n"
			       "  v: {labels: {io.labctl.lab: other, ok: yes}}\n"
			       "  w: {external: true, labels: {a: b}}\n"
			       "networks:\n"
			       "  n: {labels: [io.labctl.network=x]}\n",
			       &err),
		     LAB_EINPUT);
	static const char *const want[] = {
		"compose.yaml:4:16: 'volumes.labels': 'io.labctl.lab' is one of labctl's own labels (io.labctl.*), "
		"which a file may not set",
		"compose.yaml:5:31: conflicting keys 'external' and 'labels' in volumes.w (an external volume exists "
		"already: neither Compose nor labctl labels it)",
		"compose.yaml:7:16: 'networks.labels': 'io.labctl.network' is one of labctl's own labels (io.labctl.*), "
		"which a file may not set",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(strstr(err.msg, want[i]), "missing: %s\nin:\n%s", want[i], err.msg);
	lab_free(lab);
}

#include "../../labctl/export/compose.h"

/* export compose does not write the container settings yet: it refuses a
 * lab that sets one rather than dropping it. */
Test(ctr_keys, export_refuses_what_it_cannot_write, .init = tctr_setup, .fini = tctr_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab, "services:\n  a:\n    image: x\n    shm_size: 1g\n", &err), 0, "%s", err.msg);
	struct lab_buf out = LAB_BUF_INIT;
	memset(&err, 0, sizeof(err));
	cr_expect_eq(lab_export_compose(lab, tctr_dir, &out, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "compose.yaml:2:3: service 'a' sets 'shm_size', which labctl export compose does not "
				  "write yet: the export would run differently");
	lab_buf_release(&out);
	lab_free(lab);
}

/* export compose writes a custom name: and labels: of a volume or network
 * back as Compose reads them (not as external). */
Test(ctr_keys, export_writes_resource_names_and_labels, .init = tctr_setup, .fini = tctr_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(tctr_load(&lab,
			       "services:\n"
			       "  a: {image: x, networks: [n], volumes: [v:/v]}\n"
			       "volumes:\n"
			       "  v: {name: course-data, labels: {course: bigdata}}\n"
			       "networks:\n"
			       "  n: {labels: [zone=dmz]}\n",
			       &err),
		     0, "%s", err.msg);
	struct lab_buf out = LAB_BUF_INIT;
	cr_assert_eq(lab_export_compose(lab, tctr_dir, &out, &err), 0, "%s", err.msg);
	const char *y = lab_buf_cstr(&out);
	cr_expect(strstr(y, "volumes:\n  v:\n    name: course-data\n    labels:\n      course: bigdata\n"), "%s", y);
	cr_expect(strstr(y, "networks:\n  n:\n    labels:\n      zone: dmz\n"), "%s", y);
	cr_expect(!strstr(y, "external"), "%s", y);
	lab_buf_release(&out);
	lab_free(lab);
}
