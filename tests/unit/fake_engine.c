/* The fake engine of fake_engine.h. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_engine.h"

/* Read one request (head and Content-Length body); returns the request
 * line, *body gets the body (caller frees both). */
static char *fe_read_request(int fd, char **body_out)
{
	struct lab_buf b = LAB_BUF_INIT;
	char chunk[4096];
	char *end = NULL;
	while (!(end = b.data ? strstr(b.data, "\r\n\r\n") : NULL)) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n <= 0) {
			lab_buf_release(&b);
			return NULL;
		}
		lab_buf_append(&b, chunk, (size_t)n);
	}
	size_t head = (size_t)(end - b.data) + 4;
	size_t body = 0;
	for (char *p = b.data; p < end; p = strstr(p, "\r\n") + 2) {
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			body = strtoul(p + 15, NULL, 10);
		if (!strstr(p, "\r\n"))
			break;
	}
	while (b.len < head + body) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		lab_buf_append(&b, chunk, (size_t)n);
	}
	*body_out = lab_xstrndup(b.data + head, b.len > head ? b.len - head : 0);
	/* "GET /v1.41/x HTTP/1.1" -> "GET /v1.41/x" */
	size_t ll = strcspn(b.data, "\r\n");
	char *line = lab_xstrndup(b.data, ll);
	char *sp = strrchr(line, ' ');
	if (sp)
		*sp = '\0';
	lab_buf_release(&b);
	return line;
}

static void *fe_serve(void *arg)
{
	struct fe_server *s = arg;
	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		char *body = NULL;
		char *line = fe_read_request(fd, &body);
		if (line) {
			const char *resp = "HTTP/1.1 599 No Route\r\nConnection: close\r\n\r\n{\"message\":\"no route in fake\"}";
			size_t len = 0;
			pthread_mutex_lock(&s->mu);
			for (size_t i = 0; i < s->nroutes; i++) {
				const struct fe_route *r = &s->routes[i];
				if (strncmp(line, r->match, strlen(r->match)) != 0 || (r->times && s->hits[i] >= r->times))
					continue;
				s->hits[i]++;
				resp = r->resp;
				len = r->resp_len;
				break;
			}
			/* record before answering: the client checks reqs as soon
			   as it has its answer */
			lab_strv_take(&s->reqs, line);
			lab_strv_take(&s->bodies, body);
			pthread_mutex_unlock(&s->mu);
			if (!len)
				len = strlen(resp);
			for (size_t off = 0; off < len;) {
				ssize_t n = write(fd, resp + off, len - off);
				if (n <= 0)
					break;
				off += (size_t)n;
			}
		}
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	return NULL;
}

void fe_start(struct fe_server *s, const struct fe_route *routes, size_t n)
{
	memset(s, 0, sizeof(*s));
	cr_assert_leq(n, FE_MAX_ROUTES);
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->dir, sizeof(s->dir), "/tmp/labctl-fe-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->sock, sizeof(s->sock), "%s/docker.sock", s->dir);
	snprintf(s->host, sizeof(s->host), "unix://%s", s->sock);
	s->routes = routes;
	s->nroutes = n;
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(s->lfd, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cr_assert_lt(strlen(s->sock), sizeof(sa.sun_path));
	memcpy(sa.sun_path, s->sock, strlen(s->sock) + 1);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s->lfd, 64), 0);
	cr_assert_eq(pthread_create(&s->th, NULL, fe_serve, s), 0);
}

void fe_stop(struct fe_server *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	unlink(s->sock);
	rmdir(s->dir);
	lab_strv_free(&s->reqs);
	lab_strv_free(&s->bodies);
	pthread_mutex_destroy(&s->mu);
}

const char *fe_req(struct fe_server *s, size_t n)
{
	pthread_mutex_lock(&s->mu);
	const char *r = n < s->reqs.n ? s->reqs.v[n] : "";
	pthread_mutex_unlock(&s->mu);
	return r;
}

const char *fe_body(struct fe_server *s, size_t n)
{
	pthread_mutex_lock(&s->mu);
	const char *r = n < s->bodies.n ? s->bodies.v[n] : "";
	pthread_mutex_unlock(&s->mu);
	return r;
}

size_t fe_count(struct fe_server *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->reqs.n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

long fe_find(struct fe_server *s, const char *prefix, size_t from)
{
	long found = -1;
	pthread_mutex_lock(&s->mu);
	for (size_t i = from; i < s->reqs.n && found < 0; i++)
		if (strncmp(s->reqs.v[i], prefix, strlen(prefix)) == 0)
			found = (long)i;
	pthread_mutex_unlock(&s->mu);
	return found;
}

size_t fe_framed(char *out, size_t cap, const char *head, const char *const *frames)
{
	size_t n = (size_t)snprintf(out, cap, "%s", head);
	for (size_t i = 0; frames[i]; i++) {
		size_t len = strlen(frames[i] + 1);
		unsigned char h[8] = {(unsigned char)(frames[i][0] - '0'), 0, 0, 0, 0, 0, (unsigned char)(len >> 8),
				      (unsigned char)len};
		cr_assert_lt(n + 8 + len, cap, "fe_framed: response too big");
		memcpy(out + n, h, 8);
		memcpy(out + n + 8, frames[i] + 1, len);
		n += 8 + len;
	}
	return n;
}
