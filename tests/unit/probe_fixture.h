/* Fixtures shared by the probe unit tests (test_probe_http.c,
 * test_probe_spark.c): a scratch directory to write lab files in, and an
 * HTTP server on 127.0.0.1 in a thread of the test that answers every
 * request with a canned status and body, so a probe's run is exercised
 * for real through libcurl. */
#ifndef LABCTL_TESTS_PROBE_FIXTURE_H
#define LABCTL_TESTS_PROBE_FIXTURE_H

#include <limits.h>
#include <pthread.h>

/* Make a new directory /tmp/<prefix>-XXXXXX, its path in dir, and chdir
 * into it (asserts on failure). */
void fx_tmpdir_enter(char dir[PATH_MAX], const char *prefix);
/* chdir("/") and remove dir with everything in it. */
void fx_tmpdir_leave(const char dir[PATH_MAX]);

struct fx_http {
	int fd;
	int port; /* where it listens, on 127.0.0.1 */
	pthread_t th;
	pthread_mutex_t mu;
	int status;	  /* the answer's status ... */
	const char *body; /* ... and body (JSON), set with fx_http_answer */
	char req[4096];	  /* the last request's head, NUL-terminated */
};

/* Listen on a free port of 127.0.0.1 and serve in a new thread (asserts
 * on failure); answers 200 "{}" until told otherwise. */
void fx_http_start(struct fx_http *s);
/* What every later request gets (HTTP/1.0, Content-Type: application/json). */
void fx_http_answer(struct fx_http *s, int status, const char *body);
/* The last request's head copied into out (n bytes at most). */
void fx_http_last_request(struct fx_http *s, char *out, size_t n);
/* Stop serving: shut the socket down and join the thread. */
void fx_http_stop(struct fx_http *s);

#endif
