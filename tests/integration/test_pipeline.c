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
	/* one object per day, a line per window of that day */
	char *one = s3_keys(&lab, "module3", "lake", "flights%2Fdt%3D2001-03-15%2F");
	cr_expect_str_eq(one, "flights/dt=2001-03-15/windows.jsonl", "the objects of 2001-03-15");
	char *lines = it_sh("LABCTL_STATE_DIR='%s' '%s' exec -p %s module3 compute -- sh -c 'curl -sf --aws-sigv4 "
			    "\"aws:amz:$AWS_REGION:s3\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H "
			    "\"x-amz-content-sha256: UNSIGNED-PAYLOAD\" "
			    "\"$AWS_ENDPOINT_URL/lake/flights/dt=2001-03-15/windows.jsonl\"' | grep -c '\"window_start\":\"2001-03-15T'",
			    lab.state, it_labctl(), lab.project);
	char *windows = sql(&lab, "module3",
			    "select count(*) from flight_windows where window_start >= '2001-03-15 00:00+00'"
			    " and window_start < '2001-03-16 00:00+00'");
	cr_expect(atoi(windows) > 0, "windows of 2001-03-15: %s", windows);
	cr_expect_str_eq(lines, windows, "lines of 2001-03-15's object = its windows in flight_windows");
	free(days), free(dts), free(one), free(lines), free(windows);

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

/* ---- module3's aggregate-spark: Spark Structured Streaming on a real cluster ---- */

/* The status of check id in `verify --format json` output (one check a line). */
static char *check_status(const char *json, const char *id)
{
	char key[128];
	snprintf(key, sizeof(key), "{\"id\": \"%s\",", id);
	const char *p = strstr(json, key);
	const char *s = p ? strstr(p, "\"status\": \"") : NULL;
	if (!s)
		return strdup("(absent)");
	s += strlen("\"status\": \"");
	return strndup(s, strcspn(s, "\""));
}

/* On 2,000 events of the sample, one worker: the Spark job's windows per
 * origin state equal an independent count of the input; 1,000 events
 * produced again afterwards are behind its watermark and all dropped (and
 * accounted as dropped per state), while window-agg on the same topic counts
 * them; verify skips each job's checks until it ran, then grades both. */
Test(pipeline, module3_spark_aggregate_drops_late_events_and_verify_grades_it, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	char kport[16];
	snprintf(kport, sizeof(kport), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", kport, 1);
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	setenv("LAB_SPARK_UI_PORT", "0", 1);
	it_lab_make(&lab, "module3", "");
	char sample[600], airports[600];
	snprintf(sample, sizeof(sample), "%s/labs/module3/data/flights-sample.csv.gz", it_repo());
	snprintf(airports, sizeof(airports), "%s/labs/module3/data/airports.csv", it_repo());
	static struct state_count first[100], again[100];
	size_t n_first = count_states(first, 100, sample, airports, 2000);
	size_t n_again = count_states(again, 100, sample, airports, 1000);
	cr_assert(n_first > 20 && n_again > 10, "the slice covers many states");

	/* a job on a profile's service needs its cluster: not up yet */
	it_labctl_run(&r, &lab, "up -p %s module3", lab.project);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 aggregate-spark", lab.state, it_labctl(),
	       lab.project);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "job 'aggregate-spark' runs on 'spark-driver' replica 1, which is not created"), "%s",
		  r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up -p %s module3 --profile spark --scale spark-worker=1", lab.project);
	cr_assert_eq(r.status, 0, "up --profile spark: %s\n%s", r.err, r.out);
	it_run_free(&r);
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 produce -- --limit 1000", lab.state,
	       it_labctl(), lab.project);
	cr_assert_eq(r.status, 0, "produce: %s", r.err);
	it_run_free(&r);

	/* neither aggregate ran: their checks are skipped, aggregate-ran fails */
	it_labctl_run(&r, &lab, "verify -p %s module3 --format json", lab.project);
	cr_expect_eq(r.status, 1, "%s", r.out);
	const char *skipped[] = {"consumer-caught-up", "windows-complete", "spark-windows-accounted", "jobs-agree"};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		char *st = check_status(r.out, skipped[i]);
		cr_expect_str_eq(st, "skipped", "%s before any aggregate: %s", skipped[i], r.out);
		free(st);
	}
	char *ran = check_status(r.out, "aggregate-ran");
	cr_expect_str_eq(ran, "failed", "%s", r.out);
	free(ran);
	it_run_free(&r);

	/* the Spark job to the end of the topic (one micro-batch: nothing late) */
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 aggregate-spark", lab.state, it_labctl(),
	       lab.project);
	cr_assert_eq(r.status, 0, "aggregate-spark: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "accounting: 2000 events read, 2000 counted in flight_windows_spark, 0 dropped"), "%s",
		  r.out);
	cr_expect(strstr(r.err, "executors on spark-worker-1"), "%s", r.err);
	it_run_free(&r);
	for (size_t i = 0; i < n_first; i++) {
		char q[256];
		snprintf(q, sizeof(q), "select coalesce(sum(flights), 0) from flight_windows_spark where origin_state = '%.15s'",
			 first[i].state);
		char *got = sql(&lab, "module3", q);
		cr_expect_eq(atol(got), first[i].n, "state %s: Spark counted %s, the input has %ld", first[i].state, got,
			     first[i].n);
		free(got);
	}
	/* Parquet: one dt= partition per day of the slice */
	char *days = it_sh("zcat '%s' | tail -n +2 | head -2000 | cut -c1-10 | sort -u | wc -l", sample);
	char *dts = it_sh("LABCTL_STATE_DIR='%s' '%s' exec -p %s module3 compute -- sh -c 'curl -s --aws-sigv4 "
			  "\"aws:amz:$AWS_REGION:s3\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H "
			  "\"x-amz-content-sha256: UNSIGNED-PAYLOAD\" "
			  "\"$AWS_ENDPOINT_URL/lake?list-type=2&max-keys=1000&prefix=flights_spark%%2Fdt%%3D\"' "
			  "| grep -o '<Key>flights_spark/dt=[0-9-]*/part-[^<]*[.]parquet</Key>' | cut -d/ -f2 | sort -u | wc -l",
			  lab.state, it_labctl(), lab.project);
	cr_expect_str_eq(dts, days, "one dt= partition of Parquet parts per day");
	free(days), free(dts);

	/* the first 1,000 rows again: far behind Spark's watermark, all dropped */
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 produce -- --limit 500", lab.state,
	       it_labctl(), lab.project);
	cr_assert_eq(r.status, 0, "produce again: %s", r.err);
	it_run_free(&r);
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run -p %s module3 aggregate-spark", lab.state, it_labctl(),
	       lab.project);
	cr_assert_eq(r.status, 0, "aggregate-spark again: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "accounting: 3000 events read, 2000 counted in flight_windows_spark, 1000 dropped"), "%s",
		  r.out);
	it_run_free(&r);
	for (size_t i = 0; i < n_again; i++) {
		char q[256];
		snprintf(q, sizeof(q), "select dropped from flight_input_spark where origin_state = '%.15s'", again[i].state);
		char *got = sql(&lab, "module3", q);
		cr_expect_eq(atol(got), again[i].n, "state %s: %s dropped, %ld produced again", again[i].state, got,
			     again[i].n);
		free(got);
	}

	/* window-agg on the same topic counts all 3,000 */
	it_labctl_run(&r, &lab, "run -p %s module3 aggregate", lab.project);
	cr_assert_eq(r.status, 0, "aggregate: %s", r.err);
	it_run_free(&r);
	const char *graded[] = {"aggregate-ran", "windows-exactly-once", "consumer-caught-up", "spark-windows-accounted",
				"jobs-agree"};
	it_labctl_run(&r, &lab, "verify -p %s module3 --format json", lab.project);
	for (size_t i = 0; i < sizeof(graded) / sizeof(graded[0]); i++) {
		char *st = check_status(r.out, graded[i]);
		cr_expect_str_eq(st, "passed", "%s after both: %s", graded[i], r.out);
		free(st);
	}
	it_run_free(&r);

	/* the accounting check can fail: one window miscounted */
	char *upd = sql(&lab, "module3",
			"update flight_windows_spark set flights = flights + 1 where (window_start, origin_state) = "
			"(select window_start, origin_state from flight_windows_spark limit 1)");
	free(upd);
	it_labctl_run(&r, &lab, "verify -p %s module3 --only spark-windows-accounted", lab.project);
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(strstr(r.out, "spark-windows-accounted") && strstr(r.out, "the result is '1', want 0"), "%s", r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down -p %s module3 --volumes", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
