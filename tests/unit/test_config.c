/* labctl config: Go's duration notation, and the model's YAML (strings
 * YAML would read as other types are quoted; '$' is doubled; a service
 * left out by its profiles is not printed). The comparison with Docker
 * Compose v2's own output is tests/integration/test_conformance.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/export/config.h"

struct dur_case {
	long ms;
	const char *want;
};

/* Go: fmt.Println(time.Duration(ms) * time.Millisecond) */
static const struct dur_case dur_cases[] = {
	{0, "0s"}, {500, "500ms"}, {1000, "1s"}, {1500, "1.5s"}, {1250, "1.25s"}, {90000, "1m30s"},
	{180000, "3m0s"}, {3600000, "1h0m0s"}, {3720000, "1h2m0s"}, {3723004, "1h2m3.004s"},
};

Test(config, duration_as_go_prints_it)
{
	for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		char *got = lab_config_duration(dur_cases[i].ms);
		cr_expect_str_eq(got, dur_cases[i].want, "%ld ms", dur_cases[i].ms);
		free(got);
	}
}

static char *config_of(const char *yaml, const char *profile)
{
	char dir[] = "/tmp/labctl-config-XXXXXX";
	cr_assert(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/compose.yaml", dir);
	FILE *f = fopen(path, "w");
	fputs(yaml, f);
	fclose(f);
	struct lab_strv profiles = LAB_STRV_INIT;
	if (profile)
		lab_strv_push(&profiles, profile);
	struct lab_load_opts opts = {0};
	opts.project = "cfg";
	opts.profiles = &profiles;
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_load(&lab, path, &opts, &err), 0, "%s", err.msg);
	cJSON *m = lab_config_model(lab);
	struct lab_buf out = LAB_BUF_INIT;
	cr_assert_eq(lab_config_yaml(m, &out, &err), 0, "%s", err.msg);
	cJSON_Delete(m);
	lab_free(lab);
	lab_strv_free(&profiles);
	unlink(path);
	rmdir(dir);
	return lab_buf_detach(&out);
}

static const char *svc_yaml = "services:\n"
			      "  app:\n"
			      "    image: debian:bookworm-slim\n"
			      "    command: echo '$$HOME' 80:80\n"
			      "    environment: {FLAG: \"yes\", N: \"1\", EMPTY: \"\"}\n"
			      "    ports: [\"8080:80\"]\n"
			      "    stop_grace_period: 90s\n"
			      "    shm_size: 1g\n"
			      "  extra:\n"
			      "    image: debian:bookworm-slim\n"
			      "    profiles: [debug]\n";

Test(config, yaml_model)
{
	char *y = config_of(svc_yaml, NULL);
	cr_expect(strstr(y, "name: cfg\n"), "%s", y);
	/* strings a YAML reader would take for a bool, a number, an empty
	   value, or sexagesimal 80:80 are quoted; '$' is written '$$' */
	cr_expect(strstr(y, "      FLAG: \"yes\"\n"), "%s", y);
	cr_expect(strstr(y, "      \"N\": \"1\"\n"), "%s", y); /* n: YAML 1.1's false */
	cr_expect(strstr(y, "      EMPTY: \"\"\n"), "%s", y);
	cr_expect(strstr(y, "    - echo\n    - $$HOME\n    - \"80:80\"\n"), "%s", y);
	/* long-form port, labctl's loopback default, published as a string */
	cr_expect(strstr(y, "    - host_ip: \"127.0.0.1\"\n      mode: ingress\n      protocol: tcp\n"
			    "      published: \"8080\"\n      target: 80\n"),
		  "%s", y);
	cr_expect(strstr(y, "    stop_grace_period: 1m30s\n"), "%s", y);
	cr_expect(strstr(y, "    shm_size: \"1073741824\"\n"), "%s", y);
	cr_expect(strstr(y, "networks:\n  default:\n    name: cfg_default\n"), "%s", y);
	cr_expect(!strstr(y, "extra:"), "a service left out by its profiles is printed:\n%s", y);
	free(y);
	y = config_of(svc_yaml, "debug");
	cr_expect(strstr(y, "  extra:\n"), "%s", y);
	cr_expect(strstr(y, "    profiles:\n    - debug\n"), "%s", y);
	free(y);
}
