/* labctl class up|verify|down LAB --roster FILE: every student's instance
 * of a lab (labctl/instance) at once, a bounded number in parallel.
 *
 * up converges each instance (labctl/converge) and prints a summary
 * table; verify runs each instance's checks (labctl/verify) and writes one
 * gradebook; down takes each instance down (labctl/teardown). This file
 * loads the instances, renders progress prefixed by the student and picks
 * the exit code.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../converge/converge.h"
#include "../image/image.h"
#include "../instance/instance.h"
#include "../plan/plan.h"
#include "../teardown/teardown.h"
#include "../util/state.h"
#include "../verify/verify.h"
#include "cmd.h"

static int cmd_class(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt class_opts[] = {
	CMD_OPT_FILE,
	{"roster", 'r', "FILE", "the students: one id a line ('#' comments, blank lines ignored)"},
	{"parallel", 'j', "N", "instances worked on at once (default 2)"},
	{"format", 0, "FORMAT", "verify: the gradebook as csv (default), json or junit"},
	{"output", 'o', "FILE", "verify: write the gradebook to FILE (a summary goes to stdout)"},
	{"only", 0, "ID[,ID...]", "verify: run only these checks"},
	{"volumes", 'v', NULL, "down: also remove the instances' named volumes"},
	{"build", 0, NULL, "up: build images of services with build: even when the image exists"},
	{"offline", 0, NULL, "up: never pull; an absent image is built from the stand-in catalog (labctl images)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_class_entry = {
	.name = "class",
	.opts = class_opts,
	.usage = "up|verify|down LAB --roster FILE [--parallel N] [--format csv|json|junit] [-o FILE] [--volumes]",
	.summary = "bring up, grade or take down every student's instance of a lab",
	.description =
		"Every student of the roster gets an instance of the lab, as with\n"
		"`labctl up LAB --student ID`: project <lab>-ID, its own credentials,\n"
		"networks, volumes, params and host ports (from $LABCTL_PORT_RANGE).\n"
		"up: brings up the instances, --parallel at a time, then prints one\n"
		"line per student (state, seconds, endpoints). verify: runs every\n"
		"instance's checks and writes one gradebook, a row per student and\n"
		"check (student, check, status, observed, expected, message). down:\n"
		"takes the instances down (named volumes kept unless --volumes); only\n"
		"the roster's instances are touched.\n"
		"A bad roster line is reported as FILE:LINE:COL and nothing is done\n"
		"(exit 2). Exit 0 when every instance is up / passed every check / is\n"
		"down, 1 when one is not, 2 for bad input, 3 when the engine cannot\n"
		"be reached.",
	.fn = cmd_class,
};

/* Output lines of several threads, whole. */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *student, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *student, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&out_mu);
	fprintf(stderr, "%s | ", student);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&out_mu);
}

/* One student's instance and what happened to it. */
struct inst {
	const char *student;
	char *project;
	struct lab *lab; /* up, verify: loaded for the instance */
	int code;        /* exit code of its part: 0 ok */
	/* up */
	struct lab_converge_result *res;
	struct lab_err err;
	double seconds;
	/* verify */
	struct lab_verify_result *vr;
	size_t n_vr, abandoned;
	/* down */
	struct lab_teardown_result td;
};

struct class_run {
	const struct cmd_entry *cmd;
	struct cmd_args *args;
	struct inst *in;
	size_t n;
	struct lab_engine *engine;
	char *catalog; /* up: the stand-in catalog's path, or NULL */
	int offline;   /* up --offline */
	struct lab_strv only;
	const char *key;
};

static void render_up(const struct lab_converge_event *ev, void *ud)
{
	const struct inst *in = ud;
	switch (ev->kind) {
	case LAB_CONVERGE_IMAGE:
		if (ev->image && ev->image->phase == LAB_IMAGE_BUILDING)
			say(in->student, "%s | building image '%s'", ev->service, ev->image->name);
		break;
	case LAB_CONVERGE_STAND_IN:
		say(in->student, "image '%s': %s; building stand-in '%s' from %s", ev->name, ev->reason, ev->entry,
		    ev->context);
		break;
	case LAB_CONVERGE_CONTAINER_CREATED:
		say(in->student, "%s | created", ev->name);
		break;
	case LAB_CONVERGE_CONTAINER_RECREATED:
		say(in->student, "%s | recreated (%s)", ev->name, ev->reason);
		break;
	case LAB_CONVERGE_CONTAINER_STARTED:
		say(in->student, "%s | started", ev->name);
		break;
	case LAB_CONVERGE_SERVICE_READY:
		say(in->student, "%s | %s in %.2fs", ev->service, ev->state, (double)ev->elapsed_ms / 1000.0);
		break;
	default:
		break;
	}
}

/* ud: the student */
static void lock_wait(long pid, void *ud)
{
	if (pid > 0)
		say(ud, "waiting for labctl (pid %ld) on this instance", pid);
	else
		say(ud, "waiting for another labctl on this instance");
}

static void up_one(size_t i, void *ud)
{
	struct class_run *c = ud;
	struct inst *in = &c->in[i];
	struct lab_state_lock *lock = NULL;
	struct lab_engine *e = lab_engine_dup(c->engine);
	double t0 = cmd_now();
	if (!e) {
		lab_err_set(&in->err, LAB_ERR, "cannot open another connection to the engine");
		in->code = LAB_EXIT_ENGINE;
		return;
	}
	if (lab_state_lock(&lock, in->project, lock_wait, (void *)in->student, &in->err) < 0) {
		in->code = lab_err_exit_code(in->err.code);
		lab_engine_free(e);
		return;
	}
	/* images were built before (build_images) */
	struct lab_converge_opts opts = {
		.progress = render_up,
		.progress_ud = in,
		.catalog = c->catalog,
		.offline = c->offline,
	};
	int rc = lab_converge(&in->res, in->lab, e, &opts, &in->err);
	in->code = rc < 0 ? lab_err_exit_code(rc) : 0;
	in->seconds = cmd_now() - t0;
	lab_state_unlock(lock);
	lab_engine_free(e);
	if (rc < 0)
		say(in->student, "failed: %s", in->err.msg);
	else
		say(in->student, "lab '%s' is up in %.2fs", in->project, in->seconds);
}

static void verify_one(size_t i, void *ud)
{
	struct class_run *c = ud;
	struct inst *in = &c->in[i];
	struct lab_engine *e = lab_engine_dup(c->engine);
	if (!e) {
		lab_err_set(&in->err, LAB_ERR, "cannot open another connection to the engine");
		in->code = LAB_EXIT_ENGINE;
		return;
	}
	int rc = lab_verify_run(&in->vr, &in->n_vr, &in->abandoned, in->lab, e, &c->only, c->key, &in->err);
	if (rc < 0) {
		in->code = lab_err_exit_code(rc);
		lab_engine_free(e);
		return;
	}
	size_t failed = lab_verify_failures(in->vr, in->n_vr);
	in->code = failed ? LAB_EXIT_FAIL : 0;
	say(in->student, "%zu passed, %zu failed", in->n_vr - failed, failed);
	/* a timed-out check's thread still uses e: it stays until exit */
	if (!in->abandoned)
		lab_engine_free(e);
}

static void render_down(enum lab_teardown_kind kind, const char *name, void *ud)
{
	const char *what = kind == LAB_TEARDOWN_CONTAINER_REMOVED ? "" :
			   kind == LAB_TEARDOWN_NETWORK_REMOVED  ? "network " :
			   kind == LAB_TEARDOWN_SERVICE_REMOVED  ? "swarm service " :
								   "volume ";
	const char *slash = kind == LAB_TEARDOWN_NODE_VOLUME_REMOVED ? strchr(name, '/') : NULL;
	if (slash)
		say(ud, "volume %s removed on node %.*s", slash + 1, (int)(slash - name), name);
	else
		say(ud, "%s%s removed", what, name);
}

static void down_one(size_t i, void *ud)
{
	struct class_run *c = ud;
	struct inst *in = &c->in[i];
	struct lab_state_lock *lock = NULL;
	struct lab_engine *e = lab_engine_dup(c->engine);
	if (!e) {
		lab_err_set(&in->err, LAB_ERR, "cannot open another connection to the engine");
		in->code = LAB_EXIT_ENGINE;
		return;
	}
	if (lab_state_lock(&lock, in->project, lock_wait, (void *)in->student, &in->err) < 0) {
		in->code = lab_err_exit_code(in->err.code);
		lab_engine_free(e);
		return;
	}
	int rc = lab_teardown(&in->td, e, in->project, cmd_opt(c->cmd, c->args, "volumes") != NULL, 10, render_down,
			      (void *)in->student, &in->err);
	in->code = rc < 0 ? lab_err_exit_code(rc) : 0;
	lab_state_unlock(lock);
	lab_engine_free(e);
	if (rc < 0)
		say(in->student, "failed: %s", in->err.msg);
}

static void render_image(const struct lab_image_event *ev, void *ud)
{
	cmd_image_render(ud, "image", ev);
}

/* The images lab builds, each built once here when it is not current
 * (force: always), before the instances' ups run in parallel: else each
 * would build the same image at once. Prints what failed and returns the
 * exit code. */
static int build_images(struct lab *lab, struct lab_engine *e, int force)
{
	struct lab_strv done = LAB_STRV_INIT;
	int code = 0;
	for (size_t i = 0; i < lab->n_services && !code; i++) {
		const struct lab_service *s = &lab->services[i];
		char *name = lab_plan_image_name(lab, s);
		if (!s->has_build || lab_strv_find(&done, name) >= 0) {
			free(name);
			continue;
		}
		struct cmd_image_view view = {0};
		struct lab_image_req req = {
			.name = name,
			.context = s->build_context,
			.dockerfile = s->build_dockerfile,
			.args = &s->build_args,
			.target = s->build_target,
			.project = lab->project,
			.force = force,
			.progress = render_image,
			.progress_ud = &view,
		};
		char *id = NULL;
		struct lab_err err = {0};
		if (lab_image_ensure(&id, e, &req, &err) < 0) {
			lab_err_prefix(&err, "service '%s'", s->name);
			code = cmd_fail(&err);
		}
		free(id);
		lab_strv_take(&done, name);
	}
	lab_strv_free(&done);
	return code;
}

/* --only a,b --only c -> [a, b, c] */
static void split_only(struct lab_strv *out, const struct lab_strv *given)
{
	for (size_t i = 0; i < given->n; i++) {
		char *copy = lab_xstrdup(given->v[i]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (*t)
				lab_strv_push(out, t);
		free(copy);
	}
}

static void print_up_summary(const struct class_run *c)
{
	printf("%-20s %-28s %-8s %-9s %s\n", "STUDENT", "PROJECT", "STATE", "SECONDS", "ENDPOINTS");
	for (size_t i = 0; i < c->n; i++) {
		const struct inst *in = &c->in[i];
		struct lab_buf eps = LAB_BUF_INIT;
		for (size_t k = 0; in->res && k < in->res->n_services; k++)
			if (in->res->services[k].endpoint)
				lab_buf_printf(&eps, "%s%s=%s", eps.len ? " " : "", in->res->services[k].name,
					       in->res->services[k].endpoint);
		printf("%-20s %-28s %-8s %-9.2f %s\n", in->student, in->project, in->code ? "failed" : "up", in->seconds,
		       eps.len ? lab_buf_cstr(&eps) : "-");
		lab_buf_release(&eps);
	}
}

static int write_out(const char *path, const struct lab_buf *b)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "labctl: cannot write '%s': %m\n", path);
		return LAB_EXIT_FAIL;
	}
	size_t w = fwrite(b->data ? b->data : "", 1, b->len, f);
	if (fclose(f) != 0 || w != b->len) {
		fprintf(stderr, "labctl: cannot write '%s': %m\n", path);
		return LAB_EXIT_FAIL;
	}
	return 0;
}

static int cmd_class(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_err err = {0};
	struct lab_strv ids = LAB_STRV_INIT;
	struct class_run c = {.cmd = cmd, .args = args};
	struct lab_buf out = LAB_BUF_INIT;
	char *path = NULL;
	struct lab *base = NULL;
	size_t abandoned = 0;
	int base_tried = 0;

	const char *file = cmd_opt(cmd, args, "file");
	size_t want = file ? 1 : 2;
	if (args->pos.n < 1)
		return cmd_usage_error(cmd, "name what to do: up, verify or down");
	const char *action = args->pos.v[0];
	int is_up = !strcmp(action, "up"), is_verify = !strcmp(action, "verify"), is_down = !strcmp(action, "down");
	if (!is_up && !is_verify && !is_down)
		return cmd_usage_error(cmd, "unknown action '%s' (up, verify, down)", action);
	if (args->pos.n != want)
		return args->pos.n < want ? cmd_usage_error(cmd, "name a lab or give -f FILE") :
					    cmd_usage_error(cmd, "unexpected argument '%s'", args->pos.v[want]);
	static const struct {
		const char *opt;
		int up, verify, down;
	} applies[] = {
		{"format", 0, 1, 0}, {"output", 0, 1, 0}, {"only", 0, 1, 0}, {"volumes", 0, 0, 1}, {"build", 1, 0, 0},
	};
	for (size_t k = 0; k < sizeof(applies) / sizeof(applies[0]); k++)
		if (cmd_opt(cmd, args, applies[k].opt) &&
		    !((is_up && applies[k].up) || (is_verify && applies[k].verify) || (is_down && applies[k].down)))
			return cmd_usage_error(cmd, "--%s does not apply to 'class %s'", applies[k].opt, action);
	const char *roster = cmd_opt(cmd, args, "roster");
	if (!roster)
		return cmd_usage_error(cmd, "give the students with --roster FILE");
	long parallel = 2;
	const char *pv = cmd_opt(cmd, args, "parallel");
	if (pv) {
		char *end = NULL;
		parallel = strtol(pv, &end, 10);
		if (!end || *end || parallel < 1 || parallel > 64)
			return cmd_usage_error(cmd, "--parallel takes a number from 1 to 64, not '%s'", pv);
	}
	enum lab_gradebook_format fmt = LAB_GRADEBOOK_CSV;
	const char *f = cmd_opt(cmd, args, "format");
	if (f && lab_gradebook_parse_format(&fmt, f) < 0)
		return cmd_usage_error(cmd, "unknown format '%s' (csv, json, junit)", f);
	if (lab_roster_read(&ids, roster, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	path = cmd_lab_path(file ? NULL : args->pos.v[1], file);
	if (!path) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	c.n = ids.n;
	c.in = lab_xcalloc(c.n, sizeof(*c.in));
	/* every instance is loaded before anything is done: a bad lab file
	   fails them all alike, and nothing is changed */
	for (size_t i = 0; i < c.n; i++) {
		struct inst *in = &c.in[i];
		in->student = ids.v[i];
		if (is_down) {
			/* the project name only: a lab whose file no longer loads is
			   still taken down by its name */
			if (!base_tried) {
				struct lab_load_opts o = {.names_only = 1};
				base_tried = 1;
				if (lab_load(&base, path, &o, &err) < 0) {
					if (file) {
						fprintf(stderr, "%s\n", err.msg);
						code = LAB_EXIT_USAGE;
						goto out;
					}
				}
			}
			in->project = lab_instance_project(base ? base->project : args->pos.v[1], in->student);
			if (!lab_state_name_ok(in->project)) {
				code = cmd_usage_error(cmd, "invalid lab name '%s'", args->pos.v[1]);
				goto out;
			}
			continue;
		}
		if ((code = cmd_load_instance(&in->lab, path, NULL, in->student, is_up)))
			goto out;
		in->project = lab_xstrdup(in->lab->project);
	}
	if ((code = cmd_open_engine(&c.engine)))
		goto out;
	double t0 = cmd_now();
	if (is_up) {
		c.catalog = cmd_catalog_path();
		c.offline = cmd_opt(cmd, args, "offline") != NULL;
		if ((code = build_images(c.in[0].lab, c.engine, cmd_opt(cmd, args, "build") != NULL)))
			goto out;
		cmd_parallel(c.n, (size_t)parallel, up_one, &c);
		print_up_summary(&c);
		size_t ok = 0;
		for (size_t i = 0; i < c.n; i++) {
			ok += c.in[i].code == 0;
			code = c.in[i].code > code ? c.in[i].code : code;
		}
		fprintf(stderr, "class: %zu of %zu instances up in %.2fs (--parallel %ld)\n", ok, c.n, cmd_now() - t0,
			parallel);
	} else if (is_verify) {
		split_only(&c.only, cmd_opt_all(cmd, args, "only"));
		const char *env_key = getenv("LABCTL_VERIFY_KEY");
		c.key = env_key && *env_key ? env_key : c.in[0].lab->seed;
		cmd_parallel(c.n, (size_t)parallel, verify_one, &c);
		struct lab_grade *g = lab_xcalloc(c.n, sizeof(*g));
		for (size_t i = 0; i < c.n; i++) {
			struct inst *in = &c.in[i];
			g[i] = (struct lab_grade){.student = in->student, .project = in->project, .r = in->vr, .n = in->n_vr,
						  .checks = in->lab->checks, .n_checks = in->lab->n_checks};
			if (!in->vr && in->code)
				g[i].error = in->err.msg;
			if (in->code == LAB_EXIT_USAGE) /* --only naming no check: the same for all */
				code = LAB_EXIT_USAGE;
			else if (in->code > code && code != LAB_EXIT_USAGE)
				code = in->code;
			abandoned += in->abandoned;
		}
		if (code == LAB_EXIT_USAGE) {
			fprintf(stderr, "labctl: %s\n", c.in[0].err.msg);
			free(g);
			goto out;
		}
		/* the lab's own name: the instance's project without "-<student>" */
		char *name = lab_xstrndup(c.in[0].project, strlen(c.in[0].project) - strlen(c.in[0].student) - 1);
		lab_gradebook_format(&out, fmt, name, g, c.n);
		free(name);
		free(g);
		const char *o = cmd_opt(cmd, args, "output");
		if (o) {
			int wc = write_out(o, &out);
			code = wc ? wc : code;
			printf("%-20s %-8s %-8s %s\n", "STUDENT", "PASSED", "FAILED", "ERROR");
			for (size_t i = 0; i < c.n; i++) {
				size_t failed = lab_verify_failures(c.in[i].vr, c.in[i].n_vr);
				printf("%-20s %-8zu %-8zu %s\n", c.in[i].student, c.in[i].n_vr - failed, failed,
				       c.in[i].vr ? "-" : c.in[i].err.msg);
			}
		} else {
			fputs(lab_buf_cstr(&out), stdout);
		}
		if (o && !code)
			fprintf(stderr, "gradebook of %zu students written to %s\n", c.n, o);
		else if (o)
			fprintf(stderr, "gradebook of %zu students written to %s (not every check passed)\n", c.n, o);
	} else {
		cmd_parallel(c.n, (size_t)parallel, down_one, &c);
		size_t kept = 0, ok = 0;
		for (size_t i = 0; i < c.n; i++) {
			kept += c.in[i].td.volumes_kept;
			ok += c.in[i].code == 0;
			code = c.in[i].code > code ? c.in[i].code : code;
		}
		fprintf(stderr, "class: %zu of %zu instances down", ok, c.n);
		if (kept)
			fprintf(stderr, "; %zu named volume%s kept (--volumes removes them)", kept, kept == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	if (abandoned) {
		/* threads of timed-out checks still use the labs and engines */
		fflush(stderr);
		_exit(cmd_finish(code));
	}
out:
	for (size_t i = 0; i < c.n; i++) {
		lab_converge_result_free(c.in[i].res);
		lab_verify_results_free(c.in[i].vr, c.in[i].n_vr);
		lab_free(c.in[i].lab);
		free(c.in[i].project);
	}
	free(c.in);
	free(c.catalog);
	lab_strv_free(&c.only);
	lab_engine_free(c.engine);
	lab_buf_release(&out);
	lab_free(base);
	free(path);
	lab_strv_free(&ids);
	return cmd_finish(code);
}
