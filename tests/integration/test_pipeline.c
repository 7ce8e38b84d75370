/* The labs' jobs on real services, on the labs' shipped samples:
 * module4's batch load and module3's streaming pipeline. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* psql inside the lab's postgres container */
static char *sql(const struct it_lab *lab, const char *lab_name, const char *query)
{
	return it_sh("LABCTL_STATE_DIR='%s' '%s' exec -p %s %s postgres -- psql -U lab -d lab -X -tAc \"%s\"",
		     lab->state, it_labctl(), lab->project, lab_name, query);
}

/* keys under prefix in a bucket, listed from the compute node (SigV4) */
static char *s3_keys(const struct it_lab *lab, const char *lab_name, const char *bucket, const char *prefix)
{
	return it_sh("LABCTL_STATE_DIR='%s' '%s' exec -p %s %s compute -- sh -c 'curl -s --aws-sigv4 "
		     "\"aws:amz:$AWS_REGION:s3\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H "
		     "\"x-amz-content-sha256: UNSIGNED-PAYLOAD\" \"$AWS_ENDPOINT_URL/%s?list-type=2&max-keys=1000&prefix=%s\"' "
		     "| grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'",
		     lab->state, it_labctl(), lab->project, lab_name, bucket, prefix);
}

Test(pipeline, module4_loads_the_star_schema_and_monthly_parts, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "module4", "");
	it_labctl_run(&r, &lab, "up -p %s module4", lab.project);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);
	for (int pass = 0; pass < 2; pass++) { /* a rerun replaces, never duplicates */
		it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module4 flights-load", lab.state,
		       it_labctl(), lab.project);
		cr_assert_eq(r.status, 0, "run %d: %s\n%s", pass, r.err, r.out);
		it_run_free(&r);
	}
	char *facts = sql(&lab, "module4", "select count(*) from fact_flights");
	cr_expect_str_eq(facts, "20000", "every sample row once");
	char *days = it_sh("zcat %s/labs/module4/data/flights-sample.csv.gz | tail -n +2 | cut -c1-10 | sort -u | wc -l",
			   it_repo());
	char *dates = sql(&lab, "module4", "select count(*) from dim_date");
	cr_expect_str_eq(dates, days, "one dim_date row per day in the input");
	char *joined = sql(&lab, "module4",
			   "select count(*) from fact_flights f join dim_airport o on o.airport_key = f.origin_key "
			   "join dim_airport d on d.airport_key = f.dest_key join dim_date t using (date_key)");
	cr_expect_str_eq(joined, "20000", "every fact has its dimensions");
	/* an independent check of one value: flights out of ORD in the sample */
	char *ord_in = it_sh("zcat %s/labs/module4/data/flights-sample.csv.gz | awk -F, '$4 == \"ORD\"' | wc -l",
			     it_repo());
	char *ord_db = sql(&lab, "module4",
			   "select count(*) from fact_flights f join dim_airport a on a.airport_key = f.origin_key "
			   "where a.iata = 'ORD'");
	cr_expect_str_eq(ord_db, ord_in);
	char *keys = s3_keys(&lab, "module4", "raw", "flights%2F");
	cr_expect(strstr(keys, "flights/month=2001-01/flights.csv.gz") &&
			  strstr(keys, "flights/month=2001-06/flights.csv.gz"),
		  "monthly parts: %s", keys);
	cr_expect_eq(it_lines(keys), 6, "Jan-Jun 2001: %s", keys);
	free(facts), free(days), free(dates), free(joined), free(ord_in), free(ord_db), free(keys);
	it_labctl_run(&r, &lab, "down -p %s module4 --volumes", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* ---- module3: an independent count of the input ---- */

struct state_count {
	char state[16];
	long n;
};

/* Split one CSV line (quotes may hold commas) into at most max fields. */
static int csv_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		if (*p == '"') {
			/* unquote in place; out trails p by at least the opening quote */
			char *out = ++p;
			f[n++] = out;
			while (*p) {
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
			*out = '\0';
		} else {
			f[n++] = p;
		}
		p += strcspn(p, ",");
		if (!*p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Per-state flight counts of the first rows data rows of the gzip CSV at
 * flights (all when rows < 0), origin -> state from airports.csv. */
static size_t count_states(struct state_count *out, size_t cap, const char *flights, const char *airports,
			   long rows)
{
	static char iata[4000][8], state[4000][16];
	size_t na = 0, n = 0;
	char line[1024];
	FILE *a = fopen(airports, "r");
	cr_assert(a, "%s", airports);
	while (fgets(line, sizeof(line), a) && na < 4000) {
		char *f[8];
		line[strcspn(line, "\r\n")] = '\0';
		if (csv_fields(line, f, 8) == 7) {
			snprintf(iata[na], 8, "%s", f[0]);
			snprintf(state[na], 16, "%s", f[3]);
			na++;
		}
	}
	fclose(a);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "zcat '%s' | tail -n +2", flights);
	FILE *p = popen(cmd, "r");
	for (long row = 0; fgets(line, sizeof(line), p) && (rows < 0 || row < rows); row++) {
		char *f[6];
		line[strcspn(line, "\r\n")] = '\0';
		if (csv_fields(line, f, 6) != 5)
			continue;
		const char *st = "unknown";
		for (size_t i = 0; i < na; i++)
			if (strcmp(iata[i], f[3]) == 0)
				st = state[i];
		size_t k = 0;
		while (k < n && strcmp(out[k].state, st) != 0)
			k++;
		if (k == n && n < cap)
			snprintf(out[n++].state, 16, "%.15s", st);
		if (k < cap)
			out[k].n++;
	}
	pclose(p);
	return n;
}

/* "STATE|N" lines from flight_windows, compared with the expected counts. */
static void expect_state_totals(const struct it_lab *lab, const struct state_count *want, size_t n, const char *when)
{
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		char q[256];
		snprintf(q, sizeof(q), "select coalesce(sum(flights), 0) from flight_windows where origin_state = '%s'",
			 want[i].state);
		char *got = sql(lab, "module3", q);
		cr_expect_eq(atol(got), want[i].n, "%s: state %s has %s flights, input has %ld", when, want[i].state, got,
			     want[i].n);
		free(got);
		total += want[i].n;
	}
	char *sum = sql(lab, "module3", "select sum(flights) from flight_windows");
	cr_expect_eq(atol(sum), total, "%s: total %s, input %ld", when, sum, total);
	free(sum);
}

Test(pipeline, module3_windows_exactly_once_through_kill_and_broker_restart, .timeout = 1200)
{
	struct it_lab lab;
	struct it_run r;
	char kport[16];
	snprintf(kport, sizeof(kport), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", kport, 1);
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "module3", "");
	char sample[600], airports[600];
	snprintf(sample, sizeof(sample), "%s/labs/module3/data/flights-sample.csv.gz", it_repo());
	snprintf(airports, sizeof(airports), "%s/labs/module3/data/airports.csv", it_repo());
	static struct state_count want[100], extra[100];
	size_t n_want = count_states(want, 100, sample, airports, -1);
	cr_assert(n_want > 40, "the sample covers many states");

	it_labctl_run(&r, &lab, "up -p %s module3", lab.project);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);
	/* two producer replicas split the sample */
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 produce", lab.state, it_labctl(),
	       lab.project);
	cr_assert_eq(r.status, 0, "produce: %s", r.err);
	cr_expect(strstr(r.out, "compute-1 | produced 10000 messages") && strstr(r.out, "compute-2 | produced 10000 messages"),
		  "%s", r.out);
	it_run_free(&r);

	/* aggregate, killed with -9 once some batches committed */
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' run -p %s module3 aggregate -- --batch 50 >/dev/null 2>&1 & "
	       "for i in $(seq 1 600); do n=$(LABCTL_STATE_DIR='%s' '%s' exec -p %s module3 postgres -- psql -U lab "
	       "-d lab -X -tAc 'select coalesce(sum(flights),0) from flight_windows' 2>/dev/null || echo 0); "
	       "[ \"${n:-0}\" -gt 0 ] && break; sleep 0.05; done; "
	       "docker exec %s-compute-1 pkill -9 window-agg; wait; true",
	       lab.state, it_labctl(), lab.project, lab.state, it_labctl(), lab.project, lab.project);
	it_run_free(&r);
	char *partial = sql(&lab, "module3", "select coalesce(sum(flights), 0) from flight_windows");
	cr_expect(atol(partial) > 0 && atol(partial) < 20000, "killed midway: %s of 20000 counted", partial);
	free(partial);

	/* rerun to the end: every flight exactly once */
	it_labctl_run(&r, &lab, "run -p %s module3 aggregate", lab.project);
	cr_assert_eq(r.status, 0, "aggregate: %s\n%s", r.err, r.out);
	it_run_free(&r);
	expect_state_totals(&lab, want, n_want, "after kill -9 and rerun");

	/* one dt= partition per day of the input in the lake */
	char *days = it_sh("zcat '%s' | tail -n +2 | cut -c1-10 | sort -u | wc -l", sample);
	/* the "directories" under flights/: ListObjectsV2 with delimiter=/ */
	char *dts = it_sh("LABCTL_STATE_DIR='%s' '%s' exec -p %s module3 compute -- sh -c 'curl -s --aws-sigv4 "
			  "\"aws:amz:$AWS_REGION:s3\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H "
			  "\"x-amz-content-sha256: UNSIGNED-PAYLOAD\" "
			  "\"$AWS_ENDPOINT_URL/lake?delimiter=%%2F&list-type=2&max-keys=1000&prefix=flights%%2F\"' "
			  "| grep -o '<Prefix>flights/dt=[0-9-]*/</Prefix>' | sort -u | wc -l",
			  lab.state, it_labctl(), lab.project);
	cr_expect_str_eq(dts, days, "one dt= partition per day");
	/* one object per hour of that day that had flights */
	char *one = s3_keys(&lab, "module3", "lake", "flights%2Fdt%3D2001-03-15%2F");
	char *hours = it_sh("zcat '%s' | grep '^2001-03-15' | cut -c12-13 | sort -u | wc -l", sample);
	cr_expect_eq(it_lines(one), atoi(hours), "%s hours with flights on 2001-03-15: %s", hours, one);
	free(days), free(dts), free(one), free(hours);

	/* a rerun changes nothing */
	it_labctl_run(&r, &lab, "run -p %s module3 aggregate", lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	expect_state_totals(&lab, want, n_want, "after a rerun");

	/* more events (the first 2,000 of each producer's share: rows 0..3999,
	   all behind the watermark), aggregated across a broker restart */
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 produce -- --limit 2000", lab.state,
	       it_labctl(), lab.project);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	size_t n_extra = count_states(extra, 100, sample, airports, 4000);
	for (size_t i = 0; i < n_extra; i++) {
		size_t k = 0;
		while (k < n_want && strcmp(want[k].state, extra[i].state) != 0)
			k++;
		if (k == n_want)
			want[n_want++] = extra[i];
		else
			want[k].n += extra[i].n;
	}
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' run -p %s module3 aggregate -- --batch 50 > %s/agg.out 2>&1 & pid=$!; "
	       "sleep 1; docker restart -t 10 %s-kafka-1 >/dev/null; wait $pid",
	       lab.state, it_labctl(), lab.project, lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "aggregate across a broker restart exited %d", r.status);
	it_run_free(&r);
	expect_state_totals(&lab, want, n_want, "after a broker restart");
	char *late = sql(&lab, "module3", "select sum(late_events) from flight_windows");
	cr_expect(atol(late) >= 4000, "events behind the watermark are counted as late: %s", late);
	free(late);

	it_labctl_run(&r, &lab, "down -p %s module3 --volumes", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
