/* What the files of labctl/converge share: the state of one lab_converge
 * call. Not for use outside converge/. */
#ifndef LAB_CONVERGE_INTERNAL_H
#define LAB_CONVERGE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../util/buf.h"
#include "converge.h"

enum svc_state { SVC_PENDING, SVC_STARTED, SVC_READY, SVC_COMPLETED, SVC_FAILED };

/* A container of the lab found on the engine before converging. */
struct existing {
	char *id;
	char *name;
	char *service;  /* io.labctl.service, or NULL */
	char *hash;     /* io.labctl.config-hash, or NULL */
	int replica;
	int running;
	int exited0;    /* exited with code 0: a one-shot that completed, when something
	                   depends on it with service_completed_successfully */
	int never_started; /* still "created": not complete (see converge.h) */
	int claimed;
};

struct cv;

/* One service's run. state is guarded by cv->mu while the workers run;
 * every other field is written by the service's own worker only (or by
 * lab_converge when its thread could not be made) and read after the
 * join. */
struct svc_run {
	struct cv *cv;
	struct lab_service *svc;
	char *image_id;
	enum svc_state state;
	struct lab_strv ids;     /* container id per replica */
	int created, recreated, kept, started;
	double t_started;        /* seconds from converge's start to every replica started */
	double t_ready;          /* seconds from converge's start */
	char *endpoint;          /* "127.0.0.1:PORT" of the first published port, or NULL */
	char *ui;                /* its web UI's URL for a browser on the host, or NULL */
	const char *health;      /* "ready", "healthy", "running", "completed" */
	int health_gated;        /* a Docker healthcheck (the lab's or the image's) was
	                            what readiness waited on: "healthy", as status says */
	struct lab_err err;
	int completion_wanted;   /* something depends on it with service_completed_successfully */
	double hc_next;          /* Podman: when its healthcheck may be run again (lab_now) */
	enum lab_converge_outcome outcome; /* set with state SVC_FAILED (and read after the join) */
	char *swarm_id;          /* Swarm: the service's id */
	cJSON *swarm_in;         /* Swarm: what the probes saw of the first task (a container
	                            inspect, or one made from the task), for buckets and endpoint */
};

/* One lab_converge call. */
struct cv {
	struct lab *lab;
	struct lab_engine *engine; /* the caller's: used before the workers start */
	const struct lab_converge_opts *opts;
	struct svc_run *runs;
	size_t n;
	struct existing *ex;
	size_t n_ex;
	char **net_ids;          /* id of lab->networks[i] (converge_networks_volumes) */
	double t0;
	int *waves;              /* lab_plan_waves, while sorting the result */
	atomic_int abort;        /* a service failed: the others stop waiting (converge_wait_ready
	                            polls it) and those not started are not */
	const char *abort_by;    /* the first service that failed (its name), under mu */
	pthread_mutex_t mu;      /* svc_run.state and abort_by while the workers run */
	pthread_cond_t cond;     /* a state changed */
	pthread_mutex_t emit_mu; /* one progress call at a time */
	atomic_int images_built; /* READY events of builds (converge_images) */
	int swarm;               /* opts->swarm or lab->swarm */
	char *swarm_node;        /* Swarm: the engine's own node id */
	char *swarm_host;        /* Swarm: where ingress ports are reached from this host */
	cJSON *swarm_services;   /* Swarm: the lab's services found before converging */
	struct lab_catalog *catalog; /* opts->catalog once read (standin.c) */
	int catalog_read;        /* tried to read it */
	struct standin *standins; /* stand-ins to build (standin.c) */
	size_t n_standins;
};

/* A stand-in to build for an image the lab runs (standin.c). */
struct standin {
	struct svc_run *r;       /* the first service that runs it (gets image_id), or,
	                            for a base only, the first whose build is FROM it */
	int runs;                /* r runs it: r->image_id gets its id */
	int first;               /* a FROM of a build here (up --offline): built before
	                            the lab's builds */
	char *name;              /* the image as the lab names it: the tag built */
	const struct lab_catalog_entry *entry;
	struct lab_strv args;    /* the entry's build args for name */
	struct lab_strv labels;  /* io.labctl.stand-in-for, io.labctl.stand-in */
};

/* standin.c: the catalog (opts->catalog), read on first use into *out
 * (NULL when opts->catalog is NULL or the file does not exist). A file
 * that does not read: LAB_EINPUT with its file:line:col. */
struct lab_catalog;
int converge_catalog(struct cv *c, const struct lab_catalog **out, struct lab_err *err);
/* standin.c: GET /images/{name}/json: 1 present (*id, and *entry the
 * value of its io.labctl.stand-in label, else NULL; new strings), 0
 * absent, negative for an engine error. */
int converge_image_inspect(struct lab_engine *e, const char *name, char **id, char **entry, struct lab_err *err);
/* standin.c: a stand-in for r's image name from the catalog entry that
 * matches it (by_entry: the entry of that name first, for an image built
 * as a stand-in before); reason (NULL: none said, a present stand-in whose
 * build is only checked) is emitted as a STAND_IN event. 1 planned, 0 no
 * entry matches (or no catalog), negative: the catalog does not read. */
int converge_standin_plan(struct cv *c, struct svc_run *r, const char *name, const char *by_entry,
			  const char *reason, struct lab_err *err);
/* standin.c: as converge_standin_plan for an image a build of r's is FROM
 * (up --offline), which r does not run: built before the lab's builds.
 * One already planned for a service is moved first instead (returns 1). */
int converge_standin_plan_base(struct cv *c, struct svc_run *r, const char *name, const char *reason,
			       struct lab_err *err);
void converge_standins_free(struct cv *c);

/* Report ev (elapsed_ms is filled in) through opts->progress, one call at
 * a time. Never call it holding cv->mu. */
void converge_emit(struct cv *c, struct lab_converge_event *ev);

/* preflight.c: before anything is created, on the caller's engine.
 * LAB_EINPUT listing every host port the lab publishes that is taken
 * (not by the lab itself), with who holds it; engine errors as they come. */
int converge_check_ports(struct cv *c, struct lab_err *err);

/* resources.c: before the workers, on the caller's engine. */
int converge_images(struct cv *c, struct lab_err *err);
int converge_networks_volumes(struct cv *c, struct lab_err *err);
int converge_list_existing(struct cv *c, struct lab_err *err);
int converge_remove_unclaimed(struct cv *c, struct lab_err *err);

/* replica.c: keep, start or (re)create every replica of r's service on e;
 * r->ids gets the container ids in replica order. On failure returns the
 * first failed replica's error. */
int converge_replicas(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err);

/* ready.c: poll r's replicas until all are ready (r->state's final value
 * returned: SVC_READY or SVC_COMPLETED, r->health set) or one fails or its
 * timeout passes (SVC_FAILED, r->err set with the last log lines), or
 * another service failed (c->abort: SVC_FAILED, r->outcome
 * LAB_CONVERGE_ABANDONED, r->err "stopped waiting: ..."). */
enum svc_state converge_wait_ready(struct cv *c, struct svc_run *r, struct lab_engine *e);

/* What one look at a service's readiness saw (a converge_poll_fn's return;
 * a negative lab error code: it failed). */
enum {
	CV_POLL_WAIT = 0,      /* not yet: why says what was seen */
	CV_POLL_READY = 1,     /* every replica (task) ready */
	CV_POLL_COMPLETED = 2, /* every one a one-shot that exited 0 */
	CV_POLL_NONE = 3,      /* ready, with no replica to wait for (scaled to 0) */
};
/* One look at r: a CV_POLL_* value, or a negative code with why the
 * reason and *logs_from (malloc'd, may stay NULL) the container whose last
 * log lines go with it. */
typedef int (*converge_poll_fn)(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *why,
				char **logs_from);
/* ready.c: the wait converge_wait_ready describes, for any poll (the
 * containers' replicas, or Swarm's tasks), every poll_ms; events
 * LAB_CONVERGE_SERVICE_WAITING when what the poll saw changes. */
enum svc_state converge_wait(struct cv *c, struct svc_run *r, struct lab_engine *e, long poll_ms,
			     converge_poll_fn poll);
/* ready.c: r->err = code, "service 'x' <reason>" and container's last 15
 * log lines (none when container is NULL or empty). */
void converge_fail_with_logs(struct svc_run *r, struct lab_engine *e, const char *container, int code,
			     const char *reason);
/* ready.c: r's x-buckets, through its first replica's S3 endpoint. */
int converge_buckets(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err);
/* ready.c: r's x-buckets through the S3 endpoint of a container of r
 * (inspected: in); a LAB_CONVERGE_BUCKETS_READY event when all are made. */
int converge_make_buckets(struct cv *c, struct svc_run *r, const cJSON *in, struct lab_err *err);
/* connectors.c: the lab's connectors:, once every service is ready, on the
 * caller's engine; res->connectors gets each one's outcome. Returns 0 when
 * all run, else the first failure's code and error. */
int converge_connectors(struct cv *c, struct lab_converge_result *res, struct lab_engine *e, struct lab_err *err);
void converge_connectors_free(struct lab_converge_connector *k, size_t n);
/* ready.c: the S3 client for svc (its x-ready s3 probe's AWS_* for a
 * client on the host), on its container inspected (in). *env holds the
 * strings s3 points to (caller frees). */
struct lab_s3;
int converge_s3_client(struct lab_s3 *s3, struct lab_strv *env, const struct lab_service *svc, const cJSON *in,
		       struct lab_err *err);

/* swarm.c (opts->swarm): instead of networks_volumes, list_existing and
 * remove_unclaimed; then per service, instead of converge_replicas,
 * converge_wait_ready, converge_buckets and converge_endpoint. */
int converge_swarm_prepare(struct cv *c, struct lab_err *err);
int converge_swarm_service(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err);
enum svc_state converge_swarm_wait(struct cv *c, struct svc_run *r, struct lab_engine *e);
int converge_swarm_buckets(struct cv *c, struct svc_run *r, struct lab_err *err);
void converge_swarm_endpoint(struct svc_run *r);

/* datasets.c: every dataset with a bucket in the lab's object store, once
 * per content (see converge.h). */
int converge_datasets(struct cv *c, struct lab_err *err);

/* ready.c: r->endpoint from its first replica's first published port;
 * r->ui from its x-ui, else the first of its probes with a UI. */
void converge_endpoint(struct svc_run *r, struct lab_engine *e);

#endif
