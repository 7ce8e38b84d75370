/* What the files of labctl/jobs share. Not for use outside jobs/. */
#ifndef LAB_JOBS_INTERNAL_H
#define LAB_JOBS_INTERNAL_H

#include <pthread.h>

#include "../engine/stream.h"
#include "jobs.h"

#define JOBS_BUILDER_IMAGE LAB_JOBS_BUILDER_IMAGE
#define JOBS_BIN_DIR "/usr/local/bin"
#define JOBS_DATA_DIR "/lab/data"

/* One replica the job runs on. */
struct replica {
	char *id;
	int index;          /* 1-based replica number */
	char *prefix;       /* "compute-2" */
	struct lab_lines lines[2]; /* stdout's and stderr's output not yet ended by '\n' */
	struct lab_strv env;
	int exit_code;
	struct lab_err err;
	struct run *run;
};

/* One lab_jobs_run call. */
struct run {
	struct lab *lab;
	const struct lab_job *job;
	struct lab_engine *engine; /* the caller's: used on its thread only */
	const struct lab_jobs_opts *opts;
	struct replica *reps;
	size_t n;
	struct lab_strv argv;
	struct lab_buf binary;     /* the built program */
	double t0;
	pthread_mutex_t emit_mu;   /* one progress call at a time */
	char *app_id;              /* a Spark job's application id, from its driver's log */
};

/* A dataset resolved on the host, to copy into the replicas. */
struct dataset_copy {
	const struct lab_dataset *ds;
	char *path;        /* on the host */
	char *name;        /* file name in JOBS_DATA_DIR */
	char sha[65];
	struct lab_buf data;
};

/* A file or directory of a tar made in memory. */
struct tar_file {
	const char *path;   /* in the archive; directories end with '/' */
	const void *data;
	size_t len;
	int mode;
};

/* Report ev (elapsed_ms filled in) through opts->progress, one call at a time. */
void jobs_emit(struct run *r, struct lab_jobs_event *ev);

/* files.c: a tar of files into out (pax); the first regular file of a
 * tar (what GET archive returns for a file) into out; a host file read
 * whole (-1 when it cannot be, errno set); SHA-256 as lowercase hex. */
int jobs_tar_build(struct lab_buf *out, const struct tar_file *files, size_t n, struct lab_err *err);
int jobs_tar_first_file(struct lab_buf *out, const struct lab_buf *tar, struct lab_err *err);
int jobs_read_file(struct lab_buf *out, const char *path);
void jobs_sha256_hex(char out[65], const void *data, size_t len);

/* build.c: r->binary gets the job's binary, from the cache or built. */
int jobs_build_binary(struct run *r, struct lab_err *err);

/* dataset.c: dc->ds resolved on the host (full file checked, else the
 * sample); dc copied into rep through e unless already there. */
int jobs_dataset_resolve(struct run *r, struct dataset_copy *dc, struct lab_err *err);
int jobs_dataset_copy(struct run *r, struct lab_engine *e, struct replica *rep, struct dataset_copy *dc,
		      struct lab_err *err);

/* env.c: the lab's endpoints for a job's environment, as containers on
 * the lab network reach them (lab_endpoints_env, LAB_ENDPOINTS_INTERNAL):
 * PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE of the first service with
 * an x-ready postgres probe; KAFKA_BOOTSTRAP_SERVERS, every service with a
 * kafka probe as <service>:<internal port>; AWS_ENDPOINT_URL,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION of the first with an
 * s3 probe. Appended to env. */
void jobs_endpoints_env(const struct lab *lab, struct lab_strv *env);

/* spark.c: a PySpark job (job->script): the script into /tmp/labctl-jobs/
 * of the driver replica, its environment (LAB_JOB, LAB_NAME,
 * LAB_REPLICA, LAB_DATASET_<NAME>=s3a://bucket/file, the lab's internal
 * endpoints with SPARK_MASTER_URL, the job's env) and r->argv
 * (spark-submit --master URL --deploy-mode client --name JOB script
 * ARGS). A lab without a spark probe, or a dataset without a bucket, is
 * LAB_EINPUT. */
int jobs_spark_prepare(struct run *r, struct lab_err *err);
/* One output line of the driver: r->app_id from "... with app ID app-...". */
void jobs_spark_scan_line(struct run *r, const char *text, size_t len);
/* After the run: res's app_id, app_state, app_seconds from the master's
 * JSON (the app with r->app_id, else the latest of the job's name started
 * since since_ms, epoch ms), and executors from each worker's JSON. What
 * cannot be read is left out. */
void jobs_spark_report(struct run *r, double since_ms, struct lab_jobs_result *res);

#endif
