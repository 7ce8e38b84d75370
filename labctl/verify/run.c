/* Running checks: one thread per check, a deadline each, and the seven
 * kinds (sql, kafka, s3, http, exec, file, log). */
#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "../plan/plan.h"
#include "../s3/s3.h"
#include "verify.h"

#define BODY_MAX (16u << 20)
#define STDOUT_MAX (1u << 20)

struct vsync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct vjob {
	const struct lab *lab;
	const struct lab_check *check;
	struct lab_engine *e;     /* own handle */
	const cJSON *containers;  /* the lab's containers, read only */
	const char *key;
	struct vsync *sync;
	int done;                 /* under sync->mu */
	double started, deadline; /* seconds, CLOCK_MONOTONIC */
	enum lab_verify_status status;
	char *observed, *expected, *message;
	long duration_ms;
	pthread_t th;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long left_ms(const struct vjob *j)
{
	long ms = (long)((j->deadline - now_s()) * 1000.0);
	return ms < 100 ? 100 : ms;
}

/* Set the outcome (first call wins). */
static void outcome(struct vjob *j, enum lab_verify_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void outcome(struct vjob *j, enum lab_verify_status st, const char *fmt, ...)
{
	if (j->message || j->status != LAB_VERIFY_PASSED)
		return;
	j->status = st;
	if (fmt) {
		struct lab_buf b = LAB_BUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		lab_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		j->message = lab_buf_detach(&b);
	}
}

static void set_str(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* Id of the running container of service (replica 1), or NULL with the
 * outcome set. */
static const char *container_of(struct vjob *j, const char *service)
{
	const cJSON *c;
	const char *state = NULL;
	cJSON_ArrayForEach(c, j->containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
		const char *rep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_REPLICA));
		if (!svc || strcmp(svc, service) != 0 || !rep || atoi(rep) != 1)
			continue;
		state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "State"));
		if (state && strcmp(state, "running") == 0)
			return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id"));
	}
	outcome(j, LAB_VERIFY_ERROR, "service '%s' is not running%s%s (labctl up %s)", service, state ? ": " : "",
		state ? state : "", j->lab->project);
	return NULL;
}

/* Where the host reaches container port `port` of service: its published
 * binding on 127.0.0.1, else the container's address on the lab network
 * (as up's probes). "host:port" with IPv6 hosts in brackets, or NULL with
 * the outcome set. */
static char *endpoint(struct vjob *j, const char *service, int port)
{
	const char *id = container_of(j, service);
	cJSON *in = NULL;
	struct lab_err err = {0};
	char *out = NULL;
	if (!id)
		return NULL;
	if (lab_engine_container_inspect(j->e, id, &in, &err) < 0) {
		outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
		return NULL;
	}
	char key[32];
	snprintf(key, sizeof(key), "%d/tcp", port);
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings");
	const cJSON *b = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ns, "Ports"), key), 0);
	const char *hp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostPort"));
	const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "HostIp"));
	if (hp && *hp) {
		if (!ip || !*ip || strcmp(ip, "0.0.0.0") == 0)
			ip = "127.0.0.1";
		if (strcmp(ip, "::") == 0)
			ip = "::1";
		out = lab_xasprintf(strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip, hp);
	} else {
		const cJSON *n;
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(ns, "Networks"))
		{
			const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "IPAddress"));
			if (a && *a && !out)
				out = lab_xasprintf("%s:%d", a, port);
		}
	}
	if (!out)
		outcome(j, LAB_VERIFY_ERROR, "no address for port %d of service '%s'", port, service);
	cJSON_Delete(in);
	return out;
}

/* Compare against the check's expectation; fails the check when it does
 * not hold. Returns 1 when it holds. */
static int expect(struct vjob *j, const char *observed, const char *what)
{
	char *want = NULL;
	int ok = lab_verify_compare(&j->check->expect, observed, j->key, &want);
	if (!ok) {
		if (j->check->expect.equals_hash && !j->check->expect.equals && !j->check->expect.has_min &&
		    !j->check->expect.has_max)
			outcome(j, LAB_VERIFY_FAILED, "%s '%s' is not the expected answer", what, observed);
		else
			outcome(j, LAB_VERIFY_FAILED, "%s is '%s', want %s", what, observed, want);
	}
	set_str(&j->expected, want);
	return ok;
}

static int has_expect(const struct lab_expect *e)
{
	return e->equals || e->equals_hash || e->has_min || e->has_max;
}

/* ---- sql ---- */

static void run_sql(struct vjob *j)
{
	const struct lab_check *c = j->check;
	const struct lab_service *svc = lab_find_service(j->lab, c->service);
	const struct lab_ready *rd = &svc->ready;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *ep = NULL;
	struct lab_buf obs = LAB_BUF_INIT;
	if (!rd->pg_port) {
		outcome(j, LAB_VERIFY_ERROR, "service '%s' has no x-ready postgres probe (port and credentials)",
			c->service);
		goto out;
	}
	if (!(ep = endpoint(j, c->service, rd->pg_port)))
		goto out;
	char *colon = strrchr(ep, ':');
	*colon = '\0';
	char *host = ep[0] == '[' ? ep + 1 : ep;
	if (host != ep)
		host[strlen(host) - 1] = '\0';
	char ctimeout[24], options[64];
	snprintf(ctimeout, sizeof(ctimeout), "%ld", (left_ms(j) + 999) / 1000);
	/* the server cancels the query itself when the check's time is up */
	snprintf(options, sizeof(options), "-c statement_timeout=%ld", left_ms(j));
	const char *keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", "options", NULL};
	const char *vals[] = {host,
			      colon + 1,
			      rd->pg_user ? rd->pg_user : "postgres",
			      rd->pg_password ? rd->pg_password : "",
			      rd->pg_database ? rd->pg_database : (rd->pg_user ? rd->pg_user : "postgres"),
			      ctimeout,
			      options,
			      NULL};
	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);
		size_t len = strlen(m);
		while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		outcome(j, LAB_VERIFY_ERROR, "postgres %s:%s: %.*s", host, colon + 1, (int)len, m);
		goto out;
	}
	res = PQexec(conn, c->query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			m = "the query returned no result set";
		/* a missing table or column is work left to do, not an error */
		enum lab_verify_status st = !state ? LAB_VERIFY_ERROR
					    : strcmp(state, "57014") == 0 ? LAB_VERIFY_TIMEOUT
					    : strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 ? LAB_VERIFY_FAILED
													   : LAB_VERIFY_ERROR;
		outcome(j, st, "sql: %s", m ? m : PQresultErrorMessage(res));
		if (st == LAB_VERIFY_FAILED)
			lab_verify_compare(&c->expect, "", j->key, &j->expected);
		goto out;
	}
	int nr = PQntuples(res), nc = PQnfields(res);
	if (c->has_rows) {
		struct lab_buf want = LAB_BUF_INIT;
		int ok = (size_t)nr == c->rows.n;
		lab_buf_puts(&obs, "");
		lab_buf_puts(&want, "");
		for (int r = 0; r < nr; r++) {
			struct lab_buf row = LAB_BUF_INIT;
			lab_buf_puts(&row, "");
			for (int k = 0; k < nc; k++)
				lab_buf_printf(&row, "%s%s", k ? "|" : "", PQgetisnull(res, r, k) ? "null" : PQgetvalue(res, r, k));
			if ((size_t)r < c->rows.n && strcmp(lab_buf_cstr(&row), c->rows.v[r]) != 0)
				ok = 0;
			lab_buf_printf(&obs, "%s%s", r ? "\n" : "", lab_buf_cstr(&row));
			lab_buf_release(&row);
		}
		for (size_t r = 0; r < c->rows.n; r++)
			lab_buf_printf(&want, "%s%s", r ? "\n" : "", c->rows.v[r]);
		j->expected = lab_buf_detach(&want);
		if (!ok)
			outcome(j, LAB_VERIFY_FAILED, "the query returned %d row%s, not the %zu expected", nr,
				nr == 1 ? "" : "s", c->rows.n);
		else if (has_expect(&c->expect))
			j->expected = (free(j->expected), NULL);
		lab_buf_release(&want);
		j->observed = lab_buf_detach(&obs);
		if (!ok || !has_expect(&c->expect))
			goto out;
		lab_buf_release(&obs);
		free(j->observed);
		j->observed = NULL;
	}
	if (nr == 0 || nc == 0) {
		outcome(j, LAB_VERIFY_FAILED, "the query returned no rows");
		j->observed = lab_xstrdup("");
		lab_verify_compare(&c->expect, "", j->key, &j->expected);
		goto out;
	}
	j->observed = lab_xstrdup(PQgetisnull(res, 0, 0) ? "null" : PQgetvalue(res, 0, 0));
	expect(j, j->observed, "the result");
out:
	lab_buf_release(&obs);
	PQclear(res);
	PQfinish(conn);
	free(ep);
}

/* ---- kafka ---- */

static void kafka_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

static void run_kafka(struct vjob *j)
{
	const struct lab_check *c = j->check;
	const struct lab_service *svc = lab_find_service(j->lab, c->service);
	rd_kafka_t *rk = NULL;
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_group_list *gl = NULL;
	rd_kafka_topic_partition_list_t *tpl = NULL;
	int64_t *lows = NULL, *highs = NULL;
	struct lab_buf obs = LAB_BUF_INIT, want = LAB_BUF_INIT, why = LAB_BUF_INIT;
	char *bootstrap = NULL, errstr[512];
	int tmo = (int)left_ms(j);
	if (!svc->ready.kafka_port) {
		outcome(j, LAB_VERIFY_ERROR, "service '%s' has no x-ready kafka probe (its host listener)", c->service);
		goto out;
	}
	if (!(bootstrap = endpoint(j, c->service, svc->ready.kafka_port)))
		goto out;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char tmos[24];
	snprintf(tmos, sizeof(tmos), "%d", tmo);
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "group.id", c->group ? c->group : "labctl-verify", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "socket.timeout.ms", tmos, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "log.connection.close", "false", errstr, sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, kafka_quiet);
	if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)))) {
		rd_kafka_conf_destroy(conf);
		outcome(j, LAB_VERIFY_ERROR, "kafka %s: %s", bootstrap, errstr);
		goto out;
	}
	/* all topics: asking for one by name could auto-create it */
	rd_kafka_resp_err_t ke = rd_kafka_metadata(rk, 1, NULL, &md, tmo);
	if (ke) {
		outcome(j, LAB_VERIFY_ERROR, "kafka metadata from %s: %s", bootstrap, rd_kafka_err2str(ke));
		goto out;
	}
	const struct rd_kafka_metadata_topic *t = NULL;
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, c->topic) == 0 && !md->topics[i].err)
			t = &md->topics[i];
	lab_buf_printf(&want, "topic '%s' exists", c->topic);
	if (!t) {
		j->observed = lab_xasprintf("topic '%s' does not exist", c->topic);
		outcome(j, LAB_VERIFY_FAILED, "topic '%s' does not exist", c->topic);
		goto out;
	}
	int rf = t->partition_cnt ? t->partitions[0].replica_cnt : 0;
	for (int p = 1; p < t->partition_cnt; p++)
		if (t->partitions[p].replica_cnt < rf)
			rf = t->partitions[p].replica_cnt;
	lab_buf_printf(&obs, "partitions=%d replication_factor=%d", t->partition_cnt, rf);
	if (c->partitions) {
		lab_buf_printf(&want, ", partitions=%d", c->partitions);
		if (t->partition_cnt != c->partitions)
			lab_buf_printf(&why, "; %d partitions, want %d", t->partition_cnt, c->partitions);
	}
	if (c->replication_factor) {
		lab_buf_printf(&want, ", replication_factor=%d", c->replication_factor);
		if (rf != c->replication_factor)
			lab_buf_printf(&why, "; replication factor %d, want %d", rf, c->replication_factor);
	}
	lows = lab_xcalloc((size_t)t->partition_cnt + 1, sizeof(*lows));
	highs = lab_xcalloc((size_t)t->partition_cnt + 1, sizeof(*highs));
	int64_t end = 0;
	for (int p = 0; p < t->partition_cnt; p++) {
		ke = rd_kafka_query_watermark_offsets(rk, c->topic, t->partitions[p].id, &lows[p], &highs[p],
						      (int)left_ms(j));
		if (ke) {
			outcome(j, LAB_VERIFY_ERROR, "kafka: end offset of '%s' [%d]: %s", c->topic, t->partitions[p].id,
				rd_kafka_err2str(ke));
			goto out;
		}
		end += highs[p];
	}
	lab_buf_printf(&obs, " end_offset=%lld", (long long)end);
	if (has_expect(&c->expect)) {
		char *w = NULL, num[32];
		snprintf(num, sizeof(num), "%lld", (long long)end);
		if (!lab_verify_compare(&c->expect, num, j->key, &w))
			lab_buf_printf(&why, "; end offset %s, want %s", num, w);
		lab_buf_printf(&want, ", end_offset %s", w);
		free(w);
	}
	if (c->group) {
		const char *state = "none";
		ke = rd_kafka_list_groups(rk, c->group, &gl, (int)left_ms(j));
		if (!ke && gl && gl->group_cnt > 0 && !gl->groups[0].err)
			state = gl->groups[0].state;
		tpl = rd_kafka_topic_partition_list_new(t->partition_cnt);
		for (int p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(tpl, c->topic, t->partitions[p].id);
		ke = rd_kafka_committed(rk, tpl, (int)left_ms(j));
		if (ke) {
			outcome(j, LAB_VERIFY_ERROR, "kafka: committed offsets of group '%s': %s", c->group,
				rd_kafka_err2str(ke));
			goto out;
		}
		int64_t lag = 0;
		int committed = 0;
		for (int p = 0; p < tpl->cnt; p++) {
			int64_t off = tpl->elems[p].offset;
			committed += off >= 0;
			lag += highs[p] - (off >= 0 ? off : lows[p]);
		}
		int exists = committed > 0 || (strcmp(state, "none") != 0 && strcmp(state, "Dead") != 0);
		lab_buf_printf(&want, ", group '%s' exists", c->group);
		if (!exists) {
			lab_buf_printf(&obs, " group=absent");
			lab_buf_printf(&why, "; consumer group '%s' does not exist", c->group);
		} else {
			lab_buf_printf(&obs, " group=%s lag=%lld", state, (long long)lag);
			if (c->max_lag >= 0 && lag > c->max_lag)
				lab_buf_printf(&why, "; group '%s' lags %lld behind, want <= %ld", c->group, (long long)lag,
					       c->max_lag);
		}
		if (c->max_lag >= 0)
			lab_buf_printf(&want, ", lag <= %ld", c->max_lag);
	}
	j->observed = lab_buf_detach(&obs);
	if (why.len)
		outcome(j, LAB_VERIFY_FAILED, "%s", lab_buf_cstr(&why) + 2);
out:
	if (!j->observed && obs.len)
		j->observed = lab_buf_detach(&obs);
	if (want.len)
		set_str(&j->expected, lab_buf_detach(&want));
	lab_buf_release(&obs);
	lab_buf_release(&want);
	lab_buf_release(&why);
	free(lows);
	free(highs);
	if (tpl)
		rd_kafka_topic_partition_list_destroy(tpl);
	if (gl)
		rd_kafka_group_list_destroy(gl);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rk)
		rd_kafka_destroy(rk);
	free(bootstrap);
}

/* ---- s3 ---- */

static char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = lab_xstrdup(e);
	curl_free(e);
	return out;
}

static void run_s3(struct vjob *j)
{
	const struct lab_check *c = j->check;
	const struct lab_service *svc = lab_find_service(j->lab, c->service);
	const struct lab_ready *rd = &svc->ready;
	struct lab_buf resp = LAB_BUF_INIT;
	struct lab_err err = {0};
	char *ep = NULL, *url = NULL, *path = NULL, *token = NULL;
	long status = 0;
	if (!rd->s3_port) {
		outcome(j, LAB_VERIFY_ERROR, "service '%s' has no x-ready s3 probe (port and keys)", c->service);
		goto out;
	}
	if (!(ep = endpoint(j, c->service, rd->s3_port)))
		goto out;
	url = lab_xasprintf("http://%s", ep);
	struct lab_s3 s3 = {url, rd->s3_access_key, rd->s3_secret_key, rd->s3_region, left_ms(j)};
	path = lab_xasprintf("/%s", c->bucket);
	j->expected = lab_xasprintf("bucket '%s' exists", c->bucket);
	if (lab_s3_request(&s3, "HEAD", path, NULL, 0, &status, NULL, &err) < 0) {
		outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	if (status == 404) {
		j->observed = lab_xasprintf("bucket '%s' does not exist", c->bucket);
		outcome(j, LAB_VERIFY_FAILED, "bucket '%s' does not exist", c->bucket);
		goto out;
	}
	if (status != 200) {
		outcome(j, LAB_VERIFY_ERROR, "HEAD %s%s: status %ld", url, path, status);
		goto out;
	}
	j->observed = lab_xasprintf("bucket '%s' exists", c->bucket);
	if (c->key) {
		free(path);
		path = lab_xasprintf("/%s/%s", c->bucket, c->key);
		lab_buf_init(&resp, BODY_MAX);
		set_str(&j->expected, lab_xasprintf("object '%s/%s' exists%s%s%s", c->bucket, c->key,
						    c->min_size >= 0 ? ", of at least the minimum size" : "",
						    c->contains ? ", containing '" : "", c->contains ? c->contains : ""));
		if (c->contains)
			set_str(&j->expected, lab_xasprintf("%s'", j->expected));
		if (lab_s3_request(&s3, "GET", path, NULL, 0, &status, &resp, &err) < 0) {
			outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
			goto out;
		}
		if (status == 404) {
			set_str(&j->observed, lab_xasprintf("object '%s/%s' does not exist", c->bucket, c->key));
			outcome(j, LAB_VERIFY_FAILED, "object '%s/%s' does not exist", c->bucket, c->key);
			goto out;
		}
		if (status != 200) {
			outcome(j, LAB_VERIFY_ERROR, "GET %s%s: status %ld", url, path, status);
			goto out;
		}
		set_str(&j->observed, lab_xasprintf("%zu bytes", resp.len));
		if (c->min_size >= 0 && (long)resp.len < c->min_size)
			outcome(j, LAB_VERIFY_FAILED, "object '%s/%s' has %zu bytes, want at least %ld", c->bucket, c->key,
				resp.len, c->min_size);
		if (c->contains && !strstr(lab_buf_cstr(&resp), c->contains))
			outcome(j, LAB_VERIFY_FAILED, "object '%s/%s' does not contain '%s'", c->bucket, c->key,
				c->contains);
		if (c->expect.equals_hash && !lab_verify_compare(&c->expect, lab_buf_cstr(&resp), j->key, NULL))
			outcome(j, LAB_VERIFY_FAILED, "object '%s/%s' is not the expected answer", c->bucket, c->key);
	}
	if (c->has_prefix) {
		long count = 0;
		char *pre = esc(c->prefix ? c->prefix : "");
		for (int page = 0; page < 1000; page++) {
			char *tok = token ? esc(token) : NULL;
			free(path);
			/* query parameters in canonical (sorted) order for SigV4 */
			path = lab_xasprintf("/%s?%s%s%slist-type=2&max-keys=1000&prefix=%s", c->bucket,
					     tok ? "continuation-token=" : "", tok ? tok : "", tok ? "&" : "", pre);
			free(tok);
			lab_buf_release(&resp);
			lab_buf_init(&resp, BODY_MAX);
			if (lab_s3_request(&s3, "GET", path, NULL, 0, &status, &resp, &err) < 0 || status != 200) {
				if (status && status != 200)
					outcome(j, LAB_VERIFY_ERROR, "GET %s%s: status %ld", url, path, status);
				else
					outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
				break;
			}
			for (const char *p = lab_buf_cstr(&resp); (p = strstr(p, "<Key>")); p += 5)
				count++;
			char *trunc = lab_s3_xml_field(lab_buf_cstr(&resp), "IsTruncated");
			free(token);
			token = trunc && strcmp(trunc, "true") == 0 ? lab_s3_xml_field(lab_buf_cstr(&resp),
										 "NextContinuationToken")
								   : NULL;
			free(trunc);
			if (!token)
				break;
		}
		free(pre);
		if (j->status == LAB_VERIFY_PASSED) {
			struct lab_expect one = {0};
			const struct lab_expect *w = &c->expect;
			if (!w->equals && !w->has_min && !w->has_max) {
				one.has_min = 1;
				one.min = 1;
				w = &one;
			}
			char num[32], *want = NULL;
			snprintf(num, sizeof(num), "%ld", count);
			int ok = lab_verify_compare(w, num, j->key, &want);
			set_str(&j->observed, lab_xasprintf("%ld objects under '%s/%s'", count, c->bucket,
							    c->prefix ? c->prefix : ""));
			set_str(&j->expected, lab_xasprintf("%s objects", want));
			if (!ok)
				outcome(j, LAB_VERIFY_FAILED, "%ld objects under '%s/%s', want %s", count, c->bucket,
					c->prefix ? c->prefix : "", want);
			free(want);
		}
	}
out:
	lab_buf_release(&resp);
	free(ep);
	free(url);
	free(path);
	free(token);
}

/* ---- http ---- */

static size_t http_write(char *p, size_t size, size_t n, void *ud)
{
	return lab_buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

static void run_http(struct vjob *j)
{
	const struct lab_check *c = j->check;
	char *url = NULL, *ep = NULL;
	struct lab_buf body = LAB_BUF_INIT;
	CURL *h = NULL;
	if (c->url) {
		url = lab_xstrdup(c->url);
	} else {
		if (!(ep = endpoint(j, c->service, c->port)))
			goto out;
		const char *p = c->path ? c->path : "/";
		url = lab_xasprintf("http://%s%s%s", ep, *p == '/' ? "" : "/", p);
	}
	lab_buf_init(&body, BODY_MAX);
	h = curl_easy_init();
	if (!h) {
		outcome(j, LAB_VERIFY_ERROR, "curl_easy_init failed");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left_ms(j));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	j->expected = lab_xasprintf("status %d%s%s%s", c->status, c->contains ? ", body contains '" : "",
				    c->contains ? c->contains : "", c->contains ? "'" : "");
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		outcome(j, cc == CURLE_OPERATION_TIMEDOUT ? LAB_VERIFY_TIMEOUT : LAB_VERIFY_ERROR, "GET %s: %s", url,
			curl_easy_strerror(cc));
		goto out;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	j->observed = lab_xasprintf("status %ld, %zu bytes", status, body.len);
	if (status != c->status)
		outcome(j, LAB_VERIFY_FAILED, "GET %s: status %ld, want %d", url, status, c->status);
	else if (c->contains && !strstr(lab_buf_cstr(&body), c->contains))
		outcome(j, LAB_VERIFY_FAILED, "GET %s: the body does not contain '%s'", url, c->contains);
out:
	if (h)
		curl_easy_cleanup(h);
	lab_buf_release(&body);
	free(url);
	free(ep);
}

/* ---- exec ---- */

struct exec_out {
	struct lab_buf out, err;
};

static int exec_collect(int stream, const char *data, size_t len, void *ud)
{
	struct exec_out *o = ud;
	struct lab_buf *b = stream == 2 ? &o->err : &o->out;
	size_t room = b->max > b->len ? b->max - b->len : 0;
	lab_buf_append(b, data, len < room ? len : room);
	return 0;
}

static void run_exec(struct vjob *j)
{
	const struct lab_check *c = j->check;
	struct exec_out o = {LAB_BUF_INIT, LAB_BUF_INIT};
	struct lab_err err = {0};
	regex_t re;
	int have_re = 0, code = -1;
	lab_buf_init(&o.out, STDOUT_MAX);
	lab_buf_init(&o.err, 4096);
	const char *id = container_of(j, c->service);
	if (!id)
		goto out;
	if (lab_engine_exec(j->e, id, c->command.v, NULL, NULL, NULL, exec_collect, &o, &code, &err) < 0) {
		outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	const char *so = lab_buf_cstr(&o.out);
	j->observed = lab_xasprintf("exit %d: %s", code, so);
	{
		struct lab_buf w = LAB_BUF_INIT;
		lab_buf_printf(&w, "exit %d", c->exit_code);
		if (c->stdout_regex)
			lab_buf_printf(&w, ", a stdout line matches '%s'", c->stdout_regex);
		j->expected = lab_buf_detach(&w);
	}
	if (code != c->exit_code) {
		const char *se = lab_buf_cstr(&o.err);
		outcome(j, LAB_VERIFY_FAILED, "exit code %d, want %d%s%s", code, c->exit_code, *se ? ": " : "", se);
		goto out;
	}
	if (c->stdout_regex) {
		if (regcomp(&re, c->stdout_regex, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
			outcome(j, LAB_VERIFY_ERROR, "invalid regex '%s'", c->stdout_regex);
			goto out;
		}
		have_re = 1;
		if (regexec(&re, so, 0, NULL, 0) != 0)
			outcome(j, LAB_VERIFY_FAILED, "no line of stdout matches '%s'", c->stdout_regex);
	}
	if (has_expect(&c->expect)) {
		char *prev = j->expected;
		j->expected = NULL;
		expect(j, so, "stdout");
		set_str(&j->expected, lab_xasprintf("%s, stdout %s", prev, j->expected));
		free(prev);
	}
out:
	if (have_re)
		regfree(&re);
	lab_buf_release(&o.out);
	lab_buf_release(&o.err);
}

/* ---- file ---- */

static void run_file(struct vjob *j)
{
	const struct lab_check *c = j->check;
	struct lab_buf tar = LAB_BUF_INIT, content = LAB_BUF_INIT;
	struct lab_err err = {0};
	struct archive *a = NULL;
	char *path = NULL;
	const char *id = container_of(j, c->service);
	if (!id)
		goto out;
	j->expected = lab_xasprintf("'%s' exists%s%s%s", c->path, c->contains ? " and contains '" : "",
				    c->contains ? c->contains : "", c->contains ? "'" : "");
	path = lab_xstrdup(c->path);
	int rc = lab_engine_get_archive(j->e, id, path, &tar, &err);
	if (rc == LAB_ENOTFOUND) {
		j->observed = lab_xasprintf("'%s' does not exist", c->path);
		outcome(j, LAB_VERIFY_FAILED, "'%s' does not exist in service '%s'", c->path, c->service);
		goto out;
	}
	if (rc < 0) {
		outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	if (!c->contains && !c->expect.equals_hash) {
		j->observed = lab_xasprintf("'%s' exists", c->path);
		goto out;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	struct archive_entry *ent = NULL;
	if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		outcome(j, LAB_VERIFY_ERROR, "reading '%s' from service '%s': %s", c->path, c->service,
			archive_error_string(a) ? archive_error_string(a) : "empty archive");
		goto out;
	}
	/* a symbolic link: follow it (a few hops), as cat would */
	for (int hop = 0; hop < 8 && archive_entry_filetype(ent) == AE_IFLNK && archive_entry_symlink(ent); hop++) {
		const char *to = archive_entry_symlink(ent);
		char *next;
		if (*to == '/') {
			next = lab_xstrdup(to);
		} else {
			const char *slash = strrchr(path, '/');
			next = lab_xasprintf("%.*s/%s", slash ? (int)(slash - path) : 0, path, to);
		}
		free(path);
		path = next;
		archive_read_free(a);
		a = NULL;
		lab_buf_release(&tar);
		if (lab_engine_get_archive(j->e, id, path, &tar, &err) < 0) {
			outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
			goto out;
		}
		a = archive_read_new();
		archive_read_support_format_tar(a);
		if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK ||
		    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
			outcome(j, LAB_VERIFY_ERROR, "reading '%s' from service '%s'", path, c->service);
			goto out;
		}
	}
	if (archive_entry_filetype(ent) != AE_IFREG) {
		j->observed = lab_xasprintf("'%s' is not a regular file", c->path);
		outcome(j, LAB_VERIFY_FAILED, "'%s' is not a regular file", c->path);
		goto out;
	}
	lab_buf_init(&content, BODY_MAX);
	char chunk[65536];
	la_ssize_t got;
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (lab_buf_append(&content, chunk, (size_t)got) < 0)
			break;
	j->observed = lab_xasprintf("'%s' exists, %zu bytes", c->path, content.len);
	if (c->contains && !strstr(lab_buf_cstr(&content), c->contains))
		outcome(j, LAB_VERIFY_FAILED, "'%s' does not contain '%s'", c->path, c->contains);
	if (c->expect.equals_hash && !lab_verify_compare(&c->expect, lab_buf_cstr(&content), j->key, NULL))
		outcome(j, LAB_VERIFY_FAILED, "'%s' is not the expected answer", c->path);
out:
	if (a)
		archive_read_free(a);
	free(path);
	lab_buf_release(&tar);
	lab_buf_release(&content);
}

/* ---- log ---- */

struct log_scan {
	regex_t re;
	struct lab_buf line;
	char *match;
};

static int log_line(struct log_scan *ls)
{
	if (!ls->match && regexec(&ls->re, lab_buf_cstr(&ls->line), 0, NULL, 0) == 0)
		ls->match = lab_xstrdup(lab_buf_cstr(&ls->line));
	lab_buf_reset(&ls->line);
	return ls->match != NULL;
}

static int log_chunk(int stream, const char *data, size_t len, void *ud)
{
	struct log_scan *ls = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (log_line(ls))
				return 1;
		} else if (ls->line.len < 64 * 1024) {
			lab_buf_append(&ls->line, &data[i], 1);
		}
	}
	return 0;
}

static void run_log(struct vjob *j)
{
	const struct lab_check *c = j->check;
	struct log_scan ls = {.match = NULL};
	struct lab_err err = {0};
	lab_buf_init(&ls.line, 0);
	const char *id = container_of(j, c->service);
	if (!id)
		return;
	if (regcomp(&ls.re, c->regex, REG_EXTENDED | REG_NOSUB) != 0) {
		outcome(j, LAB_VERIFY_ERROR, "invalid regex '%s'", c->regex);
		return;
	}
	j->expected = lab_xasprintf("a log line matches '%s'", c->regex);
	int rc = lab_engine_logs(j->e, id, -1, 0, log_chunk, &ls, &err);
	if (!ls.match && ls.line.len)
		log_line(&ls);
	if (ls.match) {
		j->observed = ls.match;
		ls.match = NULL;
	} else if (rc < 0) {
		outcome(j, LAB_VERIFY_ERROR, "%s", err.msg);
	} else {
		j->observed = lab_xstrdup("no matching line");
		outcome(j, LAB_VERIFY_FAILED, "no log line of service '%s' matches '%s'", c->service, c->regex);
	}
	regfree(&ls.re);
	lab_buf_release(&ls.line);
}

/* ---- the runner ---- */

static void *job_main(void *p)
{
	struct vjob *j = p;
	switch (j->check->kind) {
	case LAB_CHECK_SQL: run_sql(j); break;
	case LAB_CHECK_KAFKA: run_kafka(j); break;
	case LAB_CHECK_S3: run_s3(j); break;
	case LAB_CHECK_HTTP: run_http(j); break;
	case LAB_CHECK_EXEC: run_exec(j); break;
	case LAB_CHECK_FILE: run_file(j); break;
	case LAB_CHECK_LOG: run_log(j); break;
	}
	j->duration_ms = (long)((now_s() - j->started) * 1000.0);
	pthread_mutex_lock(&j->sync->mu);
	j->done = 1;
	pthread_cond_broadcast(&j->sync->cv);
	pthread_mutex_unlock(&j->sync->mu);
	return NULL;
}

void lab_verify_results_free(struct lab_verify_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].observed);
		free(r[i].expected);
		free(r[i].message);
	}
	free(r);
}

int lab_verify_run(struct lab_verify_result **out, size_t *n_out, size_t *abandoned, const struct lab *lab,
		   struct lab_engine *e, const struct lab_strv *only, const char *key, struct lab_err *err)
{
	int rc = 0;
	cJSON *list = NULL;
	char *filter = NULL;
	struct vjob **jobs = NULL;
	struct vsync *sync = NULL;
	size_t n = 0, left = 0;
	*out = NULL;
	*n_out = 0;
	*abandoned = 0;
	for (size_t i = 0; only && i < only->n; i++)
		if (!lab_find_check(lab, only->v[i]))
			return lab_err_set(err, LAB_EINPUT, "lab '%s' has no check '%s'", lab->project, only->v[i]);
	filter = lab_plan_container_filter(lab->project);
	if ((rc = lab_engine_containers(e, filter, &list, err)) < 0)
		goto out;
	sync = lab_xcalloc(1, sizeof(*sync));
	pthread_mutex_init(&sync->mu, NULL);
	pthread_cond_init(&sync->cv, NULL);
	jobs = lab_xcalloc(lab->n_checks + 1, sizeof(*jobs));
	for (size_t i = 0; i < lab->n_checks; i++) {
		const struct lab_check *c = &lab->checks[i];
		if (only && only->n && lab_strv_find(only, c->id) < 0)
			continue;
		struct vjob *j = lab_xcalloc(1, sizeof(*j));
		j->lab = lab;
		j->check = c;
		j->containers = list;
		j->key = key ? key : lab->seed ? lab->seed : "";
		j->sync = sync;
		j->e = lab_engine_dup(e);
		j->started = now_s();
		j->deadline = j->started + (double)c->timeout_ms / 1000.0;
		jobs[n++] = j;
		if (pthread_create(&j->th, NULL, job_main, j) != 0) {
			outcome(j, LAB_VERIFY_ERROR, "cannot start a thread for the check");
			j->done = 1;
			j->th = 0;
		}
	}
	/* wait until each is done or past its deadline */
	pthread_mutex_lock(&sync->mu);
	for (;;) {
		double t = now_s(), next = 0;
		left = 0;
		for (size_t i = 0; i < n; i++) {
			struct vjob *j = jobs[i];
			if (j->done || t >= j->deadline)
				continue;
			left++;
			if (!next || j->deadline < next)
				next = j->deadline;
		}
		if (!left)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double wait = next - t + 0.001;
		ts.tv_sec += (time_t)wait;
		ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sync->cv, &sync->mu, &ts);
	}
	struct lab_verify_result *res = lab_xcalloc(n + 1, sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		struct vjob *j = jobs[i];
		res[i].check = j->check;
		if (!j->done) {
			/* abandoned: its thread still runs and owns its fields */
			res[i].status = LAB_VERIFY_TIMEOUT;
			res[i].message = lab_xasprintf("no answer within %.1fs", (double)j->check->timeout_ms / 1000.0);
			res[i].duration_ms = j->check->timeout_ms;
			(*abandoned)++;
			pthread_detach(j->th);
			jobs[i] = NULL;
			continue;
		}
		res[i].status = j->status;
		res[i].observed = j->observed;
		res[i].expected = j->expected;
		res[i].message = j->message;
		res[i].duration_ms = j->duration_ms;
		if (j->status == LAB_VERIFY_TIMEOUT && !j->message)
			res[i].message = lab_xasprintf("no answer within %.1fs", (double)j->check->timeout_ms / 1000.0);
	}
	pthread_mutex_unlock(&sync->mu);
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i])
			continue;
		if (jobs[i]->th)
			pthread_join(jobs[i]->th, NULL);
		lab_engine_free(jobs[i]->e);
		free(jobs[i]);
	}
	*out = res;
	*n_out = n;
out:
	free(filter);
	free(jobs);
	if (!*abandoned) {
		cJSON_Delete(list);
		if (sync) {
			pthread_mutex_destroy(&sync->mu);
			pthread_cond_destroy(&sync->cv);
			free(sync);
		}
	}
	return rc;
}
