/* x-ready tcp: PORT -- a TCP connect to the port answers. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lab/lab_private.h"
#include "probe.h"

struct tcp_cfg {
	int port;
};

static void tcp_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	int port = 0;
	if (lab_ld_port(L, n, "tcp", &port) < 0)
		return;
	struct tcp_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	*cfg = c;
}

static void tcp_free(void *cfg)
{
	free(cfg);
}

static int tcp_port(const void *cfg)
{
	return ((const struct tcp_cfg *)cfg)->port;
}

/* TCP connect to host:port (IPv4 or IPv6 literal, or a name) within
 * timeout_ms per address. */
static int tcp_connect(const char *host, int port, int timeout_ms, struct lab_err *err)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16];
	int rc = LAB_ERR, fd = -1;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	int gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai != 0) {
		lab_err_set(err, LAB_ERR, "resolve '%s': %s", host, gai_strerror(gai));
		goto out;
	}
	int last_errno = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			rc = 0;
			goto out;
		}
		if (errno == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, timeout_ms) == 1) {
				int soerr = 0;
				socklen_t len = sizeof(soerr);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
				if (soerr == 0) {
					rc = 0;
					goto out;
				}
				last_errno = soerr;
			} else {
				last_errno = ETIMEDOUT;
			}
		} else {
			last_errno = errno;
		}
		close(fd);
		fd = -1;
	}
	lab_err_set(err, LAB_ERR, "connect %s:%d: %s", host, port, strerror(last_errno));
out:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	return rc;
}

static int tcp_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct tcp_cfg *c = cfg;
	char *host = NULL;
	int port = 0;
	int rc = lab_probe_address(&host, &port, t, c->port, why);
	if (rc == 0)
		rc = tcp_connect(host, port, 1000, why);
	free(host);
	return rc;
}

/* bash's /dev/tcp: no netcat needed in the image */
static void tcp_compose_test(const void *cfg, struct lab_buf *out)
{
	lab_buf_printf(out, "bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d'", ((const struct tcp_cfg *)cfg)->port);
}

const struct lab_probe_kind lab_probe_tcp = {
	.name = "tcp",
	.keys = NULL,
	.parse = tcp_parse,
	.free = tcp_free,
	.port = tcp_port,
	.run = tcp_run,
	.compose_test = tcp_compose_test,
	.compose_rank = 3,
	.client_env = NULL,
};
