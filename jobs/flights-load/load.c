/* flights-load: batch ETL of flights-3m.csv(.gz) and airports.csv into a
 * PostgreSQL star schema (dim_airport, dim_date, fact_flights) with COPY, in
 * one transaction, plus monthly raw partitions in the object store.
 * See README.md in this directory. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "joblib.h"
#include "load.h"

#define COPY_CHUNK (1 << 20) /* bytes handed to PQputCopyData at once */

struct opts {
	const char *input, *airports, *bucket;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: flights-load [--input PATH] [--airports PATH] [--bucket NAME]\n"
		"\n"
		"Loads flights and airports into PostgreSQL as a star schema (dim_airport,\n"
		"dim_date, fact_flights) with COPY in one transaction (a rerun replaces the\n"
		"data), and writes the raw rows per month to the object store as\n"
		"BUCKET/flights/month=YYYY-MM/flights.csv.gz. Runs as a single replica\n"
		"(LAB_WORLD_SIZE must be 1).\n"
		"\n"
		"  --input PATH      flights CSV, gzip or plain (default $LAB_DATASET_FLIGHTS)\n"
		"  --airports PATH   airports CSV (default $LAB_DATASET_AIRPORTS)\n"
		"  --bucket NAME     bucket for the monthly raw partitions (default 'raw')\n"
		"  --help            this text\n"
		"\n"
		"environment: PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE, AWS_ENDPOINT_URL\n"
		"AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION, LAB_DATASET_FLIGHTS,\n"
		"LAB_DATASET_AIRPORTS, LAB_WORLD_SIZE\n"
		"exit status: 0 ok, 1 failure (transaction rolled back), 2 usage\n");
}

/* 0 ok, 1 --help printed, 2 usage error printed. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"input", required_argument, NULL, 'i'}, {"airports", required_argument, NULL, 'a'},
		{"bucket", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	o->input = job_env("LAB_DATASET_FLIGHTS", NULL);
	o->airports = job_env("LAB_DATASET_AIRPORTS", NULL);
	o->bucket = "raw";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->input = optarg;
			break;
		case 'a':
			o->airports = optarg;
			break;
		case 'b':
			o->bucket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "flights-load: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flights-load: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->input || !o->airports) {
		fprintf(stderr, "flights-load: no %s: pass %s or set %s\n", o->input ? "airports" : "input",
			o->input ? "--airports" : "--input", o->input ? "LAB_DATASET_AIRPORTS" : "LAB_DATASET_FLIGHTS");
		return 2;
	}
	if (!*o->bucket) {
		fprintf(stderr, "flights-load: empty --bucket\n");
		return 2;
	}
	return 0;
}

/* --- an open-addressing hash map uint64 -> int (> 0); key 0 is "empty" --- */

struct map {
	uint64_t *k;
	int *v;
	size_t cap, n; /* cap a power of two */
};

static size_t map_slot(const struct map *m, uint64_t k)
{
	size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
	while (m->k[i] && m->k[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int map_get(const struct map *m, uint64_t k)
{
	if (!m->cap)
		return 0;
	size_t i = map_slot(m, k);
	return m->k[i] ? m->v[i] : 0;
}

static int map_put(struct map *m, uint64_t k, int v)
{
	if (2 * (m->n + 1) > m->cap) {
		struct map g = {0};
		g.cap = m->cap ? m->cap * 2 : 1024;
		g.k = calloc(g.cap, sizeof(*g.k));
		g.v = calloc(g.cap, sizeof(*g.v));
		if (!g.k || !g.v) {
			free(g.k);
			free(g.v);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = map_slot(&g, m->k[i]);
				g.k[j] = m->k[i];
				g.v[j] = m->v[i];
			}
		g.n = m->n;
		free(m->k);
		free(m->v);
		*m = g;
	}
	size_t i = map_slot(m, k);
	if (!m->k[i])
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return 0;
}

static void map_free(struct map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static uint64_t iata_key(const char *iata)
{
	uint64_t k = 0;
	memcpy(&k, iata, strnlen(iata, 7)); /* non-empty, so never 0 */
	return k;
}

/* --- the load's state --- */

struct load {
	PGconn *pg;
	struct job_airports ap;
	struct map airport_keys; /* iata -> airport_key */
	char (*unknown)[8];      /* IATA codes not in airports.csv, keys ap.n+1.. */
	size_t n_unknown, cap_unknown;
	struct map days; /* days since epoch (biased) -> 1 */
	struct parts parts;
	long long rows, malformed, first_malformed;
	double copy_secs;
};

/* --- PostgreSQL helpers --- */

static int pg_exec(PGconn *pg, const char *sql, const char *what)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
	if (rc)
		fprintf(stderr, "flights-load: %s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* Collects every result of a PQsendQuery; -1 at the first error. */
static int pg_finish(PGconn *pg, const char *what)
{
	PGresult *r;
	int rc = 0;
	while ((r = PQgetResult(pg))) {
		ExecStatusType s = PQresultStatus(r);
		if (rc == 0 && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			fprintf(stderr, "flights-load: %s: %s", what, PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

static int copy_begin(PGconn *pg, const char *sql, const char *table)
{
	PGresult *r = PQexec(pg, sql);
	int rc = PQresultStatus(r) == PGRES_COPY_IN ? 0 : -1;
	if (rc)
		fprintf(stderr, "flights-load: cannot start COPY into '%s': %s", table, PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

static int copy_put(PGconn *pg, const char *buf, size_t len, const char *table)
{
	if (PQputCopyData(pg, buf, (int)len) != 1) {
		fprintf(stderr, "flights-load: COPY into '%s': %s", table, PQerrorMessage(pg));
		return -1;
	}
	return 0;
}

/* Ends a COPY (aborting it when failed) and reads its result. */
static int copy_end(PGconn *pg, int failed, const char *table)
{
	if (PQputCopyEnd(pg, failed ? "flights-load gave up" : NULL) != 1) {
		fprintf(stderr, "flights-load: ending COPY into '%s': %s", table, PQerrorMessage(pg));
		return -1;
	}
	char what[80];
	snprintf(what, sizeof(what), "COPY into '%s'", table);
	return pg_finish(pg, what) || failed ? -1 : 0;
}

/* --- COPY text-format row building --- */

struct cbuf {
	char *p;
	size_t len, cap;
};

static int cbuf_reserve(struct cbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t c = b->cap ? b->cap : COPY_CHUNK + 4096;
	while (c < b->len + more)
		c *= 2;
	char *p = realloc(b->p, c);
	if (!p)
		return -1;
	b->p = p;
	b->cap = c;
	return 0;
}

/* A text field escaped for COPY's text format; NULL -> \N. */
static int put_text(struct cbuf *b, const char *s)
{
	if (!s) {
		if (cbuf_reserve(b, 2))
			return -1;
		memcpy(b->p + b->len, "\\N", 2);
		b->len += 2;
		return 0;
	}
	if (cbuf_reserve(b, 2 * strlen(s)))
		return -1;
	char *p = b->p + b->len;
	for (; *s; s++) {
		char c = *s;
		const char *e = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
		if (e) {
			*p++ = e[0];
			*p++ = e[1];
		} else {
			*p++ = c;
		}
	}
	b->len = (size_t)(p - b->p);
	return 0;
}

static int put_fmt(struct cbuf *b, const char *fmt, double d)
{
	if (cbuf_reserve(b, 40))
		return -1;
	b->len += (size_t)snprintf(b->p + b->len, 40, fmt, d);
	return 0;
}

static int put_raw(struct cbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (cbuf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

/* --- civil dates --- */

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	/* Howard Hinnant's civil_from_days */
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

#define DAY_BIAS (1ull << 62) /* keeps day keys of the days map non-zero */

/* --- the phases --- */

static const char *const DDL =
	"SET LOCAL client_min_messages = warning;"
	"CREATE TABLE IF NOT EXISTS dim_airport (airport_key int PRIMARY KEY, iata text UNIQUE NOT NULL,"
	" name text, city text, state text, country text,"
	" latitude double precision, longitude double precision);"
	"CREATE TABLE IF NOT EXISTS dim_date (date_key int PRIMARY KEY, date date NOT NULL, year int,"
	" month int, day int, day_of_week int);"
	"CREATE TABLE IF NOT EXISTS fact_flights (flight_ts timestamp, date_key int, origin_key int,"
	" dest_key int, delay_min int, distance_mi int);"
	/* the fact's keys and indexes are rebuilt after the COPY */
	"ALTER TABLE fact_flights DROP CONSTRAINT IF EXISTS fact_flights_date_fk,"
	" DROP CONSTRAINT IF EXISTS fact_flights_origin_fk, DROP CONSTRAINT IF EXISTS fact_flights_dest_fk;"
	"DROP INDEX IF EXISTS fact_flights_date_idx, fact_flights_origin_idx, fact_flights_dest_idx;"
	"TRUNCATE fact_flights, dim_date, dim_airport;";

static const char *const KEYS =
	"ALTER TABLE fact_flights"
	" ADD CONSTRAINT fact_flights_date_fk FOREIGN KEY (date_key) REFERENCES dim_date,"
	" ADD CONSTRAINT fact_flights_origin_fk FOREIGN KEY (origin_key) REFERENCES dim_airport,"
	" ADD CONSTRAINT fact_flights_dest_fk FOREIGN KEY (dest_key) REFERENCES dim_airport;"
	"CREATE INDEX fact_flights_date_idx ON fact_flights (date_key);"
	"CREATE INDEX fact_flights_origin_idx ON fact_flights (origin_key);"
	"CREATE INDEX fact_flights_dest_idx ON fact_flights (dest_key);"
	"ANALYZE dim_airport, dim_date, fact_flights;";

static int load_airports(struct load *ld, const char *path)
{
	if (job_airports_load(&ld->ap, path)) {
		fprintf(stderr, "flights-load: cannot read airports '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (ld->ap.n == 0) {
		fprintf(stderr, "flights-load: no airports in '%s'\n", path);
		return -1;
	}
	for (size_t i = 0; i < ld->ap.n; i++) {
		uint64_t k = iata_key(ld->ap.v[i].iata);
		if (map_get(&ld->airport_keys, k)) {
			fprintf(stderr, "flights-load: '%s': airport '%s' appears twice\n", path, ld->ap.v[i].iata);
			return -1;
		}
		if (map_put(&ld->airport_keys, k, (int)i + 1))
			goto nomem;
	}
	return 0;
nomem:
	fprintf(stderr, "flights-load: out of memory\n");
	return -1;
}

static int copy_airports(struct load *ld)
{
	struct cbuf b = {0};
	int rc = -1, failed = 0;
	if (copy_begin(ld->pg, "COPY dim_airport FROM STDIN", "dim_airport"))
		return -1;
	for (size_t i = 0; i < ld->ap.n + ld->n_unknown && !failed; i++) {
		const struct job_airport *a = i < ld->ap.n ? &ld->ap.v[i] : NULL;
		if (cbuf_reserve(&b, 64)) {
			failed = 1;
			break;
		}
		b.len = (size_t)(job_put_int(b.p + b.len, (long long)i + 1) - b.p);
		b.p[b.len++] = '\t';
		if (a)
			failed = put_text(&b, a->iata) || put_raw(&b, "\t") || put_text(&b, a->name) ||
				 put_raw(&b, "\t") || put_text(&b, a->city) || put_raw(&b, "\t") ||
				 put_text(&b, a->state) || put_raw(&b, "\t") || put_text(&b, a->country) ||
				 put_fmt(&b, "\t%.17g", a->latitude) || put_fmt(&b, "\t%.17g\n", a->longitude);
		else
			failed = put_text(&b, ld->unknown[i - ld->ap.n]) ||
				 put_raw(&b, "\tunknown\t\\N\t\\N\t\\N\t\\N\t\\N\n");
	}
	if (failed)
		fprintf(stderr, "flights-load: out of memory\n");
	else
		failed = copy_put(ld->pg, b.p, b.len, "dim_airport");
	rc = copy_end(ld->pg, failed, "dim_airport");
	free(b.p);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int copy_dates(struct load *ld)
{
	struct cbuf b = {0};
	uint64_t *days = malloc((ld->days.n + 1) * sizeof(*days));
	size_t n = 0;
	int failed = 0;
	if (!days || cbuf_reserve(&b, ld->days.n * 64 + 1)) {
		fprintf(stderr, "flights-load: out of memory\n");
		free(days);
		free(b.p);
		return -1;
	}
	for (size_t i = 0; i < ld->days.cap; i++)
		if (ld->days.k[i])
			days[n++] = ld->days.k[i];
	qsort(days, n, sizeof(*days), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		int64_t z = (int64_t)(days[i] - DAY_BIAS);
		int y, m, d;
		civil_from_days(z, &y, &m, &d);
		int dow = (int)(((z + 3) % 7 + 7) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
		b.len += (size_t)snprintf(b.p + b.len, 64, "%d\t%04d-%02d-%02d\t%d\t%d\t%d\t%d\n", y * 10000 + m * 100 + d,
					  y, m, d, y, m, d, dow);
	}
	if (copy_begin(ld->pg, "COPY dim_date FROM STDIN", "dim_date"))
		failed = -1;
	else
		failed = copy_end(ld->pg, copy_put(ld->pg, b.p, b.len, "dim_date"), "dim_date");
	free(days);
	free(b.p);
	return failed;
}

/* The airport key of an IATA code, adding an 'unknown' airport when new. */
static int airport_key(struct load *ld, const char *iata)
{
	uint64_t k = iata_key(iata);
	int v = map_get(&ld->airport_keys, k);
	if (v)
		return v;
	if (ld->n_unknown == ld->cap_unknown) {
		size_t c = ld->cap_unknown ? ld->cap_unknown * 2 : 64;
		char(*u)[8] = realloc(ld->unknown, c * sizeof(*u));
		if (!u)
			return -1;
		ld->unknown = u;
		ld->cap_unknown = c;
	}
	snprintf(ld->unknown[ld->n_unknown], 8, "%s", iata);
	v = (int)(ld->ap.n + ++ld->n_unknown);
	return map_put(&ld->airport_keys, k, v) ? -1 : v;
}

/* Per-day values cached across rows: rows come mostly in date order. */
struct day_cache {
	int64_t day;
	int date_key, year, month;
};

static int day_lookup(struct load *ld, struct day_cache *dc, int64_t event_ms)
{
	int64_t day = floor_div(event_ms, 86400000);
	if (day == dc->day)
		return 0;
	int d;
	civil_from_days(day, &dc->year, &dc->month, &d);
	dc->day = day;
	dc->date_key = dc->year * 10000 + dc->month * 100 + d;
	uint64_t k = (uint64_t)day + DAY_BIAS;
	return map_get(&ld->days, k) ? 0 : map_put(&ld->days, k, 1);
}

/* One fact row in COPY text format; the timestamp is the file's own text
 * (checked by the parser). */
static char *fact_row(char *p, const struct job_flight *f, const struct day_cache *dc, int ok, int dk)
{
	size_t n = strlen(f->date);
	memcpy(p, f->date, n);
	p += n;
	*p++ = '\t';
	p = job_put_int(p, dc->date_key);
	*p++ = '\t';
	p = job_put_int(p, ok);
	*p++ = '\t';
	p = job_put_int(p, dk);
	*p++ = '\t';
	p = job_put_int(p, f->delay_min);
	*p++ = '\t';
	p = job_put_int(p, f->distance_mi);
	*p++ = '\n';
	return p;
}

/* A data row: the fast parser, else job_parse_flight (quoted fields), whose
 * date must then be a real calendar date (it normalises 02-30 to 03-02).
 * line may be modified. 0 or -1 when malformed. */
static int parse_row(char *line, size_t len, struct job_flight *f)
{
	if (job_parse_flight_fast(line, len, f) == 0)
		return 0;
	if (job_parse_flight(line, f))
		return -1;
	char iso[21];
	size_t n = strlen(f->date);
	job_format_time(f->event_ms, iso, NULL);
	iso[10] = ' ';
	return (n == 16 || n == 19) && memcmp(iso, f->date, n) == 0 ? 0 : -1;
}

/* parse_row on a copy: the raw line goes to the month parts unchanged. */
static int parse_copy(const char *line, size_t len, struct job_flight *f)
{
	char *c = strndup(line, len);
	int rc = !c || parse_row(c, len, f) ? -1 : 0;
	free(c);
	return rc;
}

/* Streams the flights file into fact_flights and the month parts. */
static int copy_facts(struct load *ld, const char *path)
{
	struct job_lines *l = NULL;
	struct cbuf b = {0};
	struct day_cache dc = {.day = INT64_MIN};
	char *line;
	size_t len;
	int r, failed = 1;
	long long i = -1;
	if (!(l = job_lines_open(path))) {
		fprintf(stderr, "flights-load: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if ((r = job_lines_next(l, &line, &len)) != 1) {
		fprintf(stderr, "flights-load: '%s': %s\n", path, r == 0 ? "empty file (no header)" : "read error");
		job_lines_close(l);
		return -1;
	}
	if (parts_init(&ld->parts, line) || cbuf_reserve(&b, COPY_CHUNK + 4096)) {
		fprintf(stderr, "flights-load: out of memory\n");
		goto close;
	}
	double t0 = job_now_s();
	/* FREEZE: the table was truncated in this transaction */
	if (copy_begin(ld->pg, "COPY fact_flights FROM STDIN WITH (FREEZE)", "fact_flights"))
		goto close;
	while ((r = job_lines_next(l, &line, &len)) == 1) {
		struct job_flight f;
		i++;
		if (job_parse_flight_fast(line, len, &f) && parse_copy(line, len, &f)) {
			if (ld->malformed++ == 0)
				ld->first_malformed = i;
			continue;
		}
		int ok, dk;
		if (day_lookup(ld, &dc, f.event_ms) || (ok = airport_key(ld, f.origin)) < 0 ||
		    (dk = airport_key(ld, f.dest)) < 0 || parts_add(&ld->parts, dc.year, dc.month, line, len)) {
			fprintf(stderr, "flights-load: out of memory\n");
			goto end;
		}
		b.len = (size_t)(fact_row(b.p + b.len, &f, &dc, ok, dk) - b.p);
		ld->rows++;
		if (b.len >= COPY_CHUNK) {
			if (copy_put(ld->pg, b.p, b.len, "fact_flights"))
				goto end;
			b.len = 0;
		}
	}
	if (r < 0) {
		fprintf(stderr, "flights-load: reading '%s': read or decompression error after data row %lld\n", path, i);
		goto end;
	}
	failed = b.len && copy_put(ld->pg, b.p, b.len, "fact_flights");
end:
	failed = copy_end(ld->pg, failed, "fact_flights");
	ld->copy_secs = job_now_s() - t0;
close:
	job_lines_close(l);
	free(b.p);
	return failed ? -1 : 0;
}

static int run(struct load *ld, const struct opts *o, size_t *gzbytes)
{
	if (pg_exec(ld->pg, "BEGIN", "starting the transaction") ||
	    pg_exec(ld->pg, DDL, "creating and truncating the tables") || copy_facts(ld, o->input) ||
	    copy_airports(ld) || copy_dates(ld))
		return -1;
	/* the server adds keys and indexes while we compress the month parts */
	if (!PQsendQuery(ld->pg, KEYS)) {
		fprintf(stderr, "flights-load: adding foreign keys and indexes: %s", PQerrorMessage(ld->pg));
		return -1;
	}
	int zrc = parts_compress(&ld->parts);
	if (pg_finish(ld->pg, "adding foreign keys and indexes") || zrc ||
	    parts_upload(&ld->parts, o->bucket, gzbytes))
		return -1;
	return pg_exec(ld->pg, "COMMIT", "committing");
}

static void load_free(struct load *ld)
{
	if (ld->pg)
		PQfinish(ld->pg);
	job_airports_free(&ld->ap);
	map_free(&ld->airport_keys);
	map_free(&ld->days);
	free(ld->unknown);
	parts_free(&ld->parts);
}

static void report(const struct load *ld, const struct opts *o, double total, size_t gzbytes)
{
	if (ld->malformed)
		fprintf(stderr, "flights-load: %lld malformed rows skipped (first: data row %lld)\n", ld->malformed,
			ld->first_malformed);
	printf("loaded %lld flights into fact_flights, %zu airports into dim_airport (%zu not in airports.csv,"
	       " named 'unknown'), %zu dates into dim_date\n",
	       ld->rows, ld->ap.n + ld->n_unknown, ld->n_unknown, ld->days.n);
	printf("copy phase: %lld rows in %.2f s (%.0f rows/s)\n", ld->rows, ld->copy_secs,
	       ld->copy_secs > 0 ? (double)ld->rows / ld->copy_secs : 0.0);
	printf("total: %lld rows in %.2f s (%.0f rows/s)\n", ld->rows, total, total > 0 ? (double)ld->rows / total : 0.0);
	printf("wrote %zu objects to bucket '%s' (flights/month=YYYY-MM/flights.csv.gz, %.1f MB)\n", ld->parts.n,
	       o->bucket, (double)gzbytes / 1e6);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct load ld = {0};
	size_t gzbytes = 0;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	rc = 1;
	if (job_world() != 1) {
		fprintf(stderr, "flights-load: runs as a single replica, but LAB_WORLD_SIZE is %d\n", job_world());
		return 1;
	}
	double t0 = job_now_s();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (load_airports(&ld, o.airports))
		goto out;
	ld.pg = PQconnectdb("");
	if (PQstatus(ld.pg) != CONNECTION_OK) {
		fprintf(stderr, "flights-load: cannot connect to PostgreSQL: %s", PQerrorMessage(ld.pg));
		goto out;
	}
	if (run(&ld, &o, &gzbytes)) {
		fprintf(stderr, "flights-load: transaction rolled back, nothing loaded\n");
		goto out;
	}
	report(&ld, &o, job_now_s() - t0, gzbytes);
	rc = 0;
out:
	load_free(&ld); /* PQfinish of an open transaction rolls it back */
	curl_global_cleanup();
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "flights-load: writing stdout: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}
