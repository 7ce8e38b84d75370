/* Readiness kinds: HTTP status and TCP probes from the host, the Docker
 * healthcheck, and plain docker-compose files run with -f. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* perl-base is in debian:bookworm-slim: a tiny HTTP server answering 204 ($$ is a
 * literal $ in Compose interpolation)
 * after a delay, so readiness has to wait for it. */
#define HTTPD                                                                                      \
	"\"perl\", \"-MIO::Socket::INET\", \"-e\", \"$$SIG{TERM}=sub{exit 0}; sleep 1; "        \
	"$$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die; "               \
	"while($$c=$$s->accept){<$$c>; print $$c qq(HTTP/1.0 204 No Content\\\\r\\\\n\\\\r\\\\n); close $$c}\""

Test(readiness, http_and_tcp_probes_gate_dependents)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "http",
		    "services:\n"
		    "  api:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [" HTTPD "]\n"
		    "    ports: [\"0:8080\"]\n"
		    "    x-ready: { http: { port: 8080, path: /health, status: 204 }, tcp: 8080, timeout: 30s }\n"
		    "  unpublished:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [" HTTPD "]\n"
		    "    x-ready: { http: { port: 8080, status: 204 } }\n"
		    "  client:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on: { api: { condition: service_healthy } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	/* the endpoint in the table answers from the host */
	char endpoint[64];
	cr_assert(it_up_endpoint(endpoint, sizeof(endpoint), r.out, "api") == 0, "api endpoint on loopback: %s", r.out);
	it_run_free(&r);
	char *code = it_sh("curl -s -o /dev/null -w '%%{http_code}' http://%s/", endpoint);
	cr_expect_str_eq(code, "204");
	free(code);
	/* client started only after api answered */
	char *api_id = it_container_id(lab.project, "api", 1), *client_id = it_container_id(lab.project, "client", 1);
	char *api_start = it_sh("docker inspect -f '{{.State.StartedAt}}' %s", api_id);
	char *client_start = it_sh("docker inspect -f '{{.State.StartedAt}}' %s", client_id);
	cr_expect(strcmp(client_start, api_start) > 0);
	free(api_id), free(client_id), free(api_start), free(client_start);
	it_lab_cleanup(&lab);
}

Test(readiness, wrong_http_status_times_out_naming_it)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "httpbad",
		    "services:\n"
		    "  api:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [" HTTPD "]\n"
		    "    x-ready: { http: { port: 8080, status: 200 }, timeout: 3s }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "service 'api' not ready after 3s") && strstr(r.err, "status 204, want 200"), "%s",
		  r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(readiness, docker_healthcheck_gates_service_healthy)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "health",
		    "services:\n"
		    "  slowpoke:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 2; touch /tmp/ok; sleep infinity & wait\"]\n"
		    "    healthcheck:\n"
		    "      test: test -f /tmp/ok\n"
		    "      interval: 200ms\n"
		    "      retries: 100\n"
		    "  after:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on:\n"
		    "      slowpoke:\n"
		    "        condition: service_healthy\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	cr_expect(strstr(r.out, "healthy"), "%s", r.out);
	/* up's table and status say the same word for each service's state
	   (slowpoke healthy, after running), each in its STATE column */
	char *up_words = it_sh("printf '%%s' '%s' | awk '$1 == \"SERVICE\" {for (i = 1; i <= NF; i++) if ($i == \"STATE\") c = i; next} c && NF == 0 {exit} c {print $1, $c}' | sort", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "status '%s'", lab.dir);
	char *status_words = it_sh("printf '%%s' '%s' | awk '$1 == \"SERVICE\" {for (i = 1; i <= NF; i++) if ($i == \"STATE\") c = i; next} c && NF == 0 {exit} c {print $1, $c}' | sort", r.out);
	cr_expect_str_eq(up_words, "after running\nslowpoke healthy", "up's table");
	cr_expect_str_eq(status_words, up_words, "status's words:\n%s", r.out);
	free(up_words), free(status_words);
	it_run_free(&r);
	char *sid = it_container_id(lab.project, "slowpoke", 1), *aid = it_container_id(lab.project, "after", 1);
	char *health = it_sh("docker inspect -f '{{.State.Health.Status}}' %s", sid);
	cr_expect_str_eq(health, "healthy");
	/* after was created only once slowpoke was healthy: >= 2 s after it started */
	long gap = it_created_after_start_ms(aid, sid);
	cr_expect(gap >= 1900, "dependent created %ld ms after its dependency started", gap);
	free(health), free(sid), free(aid);
	it_lab_cleanup(&lab);
}

Test(readiness, plain_compose_file_with_project_from_directory)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "compose", "");
	/* a docker-compose file as people write them, beside an .env */
	it_run(&r,
	       "cd '%s' && rm lab.yml && printf 'TAG=bookworm-slim\\n' > .env && cat > docker-compose.yml <<'EOF'\n"
	       "version: \"3.8\"\n"
	       "x-common: &common\n"
	       "  image: debian:${TAG}\n"
	       "  restart: unless-stopped\n"
	       "services:\n"
	       "  one:\n"
	       "    <<: *common\n"
	       "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
	       "  two:\n"
	       "    <<: *common\n"
	       "    command: sh -c \"trap 'exit 0' TERM; sleep infinity & wait\"\n"
	       "    depends_on: [one]\n"
	       "EOF\n",
	       lab.dir);
	cr_assert_eq(r.status, 0);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "validate -f '%s/docker-compose.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, lab.project), "project named after the directory: %s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up -f '%s/docker-compose.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 2);
	char *img = it_sh("docker inspect -f '{{.Config.Image}} {{.HostConfig.RestartPolicy.Name}}' %s",
			  it_container_id(lab.project, "two", 1));
	cr_expect(strstr(img, "unless-stopped"), "%s", img);
	free(img);
	it_labctl_run(&r, &lab, "down -f '%s/docker-compose.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 0);
	it_lab_cleanup(&lab);
}

Test(readiness, logs_and_exec_show_what_the_container_does)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "logs",
		    "services:\n"
		    "  talker:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo out-line; echo err-line >&2; sleep infinity & wait\"]\n"
		    "    deploy: { replicas: 2 }\n"
		    "    x-ready: { log: err-line }\n"
		    "  other:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo other-line; sleep infinity & wait\"]\n"
		    "    x-ready: { log: other-line }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs '%s' talker", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "talker-1 | out-line") && strstr(r.out, "talker-2 | out-line"), "%s", r.out);
	cr_expect(strstr(r.err, "talker-1 | err-line"), "stderr lines go to stderr: %s", r.err);
	cr_expect(!strstr(r.out, "other-1"), "only the service asked for: %s", r.out);
	it_run_free(&r);
	/* with -f FILE the positional is the service, as for exec */
	it_labctl_run(&r, &lab, "logs -f '%s/lab.yml' other", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "other-1 | other-line"), "%s", r.out);
	cr_expect(!strstr(r.out, "talker-"), "-f FILE SERVICE shows only SERVICE: %s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs -f '%s/lab.yml'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "other-1 | other-line") && strstr(r.out, "talker-2 | out-line"), "%s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "logs -f '%s/lab.yml' other talker", lab.dir);
	cr_expect_eq(r.status, 2, "one service at most: %s", r.err);
	cr_expect(strstr(r.err, "unexpected argument 'talker'"), "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' talker --replica 2 -- sh -c 'echo $HOSTNAME; exit 7'", lab.dir);
	cr_expect_eq(r.status, 7, "exec exits with the command's code");
	char *id2 = it_container_id(lab.project, "talker", 2);
	cr_expect(strncmp(r.out, id2, 12) == 0, "ran in replica 2: %s vs %s", r.out, id2);
	free(id2);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
