#include "joblib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

const char *job_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

int job_rank(void)
{
	return atoi(job_env("LAB_RANK", "0"));
}

int job_world(void)
{
	int w = atoi(job_env("LAB_WORLD_SIZE", "1"));
	return w > 0 ? w : 1;
}

double job_now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

char *job_put_int(char *p, long long v)
{
	char tmp[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

struct job_lines {
	gzFile gz;
	char *buf;
	size_t cap;
};

struct job_lines *job_lines_open(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	gzbuffer(gz, 1 << 17);
	struct job_lines *l = calloc(1, sizeof(*l));
	l->gz = gz;
	l->cap = 4096;
	l->buf = malloc(l->cap);
	return l;
}

int job_lines_next(struct job_lines *l, char **line, size_t *len)
{
	size_t n = 0;
	for (;;) {
		if (!gzgets(l->gz, l->buf + n, (int)(l->cap - n))) {
			int e;
			gzerror(l->gz, &e);
			if (e != Z_OK && e != Z_STREAM_END)
				return -1;
			if (n == 0)
				return 0;
			break;
		}
		n += strlen(l->buf + n);
		if (n > 0 && l->buf[n - 1] == '\n')
			break;
		if (n + 1 >= l->cap) {
			l->cap *= 2;
			l->buf = realloc(l->buf, l->cap);
		}
	}
	while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
		l->buf[--n] = '\0';
	*line = l->buf;
	*len = n;
	return 1;
}

int64_t job_lines_offset(struct job_lines *l)
{
	return (int64_t)gzoffset(l->gz);
}

void job_lines_close(struct job_lines *l)
{
	if (!l)
		return;
	gzclose(l->gz);
	free(l->buf);
	free(l);
}

int job_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n >= max)
			return n;
		if (*p == '"') {
			char *out = ++p;
			fields[n++] = out;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"') {
					if (p[1] == '"') {
						*out++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*out++ = *p++;
			}
			*out = '\0';
			/* skip to the separator */
			while (*p && *p != ',')
				p++;
		} else {
			fields[n++] = p;
			while (*p && *p != ',')
				p++;
		}
		if (*p == '\0') {
			return n;
		}
		*p++ = '\0';
	}
}

int64_t job_parse_time_ms(const char *s)
{
	struct tm tm = {0};
	int sec = 0;
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &sec) < 5 &&
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &sec) < 5)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm) * 1000;
}

void job_format_time(int64_t ms, char *iso, char *day)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (iso)
		strftime(iso, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (day)
		strftime(day, 11, "%Y-%m-%d", &tm);
}

int job_parse_flight(char *line, struct job_flight *f)
{
	char *fld[6];
	if (job_csv_split(line, fld, 6) != 5)
		return -1;
	char *end;
	if (strlen(fld[0]) >= sizeof(f->date))
		return -1;
	f->event_ms = job_parse_time_ms(fld[0]);
	if (f->event_ms < 0)
		return -1;
	strcpy(f->date, fld[0]);
	f->delay_min = (int)strtol(fld[1], &end, 10);
	if (end == fld[1] || *end)
		return -1;
	f->distance_mi = (int)strtol(fld[2], &end, 10);
	if (end == fld[2] || *end)
		return -1;
	if (!*fld[3] || strlen(fld[3]) >= sizeof(f->origin) || !*fld[4] || strlen(fld[4]) >= sizeof(f->dest))
		return -1;
	strcpy(f->origin, fld[3]);
	strcpy(f->dest, fld[4]);
	return 0;
}

static int airport_cmp(const void *a, const void *b)
{
	return strcmp(((const struct job_airport *)a)->iata, ((const struct job_airport *)b)->iata);
}

int job_airports_load(struct job_airports *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	struct job_lines *l = job_lines_open(path);
	if (!l)
		return -1;
	char *line;
	size_t len, cap = 0;
	int first = 1, rc;
	while ((rc = job_lines_next(l, &line, &len)) == 1) {
		char *f[8];
		if (first) {
			first = 0;
			continue;
		}
		if (job_csv_split(line, f, 8) != 7 || !*f[0] || strlen(f[0]) >= 8)
			continue;
		if (a->n == cap) {
			cap = cap ? cap * 2 : 1024;
			a->v = realloc(a->v, cap * sizeof(*a->v));
		}
		struct job_airport *ap = &a->v[a->n++];
		strcpy(ap->iata, f[0]);
		ap->name = strdup(f[1]);
		ap->city = strdup(f[2]);
		ap->state = strdup(f[3]);
		ap->country = strdup(f[4]);
		ap->latitude = atof(f[5]);
		ap->longitude = atof(f[6]);
	}
	job_lines_close(l);
	if (rc < 0) {
		job_airports_free(a);
		errno = EIO;
		return -1;
	}
	qsort(a->v, a->n, sizeof(*a->v), airport_cmp);
	return 0;
}

const struct job_airport *job_airport_find(const struct job_airports *a, const char *iata)
{
	struct job_airport key;
	snprintf(key.iata, sizeof(key.iata), "%s", iata);
	return bsearch(&key, a->v, a->n, sizeof(*a->v), airport_cmp);
}

void job_airports_free(struct job_airports *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].city);
		free(a->v[i].state);
		free(a->v[i].country);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

struct put_body {
	const char *data;
	size_t len, off;
};

static size_t put_read(char *buf, size_t size, size_t n, void *ud)
{
	struct put_body *b = ud;
	size_t want = size * n;
	if (want > b->len - b->off)
		want = b->len - b->off;
	memcpy(buf, b->data + b->off, want);
	b->off += want;
	return want;
}

static size_t put_resp(char *p, size_t size, size_t n, void *ud)
{
	char *resp = ud;
	size_t have = strlen(resp), add = size * n;
	if (have + add < 1023) {
		memcpy(resp + have, p, add);
		resp[have + add] = '\0';
	}
	return size * n;
}

int job_s3_put(const char *bucket, const char *key, const void *data, size_t len,
	       const char *content_type, char *err, size_t errlen)
{
	void *c = NULL;
	int rc = job_s3_put_keep(&c, bucket, key, data, len, content_type, err, errlen);
	curl_easy_cleanup(c);
	return rc;
}

int job_s3_put_keep(void **handle, const char *bucket, const char *key, const void *data, size_t len,
		    const char *content_type, char *err, size_t errlen)
{
	const char *ep = job_env("AWS_ENDPOINT_URL", NULL), *ak = job_env("AWS_ACCESS_KEY_ID", NULL),
		   *sk = job_env("AWS_SECRET_ACCESS_KEY", NULL), *region = job_env("AWS_REGION", "us-east-1");
	if (!ep || !ak || !sk) {
		snprintf(err, errlen, "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
		return -1;
	}
	char url[2048], sigv4[128], userpwd[512], hash_hdr[128] = "x-amz-content-sha256: ", ctype[160];
	snprintf(url, sizeof(url), "%s/%s/%s", ep, bucket, key);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", region);
	snprintf(userpwd, sizeof(userpwd), "%s:%s", ak, sk);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type ? content_type : "application/octet-stream");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hash_hdr + 22 + 2 * i, 3, "%02x", md[i]);
	struct curl_slist *h = curl_slist_append(NULL, hash_hdr);
	h = curl_slist_append(h, ctype);
	h = curl_slist_append(h, "Expect:");
	struct put_body b = {data, len, 0};
	char resp[1024] = "";
	CURL *c = *handle;
	if (c)
		curl_easy_reset(c); /* keeps the open connection */
	else if (!(c = *handle = curl_easy_init())) {
		snprintf(err, errlen, "PUT %s: cannot create a libcurl handle", url);
		curl_slist_free_all(h);
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, put_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &b);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, put_resp);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	int rc = 0;
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "PUT %s: %s", url, curl_easy_strerror(cc));
		rc = -1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			snprintf(err, errlen, "PUT %s: status %ld: %.300s", url, status, resp);
			rc = -1;
		}
	}
	curl_slist_free_all(h);
	return rc;
}

int64_t job_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* An integer field ending at ',' -> *out; returns the position after the comma or NULL. */
static const char *int_field(const char *p, const char *end, int *out)
{
	int neg = 0, n = 0;
	long v = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	while (p < end && *p >= '0' && *p <= '9' && n < 10) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || p >= end || *p != ',')
		return NULL;
	*out = (int)(neg ? -v : v);
	return p + 1;
}

int job_parse_flight_fast(const char *line, size_t len, struct job_flight *f)
{
	const char *p = line, *end = line + len;
	int y, mo, d, h, mi, s = 0, dl = 16;
	if (len < 16 || p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' || digits(p, 4, &y) ||
	    digits(p + 5, 2, &mo) || digits(p + 8, 2, &d) || digits(p + 11, 2, &h) || digits(p + 14, 2, &mi))
		return -1;
	if (len > 19 && p[16] == ':') {
		if (digits(p + 17, 2, &s))
			return -1;
		dl = 19;
	}
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
		return -1;
	if (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return -1;
	p += dl;
	if (p >= end || *p++ != ',')
		return -1;
	if (!(p = int_field(p, end, &f->delay_min)) || !(p = int_field(p, end, &f->distance_mi)))
		return -1;
	const char *c = memchr(p, ',', (size_t)(end - p));
	if (!c || c == p || c - p >= (long)sizeof(f->origin) || end - c - 1 <= 0 ||
	    end - c - 1 >= (long)sizeof(f->dest) || memchr(c + 1, ',', (size_t)(end - c - 1)) ||
	    memchr(p, '"', (size_t)(end - p)))
		return -1;
	memcpy(f->origin, p, (size_t)(c - p));
	f->origin[c - p] = '\0';
	memcpy(f->dest, c + 1, (size_t)(end - c - 1));
	f->dest[end - c - 1] = '\0';
	memcpy(f->date, line, (size_t)dl);
	f->date[dl] = '\0';
	f->event_ms = ((job_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * 1000;
	return 0;
}
