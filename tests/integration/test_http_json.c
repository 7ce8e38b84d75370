/* x-ready http with json: {pointer, equals} against a real service: a
 * small perl HTTP server (perl-base is in debian:bookworm-slim) whose
 * /health says {"status":"DOWN"} for its first 3 seconds, then
 * {"status":"UP"}; it logs what it served. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The server, as a YAML block list item ($$ is a literal $ for the lab's
 * interpolation). */
#define FLIPPER                                                                                    \
	"      - perl\n"                                                                            \
	"      - -MIO::Socket::INET\n"                                                              \
	"      - -e\n"                                                                              \
	"      - |\n"                                                                               \
	"        $$SIG{TERM} = sub { exit 0 }; $$| = 1; my $$t0 = time;\n"                          \
	"        my $$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die;\n" \
	"        while (my $$c = $$s->accept) {\n"                                                  \
	"          <$$c>;\n"                                                                        \
	"          my $$st = time - $$t0 >= 3 ? 'UP' : 'DOWN';\n"                                   \
	"          my $$b = qq({\"status\":\"$$st\",\"checks\":[{\"name\":\"db\",\"ok\":true}]});\n" \
	"          print $$c \"HTTP/1.0 200 OK\\r\\nContent-Type: application/json\\r\\n\"\n"      \
	"            . 'Content-Length: ' . length($$b) . \"\\r\\n\\r\\n\" . $$b;\n"                \
	"          close $$c; print \"served $$st\\n\";\n"                                          \
	"        }\n"

Test(http_json, up_waits_until_the_body_says_up)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "httpjson",
		    "services:\n"
		    "  api:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command:\n" FLIPPER
		    "    ports: [\"0:8080\"]\n"
		    "    x-ready:\n"
		    "      http: {port: 8080, path: /health, json: {pointer: /status, equals: UP}}\n"
		    "      timeout: 30s\n"
		    "  client:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on: { api: { condition: service_healthy } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	char endpoint[64];
	cr_assert(it_up_endpoint(endpoint, sizeof(endpoint), r.out, "api") == 0, "api endpoint on loopback: %s", r.out);
	it_run_free(&r);
	/* the probe saw DOWN and waited: the first answer said DOWN, the last
	   (before this test's own) UP */
	char *api = it_container_id(lab.project, "api", 1);
	char *served = it_sh("docker logs %s 2>&1", api);
	cr_expect(strncmp(served, "served DOWN", 11) == 0, "first answer: %s", served);
	const char *last = strrchr(served, '\n');
	cr_expect_str_eq(last ? last + 1 : served, "served UP", "%s", served);
	free(served);
	char *body = it_sh("curl -s http://%s/health", endpoint);
	cr_expect(strstr(body, "\"status\":\"UP\""), "%s", body);
	free(body);
	/* the dependent was created only once api said UP */
	char *client = it_container_id(lab.project, "client", 1);
	long gap = it_created_after_start_ms(client, api);
	cr_expect(gap >= 2000, "dependent created %ld ms after api started", gap);
	free(api), free(client);
	it_lab_cleanup(&lab);
}

Test(http_json, a_value_that_never_comes_times_out_naming_it)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "httpjsonbad",
		    "services:\n"
		    "  api:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command:\n" FLIPPER
		    "    x-ready:\n"
		    "      http: {port: 8080, path: /health, json: {pointer: /checks/0/ok, equals: false}}\n"
		    "      timeout: 2s\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "service 'api' not ready after 2s") && strstr(r.err, "'/checks/0/ok' is true, want false"),
		  "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
