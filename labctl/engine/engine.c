/* Docker Engine API client: transport, version negotiation, requests and
 * the resource wrappers (images, containers, networks, volumes, logs, exec).
 * The build-context tar lives in context.c. */
#include "engine.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../lazy/lazy.h"
#include "context.h"
#include "internal.h"
#include "stream.h"

#define ENGINE_DEFAULT_HOST "unix:///var/run/docker.sock"
#define ENGINE_PING_TIMEOUT_MS 3000L
#define ENGINE_CONNECT_TIMEOUT_MS 10000L
#define ENGINE_ERRBODY_MAX (256u << 10)
#define ENGINE_HINT "(start one with 'sudo dockerd &' or 'sudo systemctl start docker', or set DOCKER_HOST)"


static void engine_curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void engine_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, engine_curl_init_once);
}

/* ---- small helpers ---- */

static int is_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *lab_engine_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = lab_xmalloc(3 * n + 1);
	char *p = out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (is_unreserved(c)) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* Escape a name used as a path segment (image refs keep '/', ':' and '@'). */
static char *engine_path_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = lab_xmalloc(3 * strlen(s) + 1);
	char *p = out;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (is_unreserved(c) || c == '/' || c == ':' || c == '@') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* The path as shown in messages: no query string, percent-decoded. */
char *engine_show_path(const char *path)
{
	size_t n = strcspn(path, "?");
	char *out = lab_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (path[i] == '%' && i + 2 < n && isxdigit((unsigned char)path[i + 1]) &&
		    isxdigit((unsigned char)path[i + 2])) {
			char h[3] = {path[i + 1], path[i + 2], '\0'};
			out[o++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			out[o++] = path[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* "1.41" -> 1041; -1 when not a version. */
static long engine_version_num(const char *v)
{
	char *end;
	long major = strtol(v, &end, 10);
	if (end == v || *end != '.')
		return -1;
	const char *m = end + 1;
	long minor = strtol(m, &end, 10);
	if (end == m || major < 0 || major > 999 || minor < 0 || minor > 999)
		return -1;
	return major * 1000 + minor;
}

static const char *engine_reason(long status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

/* ---- opening ---- */

static int engine_truthy(const char *v)
{
	return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

static char *engine_cert_file(const char *dir, const char *name)
{
	char *p = lab_xasprintf("%s/%s", dir, name);
	if (access(p, R_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* Fill e->sock/base/tls from host. */
static int engine_parse_host(struct lab_engine *e, const char *host, struct lab_err *err)
{
	if (strncmp(host, "unix://", 7) == 0) {
		const char *path = host + 7;
		if (!*path)
			return lab_err_set(err, LAB_EINPUT,
					   "DOCKER_HOST '%s' has no socket path (expected unix:///path/to/docker.sock)",
					   host);
		e->sock = lab_xstrdup(path);
		e->base = lab_xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(host, "tcp://", 6) == 0) {
		const char *hp = host + 6;
		size_t n = strcspn(hp, "/?#");
		if (n == 0 || strspn(hp + n, "/") != strlen(hp + n) || strchr(hp, '@'))
			return lab_err_set(err, LAB_EINPUT,
					   "DOCKER_HOST '%s' is not tcp://host:port", host);
		const char *cert_path = getenv("DOCKER_CERT_PATH");
		const char *verify = getenv("DOCKER_TLS_VERIFY");
		e->tls = engine_truthy(verify) || (cert_path && *cert_path);
		e->verify = engine_truthy(verify);
		/* host:port, [v6]:port, or host alone (default port) */
		int has_port = 0;
		const char *colon = memrchr(hp, ':', n);
		const char *rbr = memrchr(hp, ']', n);
		if (colon && (!rbr || colon > rbr))
			has_port = 1;
		if (has_port && colon + 1 == hp + n)
			return lab_err_set(err, LAB_EINPUT, "DOCKER_HOST '%s' has an empty port", host);
		e->base = lab_xasprintf("%s://%.*s%s", e->tls ? "https" : "http", (int)n, hp,
					has_port ? "" : (e->tls ? ":2376" : ":2375"));
		if (e->tls) {
			char *dir = NULL;
			if (cert_path && *cert_path) {
				dir = lab_xstrdup(cert_path);
			} else {
				const char *home = getenv("HOME");
				dir = lab_xasprintf("%s/.docker", home ? home : "");
			}
			e->ca = engine_cert_file(dir, "ca.pem");
			e->cert = engine_cert_file(dir, "cert.pem");
			e->key = engine_cert_file(dir, "key.pem");
			free(dir);
		}
		return 0;
	}
	return lab_err_set(err, LAB_EINPUT,
			   "DOCKER_HOST '%s' is not supported (use unix:///path/to/docker.sock or tcp://host:port)",
			   host);
}

/* ---- one transfer ---- */

struct engine_xfer {
	long status;                /* from the last status line */
	char reason[64];
	char api_version[32];       /* Api-Version header */
	char libpod_version[32];    /* Libpod-Api-Version header (Podman) */
	struct lab_buf *resp;       /* 2xx body (NULL: discard unless streaming) */
	struct lab_buf errbody;     /* non-2xx body, truncated at ENGINE_ERRBODY_MAX */
	int resp_over;              /* resp hit its cap */
	lab_engine_data_fn on_data; /* stream 2xx bodies here */
	void *ud;
	int stopped;                /* on_data asked to stop */
};

_Static_assert(sizeof(((struct engine_xfer *)0)->api_version) == 32 &&
		       sizeof(((struct engine_xfer *)0)->libpod_version) == 32,
	       "engine_header_cb copies header values into 32-byte fields");

static int engine_ok_status(long s)
{
	return (s >= 200 && s < 300) || s == 304;
}

static size_t engine_header_cb(char *data, size_t size, size_t nitems, void *ud)
{
	struct engine_xfer *x = ud;
	size_t n = size * nitems;
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* "HTTP/1.1 200 OK\r\n" */
		const char *sp = memchr(data, ' ', n);
		x->status = 0;
		x->reason[0] = '\0';
		if (sp) {
			const char *p = sp + 1, *end = data + n;
			long st = 0;
			while (p < end && isdigit((unsigned char)*p))
				st = st * 10 + (*p++ - '0');
			x->status = st;
			while (p < end && *p == ' ')
				p++;
			size_t rl = (size_t)(end - p);
			while (rl > 0 && (p[rl - 1] == '\r' || p[rl - 1] == '\n' || p[rl - 1] == ' '))
				rl--;
			if (rl >= sizeof(x->reason))
				rl = sizeof(x->reason) - 1;
			memcpy(x->reason, p, rl);
			x->reason[rl] = '\0';
		}
		return n;
	}
	static const struct {
		const char *key;
		size_t off; /* of the field in struct engine_xfer, 32 bytes */
	} keys[] = {
		{"api-version:", offsetof(struct engine_xfer, api_version)},
		{"libpod-api-version:", offsetof(struct engine_xfer, libpod_version)},
	};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t kl = strlen(keys[k].key);
		if (n <= kl || strncasecmp(data, keys[k].key, kl) != 0)
			continue;
		char *field = (char *)x + keys[k].off;
		const char *p = data + kl, *end = data + n;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		size_t vl = (size_t)(end - p);
		while (vl > 0 && isspace((unsigned char)p[vl - 1]))
			vl--;
		if (vl >= 32)
			vl = 31;
		memcpy(field, p, vl);
		field[vl] = '\0';
	}
	return n;
}

static size_t engine_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct engine_xfer *x = ud;
	size_t n = size * nmemb;
	if (!engine_ok_status(x->status)) {
		size_t room = ENGINE_ERRBODY_MAX - x->errbody.len;
		lab_buf_append(&x->errbody, data, n < room ? n : room);
		return n;
	}
	if (x->on_data) {
		if (x->on_data(data, n, x->ud) != 0) {
			x->stopped = 1;
			return 0;
		}
		return n;
	}
	if (x->resp && lab_buf_append(x->resp, data, n) < 0) {
		x->resp_over = 1;
		return 0;
	}
	return n;
}

int engine_http_error(const char *method, const char *path, long status, const char *reason_in,
		      const char *body, struct lab_err *err)
{
	int code = status == 404 ? LAB_ENOTFOUND : status == 409 ? LAB_EEXISTS : LAB_EENGINE;
	char *show = engine_show_path(path);
	char *msg = NULL;
	cJSON *doc = cJSON_Parse(body);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
	if (cJSON_IsString(m)) {
		msg = lab_xstrdup(m->valuestring);
	} else {
		size_t b = 0, e = strlen(body);
		while (b < e && isspace((unsigned char)body[b]))
			b++;
		while (e > b && isspace((unsigned char)body[e - 1]))
			e--;
		msg = lab_xstrndup(body + b, e - b);
	}
	const char *reason = reason_in && reason_in[0] ? reason_in : engine_reason(status);
	lab_err_set(err, code, "engine: %s %s: %ld%s%s%s%s", method, show, status,
		    reason[0] ? " " : "", reason, msg[0] ? ": " : "", msg);
	cJSON_Delete(doc);
	free(msg);
	free(show);
	return code;
}

/* Format the engine error for a non-2xx status into err. */
static int engine_status_error(const char *method, const char *path, struct engine_xfer *x,
			       struct lab_err *err)
{
	return engine_http_error(method, path, x->status, x->reason, lab_buf_cstr(&x->errbody), err);
}

/* Why a unix socket cannot be connected to (curl only says "port 80").
 * Returns 1 and fills buf when a reason was found. */
static int engine_sock_detail(const char *path, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(buf, len, "socket path '%s' is too long", path);
		return 1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int saved = errno;
	close(fd);
	if (rc == 0)
		return 0;
	if (saved == ENOENT)
		snprintf(buf, len, "no socket at '%s'", path);
	else if (saved == EACCES || saved == EPERM)
		snprintf(buf, len, "permission denied on '%s' (is your user in the 'docker' group?)", path);
	else
		snprintf(buf, len, "connecting to '%s': %s", path, strerror(saved));
	return 1;
}

void engine_setup_conn(const struct lab_engine *e, CURL *c, const char *url)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (e->sock)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, e->sock);
	if (e->tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, e->verify ? 1L : 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, e->verify ? 2L : 0L);
		if (e->ca && e->verify)
			curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
		if (e->cert)
			curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
		if (e->key)
			curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
}

int engine_unreachable(const struct lab_engine *e, const char *detail, struct lab_err *err)
{
	char sockmsg[512];
	if (e->sock && engine_sock_detail(e->sock, sockmsg, sizeof(sockmsg)))
		detail = sockmsg;
	return lab_err_set(err, LAB_EUNREACHABLE, "cannot reach the Docker engine at '%s': %s " ENGINE_HINT,
			   e->host, detail);
}

struct engine_req {
	const char *method;
	const char *path;   /* unversioned, with query */
	int versioned;      /* prefix /v<version> */
	const char *content_type;
	const void *body;
	size_t body_len;
	long timeout_ms;    /* whole transfer, 0 = none */
	long connect_timeout_ms;
};

/* Perform one request. Returns 0 when the transfer completed (any status:
 * see x->status), LAB_EUNREACHABLE/LAB_ETIMEOUT on transport failure, or
 * LAB_ERR when a callback stopped it (x->stopped / x->resp_over). */
static int engine_perform(struct lab_engine *e, const struct engine_req *r, struct engine_xfer *x,
			  struct lab_err *err)
{
	int rc = 0;
	char *url = NULL;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = e->curl;

	curl_easy_reset(c);
	if (r->versioned)
		url = lab_xasprintf("%s/v%s%s", e->base, e->version, r->path);
	else
		url = lab_xasprintf("%s%s", e->base, r->path);
	engine_setup_conn(e, c, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "labctl");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 &&
	    (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0)) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		/* POSTFIELDS switches to POST; keep the method asked for */
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (r->content_type) {
		char *ct = lab_xasprintf("Content-Type: %s", r->content_type);
		hdrs = curl_slist_append(hdrs, ct);
		free(ct);
	} else {
		hdrs = curl_slist_append(hdrs, "Content-Type:"); /* no form type on empty POSTs */
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, engine_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, engine_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 r->connect_timeout_ms ? r->connect_timeout_ms : ENGINE_CONNECT_TIMEOUT_MS);
	if (r->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);

	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		goto out;
	if (cc == CURLE_WRITE_ERROR && (x->stopped || x->resp_over)) {
		rc = LAB_ERR;
		goto out;
	}
	char *show = engine_show_path(r->path);
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	if (cc == CURLE_OPERATION_TIMEDOUT && x->status != 0) {
		rc = lab_err_set(err, LAB_ETIMEOUT, "engine: %s %s: %s", r->method, show, detail);
	} else if (x->status != 0) {
		/* the daemon answered, then the connection broke */
		rc = lab_err_set(err, LAB_EENGINE, "engine: %s %s: %s", r->method, show, detail);
	} else {
		rc = engine_unreachable(e, detail, err);
	}
	free(show);
out:
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

/* ---- public: open, dup, free ---- */

int lab_engine_open(struct lab_engine **out, const char *docker_host, struct lab_err *err)
{
	int rc = 0;
	struct lab_engine *e = NULL;
	struct engine_xfer x = {0};

	*out = NULL;
	if ((rc = lab_lazy_load(LAB_LAZY_CURL, err)) < 0)
		return rc;
	engine_global_init();
	if (!docker_host || !*docker_host)
		docker_host = getenv("DOCKER_HOST");
	if (!docker_host || !*docker_host)
		docker_host = ENGINE_DEFAULT_HOST;

	e = lab_xcalloc(1, sizeof(*e));
	e->host = lab_xstrdup(docker_host);
	if ((rc = engine_parse_host(e, docker_host, err)) < 0)
		goto out;
	e->curl = curl_easy_init();
	if (!e->curl) {
		rc = lab_err_set(err, LAB_ERR, "engine: cannot initialise libcurl");
		goto out;
	}

	lab_buf_init(&x.errbody, 0);
	struct engine_req req = {
		.method = "GET", .path = "/_ping", .versioned = 0,
		.timeout_ms = 3 * ENGINE_PING_TIMEOUT_MS, .connect_timeout_ms = ENGINE_PING_TIMEOUT_MS,
	};
	rc = engine_perform(e, &req, &x, err);
	if (rc < 0)
		goto out;
	if (!x.api_version[0]) {
		if (!engine_ok_status(x.status))
			rc = engine_status_error("GET", "/_ping", &x, err);
		else
			rc = lab_err_set(err, LAB_EENGINE,
					 "engine at '%s' did not report an API version on GET /_ping; is it a Docker engine?",
					 e->host);
		goto out;
	}
	long theirs = engine_version_num(x.api_version);
	if (theirs < 0) {
		rc = lab_err_set(err, LAB_EENGINE, "engine at '%s' reported API version '%s', which is not a version",
				 e->host, x.api_version);
		goto out;
	}
	if (theirs < engine_version_num(LAB_ENGINE_API_MIN)) {
		rc = lab_err_set(err, LAB_EENGINE,
				 "engine at '%s' speaks API %s; labctl needs %s or newer (Docker 20.10 or later)",
				 e->host, x.api_version, LAB_ENGINE_API_MIN);
		goto out;
	}
	if (theirs > engine_version_num(LAB_ENGINE_API_MAX))
		snprintf(e->version, sizeof(e->version), "%s", LAB_ENGINE_API_MAX);
	else
		snprintf(e->version, sizeof(e->version), "%d.%d", (int)(theirs / 1000), (int)(theirs % 1000));
	snprintf(e->podman, sizeof(e->podman), "%s", x.libpod_version);
	*out = e;
	e = NULL;
out:
	lab_buf_release(&x.errbody);
	lab_engine_free(e);
	return rc;
}

struct lab_engine *lab_engine_dup(const struct lab_engine *e)
{
	if (!e)
		return NULL;
	struct lab_engine *d = lab_xcalloc(1, sizeof(*d));
	d->host = lab_xstrdup(e->host);
	d->sock = lab_xstrdup(e->sock);
	d->base = lab_xstrdup(e->base);
	d->tls = e->tls;
	d->verify = e->verify;
	d->ca = lab_xstrdup(e->ca);
	d->cert = lab_xstrdup(e->cert);
	d->key = lab_xstrdup(e->key);
	memcpy(d->version, e->version, sizeof(d->version));
	memcpy(d->podman, e->podman, sizeof(d->podman));
	d->curl = curl_easy_init();
	if (!d->curl) {
		lab_engine_free(d);
		return NULL;
	}
	return d;
}

void lab_engine_free(struct lab_engine *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	free(e->host);
	free(e->sock);
	free(e->base);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e);
}

const char *lab_engine_api_version(const struct lab_engine *e)
{
	return e->version;
}

const char *lab_engine_host(const struct lab_engine *e)
{
	return e->host;
}

/* ---- public: requests ---- */

int lab_engine_request(struct lab_engine *e, const char *method, const char *path,
		       const char *json_body, long *status, struct lab_buf *resp,
		       struct lab_err *err)
{
	int rc = 0;
	struct engine_xfer x = {0};
	size_t keep_len = resp ? resp->len : 0;

	lab_buf_init(&x.errbody, 0);
	size_t keep_max = resp ? resp->max : 0;
	x.resp = resp;
	if (resp && (!resp->max || resp->max > LAB_ENGINE_BODY_MAX))
		resp->max = LAB_ENGINE_BODY_MAX;
	struct engine_req req = {
		.method = method, .path = path, .versioned = 1,
		.content_type = json_body ? "application/json" : NULL,
		.body = json_body, .body_len = json_body ? strlen(json_body) : 0,
	};
	rc = engine_perform(e, &req, &x, err);
	if (status)
		*status = x.status;
	if (rc == LAB_ERR && x.resp_over) {
		char *show = engine_show_path(path);
		rc = lab_err_set(err, LAB_EENGINE, "engine: %s %s: response larger than %u bytes",
				 method, show, LAB_ENGINE_BODY_MAX);
		free(show);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (!engine_ok_status(x.status))
		rc = engine_status_error(method, path, &x, err);
out:
	if (resp)
		resp->max = keep_max;
	if (rc < 0 && resp && resp->len > keep_len) {
		resp->len = keep_len;
		resp->data[keep_len] = '\0';
	}
	lab_buf_release(&x.errbody);
	return rc;
}

int lab_engine_json(struct lab_engine *e, const char *method, const char *path,
		    const cJSON *body, cJSON **out, struct lab_err *err)
{
	int rc = 0;
	char *json = NULL;
	struct lab_buf resp = LAB_BUF_INIT;

	if (out)
		*out = NULL;
	if (body) {
		json = cJSON_PrintUnformatted(body);
		if (!json) {
			rc = lab_err_set(err, LAB_ERR, "engine: %s %s: cannot serialise the request", method, path);
			goto out;
		}
	}
	lab_buf_init(&resp, LAB_ENGINE_BODY_MAX);
	if ((rc = lab_engine_request(e, method, path, json, NULL, out ? &resp : NULL, err)) < 0)
		goto out;
	if (!out)
		goto out;
	size_t b = 0;
	while (b < resp.len && isspace((unsigned char)resp.data[b]))
		b++;
	if (b == resp.len)
		goto out;
	*out = cJSON_ParseWithLength(resp.data + b, resp.len - b);
	if (!*out) {
		char *show = engine_show_path(path);
		rc = lab_err_set(err, LAB_EENGINE, "engine: %s %s: response is not JSON: '%.100s'", method,
				 show, resp.data + b);
		free(show);
	}
out:
	if (json)
		cJSON_free(json);
	lab_buf_release(&resp);
	return rc;
}

int lab_engine_stream(struct lab_engine *e, const char *method, const char *path,
		      const char *content_type, const void *body, size_t body_len,
		      lab_engine_data_fn on_data, void *ud, long timeout_ms,
		      struct lab_err *err)
{
	int rc = 0;
	struct engine_xfer x = {0};
	int saved_code = err ? err->code : 0;

	/* tell "the callback set err" from "it did not" */
	if (err)
		err->code = 0;
	lab_buf_init(&x.errbody, 0);
	x.on_data = on_data;
	x.ud = ud;
	struct engine_req req = {
		.method = method, .path = path, .versioned = 1, .content_type = content_type,
		.body = body, .body_len = body ? body_len : 0, .timeout_ms = timeout_ms,
	};
	rc = engine_perform(e, &req, &x, err);
	if (rc == LAB_ERR && x.stopped) {
		if (err && err->code)
			rc = err->code;
		else
			rc = lab_err_set(err, LAB_ERR, "engine: %s %s: stopped", method, path);
		goto out;
	}
	if (rc < 0)
		goto out;
	if (!engine_ok_status(x.status))
		rc = engine_status_error(method, path, &x, err);
out:
	if (err && rc == 0)
		err->code = saved_code;
	lab_buf_release(&x.errbody);
	return rc;
}

/* ---- images ---- */

int lab_engine_image_inspect(struct lab_engine *e, const char *name, cJSON **doc, struct lab_err *err)
{
	char *esc = engine_path_escape(name);
	char *path = lab_xasprintf("/images/%s/json", esc);
	*doc = NULL;
	int rc = lab_engine_json(e, "GET", path, NULL, doc, err);
	free(esc);
	free(path);
	return rc;
}

int lab_engine_image_id(struct lab_engine *e, const char *name, char **id_out, struct lab_err *err)
{
	int rc = 0;
	char *esc = engine_path_escape(name);
	char *path = lab_xasprintf("/images/%s/json", esc);
	cJSON *doc = NULL;

	if (id_out)
		*id_out = NULL;
	if ((rc = lab_engine_json(e, "GET", path, NULL, &doc, err)) < 0)
		goto out;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "Id");
	if (!cJSON_IsString(id)) {
		rc = lab_err_set(err, LAB_EENGINE, "engine: GET /images/%s/json: no Id in the answer", name);
		goto out;
	}
	if (id_out)
		*id_out = lab_xstrdup(id->valuestring);
out:
	cJSON_Delete(doc);
	free(path);
	free(esc);
	return rc;
}

struct engine_jsonl_ctx {
	struct lab_jsonl j;
	lab_progress_fn progress;
	void *ud;
	struct lab_err *err;
};

static int engine_jsonl_data(const char *data, size_t len, void *ud)
{
	struct engine_jsonl_ctx *c = ud;
	return lab_jsonl_feed(&c->j, data, len, c->progress, c->ud, c->err) != 0;
}

/* "KEY=VALUE" vector -> escaped JSON object for a query parameter. */
static char *engine_kv_query(const struct lab_strv *kv)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; kv && i < kv->n; i++) {
		const char *eq = strchr(kv->v[i], '=');
		char *k = eq ? lab_xstrndup(kv->v[i], (size_t)(eq - kv->v[i])) : lab_xstrdup(kv->v[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddStringToObject(o, k, eq ? eq + 1 : "");
		free(k);
	}
	char *json = cJSON_PrintUnformatted(o);
	char *esc = lab_engine_escape(json ? json : "{}");
	if (json)
		cJSON_free(json);
	cJSON_Delete(o);
	return esc;
}

int lab_engine_image_build(struct lab_engine *e, const char *context_dir, const char *dockerfile,
			   const char *tag, const struct lab_strv *build_args,
			   const struct lab_strv *labels, const char *target,
			   lab_progress_fn progress, void *ud, struct lab_err *err)
{
	int rc = 0;
	struct lab_buf tar = LAB_BUF_INIT;
	struct lab_buf path = LAB_BUF_INIT;
	struct engine_jsonl_ctx ctx = {.progress = progress, .ud = ud, .err = err};
	char *tmp = NULL;
	const char *subject = tag ? tag : context_dir;

	lab_jsonl_init(&ctx.j);
	if (!dockerfile)
		dockerfile = "Dockerfile";
	if ((rc = lab_context_tar(&tar, context_dir, dockerfile, err)) < 0)
		goto out;

	lab_buf_puts(&path, "/build?rm=1&forcerm=1");
	if (tag) {
		tmp = lab_engine_escape(tag);
		lab_buf_printf(&path, "&t=%s", tmp);
		free(tmp);
	}
	tmp = lab_engine_escape(dockerfile);
	lab_buf_printf(&path, "&dockerfile=%s", tmp);
	free(tmp);
	if (build_args && build_args->n) {
		tmp = engine_kv_query(build_args);
		lab_buf_printf(&path, "&buildargs=%s", tmp);
		free(tmp);
	}
	if (labels && labels->n) {
		tmp = engine_kv_query(labels);
		lab_buf_printf(&path, "&labels=%s", tmp);
		free(tmp);
	}
	if (target && *target) {
		tmp = lab_engine_escape(target);
		lab_buf_printf(&path, "&target=%s", tmp);
		free(tmp);
	}
	tmp = NULL;

	rc = lab_engine_stream(e, "POST", path.data, "application/x-tar", tar.data, tar.len,
			       engine_jsonl_data, &ctx, 0, err);
	if (rc == 0)
		rc = lab_jsonl_finish(&ctx.j, progress, ud, err);
	if (rc < 0) {
		lab_err_prefix(err, "build '%s'", subject);
		goto out;
	}
	if (ctx.j.error) {
		rc = lab_err_set(err, LAB_EENGINE, "build '%s': %s", subject, ctx.j.error);
		goto out;
	}
out:
	lab_jsonl_release(&ctx.j);
	lab_buf_release(&path);
	lab_buf_release(&tar);
	return rc;
}

int lab_engine_image_pull(struct lab_engine *e, const char *ref, lab_progress_fn progress,
			  void *ud, struct lab_err *err)
{
	int rc = 0;
	char *repo = NULL, *tag = NULL, *erepo = NULL, *etag = NULL, *path = NULL;
	struct engine_jsonl_ctx ctx = {.progress = progress, .ud = ud, .err = err};

	lab_jsonl_init(&ctx.j);
	const char *at = strchr(ref, '@');
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	if (at) {
		repo = lab_xstrndup(ref, (size_t)(at - ref));
		tag = lab_xstrdup(at + 1);
	} else if (colon && (!slash || colon > slash)) {
		repo = lab_xstrndup(ref, (size_t)(colon - ref));
		tag = lab_xstrdup(colon + 1);
	} else {
		repo = lab_xstrdup(ref);
		tag = lab_xstrdup("latest");
	}
	if (!*repo || !*tag) {
		rc = lab_err_set(err, LAB_EINPUT, "pull '%s': not an image reference", ref);
		goto out;
	}
	erepo = lab_engine_escape(repo);
	etag = lab_engine_escape(tag);
	path = lab_xasprintf("/images/create?fromImage=%s&tag=%s", erepo, etag);
	rc = lab_engine_stream(e, "POST", path, NULL, NULL, 0, engine_jsonl_data, &ctx, 0, err);
	if (rc == 0)
		rc = lab_jsonl_finish(&ctx.j, progress, ud, err);
	if (rc < 0) {
		lab_err_prefix(err, "pull '%s'", ref);
		goto out;
	}
	if (ctx.j.error)
		rc = lab_err_set(err, LAB_EENGINE, "pull '%s': %s", ref, ctx.j.error);
out:
	lab_jsonl_release(&ctx.j);
	free(path);
	free(etag);
	free(erepo);
	free(tag);
	free(repo);
	return rc;
}

/* ---- containers, networks, volumes ---- */

/* "<base>?<sep>filters={"label":[label, ...]}" (one per '\n'-separated
 * part of label_filter; the engine ANDs them) or just base. */
static char *engine_filtered(const char *base, const char *label_filter)
{
	if (!label_filter || !*label_filter)
		return lab_xstrdup(base);
	cJSON *f = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(f, "label");
	for (const char *p = label_filter; *p;) {
		size_t n = strcspn(p, "\n");
		char *one = lab_xstrndup(p, n);
		cJSON_AddItemToArray(arr, cJSON_CreateString(one));
		free(one);
		p += n;
		if (*p)
			p++;
	}
	char *json = cJSON_PrintUnformatted(f);
	char *esc = lab_engine_escape(json ? json : "{}");
	char *path = lab_xasprintf("%s%sfilters=%s", base, strchr(base, '?') ? "&" : "?", esc);
	if (json)
		cJSON_free(json);
	free(esc);
	cJSON_Delete(f);
	return path;
}

/* Run a request whose answer is an object with a string field; *out gets it. */
static int engine_json_field(struct lab_engine *e, const char *method, const char *path,
			     const cJSON *body, const char *field, char **out, struct lab_err *err)
{
	int rc = 0;
	cJSON *doc = NULL;

	if (out)
		*out = NULL;
	if ((rc = lab_engine_json(e, method, path, body, &doc, err)) < 0)
		goto out;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, field);
	if (!cJSON_IsString(v)) {
		char *show = engine_show_path(path);
		rc = lab_err_set(err, LAB_EENGINE, "engine: %s %s: no '%s' in the answer", method, show, field);
		free(show);
		goto out;
	}
	if (out)
		*out = lab_xstrdup(v->valuestring);
out:
	cJSON_Delete(doc);
	return rc;
}

static int engine_list(struct lab_engine *e, const char *base, const char *label_filter,
		       cJSON **out, struct lab_err *err)
{
	char *path = engine_filtered(base, label_filter);
	int rc = lab_engine_json(e, "GET", path, NULL, out, err);
	if (rc == 0 && out && !cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		char *show = engine_show_path(path);
		rc = lab_err_set(err, LAB_EENGINE, "engine: GET %s: expected a JSON array", show);
		free(show);
	}
	free(path);
	return rc;
}

/* Method + "/<kind>/<escaped id><suffix>" with no body and no answer. */
static int engine_simple(struct lab_engine *e, const char *method, const char *kind, const char *id,
			 const char *suffix, struct lab_err *err)
{
	char *esc = lab_engine_escape(id);
	char *path = lab_xasprintf("/%s/%s%s", kind, esc, suffix ? suffix : "");
	int rc = lab_engine_request(e, method, path, NULL, NULL, NULL, err);
	free(path);
	free(esc);
	return rc;
}

int lab_engine_containers(struct lab_engine *e, const char *label_filter, cJSON **out,
			  struct lab_err *err)
{
	return engine_list(e, "/containers/json?all=1", label_filter, out, err);
}

int lab_engine_container_create(struct lab_engine *e, const char *name, const cJSON *body,
				char **id_out, struct lab_err *err)
{
	return lab_engine_container_create_on(e, name, NULL, body, id_out, err);
}

int lab_engine_container_create_on(struct lab_engine *e, const char *name, const char *platform,
				   const cJSON *body, char **id_out, struct lab_err *err)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "/containers/create");
	if (name && *name) {
		char *esc = lab_engine_escape(name);
		lab_buf_printf(&b, "?name=%s", esc);
		free(esc);
	}
	if (platform && *platform) {
		char *esc = lab_engine_escape(platform);
		lab_buf_printf(&b, "%splatform=%s", name && *name ? "&" : "?", esc);
		free(esc);
	}
	char *path = lab_buf_detach(&b);
	int rc = engine_json_field(e, "POST", path, body, "Id", id_out, err);
	free(path);
	return rc;
}

int lab_engine_container_start(struct lab_engine *e, const char *id, struct lab_err *err)
{
	return engine_simple(e, "POST", "containers", id, "/start", err);
}

int lab_engine_container_restart(struct lab_engine *e, const char *id, struct lab_err *err)
{
	return engine_simple(e, "POST", "containers", id, "/restart", err);
}

int lab_engine_container_stop(struct lab_engine *e, const char *id, int timeout_s, struct lab_err *err)
{
	char suffix[48];
	if (timeout_s == LAB_STOP_TIMEOUT_CONTAINER)
		snprintf(suffix, sizeof(suffix), "/stop");
	else
		snprintf(suffix, sizeof(suffix), "/stop?t=%d", timeout_s < 0 ? 0 : timeout_s);
	return engine_simple(e, "POST", "containers", id, suffix, err);
}

int lab_engine_container_remove(struct lab_engine *e, const char *id, int anon_volumes,
				struct lab_err *err)
{
	return engine_simple(e, "DELETE", "containers", id, anon_volumes ? "?force=1&v=1" : "?force=1&v=0",
			     err);
}

int lab_engine_container_inspect(struct lab_engine *e, const char *id, cJSON **out,
				 struct lab_err *err)
{
	char *esc = lab_engine_escape(id);
	char *path = lab_xasprintf("/containers/%s/json", esc);
	int rc = lab_engine_json(e, "GET", path, NULL, out, err);
	free(path);
	free(esc);
	return rc;
}

const char *lab_engine_podman(const struct lab_engine *e)
{
	return e && e->podman[0] ? e->podman : NULL;
}

int lab_engine_podman_healthcheck(struct lab_engine *e, const char *id, char **status, struct lab_err *err)
{
	*status = NULL;
	cJSON *out = NULL;
	char *esc = lab_engine_escape(id);
	char *path = lab_xasprintf("/libpod/containers/%s/healthcheck", esc);
	int rc = lab_engine_json(e, "GET", path, NULL, &out, err);
	if (rc == 0) {
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "Status"));
		if (st)
			*status = lab_xstrdup(st);
		else
			rc = lab_err_set(err, LAB_EENGINE, "engine: GET %s: no Status in the answer", path);
	}
	cJSON_Delete(out);
	free(path);
	free(esc);
	return rc;
}

int lab_engine_networks(struct lab_engine *e, const char *label_filter, cJSON **out,
			struct lab_err *err)
{
	return engine_list(e, "/networks", label_filter, out, err);
}

int lab_engine_network_create(struct lab_engine *e, const cJSON *body, char **id_out,
			      struct lab_err *err)
{
	return engine_json_field(e, "POST", "/networks/create", body, "Id", id_out, err);
}

int lab_engine_network_remove(struct lab_engine *e, const char *id, struct lab_err *err)
{
	return engine_simple(e, "DELETE", "networks", id, NULL, err);
}

int lab_engine_volumes(struct lab_engine *e, const char *label_filter, cJSON **out,
		       struct lab_err *err)
{
	int rc = 0;
	cJSON *doc = NULL;
	char *path = engine_filtered("/volumes", label_filter);

	if (out)
		*out = NULL;
	if ((rc = lab_engine_json(e, "GET", path, NULL, &doc, err)) < 0)
		goto out;
	cJSON *vols = cJSON_DetachItemFromObjectCaseSensitive(doc, "Volumes");
	if (!cJSON_IsArray(vols)) {
		cJSON_Delete(vols);
		vols = cJSON_CreateArray();
	}
	if (out)
		*out = vols;
	else
		cJSON_Delete(vols);
out:
	cJSON_Delete(doc);
	free(path);
	return rc;
}

int lab_engine_volume_create(struct lab_engine *e, const cJSON *body, struct lab_err *err)
{
	return lab_engine_json(e, "POST", "/volumes/create", body, NULL, err);
}

int lab_engine_volume_remove(struct lab_engine *e, const char *name, struct lab_err *err)
{
	return engine_simple(e, "DELETE", "volumes", name, NULL, err);
}

/* ---- logs and exec ---- */

struct engine_mux_ctx {
	int raw;               /* TTY: no frames */
	struct lab_frames f;
	lab_output_fn out;
	void *ud;
	int user_stopped;      /* out returned non-zero */
	struct lab_err *err;
};

static int engine_mux_data(const char *data, size_t len, void *ud)
{
	struct engine_mux_ctx *c = ud;
	if (c->raw) {
		if (c->out && c->out(1, data, len, c->ud) != 0) {
			c->user_stopped = 1;
			return 1;
		}
		return 0;
	}
	int rc = lab_frames_feed(&c->f, data, len, c->out, c->ud, c->err);
	if (rc == 1)
		c->user_stopped = 1;
	return rc != 0;
}

/* Stream path into out, decoding frames unless raw. Returns 0 also when out
 * stopped the stream (*stopped = 1). */
static int engine_mux_stream(struct lab_engine *e, const char *method, const char *path,
			     const char *json_body, int raw, lab_output_fn out, void *ud,
			     int *stopped, struct lab_err *err)
{
	struct engine_mux_ctx c = {.raw = raw, .out = out, .ud = ud, .err = err};
	lab_frames_init(&c.f);
	*stopped = 0;
	int rc = lab_engine_stream(e, method, path, json_body ? "application/json" : NULL, json_body,
				   json_body ? strlen(json_body) : 0, engine_mux_data, &c, 0, err);
	if (rc < 0 && c.user_stopped)
		rc = 0;
	*stopped = c.user_stopped;
	if (rc == 0 && !raw && !c.user_stopped && !lab_frames_complete(&c.f)) {
		char *show = engine_show_path(path);
		rc = lab_err_set(err, LAB_EENGINE, "engine: %s %s: output ended in the middle of a frame",
				 method, show);
		free(show);
	}
	return rc;
}

int lab_engine_logs(struct lab_engine *e, const char *id, long tail, int follow,
		    lab_output_fn out, void *ud, struct lab_err *err)
{
	int rc = 0, stopped = 0;
	cJSON *info = NULL;
	char *esc = lab_engine_escape(id);
	char *path = NULL;
	char tailbuf[32];

	if ((rc = lab_engine_container_inspect(e, id, &info, err)) < 0)
		goto out;
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(info, "Config");
	int tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "Tty"));
	if (tail < 0)
		snprintf(tailbuf, sizeof(tailbuf), "all");
	else
		snprintf(tailbuf, sizeof(tailbuf), "%ld", tail);
	path = lab_xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=%s&follow=%d", esc, tailbuf,
			     follow ? 1 : 0);
	rc = engine_mux_stream(e, "GET", path, NULL, tty, out, ud, &stopped, err);
out:
	cJSON_Delete(info);
	free(path);
	free(esc);
	return rc;
}

int lab_engine_service_logs(struct lab_engine *e, const char *id, lab_output_fn out, void *ud, struct lab_err *err)
{
	int stopped = 0;
	char *esc = lab_engine_escape(id);
	char *path = lab_xasprintf("/services/%s/logs?stdout=1&stderr=1", esc);
	int rc = engine_mux_stream(e, "GET", path, NULL, 0, out, ud, &stopped, err);
	free(path);
	free(esc);
	return rc;
}

static cJSON *engine_strv_json(const struct lab_strv *sv)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; sv && i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
	return a;
}

int lab_engine_exec(struct lab_engine *e, const char *id, char *const argv[],
		    const struct lab_strv *env, const char *user, const char *workdir,
		    lab_output_fn out, void *ud, int *exit_code, struct lab_err *err)
{
	int rc = 0, stopped = 0;
	cJSON *body = cJSON_CreateObject();
	cJSON *info = NULL;
	char *esc = lab_engine_escape(id);
	char *path = NULL, *exec_id = NULL, *eid = NULL;

	if (exit_code)
		*exit_code = -1;
	if (!argv || !argv[0]) {
		rc = lab_err_set(err, LAB_EINPUT, "exec in '%s': no command", id);
		goto out;
	}
	cJSON_AddBoolToObject(body, "AttachStdin", 0);
	cJSON_AddBoolToObject(body, "AttachStdout", 1);
	cJSON_AddBoolToObject(body, "AttachStderr", 1);
	cJSON_AddBoolToObject(body, "Tty", 0);
	cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");
	for (size_t i = 0; argv[i]; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	if (env && env->n)
		cJSON_AddItemToObject(body, "Env", engine_strv_json(env));
	if (user && *user)
		cJSON_AddStringToObject(body, "User", user);
	if (workdir && *workdir)
		cJSON_AddStringToObject(body, "WorkingDir", workdir);
	path = lab_xasprintf("/containers/%s/exec", esc);
	if ((rc = engine_json_field(e, "POST", path, body, "Id", &exec_id, err)) < 0)
		goto out;

	eid = lab_engine_escape(exec_id);
	free(path);
	path = lab_xasprintf("/exec/%s/start", eid);
	rc = engine_mux_stream(e, "POST", path, "{\"Detach\":false,\"Tty\":false}", 0, out, ud,
			       &stopped, err);
	if (rc < 0)
		goto out;

	free(path);
	path = lab_xasprintf("/exec/%s/json", eid);
	if ((rc = lab_engine_json(e, "GET", path, NULL, &info, err)) < 0)
		goto out;
	const cJSON *running = cJSON_GetObjectItemCaseSensitive(info, "Running");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(info, "ExitCode");
	if (exit_code && !cJSON_IsTrue(running) && cJSON_IsNumber(code))
		*exit_code = code->valueint;
out:
	cJSON_Delete(body);
	cJSON_Delete(info);
	free(path);
	free(exec_id);
	free(eid);
	free(esc);
	return rc;
}

static int ignore_data(const char *data, size_t len, void *ud)
{
	return 0;
}

int lab_engine_put_archive(struct lab_engine *e, const char *id, const char *dir, const void *tar,
			   size_t len, struct lab_err *err)
{
	char *eid = lab_engine_escape(id), *edir = lab_engine_escape(dir);
	char *path = lab_xasprintf("/containers/%s/archive?path=%s", eid, edir);
	int rc = lab_engine_stream(e, "PUT", path, "application/x-tar", tar, len, ignore_data, NULL, 0, err);
	free(path);
	free(eid);
	free(edir);
	return rc;
}

int lab_engine_get_archive(struct lab_engine *e, const char *id, const char *path, struct lab_buf *out,
			   struct lab_err *err)
{
	char *eid = lab_engine_escape(id), *epath = lab_engine_escape(path);
	char *p = lab_xasprintf("/containers/%s/archive?path=%s", eid, epath);
	int rc = lab_engine_request(e, "GET", p, NULL, NULL, out, err);
	free(p);
	free(eid);
	free(epath);
	return rc;
}
