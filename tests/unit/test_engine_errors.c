/* Engine client error paths a real daemon cannot be made to produce, against
 * the fake engine of fake_engine.h (a tiny HTTP server on a unix socket
 * writing canned responses). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/engine/engine.h"
#include "../../labctl/engine/stream.h"
#include "fake_engine.h"

/* ---- ping and negotiation ---- */

struct fe_ping_case {
	const char *name;
	const char *resp;
	int rc;
	const char *version;  /* negotiated, when rc == 0 */
	const char *msg_part; /* when rc != 0 */
};

Test(engine_errors, ping_table)
{
	static const struct fe_ping_case cases[] = {
		{"1.41", FE_PING_OK, 0, "1.41", NULL},
		{"newer than ours: capped",
		 "HTTP/1.1 200 OK\r\nAPI-VERSION: 1.50\r\nConnection: close\r\n\r\nOK", 0, LAB_ENGINE_API_MAX, NULL},
		{"between", "HTTP/1.1 200 OK\r\napi-version:1.43\r\nConnection: close\r\n\r\nOK", 0, "1.43", NULL},
		{"no Api-Version", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
		 LAB_EENGINE, NULL, "API version"},
		{"old 1.30", "HTTP/1.1 200 OK\r\nApi-Version: 1.30\r\nConnection: close\r\n\r\nOK", LAB_EENGINE,
		 NULL, "1.30"},
		{"1.9 is older than 1.41", "HTTP/1.1 200 OK\r\nApi-Version: 1.9\r\nConnection: close\r\n\r\nOK",
		 LAB_EENGINE, NULL, "1.41"},
		{"garbage version", "HTTP/1.1 200 OK\r\nApi-Version: banana\r\nConnection: close\r\n\r\nOK",
		 LAB_EENGINE, NULL, "banana"},
		{"ping 500 without version",
		 "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n{\"message\":\"daemon sick\"}",
		 LAB_EENGINE, NULL, "daemon sick"},
	};
	for (size_t i = 0; i < FE_N(cases); i++) {
		struct fe_route routes[] = {{"GET /_ping", cases[i].resp, 0, 0}};
		struct fe_server s;
		struct lab_engine *e = NULL;
		struct lab_err err = {0};
		fe_start(&s, routes, FE_N(routes));
		int rc = lab_engine_open(&e, s.host, &err);
		cr_expect_eq(rc, cases[i].rc, "%s: rc %d %s", cases[i].name, rc, err.msg);
		if (rc == 0) {
			cr_expect_str_eq(lab_engine_api_version(e), cases[i].version, "%s", cases[i].name);
			cr_expect_str_eq(lab_engine_host(e), s.host);
		} else {
			cr_expect_null(e);
			cr_expect(strstr(err.msg, cases[i].msg_part) != NULL, "%s: %s", cases[i].name, err.msg);
		}
		cr_expect_str_eq(fe_req(&s, 0), "GET /_ping", "%s: ping is unversioned", cases[i].name);
		lab_engine_free(e);
		fe_stop(&s);
	}
}

Test(engine_errors, docker_host_socket_missing)
{
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	setenv("DOCKER_HOST", "unix:///tmp/labctl-no-such-dir/docker.sock", 1);
	int rc = lab_engine_open(&e, NULL, &err);
	cr_expect_eq(rc, LAB_EUNREACHABLE, "%d %s", rc, err.msg);
	cr_expect_null(e);
	cr_expect(strstr(err.msg, "cannot reach the Docker engine at 'unix:///tmp/labctl-no-such-dir/docker.sock'"),
		  "%s", err.msg);
	cr_expect(strstr(err.msg, "/tmp/labctl-no-such-dir/docker.sock") != NULL, "%s", err.msg);
	cr_expect(strstr(err.msg, "sudo dockerd") != NULL, "%s", err.msg);
	cr_expect(strstr(err.msg, "DOCKER_HOST") != NULL, "%s", err.msg);
	unsetenv("DOCKER_HOST");
}

Test(engine_errors, tcp_nothing_listening)
{
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
	int rc = lab_engine_open(&e, "tcp://127.0.0.1:1", &err);
	cr_expect_eq(rc, LAB_EUNREACHABLE, "%d %s", rc, err.msg);
	cr_expect(strstr(err.msg, "'tcp://127.0.0.1:1'") != NULL, "%s", err.msg);
}

Test(engine_errors, malformed_docker_host_table)
{
	static const char *const hosts[] = {"ftp://x", "unix://", "tcp://", "tcp://host:", "npipe:////./pipe/docker",
					    "/var/run/docker.sock", "tcp://h:1/some/path"};
	for (size_t i = 0; i < FE_N(hosts); i++) {
		struct lab_engine *e = NULL;
		struct lab_err err = {0};
		int rc = lab_engine_open(&e, hosts[i], &err);
		cr_expect_eq(rc, LAB_EINPUT, "'%s': rc %d %s", hosts[i], rc, err.msg);
		cr_expect_null(e);
		cr_expect(strstr(err.msg, hosts[i]) != NULL, "'%s': %s", hosts[i], err.msg);
	}
}

Test(engine_errors, free_and_dup_accept_null)
{
	lab_engine_free(NULL);
	cr_expect_null(lab_engine_dup(NULL));
}

/* ---- request errors ---- */

struct fe_status_case {
	const char *name;
	const char *method;
	const char *path;
	const char *resp;
	int rc;
	const char *parts[4];
};

Test(engine_errors, status_table)
{
	static const struct fe_status_case cases[] = {
		{"500 with message", "GET", "/containers/abc/json",
		 "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
		 "{\"message\":\"boom\"}\n",
		 LAB_EENGINE, {"GET", "/containers/abc/json", "500", "boom"}},
		{"404", "DELETE", "/containers/gone?force=1",
		 "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n{\"message\":\"No such container: gone\"}",
		 LAB_ENOTFOUND, {"engine: DELETE /containers/gone: 404 Not Found: No such container: gone"}},
		{"409", "POST", "/containers/create?name=x",
		 "HTTP/1.1 409 Conflict\r\nConnection: close\r\n\r\n{\"message\":\"name in use\"}", LAB_EEXISTS,
		 {"engine: POST /containers/create: 409 Conflict: name in use"}},
		{"non-JSON body", "POST", "/networks/create",
		 "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n  plain text failure \n", LAB_EENGINE,
		 {"engine: POST /networks/create: 400 Bad Request: plain text failure"}},
		{"empty body, no reason", "GET", "/volumes",
		 "HTTP/1.1 503 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n", LAB_EENGINE,
		 {"engine: GET /volumes: 503"}},
		{"304 is success", "POST", "/containers/x/start",
		 "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n", 0, {NULL}},
		{"204 is success", "POST", "/containers/x/start",
		 "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, {NULL}},
	};
	for (size_t i = 0; i < FE_N(cases); i++) {
		char match[256];
		snprintf(match, sizeof(match), "%s /v1.41%s", cases[i].method, cases[i].path);
		struct fe_route routes[] = {{"GET /_ping", FE_PING_OK, 0, 0}, {match, cases[i].resp, 0, 0}};
		struct fe_server s;
		struct lab_engine *e = NULL;
		struct lab_err err = {0};
		long status = 0;
		fe_start(&s, routes, FE_N(routes));
		cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
		int rc = lab_engine_request(e, cases[i].method, cases[i].path, NULL, &status, NULL, &err);
		cr_expect_eq(rc, cases[i].rc, "%s: rc %d %s", cases[i].name, rc, err.msg);
		if (rc)
			cr_expect_eq(err.code, rc, "%s", cases[i].name);
		for (size_t k = 0; k < 4 && cases[i].parts[k]; k++)
			cr_expect(strstr(err.msg, cases[i].parts[k]) != NULL, "%s: '%s' not in '%s'", cases[i].name,
				  cases[i].parts[k], err.msg);
		cr_expect_str_eq(fe_req(&s, 1), match, "%s", cases[i].name);
		lab_engine_free(e);
		fe_stop(&s);
	}
}

Test(engine_errors, json_answer_and_bad_json)
{
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/containers/good/json",
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"Id\":\"good\"}", 0, 0},
		{"GET /v1.41/containers/bad/json", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{not json", 0, 0},
		{"POST /v1.41/volumes/create", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	cJSON *doc = NULL;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_container_inspect(e, "good", &doc, &err), 0, "%s", err.msg);
	cr_expect_str_eq(cJSON_GetObjectItem(doc, "Id")->valuestring, "good");
	cJSON_Delete(doc);
	doc = NULL;
	cr_expect_eq(lab_engine_container_inspect(e, "bad", &doc, &err), LAB_EENGINE);
	cr_expect_null(doc);
	cr_expect(strstr(err.msg, "not JSON") != NULL, "%s", err.msg);
	/* empty answer: *out NULL */
	cr_expect_eq(lab_engine_json(e, "POST", "/volumes/create", NULL, &doc, &err), 0, "%s", err.msg);
	cr_expect_null(doc);
	lab_engine_free(e);
	fe_stop(&s);
}

/* Query strings the wrappers build: filters escaped, names escaped. */
Test(engine_errors, wrapper_paths)
{
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/containers/json", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[]", 0, 0},
		{"GET /v1.41/networks", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[]", 0, 0},
		{"GET /v1.41/volumes", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Volumes\":null,\"Warnings\":null}", 0, 0},
		{"POST /v1.41/containers/create", "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n{\"Id\":\"c1\"}", 0, 0},
		{"POST /v1.41/networks/create", "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n{\"Id\":\"n1\"}", 0, 0},
		{"DELETE ", "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, 0},
		{"POST /v1.41/containers/c1/st", "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, 0},
		{"GET /v1.41/images/", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Id\":\"sha256:1\"}", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL, *d = NULL;
	struct lab_err err = {0};
	cJSON *doc = NULL;
	char *id = NULL;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	d = lab_engine_dup(e);
	cr_assert_not_null(d);
	cr_expect_str_eq(lab_engine_api_version(d), "1.41");

	/* two label filters ('\n'-separated): both sent, the engine ANDs them */
	cr_expect_eq(lab_engine_containers(e, "io.labctl.lab=x\nio.labctl.service", &doc, &err), 0, "%s", err.msg);
	cr_expect(cJSON_IsArray(doc));
	cJSON_Delete(doc);
	cr_expect_eq(lab_engine_networks(d, "io.labctl.lab=x", &doc, &err), 0, "%s", err.msg);
	cJSON_Delete(doc);
	cr_expect_eq(lab_engine_volumes(e, "io.labctl.lab=x", &doc, &err), 0, "%s", err.msg);
	cr_expect(cJSON_IsArray(doc) && cJSON_GetArraySize(doc) == 0, "Volumes null -> empty array");
	cJSON_Delete(doc);
	cJSON *body = cJSON_CreateObject();
	cr_expect_eq(lab_engine_container_create(e, "lab x/1", body, &id, &err), 0, "%s", err.msg);
	cr_expect_str_eq(id, "c1");
	free(id);
	cr_expect_eq(lab_engine_network_create(e, body, &id, &err), 0, "%s", err.msg);
	cr_expect_str_eq(id, "n1");
	free(id);
	cJSON_Delete(body);
	cr_expect_eq(lab_engine_container_start(e, "c1", &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_container_stop(e, "c1", 7, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_container_remove(e, "c1", 1, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_network_remove(e, "n1", &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_volume_remove(e, "v1", &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_image_id(e, "registry:5000/team/img:1", &id, &err), 0, "%s", err.msg);
	cr_expect_str_eq(id, "sha256:1");
	free(id);

	static const char *const want[] = {
		"GET /_ping",
		"GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.labctl.lab%3Dx%22%2C%22io.labctl.service%22%5D%7D",
		"GET /v1.41/networks?filters=%7B%22label%22%3A%5B%22io.labctl.lab%3Dx%22%5D%7D",
		"GET /v1.41/volumes?filters=%7B%22label%22%3A%5B%22io.labctl.lab%3Dx%22%5D%7D",
		"POST /v1.41/containers/create?name=lab%20x%2F1",
		"POST /v1.41/networks/create",
		"POST /v1.41/containers/c1/start",
		"POST /v1.41/containers/c1/stop?t=7",
		"DELETE /v1.41/containers/c1?force=1&v=1",
		"DELETE /v1.41/networks/n1",
		"DELETE /v1.41/volumes/v1",
		"GET /v1.41/images/registry:5000/team/img:1/json",
	};
	for (size_t i = 0; i < FE_N(want); i++)
		cr_expect_str_eq(fe_req(&s, i), want[i], "request %zu", i);
	lab_engine_free(d);
	lab_engine_free(e);
	fe_stop(&s);
}

/* ---- build and pull ---- */

static void fe_progress(const char *line, int final, void *ud)
{
	lab_buf_printf(ud, "%d %s\n", final, line);
}

static char *fe_context(void)
{
	char *dir = lab_xstrdup("/tmp/labctl-fectx-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char *df = lab_xasprintf("%s/Dockerfile", dir);
	FILE *f = fopen(df, "w");
	cr_assert_not_null(f);
	fputs("FROM scratch\n", f);
	fclose(f);
	free(df);
	return dir;
}

static void fe_context_rm(char *dir)
{
	char *df = lab_xasprintf("%s/Dockerfile", dir);
	unlink(df);
	rmdir(dir);
	free(df);
	free(dir);
}

Test(engine_errors, build_error_inside_200)
{
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/build",
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
		 "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\r\n"
		 "{\"stream\":\"Step 2/2 : RUN false\\n\"}\r\n"
		 "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"},"
		 "\"error\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"}\r\n",
		 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	struct lab_buf prog = LAB_BUF_INIT;
	struct lab_strv args = LAB_STRV_INIT, labels = LAB_STRV_INIT;
	char *ctx = fe_context();
	lab_strv_push(&args, "A=1 2");
	lab_strv_push(&labels, "io.labctl.lab=x");
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	int rc = lab_engine_image_build(e, ctx, NULL, "labctl/t:1", &args, &labels, "final", fe_progress, &prog, &err);
	cr_expect_eq(rc, LAB_EENGINE, "%d %s", rc, err.msg);
	cr_expect_str_eq(err.msg, "build 'labctl/t:1': The command '/bin/sh -c false' returned a non-zero code: 1");
	cr_expect_str_eq(lab_buf_cstr(&prog),
			 "1 Step 1/2 : FROM scratch\n1 Step 2/2 : RUN false\n"
			 "1 The command '/bin/sh -c false' returned a non-zero code: 1\n");
	const char *req = fe_req(&s, 1);
	cr_expect(strncmp(req, "POST /v1.41/build?", 18) == 0, "%s", req);
	cr_expect(strstr(req, "t=labctl%2Ft%3A1") != NULL, "%s", req);
	cr_expect(strstr(req, "dockerfile=Dockerfile") != NULL, "%s", req);
	cr_expect(strstr(req, "buildargs=%7B%22A%22%3A%221%202%22%7D") != NULL, "%s", req);
	cr_expect(strstr(req, "labels=%7B%22io.labctl.lab%22%3A%22x%22%7D") != NULL, "%s", req);
	cr_expect(strstr(req, "target=final") != NULL, "%s", req);
	cr_expect(strstr(req, "rm=1") && strstr(req, "forcerm=1"), "%s", req);
	lab_engine_free(e);
	fe_stop(&s);
	fe_context_rm(ctx);
	lab_buf_release(&prog);
	lab_strv_free(&args);
	lab_strv_free(&labels);
}

Test(engine_errors, build_status_error_and_missing_dockerfile)
{
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/build",
		 "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n{\"message\":\"dockerfile parse error line 2: unknown instruction: RUNX\"}",
		 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	char *ctx = fe_context();
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	int rc = lab_engine_image_build(e, ctx, NULL, "t", NULL, NULL, NULL, NULL, NULL, &err);
	cr_expect_eq(rc, LAB_EENGINE, "%d %s", rc, err.msg);
	cr_expect(strstr(err.msg, "build 't': engine: POST /build: 400 Bad Request: dockerfile parse error") == err.msg,
		  "%s", err.msg);
	rc = lab_engine_image_build(e, ctx, "nope/Dockerfile", "t", NULL, NULL, NULL, NULL, NULL, &err);
	cr_expect_eq(rc, LAB_EINPUT, "%d %s", rc, err.msg);
	cr_expect(strstr(err.msg, "nope/Dockerfile") != NULL, "%s", err.msg);
	lab_engine_free(e);
	fe_stop(&s);
	fe_context_rm(ctx);
}

Test(engine_errors, pull_table)
{
	static const struct {
		const char *ref;
		const char *req;
	} cases[] = {
		{"debian", "POST /v1.41/images/create?fromImage=debian&tag=latest"},
		{"debian:bookworm-slim", "POST /v1.41/images/create?fromImage=debian&tag=bookworm-slim"},
		{"registry:5000/team/img", "POST /v1.41/images/create?fromImage=registry%3A5000%2Fteam%2Fimg&tag=latest"},
		{"registry:5000/img:2", "POST /v1.41/images/create?fromImage=registry%3A5000%2Fimg&tag=2"},
		{"img@sha256:abc", "POST /v1.41/images/create?fromImage=img&tag=sha256%3Aabc"},
	};
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/images/create",
		 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
		 "{\"status\":\"Pulling from team/img\",\"id\":\"1\"}\n"
		 "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}",
		 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < FE_N(cases); i++) {
		int rc = lab_engine_image_pull(e, cases[i].ref, NULL, NULL, &err);
		cr_expect_eq(rc, LAB_EENGINE, "%s: %d %s", cases[i].ref, rc, err.msg);
		char want[256];
		snprintf(want, sizeof(want), "pull '%s': manifest unknown", cases[i].ref);
		cr_expect_str_eq(err.msg, want);
		cr_expect_str_eq(fe_req(&s, i + 1), cases[i].req);
	}
	lab_engine_free(e);
	fe_stop(&s);
}

/* ---- logs, exec, stream ---- */

static int fe_output(int stream, const char *data, size_t len, void *ud)
{
	lab_buf_printf(ud, "%d:%.*s", stream, (int)len, data);
	return 0;
}

Test(engine_errors, exec_over_raw_stream)
{
	static char start[512];
	static const char *const frames[] = {"1hello\n", "2oops\n", "1bye\n", NULL};
	size_t start_len = fe_framed(start, sizeof(start),
				     "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n", frames);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/containers/c1/exec", "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n{\"Id\":\"x1\"}", 0, 0},
		{"POST /v1.41/exec/x1/start", start, start_len, 0},
		{"GET /v1.41/exec/x1/json",
		 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Running\":false,\"ExitCode\":3}", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	struct lab_buf out = LAB_BUF_INIT;
	char *argv[] = {"sh", "-c", "exit 3", NULL};
	int code = 0;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_exec(e, "c1", argv, NULL, NULL, NULL, fe_output, &out, &code, &err), 0, "%s", err.msg);
	cr_expect_eq(code, 3);
	cr_expect_str_eq(lab_buf_cstr(&out), "1:hello\n2:oops\n1:bye\n");
	lab_engine_free(e);
	fe_stop(&s);
	lab_buf_release(&out);
}

Test(engine_errors, logs_tty_raw_and_truncated_frames)
{
	static char frames_resp[512];
	static const char *const frames[] = {"1line\n", NULL};
	size_t n = fe_framed(frames_resp, sizeof(frames_resp), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", frames);
	n -= 2; /* cut the last frame short */
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/containers/tty/json",
		 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Config\":{\"Tty\":true}}", 0, 0},
		{"GET /v1.41/containers/tty/logs", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nraw tty text\n", 0, 0},
		{"GET /v1.41/containers/cut/json",
		 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Config\":{\"Tty\":false}}", 0, 0},
		{"GET /v1.41/containers/cut/logs", frames_resp, n, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	struct lab_buf out = LAB_BUF_INIT;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_logs(e, "tty", 10, 0, fe_output, &out, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab_buf_cstr(&out), "1:raw tty text\n");
	cr_expect_str_eq(fe_req(&s, 2), "GET /v1.41/containers/tty/logs?stdout=1&stderr=1&tail=10&follow=0");
	lab_buf_reset(&out);
	cr_expect_eq(lab_engine_logs(e, "cut", -1, 1, fe_output, &out, &err), LAB_EENGINE);
	cr_expect(strstr(err.msg, "middle of a frame") != NULL, "%s", err.msg);
	cr_expect_str_eq(fe_req(&s, 4), "GET /v1.41/containers/cut/logs?stdout=1&stderr=1&tail=all&follow=1");
	lab_engine_free(e);
	fe_stop(&s);
	lab_buf_release(&out);
}

static int fe_stop_cb(const char *data, size_t len, void *ud)
{
	(*(int *)ud)++;
	return 1;
}

struct fe_seterr {
	struct lab_err *err;
};

static int fe_seterr_cb(const char *data, size_t len, void *ud)
{
	struct fe_seterr *c = ud;
	lab_err_set(c->err, LAB_EINPUT, "callback said no");
	return 1;
}

Test(engine_errors, stream_callback_stop_and_error_body)
{
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/events", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome data", 0, 0},
		{"GET /v1.41/bad", "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n{\"message\":\"boom\"}", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	int calls = 0;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_engine_stream(e, "GET", "/events", NULL, NULL, 0, fe_stop_cb, &calls, 0, &err), LAB_ERR);
	cr_expect_eq(calls, 1);
	struct fe_seterr c = {&err};
	cr_expect_eq(lab_engine_stream(e, "GET", "/events", NULL, NULL, 0, fe_seterr_cb, &c, 0, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "callback said no");
	calls = 0;
	cr_expect_eq(lab_engine_stream(e, "GET", "/bad", NULL, NULL, 0, fe_stop_cb, &calls, 0, &err), LAB_EENGINE);
	cr_expect_eq(calls, 0, "on_data not called for an error status");
	cr_expect_str_eq(err.msg, "engine: GET /bad: 500 Internal Server Error: boom");
	lab_engine_free(e);
	fe_stop(&s);
}

Test(engine_errors, escape)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"abc-._~XYZ09", "abc-._~XYZ09"},
		{"a b/c:d", "a%20b%2Fc%3Ad"},
		{"{\"label\":[\"k=v\"]}", "%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D"},
		{"\xc3\xa9&?", "%C3%A9%26%3F"},
	};
	for (size_t i = 0; i < FE_N(cases); i++) {
		char *got = lab_engine_escape(cases[i].in);
		cr_expect_str_eq(got, cases[i].out);
		free(got);
	}
}
