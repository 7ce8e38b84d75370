/* flights-load: internal interfaces between load.c (PostgreSQL) and
 * parts.c (monthly raw partitions for the object store). */
#ifndef FLIGHTS_LOAD_H
#define FLIGHTS_LOAD_H

#include <stddef.h>

/* Raw rows grouped by month, kept in memory until written. */
struct month_part {
	int year, month;
	char *raw; /* header + rows, '\n'-terminated */
	size_t len, cap;
	unsigned char *gz; /* raw, gzip-compressed */
	size_t gzlen;
};
struct parts {
	struct month_part *v;
	size_t n, cap;
	const char *header;
	size_t last; /* index of the last month used (rows come mostly in order) */
};

/* header is copied; it must outlive nothing. Returns 0 or -1 (ENOMEM). */
int parts_init(struct parts *p, const char *header);
/* Appends one raw line (no newline) to the month's part. */
int parts_add(struct parts *p, int year, int month, const char *line, size_t len);
/* gzip every part in memory; -1 with a message on stderr on a zlib error. */
int parts_compress(struct parts *p);
/* PUT every part to bucket as flights/month=YYYY-MM/flights.csv.gz; -1 with
 * a message on stderr at the first failure. *bytes = compressed bytes written. */
int parts_upload(struct parts *p, const char *bucket, size_t *bytes);
void parts_free(struct parts *p);

#endif
