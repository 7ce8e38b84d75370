/* kafka checks: a topic exists, with partitions / replication factor,
 * its end offsets (sum of the partitions' high watermarks) against
 * end_offset / min_end_offset / max_end_offset, and a consumer group that
 * exists and lags at most max_lag. Through the host listener of the
 * service's x-ready kafka probe (librdkafka). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "../check.h"

struct kafka_conf {
	char *topic;             /* must exist */
	int partitions;          /* 0 = not checked */
	int replication_factor;  /* 0 = not checked */
	char *group;             /* consumer group must exist (has offsets or members), or NULL */
	long max_lag;            /* total lag of group on topic <= max_lag; -1 = not checked */
};

static const char *const kafka_keys[] = {"service", "topic", "partitions", "replication_factor", "end_offset",
					 "min_end_offset", "max_end_offset", "group", "max_lag", NULL};

static void parse_kafka(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct kafka_conf *k = lab_xcalloc(1, sizeof(*k));
	long v = 0;
	c->conf = k;
	k->max_lag = -1;
	c->service = lab_ld_check_service(L, c, m, "kafka", 1);
	lab_ld_check_need(L, c, m, "topic", "the topic that must exist");
	k->topic = lab_ld_opt_str(L, m, "topic");
	k->group = lab_ld_opt_str(L, m, "group");
	lab_ld_opt_long(L, m, "partitions", &v, 1);
	k->partitions = (int)v;
	v = 0;
	lab_ld_opt_long(L, m, "replication_factor", &v, 1);
	k->replication_factor = (int)v;
	lab_ld_opt_long(L, m, "max_lag", &k->max_lag, 0);
	if (k->max_lag >= 0 && !k->group)
		lab_ld_diag(L, &lab_node_get(m, "max_lag")->mark, "'max_lag' of check '%s' needs 'group'", c->id);
	lab_ld_check_expect(L, m, &c->expect, "end_offset", "min_end_offset", "max_end_offset");
}

static void free_kafka(void *conf)
{
	struct kafka_conf *k = conf;
	if (!k)
		return;
	free(k->topic);
	free(k->group);
	free(k);
}

static void kafka_quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

static void run_kafka(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct kafka_conf *k = c->conf;
	rd_kafka_t *rk = NULL;
	const struct rd_kafka_metadata *md = NULL;
	const struct rd_kafka_group_list *gl = NULL;
	rd_kafka_topic_partition_list_t *tpl = NULL;
	int64_t *lows = NULL, *highs = NULL;
	struct lab_buf obs = LAB_BUF_INIT, want = LAB_BUF_INIT, why = LAB_BUF_INIT;
	struct lab_strv env = LAB_STRV_INIT;
	const char *bootstrap = NULL;
	char errstr[512];
	int tmo = (int)lab_check_left_ms(x);
	if (lab_check_need_lib(x, LAB_LAZY_RDKAFKA) < 0)
		return;
	if (x->client_env(x, c->service, "kafka", "its host listener", &env) < 0)
		goto out;
	bootstrap = lab_strv_value(&env, "KAFKA_BOOTSTRAP_SERVERS");
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char tmos[24];
	snprintf(tmos, sizeof(tmos), "%d", tmo);
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "group.id", k->group ? k->group : "labctl-verify", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "socket.timeout.ms", tmos, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "log.connection.close", "false", errstr, sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, kafka_quiet);
	if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)))) {
		rd_kafka_conf_destroy(conf);
		lab_check_outcome(x, LAB_VERIFY_ERROR, "kafka %s: %s", bootstrap, errstr);
		goto out;
	}
	/* all topics: asking for one by name could auto-create it */
	rd_kafka_resp_err_t ke = rd_kafka_metadata(rk, 1, NULL, &md, tmo);
	if (ke) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "kafka metadata from %s: %s", bootstrap, rd_kafka_err2str(ke));
		goto out;
	}
	const struct rd_kafka_metadata_topic *t = NULL;
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, k->topic) == 0 && !md->topics[i].err)
			t = &md->topics[i];
	lab_buf_printf(&want, "topic '%s' exists", k->topic);
	if (!t) {
		x->observed = lab_xasprintf("topic '%s' does not exist", k->topic);
		lab_check_outcome(x, LAB_VERIFY_FAILED, "topic '%s' does not exist", k->topic);
		goto out;
	}
	int rf = t->partition_cnt ? t->partitions[0].replica_cnt : 0;
	for (int p = 1; p < t->partition_cnt; p++)
		if (t->partitions[p].replica_cnt < rf)
			rf = t->partitions[p].replica_cnt;
	lab_buf_printf(&obs, "partitions=%d replication_factor=%d", t->partition_cnt, rf);
	if (k->partitions) {
		lab_buf_printf(&want, ", partitions=%d", k->partitions);
		if (t->partition_cnt != k->partitions)
			lab_buf_printf(&why, "; %d partitions, want %d", t->partition_cnt, k->partitions);
	}
	if (k->replication_factor) {
		lab_buf_printf(&want, ", replication_factor=%d", k->replication_factor);
		if (rf != k->replication_factor)
			lab_buf_printf(&why, "; replication factor %d, want %d", rf, k->replication_factor);
	}
	lows = lab_xcalloc((size_t)t->partition_cnt + 1, sizeof(*lows));
	highs = lab_xcalloc((size_t)t->partition_cnt + 1, sizeof(*highs));
	int64_t end = 0;
	for (int p = 0; p < t->partition_cnt; p++) {
		ke = rd_kafka_query_watermark_offsets(rk, k->topic, t->partitions[p].id, &lows[p], &highs[p],
						      (int)lab_check_left_ms(x));
		if (ke) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "kafka: end offset of '%s' [%d]: %s", k->topic, t->partitions[p].id,
				rd_kafka_err2str(ke));
			goto out;
		}
		end += highs[p];
	}
	lab_buf_printf(&obs, " end_offset=%lld", (long long)end);
	if (lab_check_has_expect(&c->expect)) {
		char *w = NULL, num[32];
		snprintf(num, sizeof(num), "%lld", (long long)end);
		if (!lab_verify_compare(&c->expect, num, x->key, &w))
			lab_buf_printf(&why, "; end offset %s, want %s", num, w);
		lab_buf_printf(&want, ", end_offset %s", w);
		free(w);
	}
	if (k->group) {
		const char *state = "none";
		ke = rd_kafka_list_groups(rk, k->group, &gl, (int)lab_check_left_ms(x));
		if (!ke && gl && gl->group_cnt > 0 && !gl->groups[0].err)
			state = gl->groups[0].state;
		tpl = rd_kafka_topic_partition_list_new(t->partition_cnt);
		for (int p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(tpl, k->topic, t->partitions[p].id);
		ke = rd_kafka_committed(rk, tpl, (int)lab_check_left_ms(x));
		if (ke) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "kafka: committed offsets of group '%s': %s", k->group,
				rd_kafka_err2str(ke));
			goto out;
		}
		int64_t lag = 0;
		int committed = 0;
		for (int p = 0; p < tpl->cnt; p++) {
			int64_t off = tpl->elems[p].offset;
			committed += off >= 0;
			lag += highs[p] - (off >= 0 ? off : lows[p]);
		}
		int exists = committed > 0 || (strcmp(state, "none") != 0 && strcmp(state, "Dead") != 0);
		lab_buf_printf(&want, ", group '%s' exists", k->group);
		if (!exists) {
			lab_buf_printf(&obs, " group=absent");
			lab_buf_printf(&why, "; consumer group '%s' does not exist", k->group);
		} else {
			lab_buf_printf(&obs, " group=%s lag=%lld", state, (long long)lag);
			if (k->max_lag >= 0 && lag > k->max_lag)
				lab_buf_printf(&why, "; group '%s' lags %lld behind, want <= %ld", k->group, (long long)lag,
					       k->max_lag);
		}
		if (k->max_lag >= 0)
			lab_buf_printf(&want, ", lag <= %ld", k->max_lag);
	}
	x->observed = lab_buf_detach(&obs);
	if (why.len)
		lab_check_outcome(x, LAB_VERIFY_FAILED, "%s", lab_buf_cstr(&why) + 2);
out:
	if (!x->observed && obs.len)
		x->observed = lab_buf_detach(&obs);
	if (want.len)
		lab_check_set_str(&x->expected, lab_buf_detach(&want));
	lab_buf_release(&obs);
	lab_buf_release(&want);
	lab_buf_release(&why);
	free(lows);
	free(highs);
	if (tpl)
		rd_kafka_topic_partition_list_destroy(tpl);
	if (gl)
		rd_kafka_group_list_destroy(gl);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rk)
		rd_kafka_destroy(rk);
	lab_strv_free(&env);
}

const struct lab_check_kind lab_check_kafka = {"kafka", kafka_keys, parse_kafka, free_kafka, run_kafka};
