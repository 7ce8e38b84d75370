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
