/* Jobs: what `labctl run` does below rendering.
 *
 * lab_jobs_run, for a job of the lab:
 * 1. finds the running replicas of its service (the first job->replicas,
 *    or all);
 * 2. builds its binary in the builder image (images/builder beside the
 *    job sources, labctl/builder:1): a container from it, the sources in
 *    with PUT /containers/{id}/archive, `make OUT=/out <binary>` by exec,
 *    the binary out with GET archive, the container removed. The binary is
 *    cached under $LABCTL_CACHE_DIR, else $XDG_CACHE_HOME/labctl, else
 *    ~/.cache/labctl, as jobs/<first 16 hex of the sources' hash>/<binary>;
 * 3. resolves its datasets: the full file from $LABCTL_DATA_DIR, its
 *    SHA-256 checked against the lab's, else the lab's sample;
 * 4. deploys (up to 8 replicas at once): the binary into /usr/local/bin,
 *    each dataset into /lab/data/ unless a copy with the same SHA-256 is
 *    there (a marker file /lab/data/.<name>.sha256 beside it);
 * 5. runs it by exec in every replica at once, with LAB_RANK (0-based),
 *    LAB_WORLD_SIZE, LAB_JOB, LAB_NAME, LAB_REPLICA, LAB_DATASET_<NAME>,
 *    the lab's internal endpoints (PG*, KAFKA_BOOTSTRAP_SERVERS, AWS_*) and
 *    the job's env, and reports each output line with its replica.
 * A PySpark job (job->script, jobs/spark/NAME.py) instead: the script is
 * copied into the first replica of its service (the driver: a jupyter or
 * spark image container), spark-submit'ted there in client mode to the
 * master of the lab's x-ready spark probe (SPARK_MASTER_URL), its
 * datasets given as s3a:// URLs of their bucket; its output reported as a
 * C job's; afterwards the application's id, state and executors (which
 * workers) from the master's and the workers' JSON (jobs/spark.c).
 * Nothing is bind-mounted: it works with a remote engine too. Nothing here
 * prints.
 */
#ifndef LAB_JOBS_H
#define LAB_JOBS_H

#include <stddef.h>

#include "../engine/engine.h"
#include "../image/image.h"
#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

/* The image C jobs compile in, built from images/builder beside the
 * job's sources (lab_jobs_builder_context: "<source>/../images/builder",
 * caller frees; NULL for a job with no binary). */
#define LAB_JOBS_BUILDER_IMAGE "labctl/builder:1"
char *lab_jobs_builder_context(const struct lab_job *j);

enum lab_jobs_kind {
	LAB_JOBS_IMAGE,           /* image: an event of the builder image (built when absent) */
	LAB_JOBS_BUILD_CACHED,    /* binary, hash: the cache has the binary for these sources */
	LAB_JOBS_BUILD_STARTING,  /* binary, name: a builder container from image name is
	                             being created and started, the sources copied in
	                             (COMPILING or an error ends it) */
	LAB_JOBS_BUILD_COMPILING, /* binary, name: the builder image make runs in */
	LAB_JOBS_BUILD_OUTPUT,    /* text, len: make's output (stdout and stderr) as it comes,
	                             not cut into lines */
	LAB_JOBS_BUILD_DONE,      /* binary, bytes: built and cached */
	LAB_JOBS_DATASET_FULL,    /* dataset, path: the full file used, bytes; its
	                             SHA-256 matched the lab's (or the lab gives none) */
	LAB_JOBS_DATASET_SAMPLE,  /* dataset, file: the full file's name, not found;
	                             data_dir: $LABCTL_DATA_DIR or NULL when unset;
	                             name: the sample's file name, used instead */
	LAB_JOBS_DATASET_COPYING, /* replica, dataset, bytes: a copy of bytes starts (COPIED
	                             or an error ends it; none when a copy is there) */
	LAB_JOBS_DATASET_COPIED,  /* replica, dataset, bytes, duration_ms: copied into it */
	LAB_JOBS_RUNNING,         /* binary, count: replicas it starts on now */
	LAB_JOBS_OUTPUT,          /* replica, stream (1 stdout, 2 stderr), text, len: one line
	                             of its output without the '\n' ('\r' dropped); a last
	                             line without '\n' comes when the job ends. A line
	                             over LAB_LINE_MAX bytes comes in pieces of that
	                             size, cont = 1 on each piece after the first, so
	                             memory stays bounded whatever the job prints */
};

struct lab_jobs_event {
	enum lab_jobs_kind kind;
	long elapsed_ms;          /* since lab_jobs_run began */
	const char *replica;      /* "<service>-<n>", e.g. "compute-2" */
	const char *binary;
	const char *name;
	const char *hash;
	const char *dataset;
	const char *path;
	const char *file;
	const char *data_dir;
	const char *text;         /* NUL-terminated; len bytes */
	size_t len;
	int stream;
	int cont;                 /* LAB_JOBS_OUTPUT: text continues the previous piece */
	size_t bytes;
	size_t count;
	long duration_ms;
	const struct lab_image_event *image;
};

/* Called for every event, from several threads but never two calls at
 * once (one mutex serialises them), so a renderer needs no lock. Pointers
 * in ev are valid during the call only. */
typedef void (*lab_jobs_progress_fn)(const struct lab_jobs_event *ev, void *ud);

struct lab_jobs_opts {
	const struct lab_strv *args;   /* appended to the job's args (run's "-- ARGS"), may be NULL */
	lab_jobs_progress_fn progress; /* may be NULL */
	void *progress_ud;
};

/* How the job went on one replica. */
struct lab_jobs_replica {
	char *name;       /* "compute-2" */
	int replica;      /* 1-based replica number */
	int exit_code;    /* its exit code; -1 when it could not be run or read */
	struct lab_err err; /* code 0, or the engine error that kept it from running */
};

struct lab_jobs_result {
	struct lab_jobs_replica *replicas; /* in rank order */
	size_t n;
	double seconds;   /* from lab_jobs_run's start until every replica ended */
	/* a PySpark job (script): what the cluster says, or NULL/empty when it
	   could not be read */
	char *app_id;     /* "app-20261202101500-0003" */
	char *app_state;  /* the master's: "FINISHED", "KILLED", ... */
	double app_seconds; /* the master's duration */
	struct lab_strv executors; /* "<service>-<n>=<executors>" per worker that ran any */
};

/* Run job (one of lab's jobs) as above, on e.
 * *out gets the result once the job ran (free with lab_jobs_result_free),
 * and stays NULL when it did not get that far: a replica not running
 * ("job 'x' runs on 'compute' replica 2, which is exited (labctl up
 * LAB)"), the build failing ("building job 'x' failed: make exited with
 * 2"), a dataset whose checksum differs or that is missing without a
 * sample, a copy failing (the message prefixed by the replica), each with
 * its own code (engine errors keep theirs).
 * Returns 0 when every replica exited 0. Else, with *out set, err says
 * "job 'x' failed on compute-3 (exit 3), compute-4 (<engine error>)" and
 * the code is that of the first replica that could not be run (the
 * engine's), or LAB_ERR when every failed replica just exited non-zero. */
int lab_jobs_run(struct lab_jobs_result **out, struct lab *lab, const struct lab_job *job, struct lab_engine *e,
		 const struct lab_jobs_opts *opts, struct lab_err *err);

/* Accepts NULL. */
void lab_jobs_result_free(struct lab_jobs_result *res);

#endif
