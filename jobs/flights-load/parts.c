/* Monthly partitions of the raw flights file, gzip-compressed in memory and
 * written to the object store with job_s3_put. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "joblib.h"
#include "load.h"

int parts_init(struct parts *p, const char *header)
{
	memset(p, 0, sizeof(*p));
	p->header = strdup(header);
	return p->header ? 0 : -1;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 1 << 20;
	while (c < need)
		c *= 2;
	char *b = realloc(*buf, c);
	if (!b)
		return -1;
	*buf = b;
	*cap = c;
	return 0;
}

static int append(struct month_part *m, const char *s, size_t len)
{
	if (grow(&m->raw, &m->cap, m->len + len + 1))
		return -1;
	memcpy(m->raw + m->len, s, len);
	m->raw[m->len + len] = '\n';
	m->len += len + 1;
	return 0;
}

static struct month_part *month_get(struct parts *p, int year, int month)
{
	if (p->last < p->n && p->v[p->last].year == year && p->v[p->last].month == month)
		return &p->v[p->last];
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].year == year && p->v[i].month == month) {
			p->last = i;
			return &p->v[i];
		}
	if (p->n == p->cap) {
		size_t c = p->cap ? p->cap * 2 : 16;
		struct month_part *v = realloc(p->v, c * sizeof(*v));
		if (!v)
			return NULL;
		p->v = v;
		p->cap = c;
	}
	struct month_part *m = &p->v[p->n];
	memset(m, 0, sizeof(*m));
	m->year = year;
	m->month = month;
	if (append(m, p->header, strlen(p->header))) {
		free(m->raw);
		return NULL;
	}
	p->last = p->n++;
	return m;
}

int parts_add(struct parts *p, int year, int month, const char *line, size_t len)
{
	struct month_part *m = month_get(p, year, month);
	return m ? append(m, line, len) : -1;
}

static int gzip_part(struct month_part *m)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)m->len);
	int rc = -1;
	m->gz = malloc(cap);
	if (!m->gz)
		goto out;
	z.next_in = (Bytef *)m->raw;
	z.avail_in = (uInt)m->len;
	z.next_out = m->gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		goto out;
	m->gzlen = z.total_out;
	rc = 0;
out:
	deflateEnd(&z);
	return rc;
}

int parts_compress(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct month_part *m = &p->v[i];
		if (m->len > 0xffffffffu || gzip_part(m)) {
			fprintf(stderr, "flights-load: cannot gzip month '%04d-%02d' (%zu bytes)\n", m->year, m->month,
				m->len);
			return -1;
		}
		free(m->raw); /* not needed any more */
		m->raw = NULL;
		m->cap = 0;
	}
	return 0;
}

int parts_upload(struct parts *p, const char *bucket, size_t *bytes)
{
	*bytes = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct month_part *m = &p->v[i];
		char key[64], err[512];
		snprintf(key, sizeof(key), "flights/month=%04d-%02d/flights.csv.gz", m->year, m->month);
		if (job_s3_put(bucket, key, m->gz, m->gzlen, "application/gzip", err, sizeof(err))) {
			fprintf(stderr, "flights-load: cannot write object '%s' to bucket '%s': %s\n", key, bucket, err);
			return -1;
		}
		*bytes += m->gzlen;
	}
	return 0;
}

void parts_free(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].raw);
		free(p->v[i].gz);
	}
	free(p->v);
	free((char *)p->header);
	memset(p, 0, sizeof(*p));
}
