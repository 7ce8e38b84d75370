/* labctl run LAB JOB [-- ARGS...]: build a job's binary in the builder
 * image, copy it and the datasets it needs into every replica of its
 * service through the Engine API (no bind mounts: works with a remote
 * engine too), run it with exec in all of them at once, and stream each
 * replica's output prefixed by the replica.
 *
 * labctl jobs LAB: list the lab's jobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "../engine/context.h"
#include "../plan/plan.h"
#include "cmd.h"

#define BUILDER_IMAGE "labctl/builder:1"
#define JOB_BIN_DIR "/usr/local/bin"
#define DATA_DIR "/lab/data"

/* ---- tar in memory (libarchive) ---- */

static la_ssize_t tar_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	return lab_buf_append(ud, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

struct tar_file {
	const char *path;   /* in the archive; directories end with '/' */
	const void *data;
	size_t len;
	int mode;
};

static int tar_build(struct lab_buf *out, const struct tar_file *files, size_t n, struct lab_err *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = 0;
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open(a, out, NULL, tar_write, NULL) != ARCHIVE_OK) {
		rc = lab_err_set(err, LAB_ERR, "tar: %s", archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t plen = strlen(files[i].path);
		int dir = plen && files[i].path[plen - 1] == '/';
		archive_entry_clear(e);
		archive_entry_set_pathname(e, files[i].path);
		archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, (mode_t)files[i].mode);
		archive_entry_set_size(e, dir ? 0 : (la_int64_t)files[i].len);
		archive_entry_set_mtime(e, time(NULL), 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    (!dir && files[i].len && archive_write_data(a, files[i].data, files[i].len) < 0))
			rc = lab_err_set(err, LAB_ERR, "tar '%s': %s", files[i].path, archive_error_string(a));
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = lab_err_set(err, LAB_ERR, "tar: %s", archive_error_string(a));
out:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

/* The first regular file of a tar, as GET /archive returns for a file. */
static int tar_first_file(struct lab_buf *out, const struct lab_buf *tar, struct lab_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = LAB_ENOTFOUND;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->data, tar->len) != ARCHIVE_OK) {
		rc = lab_err_set(err, LAB_ERR, "untar: %s", archive_error_string(a));
		goto out;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		char chunk[65536];
		la_ssize_t n;
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			lab_buf_append(out, chunk, (size_t)n);
		rc = n < 0 ? lab_err_set(err, LAB_ERR, "untar: %s", archive_error_string(a)) : 0;
		break;
	}
	if (rc == LAB_ENOTFOUND)
		lab_err_set(err, rc, "untar: no file in the archive");
out:
	archive_read_free(a);
	return rc;
}

/* ---- files on the host ---- */

static int read_file(struct lab_buf *out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char chunk[1 << 16];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		lab_buf_append(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static int mkdir_p(const char *path)
{
	char *p = lab_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

static char *cache_dir(void)
{
	const char *d = getenv("LABCTL_CACHE_DIR");
	if (d && *d)
		return lab_xstrdup(d);
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && *xdg)
		return lab_xasprintf("%s/labctl", xdg);
	const char *home = getenv("HOME");
	return lab_xasprintf("%s/.cache/labctl", home && *home ? home : "/tmp");
}

/* ---- the job's replicas ---- */

struct replica {
	char *id;
	int index; /* 1-based replica number */
	char *prefix;
	struct lab_buf line;
	struct lab_strv env;
	int exit_code;
	struct lab_err err;
	struct run *run;
};

struct run {
	struct lab *lab;
	struct lab_job *job;
	struct lab_engine *engine;
	struct replica *reps;
	size_t n;
	struct lab_strv argv;
	struct lab_buf binary; /* the built program */
	pthread_mutex_t mu;
};

static int find_replicas(struct run *r, struct lab_err *err)
{
	cJSON *list = NULL;
	char *filter = lab_plan_container_filter(r->lab->project);
	const struct lab_service *svc = lab_find_service(r->lab, r->job->service);
	int want = r->job->replicas ? r->job->replicas : svc->replicas;
	int rc = lab_engine_containers(r->engine, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	r->reps = lab_xcalloc((size_t)(want > 0 ? want : 1), sizeof(*r->reps));
	for (int i = 1; i <= want; i++) {
		const cJSON *c, *found = NULL;
		cJSON_ArrayForEach(c, list)
		{
			const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
			const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
			const char *rep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_REPLICA));
			if (s && rep && strcmp(s, svc->name) == 0 && atoi(rep) == i)
				found = c;
		}
		const char *state = found ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(found, "State")) : NULL;
		if (!state || strcmp(state, "running") != 0) {
			rc = lab_err_set(err, LAB_ERR, "job '%s' runs on '%s' replica %d, which is %s (labctl up %s)",
					 r->job->name, svc->name, i, state ? state : "not created", r->lab->project);
			break;
		}
		struct replica *rep = &r->reps[r->n++];
		rep->id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(found, "Id")));
		rep->index = i;
		rep->prefix = lab_xasprintf("%s-%d", svc->name, i);
		rep->run = r;
	}
	cJSON_Delete(list);
	return rc;
}

/* ---- build ---- */

static int build_output(int stream, const char *data, size_t len, void *ud)
{
	fwrite(data, 1, len, stderr);
	return 0;
}

/* Compile the job in a builder container: sources in with PUT archive,
 * make, binary out with GET archive. Cached by the sources' hash. */
static int build_binary(struct run *r, struct lab_err *err)
{
	const struct lab_job *j = r->job;
	char hash[65];
	int rc = lab_context_hash(hash, j->source, "Makefile", err);
	if (rc < 0)
		return rc;
	char *cdir = cache_dir();
	char *dir = lab_xasprintf("%s/jobs/%.16s", cdir, hash);
	char *cached = lab_xasprintf("%s/%s", dir, j->binary);
	char *builder_ctx = lab_xasprintf("%s/../images/builder", j->source);
	char *image = NULL, *cid = NULL;
	struct lab_buf src = LAB_BUF_INIT, tar = LAB_BUF_INIT;
	cJSON *body = NULL;
	if (read_file(&r->binary, cached) == 0 && r->binary.len) {
		fprintf(stderr, "build | '%s' is up to date (sources %.12s)\n", j->binary, hash);
		goto out;
	}
	lab_buf_reset(&r->binary);
	struct cmd_image req = {.name = BUILDER_IMAGE, .context = builder_ctx, .project = r->lab->project,
				.who = "build"};
	if ((rc = cmd_ensure_image(r->engine, &req, &image, err)) < 0)
		goto out;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Image", image);
	cJSON_AddStringToObject(body, "WorkingDir", "/src");
	cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");
	cJSON_AddItemToArray(cmd, cJSON_CreateString("sh"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("trap 'exit 0' TERM; sleep infinity & wait"));
	cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
	cJSON_AddStringToObject(labels, "io.labctl.builder", r->lab->project);
	if ((rc = lab_engine_container_create(r->engine, NULL, body, &cid, err)) < 0 ||
	    (rc = lab_engine_container_start(r->engine, cid, err)) < 0)
		goto out;
	if ((rc = lab_context_tar(&src, j->source, "Makefile", err)) < 0 ||
	    (rc = lab_engine_put_archive(r->engine, cid, "/src", src.data, src.len, err)) < 0)
		goto out;
	fprintf(stderr, "build | compiling '%s' in %s\n", j->binary, BUILDER_IMAGE);
	char *argv[] = {"make", "-s", "-C", "/src", "OUT=/out", j->binary, NULL};
	int code = 0;
	if ((rc = lab_engine_exec(r->engine, cid, argv, NULL, NULL, NULL, build_output, NULL, &code, err)) < 0)
		goto out;
	if (code != 0) {
		rc = lab_err_set(err, LAB_ERR, "building job '%s' failed: make exited with %d", j->name, code);
		goto out;
	}
	char *out_path = lab_xasprintf("/out/%s", j->binary);
	rc = lab_engine_get_archive(r->engine, cid, out_path, &tar, err);
	free(out_path);
	if (rc < 0 || (rc = tar_first_file(&r->binary, &tar, err)) < 0)
		goto out;
	/* cache: write a temp file, then rename (concurrent runs) */
	if (mkdir_p(dir) == 0) {
		char *tmp = lab_xasprintf("%s.%d", cached, (int)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
		if (fd >= 0 && write(fd, r->binary.data, r->binary.len) == (ssize_t)r->binary.len && close(fd) == 0)
			rename(tmp, cached);
		else if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
	}
	fprintf(stderr, "build | '%s' built (%zu bytes)\n", j->binary, r->binary.len);
out:
	if (cid) {
		struct lab_err ignore = {0};
		lab_engine_container_remove(r->engine, cid, 1, &ignore);
	}
	cJSON_Delete(body);
	lab_buf_release(&src);
	lab_buf_release(&tar);
	free(cid);
	free(image);
	free(builder_ctx);
	free(cached);
	free(dir);
	free(cdir);
	return rc;
}

/* ---- datasets ---- */

struct dataset_copy {
	const struct lab_dataset *ds;
	char *path;        /* on the host */
	char *name;        /* file name in DATA_DIR */
	char sha[65];
	struct lab_buf data;
};

static char *env_name(const char *prefix, const char *name)
{
	char *s = lab_xasprintf("%s%s", prefix, name);
	for (char *p = s + strlen(prefix); *p; p++)
		*p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	return s;
}

/* The full file from $LABCTL_DATA_DIR, checksum verified; else the lab's
 * sample. */
static int dataset_resolve(struct dataset_copy *dc, struct lab_err *err)
{
	const struct lab_dataset *ds = dc->ds;
	const char *dir = getenv("LABCTL_DATA_DIR");
	char *full = dir && *dir ? lab_xasprintf("%s/%s", dir, ds->file) : NULL;
	if (full && read_file(&dc->data, full) == 0) {
		sha256_hex(dc->sha, dc->data.data, dc->data.len);
		if (ds->sha256 && strcmp(dc->sha, ds->sha256) != 0) {
			int rc = lab_err_set(err, LAB_ERR, "dataset '%s': '%s' has sha256 %s, the lab expects %s", ds->name,
					     full, dc->sha, ds->sha256);
			free(full);
			return rc;
		}
		dc->path = full;
		dc->name = lab_xstrdup(ds->file);
		fprintf(stderr, "dataset '%s': %s (%.1f MB, sha256 verified)\n", ds->name, full,
			(double)dc->data.len / 1e6);
		return 0;
	}
	free(full);
	lab_buf_reset(&dc->data);
	if (!ds->sample || read_file(&dc->data, ds->sample) < 0)
		return lab_err_set(err, LAB_ERR,
				   "dataset '%s': '%s' not found in LABCTL_DATA_DIR (%s) and the lab has no sample",
				   ds->name, ds->file, dir && *dir ? dir : "unset");
	sha256_hex(dc->sha, dc->data.data, dc->data.len);
	dc->path = lab_xstrdup(ds->sample);
	const char *base = strrchr(ds->sample, '/');
	dc->name = lab_xstrdup(base ? base + 1 : ds->sample);
	fprintf(stderr, "dataset '%s': %s not found in LABCTL_DATA_DIR (%s); using the lab's sample %s\n", ds->name,
		ds->file, dir && *dir ? dir : "unset", dc->name);
	return 0;
}

static int capture(int stream, const char *data, size_t len, void *ud)
{
	if (stream == 1)
		lab_buf_append(ud, data, len);
	return 0;
}

/* Copy a dataset into a replica unless a copy with the same sha256 is
 * there (a marker file beside it records the checksum). */
static int dataset_copy(struct run *r, struct replica *rep, struct dataset_copy *dc, struct lab_err *err)
{
	char *marker = lab_xasprintf("%s/.%s.sha256", DATA_DIR, dc->name);
	char *argv[] = {"cat", marker, NULL};
	struct lab_buf have = LAB_BUF_INIT, tar = LAB_BUF_INIT;
	int code = 1, rc = lab_engine_exec(r->engine, rep->id, argv, NULL, NULL, NULL, capture, &have, &code, err);
	if (rc == 0 && code == 0 && strncmp(lab_buf_cstr(&have), dc->sha, 64) == 0)
		goto out;
	char *data_path = lab_xasprintf("lab/data/%s", dc->name);
	char *marker_path = lab_xasprintf("lab/data/.%s.sha256", dc->name);
	struct tar_file files[] = {
		{"lab/", NULL, 0, 0755},
		{"lab/data/", NULL, 0, 0755},
		{data_path, dc->data.data, dc->data.len, 0644},
		{marker_path, dc->sha, 64, 0644},
	};
	double t = cmd_now();
	rc = tar_build(&tar, files, 4, err);
	if (rc == 0)
		rc = lab_engine_put_archive(r->engine, rep->id, "/", tar.data, tar.len, err);
	if (rc == 0)
		fprintf(stderr, "%s | dataset '%s' copied (%.1f MB in %.2fs)\n", rep->prefix, dc->ds->name,
			(double)dc->data.len / 1e6, cmd_now() - t);
	free(data_path);
	free(marker_path);
out:
	lab_buf_release(&have);
	lab_buf_release(&tar);
	free(marker);
	return rc;
}

/* ---- environment: rank, datasets, the lab's internal endpoints ---- */

static void endpoints_env(const struct lab *lab, struct lab_strv *env)
{
	struct lab_buf kafka = LAB_BUF_INIT;
	int pg = 0, s3 = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		const struct lab_ready *rd = &s->ready;
		if (rd->pg_port && !pg++) {
			lab_strv_pushf(env, "PGHOST=%s", s->name);
			lab_strv_pushf(env, "PGPORT=%d", rd->pg_port);
			if (rd->pg_user)
				lab_strv_pushf(env, "PGUSER=%s", rd->pg_user);
			if (rd->pg_password)
				lab_strv_pushf(env, "PGPASSWORD=%s", rd->pg_password);
			if (rd->pg_database)
				lab_strv_pushf(env, "PGDATABASE=%s", rd->pg_database);
		}
		if (rd->kafka_port)
			lab_buf_printf(&kafka, "%s%s:%d", kafka.len ? "," : "", s->name,
				       rd->kafka_internal_port ? rd->kafka_internal_port : rd->kafka_port);
		if (rd->s3_port && !s3++) {
			lab_strv_pushf(env, "AWS_ENDPOINT_URL=http://%s:%d", s->name, rd->s3_port);
			lab_strv_pushf(env, "AWS_ACCESS_KEY_ID=%s", rd->s3_access_key);
			lab_strv_pushf(env, "AWS_SECRET_ACCESS_KEY=%s", rd->s3_secret_key);
			lab_strv_pushf(env, "AWS_REGION=%s", rd->s3_region ? rd->s3_region : "us-east-1");
		}
	}
	if (kafka.len)
		lab_strv_pushf(env, "KAFKA_BOOTSTRAP_SERVERS=%s", lab_buf_cstr(&kafka));
	lab_buf_release(&kafka);
}

/* ---- run ---- */

static void emit(struct replica *rep, int stream)
{
	pthread_mutex_lock(&rep->run->mu);
	FILE *f = stream == 2 ? stderr : stdout;
	fprintf(f, "%s | %s\n", rep->prefix, lab_buf_cstr(&rep->line));
	fflush(f);
	pthread_mutex_unlock(&rep->run->mu);
	lab_buf_reset(&rep->line);
}

static int replica_output(int stream, const char *data, size_t len, void *ud)
{
	struct replica *rep = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			emit(rep, stream);
		else if (data[i] != '\r')
			lab_buf_append(&rep->line, &data[i], 1);
	}
	return 0;
}

static void run_replica(size_t i, void *ud)
{
	struct run *r = ud;
	struct replica *rep = &r->reps[i];
	struct lab_engine *e = lab_engine_dup(r->engine);
	rep->exit_code = -1;
	int rc = lab_engine_exec(e, rep->id, r->argv.v, &rep->env, NULL, NULL, replica_output, rep, &rep->exit_code,
				 &rep->err);
	if (rep->line.len)
		emit(rep, 1);
	if (rc < 0)
		rep->exit_code = -1;
	lab_engine_free(e);
}

struct copy_ctx {
	struct run *run;
	struct dataset_copy *dcs;
	size_t n_dcs;
	struct lab_err *errs;
};

static void deploy_replica(size_t i, void *ud)
{
	struct copy_ctx *c = ud;
	struct run *r = c->run;
	struct replica *rep = &r->reps[i];
	struct lab_engine *e = lab_engine_dup(r->engine);
	struct lab_buf tar = LAB_BUF_INIT;
	/* the binary, then the datasets */
	char *path = lab_xstrdup(r->job->binary);
	struct tar_file f = {path, r->binary.data, r->binary.len, 0755};
	int rc = tar_build(&tar, &f, 1, &c->errs[i]);
	if (rc == 0)
		rc = lab_engine_put_archive(e, rep->id, JOB_BIN_DIR, tar.data, tar.len, &c->errs[i]);
	struct run local = *r;
	local.engine = e;
	for (size_t d = 0; rc == 0 && d < c->n_dcs; d++)
		rc = dataset_copy(&local, rep, &c->dcs[d], &c->errs[i]);
	if (rc < 0 && !c->errs[i].code)
		c->errs[i].code = rc;
	free(path);
	lab_buf_release(&tar);
	lab_engine_free(e);
}

static int deploy(struct run *r, struct lab_err *err)
{
	struct copy_ctx c = {r, NULL, 0, NULL};
	int rc = 0;
	c.dcs = lab_xcalloc(r->job->datasets.n + 1, sizeof(*c.dcs));
	for (size_t d = 0; d < r->job->datasets.n && rc == 0; d++) {
		c.dcs[d].ds = lab_find_dataset(r->lab, r->job->datasets.v[d]);
		c.n_dcs++;
		rc = dataset_resolve(&c.dcs[d], err);
	}
	if (rc == 0) {
		c.errs = lab_xcalloc(r->n, sizeof(struct lab_err));
		cmd_parallel(r->n, 8, deploy_replica, &c);
		for (size_t i = 0; i < r->n && rc == 0; i++)
			if (c.errs[i].code) {
				*err = c.errs[i];
				rc = lab_err_prefix(err, "%s", r->reps[i].prefix);
			}
	}
	/* each replica's environment */
	for (size_t i = 0; rc == 0 && i < r->n; i++) {
		struct lab_strv *env = &r->reps[i].env;
		lab_strv_pushf(env, "LAB_RANK=%zu", i);
		lab_strv_pushf(env, "LAB_WORLD_SIZE=%zu", r->n);
		lab_strv_pushf(env, "LAB_JOB=%s", r->job->name);
		lab_strv_pushf(env, "LAB_NAME=%s", r->lab->project);
		lab_strv_pushf(env, "LAB_REPLICA=%s", r->reps[i].prefix);
		for (size_t d = 0; d < c.n_dcs; d++) {
			char *k = env_name("LAB_DATASET_", c.dcs[d].ds->name);
			lab_strv_pushf(env, "%s=%s/%s", k, DATA_DIR, c.dcs[d].name);
			free(k);
		}
		endpoints_env(r->lab, env);
		lab_strv_copy(env, &r->job->env);
	}
	for (size_t d = 0; d < c.n_dcs; d++) {
		free(c.dcs[d].path);
		free(c.dcs[d].name);
		lab_buf_release(&c.dcs[d].data);
	}
	free(c.dcs);
	free(c.errs);
	return rc;
}

int cmd_run(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_args args;
	int code = cmd_parse(cmd, argc, argv, &args);
	if (code)
		return args.help ? 0 : code;
	struct run r = {0};
	struct lab_err err = {0};
	char *path = NULL;
	pthread_mutex_init(&r.mu, NULL);
	const char *file = cmd_opt(cmd, &args, "file");
	size_t need = file ? 1 : 2;
	if (args.pos.n != need) {
		code = cmd_usage_error(cmd, "name %sa job", file ? "" : "a lab and ");
		goto out;
	}
	const char *job_name = args.pos.v[need - 1];
	path = cmd_lab_path(file ? NULL : args.pos.v[0], file);
	if (!path) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if ((code = cmd_load_lab(&r.lab, path, cmd_opt(cmd, &args, "project-name"), 0)))
		goto out;
	r.job = lab_find_job(r.lab, job_name);
	if (!r.job) {
		fprintf(stderr, "labctl: lab '%s' has no job '%s' (see 'labctl jobs %s')\n", r.lab->project, job_name,
			r.lab->project);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if ((code = cmd_open_engine(&r.engine)))
		goto out;
	double t0 = cmd_now();
	if (find_replicas(&r, &err) < 0 || build_binary(&r, &err) < 0 || deploy(&r, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	char *prog = lab_xasprintf("%s/%s", JOB_BIN_DIR, r.job->binary);
	lab_strv_take(&r.argv, prog);
	lab_strv_copy(&r.argv, &r.job->args);
	lab_strv_copy(&r.argv, &args.rest);
	fprintf(stderr, "job '%s': running %s on %zu replica%s of '%s'\n", r.job->name, r.job->binary, r.n,
		r.n == 1 ? "" : "s", r.job->service);
	cmd_parallel(r.n, r.n, run_replica, &r);
	struct lab_buf failed = LAB_BUF_INIT;
	int engine_error = 0;
	for (size_t i = 0; i < r.n; i++) {
		struct replica *rep = &r.reps[i];
		if (rep->exit_code == 0)
			continue;
		if (rep->err.code) {
			lab_buf_printf(&failed, "%s%s (%s)", failed.len ? ", " : "", rep->prefix, rep->err.msg);
			engine_error = 1;
		} else {
			lab_buf_printf(&failed, "%s%s (exit %d)", failed.len ? ", " : "", rep->prefix, rep->exit_code);
		}
	}
	if (failed.len) {
		fprintf(stderr, "labctl: job '%s' failed on %s\n", r.job->name, lab_buf_cstr(&failed));
		code = engine_error ? LAB_EXIT_ENGINE : LAB_EXIT_FAIL;
	} else {
		fprintf(stderr, "job '%s' finished on %zu replica%s in %.2fs\n", r.job->name, r.n, r.n == 1 ? "" : "s",
			cmd_now() - t0);
	}
	lab_buf_release(&failed);
out:
	for (size_t i = 0; i < r.n; i++) {
		free(r.reps[i].id);
		free(r.reps[i].prefix);
		lab_buf_release(&r.reps[i].line);
		lab_strv_free(&r.reps[i].env);
	}
	free(r.reps);
	lab_strv_free(&r.argv);
	lab_buf_release(&r.binary);
	lab_engine_free(r.engine);
	lab_free(r.lab);
	free(path);
	cmd_args_free(&args);
	return code;
}

int cmd_jobs(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_args args;
	int code = cmd_parse(cmd, argc, argv, &args);
	if (code)
		return args.help ? 0 : code;
	struct lab *lab = NULL;
	if ((code = cmd_lab_arg(cmd, &args, 0, &lab)))
		goto out;
	if (!lab->n_jobs) {
		fprintf(stderr, "lab '%s' has no jobs\n", lab->project);
		goto out;
	}
	printf("%-12s %-18s %-10s %-9s %-18s %s\n", "JOB", "BINARY", "ON", "REPLICAS", "DATASETS", "DESCRIPTION");
	for (size_t i = 0; i < lab->n_jobs; i++) {
		const struct lab_job *j = &lab->jobs[i];
		const struct lab_service *s = lab_find_service(lab, j->service);
		char reps[16];
		snprintf(reps, sizeof(reps), "%d", j->replicas ? j->replicas : s ? s->replicas : 0);
		struct lab_buf ds = LAB_BUF_INIT;
		for (size_t d = 0; d < j->datasets.n; d++)
			lab_buf_printf(&ds, "%s%s", d ? "," : "", j->datasets.v[d]);
		printf("%-12s %-18s %-10s %-9s %-18s %s\n", j->name, j->binary, j->service, reps,
		       ds.len ? lab_buf_cstr(&ds) : "-", j->description ? j->description : "");
		lab_buf_release(&ds);
	}
out:
	lab_free(lab);
	cmd_args_free(&args);
	return code;
}
