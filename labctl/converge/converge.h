/* Converge a lab on the engine and wait until it is ready: what `labctl up`
 * does below rendering.
 *
 * 0. host ports: every one the lab publishes (ports: with a host port) is
 *    free, or published by the lab's own running container (a rerun);
 *    else LAB_EINPUT before anything is created, listing each taken one
 *    and who holds it: another lab's service (by its labels), another
 *    container (by name), or, when the engine is on this host (a unix
 *    socket), a process (bind(2) tells it is taken, /proc who: see
 *    util/hostport.h)
 * 1. images: for each service a current image is used, else built or
 *    pulled (labctl/image); an image shared by several services is
 *    resolved once. Those pulled (no service of the lab builds them) come
 *    first, every one of them tried: one that cannot be pulled (or is
 *    absent with opts.offline) gets the stand-in catalog's build instead
 *    when an entry matches (opts.catalog); all that cannot be had are
 *    listed together (LAB_EINPUT, before anything else is made), each with
 *    why in plain words and what to do (lab_image_pull_advice). Then the
 *    builds (stand-ins with them), then the services that run an image
 *    built here.
 * 2. the lab's networks and volumes, labelled io.labctl.lab; found by name
 *    first (one another tool made, e.g. compose, is used as it is). Several
 *    networks of one name (Docker allows it, then refuses to start a
 *    container on that name) are repaired: the one with containers
 *    attached, else the lab's, else the oldest is kept, the others removed;
 *    several in use are refused (LAB_ERR). Extra networks are connected by
 *    id.
 * 3. the lab's existing containers (by label): surplus replicas removed,
 *    containers of services no longer in the file reported (removed with
 *    remove_orphans)
 * 4. one thread per service: wait until every depends_on condition holds
 *    (service_started: created and started; service_healthy: ready;
 *    service_completed_successfully: exited 0), then keep, start or
 *    (re)create each replica by config hash (replicas in parallel), then
 *    poll readiness every 50 ms until ready or its x-ready timeout (default
 *    120 s), then create its x-buckets
 * 4b. when every service is ready: the lab's connectors:, one after
 *    another, created or updated through their worker's Kafka Connect REST
 *    API (PUT /connectors/{name}/config, idempotent) and waited for (60 s
 *    at most each) until the connector and its tasks are RUNNING; one
 *    FAILED (its validation refused the config, or the connector or a task
 *    failed) makes lab_converge return LAB_ERR with the trace's summary;
 *    the others are still tried (connectors.c)
 * 4c. datasets with a bucket (datasets: {x: {bucket: b}}), after the
 *    connectors: the full file from $LABCTL_DATA_DIR (its sha256
 *    checked against the lab's; a mismatch is an error), else the lab's
 *    sample, goes to s3://<bucket>/<file> in the first service with an
 *    x-ready s3 probe (bucket made when missing), with its sha256 as
 *    x-amz-meta-sha256; skipped when the object is there with that
 *    checksum (or, without it, an ETag equal to the content's MD5). A
 *    failure here is the result's error (err, LAB_ERR) with every service
 *    ready.
 * 5. fail fast: the first service that fails (its start, its container
 *    exited, not ready in time, an engine error) stops the others: a
 *    service not started yet is not started, one waiting for readiness
 *    stops waiting within a poll (its containers left running), so the
 *    result comes within about 2 s of the failure
 *
 * An existing container with the right hash is kept when it runs; when it
 * exited it is started again, whatever its exit code (an engine restart or
 * a reboot leaves every container exited, a clean shutdown with code 0),
 * unless it is a one-shot that completed: something depends on it with
 * service_completed_successfully and it exited 0.
 *
 * A container is labelled with its config hash at create, but only one
 * that was started once counts as complete: a container that is still in
 * the engine's "created" state (its networks not all connected, or its
 * start failed or never came, e.g. an interrupted up) is removed and
 * created anew, whatever its hash label says; one whose networks or
 * start fail in this run is removed at once.
 *
 * Nothing here prints: progress goes to opts->progress, the outcome to the
 * result.
 */
#ifndef LAB_CONVERGE_H
#define LAB_CONVERGE_H

#include <stddef.h>

#include "../engine/engine.h"
#include "../image/image.h"
#include "../lab/lab.h"
#include "../util/err.h"

enum lab_converge_kind {
	LAB_CONVERGE_IMAGE,               /* service, image: an image event for the service's
	                                     image (building, pulling, build output, built,
	                                     failed); see labctl/image/image.h */
	LAB_CONVERGE_NETWORK_CREATED,     /* name: the network ("<lab>_<key>") */
	LAB_CONVERGE_NETWORK_REMOVED,     /* name, reason: one of several networks of the
	                                     lab's network name, removed as a duplicate
	                                     ("a duplicate of <id>, nothing attached") */
	LAB_CONVERGE_VOLUME_CREATED,      /* name: the volume */
	LAB_CONVERGE_CONTAINER_CREATED,   /* service, name: the container ("<lab>-<service>-<n>") */
	LAB_CONVERGE_CONTAINER_RECREATED, /* service, name, reason ("configuration changed",
	                                     "left incomplete by an earlier run") */
	LAB_CONVERGE_CONTAINER_STARTED,   /* service, name: an existing, stopped container;
	                                     reason set: a running one restarted (depends_on
	                                     restart: true on a dependency made anew) */
	LAB_CONVERGE_CONTAINER_REMOVED,   /* service (NULL for an orphan without the label),
	                                     name, reason ("replica no longer wanted", "orphan",
	                                     "it could not be started", ...) */
	LAB_CONVERGE_ORPHAN_FOUND,        /* name, service: its io.labctl.service label (NULL
	                                     when absent); kept, since remove_orphans is off */
	LAB_CONVERGE_SERVICE_WAITING,     /* service, reason: what the last readiness check of
	                                     a replica not yet ready said (a probe's answer,
	                                     "container is created", "healthcheck says
	                                     starting"); with dependency = 1, the first
	                                     depends_on condition not met yet ("dependency
	                                     'db' (service_healthy)"). Emitted when that
	                                     changes, not on every poll; SERVICE_READY or
	                                     SERVICE_FAILED ends the waiting */
	LAB_CONVERGE_SERVICE_READY,       /* service, state: "ready" (its x-ready probes pass),
	                                     "healthy", "running" or "completed" */
	LAB_CONVERGE_SERVICE_FAILED,      /* service, reason: the complete error message; also
	                                     for one not started or no longer waited for
	                                     because another failed (see the result's
	                                     outcome) */
	LAB_CONVERGE_BUCKETS_READY,       /* service, count: its x-buckets exist */
	LAB_CONVERGE_IMAGES_BUILT,        /* count: images built (bases included) when at least
	                                     one was; jobs: at most that many at a time;
	                                     took_ms: the builds' wall time */
	LAB_CONVERGE_CONNECTOR,           /* service (the Connect worker), name: a connector
	                                     of the lab's connectors:, state: "RUNNING" or
	                                     "FAILED", reason: why it failed (NULL when
	                                     running) */
	LAB_CONVERGE_DATASET_PRESENT,     /* dataset, name ("s3://bucket/key"), reason ("full
	                                     file" or "sample"), bytes: the object is there
	                                     with this content; nothing sent */
	LAB_CONVERGE_DATASET_PROGRESS,    /* dataset, name, bytes sent, total, rate (bytes/s):
	                                     at most every 500 ms while uploading */
	LAB_CONVERGE_DATASET_UPLOADED,    /* dataset, name, reason, bytes, rate: uploaded */
	LAB_CONVERGE_NOTE,                /* reason: something the user should know of how the
	                                     lab runs (Swarm: "volume 'x' is local to the node
	                                     ...", "ports publish on every interface ...") */
	LAB_CONVERGE_STAND_IN,            /* service, name: an image the lab runs (no build:)
	                                     that is absent and cannot be pulled (or
	                                     opts.offline); reason: why in plain words ("no
	                                     registry reachable", "--offline"); entry: the
	                                     catalog's stand-in built for it instead, tagged
	                                     name; context: its build directory as
	                                     "images/<context>". Its build's IMAGE events
	                                     follow. */
};

struct lab_converge_event {
	enum lab_converge_kind kind;
	long elapsed_ms;                      /* since lab_converge began */
	const char *service;                  /* the service concerned, or NULL */
	const char *name;                     /* network, volume or container name, or NULL */
	const char *reason;                   /* see the kinds, or NULL */
	const char *state;                    /* SERVICE_READY, CONNECTOR */
	size_t count;                         /* BUCKETS_READY, IMAGES_BUILT */
	int dependency;                       /* SERVICE_WAITING: for a dependency, not readiness */
	size_t jobs;                          /* IMAGES_BUILT */
	long took_ms;                         /* IMAGES_BUILT */
	const char *dataset;                  /* DATASET_*: the dataset's name */
	size_t bytes, total;                  /* DATASET_*: bytes (sent), of total */
	double rate;                          /* DATASET_PROGRESS, _UPLOADED: bytes per second */
	const struct lab_image_event *image;  /* IMAGE */
	const char *entry;                    /* STAND_IN: the catalog entry's name */
	const char *context;                  /* STAND_IN: "images/<context>" */
};

/* Called for every event. lab_converge calls it from several threads but
 * never two calls at once (one mutex serialises them), so a renderer needs
 * no lock of its own. It must not call back into converge. Pointers in ev
 * are valid during the call only. */
typedef void (*lab_converge_progress_fn)(const struct lab_converge_event *ev, void *ud);

struct lab_converge_opts {
	int force_build;                   /* build images from build: even when current (up --build) */
	int remove_orphans;                /* remove containers of services not in the lab (up --remove-orphans) */
	lab_converge_progress_fn progress; /* may be NULL */
	void *progress_ud;
	const struct lab_image_source *extra_images; /* built with the services' images, in the
	                                                same parallel builds, though no service
	                                                runs them (up: the job builder); may be NULL */
	size_t n_extra_images;
	/* Run the services as Swarm services (up --swarm; lab.swarm: true does
	 * the same): the engine must be a Swarm manager. Steps 0, 2, 3 and 4
	 * become (converge/swarm.c, the mapping in labctl/swarm/swarm.h):
	 * 2. the lab's networks as attachable overlays; its volumes are not
	 *    made here but by the engine of each node a task lands on (a NOTE
	 *    says so); a lab that runs as plain containers is refused
	 *    (LAB_EINPUT: down first); Swarm services of the lab no longer in
	 *    the file are orphans (removed with remove_orphans)
	 * 4. per service, in dependency order as above: POST /services/create,
	 *    or /services/{id}/update when its config hash changed (CONTAINER_
	 *    CREATED / RECREATED name the Swarm service); then every 250 ms
	 *    GET /tasks: the newest task of each slot must be "running" (a
	 *    healthcheck holds it in "starting" until it passes; "complete"
	 *    for a one-shot); "failed" or "rejected" fails the service with the
	 *    task's error; then the service's x-ready probes, from this host,
	 *    against each task's published ports: ingress ports at the
	 *    engine's address (127.0.0.1 for a unix socket, the DOCKER_HOST
	 *    host otherwise), host-mode ports at the address of the node
	 *    running the task. A probe that needs the task's container (log)
	 *    can reach only tasks on the engine's own node.
	 * The host-port check (step 0) is Swarm's own: a port taken fails the
	 * service's create with the engine's message. */
	int swarm;
	/* Swarm: every service with endpoint_mode dnsrr, its ports in host
	 * mode (up --endpoint-mode dnsrr; for kernels without IPVS) */
	int swarm_dnsrr;
	/* The stand-in catalog (labctl/image/catalog.h): its path, read the
	 * first time an image needs it; NULL for none. An image the lab runs
	 * without build: that is absent and cannot be pulled (no registry
	 * reachable, access denied, authentication required, no such image,
	 * rate limited: lab_image_pull_problem), or is absent with offline
	 * set or pull_policy never, is built from the first entry that
	 * matches it (lab_catalog_match), tagged with its name and labelled
	 * io.labctl.stand-in-for=<name> and io.labctl.stand-in=<entry>, in
	 * the same parallel builds as the lab's own (its bases first, as
	 * lab_image_ensure does). A present image with the stand-in-for
	 * label is treated as built here: rebuilt when its build hash is not
	 * current; a present image without it is used as it is. A catalog
	 * that does not read is LAB_EINPUT (its file:line:col) before
	 * anything is made. */
	const char *catalog;
	int offline;                       /* never pull (up --offline) */
};

/* How one service ended. */
enum lab_converge_outcome {
	LAB_CONVERGE_OK = 0,      /* ready (or completed) */
	LAB_CONVERGE_FAILED,      /* it failed itself: a start error, its container
	                             exited, not ready in time, an engine error */
	LAB_CONVERGE_NOT_STARTED, /* never started: a dependency or another service
	                             failed first */
	LAB_CONVERGE_ABANDONED,   /* started, but converge stopped waiting for it
	                             when another service failed; its containers
	                             are left to run */
};

/* How one connector of the lab's connectors: went. */
struct lab_converge_connector {
	char *name;
	char *service;  /* the Connect worker */
	char *state;    /* "RUNNING" or "FAILED" */
	char *message;  /* FAILED: why, with the trace's first and "Caused by:" lines; else NULL */
	char *trace;    /* FAILED: the whole trace (or the REST answer) when there is one, else NULL */
};

/* How one service went. */
struct lab_converge_service {
	char *name;
	int replicas;              /* wanted: deploy.replicas */
	int ready_replicas;        /* ready (or completed) replicas: replicas, or 0 when it failed */
	enum lab_converge_outcome outcome;
	const char *state;         /* "ready", "healthy", "running", "completed" (as in
	                              SERVICE_READY); "failed", "not started",
	                              "starting" (abandoned) by outcome; static string */
	char *endpoint;            /* host address of its first published port, "127.0.0.1:PORT"
	                              or "[::1]:PORT", or NULL */
	char *ui;                  /* its web UI for a browser on the host (x-ui, or a probe
	                              kind's: the Spark master UI, Jupyter's URL with its
	                              token), or NULL */
	double seconds_to_start;   /* from lab_converge's start until every replica was started;
	                              0 when it never got that far */
	double seconds_to_ready;   /* from lab_converge's start; -1 when it failed */
	int created, recreated, started, kept; /* replicas created, recreated (stopped,
	                                          removed, created anew), started (existing
	                                          and stopped), kept running */
	struct lab_err err;        /* code 0, or why it failed: "service 'x' ...", "not
	                              started: dependency 'y' failed", "not started:
	                              service 'y' failed", "stopped waiting: service 'y'
	                              failed" */
};

struct lab_converge_result {
	struct lab_converge_service *services; /* every service of the lab, in dependency
	                                          order (by wave, then file order) */
	size_t n_services;
	int changes;               /* containers created, recreated or started: 0 = nothing changed */
	double seconds;            /* from lab_converge's start until the last service ended
	                              (and the connectors ran) */
	struct lab_converge_connector *connectors; /* the lab's connectors:, in file order,
	                                              when every service got ready; else none */
	size_t n_connectors;
};

/* Converge lab on e (see the top of this file) and wait for readiness.
 * *out gets the result as soon as the services were run (free with
 * lab_converge_result_free), also when some failed; it stays NULL when
 * converge stopped before (images, networks, volumes, the container list
 * or surplus removal failed), and then err says why.
 * Returns 0 when every service is ready; else, with *out set, the code of
 * the first service (in result order) that failed itself
 * (LAB_CONVERGE_FAILED) with an engine error (LAB_EENGINE,
 * LAB_EUNREACHABLE), or else LAB_ERR, err holding that service's error;
 * services not started or abandoned because of it are never the one.
 * A service's own err: a readiness check the engine answered with an
 * error keeps the engine's code; a container that exited keeps LAB_ERR;
 * a service not ready within its timeout gets LAB_ETIMEOUT.
 * Before anything is created: a host port taken, or images that cannot
 * be had, return LAB_EINPUT (bad input for this engine: exit 2) with *out
 * NULL.
 * e is used by the calling thread only; workers use lab_engine_dup. */
int lab_converge(struct lab_converge_result **out, struct lab *lab, struct lab_engine *e,
		 const struct lab_converge_opts *opts, struct lab_err *err);

/* Accepts NULL. */
void lab_converge_result_free(struct lab_converge_result *res);

#endif
