/* x-ready kafka: PORT, or {port, brokers (default 1), internal_port} -- a
 * metadata request (librdkafka) through the listener at port answers and
 * lists at least `brokers` brokers.
 *
 * It counts the brokers the answer lists; it does not connect to their
 * advertised addresses, so a listener advertised wrongly is not caught
 * here (a client on the host would fail on its first produce). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "../lab/lab_private.h"
#include "../lazy/lazy.h"
#include "probe.h"

static const char *const kafka_keys[] = {"port", "brokers", "internal_port", NULL};

struct kafka_cfg {
	int port;           /* the listener probed; clients on the host use it */
	int brokers;        /* at least this many listed */
	int internal_port;  /* the listener containers use (<service>:<port>); 0 = port */
};

static void kafka_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	struct kafka_cfg c = {.brokers = 1};
	if (n->kind != LAB_NODE_MAP) {
		lab_ld_port(L, n, "kafka", &c.port);
	} else if (lab_ld_check_keys(L, n, kafka_keys, 0) == 0) {
		const struct lab_node *p = lab_node_get(n, "port"), *b = lab_node_get(n, "brokers"),
				      *ip = lab_node_get(n, "internal_port");
		long brokers = 1;
		if (!p)
			lab_ld_diag(L, &n->mark, "missing 'port' for 'kafka'");
		else
			lab_ld_port(L, p, "port", &c.port);
		if (ip)
			lab_ld_port(L, ip, "internal_port", &c.internal_port);
		if (b && lab_ld_int(L, b, "brokers", &brokers) == 0) {
			if (brokers < 1 || brokers > 1000)
				lab_ld_diag(L, &b->mark, "invalid brokers '%s' for 'brokers'", b->text);
			else
				c.brokers = (int)brokers;
		}
	}
	if (!c.port)
		return;
	struct kafka_cfg *out = lab_xmalloc(sizeof(*out));
	*out = c;
	*cfg = out;
}

static void kafka_free(void *cfg)
{
	free(cfg);
}

static int kafka_port(const void *cfg)
{
	return ((const struct kafka_cfg *)cfg)->port;
}

static void kafka_quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* connection refused while the broker starts is expected: say nothing */
}

/* A metadata request through bootstrap ("host:port") that lists at least
 * want_brokers brokers. */
static int kafka_metadata(const char *bootstrap, int want_brokers, int timeout_ms, struct lab_err *err)
{
	char errstr[512];
	int rc = lab_lazy_load(LAB_LAZY_RDKAFKA, err);
	if (rc < 0)
		return rc;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char tmo[16];
	snprintf(tmo, sizeof(tmo), "%d", timeout_ms);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "socket.timeout.ms", tmo, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log.connection.close", "false", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    /* while the broker starts, a published port accepts and closes
	       (docker-proxy); librdkafka's default backoff (100 ms doubling to
	       10 s) would then sleep past the moment the broker is up */
	    rd_kafka_conf_set(conf, "reconnect.backoff.ms", "10", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "50", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		return lab_err_set(err, LAB_EINPUT, "kafka probe '%s': %s", bootstrap, errstr);
	}
	rd_kafka_conf_set_log_cb(conf, kafka_quiet_log);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		return lab_err_set(err, LAB_ERR, "kafka probe '%s': %s", bootstrap, errstr);
	}
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		rc = lab_err_set(err, LAB_ERR, "kafka metadata from %s: %s", bootstrap, rd_kafka_err2str(e));
	else if (md->broker_cnt < want_brokers)
		rc = lab_err_set(err, LAB_ERR, "kafka metadata from %s lists %d of %d brokers", bootstrap,
				 md->broker_cnt, want_brokers);
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return rc;
}

static int kafka_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct kafka_cfg *c = cfg;
	char *host = NULL, *bootstrap = NULL;
	int port = 0;
	int rc = lab_probe_address(&host, &port, t, c->port, why);
	if (rc == 0) {
		bootstrap = lab_probe_hostport(host, port);
		rc = kafka_metadata(bootstrap, c->brokers, 2000, why);
	}
	free(bootstrap);
	free(host);
	return rc;
}

/* KAFKA_BOOTSTRAP_SERVERS: every broker's listener, the host one (port)
 * for the host, the internal one for containers. */
static int kafka_client_env(const void *cfg, const struct lab_probe_where *w, struct lab_strv *env)
{
	const struct kafka_cfg *c = cfg;
	char *host = NULL;
	int port = 0;
	if (w->addr(&host, &port, w->ud, w->internal && c->internal_port ? c->internal_port : c->port) < 0)
		return LAB_ENOTFOUND;
	char *hp = lab_probe_hostport(host, port);
	lab_probe_env_append(env, "KAFKA_BOOTSTRAP_SERVERS", hp);
	free(hp);
	free(host);
	return 0;
}

const struct lab_probe_kind lab_probe_kafka = {
	.name = "kafka",
	.keys = kafka_keys,
	.parse = kafka_parse,
	.free = kafka_free,
	.port = kafka_port,
	.run = kafka_run,
	.compose_test = NULL, /* no Kafka client in every image: the image's HEALTHCHECK */
	.client_env = kafka_client_env,
};
