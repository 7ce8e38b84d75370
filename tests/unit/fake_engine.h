/* A fake Docker engine for unit tests: a tiny HTTP server on a unix socket
 * in a temp dir (one thread that accepts connections one at a time and
 * writes canned responses), recording every request it saw.
 *
 *   struct fe_route routes[] = {{"GET /_ping", FE_PING_OK, 0, 0}, ...};
 *   struct fe_server s;
 *   fe_start(&s, routes, FE_N(routes));
 *   lab_engine_open(&e, s.host, &err);
 *   ...
 *   fe_stop(&s);
 */
#ifndef LAB_TEST_FAKE_ENGINE_H
#define LAB_TEST_FAKE_ENGINE_H

#include <pthread.h>
#include <stddef.h>

#include "../../labctl/util/buf.h"

#define FE_PING_OK "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
/* An HTTP response head with status line s ("200 OK") and a body. */
#define FE_HTTP(s, body) "HTTP/1.1 " s "\r\nConnection: close\r\n\r\n" body
#define FE_MAX_ROUTES 64

#define FE_N(a) (sizeof(a) / sizeof((a)[0]))

/* A request matches the first route whose match is a prefix of its
 * "METHOD /path?query" and that has answers left. */
struct fe_route {
	const char *match; /* prefix of "METHOD /path?query" */
	const char *resp;  /* raw HTTP response */
	size_t resp_len;   /* 0 = strlen(resp) */
	unsigned times;    /* answers this many requests, then lets later routes
	                      answer; 0 = every request */
};

struct fe_server {
	char dir[64];
	char sock[128];
	char host[160]; /* "unix://<sock>" */
	int lfd;
	pthread_t th;
	const struct fe_route *routes;
	size_t nroutes;
	unsigned hits[FE_MAX_ROUTES];
	struct lab_strv reqs;   /* request lines seen, "METHOD /path?query" */
	struct lab_strv bodies; /* their bodies, "" when none */
	pthread_mutex_t mu;
};

/* Start serving routes (n <= FE_MAX_ROUTES; not copied, must outlive the
 * server). An unmatched request gets a 599 "no route in fake". */
void fe_start(struct fe_server *s, const struct fe_route *routes, size_t n);
void fe_stop(struct fe_server *s);

/* The n-th request line the server saw, "" past the end. */
const char *fe_req(struct fe_server *s, size_t n);
/* The n-th request's body, "" when none or past the end. */
const char *fe_body(struct fe_server *s, size_t n);
/* Requests seen so far. */
size_t fe_count(struct fe_server *s);
/* Index of the first request at or after from whose line starts with
 * prefix, or -1. */
long fe_find(struct fe_server *s, const char *prefix, size_t from);

/* A response for a log or exec stream: head (raw HTTP head, ending with
 * the blank line), then one multiplexed frame per element of frames
 * (NULL-terminated), its first character the stream ('1' stdout, '2'
 * stderr), the rest the payload. Written to out (cap bytes); returns the
 * length (the response holds NUL bytes: give it as resp_len). */
size_t fe_framed(char *out, size_t cap, const char *head, const char *const *frames);

#endif
