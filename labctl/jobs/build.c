/* A job's binary: from the cache, else compiled in a builder container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/context.h"
#include "internal.h"

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

static void on_image(const struct lab_image_event *iev, void *ud)
{
	struct lab_jobs_event ev = {.kind = LAB_JOBS_IMAGE, .image = iev};
	jobs_emit(ud, &ev);
}

static int build_output(int stream, const char *data, size_t len, void *ud)
{
	char *text = lab_xstrndup(data, len);
	struct lab_jobs_event ev = {.kind = LAB_JOBS_BUILD_OUTPUT, .text = text, .len = len, .stream = stream};
	jobs_emit(ud, &ev);
	free(text);
	return 0;
}

char *lab_jobs_builder_context(const struct lab_job *j)
{
	return j->binary && j->source ? lab_xasprintf("%s/../images/builder", j->source) : NULL;
}

/* Compile the job in a builder container: sources in with PUT archive,
 * make, binary out with GET archive. Cached by the sources' hash. */
int jobs_build_binary(struct run *r, struct lab_err *err)
{
	const struct lab_job *j = r->job;
	char hash[65];
	int rc = lab_context_hash(hash, j->source, "Makefile", err);
	if (rc < 0)
		return rc;
	char *cdir = cache_dir();
	char *dir = lab_xasprintf("%s/jobs/%.16s", cdir, hash);
	char *cached = lab_xasprintf("%s/%s", dir, j->binary);
	char *builder_ctx = lab_jobs_builder_context(j);
	char *image = NULL, *cid = NULL;
	struct lab_buf src = LAB_BUF_INIT, tar = LAB_BUF_INIT;
	cJSON *body = NULL;
	if (jobs_read_file(&r->binary, cached) == 0 && r->binary.len) {
		struct lab_jobs_event ev = {.kind = LAB_JOBS_BUILD_CACHED, .binary = j->binary, .hash = hash};
		jobs_emit(r, &ev);
		goto out;
	}
	lab_buf_reset(&r->binary);
	struct lab_image_req req = {.name = JOBS_BUILDER_IMAGE,
				    .context = builder_ctx,
				    .project = r->lab->project,
				    .progress = on_image,
				    .progress_ud = r};
	if ((rc = lab_image_ensure(&image, r->engine, &req, err)) < 0)
		goto out;
	struct lab_jobs_event starting = {.kind = LAB_JOBS_BUILD_STARTING, .binary = j->binary, .name = JOBS_BUILDER_IMAGE};
	jobs_emit(r, &starting);
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
	struct lab_jobs_event compiling = {.kind = LAB_JOBS_BUILD_COMPILING, .binary = j->binary, .name = JOBS_BUILDER_IMAGE};
	jobs_emit(r, &compiling);
	char *argv[] = {"make", "-s", "-C", "/src", "OUT=/out", j->binary, NULL};
	int code = 0;
	if ((rc = lab_engine_exec(r->engine, cid, argv, NULL, NULL, NULL, build_output, r, &code, err)) < 0)
		goto out;
	if (code != 0) {
		rc = lab_err_set(err, LAB_ERR, "building job '%s' failed: make exited with %d", j->name, code);
		goto out;
	}
	char *out_path = lab_xasprintf("/out/%s", j->binary);
	rc = lab_engine_get_archive(r->engine, cid, out_path, &tar, err);
	free(out_path);
	if (rc < 0 || (rc = jobs_tar_first_file(&r->binary, &tar, err)) < 0)
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
	struct lab_jobs_event done = {.kind = LAB_JOBS_BUILD_DONE, .binary = j->binary, .bytes = r->binary.len};
	jobs_emit(r, &done);
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
