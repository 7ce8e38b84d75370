/* Readiness probes: the kinds of x-ready (see struct lab_ready in
 * lab/lab.h), one file per kind under labctl/probe/ (tcp.c, http.c,
 * postgres.c, kafka.c, s3.c, log.c), each exporting one descriptor, and
 * the registry (registry.c) that lists them. The loader, up, export and
 * the client environment of env, run and verify only iterate the
 * registry; none of them knows a kind's fields.
 *
 * Adding a kind: a new file with its descriptor and one row in
 * registry.c's table.
 */
#ifndef LAB_PROBE_H
#define LAB_PROBE_H

#include <stddef.h>

#include <cJSON.h>

#include "../engine/engine.h"
#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

struct lab_ld;
struct lab_node;

/* Where one attempt runs: one replica's container. */
struct lab_probe_target {
	struct lab_engine *engine;  /* for probes that ask the engine (log) */
	const char *container_id;
	const cJSON *inspect;       /* GET /containers/{id}/json of it (Engine API >= 1.41) */
	const struct lab *lab;      /* the lab as up runs it (replicas after --scale), for
	                               probes whose expectation depends on another service
	                               (spark: its workers); may be NULL */
};

/* How a client reaches a service's container ports, for client_env. */
struct lab_probe_where {
	int internal;   /* 0: a client on the host (published ports, "127.0.0.1");
	                   1: a container on the lab network ("<service>") */
	/* The address of container port `port` of the service for this
	 * client: *host (new string; an IPv6 literal without brackets) and
	 * *hport. Returns 0, or LAB_ENOTFOUND when it has none (not published,
	 * not running); nothing is set then. */
	int (*addr)(char **host, int *hport, void *ud, int port);
	void *ud;
};

/* A probe kind. Every function gets the cfg its parse made. */
struct lab_probe_kind {
	const char *name;          /* its key under x-ready */
	const char *const *keys;   /* keys of its mapping form, NULL-terminated;
	                              NULL when it has only a scalar form */
	/* Parse n, the value under x-ready.<name>, with the loader's helpers
	 * (lab/lab_private.h). Problems are recorded with lab_ld_diag as
	 * "file:line:col: message". *cfg is set (a new configuration) when
	 * the probe is configured enough to be found by lab_ready_find, even
	 * if some of its values had problems (the lab then fails to load
	 * anyway); it stays NULL when not. */
	void (*parse)(void **cfg, struct lab_ld *L, const struct lab_node *n);
	void (*free)(void *cfg);
	/* The container port it reaches (0 for none, e.g. log). */
	int (*port)(const void *cfg);
	/* One attempt against one replica, bounded in time by the kind
	 * (1-2 s). Returns 0 when the service answered as expected; LAB_ERR
	 * when not yet, with a short reason in why: what the attempt saw, one
	 * line, since up shows it while it waits ("kafka2 | waiting 12s:
	 * kafka metadata from 127.0.0.1:19094 lists 2 of 3 brokers") and in
	 * the timeout's error (e.g. "connect 127.0.0.1:5432: Connection
	 * refused", "GET ...: status 503, want 200", "no log line matches 'x'
	 * yet; last: <the last line>"); any other negative code when
	 * polling again cannot help: LAB_EINPUT for a bad configuration (a
	 * regex that does not compile), LAB_ENOLIB for a library it needs
	 * that cannot be loaded (lazy/lazy.h), LAB_EENGINE / LAB_EUNREACHABLE
	 * / LAB_ENOTFOUND from the engine. */
	int (*run)(const void *cfg, const struct lab_probe_target *t, struct lab_err *why);
	/* export compose: append to out the shell command (CMD-SHELL) that
	 * checks the same from inside the container, polled by Compose's
	 * healthcheck. NULL: Compose cannot do it; the image's own HEALTHCHECK
	 * is kept. */
	void (*compose_test)(const void *cfg, struct lab_buf *out);
	/* When several probes of a service have a compose_test, the lowest
	 * rank's is used: the one that says most about the service. */
	int compose_rank;
	/* What a client of the service needs, appended to env as "KEY=VALUE"
	 * (see lab_probe_client_env). A variable already in env is kept (the
	 * first service of a kind wins), except lists such as
	 * KAFKA_BOOTSTRAP_SERVERS, which gain the address. Returns 0, or
	 * LAB_ENOTFOUND when where has no address for its port (env
	 * unchanged). NULL: clients need nothing from it. */
	int (*client_env)(const void *cfg, const struct lab_probe_where *where, struct lab_strv *env);
	/* The client_env variable that holds the service's web UI URL for a
	 * browser on the host (up shows it under its table); NULL: none. */
	const char *ui_env;
};

/* The registry: every kind, NULL-terminated, in the order the probes of
 * a service run (cheap ones first: tcp, http, schema_registry, connect, postgres, kafka, s3, log). */
extern const struct lab_probe_kind *const lab_probe_kinds[];

/* The kind named name, or NULL. */
const struct lab_probe_kind *lab_probe_kind_find(const char *name);

/* 1 when rd has at least one probe, else 0. */
int lab_ready_has_probes(const struct lab_ready *rd);

/* The configured probe of kind name ("postgres"), or NULL. */
const struct lab_probe *lab_ready_find(const struct lab_ready *rd, const char *name);

/* Append p (kind, cfg, mark) to rd, which owns cfg afterwards. */
void lab_ready_add(struct lab_ready *rd, const struct lab_probe_kind *kind, void *cfg, const struct lab_mark *mark);

/* Free every probe's configuration and the list (rd itself is not freed);
 * rd has no probes afterwards. Accepts NULL. */
void lab_ready_clear(struct lab_ready *rd);

/* Run every probe of rd once against target t, in order, stopping at the
 * first that does not pass. Returns 0 when all passed (also when rd has
 * none), else that probe's code and reason (see run above: LAB_ERR =
 * not yet). */
int lab_probe_run_all(const struct lab_ready *rd, const struct lab_probe_target *t, struct lab_err *why);

/* Where the host reaches container port `port` of t's container
 * (lab_endpoint_host in endpoints/endpoints.h: its published binding,
 * else its address on the lab network). *host is a new string (IPv6
 * without brackets). Returns 0, or LAB_ERR with "no address for port N". */
int lab_probe_address(char **host, int *hport, const struct lab_probe_target *t, int port, struct lab_err *err);

/* The Compose healthcheck test for rd's probes: ["CMD-SHELL", command]
 * of the lowest compose_rank among the probes that have one, appended to
 * test. Returns 1 when there is one, 0 when none has (then the image's
 * HEALTHCHECK stays). */
int lab_probe_compose_test(struct lab_strv *test, const struct lab_ready *rd);

/* The environment a client of a service with probes rd needs (PG*,
 * KAFKA_BOOTSTRAP_SERVERS, AWS_*; see each kind's client_env), appended
 * to env. Returns the number of probes whose address where did not have
 * (0 when every one was reachable). */
int lab_probe_client_env(struct lab_strv *env, const struct lab_ready *rd, const struct lab_probe_where *where);

/* The web UI URLs of rd's probes (each kind's ui_env from its
 * client_env for where), appended to urls. Returns how many. */
int lab_probe_ui_urls(struct lab_strv *urls, const struct lab_ready *rd, const struct lab_probe_where *where);

/* The web UI of service s for a browser: its x-ui (port through where's
 * addr, then its path, "/" by default: "http://127.0.0.1:18888/lab"),
 * else the first of its probes' UI URLs (lab_probe_ui_urls: the Jupyter
 * URL with its token, the Spark master's UI, ...). *url is a new string.
 * Returns 0, or LAB_ENOTFOUND when s has no UI or where has no address
 * for it (not running, not published). */
int lab_probe_service_ui(char **url, const struct lab_service *s, const struct lab_probe_where *where);

/* For kinds' run: GET url with libcurl (lazily loaded; no proxy; within
 * timeout_ms), with the request header `header` ("Name: value") unless
 * NULL. *status gets the HTTP status; the body is appended to body (when
 * not NULL) up to 1 MiB. Returns 0 whatever the status; LAB_ENOLIB when
 * libcurl cannot be loaded; LAB_ERR "GET url: <curl's error>" or "GET url:
 * body larger than 1048576 bytes". */
int lab_probe_http_get(const char *url, const char *header, int timeout_ms, long *status, struct lab_buf *body,
		       struct lab_err *err);

/* For a spark probe p (kind "spark"): the service whose replicas are its
 * workers (its `workers:` service, else "spark-worker"), or NULL when it
 * counts a fixed number. labctl run reads their executors (jobs/spark.c). */
const char *lab_probe_spark_workers(const struct lab_probe *p);

/* For kinds' run: "SCHEME://HOST:PORT" followed by path ("" when NULL)
 * for container port `port` of t's container (lab_probe_address; an IPv6
 * host in brackets), e.g. "http://127.0.0.1:18080/json/". *url is a new
 * string. Returns 0, or LAB_ERR "no address for port N" (*url NULL). */
int lab_probe_url(char **url, const struct lab_probe_target *t, const char *scheme, int port, const char *path,
		  struct lab_err *err);
/* For kinds' client_env: the same URL through w's addr (the host's or the
 * lab network's address of the port). Returns 0, or LAB_ENOTFOUND when w
 * has no address for port (*url NULL). */
int lab_probe_where_url(char **url, const struct lab_probe_where *w, const char *scheme, int port, const char *path);
/* For kinds' client_env. "host:port" with an IPv6 host in brackets (a
 * new string). */
char *lab_probe_hostport(const char *host, int port);
/* Add key=value to env unless key is already there (the first wins). */
void lab_probe_env_put(struct lab_strv *env, const char *key, const char *value);
/* Add key=http://HOST:PORT for the service's port (w->addr: the host or
 * the internal address). Returns 0, or LAB_ENOTFOUND when w has no address
 * for port. */
int lab_probe_env_put_url(struct lab_strv *env, const char *key, const struct lab_probe_where *w, int port);
/* Add value to the comma-separated list in key (made when absent; a value
 * already in the list is not added again). */
void lab_probe_env_append(struct lab_strv *env, const char *key, const char *value);

#endif
