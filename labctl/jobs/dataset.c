/* Datasets a job needs: the full file checked, else the lab's sample;
 * copied into a replica once per content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/parallel.h"
#include "internal.h"

/* The full file from $LABCTL_DATA_DIR, checksum verified; else the lab's
 * sample. */
int jobs_dataset_resolve(struct run *r, struct dataset_copy *dc, struct lab_err *err)
{
	const struct lab_dataset *ds = dc->ds;
	const char *dir = getenv("LABCTL_DATA_DIR");
	char *full = dir && *dir ? lab_xasprintf("%s/%s", dir, ds->file) : NULL;
	if (full && jobs_read_file(&dc->data, full) == 0) {
		jobs_sha256_hex(dc->sha, dc->data.data, dc->data.len);
		if (ds->sha256 && strcmp(dc->sha, ds->sha256) != 0) {
			int rc = lab_err_set(err, LAB_ERR, "dataset '%s': '%s' has sha256 %s, the lab expects %s", ds->name,
					     full, dc->sha, ds->sha256);
			free(full);
			return rc;
		}
		dc->path = full;
		dc->name = lab_xstrdup(ds->file);
		struct lab_jobs_event ev = {
			.kind = LAB_JOBS_DATASET_FULL, .dataset = ds->name, .path = full, .bytes = dc->data.len};
		jobs_emit(r, &ev);
		return 0;
	}
	free(full);
	lab_buf_reset(&dc->data);
	if (!ds->sample || jobs_read_file(&dc->data, ds->sample) < 0)
		return lab_err_set(err, LAB_ERR,
				   "dataset '%s': '%s' not found in LABCTL_DATA_DIR (%s) and the lab has no sample",
				   ds->name, ds->file, dir && *dir ? dir : "unset");
	jobs_sha256_hex(dc->sha, dc->data.data, dc->data.len);
	dc->path = lab_xstrdup(ds->sample);
	const char *base = strrchr(ds->sample, '/');
	dc->name = lab_xstrdup(base ? base + 1 : ds->sample);
	struct lab_jobs_event ev = {.kind = LAB_JOBS_DATASET_SAMPLE,
				    .dataset = ds->name,
				    .file = ds->file,
				    .data_dir = dir && *dir ? dir : NULL,
				    .name = dc->name};
	jobs_emit(r, &ev);
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
int jobs_dataset_copy(struct run *r, struct lab_engine *e, struct replica *rep, struct dataset_copy *dc,
		      struct lab_err *err)
{
	char *marker = lab_xasprintf("%s/.%s.sha256", JOBS_DATA_DIR, dc->name);
	char *argv[] = {"cat", marker, NULL};
	struct lab_buf have = LAB_BUF_INIT, tar = LAB_BUF_INIT;
	int code = 1, rc = lab_engine_exec(e, rep->id, argv, NULL, NULL, NULL, capture, &have, &code, err);
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
	struct lab_jobs_event copying = {
		.kind = LAB_JOBS_DATASET_COPYING, .replica = rep->prefix, .dataset = dc->ds->name, .bytes = dc->data.len};
	jobs_emit(r, &copying);
	double t = lab_now();
	rc = jobs_tar_build(&tar, files, 4, err);
	if (rc == 0)
		rc = lab_engine_put_archive(e, rep->id, "/", tar.data, tar.len, err);
	if (rc == 0) {
		struct lab_jobs_event ev = {.kind = LAB_JOBS_DATASET_COPIED,
					    .replica = rep->prefix,
					    .dataset = dc->ds->name,
					    .bytes = dc->data.len,
					    .duration_ms = (long)((lab_now() - t) * 1000.0)};
		jobs_emit(r, &ev);
	}
	free(data_path);
	free(marker_path);
out:
	lab_buf_release(&have);
	lab_buf_release(&tar);
	free(marker);
	return rc;
}
