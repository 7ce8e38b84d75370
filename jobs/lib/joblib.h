/* Shared helpers for labctl's job binaries (jobs/<name>/). A job runs in a
 * compute container, one process per replica, with this environment
 * (set by `labctl run`):
 *   LAB_RANK, LAB_WORLD_SIZE        this replica's index (0-based) and the count
 *   LAB_JOB                         the job's name
 *   LAB_DATASET_<NAME>              path of dataset <name> in the container
 *   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE      PostgreSQL (libpq reads them)
 *   KAFKA_BOOTSTRAP_SERVERS                          Kafka's internal listener
 *   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION  the S3 store
 */
#ifndef JOBLIB_H
#define JOBLIB_H

#include <stddef.h>
#include <stdint.h>

/* getenv with a default. */
const char *job_env(const char *name, const char *dflt);
/* LAB_RANK / LAB_WORLD_SIZE as integers (0 and 1 when unset). */
int job_rank(void);
int job_world(void);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC), for rates. */
double job_now_s(void);

/* Write v in decimal at p (at most 20 bytes, no NUL); returns the end.
 * For hot loops that build COPY rows and JSON without printf. */
char *job_put_int(char *p, long long v);

/* Lines of a file, gzip-compressed or plain (zlib detects which). */
struct job_lines;
/* NULL and errno set when the file cannot be opened. */
struct job_lines *job_lines_open(const char *path);
/* Next line without its newline (and '\r'), NUL-terminated, valid until the
 * next call; *len its length. Returns 1, 0 at end, -1 on a read error. */
int job_lines_next(struct job_lines *l, char **line, size_t *len);
/* Bytes of the underlying file consumed so far (compressed bytes for gzip). */
int64_t job_lines_offset(struct job_lines *l);
void job_lines_close(struct job_lines *l);

/* Split a CSV line in place (RFC 4180: fields in double quotes may hold
 * commas, "" is a quote). fields[i] point into line. Returns the number of
 * fields (at most max), or -1 for an unterminated quote. */
int job_csv_split(char *line, char **fields, int max);

/* One row of flights-3m.csv(.gz): date,delay,distance,origin,destination. */
struct job_flight {
	int64_t event_ms;     /* the flight's date as epoch ms, read as UTC */
	int delay_min;        /* minutes, negative = early */
	int distance_mi;
	char origin[8];       /* IATA */
	char dest[8];
	char date[17];        /* "YYYY-MM-DD HH:MM" as in the file */
};
/* Parse a data line (not the header). Returns 0, or -1 when malformed. */
int job_parse_flight(char *line, struct job_flight *f);
/* The same for lines in the file's exact layout, without sscanf or strtol
 * and without modifying line: "YYYY-MM-DD HH:MM[:SS]" then integer delay and
 * distance, then unquoted IATA codes (1-7 characters). About 10x faster than
 * job_parse_flight; returns -1 for anything else (quoted fields included),
 * so callers may fall back to job_parse_flight. */
int job_parse_flight_fast(const char *line, size_t len, struct job_flight *f);
/* Days since 1970-01-01 of a proleptic Gregorian date (y-m-d). */
int64_t job_days_from_civil(int y, int m, int d);
/* "YYYY-MM-DD HH:MM[:SS]" (UTC) -> epoch ms; -1 when malformed. */
int64_t job_parse_time_ms(const char *s);
/* epoch ms -> "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes) and "YYYY-MM-DD" (>= 11). */
void job_format_time(int64_t ms, char *iso, char *day);

/* airports.csv (iata,name,city,state,country,latitude,longitude; quoted
 * fields with commas): a lookup table. */
struct job_airport {
	char iata[8];
	char *name, *city, *state, *country;
	double latitude, longitude;
};
struct job_airports {
	struct job_airport *v;
	size_t n;
};
/* Returns 0, or -1 (errno) when the file cannot be read. Rows are sorted by iata. */
int job_airports_load(struct job_airports *a, const char *path);
/* The airport with this IATA code, or NULL. */
const struct job_airport *job_airport_find(const struct job_airports *a, const char *iata);
void job_airports_free(struct job_airports *a);

/* PUT an object into the S3 store named by the AWS_* environment, path-style
 * (AWS_ENDPOINT_URL/bucket/key), signed with SigV4 by libcurl. Returns 0, or
 * -1 with a message in err (HTTP status and S3's error code). */
int job_s3_put(const char *bucket, const char *key, const void *data, size_t len,
	       const char *content_type, char *err, size_t errlen);
/* job_s3_put on a libcurl easy handle the caller keeps (*handle: a CURL *,
 * NULL the first time; free it with curl_easy_cleanup): the connection stays
 * open between PUTs (HTTP/1.1 keep-alive), which saves a TCP connection and
 * the server's per-connection work per object. One handle per thread. */
int job_s3_put_keep(void **handle, const char *bucket, const char *key, const void *data, size_t len,
		    const char *content_type, char *err, size_t errlen);

#endif
