/* labctl run LAB JOB [-- ARGS...]: build a job's binary, copy it and the
 * datasets it needs into every replica of its service and run it in all
 * of them at once (labctl/jobs does the work). This file renders its
 * progress (each replica's output prefixed by the replica) and picks the
 * exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/jobs.h"
#include "../util/state.h"
#include "cmd.h"

static int cmd_run(const struct cmd_entry *cmd, struct cmd_args *args);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.opts = cmd_lab_student_opts,
	.usage = "LAB JOB [-- ARGS...]",
	.summary = "build a job, copy it into its service's replicas and run it there",
	.description = "A PySpark job (script: NAME.py, jobs/spark/NAME.py) is spark-submitted in\n"
		       "client mode from the first replica of its service to the lab's master;\n"
		       "its output streamed, its exit code passed on, then the application id\n"
		       "and the workers that ran its executors. A C job:\n"
		       "Compiles jobs/<binary>/ in the builder image (sources in and the binary\n"
		       "out through the Engine API, cached by a hash of the sources), copies it\n"
		       "and the datasets the job needs into every replica of its service, and\n"
		       "runs it in all of them at once with LAB_RANK (0-based), LAB_WORLD_SIZE,\n"
		       "LAB_DATASET_<NAME> and the lab's internal endpoints (PG*,\n"
		       "KAFKA_BOOTSTRAP_SERVERS, AWS_*) in its environment. Each output line is\n"
		       "prefixed by its replica. ARGS after '--' are appended to the job's args.\n"
		       "Datasets: the full file from $LABCTL_DATA_DIR, checksum verified, else\n"
		       "the lab's sample. Every profile is active (as compose run enables the\n"
		       "profiles of its service): a job on a profile's service needs no\n"
		       "--profile, only that up started it. Exit 0 when every replica exited 0,\n"
		       "else 1 naming them.",
	.fn = cmd_run,
};

struct run_view {
	const struct lab_job *job;
	struct cmd_image_view image;
	struct cmd_wait_view *wait; /* the silent phases: "build | compiling 12s: ..." */
};

/* jobs serialises its calls; the wait view's ticker is the other thread
 * printing: every line goes between begin and end. */
static void render_event(struct run_view *v, const struct lab_jobs_event *ev);
static void render(const struct lab_jobs_event *ev, void *ud)
{
	struct run_view *v = ud;
	char detail[256];
	switch (ev->kind) {
	case LAB_JOBS_BUILD_STARTING:
		snprintf(detail, sizeof(detail), "a %s container for '%s', sources in", ev->name, ev->binary);
		cmd_wait_view_set(v->wait, "build", "starting", detail);
		break;
	case LAB_JOBS_BUILD_COMPILING:
		snprintf(detail, sizeof(detail), "'%s' in %s", ev->binary, ev->name);
		cmd_wait_view_set(v->wait, "build", "compiling", detail);
		break;
	case LAB_JOBS_BUILD_DONE:
		cmd_wait_view_done(v->wait, "build");
		break;
	case LAB_JOBS_DATASET_COPYING:
		snprintf(detail, sizeof(detail), "dataset '%s', %.1f MB", ev->dataset, (double)ev->bytes / 1e6);
		cmd_wait_view_set(v->wait, ev->replica, "copying", detail);
		break;
	case LAB_JOBS_DATASET_COPIED:
		cmd_wait_view_done(v->wait, ev->replica);
		break;
	default:
		break;
	}
	cmd_wait_view_begin(v->wait);
	render_event(v, ev);
	cmd_wait_view_end(v->wait);
}

static void render_event(struct run_view *v, const struct lab_jobs_event *ev)
{
	switch (ev->kind) {
	case LAB_JOBS_IMAGE:
		cmd_image_render(&v->image, "build", ev->image);
		break;
	case LAB_JOBS_BUILD_CACHED:
		fprintf(stderr, "build | '%s' is up to date (sources %.12s)\n", ev->binary, ev->hash);
		break;
	case LAB_JOBS_BUILD_STARTING:
	case LAB_JOBS_DATASET_COPYING:
		break; /* rows of the wait view */
	case LAB_JOBS_BUILD_COMPILING:
		fprintf(stderr, "build | compiling '%s' in %s\n", ev->binary, ev->name);
		break;
	case LAB_JOBS_BUILD_OUTPUT:
		fwrite(ev->text, 1, ev->len, stderr);
		break;
	case LAB_JOBS_BUILD_DONE:
		fprintf(stderr, "build | '%s' built (%zu bytes)\n", ev->binary, ev->bytes);
		break;
	case LAB_JOBS_DATASET_FULL:
		fprintf(stderr, "dataset '%s': %s (%.1f MB, sha256 verified)\n", ev->dataset, ev->path,
			(double)ev->bytes / 1e6);
		break;
	case LAB_JOBS_DATASET_SAMPLE:
		fprintf(stderr, "dataset '%s': %s not found in LABCTL_DATA_DIR (%s); using the lab's sample %s\n",
			ev->dataset, ev->file, ev->data_dir ? ev->data_dir : "unset", ev->name);
		break;
	case LAB_JOBS_DATASET_COPIED:
		fprintf(stderr, "%s | dataset '%s' copied (%.1f MB in %.2fs, %.1f MB/s)\n", ev->replica, ev->dataset,
			(double)ev->bytes / 1e6, (double)ev->duration_ms / 1000.0,
			ev->duration_ms > 0 ? (double)ev->bytes / 1e3 / (double)ev->duration_ms : 0.0);
		break;
	case LAB_JOBS_RUNNING:
		fprintf(stderr, "job '%s': running %s on %zu replica%s of '%s'\n", v->job->name, ev->binary, ev->count,
			ev->count == 1 ? "" : "s", v->job->service);
		break;
	case LAB_JOBS_OUTPUT: {
		FILE *f = ev->stream == 2 ? stderr : stdout;
		fprintf(f, "%s %c ", ev->replica, ev->cont ? '+' : '|');
		fwrite(ev->text, 1, ev->len, f);
		fputc('\n', f);
		fflush(f);
		break;
	}
	}
}

static int cmd_run(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_jobs_result *res = NULL;
	struct lab_err err = {0};
	char *path = NULL;
	struct lab_state_lock *lock = NULL;
	const char *file = cmd_opt(cmd, args, "file");
	size_t need = file ? 1 : 2;
	if (args->pos.n != need) {
		code = cmd_usage_error(cmd, "name %sa job", file ? "" : "a lab and ");
		goto out;
	}
	const char *job_name = args->pos.v[need - 1];
	path = cmd_lab_path(file ? NULL : args->pos.v[0], file);
	if (!path) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	const char *student = NULL;
	if ((code = cmd_student(cmd, args, &student)))
		goto out;
	/* a job on a service in a profile runs without --profile (as compose run) */
	cmd_load_every_profile();
	if (student)
		code = cmd_load_instance(&lab, path, cmd_opt(cmd, args, "project-name"), student, 0);
	else
		code = cmd_load_lab(&lab, path, cmd_opt(cmd, args, "project-name"), 0);
	cmd_load_every_profile_off();
	if (code)
		goto out;
	const struct lab_job *job = lab_find_job(lab, job_name);
	if (!job) {
		struct lab_strv names = LAB_STRV_INIT;
		for (size_t i = 0; i < lab->n_jobs; i++)
			lab_strv_push(&names, lab->jobs[i].name);
		const char *near = cmd_suggest(job_name, (const char *const *)names.v, names.n);
		fprintf(stderr, "labctl: lab '%s' has no job '%s'%s%s%s (see 'labctl jobs %s')\n", lab->project, job_name,
			near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", lab->project);
		lab_strv_free(&names);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if ((code = cmd_lock_lab(lab->project, &lock)) || (code = cmd_open_engine(&engine)))
		goto out;
	struct run_view view = {.job = job};
	struct lab_jobs_opts opts = {.args = &args->rest, .progress = render, .progress_ud = &view};
	view.wait = cmd_wait_view_new(cmd_global.tty_err);
	int rc = lab_jobs_run(&res, lab, job, engine, &opts, &err);
	cmd_wait_view_free(view.wait);
	if (!res) {
		code = cmd_fail(&err);
		goto out;
	}
	if (job->script) {
		/* what the cluster says about the application */
		if (res->app_id) {
			fprintf(stderr, "job '%s': application %s", job->name, res->app_id);
			if (res->app_state)
				fprintf(stderr, " %s in %.1fs", res->app_state, res->app_seconds);
			fprintf(stderr, "; executors on ");
			for (size_t i = 0; i < res->executors.n; i++) {
				const char *eq = strchr(res->executors.v[i], '=');
				fprintf(stderr, "%s%.*s (%s)", i ? ", " : "", (int)(eq - res->executors.v[i]),
					res->executors.v[i], eq + 1);
			}
			fprintf(stderr, "%s\n", res->executors.n ? "" : "no worker (it never got executors)");
		} else {
			fprintf(stderr, "job '%s': the master lists no application of it\n", job->name);
		}
	}
	if (rc < 0) {
		/* a replica the engine could not run it on is exit 3 (err's
		   code is the engine's), one where it exited non-zero 1 */
		fprintf(stderr, "labctl: %s\n", err.msg);
		code = lab_err_exit_code(rc);
		/* a PySpark job's driver exit code is passed on */
		int driver = res->n ? res->replicas[0].exit_code : -1;
		if (job->script && code == LAB_EXIT_FAIL && driver > 0 && driver < 126)
			code = driver;
	} else {
		fprintf(stderr, "job '%s' finished on %zu replica%s in %.2fs\n", job->name, res->n, res->n == 1 ? "" : "s",
			res->seconds);
	}
out:
	lab_jobs_result_free(res);
	lab_engine_free(engine);
	lab_state_unlock(lock);
	lab_free(lab);
	free(path);
	return code;
}
