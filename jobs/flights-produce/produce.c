/* flights-produce: one JSON event per row of flights-3m.csv(.gz) to a Kafka
 * topic, keyed by origin IATA, the message timestamp the flight's event time.
 * Replicas split the file: data row i belongs to rank i % LAB_WORLD_SIZE.
 * See README.md in this directory. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "joblib.h"

#define PROGRESS_SECONDS 5.0
#ifndef QUEUE_MESSAGES /* the local queue: bounds memory (about 2 KB a message) */
#define QUEUE_MESSAGES "100000"
#endif
#define QUEUE_KBYTES "262144"
#define MAX_KAFKA_ERRORS 10 /* error_cb messages printed before going quiet */

struct opts {
	const char *input, *topic;
	int partitions;
	long long limit; /* rows of this rank's share; < 0 = all */
};

/* Delivery and error state, updated by callbacks that run inside
 * rd_kafka_poll/flush on the main thread. */
struct state {
	int rank;
	long long delivered, failed;
	char first_failure[256];
	int kafka_errors;
	int fatal;
	char fatal_msg[512];
	/* progress */
	long long rows, last_delivered;
	double last_t, next_report;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: flights-produce [--input PATH] [--topic NAME] [--partitions N] [--limit N]\n"
		"\n"
		"Produces one JSON event per flight of flights-3m.csv(.gz) to Kafka, keyed by\n"
		"origin IATA, message timestamp = the flight's date read as UTC. Replicas split\n"
		"the file: data row i goes to rank i %% LAB_WORLD_SIZE.\n"
		"\n"
		"  --input PATH      flights CSV, gzip or plain (default $LAB_DATASET_FLIGHTS)\n"
		"  --topic NAME      topic, created if absent (default 'flights')\n"
		"  --partitions N    partitions when creating the topic (default 6)\n"
		"  --limit N         produce at most the first N rows of this rank's share\n"
		"  --help            this text\n"
		"\n"
		"environment: KAFKA_BOOTSTRAP_SERVERS (required), LAB_RANK, LAB_WORLD_SIZE,\n"
		"LAB_DATASET_FLIGHTS\n"
		"exit status: 0 ok, 1 failure (a delivery failed, Kafka or input error), 2 usage\n");
}

static int parse_count(const char *s, long long min, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

/* 0 ok, 1 --help printed, 2 usage error printed. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"input", required_argument, NULL, 'i'},	 {"topic", required_argument, NULL, 't'},
		{"partitions", required_argument, NULL, 'p'}, {"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},		 {NULL, 0, NULL, 0},
	};
	long long v;
	int c;
	o->input = job_env("LAB_DATASET_FLIGHTS", NULL);
	o->topic = "flights";
	o->partitions = 6;
	o->limit = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->input = optarg;
			break;
		case 't':
			o->topic = optarg;
			break;
		case 'p':
			if (parse_count(optarg, 1, &v) || v > 100000) {
				fprintf(stderr, "flights-produce: invalid --partitions '%s' (want 1..100000)\n", optarg);
				return 2;
			}
			o->partitions = (int)v;
			break;
		case 'l':
			if (parse_count(optarg, 0, &v)) {
				fprintf(stderr, "flights-produce: invalid --limit '%s' (want a count >= 0)\n", optarg);
				return 2;
			}
			o->limit = v;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "flights-produce: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flights-produce: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->input) {
		fprintf(stderr, "flights-produce: no input: pass --input or set LAB_DATASET_FLIGHTS\n");
		return 2;
	}
	if (!*o->topic) {
		fprintf(stderr, "flights-produce: empty --topic\n");
		return 2;
	}
	return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *ud)
{
	struct state *st = ud;
	if (!m->err) {
		st->delivered++;
		return;
	}
	if (st->failed++ == 0)
		snprintf(st->first_failure, sizeof(st->first_failure), "%s", rd_kafka_err2str(m->err));
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *ud)
{
	struct state *st = ud;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char msg[400];
		rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, msg, sizeof(msg));
		snprintf(st->fatal_msg, sizeof(st->fatal_msg), "%s: %s", rd_kafka_err2name(orig), msg);
		st->fatal = 1;
		return;
	}
	if (st->kafka_errors++ < MAX_KAFKA_ERRORS)
		fprintf(stderr, "rank %d: kafka: %s: %s\n", st->rank, rd_kafka_err2name((rd_kafka_resp_err_t)err),
			reason);
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char errstr[512];
	if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "flights-produce: kafka config '%s=%s': %s\n", k, v, errstr);
		return -1;
	}
	return 0;
}

static rd_kafka_t *producer_new(const char *brokers, struct state *st)
{
	static const char *const kv[][2] = {
		{"enable.idempotence", "true"},
		{"acks", "all"},
		{"linger.ms", "25"},
		{"batch.size", "1000000"},
		{"batch.num.messages", "100000"},
		{"compression.type", "lz4"},
		{"queue.buffering.max.messages", QUEUE_MESSAGES},
		{"queue.buffering.max.kbytes", QUEUE_KBYTES},
		{"message.timeout.ms", "300000"},
	};
	char errstr[512], client_id[64];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	snprintf(client_id, sizeof(client_id), "flights-produce-%d", st->rank);
	if (conf_set(conf, "bootstrap.servers", brokers) || conf_set(conf, "client.id", client_id))
		goto fail;
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (conf_set(conf, kv[i][0], kv[i][1]))
			goto fail;
	rd_kafka_conf_set_opaque(conf, st);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "flights-produce: cannot create kafka producer for '%s': %s\n", brokers, errstr);
		goto fail; /* conf is still ours on failure */
	}
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

/* Creates the topic with replication factor min(3, brokers); an existing
 * topic (another rank won the race) is fine. */
static int topic_ensure(rd_kafka_t *rk, const char *topic, int partitions)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_NewTopic_t *nt = NULL;
	rd_kafka_AdminOptions_t *ao = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	char errstr[512];
	int rc = -1;

	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, 30000);
	if (err) {
		fprintf(stderr, "flights-produce: cannot read kafka metadata: %s\n", rd_kafka_err2str(err));
		goto out;
	}
	int rf = md->broker_cnt < 3 ? md->broker_cnt : 3;
	if (rf < 1)
		rf = 1;
	nt = rd_kafka_NewTopic_new(topic, partitions, rf, errstr, sizeof(errstr));
	if (!nt) {
		fprintf(stderr, "flights-produce: topic '%s': %s\n", topic, errstr);
		goto out;
	}
	/* Event times are from 2001: with time-based retention (7 days by
	 * default) the broker would delete the data minutes after producing. */
	err = rd_kafka_NewTopic_set_config(nt, "retention.ms", "-1");
	if (err) {
		fprintf(stderr, "flights-produce: topic '%s': retention.ms: %s\n", topic, rd_kafka_err2str(err));
		goto out;
	}
	ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(ao, 30000, errstr, sizeof(errstr));
	rd_kafka_AdminOptions_set_request_timeout(ao, 60000, errstr, sizeof(errstr));
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
	ev = rd_kafka_queue_poll(q, 90000);
	if (!ev) {
		fprintf(stderr, "flights-produce: creating topic '%s': no answer from kafka in 90 s\n", topic);
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		fprintf(stderr, "flights-produce: creating topic '%s': %s\n", topic, rd_kafka_event_error_string(ev));
		goto out;
	}
	size_t n = 0;
	const rd_kafka_topic_result_t **tr =
		rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
	err = n ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "flights-produce: created topic '%s' (%d partitions, replication %d, retention.ms -1)\n", topic,
			partitions, rf);
	else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		const char *msg = rd_kafka_topic_result_error_string(tr[0]);
		fprintf(stderr, "flights-produce: creating topic '%s': %s: %s\n", topic, rd_kafka_err2name(err),
			msg ? msg : rd_kafka_err2str(err));
		goto out;
	}
	rc = 0;
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (q)
		rd_kafka_queue_destroy(q);
	if (ao)
		rd_kafka_AdminOptions_destroy(ao);
	if (nt)
		rd_kafka_NewTopic_destroy(nt);
	if (md)
		rd_kafka_metadata_destroy(md);
	return rc;
}

/* --- JSON building, by hand: this runs 3 million times --- */

static char *put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A JSON string literal; s is short (< 20 bytes) so 6x its length fits. */
static char *put_json_str(char *p, const char *s)
{
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			p = put_str(p, "\\u00", 4);
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

/* event_time "YYYY-MM-DDTHH:MM:SSZ" from the date as written (it is UTC by
 * definition here, so no gmtime round trip is needed). */
static char *put_event_time(char *p, const struct job_flight *f)
{
	size_t n = strlen(f->date);
	if (n == 16 || n == 19) {
		*p++ = '"';
		p = put_str(p, f->date, 10);
		*p++ = 'T';
		p = put_str(p, f->date + 11, n - 11);
		p = n == 16 ? put_str(p, ":00Z\"", 5) : put_str(p, "Z\"", 2);
		return p;
	}
	char iso[21];
	job_format_time(f->event_ms, iso, NULL);
	return put_json_str(p, iso);
}

/* Returns the JSON's length; buf holds at least 256 bytes. */
static size_t flight_json(char *buf, const struct job_flight *f, long long row)
{
	char *p = buf;
	p = put_str(p, "{\"date\":", 8);
	p = put_json_str(p, f->date);
	p = put_str(p, ",\"event_time\":", 14);
	p = put_event_time(p, f);
	p = put_str(p, ",\"event_ms\":", 12);
	p = job_put_int(p, f->event_ms);
	p = put_str(p, ",\"delay\":", 9);
	p = job_put_int(p, f->delay_min);
	p = put_str(p, ",\"distance\":", 12);
	p = job_put_int(p, f->distance_mi);
	p = put_str(p, ",\"origin\":", 10);
	p = put_json_str(p, f->origin);
	p = put_str(p, ",\"destination\":", 15);
	p = put_json_str(p, f->dest);
	p = put_str(p, ",\"row\":", 7);
	p = job_put_int(p, row);
	*p++ = '}';
	return (size_t)(p - buf);
}

/* Prints "rank R: N rows, M msg/s" every PROGRESS_SECONDS; the rate is
 * delivered messages over the interval. */
static void progress(struct state *st)
{
	double t = job_now_s();
	if (t < st->next_report)
		return;
	fprintf(stderr, "rank %d: %lld rows, %.0f msg/s\n", st->rank, st->rows,
		(double)(st->delivered - st->last_delivered) / (t - st->last_t));
	st->last_t = t;
	st->last_delivered = st->delivered;
	st->next_report = t + PROGRESS_SECONDS;
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

/* Produces one message, polling while the local queue is full. */
static int produce_one(rd_kafka_t *rk, struct state *st, const char *topic, const struct job_flight *f,
		       const char *json, size_t len)
{
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(f->origin, strlen(f->origin)), RD_KAFKA_V_VALUE((void *)json, len),
			RD_KAFKA_V_TIMESTAMP(f->event_ms), RD_KAFKA_V_END);
		if (!err)
			return 0;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "flights-produce: producing to '%s': %s\n", topic, rd_kafka_err2str(err));
			return -1;
		}
		rd_kafka_poll(rk, 50);
		if (st->fatal)
			return -1;
		progress(st);
	}
}

struct counts {
	long long rows;      /* rows of this rank's share read */
	long long produced;  /* messages handed to librdkafka */
	long long malformed; /* rows of the share that did not parse */
	long long first_malformed;
	long long bytes;     /* JSON bytes produced */
};

static int produce_file(rd_kafka_t *rk, struct state *st, const struct opts *o, struct counts *c)
{
	int rank = st->rank, world = job_world();
	struct job_lines *l = job_lines_open(o->input);
	if (!l) {
		fprintf(stderr, "flights-produce: cannot open '%s': %s\n", o->input, strerror(errno));
		return -1;
	}
	char *line, json[256];
	size_t len;
	int r, rc = -1;
	long long i = -2; /* data row number of the line; the header is row -1 */
	while ((r = job_lines_next(l, &line, &len)) == 1) {
		if (++i < 0 || i % world != rank)
			continue;
		if (o->limit >= 0 && c->rows >= o->limit)
			break;
		c->rows++;
		st->rows = c->rows;
		struct job_flight f;
		if (parse_row(line, len, &f)) {
			if (c->malformed++ == 0)
				c->first_malformed = i;
			continue;
		}
		size_t n = flight_json(json, &f, i);
		if (produce_one(rk, st, o->topic, &f, json, n))
			goto out;
		c->produced++;
		c->bytes += (long long)n;
		if ((c->produced & 1023) == 0) {
			rd_kafka_poll(rk, 0);
			if (st->fatal)
				goto out;
			progress(st);
		}
	}
	if (r < 0) {
		fprintf(stderr, "flights-produce: reading '%s': read or decompression error after data row %lld\n",
			o->input, i);
		goto out;
	}
	if (i < -1) {
		fprintf(stderr, "flights-produce: '%s' is empty (no header)\n", o->input);
		goto out;
	}
	rc = 0;
out:
	job_lines_close(l);
	return rc;
}

/* Waits for every message's delivery report. */
static void flush_all(rd_kafka_t *rk, struct state *st)
{
	while (rd_kafka_outq_len(rk) > 0 && !st->fatal) {
		rd_kafka_flush(rk, 1000);
		progress(st);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct state st = {.rank = job_rank()};
	struct counts c = {0};
	rd_kafka_t *rk = NULL;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	rc = 1;
	const char *brokers = job_env("KAFKA_BOOTSTRAP_SERVERS", NULL);
	if (!brokers) {
		fprintf(stderr, "flights-produce: KAFKA_BOOTSTRAP_SERVERS is not set\n");
		goto out;
	}
	if (st.rank < 0 || st.rank >= job_world()) {
		fprintf(stderr, "flights-produce: LAB_RANK %d is outside LAB_WORLD_SIZE %d\n", st.rank, job_world());
		goto out;
	}
	double t0 = job_now_s();
	st.last_t = t0;
	st.next_report = t0 + PROGRESS_SECONDS;
	if (!(rk = producer_new(brokers, &st)) || topic_ensure(rk, o.topic, o.partitions))
		goto out;
	int failed = produce_file(rk, &st, &o, &c);
	flush_all(rk, &st); /* also after a failure: report what was delivered */
	double secs = job_now_s() - t0;
	if (c.malformed)
		fprintf(stderr, "rank %d: %lld malformed rows skipped (first: data row %lld)\n", st.rank, c.malformed,
			c.first_malformed);
	if (st.fatal) {
		fprintf(stderr, "flights-produce: fatal kafka error: %s\n", st.fatal_msg);
		goto out;
	}
	if (st.failed) {
		fprintf(stderr, "flights-produce: %lld of %lld messages to '%s' failed delivery (first error: %s)\n",
			st.failed, c.produced, o.topic, st.first_failure);
		goto out;
	}
	if (failed)
		goto out;
	fprintf(stderr, "rank %d: %lld rows of %d-way share, %lld JSON bytes (%.1f bytes/message)\n", st.rank, c.rows,
		job_world(), c.bytes, c.produced ? (double)c.bytes / (double)c.produced : 0.0);
	printf("produced %lld messages to '%s' in %.2f s (%.0f msg/s)\n", st.delivered, o.topic, secs,
	       secs > 0 ? (double)st.delivered / secs : 0.0);
	rc = 0;
out:
	if (rk)
		rd_kafka_destroy(rk);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "flights-produce: writing stdout: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}
