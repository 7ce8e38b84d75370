/* An interactive exec on a hijacked connection (see exec.h). */
#include "exec.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "internal.h"
#include "stream.h"

#define EXEC_HEAD_MAX (64u << 10)      /* the answer's status line and headers */
#define EXEC_ERRBODY_MAX (256u << 10)  /* an error answer's body */
#define EXEC_IO_TIMEOUT_MS 60000       /* sending the request, reading the answer's head */
#define EXEC_INJECT_MAX 64

struct lab_exec {
	struct lab_engine *e;  /* for resize, inspect, signal (not owned) */
	char *container;
	char *id;              /* exec id */
	char *user;            /* for the signalling exec */
	char token[33];
	int tty;
	CURL *curl;            /* the hijacked connection */
	int fd;                /* its socket */
	int write_shut;
	char *pending;         /* LAB_EXEC_BUF + EXEC_INJECT_MAX: stdin bytes not yet sent */
	size_t pending_off, pending_len;
	char *rbuf;            /* LAB_EXEC_BUF: output read from the connection */
	char *early;           /* output that came with the answer's head */
	size_t early_len;
	struct lab_frames frames;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Wait until the connection's socket is readable (events POLLIN) or
 * writable (POLLOUT), at most until deadline (now_ms). 0, or LAB_ETIMEOUT. */
static int wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return LAB_ETIMEOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return LAB_ERR;
	}
}

static int conn_error(const char *what, const char *path, CURLcode cc, struct lab_err *err)
{
	char *show = engine_show_path(path);
	int rc = lab_err_set(err, LAB_EENGINE, "engine: POST %s: %s: %s", show, what, curl_easy_strerror(cc));
	free(show);
	return rc;
}

/* Send all of data on the hijacked connection (before the pump). */
static int send_all(struct lab_exec *x, const char *data, size_t len, const char *path, struct lab_err *err)
{
	long deadline = now_ms() + EXEC_IO_TIMEOUT_MS;
	while (len > 0) {
		size_t n = 0;
		CURLcode cc = curl_easy_send(x->curl, data, len, &n);
		if (cc == CURLE_AGAIN) {
			if (wait_fd(x->fd, POLLOUT, deadline) < 0)
				return conn_error("sending the request", path, CURLE_OPERATION_TIMEDOUT, err);
			continue;
		}
		if (cc != CURLE_OK)
			return conn_error("sending the request", path, cc, err);
		data += n;
		len -= n;
	}
	return 0;
}

/* Read more of the answer into b (at most its cap). Returns bytes read,
 * 0 at EOF, or a negative code. */
static long recv_some(struct lab_exec *x, struct lab_buf *b, size_t cap, long deadline, const char *path,
		      struct lab_err *err)
{
	char tmp[16384];
	for (;;) {
		size_t n = 0;
		CURLcode cc = curl_easy_recv(x->curl, tmp, sizeof(tmp), &n);
		if (cc == CURLE_AGAIN) {
			if (wait_fd(x->fd, POLLIN, deadline) < 0)
				return conn_error("reading the answer", path, CURLE_OPERATION_TIMEDOUT, err);
			continue;
		}
		if (cc != CURLE_OK)
			return conn_error("reading the answer", path, cc, err);
		if (n == 0)
			return 0;
		if (b->len + n > cap)
			n = cap > b->len ? cap - b->len : 0;
		if (n == 0)
			return lab_err_set(err, LAB_EENGINE, "engine: POST %s: answer larger than %zu bytes", path, cap);
		lab_buf_append(b, tmp, n);
		return (long)n;
	}
}

/* Value of header name (lowercase, with ':') in head, or NULL; *len gets its length. */
static const char *head_value(const char *head, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, nl) == 0) {
			const char *v = line + nl;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *end = strstr(v, "\r\n");
			*len = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

/* Decode a chunked body in place (enough for a daemon's error answer). */
static void dechunk(struct lab_buf *b)
{
	size_t in = 0, out = 0;
	while (in < b->len) {
		char *end = NULL;
		unsigned long n = strtoul(b->data + in, &end, 16);
		char *crlf = strstr(b->data + in, "\r\n");
		if (!crlf || n == 0)
			break;
		in = (size_t)(crlf - b->data) + 2;
		if (in + n > b->len)
			n = b->len - in;
		memmove(b->data + out, b->data + in, n);
		out += n;
		in += n + 2;
	}
	b->len = out;
	b->data[out] = '\0';
}

/* POST path with body on a connection of our own, and read the answer's
 * head: 101 or 200 leave the connection ready for raw bytes (x->early
 * holds bytes that came with the head); another status is the engine's
 * error. */
static int hijack(struct lab_exec *x, const char *path, const char *body, struct lab_err *err)
{
	int rc = 0;
	char *url = NULL, *req = NULL, *vpath = NULL;
	struct lab_buf head = LAB_BUF_INIT, ebody = LAB_BUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct lab_engine *e = x->e;

	x->curl = curl_easy_init();
	if (!x->curl) {
		rc = lab_err_set(err, LAB_ERR, "engine: cannot initialise libcurl");
		goto out;
	}
	vpath = lab_xasprintf("/v%s%s", e->version, path);
	url = lab_xasprintf("%s%s", e->base, vpath);
	engine_setup_conn(e, x->curl, url);
	curl_easy_setopt(x->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	CURLcode cc = curl_easy_perform(x->curl);
	if (cc != CURLE_OK) {
		rc = engine_unreachable(e, errbuf[0] ? errbuf : curl_easy_strerror(cc), err);
		goto out;
	}
	curl_socket_t sock = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(x->curl, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK || sock == CURL_SOCKET_BAD) {
		rc = lab_err_set(err, LAB_ERR, "engine: POST %s: no socket for the connection", path);
		goto out;
	}
	x->fd = (int)sock;

	/* Host: what curl would send (localhost for a unix socket) */
	const char *host = strstr(e->base, "://");
	host = host ? host + 3 : e->base;
	req = lab_xasprintf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: labctl\r\n"
			    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n%s",
			    vpath, host, strlen(body), body);
	if ((rc = send_all(x, req, strlen(req), path, err)) < 0)
		goto out;

	long deadline = now_ms() + EXEC_IO_TIMEOUT_MS;
	lab_buf_init(&head, 0);
	char *end = NULL;
	while (!(end = strstr(lab_buf_cstr(&head), "\r\n\r\n"))) {
		long n = recv_some(x, &head, EXEC_HEAD_MAX, deadline, path, err);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		if (n == 0) {
			char *show = engine_show_path(path);
			rc = lab_err_set(err, LAB_EENGINE, "engine: POST %s: connection closed before an answer", show);
			free(show);
			goto out;
		}
	}
	size_t head_len = (size_t)(end - head.data) + 4;
	long status = 0;
	char reason[64] = "";
	if (sscanf(head.data, "HTTP/%*s %ld %63[^\r]", &status, reason) < 1) {
		rc = lab_err_set(err, LAB_EENGINE, "engine: POST %s: not an HTTP answer: '%.60s'", path, head.data);
		goto out;
	}
	if (status == 101 || status == 200) {
		x->early_len = head.len - head_len;
		x->early = lab_xmalloc(x->early_len + 1);
		memcpy(x->early, head.data + head_len, x->early_len);
		goto out;
	}
	/* an error: its body, by Content-Length, chunks or until EOF */
	size_t vlen = 0;
	const char *cl = head_value(head.data, "content-length:", &vlen);
	const char *te = head_value(head.data, "transfer-encoding:", &vlen);
	int chunked = te && strncasecmp(te, "chunked", 7) == 0;
	size_t want = cl ? strtoul(cl, NULL, 10) : (size_t)-1;
	if (want > EXEC_ERRBODY_MAX)
		want = EXEC_ERRBODY_MAX;
	lab_buf_init(&ebody, 0);
	lab_buf_append(&ebody, head.data + head_len, head.len - head_len);
	while (ebody.len < want && !(chunked && strstr(lab_buf_cstr(&ebody), "\r\n0\r\n")) &&
	       !(chunked && strncmp(lab_buf_cstr(&ebody), "0\r\n", 3) == 0)) {
		long n = recv_some(x, &ebody, EXEC_ERRBODY_MAX, deadline, path, err);
		if (n <= 0)
			break;
	}
	if (chunked)
		dechunk(&ebody);
	rc = engine_http_error("POST", path, status, reason, lab_buf_cstr(&ebody), err);
out:
	lab_buf_release(&head);
	lab_buf_release(&ebody);
	free(req);
	free(url);
	free(vpath);
	if (x->curl)
		curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, NULL);
	return rc;
}

static int api_at_least(const struct lab_engine *e, int minor)
{
	int ma = 0, mi = 0;
	return sscanf(e->version, "%d.%d", &ma, &mi) == 2 && (ma > 1 || mi >= minor);
}

int lab_exec_start(struct lab_exec **out, struct lab_engine *e, const char *container_id,
		   const struct lab_exec_opts *o, struct lab_err *err)
{
	int rc = 0;
	struct lab_exec *x = NULL;
	cJSON *body = cJSON_CreateObject(), *start = cJSON_CreateObject();
	char *cesc = NULL, *path = NULL, *eid = NULL, *json = NULL;
	unsigned char rnd[16];

	*out = NULL;
	if (!o->argv || !o->argv[0]) {
		rc = lab_err_set(err, LAB_EINPUT, "exec in '%s': no command", container_id);
		goto out;
	}
	x = lab_xcalloc(1, sizeof(*x));
	x->e = e;
	x->fd = -1;
	x->tty = o->tty;
	x->container = lab_xstrdup(container_id);
	x->user = o->user && *o->user ? lab_xstrdup(o->user) : NULL;
	x->pending = lab_xmalloc(LAB_EXEC_BUF + EXEC_INJECT_MAX);
	x->rbuf = lab_xmalloc(LAB_EXEC_BUF);
	lab_frames_init(&x->frames);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* no entropy call: time and pid are unique enough for a marker */
		snprintf(x->token, sizeof(x->token), "%lx%lx", (unsigned long)now_ms(), (unsigned long)getpid());
	} else {
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(x->token + 2 * i, 3, "%02x", rnd[i]);
	}

	int size = o->tty && o->rows && o->cols;
	cJSON_AddBoolToObject(body, "AttachStdin", o->attach_stdin);
	cJSON_AddBoolToObject(body, "AttachStdout", 1);
	cJSON_AddBoolToObject(body, "AttachStderr", 1);
	cJSON_AddBoolToObject(body, "Tty", o->tty);
	if (size && api_at_least(e, 42)) {
		cJSON *cs = cJSON_AddArrayToObject(body, "ConsoleSize");
		cJSON_AddItemToArray(cs, cJSON_CreateNumber(o->rows));
		cJSON_AddItemToArray(cs, cJSON_CreateNumber(o->cols));
	}
	cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");
	for (size_t i = 0; o->argv[i]; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(o->argv[i]));
	cJSON *env = cJSON_AddArrayToObject(body, "Env");
	for (size_t i = 0; o->env && i < o->env->n; i++)
		cJSON_AddItemToArray(env, cJSON_CreateString(o->env->v[i]));
	char *mark = lab_xasprintf(LAB_EXEC_TOKEN_VAR "=%s", x->token);
	cJSON_AddItemToArray(env, cJSON_CreateString(mark));
	free(mark);
	if (x->user)
		cJSON_AddStringToObject(body, "User", x->user);
	if (o->workdir && *o->workdir)
		cJSON_AddStringToObject(body, "WorkingDir", o->workdir);
	cesc = lab_engine_escape(container_id);
	path = lab_xasprintf("/containers/%s/exec", cesc);
	cJSON *created = NULL;
	if ((rc = lab_engine_json(e, "POST", path, body, &created, err)) < 0)
		goto out;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(created, "Id");
	if (!cJSON_IsString(id)) {
		cJSON_Delete(created);
		rc = lab_err_set(err, LAB_EENGINE, "engine: POST /containers/%s/exec: no 'Id' in the answer", container_id);
		goto out;
	}
	x->id = lab_xstrdup(id->valuestring);
	cJSON_Delete(created);

	cJSON_AddBoolToObject(start, "Detach", 0);
	cJSON_AddBoolToObject(start, "Tty", o->tty);
	if (size && api_at_least(e, 42)) {
		cJSON *cs = cJSON_AddArrayToObject(start, "ConsoleSize");
		cJSON_AddItemToArray(cs, cJSON_CreateNumber(o->rows));
		cJSON_AddItemToArray(cs, cJSON_CreateNumber(o->cols));
	}
	json = cJSON_PrintUnformatted(start);
	eid = lab_engine_escape(x->id);
	free(path);
	path = lab_xasprintf("/exec/%s/start", eid);
	if ((rc = hijack(x, path, json, err)) < 0)
		goto out;
	if (size && !api_at_least(e, 42)) {
		/* the daemon waits for the process to start before it resizes;
		   retry a little in case it says the exec is not running yet */
		for (int i = 0; i < 10; i++) {
			struct lab_err rerr = {0};
			if (lab_exec_resize(x, o->rows, o->cols, &rerr) == 0)
				break;
			sleep_ms(10L << (i < 5 ? i : 5));
		}
	}
	*out = x;
	x = NULL;
out:
	if (json)
		cJSON_free(json);
	cJSON_Delete(body);
	cJSON_Delete(start);
	free(cesc);
	free(path);
	free(eid);
	lab_exec_free(x);
	return rc;
}

const char *lab_exec_id(const struct lab_exec *x)
{
	return x->id;
}

const char *lab_exec_token(const struct lab_exec *x)
{
	return x->token;
}

void lab_exec_free(struct lab_exec *x)
{
	if (!x)
		return;
	if (x->curl)
		curl_easy_cleanup(x->curl);
	free(x->container);
	free(x->id);
	free(x->user);
	free(x->pending);
	free(x->rbuf);
	free(x->early);
	free(x);
}

int lab_exec_resize(struct lab_exec *x, unsigned rows, unsigned cols, struct lab_err *err)
{
	char *eid = lab_engine_escape(x->id);
	char *path = lab_xasprintf("/exec/%s/resize?h=%u&w=%u", eid, rows, cols);
	int rc = lab_engine_request(x->e, "POST", path, NULL, NULL, NULL, err);
	free(path);
	free(eid);
	return rc;
}

int lab_exec_input(struct lab_exec *x, const void *data, size_t len)
{
	if (x->write_shut || len > EXEC_INJECT_MAX)
		return LAB_ERR;
	if (x->pending_off > 0) {
		memmove(x->pending, x->pending + x->pending_off, x->pending_len - x->pending_off);
		x->pending_len -= x->pending_off;
		x->pending_off = 0;
	}
	if (x->pending_len + len > LAB_EXEC_BUF + EXEC_INJECT_MAX)
		return LAB_ERR;
	memcpy(x->pending + x->pending_len, data, len);
	x->pending_len += len;
	return 0;
}

/* Output bytes from the connection: raw with a tty, else frames. 0, 1
 * (out stopped), or LAB_EENGINE for a malformed frame. */
static int exec_output(struct lab_exec *x, const char *data, size_t len, const struct lab_exec_io *io,
		       struct lab_err *err)
{
	if (len == 0)
		return 0;
	if (x->tty)
		return io->out && io->out(1, data, len, io->ud) != 0 ? 1 : 0;
	int rc = lab_frames_feed(&x->frames, data, len, io->out, io->ud, err);
	if (rc < 0) {
		lab_err_prefix(err, "engine: exec '%.12s'", x->id);
		return LAB_EENGINE;
	}
	return rc;
}

/* Over TLS, before the TCP half-close: a TLS close_notify, so that a peer
 * that holds a TCP EOF without one for an error (OpenSSL 3: "unexpected
 * eof while reading"; socat, stunnel) reads the end of our stream, while a
 * Go peer (dockerd's own TLS) takes either. TLS 1.3 (RFC 8446 6.1) lets the
 * other side go on writing after it. libcurl has no call for it, so the
 * alert is written by OpenSSL itself (libssl, already loaded by libcurl)
 * on curl's SSL object through a socket BIO of our own, curl's BIO put
 * back after. Best effort: another TLS backend, or a libssl not found,
 * leaves the TCP half-close alone, which is what the docker CLI does. */
static void tls_close_notify(struct lab_exec *x)
{
	struct curl_tlssessioninfo *ti = NULL;
	if (!x->e->tls || curl_easy_getinfo(x->curl, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
	    ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
		return;
	void *h = dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD);
	if (!h)
		return;
	__typeof__(SSL_get_wbio) *get_wbio = (__typeof__(SSL_get_wbio) *)dlsym(h, "SSL_get_wbio");
	__typeof__(SSL_set0_wbio) *set0_wbio = (__typeof__(SSL_set0_wbio) *)dlsym(h, "SSL_set0_wbio");
	__typeof__(SSL_shutdown) *ssl_shutdown = (__typeof__(SSL_shutdown) *)dlsym(h, "SSL_shutdown");
	__typeof__(SSL_get_error) *get_error = (__typeof__(SSL_get_error) *)dlsym(h, "SSL_get_error");
	SSL *ssl = ti->internals;
	BIO *curl_bio = get_wbio && set0_wbio && ssl_shutdown && get_error ? get_wbio(ssl) : NULL;
	BIO *ours = curl_bio ? BIO_new_socket(x->fd, BIO_NOCLOSE) : NULL;
	if (ours && BIO_up_ref(curl_bio)) {
		set0_wbio(ssl, ours); /* drops the SSL's reference to curl's: ours keeps it alive */
		long deadline = now_ms() + 1000;
		for (;;) {
			int r = ssl_shutdown(ssl);
			if (r >= 0 || get_error(ssl, r) != SSL_ERROR_WANT_WRITE ||
			    wait_fd(x->fd, POLLOUT, deadline) < 0)
				break;
		}
		set0_wbio(ssl, curl_bio); /* hands back the reference taken above; frees ours */
	} else if (ours) {
		BIO_free(ours);
	}
	dlclose(h);
}

int lab_exec_pump(struct lab_exec *x, const struct lab_exec_io *io, struct lab_err *err)
{
	int rc = 0;
	int in_eof = io->in_fd < 0;

	if (x->early_len) {
		rc = exec_output(x, x->early, x->early_len, io, err);
		x->early_len = 0;
		if (rc)
			return rc;
	}
	for (;;) {
		/* everything the connection has (TLS may hold decrypted bytes
		   that poll cannot see: read until it says "again") */
		for (;;) {
			size_t n = 0;
			CURLcode cc = curl_easy_recv(x->curl, x->rbuf, LAB_EXEC_BUF, &n);
			if (cc == CURLE_AGAIN)
				break;
			if (cc != CURLE_OK)
				return lab_err_set(err, LAB_EENGINE, "engine: exec '%.12s': reading output: %s", x->id,
						   curl_easy_strerror(cc));
			if (n == 0) {
				if (!x->tty && !lab_frames_complete(&x->frames))
					return lab_err_set(err, LAB_EENGINE,
							   "engine: exec '%.12s': output ended in the middle of a frame",
							   x->id);
				return 0;
			}
			if ((rc = exec_output(x, x->rbuf, n, io, err)) != 0)
				return rc;
		}
		/* stdin bytes read but not sent */
		while (x->pending_off < x->pending_len && !x->write_shut) {
			size_t n = 0;
			CURLcode cc = curl_easy_send(x->curl, x->pending + x->pending_off,
						     x->pending_len - x->pending_off, &n);
			if (cc == CURLE_AGAIN)
				break;
			if (cc != CURLE_OK) {
				/* the daemon no longer reads stdin (the process ended): drop
				   it, the output still comes */
				x->pending_off = x->pending_len = 0;
				in_eof = 1;
				break;
			}
			x->pending_off += n;
		}
		if (x->pending_off == x->pending_len)
			x->pending_off = x->pending_len = 0;
		if (in_eof && x->pending_len == 0 && !x->write_shut && io->in_fd >= 0) {
			tls_close_notify(x);
			shutdown(x->fd, SHUT_WR);
			x->write_shut = 1;
		}

		struct pollfd p[3];
		nfds_t np = 0;
		p[np++] = (struct pollfd){.fd = x->fd, .events = (short)(POLLIN | (x->pending_len ? POLLOUT : 0))};
		int in_i = -1, wake_i = -1;
		if (!in_eof && x->pending_len == 0) {
			in_i = (int)np;
			p[np++] = (struct pollfd){.fd = io->in_fd, .events = POLLIN};
		}
		if (io->wake_fd >= 0) {
			wake_i = (int)np;
			p[np++] = (struct pollfd){.fd = io->wake_fd, .events = POLLIN};
		}
		int n = poll(p, np, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lab_err_set(err, LAB_ERR, "exec: poll: %s", strerror(errno));
		}
		if (wake_i >= 0 && p[wake_i].revents) {
			if (io->wake && io->wake(x, io->ud) != 0)
				return 1;
		}
		if (in_i >= 0 && p[in_i].revents) {
			ssize_t r = read(io->in_fd, x->pending, LAB_EXEC_BUF);
			if (r > 0) {
				x->pending_off = 0;
				x->pending_len = (size_t)r;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_eof = 1; /* EOF, or stdin gone (EIO: the terminal hung up) */
			}
		}
	}
}

int lab_exec_wait(struct lab_exec *x, long timeout_ms, int *exit_code, struct lab_err *err)
{
	int rc = 0;
	char *eid = lab_engine_escape(x->id);
	char *path = lab_xasprintf("/exec/%s/json", eid);
	long deadline = now_ms() + timeout_ms;

	*exit_code = -1;
	for (;;) {
		cJSON *info = NULL;
		if ((rc = lab_engine_json(x->e, "GET", path, NULL, &info, err)) < 0)
			break;
		const cJSON *running = cJSON_GetObjectItemCaseSensitive(info, "Running");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(info, "ExitCode");
		int done = !cJSON_IsTrue(running) && cJSON_IsNumber(code);
		if (done)
			*exit_code = code->valueint;
		cJSON_Delete(info);
		if (done || now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	free(path);
	free(eid);
	return rc;
}

/* Signal every process of the container whose environment holds the
 * token (not the signalling shell itself); prints how many. */
static const char signal_script[] =
	"n=0; for d in /proc/[0-9]*; do p=${d#/proc/}; [ \"$p\" = \"$$\" ] && continue; "
	"if grep -qsF \"$1\" \"$d/environ\" 2>/dev/null; then kill -s \"$2\" \"$p\" 2>/dev/null && n=$((n+1)); fi; "
	"done; echo $n";

struct collect {
	char buf[64];
	size_t len;
};

static int collect_out(int stream, const char *data, size_t len, void *ud)
{
	struct collect *c = ud;
	if (stream == 1) {
		size_t room = sizeof(c->buf) - 1 - c->len;
		if (len > room)
			len = room;
		memcpy(c->buf + c->len, data, len);
		c->len += len;
		c->buf[c->len] = '\0';
	}
	return 0;
}

int lab_exec_signal(struct lab_exec *x, const char *signame, int *n, struct lab_err *err)
{
	for (const char *p = signame; *p; p++)
		if (!isalnum((unsigned char)*p))
			return lab_err_set(err, LAB_EINPUT, "exec: '%s' is not a signal name", signame);
	char *mark = lab_xasprintf(LAB_EXEC_TOKEN_VAR "=%s", x->token);
	char *argv[] = {"sh", "-c", (char *)signal_script, "sh", mark, (char *)signame, NULL};
	struct collect c = {.len = 0};
	int code = -1;
	c.buf[0] = '\0';
	int rc = lab_engine_exec(x->e, x->container, argv, NULL, x->user, NULL, collect_out, &c, &code, err);
	free(mark);
	if (rc < 0)
		return rc;
	if (code != 0)
		return lab_err_set(err, LAB_ERR, "exec: signalling the command with %s failed (exit code %d)", signame,
				   code);
	if (n)
		*n = atoi(c.buf);
	return 0;
}
