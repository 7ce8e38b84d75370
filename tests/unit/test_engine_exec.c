/* The hijacked exec connection (engine/exec.h) against the fake engine:
 * the answer's head parsed, output that came with it, frames decoded, the
 * request as the daemon must see it, and the answers a real daemon does
 * not give on demand (chunked error bodies, a connection closed before an
 * answer, a stream cut in a frame). The real paths are in
 * tests/integration/test_exec.c. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/engine/engine.h"
#include "../../labctl/engine/exec.h"
#include "fake_engine.h"

static int collect(int stream, const char *data, size_t len, void *ud)
{
	lab_buf_printf(ud, "%d:%.*s", stream, (int)len, data);
	return 0;
}

#define CREATED "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n{\"Id\":\"x1\"}"
#define UPGRADED                                                                                   \
	"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n" \
	"Upgrade: tcp\r\n\r\n"

Test(engine_exec, upgraded_stream_frames_and_exit_code)
{
	static char start[512];
	static const char *const frames[] = {"1hello\n", "2oops\n", "1bye\n", NULL};
	size_t start_len = fe_framed(start, sizeof(start), UPGRADED, frames);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/containers/c1/exec", CREATED, 0, 0},
		{"POST /v1.41/exec/x1/start", start, start_len, 0},
		{"GET /v1.41/exec/x1/json",
		 "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"Running\":false,\"ExitCode\":3}", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_exec *x = NULL;
	struct lab_err err = {0};
	struct lab_buf out = LAB_BUF_INIT;
	char *argv[] = {"wc", "-l", NULL};
	int code = 0;
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	struct lab_exec_opts o = {.argv = argv, .attach_stdin = 1, .user = "kafka"};
	cr_assert_eq(lab_exec_start(&x, e, "c1", &o, &err), 0, "%s", err.msg);
	struct lab_exec_io io = {.in_fd = -1, .wake_fd = -1, .out = collect, .ud = &out};
	cr_expect_eq(lab_exec_pump(x, &io, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab_buf_cstr(&out), "1:hello\n2:oops\n1:bye\n");
	cr_expect_eq(lab_exec_wait(x, 1000, &code, &err), 0, "%s", err.msg);
	cr_expect_eq(code, 3);
	/* what the daemon was asked */
	const char *create = fe_body(&s, 1);
	cr_expect(strstr(create, "\"AttachStdin\":true") && strstr(create, "\"Tty\":false") &&
			  strstr(create, "\"Cmd\":[\"wc\",\"-l\"]") && strstr(create, "\"User\":\"kafka\""),
		  "%s", create);
	char mark[64];
	snprintf(mark, sizeof(mark), "\"" LAB_EXEC_TOKEN_VAR "=%s\"", lab_exec_token(x));
	cr_expect(strlen(lab_exec_token(x)) == 32 && strstr(create, mark), "the token in Env: %s", create);
	cr_expect_str_eq(fe_req(&s, 2), "POST /v1.41/exec/x1/start");
	cr_expect_str_eq(fe_body(&s, 2), "{\"Detach\":false,\"Tty\":false}");
	lab_exec_free(x);
	lab_engine_free(e);
	fe_stop(&s);
	lab_buf_release(&out);
}

struct start_case {
	const char *name;
	const char *resp;
	int rc;
	const char *msg;
};

Test(engine_exec, start_errors)
{
	static const struct start_case cases[] = {
		{"409 chunked",
		 "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "2a\r\n{\"message\":\"container c1 is not running\"}\r\n0\r\n\r\n",
		 LAB_EEXISTS, "engine: POST /exec/x1/start: 409 Conflict: container c1 is not running"},
		{"404 by length",
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n{\"message\":\"no such exec\"}\r\n",
		 LAB_ENOTFOUND, "engine: POST /exec/x1/start: 404 Not Found: no such exec"},
		{"500 until close", "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\nplain words\n", LAB_EENGINE,
		 "engine: POST /exec/x1/start: 500 Internal Server Error: plain words"},
		{"closed", "", LAB_EENGINE, "engine: POST /exec/x1/start: connection closed before an answer"},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", LAB_EENGINE, "not an HTTP answer"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fe_route routes[] = {
			{"GET /_ping", FE_PING_OK, 0, 0},
			{"POST /v1.41/containers/c1/exec", CREATED, 0, 0},
			{"POST /v1.41/exec/x1/start", cases[i].resp, 0, 0},
		};
		struct fe_server s;
		struct lab_engine *e = NULL;
		struct lab_exec *x = NULL;
		struct lab_err err = {0};
		char *argv[] = {"true", NULL};
		fe_start(&s, routes, FE_N(routes));
		cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
		struct lab_exec_opts o = {.argv = argv, .attach_stdin = 1};
		cr_expect_eq(lab_exec_start(&x, e, "c1", &o, &err), cases[i].rc, "%s: %s", cases[i].name, err.msg);
		cr_expect(x == NULL);
		cr_expect(strstr(err.msg, cases[i].msg), "%s: '%s'", cases[i].name, err.msg);
		lab_engine_free(e);
		fe_stop(&s);
	}
}

Test(engine_exec, cut_frame_and_tty_raw)
{
	static char cut[512];
	static const char *const frames[] = {"1whole\n", "1cut short", NULL};
	size_t n = fe_framed(cut, sizeof(cut), UPGRADED, frames) - 3;
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"POST /v1.41/containers/c1/exec", CREATED, 0, 1},
		{"POST /v1.41/exec/x1/start", cut, n, 1},
		{"POST /v1.41/containers/c1/exec", CREATED, 0, 1},
		/* a daemon that does not say 101 (before API 1.22 or so): 200, then raw */
		{"POST /v1.41/exec/x1/start",
		 "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nraw\r\nbytes", 0, 1},
		{"POST /v1.41/exec/x1/resize", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 0, 0},
	};
	struct fe_server s;
	struct lab_engine *e = NULL;
	struct lab_exec *x = NULL;
	struct lab_err err = {0};
	struct lab_buf out = LAB_BUF_INIT;
	char *argv[] = {"sh", NULL};
	fe_start(&s, routes, FE_N(routes));
	cr_assert_eq(lab_engine_open(&e, s.host, &err), 0, "%s", err.msg);
	struct lab_exec_opts o = {.argv = argv, .attach_stdin = 1};
	cr_assert_eq(lab_exec_start(&x, e, "c1", &o, &err), 0, "%s", err.msg);
	struct lab_exec_io io = {.in_fd = -1, .wake_fd = -1, .out = collect, .ud = &out};
	cr_expect_eq(lab_exec_pump(x, &io, &err), LAB_EENGINE);
	cr_expect(strstr(err.msg, "middle of a frame"), "%s", err.msg);
	cr_expect(strncmp(lab_buf_cstr(&out), "1:whole\n1:cut", 13) == 0, "%s", lab_buf_cstr(&out));
	lab_exec_free(x);
	x = NULL;

	/* a tty: no frames, and the size set right after the start (API 1.41) */
	lab_buf_reset(&out);
	struct lab_exec_opts t = {.argv = argv, .attach_stdin = 1, .tty = 1, .rows = 24, .cols = 80};
	cr_assert_eq(lab_exec_start(&x, e, "c1", &t, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_exec_pump(x, &io, &err), 0, "%s", err.msg);
	cr_expect_str_eq(lab_buf_cstr(&out), "1:raw\r\nbytes");
	cr_expect_eq(fe_find(&s, "POST /v1.41/exec/x1/resize?h=24&w=80", 0) >= 0, 1, "resized");
	lab_exec_free(x);
	lab_engine_free(e);
	fe_stop(&s);
	lab_buf_release(&out);
}
