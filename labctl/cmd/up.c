/* labctl up: converge a lab on the engine and wait until it is ready.
 *
 * The work is labctl/converge's; this file loads the lab (exit 2 before
 * any engine call), renders converge's progress on stderr, prints the
 * table (or --json) and picks the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../converge/converge.h"
#include "../jobs/jobs.h"
#include "../util/state.h"
#include "cmd.h"

static int cmd_up(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt up_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	CMD_OPT_PROFILE,
	CMD_OPT_ENV_FILE,
	{"build", 0, NULL, "build images of services with build: (and stand-ins) even when the image exists"},
	{"offline", 0, NULL, "never pull: an absent image, or one a build: is FROM, is built from the stand-in catalog (labctl images) or is an error"},
	{"remove-orphans", 0, NULL, "remove containers of services no longer in the lab file"},
	{"scale", 0, "SERVICE=N", "run N replicas of SERVICE this time, instead of its deploy.replicas (repeatable; 0 stops it)"},
	{"swarm", 0, NULL, "run the services as Docker Swarm services on the engine, a Swarm manager (as lab.swarm: true does)"},
	{"endpoint-mode", 0, "MODE", "with --swarm: dnsrr gives every service DNS round-robin and host-mode ports (a kernel without IPVS has no virtual IPs or routing mesh); vip (default) keeps what the lab says"},
	{"json", 0, NULL, "print the result as JSON on stdout (progress stays on stderr)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_up_entry = {
	.name = "up",
	.opts = up_opts,
	.usage = "LAB | -f FILE",
	.summary = "create or converge a lab and wait until every service is ready",
	.description = "Builds or pulls missing images (builds 2 at a time, LABCTL_BUILD_JOBS;\n"
		       "a base image a Dockerfile is FROM, labctl/NAME:TAG, built first from the\n"
		       "directory NAME beside its context), creates the lab's networks and volumes,\n"
		       "then starts services in dependency order, each when what it depends on\n"
		       "meets its condition (started, healthy, completed). Returns when every\n"
		       "service is ready: its x-ready probes pass, else its healthcheck reports\n"
		       "healthy, else it runs. Unchanged containers are kept; a service whose\n"
		       "configuration or image changed is recreated; one that exited is started\n"
		       "again. --scale SERVICE=N runs N replicas of a service for this run, as\n"
		       "Compose does: replicas are added, or removed from the highest number\n"
		       "down; the others are kept. Then the lab's connectors: are created or\n"
		       "updated through Kafka Connect's REST API and waited for until RUNNING\n"
		       "(FAILED: the reason from the task's trace), and datasets that name a\n"
		       "bucket are uploaded to the object store (once per content); the\n"
		       "services' web UIs are listed under the table. Host ports and images are\n"
		       "checked before anything is made. An image without build: that is\n"
		       "absent and cannot be pulled (no registry, access denied, rate limited),\n"
		       "or is absent with --offline, is built from the stand-in catalog\n"
		       "(images/catalog.yml, `labctl images`), tagged with its name, when an\n"
		       "entry matches it; with --offline so is an absent image a build: is\n"
		       "FROM, before that build. The first service that fails stops\n"
		       "the waiting on the others. Another labctl working on the same lab is\n"
		       "waited for. --student ID (or $LAB_STUDENT) brings up that student's\n"
		       "own instance: project <lab>-ID, its own credentials, networks, volumes\n"
		       "and params, and host ports of its own from $LABCTL_PORT_RANGE (default\n"
		       "20000-29999), allocated once and kept. --swarm (or lab.swarm: true in the\n"
		       "lab file) runs each service as a Swarm service on the engine, which must\n"
		       "be a Swarm manager: deploy.replicas, mode, placement, resources,\n"
		       "restart_policy, update_config and rollback_config go to the service's\n"
		       "spec, networks are attachable overlays, named volumes are made by the\n"
		       "node a task lands on (local to it), ports publish in ingress mode or,\n"
		       "with the long form's mode: host, on the task's node, on every interface.\n"
		       "Readiness: every task running (a healthcheck passed), then the x-ready\n"
		       "probes from this host against the published ports. Exit 0 when all are\n"
		       "ready, 1 when one fails or times out (or a dataset upload fails), 2 for\n"
		       "a bad lab file, a bad --scale, a host port already taken or an image\n"
		       "that cannot be had, 3 for engine errors.",
	.fn = cmd_up,
};

struct up_view {
	struct cmd_image_view image;
	struct cmd_wait_view *wait; /* services waited for: "kafka2 | waiting 12s: ..." */
};

/* converge serialises its calls; the wait view's ticker is the other
 * thread printing, hence say through it. */
#define say(...) cmd_wait_view_say(v->wait, __VA_ARGS__)

static void render(const struct lab_converge_event *ev, void *ud)
{
	struct up_view *v = ud;
	switch (ev->kind) {
	case LAB_CONVERGE_IMAGE:
		cmd_wait_view_begin(v->wait);
		cmd_image_render(&v->image, ev->service, ev->image);
		cmd_wait_view_end(v->wait);
		break;
	case LAB_CONVERGE_STAND_IN:
		say("image '%s': %s; building stand-in '%s' from %s", ev->name, ev->reason, ev->entry, ev->context);
		break;
	case LAB_CONVERGE_NETWORK_CREATED:
		say("network '%s' created", ev->name);
		break;
	case LAB_CONVERGE_NETWORK_REMOVED:
		say("network '%s' removed (%s)", ev->name, ev->reason);
		break;
	case LAB_CONVERGE_VOLUME_CREATED:
		say("volume '%s' created", ev->name);
		break;
	case LAB_CONVERGE_CONTAINER_CREATED:
		say("%s | created", ev->name);
		break;
	case LAB_CONVERGE_CONTAINER_RECREATED:
		say("%s | recreated (%s)", ev->name, ev->reason);
		break;
	case LAB_CONVERGE_CONTAINER_STARTED:
		if (ev->reason)
			say("%s | restarted (%s)", ev->name, ev->reason);
		else
			say("%s | started", ev->name);
		break;
	case LAB_CONVERGE_CONTAINER_REMOVED:
		say("%s | removed (%s)", ev->name, ev->reason);
		break;
	case LAB_CONVERGE_ORPHAN_FOUND:
		say("orphan container '%s' (service '%s' is not in the lab file; --remove-orphans removes it)", ev->name,
		    ev->service ? ev->service : "?");
		break;
	case LAB_CONVERGE_SERVICE_READY:
		cmd_wait_view_done(v->wait, ev->service);
		say("%s | %s in %.2fs", ev->service, ev->state, (double)ev->elapsed_ms / 1000.0);
		break;
	case LAB_CONVERGE_IMAGES_BUILT:
		say("%zu image%s built in %.1fs (%zu at a time)", ev->count, ev->count == 1 ? "" : "s",
		    (double)ev->took_ms / 1000.0, ev->jobs);
		break;
	case LAB_CONVERGE_BUCKETS_READY:
		say("%s | buckets ready: %zu", ev->service, ev->count);
		break;
	case LAB_CONVERGE_CONNECTOR:
		say("%s | connector '%s' %s", ev->service, ev->name, ev->state);
		break;
	case LAB_CONVERGE_DATASET_PRESENT:
		say("dataset '%s' | %s already there (%s, %.1f MiB, sha256 checked)", ev->dataset, ev->name, ev->reason,
		    (double)ev->bytes / 1048576.0);
		break;
	case LAB_CONVERGE_DATASET_PROGRESS:
		say("dataset '%s' | uploading to %s: %.1f of %.1f MiB, %.1f MiB/s", ev->dataset, ev->name,
		    (double)ev->bytes / 1048576.0, (double)ev->total / 1048576.0, ev->rate / 1048576.0);
		break;
	case LAB_CONVERGE_DATASET_UPLOADED:
		say("dataset '%s' | uploaded the %s to %s (%.1f MiB, %.1f MiB/s)", ev->dataset, ev->reason, ev->name,
		    (double)ev->bytes / 1048576.0, ev->rate / 1048576.0);
		break;
	case LAB_CONVERGE_SERVICE_WAITING: {
		char *detail = lab_xasprintf("%s%s", ev->dependency ? "for " : "", ev->reason ? ev->reason : "");
		cmd_wait_view_set(v->wait, ev->service, "waiting", detail);
		free(detail);
		break;
	}
	case LAB_CONVERGE_NOTE:
		say("note: %s", ev->reason);
		break;
	case LAB_CONVERGE_SERVICE_FAILED: /* reported under the table */
		cmd_wait_view_done(v->wait, ev->service);
		break;
	}
}

static void print_json(const struct lab_converge_result *res, const char *project)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "lab", project);
	cJSON_AddBoolToObject(o, "changed", res->changes > 0);
	cJSON *arr = cJSON_AddArrayToObject(o, "services");
	for (size_t i = 0; i < res->n_services; i++) {
		const struct lab_converge_service *r = &res->services[i];
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "service", r->name);
		cJSON_AddNumberToObject(s, "replicas", r->replicas);
		cJSON_AddNumberToObject(s, "ready_replicas", r->ready_replicas);
		cJSON_AddStringToObject(s, "state", r->state);
		if (r->endpoint)
			cJSON_AddStringToObject(s, "endpoint", r->endpoint);
		else
			cJSON_AddNullToObject(s, "endpoint");
		if (r->ui)
			cJSON_AddStringToObject(s, "ui", r->ui);
		else
			cJSON_AddNullToObject(s, "ui");
		cJSON_AddNumberToObject(s, "seconds_to_start", r->seconds_to_start);
		cJSON_AddNumberToObject(s, "seconds_to_ready", r->seconds_to_ready);
		cJSON_AddNumberToObject(s, "created", r->created);
		cJSON_AddNumberToObject(s, "recreated", r->recreated);
		if (r->err.code)
			cJSON_AddStringToObject(s, "error", r->err.msg);
		cJSON_AddItemToArray(arr, s);
	}
	cJSON *ks = cJSON_AddArrayToObject(o, "connectors");
	for (size_t j = 0; j < res->n_connectors; j++) {
		const struct lab_converge_connector *k = &res->connectors[j];
		cJSON *ko = cJSON_CreateObject();
		cJSON_AddStringToObject(ko, "name", k->name);
		cJSON_AddStringToObject(ko, "service", k->service);
		cJSON_AddStringToObject(ko, "state", k->state);
		if (k->message)
			cJSON_AddStringToObject(ko, "message", k->message);
		if (k->trace)
			cJSON_AddStringToObject(ko, "trace", k->trace);
		cJSON_AddItemToArray(ks, ko);
	}
	cmd_print_json(o);
}

static void print_table(const struct lab_converge_result *res)
{
	printf("%-20s %-9s %-11s %-22s %s\n", "SERVICE", "REPLICAS", "STATE", "ENDPOINT", "READY");
	for (size_t i = 0; i < res->n_services; i++) {
		const struct lab_converge_service *r = &res->services[i];
		char reps[32], ready[32];
		snprintf(reps, sizeof(reps), "%d/%d", r->ready_replicas, r->replicas);
		if (r->err.code)
			snprintf(ready, sizeof(ready), "-");
		else
			snprintf(ready, sizeof(ready), "%.2fs", r->seconds_to_ready);
		printf("%-20s %-9s %-11s %-22s %s\n", r->name, reps, r->state, r->endpoint ? r->endpoint : "-", ready);
	}
	int uis = 0;
	for (size_t i = 0; i < res->n_services; i++) {
		const struct lab_converge_service *r = &res->services[i];
		if (!r->ui || r->err.code)
			continue;
		if (!uis++)
			printf("\nweb UIs:\n");
		printf("  %-20s %s\n", r->name, r->ui);
	}
	/* the lab's connectors: a second table; why one failed is said under it */
	for (size_t j = 0; j < res->n_connectors; j++) {
		const struct lab_converge_connector *k = &res->connectors[j];
		if (!j)
			printf("\n%-20s %-20s %s\n", "CONNECTOR", "SERVICE", "STATE");
		printf("%-20s %-20s %s\n", k->name, k->service, k->state);
	}
}

/* What failed, each failure once; then the services not started and
 * those no longer waited for, one line per reason:
 *   labctl: not started: app, web (dependency 'db' failed)
 *   labctl: stopped waiting for: kafka2 (service 'kafka1' failed); ... */
static void report_failures(const struct lab_converge_result *res)
{
	for (size_t j = 0; j < res->n_connectors; j++)
		if (res->connectors[j].message)
			fprintf(stderr, "labctl: %s\n", res->connectors[j].message);
	for (size_t i = 0; i < res->n_services; i++)
		if (res->services[i].outcome == LAB_CONVERGE_FAILED)
			fprintf(stderr, "labctl: %s\n", res->services[i].err.msg);
	static const struct {
		enum lab_converge_outcome outcome;
		const char *prefix; /* of its services' err messages, before the reason */
		const char *said;
		const char *after;
	} kinds[] = {
		{LAB_CONVERGE_NOT_STARTED, "not started: ", "not started", ""},
		{LAB_CONVERGE_ABANDONED, "stopped waiting: ", "stopped waiting for",
		 "; their containers were started, `labctl up` again waits for them"},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t plen = strlen(kinds[k].prefix);
		for (size_t i = 0; i < res->n_services; i++) {
			const struct lab_converge_service *s = &res->services[i];
			int seen = s->outcome != kinds[k].outcome;
			for (size_t j = 0; j < i && !seen; j++)
				seen = res->services[j].outcome == s->outcome && strcmp(res->services[j].err.msg, s->err.msg) == 0;
			if (seen)
				continue;
			/* the first with this reason lists every one with it */
			fprintf(stderr, "labctl: %s:", kinds[k].said);
			const char *sep = " ";
			for (size_t j = i; j < res->n_services; j++)
				if (res->services[j].outcome == s->outcome && strcmp(res->services[j].err.msg, s->err.msg) == 0) {
					fprintf(stderr, "%s%s", sep, res->services[j].name);
					sep = ", ";
				}
			const char *why = strncmp(s->err.msg, kinds[k].prefix, plen) == 0 ? s->err.msg + plen : s->err.msg;
			fprintf(stderr, " (%s)%s\n", why, kinds[k].after);
		}
	}
}

static int cmd_up(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_converge_result *res = NULL;
	struct lab_err err = {0};
	struct up_view view = {0};
	struct lab_state_lock *lock = NULL;
	char *builder = NULL; /* the job builder's build context */
	char *catalog = cmd_catalog_path();
	code = cmd_lab_arg(cmd, args, 1, &lab);
	if (code)
		goto out;
	const struct lab_strv *scales = cmd_opt_all(cmd, args, "scale");
	for (size_t i = 0; i < scales->n; i++)
		if (lab_scale(lab, scales->v[i], &err) < 0) {
			code = cmd_fail(&err);
			goto out;
		}
	const char *mode = cmd_opt(cmd, args, "endpoint-mode");
	if (mode && strcmp(mode, "dnsrr") != 0 && strcmp(mode, "vip") != 0) {
		fprintf(stderr, "labctl: --endpoint-mode '%s': expected dnsrr or vip\n", mode);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if (mode && !cmd_opt(cmd, args, "swarm") && !lab->swarm) {
		fprintf(stderr, "labctl: --endpoint-mode needs --swarm (or lab.swarm: true)\n");
		code = LAB_EXIT_USAGE;
		goto out;
	}
	code = cmd_lock_lab(lab->project, &lock);
	if (code)
		goto out;
	code = cmd_open_engine(&engine);
	if (code)
		goto out;

	/* a lab with C jobs: the job builder is built with the services'
	   images, not later by the first `labctl run` */
	for (size_t i = 0; i < lab->n_jobs && !builder; i++)
		builder = lab_jobs_builder_context(&lab->jobs[i]);
	struct lab_image_source builder_image = {.name = LAB_JOBS_BUILDER_IMAGE, .context = builder};
	struct lab_converge_opts opts = {
		.force_build = cmd_opt(cmd, args, "build") != NULL,
		.remove_orphans = cmd_opt(cmd, args, "remove-orphans") != NULL,
		.progress = render,
		.progress_ud = &view,
		.extra_images = builder ? &builder_image : NULL,
		.n_extra_images = builder ? 1 : 0,
		.swarm = cmd_opt(cmd, args, "swarm") != NULL,
		.swarm_dnsrr = mode && !strcmp(mode, "dnsrr"),
		.catalog = catalog,
		.offline = cmd_opt(cmd, args, "offline") != NULL,
	};
	view.wait = cmd_wait_view_new(cmd_global.tty_err);
	int rc = lab_converge(&res, lab, engine, &opts, &err);
	cmd_wait_view_free(view.wait);
	view.wait = NULL;
	if (!res) {
		code = cmd_fail(&err);
		goto out;
	}
	if (cmd_opt(cmd, args, "json"))
		print_json(res, lab->project);
	else
		print_table(res);
	if (rc < 0) {
		report_failures(res);
		int service_failed = 0;
		for (size_t i = 0; i < res->n_services; i++)
			service_failed |= res->services[i].err.code != 0;
		if (!service_failed) /* every service ready, then the datasets failed */
			fprintf(stderr, "labctl: %s\n", err.msg);
		/* an engine error is exit 3, else the operation failed: 1 */
		code = lab_err_exit_code(rc);
	} else if (!res->changes) {
		fprintf(stderr, "lab '%s' is up to date: nothing changed (%zu service%s)\n", lab->project,
			res->n_services, res->n_services == 1 ? "" : "s");
	} else {
		fprintf(stderr, "lab '%s' is up: %zu service%s ready%s in %.2fs\n", lab->project, res->n_services,
			res->n_services == 1 ? "" : "s", res->n_connectors ? ", connectors running" : "", res->seconds);
	}
out:
	free(catalog);
	free(builder);
	lab_converge_result_free(res);
	lab_engine_free(engine);
	lab_state_unlock(lock);
	lab_free(lab);
	return code;
}
