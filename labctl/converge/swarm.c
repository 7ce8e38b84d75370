/* up --swarm: the lab's services as Swarm services (converge.h, opts->swarm;
 * the spec's mapping in labctl/swarm/swarm.h). Engine API v1.41:
 * POST /networks/create {Driver: overlay, Attachable: true},
 * POST /services/create, POST /services/{id}/update?version=N,
 * GET /services/{id}, GET /tasks, GET /nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../plan/plan.h"
#include "../probe/probe.h"
#include "../s3/s3.h"
#include "../swarm/swarm.h"
#include "../util/parallel.h"
#include "internal.h"

#define SWARM_POLL_MS 250
#define DEFAULT_READY_TIMEOUT_MS 120000L

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(get(o, k));
	return s ? s : "";
}

static void note(struct cv *c, const char *text)
{
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_NOTE, .reason = text};
	converge_emit(c, &ev);
}

static int prepare_networks(struct cv *c, struct lab_err *err)
{
	cJSON *nets = NULL;
	int rc = lab_engine_networks(c->engine, NULL, &nets, err);
	for (size_t i = 0; rc == 0 && i < c->lab->n_networks; i++) {
		const struct lab_network *n = &c->lab->networks[i];
		char *name = lab_plan_network_name(c->lab, n);
		const cJSON *found = NULL, *x;
		cJSON_ArrayForEach(x, nets) if (!strcmp(str(x, "Name"), name)) found = x;
		if (found && strcmp(str(found, "Driver"), "overlay") != 0) {
			rc = lab_err_set(err, LAB_EINPUT,
					 "network '%s' is a '%s' network, not an overlay: Swarm services cannot join it%s",
					 name, str(found, "Driver"),
					 n->external_name ? "" : " (a lab brought up without --swarm: labctl down first)");
		} else if (!found && n->external_name) {
			rc = lab_err_set(err, LAB_ERR, "external network '%s' does not exist", name);
		} else if (!found) {
			cJSON *body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "Name", name);
			cJSON_AddStringToObject(body, "Driver", "overlay");
			cJSON_AddTrueToObject(body, "Attachable");
			cJSON_AddTrueToObject(body, "CheckDuplicate");
			cJSON_AddItemToObject(body, "Labels", lab_plan_resource_labels(c->lab, n->name, &n->labels, 1));
			char *id = NULL;
			rc = lab_engine_network_create(c->engine, body, &id, err);
			cJSON_Delete(body);
			free(id);
			if (rc == 0) {
				struct lab_converge_event ev = {.kind = LAB_CONVERGE_NETWORK_CREATED, .name = name};
				converge_emit(c, &ev);
			}
		}
		free(name);
	}
	cJSON_Delete(nets);
	return rc;
}

int converge_swarm_prepare(struct cv *c, struct lab_err *err)
{
	struct lab_swarm_info info;
	int rc = lab_swarm_need_manager(&info, c->engine, err);
	if (rc < 0) {
		lab_swarm_info_release(&info);
		return rc;
	}
	c->swarm_node = info.node_id;
	info.node_id = NULL;
	lab_swarm_info_release(&info);
	c->swarm_host = lab_swarm_mesh_host(c->engine);

	/* the lab as plain containers (up without --swarm): refused */
	cJSON *list = NULL;
	char *filter = lab_plan_container_filter(c->lab->project);
	rc = lab_engine_containers(c->engine, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	const cJSON *ct;
	int plain = 0;
	cJSON_ArrayForEach(ct, list) plain += get(get(ct, "Labels"), LAB_SWARM_LABEL_SERVICE_ID) == NULL;
	cJSON_Delete(list);
	if (plain)
		return lab_err_set(err, LAB_EINPUT,
				   "lab '%s' runs as plain containers (%d; up without --swarm): 'labctl down %s' first",
				   c->lab->project, plain, c->lab->project);

	if ((rc = prepare_networks(c, err)) < 0)
		return rc;
	for (size_t i = 0; i < c->lab->n_volumes; i++) {
		const struct lab_volume *v = &c->lab->volumes[i];
		if (v->external_name)
			continue;
		char *name = lab_plan_volume_name(c->lab, v);
		char *text = lab_xasprintf("volume '%s' is made by the node each task using it lands on and stays "
					   "there: a task placed on another node starts with an empty one "
					   "(deploy.placement.constraints keep a service on one node)",
					   name);
		note(c, text);
		free(text);
		free(name);
	}
	for (size_t i = 0; i < c->lab->n_services; i++)
		if (c->lab->services[i].n_ports) {
			note(c, "Swarm publishes ports on every interface of the nodes (ingress: of every node), "
				"not on 127.0.0.1 as plain containers do");
			break;
		}

	if ((rc = lab_swarm_services(&c->swarm_services, c->engine, c->lab->project, err)) < 0)
		return rc;
	const cJSON *s;
	cJSON_ArrayForEach(s, c->swarm_services)
	{
		const cJSON *spec = get(s, "Spec");
		const char *svc = str(get(spec, "Labels"), LAB_LABEL_SERVICE);
		if (*svc && lab_find_service(c->lab, svc))
			continue;
		if (c->opts->remove_orphans) {
			char *path = lab_xasprintf("/services/%s", str(s, "ID"));
			rc = lab_engine_request(c->engine, "DELETE", path, NULL, NULL, NULL, err);
			free(path);
			if (rc < 0 && rc != LAB_ENOTFOUND)
				return rc;
			rc = 0;
			struct lab_converge_event ev = {.kind = LAB_CONVERGE_CONTAINER_REMOVED,
							.service = *svc ? svc : NULL,
							.name = str(spec, "Name"),
							.reason = "orphan"};
			converge_emit(c, &ev);
		} else {
			struct lab_converge_event ev = {
				.kind = LAB_CONVERGE_ORPHAN_FOUND, .service = *svc ? svc : NULL, .name = str(spec, "Name")};
			converge_emit(c, &ev);
		}
	}
	return 0;
}

int converge_swarm_service(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	cJSON *spec = NULL, *resp = NULL;
	char *image = lab_plan_image_name(c->lab, r->svc);
	char *name = lab_swarm_service_name(c->lab, r->svc);
	char *path = NULL;
	int rc = lab_swarm_service_spec(&spec, c->lab, r->svc, image, r->completion_wanted, c->opts->swarm_dnsrr, err);
	if (rc < 0)
		goto out;
	char hash[65];
	lab_swarm_spec_hash(hash, spec, r->image_id);
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(spec, "Labels"), LAB_LABEL_HASH, hash);
	const cJSON *old = NULL, *s;
	cJSON_ArrayForEach(s, c->swarm_services) if (!strcmp(str(get(s, "Spec"), "Name"), name)) old = s;
	int n = r->svc->swarm.global ? 1 : r->svc->replicas;
	if (old && !strcmp(str(get(get(old, "Spec"), "Labels"), LAB_LABEL_HASH), hash)) {
		r->kept = n;
		r->swarm_id = lab_xstrdup(str(old, "ID"));
		goto out;
	}
	if (old) {
		/* the whole spec again, at the version read (Engine API v1.41
		   "Update a service": version is required) */
		path = lab_xasprintf("/services/%s/update?version=%.0f", str(old, "ID"),
				     cJSON_GetNumberValue(get(get(old, "Version"), "Index")));
		rc = lab_engine_json(e, "POST", path, spec, &resp, err);
		if (rc < 0)
			goto out;
		r->swarm_id = lab_xstrdup(str(old, "ID"));
		r->recreated = n;
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_CONTAINER_RECREATED,
						.service = r->svc->name,
						.name = name,
						.reason = "configuration changed: Swarm updates its tasks"};
		converge_emit(c, &ev);
		goto out;
	}
	rc = lab_engine_json(e, "POST", "/services/create", spec, &resp, err);
	if (rc < 0)
		goto out;
	r->swarm_id = lab_xstrdup(str(resp, "ID"));
	r->created = n;
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_CONTAINER_CREATED, .service = r->svc->name, .name = name};
	converge_emit(c, &ev);
out:
	cJSON_Delete(spec);
	cJSON_Delete(resp);
	free(path);
	free(image);
	free(name);
	return rc;
}

/* What the probes see of task t: its container inspected when it runs on
 * the engine's own node, else a stand-in {Id, State.Status "running"};
 * either way NetworkSettings.Ports gets every published port of the
 * service (svc: GET /services/{id}) where this host reaches it: ingress
 * at the engine's address, host mode at the node of the task. */
static cJSON *task_target(struct cv *c, struct lab_engine *e, const struct lab_swarm_task *t, const cJSON *svc)
{
	cJSON *in = NULL;
	struct lab_err ignore = {0};
	if (c->swarm_node && !strcmp(t->node_id, c->swarm_node) && *t->container_id &&
	    lab_engine_container_inspect(e, t->container_id, &in, &ignore) < 0)
		in = NULL;
	if (!in) {
		in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "Id", t->container_id);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "State"), "Status", "running");
	}
	cJSON *ns = cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings");
	if (!ns)
		ns = cJSON_AddObjectToObject(in, "NetworkSettings");
	cJSON *ports = cJSON_GetObjectItemCaseSensitive(ns, "Ports");
	if (!cJSON_IsObject(ports)) {
		cJSON_DeleteItemFromObjectCaseSensitive(ns, "Ports");
		ports = cJSON_AddObjectToObject(ns, "Ports");
	}
	lab_swarm_task_bindings(ports, svc, t->node_addr, c->swarm_host);
	return in;
}

/* One look at r's tasks. 1 ready (2 completed), 0 not yet (why), negative failed (why). */
static int swarm_check(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *why, char **failed_ctr)
{
	struct lab_swarm_task *tasks = NULL;
	size_t n = 0;
	cJSON *svc = NULL;
	int rc = lab_swarm_tasks(&tasks, &n, e, c->lab->project, 0, why);
	if (rc < 0)
		return rc;
	int want = r->svc->swarm.global ? 0 : r->svc->replicas;
	size_t mine = 0, running = 0, complete = 0;
	int result = 0;
	lab_strv_free(&r->ids);
	for (size_t i = 0; i < n; i++) {
		struct lab_swarm_task *t = &tasks[i];
		if (strcmp(t->service, r->svc->name) != 0)
			continue;
		if (!r->svc->swarm.global && (t->slot < 1 || t->slot > want))
			continue;
		if (r->svc->swarm.global && strcmp(t->desired, "running") != 0 && strcmp(t->state, "complete") != 0)
			continue;
		mine++;
		lab_strv_push(&r->ids, t->container_id);
		char who[160];
		if (t->slot)
			snprintf(who, sizeof(who), "task %d", t->slot);
		else
			snprintf(who, sizeof(who), "task");
		if (*t->node)
			snprintf(who + strlen(who), sizeof(who) - strlen(who), " on node '%s'", t->node);
		if (!strcmp(t->state, "running")) {
			running++;
		} else if (!strcmp(t->state, "complete")) {
			complete++;
		} else if (!strcmp(t->state, "failed") || !strcmp(t->state, "rejected")) {
			*failed_ctr = lab_xstrdup(t->container_id);
			result = lab_err_set(why, LAB_ERR, "%s %s: %s", who, t->state, t->message);
			goto out;
		} else if (!why->code) {
			lab_err_set(why, LAB_ERR, "%s is %s%s%s", who, t->state, *t->message ? ": " : "", t->message);
		}
	}
	if (r->svc->swarm.global)
		want = mine ? (int)mine : 1;
	if (mine < (size_t)want || running + complete < (size_t)want) {
		if (!why->code)
			lab_err_set(why, LAB_ERR, "%zu of %d tasks running", running, want);
		goto out;
	}
	if (r->completion_wanted) {
		if (complete < (size_t)want) {
			lab_err_set(why, LAB_ERR, "still running (waiting for it to complete)");
			goto out;
		}
		result = 2;
		goto out;
	}
	if (complete == (size_t)want && want > 0 && !lab_ready_has_probes(&r->svc->ready)) {
		result = 2;
		goto out;
	}
	/* every task runs (Swarm held each in "starting" until its
	   healthcheck passed): the lab's own probes, from this host */
	char *path = lab_xasprintf("/services/%s", r->swarm_id);
	rc = lab_engine_json(e, "GET", path, NULL, &svc, why);
	free(path);
	if (rc < 0) {
		result = rc;
		goto out;
	}
	int probes = lab_ready_has_probes(&r->svc->ready);
	int all = 1;
	for (size_t i = 0; i < n && all; i++) {
		struct lab_swarm_task *t = &tasks[i];
		if (strcmp(t->service, r->svc->name) != 0 || strcmp(t->state, "running") != 0 ||
		    (!r->svc->swarm.global && (t->slot < 1 || t->slot > want)))
			continue;
		cJSON *in = task_target(c, e, t, svc);
		if (probes) {
			struct lab_probe_target pt = {e, t->container_id, in, c->lab};
			struct lab_err pwhy = {0};
			int prc = lab_probe_run_all(&r->svc->ready, &pt, &pwhy);
			if (prc == LAB_EINPUT || prc == LAB_ENOLIB) {
				*why = pwhy;
				cJSON_Delete(in);
				result = prc;
				goto out;
			}
			if (prc < 0) {
				lab_err_set(why, LAB_ERR, "task %d on node '%s': %s", t->slot, t->node, pwhy.msg);
				all = 0;
			}
		}
		if (!r->swarm_in) {
			r->swarm_in = in;
			in = NULL;
		}
		cJSON_Delete(in);
	}
	if (all) {
		r->health_gated = !probes && r->svc->healthcheck.present && !r->svc->healthcheck.disable;
		result = 1;
	} else {
		cJSON_Delete(r->swarm_in);
		r->swarm_in = NULL;
	}
out:
	cJSON_Delete(svc);
	lab_swarm_tasks_free(tasks, n);
	return result;
}

/* swarm_check as a converge_poll_fn */
static int tasks_poll(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *why, char **logs_from)
{
	int rc = swarm_check(c, r, e, why, logs_from);
	if (rc > 0 && rc != 2 && r->svc->replicas == 0 && !r->svc->swarm.global)
		return CV_POLL_NONE;
	return rc > 0 ? (rc == 2 ? CV_POLL_COMPLETED : CV_POLL_READY) : rc;
}

enum svc_state converge_swarm_wait(struct cv *c, struct svc_run *r, struct lab_engine *e)
{
	return converge_wait(c, r, e, SWARM_POLL_MS, tasks_poll);
}

int converge_swarm_buckets(struct cv *c, struct svc_run *r, struct lab_err *err)
{
	if (!r->svc->buckets.n || r->svc->replicas == 0)
		return 0;
	if (!r->swarm_in)
		return lab_err_set(err, LAB_ERR, "service '%s': no running task to make its x-buckets through",
				   r->svc->name);
	return converge_make_buckets(c, r, r->swarm_in, err);
}

void converge_swarm_endpoint(struct svc_run *r)
{
	if (!r->swarm_in || !r->svc->n_ports)
		return;
	struct lab_probe_target t = {NULL, NULL, r->swarm_in, NULL};
	struct lab_err ignore = {0};
	char *host = NULL;
	int port = 0;
	if (lab_probe_address(&host, &port, &t, r->svc->ports[0].container_port, &ignore) == 0 && port)
		r->endpoint = lab_probe_hostport(host, port);
	free(host);
}
