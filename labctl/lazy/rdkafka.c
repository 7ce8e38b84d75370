/* librdkafka (librdkafka.so.1, Debian package librdkafka1), loaded on
 * first use: the functions labctl calls (probe/probe.c, verify/run.c),
 * each with the prototype from <librdkafka/rdkafka.h>, forwarding to the
 * real one. See lazy.h (errors: lab_lazy_load(LAB_LAZY_RDKAFKA) returns
 * them). */
#include <pthread.h>

#include <librdkafka/rdkafka.h>

#include "lazy.h"

#define RDKAFKA_FUNCS(X)                                                                           \
	X(rd_kafka_committed)                                                                      \
	X(rd_kafka_conf_destroy)                                                                   \
	X(rd_kafka_conf_new)                                                                       \
	X(rd_kafka_conf_set)                                                                       \
	X(rd_kafka_conf_set_log_cb)                                                                \
	X(rd_kafka_destroy)                                                                        \
	X(rd_kafka_err2str)                                                                        \
	X(rd_kafka_group_list_destroy)                                                             \
	X(rd_kafka_list_groups)                                                                    \
	X(rd_kafka_metadata)                                                                       \
	X(rd_kafka_metadata_destroy)                                                               \
	X(rd_kafka_new)                                                                            \
	X(rd_kafka_query_watermark_offsets)                                                        \
	X(rd_kafka_topic_partition_list_add)                                                       \
	X(rd_kafka_topic_partition_list_destroy)                                                   \
	X(rd_kafka_topic_partition_list_new)

LAZY_LIBRARY(rdkafka, RDKAFKA_FUNCS, lazy_open, "librdkafka.so.1", "librdkafka1", "LABCTL_LAZY_RDKAFKA")
#define RK() lazy_fn()

const char *rd_kafka_err2str(rd_kafka_resp_err_t err)
{
	return RK()->rd_kafka_err2str(err);
}

rd_kafka_topic_partition_list_t *rd_kafka_topic_partition_list_new(int size)
{
	return RK()->rd_kafka_topic_partition_list_new(size);
}

void rd_kafka_topic_partition_list_destroy(rd_kafka_topic_partition_list_t *rkparlist)
{
	RK()->rd_kafka_topic_partition_list_destroy(rkparlist);
}

rd_kafka_topic_partition_t *rd_kafka_topic_partition_list_add(rd_kafka_topic_partition_list_t *rktparlist,
							      const char *topic, int32_t partition)
{
	return RK()->rd_kafka_topic_partition_list_add(rktparlist, topic, partition);
}

rd_kafka_conf_t *rd_kafka_conf_new(void)
{
	return RK()->rd_kafka_conf_new();
}

void rd_kafka_conf_destroy(rd_kafka_conf_t *conf)
{
	RK()->rd_kafka_conf_destroy(conf);
}

rd_kafka_conf_res_t rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
				      size_t errstr_size)
{
	return RK()->rd_kafka_conf_set(conf, name, value, errstr, errstr_size);
}

void rd_kafka_conf_set_log_cb(rd_kafka_conf_t *conf,
			      void (*log_cb)(const rd_kafka_t *rk, int level, const char *fac, const char *buf))
{
	RK()->rd_kafka_conf_set_log_cb(conf, log_cb);
}

rd_kafka_t *rd_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size)
{
	return RK()->rd_kafka_new(type, conf, errstr, errstr_size);
}

void rd_kafka_destroy(rd_kafka_t *rk)
{
	RK()->rd_kafka_destroy(rk);
}

rd_kafka_resp_err_t rd_kafka_query_watermark_offsets(rd_kafka_t *rk, const char *topic, int32_t partition,
						     int64_t *low, int64_t *high, int timeout_ms)
{
	return RK()->rd_kafka_query_watermark_offsets(rk, topic, partition, low, high, timeout_ms);
}

rd_kafka_resp_err_t rd_kafka_committed(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *partitions, int timeout_ms)
{
	return RK()->rd_kafka_committed(rk, partitions, timeout_ms);
}

rd_kafka_resp_err_t rd_kafka_metadata(rd_kafka_t *rk, int all_topics, rd_kafka_topic_t *only_rkt,
				      const struct rd_kafka_metadata **metadatap, int timeout_ms)
{
	return RK()->rd_kafka_metadata(rk, all_topics, only_rkt, metadatap, timeout_ms);
}

void rd_kafka_metadata_destroy(const struct rd_kafka_metadata *metadata)
{
	RK()->rd_kafka_metadata_destroy(metadata);
}

rd_kafka_resp_err_t rd_kafka_list_groups(rd_kafka_t *rk, const char *group,
					 const struct rd_kafka_group_list **grplistp, int timeout_ms)
{
	return RK()->rd_kafka_list_groups(rk, group, grplistp, timeout_ms);
}

void rd_kafka_group_list_destroy(const struct rd_kafka_group_list *grplist)
{
	RK()->rd_kafka_group_list_destroy(grplist);
}
