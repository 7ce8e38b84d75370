#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "../lazy/lazy.h"
#include "../s3/s3.h"
#include "../util/buf.h"

int lab_probe_tcp(const char *host, int port, int timeout_ms, struct lab_err *err)
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

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	return s * n;
}

int lab_probe_http(const char *url, int expect_status, int timeout_ms, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *c = curl_easy_init();
	if (!c)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	long status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = lab_err_set(err, LAB_ERR, "GET %s: %s", url, curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != expect_status)
			rc = lab_err_set(err, LAB_ERR, "GET %s: status %ld, want %d", url, status, expect_status);
	}
	curl_easy_cleanup(c);
	return rc;
}

int lab_probe_postgres(const char *host, int port, const char *user, const char *password,
		       const char *dbname, int timeout_ms, struct lab_err *err)
{
	char portstr[16], timeout[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(timeout, sizeof(timeout), "%d", timeout_ms < 1000 ? 1 : timeout_ms / 1000);
	const char *keys[8], *vals[8];
	int n = 0;
#define KV(k, v)                                                                                   \
	do {                                                                                       \
		if (v) {                                                                           \
			keys[n] = k;                                                               \
			vals[n++] = v;                                                             \
		}                                                                                  \
	} while (0)
	KV("host", host);
	const char *port_s = portstr, *timeout_s = timeout;
	KV("port", port_s);
	KV("user", user);
	KV("password", password);
	KV("dbname", dbname);
	KV("connect_timeout", timeout_s);
#undef KV
	keys[n] = vals[n] = NULL;
	int rc = lab_lazy_load(LAB_LAZY_PQ, err);
	if (rc < 0)
		return rc;
	PGresult *res = NULL;
	PGconn *conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);
		size_t len = strlen(m);
		while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		rc = lab_err_set(err, LAB_ERR, "postgres %s:%d: %.*s", host ? host : "", port, (int)len, m);
		goto out;
	}
	res = PQexec(conn, "select 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = lab_err_set(err, LAB_ERR, "postgres %s:%d: select 1: %s", host ? host : "", port,
				 PQresultErrorMessage(res));
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}

struct log_match {
	regex_t re;
	struct lab_buf line;
	int matched;
};

static int log_line_check(struct log_match *lm)
{
	if (regexec(&lm->re, lab_buf_cstr(&lm->line), 0, NULL, 0) == 0)
		lm->matched = 1;
	lab_buf_reset(&lm->line);
	return lm->matched;
}

static int log_chunk(int stream, const char *data, size_t len, void *ud)
{
	struct log_match *lm = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (log_line_check(lm))
				return 1;
		} else if (lm->line.len < 64 * 1024) {
			lab_buf_append(&lm->line, &data[i], 1);
		}
	}
	return 0;
}

int lab_probe_log(struct lab_engine *e, const char *container_id, const char *regex,
		  struct lab_err *err)
{
	struct log_match lm = {.matched = 0};
	lab_buf_init(&lm.line, 0);
	int rc = regcomp(&lm.re, regex, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &lm.re, msg, sizeof(msg));
		return lab_err_set(err, LAB_EINPUT, "invalid log regex '%s': %s", regex, msg);
	}
	struct lab_err lerr = {0};
	rc = lab_engine_logs(e, container_id, 1000, 0, log_chunk, &lm, &lerr);
	if (!lm.matched && lm.line.len)
		log_line_check(&lm);
	if (lm.matched)
		rc = 0;
	else if (rc < 0 && rc != LAB_ERR)
		rc = lab_err_set(err, rc, "%s", lerr.msg);
	else
		rc = lab_err_set(err, LAB_ERR, "no log line matches '%s' yet", regex);
	regfree(&lm.re);
	lab_buf_release(&lm.line);
	return rc;
}

static void kafka_quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* connection refused while the broker starts is expected: say nothing */
}

int lab_probe_kafka(const char *bootstrap, int want_brokers, int timeout_ms, struct lab_err *err)
{
	char errstr[512];
	int rc = lab_lazy_load(LAB_LAZY_RDKAFKA, err);
	if (rc < 0)
		return rc;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char tmo[16];
	snprintf(tmo, sizeof(tmo), "%d", timeout_ms);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "socket.timeout.ms", tmo, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log.connection.close", "false", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    /* while the broker starts, a published port accepts and closes
	       (docker-proxy); librdkafka's default backoff (100 ms doubling to
	       10 s) would then sleep past the moment the broker is up */
	    rd_kafka_conf_set(conf, "reconnect.backoff.ms", "10", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "50", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return lab_err_set(err, LAB_EINPUT, "kafka probe '%s': %s", bootstrap, errstr);
	}
	rd_kafka_conf_set_log_cb(conf, kafka_quiet_log);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		return lab_err_set(err, LAB_ERR, "kafka probe '%s': %s", bootstrap, errstr);
	}
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		rc = lab_err_set(err, LAB_ERR, "kafka metadata from %s: %s", bootstrap, rd_kafka_err2str(e));
	else if (md->broker_cnt < want_brokers)
		rc = lab_err_set(err, LAB_ERR, "kafka metadata from %s lists %d of %d brokers", bootstrap,
				 md->broker_cnt, want_brokers);
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return rc;
}

int lab_probe_s3(const char *endpoint, const char *access_key, const char *secret_key,
		 const char *region, int timeout_ms, struct lab_err *err)
{
	struct lab_s3 s3 = {endpoint, access_key, secret_key, region, timeout_ms};
	long status = 0;
	struct lab_buf resp = LAB_BUF_INIT;
	int rc = lab_s3_request(&s3, "GET", "/", NULL, 0, &status, &resp, err);
	if (rc == 0 && status != 200) {
		char *code = lab_s3_xml_field(lab_buf_cstr(&resp), "Code");
		rc = lab_err_set(err, LAB_ERR, "GET %s/: status %ld%s%s", endpoint, status, code ? " " : "",
				 code ? code : "");
		free(code);
	}
	lab_buf_release(&resp);
	return rc;
}
