#include "probe_fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void fx_tmpdir_enter(char dir[PATH_MAX], const char *prefix)
{
	snprintf(dir, PATH_MAX, "/tmp/%s-XXXXXX", prefix);
	cr_assert(mkdtemp(dir));
	cr_assert(chdir(dir) == 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void fx_tmpdir_leave(const char dir[PATH_MAX])
{
	if (chdir("/") == 0 && dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void *serve(void *arg)
{
	struct fx_http *s = arg;
	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		char req[sizeof(s->req)];
		size_t got = 0;
		ssize_t n;
		req[0] = '\0';
		while (got < sizeof(req) - 1 && (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		pthread_mutex_lock(&s->mu);
		memcpy(s->req, req, sizeof(req));
		char head[256];
		int hl = snprintf(head, sizeof(head),
				  "HTTP/1.0 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
				  s->status, strlen(s->body));
		ssize_t w = write(c, head, (size_t)hl);
		w = write(c, s->body, strlen(s->body));
		(void)w;
		pthread_mutex_unlock(&s->mu);
		close(c);
	}
}

void fx_http_start(struct fx_http *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->status = 200;
	s->body = "{}";
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s->fd >= 0);
	cr_assert(bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(s->fd, 16) == 0);
	cr_assert(getsockname(s->fd, (struct sockaddr *)&a, &len) == 0);
	s->port = ntohs(a.sin_port);
	cr_assert(pthread_create(&s->th, NULL, serve, s) == 0);
}

void fx_http_answer(struct fx_http *s, int status, const char *body)
{
	pthread_mutex_lock(&s->mu);
	s->status = status;
	s->body = body;
	pthread_mutex_unlock(&s->mu);
}

void fx_http_last_request(struct fx_http *s, char *out, size_t n)
{
	pthread_mutex_lock(&s->mu);
	snprintf(out, n, "%s", s->req);
	pthread_mutex_unlock(&s->mu);
}

void fx_http_stop(struct fx_http *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
}
