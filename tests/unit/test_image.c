/* image/image.c: why a pull failed, from what engines and registries say. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../labctl/image/image.h"

/* Messages as Docker Engine 20.10 gave them (pull from Docker Hub with no
 * network; a registry on 127.0.0.1 with no such image, one that wants a
 * login) and as Docker Hub words its refusals. */
static const struct {
	const char *msg;
	enum lab_pull_problem want;
} cases[] = {
	{"pull 'x/one:1': engine: POST /images/create: 500 Internal Server Error: Get "
	 "\"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host",
	 LAB_PULL_NO_REGISTRY},
	{"engine: POST /images/create: 500 Internal Server Error: Get \"http://localhost:5999/v2/\": dial tcp "
	 "127.0.0.1:5999: connect: connection refused",
	 LAB_PULL_NO_REGISTRY},
	{"Get \"https://r.example/v2/\": net/http: TLS handshake timeout", LAB_PULL_NO_REGISTRY},
	{"Error response from daemon: Get \"https://r.example/v2/\": context deadline exceeded", LAB_PULL_NO_REGISTRY},
	{"engine: POST /images/create: 500 Internal Server Error: manifest unknown", LAB_PULL_NO_SUCH_IMAGE},
	{"manifest for debian:nosuchtag not found: manifest unknown: manifest unknown", LAB_PULL_NO_SUCH_IMAGE},
	{"engine: POST /images/create: 500 Internal Server Error: Head \"http://localhost:5872/v2/thing/manifests/1\": "
	 "no basic auth credentials",
	 LAB_PULL_AUTH},
	{"unauthorized: authentication required", LAB_PULL_AUTH},
	{"pull access denied for nosuchuser/nosuchimage, repository does not exist or may require 'docker login': "
	 "denied: requested access to the resource is denied",
	 LAB_PULL_DENIED},
	{"engine: GET /images/Bad_Name/json: 400 Bad Request: no such image: Bad_Name: invalid reference format: "
	 "repository name must be lowercase",
	 LAB_PULL_BAD_NAME},
	{"write /var/lib/docker/tmp/GetImageBlob: no space left on device", LAB_PULL_OTHER},
	{"", LAB_PULL_OTHER},
	{NULL, LAB_PULL_OTHER},
};

Test(image, pull_problem_from_the_engines_words)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(lab_image_pull_problem(cases[i].msg), cases[i].want, "case %zu: %s", i,
			     cases[i].msg ? cases[i].msg : "(null)");
}

Test(image, pull_advice_says_what_to_do)
{
	cr_expect(strstr(lab_image_pull_advice(LAB_PULL_NO_REGISTRY), "no registry reachable: build it here"));
	cr_expect(strstr(lab_image_pull_advice(LAB_PULL_NO_REGISTRY), "docker load"));
	cr_expect(strstr(lab_image_pull_advice(LAB_PULL_AUTH), "docker login"));
	cr_expect(strstr(lab_image_pull_advice(LAB_PULL_NO_SUCH_IMAGE), "no such image"));
	cr_expect(strstr(lab_image_pull_advice(LAB_PULL_OTHER), "cannot be pulled"));
}

/* The FROM images not built here, through the bases built here
 * (labctl/NAME beside the context, a source of the lab's): each once,
 * stage names and scratch left out. */
Test(image, external_bases_through_the_local_ones)
{
	char tmpl[] = "/tmp/labctl-ut-bases-XXXXXX";
	char *dir = mkdtemp(tmpl);
	cr_assert_not_null(dir);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %1$s/app %1$s/jre %1$s/lib && "
		 "printf 'ARG PY=python:3.11\\nFROM ${PY} AS py\\nFROM labctl/jre:17\\nCOPY --from=py / /py\\n"
		 "FROM lib/own:1\\nFROM scratch\\n' > %1$s/app/Dockerfile && "
		 "printf 'FROM debian:bookworm-slim\\n' > %1$s/jre/Dockerfile && "
		 "printf 'FROM python:3.11\\nFROM postgres:16\\n' > %1$s/lib/Dockerfile",
		 dir);
	cr_assert_eq(system(cmd), 0);
	char app[512], lib[512];
	snprintf(app, sizeof(app), "%s/app", dir);
	snprintf(lib, sizeof(lib), "%s/lib", dir);
	struct lab_image_source known[] = {{.name = "lib/own:1", .context = lib}};
	struct lab_image_source src = {.name = "course/app:1", .context = app};
	struct lab_strv out = LAB_STRV_INIT;
	lab_image_external_bases(&out, &src, known, 1);
	cr_assert_eq(out.n, 3, "%zu", out.n);
	cr_expect_str_eq(out.v[0], "python:3.11");
	cr_expect_str_eq(out.v[1], "debian:bookworm-slim", "labctl/jre:17's, from the jre directory beside app");
	cr_expect_str_eq(out.v[2], "postgres:16", "lib/own:1's, a source of the lab's");
	lab_strv_free(&out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}
