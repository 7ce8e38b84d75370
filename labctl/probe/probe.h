/* Readiness probes labctl runs itself, from the host. Each is one attempt:
 * the caller polls (every 50 ms in up) until success or its deadline.
 *
 * All return 0 when the service answered as expected, LAB_ERR (with a
 * short reason in err, e.g. "connect 127.0.0.1:5432: connection refused")
 * when not yet, LAB_EINPUT for a bad argument (e.g. a regex that does not
 * compile). timeout_ms bounds the single attempt.
 */
#ifndef LAB_PROBE_H
#define LAB_PROBE_H

#include "../engine/engine.h"
#include "../util/err.h"

/* TCP connect to host:port (IPv4 or IPv6 literal, or a name). */
int lab_probe_tcp(const char *host, int port, int timeout_ms, struct lab_err *err);

/* HTTP GET url; passes when the status equals expect_status. */
int lab_probe_http(const char *url, int expect_status, int timeout_ms, struct lab_err *err);

/* PostgreSQL: libpq connect (host, port, user, password, dbname; any may be
 * NULL for libpq's defaults) and run "select 1". Passes only when the server
 * accepts queries (not while it is starting or in recovery). */
int lab_probe_postgres(const char *host, int port, const char *user, const char *password,
		       const char *dbname, int timeout_ms, struct lab_err *err);

/* Kafka: a metadata request (librdkafka) through bootstrap ("host:port")
 * answers and lists at least want_brokers brokers. The brokers listed are
 * what the cluster advertises, so this also checks the listener's
 * advertised address is reachable from here. */
int lab_probe_kafka(const char *bootstrap, int want_brokers, int timeout_ms, struct lab_err *err);

/* S3: a SigV4-signed ListBuckets (GET /) at endpoint ("http://host:port")
 * answers 200. */
int lab_probe_s3(const char *endpoint, const char *access_key, const char *secret_key,
		 const char *region, int timeout_ms, struct lab_err *err);

/* A line of the container's logs (stdout or stderr, last 1000 lines)
 * matches the POSIX extended regex. */
int lab_probe_log(struct lab_engine *e, const char *container_id, const char *regex,
		  struct lab_err *err);

#endif
