/* window-agg: tumbling 1-hour event-time windows of the flights stream per
 * origin state (job `aggregate` of lab module3).
 *
 * Reads JSON flight events from a Kafka topic in a consumer group, maps the
 * origin airport to its state (airports.csv; unknown origins -> 'unknown'),
 * and adds per-(hour, state) counts to PostgreSQL. Finished hours go to the
 * S3 lake as JSON lines, one object per hour, derived from PostgreSQL.
 *
 * Exactly-once effect: a batch's window deltas and the consumer offsets of
 * the partitions it read are committed in one PostgreSQL transaction; the
 * offsets in PostgreSQL, not Kafka's, decide where a partition resumes. An
 * offset update is fenced: it only applies when the stored offset is still
 * the one this consumer resumed from, so a stale member cannot add a batch
 * twice (its transaction rolls back and it re-reads the offsets). The
 * transaction runs in a committer thread while main reads the next batch
 * (see "the committer thread" below).
 *
 * Watermark: per partition the max event time seen (also stored with the
 * offsets, so a restart resumes with the same watermark); the member's
 * watermark is the minimum over its partitions minus the allowed lateness,
 * never moving back. An hour [s, s+1h) is final once the watermark >= s+1h.
 *
 * Lake: one object per day (UTC), the rows of its hours that have become
 * final. Table lake_hours keeps per hour a version, bumped by every
 * transaction that finalizes rows of the hour or changes a final row, and
 * the version last written. At most every LAKE_EVERY_S after a commit (by a
 * writer thread with its own connection), at start and before exit (by main)
 * the days of the hours with version > written_version are written, up to
 * LAKE_ROUND days per round: under a PostgreSQL advisory lock per day (taken
 * in day order), read the versions and rows of the days' hours in one query,
 * PUT the objects LAKE_PUTS at a time, set written_version in one statement.
 * A failed PUT leaves the hours pending, so writes converge on restart.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "joblib.h"

#define HOUR_MS 3600000LL
#define WM_NONE INT64_MIN
#define WM_INF INT64_MAX
/* advisory locks use class 1464419143 ('WAGG'): 0 for the schema, hour index for a lake hour */
#define BODY_CAP (64 << 20)
#define LAKE_PUTS 4 /* PUTs in flight at once, each on a kept-alive connection */
#define JOB_STR_(x) #x
#define JOB_STR(x) JOB_STR_(x)

struct opts {
	const char *topic, *group, *airports, *bucket, *prefix;
	int64_t lateness_ms;
	long batch, linger_ms, wait_s;
	int until_end;
	int nprops; /* -X NAME=VALUE: librdkafka consumer properties, after the job's own */
	char *props[32];
};

struct part {
	int owned, eof;
	int64_t pg_next; /* next_offset stored in PostgreSQL, -1 when no row */
	int64_t next;    /* offset after the last message read, -1 when none since the last commit */
	int64_t maxev;   /* max event time seen, ms; WM_NONE when none */
};

struct delta {
	int64_t hour; /* window_start / 1h */
	int state;
	int64_t flights, sum_delay, late;
};

struct agg {
	struct delta *v;
	size_t n, cap;
	int32_t *idx; /* open addressing into v, -1 empty */
	size_t icap;
};

/* A growable string with a size cap. */
struct buf {
	char *p;
	size_t len, cap;
	int overflow;
};

struct app {
	struct opts o;
	PGconn *pg;
	rd_kafka_t *rk;
	struct job_airports ap;
	int *ap_state; /* state id per airport row */
	int16_t iata_state[26 * 26 * 26]; /* state id + 1 per three-letter code, 0 not looked up yet */
	char **states;
	int nstates, unknown;
	struct part *parts;
	int nparts;
	struct agg agg;
	int64_t wm;       /* this member's watermark (monotone), WM_NONE when unknown */
	int64_t fin_upto; /* rows with window_start < fin_upto were finalized by this process */
	int assigned, fatal, lake_pending;
	double unassigned_at; /* when the last revoke (or the start) left nothing assigned */
	int64_t b_events, b_late, b_bad; /* in the current batch */
	int64_t events, late, bad, lake_objects;
	/* where the wall time went (printed at the end): commits, lake's PostgreSQL side, S3 PUTs */
	double t_commit, t_lake, t_put, t_bg_lake, t_bg_put; /* t_bg_*: the background threads' */
	double t_commit_wait, t_bg_commit; /* main waiting for the committer; the committer's commits */
	int64_t n_commit;
	void *put_h[LAKE_PUTS]; /* libcurl handles of the PUT workers, kept between rounds */
	double batch_t0, lake_retry_at, lake_written_at;
	char err[1024];
	char sqlstate[6]; /* of the last failed statement, "" when none */
};

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void iso_ms(int64_t ms, char *out, size_t n)
{
	if (ms == WM_NONE)
		snprintf(out, n, "-infinity");
	else if (ms == WM_INF)
		snprintf(out, n, "infinity");
	else {
		char iso[32];
		job_format_time(ms, iso, NULL);
		snprintf(out, n, "%s", iso);
	}
}

static void buf_add(struct buf *b, const char *fmt, ...)
{
	if (b->overflow)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->overflow = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		if (cap > BODY_CAP) {
			b->overflow = 1;
			return;
		}
		char *p = realloc(b->p, cap);
		if (!p) {
			b->overflow = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void buf_release(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- aggregation map ---- */

static size_t agg_hash(int64_t hour, int state)
{
	uint64_t h = (uint64_t)hour * 0x9E3779B97F4A7C15ULL ^ (uint64_t)state * 0xC2B2AE3D27D4EB4FULL;
	return (size_t)(h ^ (h >> 29));
}

static void agg_rehash(struct agg *g, size_t icap)
{
	free(g->idx);
	g->idx = malloc(icap * sizeof(*g->idx));
	memset(g->idx, 0xff, icap * sizeof(*g->idx));
	g->icap = icap;
	for (size_t i = 0; i < g->n; i++) {
		size_t j = agg_hash(g->v[i].hour, g->v[i].state) & (icap - 1);
		while (g->idx[j] >= 0)
			j = (j + 1) & (icap - 1);
		g->idx[j] = (int32_t)i;
	}
}

static void agg_add(struct agg *g, int64_t hour, int state, int delay, int late)
{
	if ((g->n + 1) * 2 > g->icap)
		agg_rehash(g, g->icap ? g->icap * 2 : 4096);
	size_t j = agg_hash(hour, state) & (g->icap - 1);
	while (g->idx[j] >= 0) {
		struct delta *d = &g->v[g->idx[j]];
		if (d->hour == hour && d->state == state) {
			d->flights++;
			d->sum_delay += delay;
			d->late += late;
			return;
		}
		j = (j + 1) & (g->icap - 1);
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
	}
	g->v[g->n] = (struct delta){hour, state, 1, delay, late};
	g->idx[j] = (int32_t)g->n++;
}

static int delta_cmp(const void *x, const void *y)
{
	const struct delta *a = x, *b = y;
	if (a->hour != b->hour)
		return a->hour < b->hour ? -1 : 1;
	return (a->state > b->state) - (a->state < b->state);
}

/* Sort the deltas by (hour, state), the order of flight_windows' primary key
 * (state ids follow the names' order): members lock rows in the same order. */
static void agg_sort(struct agg *g)
{
	qsort(g->v, g->n, sizeof(*g->v), delta_cmp);
	if (g->icap)
		agg_rehash(g, g->icap);
}

static void agg_clear(struct agg *g)
{
	g->n = 0;
	if (g->idx)
		memset(g->idx, 0xff, g->icap * sizeof(*g->idx));
}

/* ---- PostgreSQL ---- */

/* Run a statement; NULL (message in a->err) unless it returns want. */
static PGresult *pg_exec(struct app *a, ExecStatusType want, const char *what, const char *sql, int n,
			 const char *const *params)
{
	PGresult *r = n ? PQexecParams(a->pg, sql, n, NULL, params, NULL, NULL, 0) : PQexec(a->pg, sql);
	if (PQresultStatus(r) != want) {
		const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(a->pg);
		const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", st ? st : "");
		snprintf(a->err, sizeof(a->err), "postgresql: %s: %.*s", what,
			 (int)(strlen(m) && m[strlen(m) - 1] == '\n' ? strlen(m) - 1 : strlen(m)), m);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int pg_cmd(struct app *a, const char *what, const char *sql, int n, const char *const *params)
{
	PGresult *r = pg_exec(a, PGRES_COMMAND_OK, what, sql, n, params);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS flight_windows ("
	" window_start timestamptz NOT NULL, origin_state text NOT NULL,"
	" flights bigint NOT NULL, avg_delay_min double precision, sum_delay_min bigint NOT NULL,"
	" late_events bigint NOT NULL DEFAULT 0, final boolean NOT NULL DEFAULT false,"
	" updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (window_start, origin_state))"
	/* room on each page for a row's next version: the commit that marks a
	   row final, and late events, update it in place (a HOT update, no new
	   index entry); at fillfactor 100 every update went to another page */
	" WITH (fillfactor = 50);"
	"CREATE TABLE IF NOT EXISTS window_offsets ("
	" group_id text NOT NULL, topic text NOT NULL, partition int NOT NULL,"
	" next_offset bigint NOT NULL, max_event_time timestamptz, updated_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (group_id, topic, partition));"
	"CREATE TABLE IF NOT EXISTS lake_hours ("
	" window_start timestamptz PRIMARY KEY, version bigint NOT NULL, written_version bigint NOT NULL DEFAULT 0,"
	" written_at timestamptz);";

static int pg_open(struct app *a)
{
	a->pg = PQconnectdb("application_name=window-agg");
	if (PQstatus(a->pg) != CONNECTION_OK) {
		const char *m = PQerrorMessage(a->pg);
		snprintf(a->err, sizeof(a->err), "postgresql: cannot connect: %.*s",
			 (int)(strlen(m) && m[strlen(m) - 1] == '\n' ? strlen(m) - 1 : strlen(m)), m);
		return -1;
	}
	/* several members may start at once: CREATE ... IF NOT EXISTS races without a lock */
	if (pg_cmd(a, "set session", "SET TimeZone = 'UTC'; SET client_min_messages = warning", 0, NULL) < 0 ||
	    pg_cmd(a, "create tables", "BEGIN", 0, NULL) < 0)
		return -1;
	PGresult *r = pg_exec(a, PGRES_TUPLES_OK, "create tables", "SELECT pg_advisory_xact_lock(1464419143, 0)", 0,
			      NULL);
	if (!r) {
		PQclear(PQexec(a->pg, "ROLLBACK"));
		return -1;
	}
	PQclear(r);
	if (pg_cmd(a, "create tables", SCHEMA, 0, NULL) < 0 || pg_cmd(a, "create tables", "COMMIT", 0, NULL) < 0) {
		PQclear(PQexec(a->pg, "ROLLBACK"));
		return -1;
	}
	return 0;
}

/* ---- partitions and watermark ---- */

static struct part *part_get(struct app *a, int p)
{
	if (p >= a->nparts) {
		int n = a->nparts ? a->nparts : 16;
		while (n <= p)
			n *= 2;
		a->parts = realloc(a->parts, (size_t)n * sizeof(*a->parts));
		for (int i = a->nparts; i < n; i++)
			a->parts[i] = (struct part){0, 0, -1, -1, WM_NONE};
		a->nparts = n;
	}
	return &a->parts[p];
}

static void wm_update(struct app *a)
{
	int64_t m = WM_INF;
	int any = 0;
	for (int i = 0; i < a->nparts; i++) {
		if (!a->parts[i].owned)
			continue;
		any = 1;
		if (a->parts[i].maxev < m)
			m = a->parts[i].maxev;
	}
	if (!any || m == WM_NONE)
		return;
	m -= a->o.lateness_ms;
	if (m > a->wm)
		a->wm = m;
}

/* Set each partition of l to its offset stored in PostgreSQL (or the
 * beginning) and take ownership of it. */
static int load_offsets(struct app *a, rd_kafka_topic_partition_list_t *l)
{
	const char *pv[2] = {a->o.group, a->o.topic};
	PGresult *r = pg_exec(a, PGRES_TUPLES_OK, "read offsets",
			      "SELECT partition, next_offset,"
			      " coalesce((extract(epoch FROM max_event_time) * 1000)::bigint, -9223372036854775808)"
			      " FROM window_offsets WHERE group_id = $1 AND topic = $2",
			      2, pv);
	if (!r)
		return -1;
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &l->elems[i];
		struct part *p = part_get(a, tp->partition);
		*p = (struct part){1, 0, -1, -1, WM_NONE};
		tp->offset = RD_KAFKA_OFFSET_BEGINNING;
		for (int j = 0; j < PQntuples(r); j++) {
			if (atoi(PQgetvalue(r, j, 0)) != tp->partition)
				continue;
			p->pg_next = strtoll(PQgetvalue(r, j, 1), NULL, 10);
			p->maxev = strtoll(PQgetvalue(r, j, 2), NULL, 10);
			tp->offset = p->pg_next;
		}
	}
	PQclear(r);
	wm_update(a);
	return 0;
}

/* ---- the batch commit ---- */

static void kafka_commit_visible(struct app *a)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	for (int i = 0; i < a->nparts; i++)
		if (a->parts[i].owned && a->parts[i].pg_next >= 0)
			rd_kafka_topic_partition_list_add(l, a->o.topic, i)->offset = a->parts[i].pg_next;
	if (l->cnt)
		rd_kafka_commit(a->rk, l, 1); /* async, for kafka-consumer-groups only */
	rd_kafka_topic_partition_list_destroy(l);
}

/* Commit the batch: window deltas, finalized hours and offsets in one
 * transaction. final_all treats the watermark as +infinity. Returns 0, -1
 * on an error (a->err), -2 when an offset moved under us (rolled back). */
static int flush(struct app *a, int final_all)
{
	int64_t wm = final_all ? WM_INF : a->wm;
	int64_t fin_hour = wm == WM_INF ? INT64_MAX : wm == WM_NONE ? INT64_MIN : floordiv(wm, HOUR_MS);
	int64_t fin_ms = fin_hour == INT64_MAX ? WM_INF : fin_hour == INT64_MIN ? WM_NONE : fin_hour * HOUR_MS;
	int need_fin = final_all || (fin_ms != WM_NONE && fin_ms > a->fin_upto);
	int dirty = 0, rc = -1;
	struct buf s[6] = {{0}};
	for (int i = 0; i < a->nparts; i++)
		if (a->parts[i].owned && a->parts[i].next >= 0 && a->parts[i].next != a->parts[i].pg_next)
			dirty = 1;
	if (a->agg.n == 0 && !dirty && !need_fin)
		return 0;
	if (pg_cmd(a, "begin", "BEGIN", 0, NULL) < 0)
		goto out;
	if (a->agg.n) {
		agg_sort(&a->agg);
		for (int k = 0; k < 6; k++)
			buf_add(&s[k], "{");
		for (size_t i = 0; i < a->agg.n; i++) {
			struct delta *d = &a->agg.v[i];
			const char *sep = i ? "," : "";
			buf_add(&s[0], "%s%" PRId64, sep, d->hour * 3600);
			buf_add(&s[1], "%s\"", sep);
			for (const char *c = a->states[d->state]; *c; c++)
				buf_add(&s[1], (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
			buf_add(&s[1], "\"");
			buf_add(&s[2], "%s%" PRId64, sep, d->flights);
			buf_add(&s[3], "%s%" PRId64, sep, d->sum_delay);
			buf_add(&s[4], "%s%" PRId64, sep, d->late);
			buf_add(&s[5], "%s%s", sep, d->hour < fin_hour ? "t" : "f");
		}
		for (int k = 0; k < 6; k++)
			buf_add(&s[k], "}");
		for (int k = 0; k < 6; k++)
			if (s[k].overflow) {
				snprintf(a->err, sizeof(a->err), "batch too large");
				goto rollback;
			}
		const char *pv[6] = {s[0].p, s[1].p, s[2].p, s[3].p, s[4].p, s[5].p};
		PGresult *r = pg_exec(
			a, PGRES_COMMAND_OK, "upsert flight_windows",
			"WITH u AS (INSERT INTO flight_windows AS w (window_start, origin_state, flights,"
			"  sum_delay_min, avg_delay_min, late_events, final, updated_at)"
			" SELECT to_timestamp(t.s), t.st, t.f, t.d, t.d::float8 / t.f, t.l, t.fin, now()"
			" FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::boolean[])"
			"  AS t(s, st, f, d, l, fin)"
			" ON CONFLICT (window_start, origin_state) DO UPDATE SET"
			"  flights = w.flights + EXCLUDED.flights,"
			"  sum_delay_min = w.sum_delay_min + EXCLUDED.sum_delay_min,"
			"  avg_delay_min = (w.sum_delay_min + EXCLUDED.sum_delay_min)::float8"
			"   / (w.flights + EXCLUDED.flights),"
			"  late_events = w.late_events + EXCLUDED.late_events,"
			"  final = w.final OR EXCLUDED.final, updated_at = now()"
			" RETURNING window_start, final)"
			" INSERT INTO lake_hours (window_start, version) SELECT DISTINCT window_start, 1 FROM u"
			" WHERE final ORDER BY 1 ON CONFLICT (window_start) DO UPDATE SET version = lake_hours.version + 1",
			6, pv);
		if (!r)
			goto rollback;
		if (atoll(PQcmdTuples(r)) > 0)
			a->lake_pending = 1;
		PQclear(r);
	}
	if (need_fin) {
		char hi[40], lo[40];
		iso_ms(fin_ms, hi, sizeof(hi));
		iso_ms(final_all ? WM_NONE : a->fin_upto, lo, sizeof(lo));
		const char *pv[2] = {hi, lo};
		PGresult *r = pg_exec(a, PGRES_COMMAND_OK, "finalize windows",
				      "WITH f AS (UPDATE flight_windows SET final = true, updated_at = now()"
				      " WHERE NOT final AND window_start < $1::timestamptz"
				      " AND window_start >= $2::timestamptz RETURNING window_start)"
				      " INSERT INTO lake_hours (window_start, version) SELECT DISTINCT window_start, 1"
				      " FROM f ORDER BY 1 ON CONFLICT (window_start) DO UPDATE SET version = lake_hours.version + 1",
				      2, pv);
		if (!r)
			goto rollback;
		if (atoll(PQcmdTuples(r)) > 0)
			a->lake_pending = 1;
		PQclear(r);
	}
	for (int i = 0; i < a->nparts; i++) {
		struct part *p = &a->parts[i];
		if (!p->owned || p->next < 0 || p->next == p->pg_next)
			continue;
		char pn[16], nx[24], ex[24], mx[40];
		snprintf(pn, sizeof(pn), "%d", i);
		snprintf(nx, sizeof(nx), "%" PRId64, p->next);
		snprintf(ex, sizeof(ex), "%" PRId64, p->pg_next);
		iso_ms(p->maxev, mx, sizeof(mx));
		const char *pv[6] = {a->o.group, a->o.topic, pn, nx, p->maxev == WM_NONE ? NULL : mx, ex};
		/* fenced: applies only if the stored offset is still the one we resumed from */
		PGresult *r = pg_exec(
			a, PGRES_COMMAND_OK, "update window_offsets",
			"INSERT INTO window_offsets AS o (group_id, topic, partition, next_offset, max_event_time)"
			" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, topic, partition) DO UPDATE SET"
			" next_offset = EXCLUDED.next_offset,"
			" max_event_time = greatest(o.max_event_time, EXCLUDED.max_event_time), updated_at = now()"
			" WHERE o.next_offset = $6::bigint",
			6, pv);
		if (!r)
			goto rollback;
		int n = atoi(PQcmdTuples(r));
		PQclear(r);
		if (n != 1) {
			snprintf(a->err, sizeof(a->err),
				 "offset of '%s' [%d] for group '%s' moved under this consumer (expected %" PRId64
				 "): another member committed it; batch rolled back",
				 a->o.topic, i, a->o.group, p->pg_next);
			rc = -2;
			goto rollback;
		}
	}
	if (pg_cmd(a, "commit", "COMMIT", 0, NULL) < 0)
		goto out;
	for (int i = 0; i < a->nparts; i++) {
		struct part *p = &a->parts[i];
		if (p->owned && p->next >= 0)
			p->pg_next = p->next;
		p->next = -1;
	}
	if (need_fin && fin_ms > a->fin_upto)
		a->fin_upto = fin_ms;
	a->events += a->b_events;
	a->late += a->b_late;
	a->bad += a->b_bad;
	a->b_events = a->b_late = a->b_bad = 0;
	agg_clear(&a->agg);
	if (dirty)
		kafka_commit_visible(a);
	rc = 0;
	goto out;
rollback:
	PQclear(PQexec(a->pg, "ROLLBACK"));
out:
	for (int k = 0; k < 6; k++)
		buf_release(&s[k]);
	return rc;
}

/* flush, run again when PostgreSQL aborted it for a deadlock: members
 * upserting the same rows can deadlock, and the batch is still in memory */
static int flush_retry(struct app *a, int final_all)
{
	double t = job_now_s();
	int rc;
	for (int tries = 0;; tries++) {
		a->sqlstate[0] = '\0';
		rc = flush(a, final_all);
		if (rc != -1 || tries == 5 || strcmp(a->sqlstate, "40P01"))
			break;
		fprintf(stderr, "window-agg: %s (running the batch again)\n", a->err);
		usleep(20000 * (tries + 1));
	}
	a->t_commit += job_now_s() - t;
	a->n_commit++;
	return rc;
}

/* Forget the uncommitted batch and resume every owned partition from
 * PostgreSQL's offsets. */
static int resync(struct app *a)
{
	int rc = -1;
	agg_clear(&a->agg);
	a->b_events = a->b_late = a->b_bad = 0;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	for (int i = 0; i < a->nparts; i++)
		if (a->parts[i].owned)
			rd_kafka_topic_partition_list_add(l, a->o.topic, i);
	if (load_offsets(a, l) < 0)
		goto out;
	rd_kafka_error_t *e = rd_kafka_seek_partitions(a->rk, l, 10000);
	if (e) {
		snprintf(a->err, sizeof(a->err), "kafka: seek: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		goto out;
	}
	rc = 0;
out:
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

/* flush, and on a moved offset resync instead of failing */
static int commit_batch(struct app *a, int final_all)
{
	int rc = flush_retry(a, final_all);
	if (rc == -2) {
		fprintf(stderr, "window-agg: %s\n", a->err);
		return resync(a);
	}
	return rc;
}

/* ---- the committer thread ----
 *
 * Commits overlap with consuming: when a batch is due, main hands it (its
 * deltas, the partitions' read positions and the watermark) to a thread that
 * runs flush on it, with the same connection, and goes on reading into a
 * fresh batch. At most one batch is in flight: the next hand-off waits for
 * it. The fence needs no change: a batch expects the offsets the batch
 * before it stores, which main records optimistically at the hand-off (its
 * pg_next); when a batch rolls back (an offset moved under us, -2), main
 * drops the batch it is reading and resyncs from PostgreSQL's offsets, as
 * before. Whatever else of main uses the connection (the rebalance callback,
 * resync, the final commit) drains the committer first. */
struct committer {
	struct app w; /* the batch in flight: a copy of the app with its own agg, parts and counters */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, busy, stop; /* busy: a batch handed over and not yet collected */
	int done;                /* written under mu, read by main without it as a hint */
	int rc;
};

static void *committer_main(void *arg)
{
	struct committer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!(c->busy && !c->done) && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		int rc = flush_retry(&c->w, 0);
		pthread_mutex_lock(&c->mu);
		c->rc = rc;
		__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int committer_start(struct committer *c, struct app *a)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->th, NULL, committer_main, c) != 0) {
		snprintf(a->err, sizeof(a->err), "cannot start the committer thread");
		return -1;
	}
	c->started = 1;
	return 0;
}

/* Wait for the batch in flight (if any) and take its result into a: the
 * counters, the finalized bound, the lake flag. Returns 0, -1 (a->err: the
 * job fails) or -2 (the batch rolled back: a->err; a's current batch, read
 * after it, is dropped and the owned partitions resume from PostgreSQL). */
static int committer_drain(struct committer *c, struct app *a)
{
	if (!c->started || !c->busy)
		return 0;
	double t = job_now_s();
	pthread_mutex_lock(&c->mu);
	while (!c->done)
		pthread_cond_wait(&c->cv, &c->mu);
	int rc = c->rc;
	c->busy = c->done = 0;
	pthread_mutex_unlock(&c->mu);
	struct app *w = &c->w;
	a->t_commit_wait += job_now_s() - t;
	a->t_bg_commit += w->t_commit;
	a->n_commit += w->n_commit;
	w->t_commit = 0;
	w->n_commit = 0;
	if (rc < 0) {
		snprintf(a->err, sizeof(a->err), "%s", w->err);
		snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", w->sqlstate);
		agg_clear(&w->agg);
		return rc;
	}
	a->events += w->events;
	a->late += w->late;
	a->bad += w->bad;
	w->events = w->late = w->bad = 0;
	if (w->fin_upto > a->fin_upto)
		a->fin_upto = w->fin_upto;
	a->lake_pending |= w->lake_pending;
	w->lake_pending = 0;
	return 0;
}

/* committer_drain, and on a rolled-back batch the resync of commit_batch */
static int committer_collect(struct committer *c, struct app *a)
{
	int rc = committer_drain(c, a);
	if (rc == -2) {
		fprintf(stderr, "window-agg: %s\n", a->err);
		return resync(a);
	}
	return rc;
}

/* Hand a's batch to the committer (after the one in flight is collected).
 * Returns as committer_collect. */
static int committer_submit(struct committer *c, struct app *a)
{
	int rc = committer_collect(c, a);
	if (rc < 0)
		return rc;
	struct app *w = &c->w;
	/* what the committer's copy keeps between batches: its agg (empty), its
	   parts array, its fin_upto (main's may be newer after a commit of its own) */
	struct agg g = w->agg;
	struct part *wp = w->parts;
	int64_t fin = w->fin_upto > a->fin_upto ? w->fin_upto : a->fin_upto;
	*w = *a;
	memset(w->put_h, 0, sizeof(w->put_h));
	w->agg = a->agg;
	a->agg = g;
	w->parts = realloc(wp, (size_t)a->nparts * sizeof(*wp));
	memcpy(w->parts, a->parts, (size_t)a->nparts * sizeof(*wp));
	w->fin_upto = fin;
	w->events = w->late = w->bad = 0;
	w->t_commit = 0;
	w->n_commit = 0;
	w->lake_pending = 0;
	w->err[0] = '\0';
	/* main goes on as if the batch were committed; a rollback resyncs */
	for (int i = 0; i < a->nparts; i++) {
		struct part *p = &a->parts[i];
		if (p->owned && p->next >= 0)
			p->pg_next = p->next;
		p->next = -1;
	}
	a->b_events = a->b_late = a->b_bad = 0;
	pthread_mutex_lock(&c->mu);
	c->busy = 1;
	c->done = 0;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static void committer_stop(struct committer *c, struct app *a)
{
	if (!c->started)
		return;
	char keep[sizeof(a->err)];
	memcpy(keep, a->err, sizeof(keep));
	committer_drain(c, a);
	memcpy(a->err, keep, sizeof(keep));
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	c->started = 0;
	free(c->w.parts);
	free(c->w.agg.v);
	free(c->w.agg.idx);
}

static struct committer *the_committer; /* for the rebalance callback */

/* ---- lake ---- */

static void json_str(struct buf *b, const char *s)
{
	buf_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_add(b, "\\%c", c);
		else if (c < 0x20)
			buf_add(b, "\\u%04x", c);
		else
			buf_add(b, "%c", c);
	}
	buf_add(b, "\"");
}

/* One object to PUT: a day (epoch seconds of its 00:00 UTC), its hours
 * [h0, h1) in the round's hour and version arrays (set written when the PUT
 * succeeded). */
struct lake_obj {
	int64_t day_s;
	size_t h0, h1;
	char key[256];
	struct buf body;
	int failed;
	char err[600];
};

struct lake_put {
	struct lake_obj *v;
	size_t n;
	size_t next;    /* next object to PUT, taken with __atomic_fetch_add */
	int worker;     /* next worker's index into h, taken the same way */
	void **h;       /* LAKE_PUTS libcurl handles */
	const char *bucket;
};

static void *lake_put_worker(void *arg)
{
	struct lake_put *lp = arg;
	void **h = &lp->h[__atomic_fetch_add(&lp->worker, 1, __ATOMIC_RELAXED)];
	for (;;) {
		size_t i = __atomic_fetch_add(&lp->next, 1, __ATOMIC_RELAXED);
		if (i >= lp->n)
			return NULL;
		struct lake_obj *o = &lp->v[i];
		o->failed = job_s3_put_keep(h, lp->bucket, o->key, o->body.p ? o->body.p : "", o->body.len,
					    "application/x-ndjson", o->err, sizeof(o->err)) < 0;
	}
}

static void put_handles_free(struct app *a)
{
	for (int i = 0; i < LAKE_PUTS; i++) {
		curl_easy_cleanup(a->put_h[i]);
		a->put_h[i] = NULL;
	}
}

/* Append "v" or ",v" to a PostgreSQL array literal being built. */
static void arr_add(struct buf *b, int64_t v)
{
	buf_add(b, "%s%" PRId64, b->len > 1 ? "," : "", v);
}

/* Write the days of up to LAKE_ROUND pending hours, one object per day
 * (UTC): <prefix>/dt=YYYY-MM-DD/windows.jsonl, the rows of every hour of that
 * day in lake_hours (the hours that have final rows), ordered by hour and
 * state. Holds pg_advisory_lock(LAKE_LOCK_DAY, day index) for each day (taken
 * in day order, so members never deadlock), reads the versions of the days'
 * hours and their rows in one query, PUTs the objects LAKE_PUTS at a time,
 * sets written_version of the hours of the days PUT, unlocks. Returns the
 * number of days handled (0: none pending), -1 on a PostgreSQL error
 * (a->err), -2 when a PUT failed (a->err; its hours stay pending). */
#define LAKE_ROUND 64
#define LAKE_EVERY_S 5
#define LAKE_LOCK_DAY "1464419144" /* 'WAGH': advisory lock class of a lake day */
static int lake_write_round(struct app *a)
{
	struct buf days = {0}, done_h = {0}, done_v = {0};
	struct lake_obj *objs = NULL;
	int64_t *hs = NULL;
	char (*vs)[24] = NULL;
	size_t nobj = 0, nh = 0;
	PGresult *r = NULL;
	int rc = -1, locked = 0;
	/* lock the days of the oldest pending hours, in order (the nested loop
	   runs the lateral call per row of the ordered subquery) */
	if (!(r = pg_exec(a, PGRES_TUPLES_OK, "lock lake days",
			  "SELECT d.e FROM (SELECT DISTINCT floor(extract(epoch FROM window_start) / 86400)::bigint AS e"
			  " FROM lake_hours WHERE version > written_version ORDER BY 1 LIMIT " JOB_STR(LAKE_ROUND) ") d,"
			  " LATERAL (SELECT pg_advisory_lock(" LAKE_LOCK_DAY ", d.e::int)) l ORDER BY d.e",
			  0, NULL)))
		goto out;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	locked = 1;
	buf_add(&days, "{");
	for (int i = 0; i < PQntuples(r); i++)
		arr_add(&days, strtoll(PQgetvalue(r, i, 0), NULL, 10));
	buf_add(&days, "}");
	PQclear(r);
	if (days.overflow) {
		snprintf(a->err, sizeof(a->err), "lake: too many days");
		r = NULL;
		goto out;
	}
	/* the versions read under the locks, and the committed rows of every hour
	   of those days that lake_hours holds */
	const char *pd[1] = {days.p};
	if (!(r = pg_exec(a, PGRES_TUPLES_OK, "read lake days",
			  "SELECT extract(epoch FROM h.window_start)::bigint, h.version, w.origin_state, w.flights,"
			  " w.avg_delay_min, w.late_events FROM unnest($1::bigint[]) AS d(e)"
			  " JOIN lake_hours h ON h.window_start >= to_timestamp(d.e * 86400)"
			  "  AND h.window_start < to_timestamp((d.e + 1) * 86400)"
			  " LEFT JOIN flight_windows w ON w.window_start = h.window_start"
			  " ORDER BY h.window_start, w.origin_state",
			  1, pd)))
		goto out;
	int nt = PQntuples(r);
	char iso[32] = "", day[16] = "";
	objs = calloc((size_t)nt + 1, sizeof(*objs));
	hs = calloc((size_t)nt + 1, sizeof(*hs));
	vs = calloc((size_t)nt + 1, sizeof(*vs));
	if (!objs || !hs || !vs) {
		snprintf(a->err, sizeof(a->err), "lake: out of memory");
		goto out;
	}
	for (int i = 0; i < nt; i++) {
		int64_t h = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		struct lake_obj *o = nobj ? &objs[nobj - 1] : NULL;
		char num[64];
		if (!nh || hs[nh - 1] != h) { /* rows come ordered by hour: format its time once */
			job_format_time(h * 1000, iso, day);
			int64_t d = floordiv(h, 86400) * 86400;
			if (!o || o->day_s != d) {
				o = &objs[nobj++];
				o->day_s = d;
				o->h0 = nh;
				snprintf(o->key, sizeof(o->key), "%s/dt=%s/windows.jsonl", a->o.prefix, day);
			}
			hs[nh] = h;
			snprintf(vs[nh], sizeof(vs[nh]), "%s", PQgetvalue(r, i, 1));
			o->h1 = ++nh;
		}
		if (PQgetisnull(r, i, 2))
			continue; /* an hour without rows */
		buf_add(&o->body, "{\"window_start\":\"%s\",\"origin_state\":", iso);
		json_str(&o->body, PQgetvalue(r, i, 2));
		snprintf(num, sizeof(num), "%.3f", atof(PQgetvalue(r, i, 4)));
		char *e = num + strlen(num) - 1;
		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
		buf_add(&o->body, ",\"flights\":%s,\"avg_delay_min\":%s,\"late_events\":%s}\n", PQgetvalue(r, i, 3),
			num, PQgetvalue(r, i, 5));
	}
	PQclear(r);
	r = NULL;
	for (size_t i = 0; i < nobj; i++)
		if (objs[i].body.overflow) {
			snprintf(a->err, sizeof(a->err), "lake object '%s' too large", objs[i].key);
			goto out;
		}
	/* PUT, LAKE_PUTS at a time (S3 round trips dominate a lake write) */
	double tp = job_now_s();
	struct lake_put lp = {objs, nobj, 0, 0, a->put_h, a->o.bucket};
	pthread_t th[LAKE_PUTS];
	int nth = 0;
	for (; nth < LAKE_PUTS && (size_t)nth < nobj; nth++)
		if (pthread_create(&th[nth], NULL, lake_put_worker, &lp) != 0)
			break;
	if (nth == 0)
		lake_put_worker(&lp);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	a->t_put += job_now_s() - tp;
	int put_failed = 0;
	buf_add(&done_h, "{");
	buf_add(&done_v, "{");
	for (size_t i = 0; i < nobj; i++) {
		if (objs[i].failed) {
			if (!put_failed)
				snprintf(a->err, sizeof(a->err), "s3: %s", objs[i].err);
			put_failed = 1;
			continue;
		}
		a->lake_objects++;
		for (size_t k = objs[i].h0; k < objs[i].h1; k++) {
			arr_add(&done_h, hs[k]);
			buf_add(&done_v, "%s%s", done_v.len > 1 ? "," : "", vs[k]);
		}
	}
	buf_add(&done_h, "}");
	buf_add(&done_v, "}");
	const char *pw[2] = {done_h.p, done_v.p};
	if (done_h.overflow || done_v.overflow) {
		snprintf(a->err, sizeof(a->err), "lake: too many hours");
		goto out;
	}
	if (pg_cmd(a, "update lake_hours",
		   "UPDATE lake_hours h SET written_version = t.v, written_at = now()"
		   " FROM unnest($1::bigint[], $2::bigint[]) AS t(s, v)"
		   " WHERE h.window_start = to_timestamp(t.s) AND h.written_version < t.v",
		   2, pw) < 0) {
		/* a deadlock with a member's commit bumping the same hours' versions
		   (their row locks are taken in different orders): the objects are
		   PUT, the hours stay pending and are written again next round */
		if (!strcmp(a->sqlstate, "40P01"))
			rc = -2;
		goto out;
	}
	rc = put_failed ? -2 : (int)nobj + (nobj == 0);
out:
	PQclear(r);
	if (locked) {
		const char *pl[1] = {days.p};
		PQclear(PQexecParams(a->pg,
				     "SELECT pg_advisory_unlock(" LAKE_LOCK_DAY ", e::int) FROM unnest($1::bigint[]) e",
				     1, NULL, pl, NULL, NULL, 0));
	}
	for (size_t i = 0; i < nobj; i++)
		buf_release(&objs[i].body);
	free(objs);
	free(hs);
	free(vs);
	buf_release(&days);
	buf_release(&done_h);
	buf_release(&done_v);
	return rc;
}

/* Write every pending hour. Returns 0, -1 on a PostgreSQL error (fatal),
 * -2 when an S3 write failed (the hour stays pending; retried later). */
static int lake_write_pending(struct app *a)
{
	double t0 = job_now_s(), put0 = a->t_put;
	int rc;
	/* a round handles what was pending when it started; hours another member
	   holds are waited for, then found written (or still pending: next round) */
	for (int rounds = 0; (rc = lake_write_round(a)) > 0 && rounds < 1000; rounds++)
		;
	if (rc > 0)
		rc = 0;
	a->lake_pending = rc == -2;
	a->lake_written_at = job_now_s();
	a->t_lake += job_now_s() - t0 - (a->t_put - put0);
	if (rc == -2) {
		fprintf(stderr, "window-agg: %s (will retry)\n", a->err);
		a->lake_retry_at = job_now_s() + 5;
	}
	return rc;
}

/* The lake writer in the background: its own PostgreSQL connection (the
 * advisory locks are per session), woken after commits that made hours
 * pending, at most every LAKE_EVERY_S; S3 round trips then overlap with
 * consuming. main joins it before the final, synchronous lake write. */
struct lake_bg {
	struct app w; /* a copy of the app with its own pg, err and counters */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, wake, stop, failed; /* failed: a PostgreSQL error, w.err */
};

static void *lake_bg_main(void *arg)
{
	struct lake_bg *b = arg;
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->wake && !b->stop)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->stop)
			break;
		b->wake = 0;
		pthread_mutex_unlock(&b->mu);
		int rc = lake_write_pending(&b->w);
		pthread_mutex_lock(&b->mu);
		if (rc == -1) {
			b->failed = 1;
			break;
		}
		/* at most every LAKE_EVERY_S (longer after a failed PUT) */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += rc == -2 ? 5 : LAKE_EVERY_S;
		while (!b->stop && pthread_cond_timedwait(&b->cv, &b->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static int lake_bg_start(struct lake_bg *b, struct app *a)
{
	memset(b, 0, sizeof(*b));
	b->w = *a;
	b->w.pg = PQconnectdb("application_name=window-agg-lake");
	if (PQstatus(b->w.pg) != CONNECTION_OK ||
	    pg_cmd(&b->w, "set session", "SET TimeZone = 'UTC'; SET client_min_messages = warning", 0, NULL) < 0) {
		const char *m = PQerrorMessage(b->w.pg);
		snprintf(a->err, sizeof(a->err), "postgresql: cannot connect: %.*s",
			 (int)(strlen(m) && m[strlen(m) - 1] == '\n' ? strlen(m) - 1 : strlen(m)), m);
		PQfinish(b->w.pg);
		b->w.pg = NULL;
		return -1;
	}
	b->w.lake_objects = 0;
	b->w.t_put = b->w.t_lake = 0;
	memset(b->w.put_h, 0, sizeof(b->w.put_h));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pthread_create(&b->th, NULL, lake_bg_main, b) != 0) {
		snprintf(a->err, sizeof(a->err), "cannot start the lake writer thread");
		PQfinish(b->w.pg);
		b->w.pg = NULL;
		return -1;
	}
	b->started = 1;
	return 0;
}

/* Wake the writer; 0, or -1 when it stopped on a PostgreSQL error (a->err). */
static int lake_bg_wake(struct lake_bg *b, struct app *a)
{
	pthread_mutex_lock(&b->mu);
	int failed = b->failed;
	b->wake = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	if (failed)
		snprintf(a->err, sizeof(a->err), "%s", b->w.err);
	return failed ? -1 : 0;
}

/* Stop and join the writer; adds its counters to a. Returns as lake_bg_wake. */
static int lake_bg_stop(struct lake_bg *b, struct app *a)
{
	if (!b->started)
		return 0;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->th, NULL);
	b->started = 0;
	a->lake_objects += b->w.lake_objects;
	a->t_bg_put += b->w.t_put;
	a->t_bg_lake += b->w.t_lake;
	PQfinish(b->w.pg);
	b->w.pg = NULL;
	put_handles_free(&b->w);
	if (b->failed)
		snprintf(a->err, sizeof(a->err), "%s", b->w.err);
	return b->failed ? -1 : 0;
}

/* ---- Kafka ---- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l,
			 void *opaque)
{
	struct app *a = opaque;
	/* the batch in flight first: the connection is the committer's until then */
	int drc = the_committer ? committer_drain(the_committer, a) : 0;
	if (drc == -1)
		a->fatal = 1;
	else if (drc == -2) { /* what main read after the rolled-back batch is void */
		fprintf(stderr, "window-agg: %s\n", a->err);
		agg_clear(&a->agg);
		a->b_events = a->b_late = a->b_bad = 0;
		for (int i = 0; i < a->nparts; i++)
			a->parts[i].next = -1;
	}
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (!a->fatal && load_offsets(a, l) < 0) {
			a->fatal = 1;
			rd_kafka_assign(rk, NULL);
			return;
		}
		fprintf(stderr, "window-agg: assigned %d partition(s) of '%s'\n", l->cnt, a->o.topic);
		rd_kafka_assign(rk, l);
		a->assigned = 1;
		return;
	}
	/* revoked: commit what we read while we still own it */
	if (!a->fatal) {
		int rc = flush_retry(a, 0);
		if (rc == -2) {
			fprintf(stderr, "window-agg: %s\n", a->err);
			agg_clear(&a->agg);
			a->b_events = a->b_late = a->b_bad = 0;
		} else if (rc < 0)
			a->fatal = 1;
	}
	for (int i = 0; i < a->nparts; i++)
		a->parts[i].owned = 0;
	/* not assigned until the next assignment: with --until-end, "every
	   owned partition at its end" must not hold vacuously in between (a
	   broker restart revokes everything while the group re-forms) */
	a->assigned = 0;
	a->unassigned_at = job_now_s();
	rd_kafka_assign(rk, NULL);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct app *a = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char m[512];
		rd_kafka_fatal_error(rk, m, sizeof(m));
		snprintf(a->err, sizeof(a->err), "kafka: fatal: %s", m);
		a->fatal = 1;
		return;
	}
	fprintf(stderr, "window-agg: kafka: %s (retrying)\n", reason);
}

/* -X NAME=VALUE (checked to hold a '=' by parse_args) onto c; librdkafka's
   message in e when it refuses the name or the value */
static rd_kafka_conf_res_t conf_set_prop(rd_kafka_conf_t *c, char *prop, char *e, size_t n)
{
	char *eq = strchr(prop, '=');
	*eq = '\0';
	rd_kafka_conf_res_t res = rd_kafka_conf_set(c, prop, eq + 1, e, n);
	*eq = '=';
	return res;
}

static int kafka_open(struct app *a)
{
	char e[512];
	const char *bs = job_env("KAFKA_BOOTSTRAP_SERVERS", NULL);
	if (!bs) {
		snprintf(a->err, sizeof(a->err), "kafka: KAFKA_BOOTSTRAP_SERVERS is not set");
		return -1;
	}
	char cid[64];
	snprintf(cid, sizeof(cid), "window-agg-%d", job_rank());
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	const char *kv[][2] = {
		{"bootstrap.servers", bs},
		{"group.id", a->o.group},
		{"client.id", cid},
		{"enable.auto.commit", "false"},
		{"enable.auto.offset.store", "false"},
		{"enable.partition.eof", "true"},
		{"auto.offset.reset", "earliest"},
		{"partition.assignment.strategy", "range,roundrobin"},
		/* a crashed member's partitions move on after 10 s, not 45 */
		{"session.timeout.ms", "10000"},
		{"log.connection.close", "false"},
		/* librdkafka 2.0's fetcher stops fetching once the consumer's queue
		   holds queued.min.messages (100,000 by default) or
		   queued.max.messages.kbytes, and looks again only after its broker
		   thread's idle wait of up to 1 s (librdkafka issues #2879, #3662;
		   fetch.queue.backoff.ms in 2.3 makes it a setting): the job drained
		   100,000 events in ~0.3 s and then waited, 250-300k events/s with the
		   CPU mostly idle. A queue of about a second of events keeps the
		   fetcher ahead (docs/BENCHMARKS.md, "Fourth round"). */
		{"queued.min.messages", "1000000"},
		{"queued.max.messages.kbytes", "131072"},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (rd_kafka_conf_set(c, kv[i][0], kv[i][1], e, sizeof(e)) != RD_KAFKA_CONF_OK) {
			snprintf(a->err, sizeof(a->err), "kafka: %s", e);
			rd_kafka_conf_destroy(c);
			return -1;
		}
	for (int i = 0; i < a->o.nprops; i++)
		if (conf_set_prop(c, a->o.props[i], e, sizeof(e)) != RD_KAFKA_CONF_OK) {
			snprintf(a->err, sizeof(a->err), "kafka: -X %s: %s", a->o.props[i], e);
			rd_kafka_conf_destroy(c);
			return -1;
		}
	rd_kafka_conf_set_opaque(c, a);
	rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
	rd_kafka_conf_set_error_cb(c, error_cb);
	a->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
	if (!a->rk) {
		snprintf(a->err, sizeof(a->err), "kafka: %s", e);
		return -1;
	}
	rd_kafka_poll_set_consumer(a->rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, a->o.topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t err = rd_kafka_subscribe(a->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		snprintf(a->err, sizeof(a->err), "kafka: subscribe to '%s': %s", a->o.topic, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* ---- event parsing ---- */

/* One top-level field of an event as the fast path saw it. */
struct fval {
	int type; /* 0 absent, 1 integer, 2 string, 3 anything else */
	int64_t num;
	const char *s;
	size_t slen;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The fields event_ms, event_time, delay and origin of a flat JSON object
 * whose strings have no escapes and whose numbers are integers (what
 * flights-produce writes), without allocating. Returns 0, or -1 for
 * anything else (nested values, escapes, fractions, malformed): the caller
 * then parses with cJSON, so both paths agree on every input. The first
 * occurrence of a key wins, as with cJSON_GetObjectItemCaseSensitive. */
static int fast_fields(const char *p, size_t len, struct fval f[4])
{
	static const char *const names[4] = {"event_ms", "event_time", "delay", "origin"};
	static const size_t nlen[4] = {8, 10, 5, 6}; /* their lengths (strlen per key was 3 % of the CPU) */
	const char *end = p + len;
	memset(f, 0, 4 * sizeof(*f));
	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return -1;
	p = skip_ws(p, end);
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		if (p == end || *p++ != '"')
			return -1;
		const char *k = p;
		while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			p++;
		if (p == end || *p != '"')
			return -1;
		size_t klen = (size_t)(p++ - k);
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return -1;
		p = skip_ws(p, end);
		if (p == end)
			return -1;
		struct fval v = {0};
		if (*p == '"') {
			v.s = ++p;
			while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
				p++;
			if (p == end || *p != '"')
				return -1;
			v.slen = (size_t)(p++ - v.s);
			v.type = 2;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			int neg = *p == '-', nd = 0;
			p += neg;
			while (p < end && *p >= '0' && *p <= '9' && nd < 18) {
				v.num = v.num * 10 + (*p++ - '0');
				nd++;
			}
			if (nd == 0 || (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))))
				return -1;
			v.num = neg ? -v.num : v.num;
			v.type = 1;
		} else if (end - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) {
			p += 4;
			v.type = 3;
		} else if (end - p >= 5 && !memcmp(p, "false", 5)) {
			p += 5;
			v.type = 3;
		} else
			return -1;
		for (int i = 0; i < 4; i++)
			if (!f[i].type && klen == nlen[i] && !memcmp(k, names[i], klen))
				f[i] = v;
		p = skip_ws(p, end);
		if (p == end)
			return -1;
		if (*p == '}')
			return 0;
		if (*p++ != ',')
			return -1;
		p = skip_ws(p, end);
	}
}

/* Event time (ms), delay and origin of a message; 0 when it has a time
 * and a delay, -1 when it is malformed. */
static int parse_event(const rd_kafka_message_t *m, int64_t *ev, int *delay, char origin[16])
{
	int have_ev = 0;
	struct fval f[4];
	origin[0] = '\0';
	if (!m->payload)
		return -1;
	if (fast_fields(m->payload, m->len, f) == 0) {
		if (f[0].type == 1) {
			*ev = f[0].num;
			have_ev = 1;
		} else if (f[1].type == 2) {
			char t[64];
			if (f[1].slen >= sizeof(t))
				goto slow; /* job_parse_time_ms decides */
			memcpy(t, f[1].s, f[1].slen);
			t[f[1].slen] = '\0';
			*ev = job_parse_time_ms(t);
			have_ev = *ev >= 0;
		} else {
			rd_kafka_timestamp_type_t tt;
			*ev = rd_kafka_message_timestamp(m, &tt);
			have_ev = tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
		}
		if (f[3].type == 2) {
			size_t n = f[3].slen < 15 ? f[3].slen : 15;
			memcpy(origin, f[3].s, n);
			origin[n] = '\0';
		}
		if (f[2].type != 1 || !have_ev)
			return -1;
		*delay = (int)f[2].num;
		return 0;
	}
slow:;
	int ok = 0;
	cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
	if (!j)
		return -1;
	cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "event_ms");
	if (cJSON_IsNumber(x)) {
		*ev = (int64_t)x->valuedouble;
		have_ev = 1;
	} else if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(j, "event_time"))) {
		*ev = job_parse_time_ms(x->valuestring);
		have_ev = *ev >= 0;
	} else { /* the Kafka timestamp is the event time too */
		rd_kafka_timestamp_type_t tt;
		*ev = rd_kafka_message_timestamp(m, &tt);
		have_ev = tt != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
	}
	x = cJSON_GetObjectItemCaseSensitive(j, "delay");
	if (cJSON_IsNumber(x)) {
		*delay = (int)x->valuedouble;
		ok = have_ev;
	}
	x = cJSON_GetObjectItemCaseSensitive(j, "origin");
	if (cJSON_IsString(x))
		snprintf(origin, 16, "%s", x->valuestring);
	cJSON_Delete(j);
	return ok ? 0 : -1;
}

/* State id of an origin airport code; three-letter codes A-Z (IATA) are
 * looked up once and cached (job_airport_find formats and bisects: ~1000
 * instructions an event otherwise). */
static int origin_state(struct app *a, const char *origin)
{
	int idx = -1;
	if (origin[0] >= 'A' && origin[0] <= 'Z' && origin[1] >= 'A' && origin[1] <= 'Z' && origin[2] >= 'A' &&
	    origin[2] <= 'Z' && !origin[3]) {
		idx = ((origin[0] - 'A') * 26 + origin[1] - 'A') * 26 + origin[2] - 'A';
		if (a->iata_state[idx])
			return a->iata_state[idx] - 1;
	}
	const struct job_airport *ap = origin[0] ? job_airport_find(&a->ap, origin) : NULL;
	int state = ap ? a->ap_state[ap - a->ap.v] : a->unknown;
	if (idx >= 0)
		a->iata_state[idx] = (int16_t)(state + 1);
	return state;
}

static void on_message(struct app *a, rd_kafka_message_t *m)
{
	struct part *p = part_get(a, m->partition);
	if (!p->owned)
		return; /* stale message of a revoked partition */
	p->next = m->offset + 1;
	int64_t ev = 0;
	int delay = 0;
	char origin[16];
	int ok = parse_event(m, &ev, &delay, origin) == 0;
	if (!ok) {
		if (a->bad + a->b_bad < 5)
			fprintf(stderr, "window-agg: skipping malformed event at '%s' [%d] offset %" PRId64 "\n",
				a->o.topic, (int)m->partition, (int64_t)m->offset);
		a->b_bad++;
		return;
	}
	int state = origin_state(a, origin);
	if (ev > p->maxev) {
		p->maxev = ev;
		wm_update(a);
	}
	int64_t hour = floordiv(ev, HOUR_MS);
	int late = a->wm != WM_NONE && (hour + 1) * HOUR_MS <= a->wm;
	if (a->agg.n == 0 && a->b_events == 0)
		a->batch_t0 = job_now_s();
	agg_add(&a->agg, hour, state, delay, late);
	a->b_events++;
	a->b_late += late;
}

/* ---- setup ---- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int states_build(struct app *a)
{
	char **all = malloc((a->ap.n + 1) * sizeof(*all));
	size_t n = 0;
	for (size_t i = 0; i < a->ap.n; i++)
		if (a->ap.v[i].state[0])
			all[n++] = a->ap.v[i].state;
	all[n++] = "unknown";
	qsort(all, n, sizeof(*all), cmp_str);
	a->states = malloc(n * sizeof(*a->states));
	for (size_t i = 0; i < n; i++)
		if (!a->nstates || strcmp(a->states[a->nstates - 1], all[i]))
			a->states[a->nstates++] = all[i];
	free(all);
	a->ap_state = malloc((a->ap.n + 1) * sizeof(*a->ap_state));
	for (int i = 0; i < a->nstates; i++)
		if (!strcmp(a->states[i], "unknown"))
			a->unknown = i;
	for (size_t i = 0; i < a->ap.n; i++) {
		const char *st = a->ap.v[i].state[0] ? a->ap.v[i].state : "unknown";
		char **hit = bsearch(&st, a->states, (size_t)a->nstates, sizeof(*a->states), cmp_str);
		a->ap_state[i] = (int)(hit - a->states);
	}
	return 0;
}

static int parse_duration(const char *s, int64_t *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	double mul = 1000;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s") || !*end)
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else if (!strcmp(end, "d"))
		mul = 86400000;
	else
		return -1;
	*ms = (int64_t)(v * mul);
	return 0;
}

static const char USAGE[] =
	"usage: window-agg [options]\n"
	"\n"
	"Tumbling 1-hour event-time windows of flight events per origin state:\n"
	"reads JSON events from Kafka, keeps totals in PostgreSQL table flight_windows\n"
	"(exactly once with the offsets in window_offsets) and writes the finished\n"
	"hours of each day to the lake as <prefix>/dt=YYYY-MM-DD/windows.jsonl.\n"
	"\n"
	"  --topic NAME        topic to read (default 'flights')\n"
	"  --group ID          consumer group (default 'window-agg')\n"
	"  --airports PATH     airports.csv (default $LAB_DATASET_AIRPORTS)\n"
	"  --lateness DUR      allowed lateness: 3600, 90s, 30m, 1h (default 1h)\n"
	"  --bucket NAME       lake bucket (default 'lake')\n"
	"  --prefix KEY        object key prefix (default 'flights')\n"
	"  --batch N           commit after at most N events (default 200000)\n"
	"  --linger-ms MS      or after MS milliseconds (default 1000)\n"
	"  --until-end         stop once every assigned partition is read to its end,\n"
	"                      finalize all windows and exit\n"
	"  --wait SECONDS      with --until-end: fail when no partition is assigned\n"
	"                      within SECONDS (default 120)\n"
	"  -X NAME=VALUE       a librdkafka consumer property (repeatable; after the\n"
	"                      job's own, e.g. -X queued.min.messages=100000)\n"
	"  -h, --help          this text\n"
	"\n"
	"Environment: KAFKA_BOOTSTRAP_SERVERS, PG* (libpq), AWS_ENDPOINT_URL,\n"
	"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.\n"
	"Exit status: 0 ok, 1 failure, 2 usage.\n";

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{"topic", required_argument, NULL, 't'},    {"group", required_argument, NULL, 'g'},
		{"airports", required_argument, NULL, 'a'}, {"lateness", required_argument, NULL, 'l'},
		{"bucket", required_argument, NULL, 'b'},   {"prefix", required_argument, NULL, 'p'},
		{"batch", required_argument, NULL, 'n'},    {"linger-ms", required_argument, NULL, 'm'},
		{"until-end", no_argument, NULL, 'e'},      {"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},           {0, 0, 0, 0},
	};
	*o = (struct opts){"flights", "window-agg", job_env("LAB_DATASET_AIRPORTS", NULL), "lake", "flights",
			   HOUR_MS, 200000, 1000, 120, 0, 0, {0}};
	int c;
	char *end;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hX:", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->topic = optarg; break;
		case 'g': o->group = optarg; break;
		case 'a': o->airports = optarg; break;
		case 'b': o->bucket = optarg; break;
		case 'p': o->prefix = optarg; break;
		case 'e': o->until_end = 1; break;
		case 'l':
			if (parse_duration(optarg, &o->lateness_ms) < 0) {
				fprintf(stderr, "window-agg: invalid duration '%s' for --lateness\n", optarg);
				return 2;
			}
			break;
		case 'n':
		case 'm':
		case 'w': {
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v <= 0 || v > 100000000) {
				fprintf(stderr, "window-agg: invalid number '%s' for --%s\n", optarg,
					c == 'n' ? "batch" : c == 'm' ? "linger-ms" : "wait");
				return 2;
			}
			*(c == 'n' ? &o->batch : c == 'm' ? &o->linger_ms : &o->wait_s) = v;
			break;
		}
		case 'h': fputs(USAGE, stdout); return 0;
		case 'X':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "window-agg: -X needs NAME=VALUE, not '%s'\n", optarg);
				return 2;
			}
			if (o->nprops == (int)(sizeof(o->props) / sizeof(o->props[0]))) {
				fprintf(stderr, "window-agg: too many -X options\n");
				return 2;
			}
			o->props[o->nprops++] = optarg;
			{ /* a name or value librdkafka refuses is a usage error, before connecting */
				char e[256];
				rd_kafka_conf_t *t = rd_kafka_conf_new();
				rd_kafka_conf_res_t res = conf_set_prop(t, optarg, e, sizeof(e));
				rd_kafka_conf_destroy(t);
				if (res != RD_KAFKA_CONF_OK) {
					fprintf(stderr, "window-agg: -X %s: %s\n", optarg, e);
					return 2;
				}
			}
			break;
		case ':':
			fprintf(stderr, "window-agg: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "window-agg: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "window-agg: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (!o->airports) {
		fprintf(stderr, "window-agg: no airports table: pass --airports or set LAB_DATASET_AIRPORTS\n");
		return 2;
	}
	return -1;
}

static void progress(struct app *a, double t0, int64_t *last_ev, double *last_t)
{
	double t = job_now_s();
	int64_t ev = a->events + a->b_events;
	char wm[40];
	iso_ms(a->wm, wm, sizeof(wm));
	fprintf(stderr, "window-agg: events %" PRId64 " (%.0f/s), watermark %s, late %" PRId64 ", %.0f s\n", ev,
		(double)(ev - *last_ev) / (t - *last_t > 0 ? t - *last_t : 1), wm, a->late + a->b_late, t - t0);
	*last_ev = ev;
	*last_t = t;
}

int main(int argc, char **argv)
{
	struct app a;
	memset(&a, 0, sizeof(a));
	a.wm = WM_NONE;
	a.fin_upto = WM_NONE;
	int rc = parse_args(&a.o, argc, argv);
	if (rc >= 0)
		return rc == 0 && (fflush(stdout) || ferror(stdout)) ? 1 : rc;
	rc = 1;
	struct lake_bg lake = {0};
	struct committer com = {0};
	double t0 = job_now_s();
	a.unassigned_at = t0;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (job_airports_load(&a.ap, a.o.airports) < 0) {
		snprintf(a.err, sizeof(a.err), "cannot read airports '%s': %s", a.o.airports, strerror(errno));
		goto out;
	}
	states_build(&a);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the lake's PUT threads: not thread-safe */
	if (pg_open(&a) < 0)
		goto out;
	/* hours left pending by an earlier run (a failed or interrupted PUT) */
	if (lake_write_pending(&a) == -1)
		goto out;
	if (lake_bg_start(&lake, &a) < 0 || committer_start(&com, &a) < 0)
		goto out;
	the_committer = &com;
	if (kafka_open(&a) < 0)
		goto out;

	int64_t last_ev = 0;
	double last_t = t0, next_prog = t0 + 5;
	int done = 0;
	unsigned polls = 0;
	double t = t0;
	int idle = 1;
	while (!stop_sig && !a.fatal) {
		/* no wait while messages flow: librdkafka reads the clock for a
		   timeout, which was 5 % of the job's CPU at one call per message */
		rd_kafka_message_t *m = rd_kafka_consumer_poll(a.rk, idle ? 100 : 0);
		idle = !m;
		/* the clock every 64 messages (a clock_gettime per message was 10 %
		   of the job's CPU) and on anything that is not a message */
		if (!m || m->err || (++polls & 63) == 0)
			t = job_now_s();
		if (m) {
			if (!m->err)
				on_message(&a, m);
			else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				if (m->partition >= 0 && m->partition < a.nparts)
					a.parts[m->partition].eof = 1;
			} else if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
				   m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
				static double warned;
				if (job_now_s() - warned > 10) {
					fprintf(stderr, "window-agg: kafka: topic '%s': %s (waiting)\n", a.o.topic,
						rd_kafka_message_errstr(m));
					warned = job_now_s();
				}
			} else
				fprintf(stderr, "window-agg: kafka: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
		}
		if (a.fatal)
			break;
		if (com.busy && __atomic_load_n(&com.done, __ATOMIC_ACQUIRE) && committer_collect(&com, &a) < 0)
			goto out;
		if (a.o.until_end) {
			int owned = 0;
			done = a.assigned;
			for (int i = 0; i < a.nparts && done; i++) {
				owned += a.parts[i].owned;
				if (a.parts[i].owned && !a.parts[i].eof)
					done = 0;
			}
			done = done && owned > 0;
			if (done)
				break;
			if (!a.assigned && t - a.unassigned_at > a.o.wait_s) {
				snprintf(a.err, sizeof(a.err),
					 "kafka: no partition of '%s' assigned within %ld s (is the broker up and the "
					 "topic created?)",
					 a.o.topic, a.o.wait_s);
				goto out;
			}
		}
		if (a.b_events + a.b_bad >= a.o.batch ||
		    (a.b_events + a.b_bad > 0 && (t - a.batch_t0) * 1000 >= a.o.linger_ms) ||
		    (a.b_events + a.b_bad == 0 && t - a.batch_t0 >= 1)) {
			/* due: handed to the committer; while it still commits the batch
			   before, go on reading, up to twice the batch size */
			if (!com.busy || a.b_events + a.b_bad >= 2 * a.o.batch) {
				if (a.b_events == 0)
					a.batch_t0 = t; /* commits offsets of skipped/malformed events and finalizes */
				if (committer_submit(&com, &a) < 0)
					goto out;
				a.batch_t0 = t;
			}
		}
		/* the writer runs at most every LAKE_EVERY_S: an hour rewritten by late
		   events is PUT once per round */
		if (a.lake_pending) {
			a.lake_pending = 0;
			if (lake_bg_wake(&lake, &a) < 0)
				goto out;
		}
		if (t >= next_prog) {
			progress(&a, t0, &last_ev, &last_t);
			next_prog = t + 5;
		}
	}
	if (a.fatal)
		goto out;
	/* clean end: the batch in flight, then the current one (everything final
	   with --until-end) */
	if (committer_collect(&com, &a) < 0)
		goto out;
	if (a.fatal)
		goto out;
	int owned_any = 0;
	for (int i = 0; i < a.nparts; i++)
		owned_any |= a.parts[i].owned;
	if (commit_batch(&a, done && owned_any) < 0 || lake_bg_stop(&lake, &a) < 0)
		goto out;
	for (int tries = 0; tries < 3; tries++) {
		int lr = lake_write_pending(&a);
		if (lr == -1)
			goto out;
		if (lr == 0)
			break;
		if (tries == 2) {
			snprintf(a.err, sizeof(a.err), "lake: some hours are not written (rerun to retry)");
			goto out;
		}
		sleep(2);
	}
	rd_kafka_consumer_close(a.rk); /* revoke: flushes an empty batch */
	if (a.fatal)
		goto out;
	if (a.bad)
		fprintf(stderr, "window-agg: skipped %" PRId64 " malformed event(s)\n", a.bad);
	PGresult *r = pg_exec(&a, PGRES_TUPLES_OK, "count windows",
			      "SELECT count(*), count(*) FILTER (WHERE final) FROM flight_windows", 0, NULL);
	if (!r)
		goto out;
	printf("events %" PRId64 " (late %" PRId64 "), windows %s (final %s), lake objects %" PRId64 ", in %.2f s\n",
	       a.events, a.late, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), a.lake_objects, job_now_s() - t0);
	PQclear(r);
	double waited = a.t_commit + a.t_commit_wait;
	fprintf(stderr,
		"window-agg: time in commits %.2f s (%" PRId64 " commits; %.2f s of it waiting for the committer),"
		" lake PostgreSQL %.2f s, S3 PUT %.2f s, the rest (Kafka, parsing) %.2f s; in the background:"
		" commits %.2f s, lake PostgreSQL %.2f s, S3 PUT %.2f s; %" PRId64 " objects\n",
		waited, a.n_commit, a.t_commit_wait, a.t_lake, a.t_put, job_now_s() - t0 - waited - a.t_lake - a.t_put,
		a.t_bg_commit, a.t_bg_lake, a.t_bg_put, a.lake_objects);
	if (fflush(stdout) || ferror(stdout)) {
		snprintf(a.err, sizeof(a.err), "cannot write to stdout");
		goto out;
	}
	rc = 0;
out:
	committer_stop(&com, &a);
	the_committer = NULL;
	if (lake.started) { /* keep the error that got us here */
		char keep[sizeof(a.err)];
		memcpy(keep, a.err, sizeof(keep));
		lake_bg_stop(&lake, &a);
		if (keep[0])
			memcpy(a.err, keep, sizeof(keep));
	}
	if (rc && a.err[0])
		fprintf(stderr, "window-agg: %s\n", a.err);
	if (a.rk) {
		if (rc) {
			a.fatal = 1; /* no flush on the way out */
			rd_kafka_consumer_close(a.rk);
		}
		rd_kafka_destroy(a.rk);
	}
	PQfinish(a.pg);
	put_handles_free(&a);
	job_airports_free(&a.ap);
	free(a.ap_state);
	free(a.states);
	free(a.parts);
	free(a.agg.v);
	free(a.agg.idx);
	return rc;
}
