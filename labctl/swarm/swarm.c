/* Swarm services of a lab: the spec, listing, tasks, removal (swarm.h). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../plan/plan.h"
#include "../util/buf.h"
#include "swarm.h"

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(get(o, k));
	return s ? s : "";
}

int lab_swarm_info(struct lab_swarm_info *out, struct lab_engine *e, struct lab_err *err)
{
	memset(out, 0, sizeof(*out));
	cJSON *info = NULL;
	int rc = lab_engine_json(e, "GET", "/info", NULL, &info, err);
	if (rc < 0)
		return rc;
	const cJSON *sw = get(info, "Swarm");
	snprintf(out->state, sizeof(out->state), "%s", *str(sw, "LocalNodeState") ? str(sw, "LocalNodeState") : "inactive");
	out->manager = cJSON_IsTrue(get(sw, "ControlAvailable"));
	if (*str(sw, "NodeID"))
		out->node_id = lab_xstrdup(str(sw, "NodeID"));
	if (*str(sw, "NodeAddr"))
		out->node_addr = lab_xstrdup(str(sw, "NodeAddr"));
	cJSON_Delete(info);
	return 0;
}

int lab_swarm_need_manager(struct lab_swarm_info *out, struct lab_engine *e, struct lab_err *err)
{
	int rc = lab_swarm_info(out, e, err);
	if (rc < 0)
		return rc;
	if (strcmp(out->state, "active") != 0)
		return lab_err_set(err, LAB_EINPUT,
				   "the engine at '%s' is not a Swarm manager (its swarm state is '%s'): run 'docker swarm "
				   "init' there, or set DOCKER_HOST to a manager",
				   lab_engine_host(e), out->state);
	if (!out->manager)
		return lab_err_set(err, LAB_EINPUT,
				   "the engine at '%s' is a Swarm worker, not a manager: set DOCKER_HOST to a manager of "
				   "its swarm",
				   lab_engine_host(e));
	return 0;
}

void lab_swarm_info_release(struct lab_swarm_info *info)
{
	if (!info)
		return;
	free(info->node_id);
	free(info->node_addr);
	info->node_id = info->node_addr = NULL;
}

char *lab_swarm_service_name(const struct lab *lab, const struct lab_service *svc)
{
	return lab_xasprintf("%s_%s", lab->project, svc->name);
}

/* ---- the spec ---- */

static void add_strv(cJSON *o, const char *key, const struct lab_strv *v)
{
	if (!v->n)
		return;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
}

/* "K=V" entries into object o (a K without '=' gets ""). */
static void add_kv(cJSON *o, const struct lab_strv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		char *k = eq ? lab_xstrndup(v->v[i], (size_t)(eq - v->v[i])) : lab_xstrdup(v->v[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddStringToObject(o, k, eq ? eq + 1 : "");
		free(k);
	}
}

static void add_ns(cJSON *o, const char *key, long ms)
{
	if (ms > 0)
		cJSON_AddNumberToObject(o, key, (double)ms * 1e6);
}

/* ServiceSpec.UpdateConfig / RollbackConfig (Engine API v1.41) from
 * deploy.update_config / rollback_config, when the file gives it. */
static void add_update_config(cJSON *spec, const char *key, const struct lab_swarm_update *u)
{
	if (!u->given)
		return;
	cJSON *o = cJSON_AddObjectToObject(spec, key);
	cJSON_AddNumberToObject(o, "Parallelism", u->parallelism ? u->parallelism : 1);
	add_ns(o, "Delay", u->delay_ms);
	add_ns(o, "Monitor", u->monitor_ms);
	if (u->max_failure_ratio > 0)
		cJSON_AddNumberToObject(o, "MaxFailureRatio", u->max_failure_ratio);
	if (u->order)
		cJSON_AddStringToObject(o, "Order", u->order);
	if (u->failure_action)
		cJSON_AddStringToObject(o, "FailureAction", u->failure_action);
}

static int refuse(const struct lab_service *svc, const char *key, struct lab_err *err)
{
	return lab_err_append(err, LAB_EINPUT, "%s:%d:%d: service '%s': '%s' has no Swarm equivalent (up --swarm)",
			      svc->mark.file, svc->mark.line, svc->mark.col, svc->name, key);
}

static void add_mounts(cJSON *cs, const struct lab *lab, const struct lab_service *svc)
{
	if (!svc->n_mounts && !svc->ctr.tmpfs.n)
		return;
	cJSON *ms = cJSON_AddArrayToObject(cs, "Mounts");
	for (size_t i = 0; i < svc->n_mounts; i++)
		cJSON_AddItemToArray(ms, lab_plan_mount(lab, &svc->mounts[i], 1));
	for (size_t i = 0; i < svc->ctr.tmpfs.n; i++) {
		char *path = lab_xstrdup(svc->ctr.tmpfs.v[i]);
		char *colon = strchr(path, ':');
		if (colon)
			*colon = 0;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Type", "tmpfs");
		cJSON_AddStringToObject(o, "Target", path);
		cJSON_AddItemToArray(ms, o);
		free(path);
	}
}

static void add_restart(cJSON *tt, const struct lab_service *svc, int one_shot)
{
	cJSON *rp = cJSON_AddObjectToObject(tt, "RestartPolicy");
	const char *r = svc->restart;
	const char *cond = "any";
	long attempts = 0;
	if (!r)
		cond = one_shot ? "none" : "any";
	else if (!strcmp(r, "no"))
		cond = "none";
	else if (!strncmp(r, "on-failure", 10)) {
		cond = "on-failure";
		if (r[10] == ':')
			attempts = atol(r + 11);
	}
	cJSON_AddStringToObject(rp, "Condition", cond);
	if (attempts > 0)
		cJSON_AddNumberToObject(rp, "MaxAttempts", (double)attempts);
	add_ns(rp, "Delay", svc->swarm.restart_delay_ms);
	add_ns(rp, "Window", svc->swarm.restart_window_ms);
}

int lab_swarm_service_spec(cJSON **out, const struct lab *lab, const struct lab_service *svc, const char *image,
			   int one_shot, int dnsrr, struct lab_err *err)
{
	*out = NULL;
	const struct lab_ctr_opts *o = &svc->ctr;
	int bad = 0;
	if (o->privileged)
		bad = refuse(svc, "privileged", err);
	if (o->devices.n)
		bad = refuse(svc, "devices", err);
	if (o->volumes_from.n)
		bad = refuse(svc, "volumes_from", err);
	if (o->ipc)
		bad = refuse(svc, "ipc", err);
	if (o->pid)
		bad = refuse(svc, "pid", err);
	if (bad)
		return LAB_EINPUT;

	cJSON *spec = cJSON_CreateObject();
	char *name = lab_swarm_service_name(lab, svc);
	cJSON_AddStringToObject(spec, "Name", name);
	free(name);
	cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
	add_kv(labels, &svc->swarm.labels);
	cJSON_AddStringToObject(labels, LAB_LABEL_LAB, lab->project);
	cJSON_AddStringToObject(labels, LAB_LABEL_SERVICE, svc->name);

	cJSON *tt = cJSON_AddObjectToObject(spec, "TaskTemplate");
	cJSON *cs = cJSON_AddObjectToObject(tt, "ContainerSpec");
	cJSON_AddStringToObject(cs, "Image", image);
	cJSON *cl = cJSON_AddObjectToObject(cs, "Labels");
	add_kv(cl, &svc->labels);
	cJSON_AddStringToObject(cl, LAB_LABEL_LAB, lab->project);
	cJSON_AddStringToObject(cl, LAB_LABEL_SERVICE, svc->name);
	if (svc->has_entrypoint)
		add_strv(cs, "Command", &svc->entrypoint);
	if (svc->has_command)
		add_strv(cs, "Args", &svc->command);
	if (svc->hostname)
		cJSON_AddStringToObject(cs, "Hostname", svc->hostname);
	add_strv(cs, "Env", &svc->environment);
	if (svc->working_dir)
		cJSON_AddStringToObject(cs, "Dir", svc->working_dir);
	if (svc->user)
		cJSON_AddStringToObject(cs, "User", svc->user);
	add_strv(cs, "Groups", &o->group_add);
	if (o->tty)
		cJSON_AddTrueToObject(cs, "TTY");
	if (o->stdin_open)
		cJSON_AddTrueToObject(cs, "OpenStdin");
	if (o->read_only)
		cJSON_AddTrueToObject(cs, "ReadOnly");
	if (o->has_init)
		cJSON_AddBoolToObject(cs, "Init", o->init);
	if (o->stop_signal)
		cJSON_AddStringToObject(cs, "StopSignal", o->stop_signal);
	if (o->has_stop_grace)
		cJSON_AddNumberToObject(cs, "StopGracePeriod", (double)o->stop_grace_s * 1e9);
	add_strv(cs, "CapabilityAdd", &o->cap_add);
	add_strv(cs, "CapabilityDrop", &o->cap_drop);
	if (o->sysctls.n)
		add_kv(cJSON_AddObjectToObject(cs, "Sysctls"), &o->sysctls);
	if (o->n_ulimits) {
		cJSON *ul = cJSON_AddArrayToObject(cs, "Ulimits");
		for (size_t i = 0; i < o->n_ulimits; i++) {
			cJSON *u = cJSON_CreateObject();
			cJSON_AddStringToObject(u, "Name", o->ulimits[i].name);
			cJSON_AddNumberToObject(u, "Soft", (double)o->ulimits[i].soft);
			cJSON_AddNumberToObject(u, "Hard", (double)o->ulimits[i].hard);
			cJSON_AddItemToArray(ul, u);
		}
	}
	if (o->extra_hosts.n) {
		/* ContainerSpec.Hosts: "IP NAME" lines, as in /etc/hosts */
		cJSON *h = cJSON_AddArrayToObject(cs, "Hosts");
		for (size_t i = 0; i < o->extra_hosts.n; i++) {
			const char *colon = strchr(o->extra_hosts.v[i], ':');
			if (!colon)
				continue;
			char *line = lab_xasprintf("%s %.*s", colon + 1, (int)(colon - o->extra_hosts.v[i]),
						   o->extra_hosts.v[i]);
			cJSON_AddItemToArray(h, cJSON_CreateString(line));
			free(line);
		}
	}
	if (o->dns.n || o->dns_search.n) {
		cJSON *d = cJSON_AddObjectToObject(cs, "DNSConfig");
		add_strv(d, "Nameservers", &o->dns);
		add_strv(d, "Search", &o->dns_search);
	}
	const struct lab_healthcheck *hc = &svc->healthcheck;
	if (hc->present) {
		cJSON *h = cJSON_AddObjectToObject(cs, "HealthCheck");
		if (hc->disable) {
			cJSON *t = cJSON_AddArrayToObject(h, "Test");
			cJSON_AddItemToArray(t, cJSON_CreateString("NONE"));
		} else {
			add_strv(h, "Test", &hc->test);
			add_ns(h, "Interval", hc->interval_ms);
			add_ns(h, "Timeout", hc->timeout_ms);
			add_ns(h, "StartPeriod", hc->start_period_ms);
			if (hc->retries)
				cJSON_AddNumberToObject(h, "Retries", hc->retries);
		}
	}
	add_mounts(cs, lab, svc);

	cJSON *res = cJSON_AddObjectToObject(tt, "Resources");
	cJSON *lim = cJSON_AddObjectToObject(res, "Limits");
	if (o->nano_cpus)
		cJSON_AddNumberToObject(lim, "NanoCPUs", (double)o->nano_cpus);
	if (o->memory)
		cJSON_AddNumberToObject(lim, "MemoryBytes", (double)o->memory);
	if (o->pids_limit)
		cJSON_AddNumberToObject(lim, "Pids", (double)o->pids_limit);
	cJSON *resv = cJSON_AddObjectToObject(res, "Reservations");
	if (svc->swarm.cpu_reservation)
		cJSON_AddNumberToObject(resv, "NanoCPUs", (double)svc->swarm.cpu_reservation);
	if (o->memory_reservation)
		cJSON_AddNumberToObject(resv, "MemoryBytes", (double)o->memory_reservation);
	add_restart(tt, svc, one_shot);

	cJSON *pl = cJSON_AddObjectToObject(tt, "Placement");
	add_strv(pl, "Constraints", &svc->swarm.constraints);
	if (svc->swarm.spread.n) {
		cJSON *pref = cJSON_AddArrayToObject(pl, "Preferences");
		for (size_t i = 0; i < svc->swarm.spread.n; i++) {
			cJSON *p = cJSON_CreateObject();
			cJSON *sp = cJSON_AddObjectToObject(p, "Spread");
			cJSON_AddStringToObject(sp, "SpreadDescriptor", svc->swarm.spread.v[i]);
			cJSON_AddItemToArray(pref, p);
		}
	}
	if (svc->swarm.max_per_node)
		cJSON_AddNumberToObject(pl, "MaxReplicas", svc->swarm.max_per_node);

	cJSON *nets = cJSON_AddArrayToObject(tt, "Networks");
	for (size_t i = 0; i < svc->networks.n || (i == 0 && !svc->networks.n); i++) {
		const char *key = svc->networks.n ? svc->networks.v[i] : "default";
		const struct lab_network *net = lab_plan_find_network(lab, key);
		if (!net)
			continue;
		cJSON *n = cJSON_CreateObject();
		char *nname = lab_plan_network_name(lab, net);
		cJSON_AddStringToObject(n, "Target", nname);
		free(nname);
		cJSON *al = cJSON_AddArrayToObject(n, "Aliases");
		cJSON_AddItemToArray(al, cJSON_CreateString(svc->name));
		lab_plan_add_aliases(al, svc, key);
		cJSON_AddItemToArray(nets, n);
	}

	cJSON *mode = cJSON_AddObjectToObject(spec, "Mode");
	if (svc->swarm.global)
		cJSON_AddObjectToObject(mode, "Global");
	else
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(mode, "Replicated"), "Replicas", svc->replicas);

	add_update_config(spec, "UpdateConfig", &svc->swarm.update);
	add_update_config(spec, "RollbackConfig", &svc->swarm.rollback);

	cJSON *ep = cJSON_AddObjectToObject(spec, "EndpointSpec");
	dnsrr |= svc->swarm.dnsrr;
	cJSON_AddStringToObject(ep, "Mode", dnsrr ? "dnsrr" : "vip");
	if (svc->n_ports) {
		cJSON *ps = cJSON_AddArrayToObject(ep, "Ports");
		for (size_t i = 0; i < svc->n_ports; i++) {
			const struct lab_port *p = &svc->ports[i];
			cJSON *po = cJSON_CreateObject();
			cJSON_AddStringToObject(po, "Protocol", p->protocol ? p->protocol : "tcp");
			cJSON_AddNumberToObject(po, "TargetPort", p->container_port);
			if (p->host_port)
				cJSON_AddNumberToObject(po, "PublishedPort", p->host_port);
			cJSON_AddStringToObject(po, "PublishMode", p->host_mode || dnsrr ? "host" : "ingress");
			cJSON_AddItemToArray(ps, po);
		}
	}
	*out = spec;
	return 0;
}

void lab_swarm_spec_hash(char out[65], const cJSON *spec, const char *image_id)
{
	char *text = cJSON_PrintUnformatted(spec);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, text, strlen(text));
	EVP_DigestUpdate(ctx, "\n", 1);
	if (image_id)
		EVP_DigestUpdate(ctx, image_id, strlen(image_id));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = 0;
	free(text);
}

/* ---- listing ---- */

/* GET path with filters={"KEY":[value]} (value escaped). */
static int get_filtered(cJSON **out, struct lab_engine *e, const char *base, const char *key, const char *value,
			struct lab_err *err)
{
	cJSON *f = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(f, key);
	cJSON_AddItemToArray(a, cJSON_CreateString(value));
	char *text = cJSON_PrintUnformatted(f);
	char *esc = lab_engine_escape(text);
	char *path = lab_xasprintf("%s?filters=%s", base, esc);
	int rc = lab_engine_json(e, "GET", path, NULL, out, err);
	free(path);
	free(esc);
	free(text);
	cJSON_Delete(f);
	return rc;
}

int lab_swarm_services(cJSON **out, struct lab_engine *e, const char *project, struct lab_err *err)
{
	char *label = lab_xasprintf("%s=%s", LAB_LABEL_LAB, project);
	int rc = get_filtered(out, e, "/services", "label", label, err);
	free(label);
	if (rc == 0 && !cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = cJSON_CreateArray();
	}
	return rc;
}

static void task_clear(struct lab_swarm_task *x)
{
	free(x->service);
	free(x->node);
	free(x->node_id);
	free(x->node_addr);
	free(x->state);
	free(x->desired);
	free(x->message);
	free(x->container_id);
	free(x->created);
	free(x->ports);
	memset(x, 0, sizeof(*x));
}

void lab_swarm_tasks_free(struct lab_swarm_task *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		task_clear(&t[i]);
	free(t);
}

static int by_task(const void *a, const void *b)
{
	const struct lab_swarm_task *x = a, *y = b;
	int c = strcmp(x->service, y->service);
	if (c)
		return c;
	if (x->slot != y->slot)
		return x->slot - y->slot;
	if (!x->slot && (c = strcmp(x->node_id, y->node_id)))
		return c;
	return strcmp(y->created, x->created); /* newest first (RFC 3339, same zone) */
}

static char *ports_text(const cJSON *svc)
{
	struct lab_buf b = LAB_BUF_INIT;
	const cJSON *p;
	cJSON_ArrayForEach(p, get(get(svc, "Endpoint"), "Ports"))
	{
		const cJSON *pub = get(p, "PublishedPort");
		if (!cJSON_IsNumber(pub))
			continue;
		lab_buf_printf(&b, "%s%d->%d/%s", b.len ? "," : "", (int)pub->valuedouble,
			       (int)cJSON_GetNumberValue(get(p, "TargetPort")), str(p, "PublishMode"));
	}
	return lab_buf_detach(&b);
}

/* The lab's services, the swarm's nodes and the services' tasks (one GET
 * /tasks with every service in its filter: the values OR; with
 * running_only, only those whose desired state is running). *tasks stays
 * NULL when the lab has no service. Returns 0 or the engine's error; the
 * caller deletes the three. */
static int fetch_tasks(cJSON **svcs, cJSON **nodes, cJSON **tasks, struct lab_engine *e, const char *project,
		       int running_only, struct lab_err *err)
{
	*svcs = *nodes = *tasks = NULL;
	int rc = lab_swarm_services(svcs, e, project, err);
	if (rc < 0 || !cJSON_GetArraySize(*svcs))
		return rc;
	if ((rc = lab_engine_json(e, "GET", "/nodes", NULL, nodes, err)) < 0)
		return rc;
	cJSON *f = cJSON_CreateObject();
	cJSON *a = cJSON_AddArrayToObject(f, "service");
	const cJSON *s;
	cJSON_ArrayForEach(s, *svcs) cJSON_AddItemToArray(a, cJSON_CreateString(str(s, "ID")));
	if (running_only)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(f, "desired-state"), cJSON_CreateString("running"));
	char *text = cJSON_PrintUnformatted(f);
	char *esc = lab_engine_escape(text);
	char *path = lab_xasprintf("/tasks?filters=%s", esc);
	rc = lab_engine_json(e, "GET", path, NULL, tasks, err);
	free(path);
	free(esc);
	free(text);
	cJSON_Delete(f);
	return rc;
}

int lab_swarm_tasks(struct lab_swarm_task **out, size_t *n, struct lab_engine *e, const char *project, int all,
		    struct lab_err *err)
{
	*out = NULL;
	*n = 0;
	cJSON *svcs = NULL, *tasks = NULL, *nodes = NULL;
	int rc = fetch_tasks(&svcs, &nodes, &tasks, e, project, 0, err);
	if (rc < 0 || !tasks)
		goto out;
	const cJSON *s;
	size_t cap = (size_t)cJSON_GetArraySize(tasks);
	struct lab_swarm_task *t = lab_xcalloc(cap ? cap : 1, sizeof(*t));
	size_t k = 0;
	const cJSON *task;
	cJSON_ArrayForEach(task, tasks)
	{
		const cJSON *svc = NULL;
		cJSON_ArrayForEach(s, svcs) if (!strcmp(str(s, "ID"), str(task, "ServiceID"))) svc = s;
		if (!svc)
			continue;
		const cJSON *node = NULL, *nd;
		cJSON_ArrayForEach(nd, nodes) if (!strcmp(str(nd, "ID"), str(task, "NodeID"))) node = nd;
		struct lab_swarm_task *x = &t[k++];
		const char *lsvc = str(get(get(svc, "Spec"), "Labels"), LAB_LABEL_SERVICE);
		x->service = lab_xstrdup(*lsvc ? lsvc : str(get(svc, "Spec"), "Name"));
		x->slot = (int)cJSON_GetNumberValue(get(task, "Slot"));
		if (x->slot < 0)
			x->slot = 0;
		const char *host = node ? str(get(node, "Description"), "Hostname") : "";
		x->node = lab_xstrdup(*host ? host : str(task, "NodeID"));
		x->node_id = lab_xstrdup(str(task, "NodeID"));
		x->node_addr = lab_xstrdup(node ? str(get(node, "Status"), "Addr") : "");
		const cJSON *st = get(task, "Status");
		x->state = lab_xstrdup(str(st, "State"));
		x->desired = lab_xstrdup(str(task, "DesiredState"));
		x->message = lab_xstrdup(*str(st, "Err") ? str(st, "Err") : str(st, "Message"));
		x->container_id = lab_xstrdup(str(get(st, "ContainerStatus"), "ContainerID"));
		x->created = lab_xstrdup(str(task, "CreatedAt"));
		x->ports = ports_text(svc);
		if (!x->ports)
			x->ports = lab_xstrdup("");
	}
	qsort(t, k, sizeof(*t), by_task);
	if (!all) {
		/* the newest of each slot (node, for a global service) only */
		size_t w = 0;
		for (size_t i = 0; i < k; i++) {
			if (w && !strcmp(t[w - 1].service, t[i].service) && t[w - 1].slot == t[i].slot &&
			    (t[i].slot || !strcmp(t[w - 1].node_id, t[i].node_id))) {
				task_clear(&t[i]);
				continue;
			}
			if (w != i)
				t[w] = t[i];
			w++;
		}
		k = w;
	}
	*out = t;
	*n = k;
out:
	cJSON_Delete(svcs);
	cJSON_Delete(tasks);
	cJSON_Delete(nodes);
	return rc;
}

int lab_swarm_remove(size_t *n_removed, struct lab_engine *e, const char *project, int timeout_s,
		     void (*on_removed)(const char *name, void *ud), void *ud, struct lab_err *err)
{
	*n_removed = 0;
	cJSON *svcs = NULL;
	int rc = lab_swarm_services(&svcs, e, project, err);
	if (rc < 0 || !cJSON_GetArraySize(svcs))
		goto out;
	const cJSON *s;
	cJSON_ArrayForEach(s, svcs)
	{
		char *path = lab_xasprintf("/services/%s", str(s, "ID"));
		rc = lab_engine_request(e, "DELETE", path, NULL, NULL, NULL, err);
		free(path);
		if (rc == LAB_ENOTFOUND)
			rc = 0;
		if (rc < 0)
			goto out;
		(*n_removed)++;
		if (on_removed)
			on_removed(str(get(s, "Spec"), "Name"), ud);
	}
	/* the tasks' containers go asynchronously: the lab's networks can be
	   removed only when no task is attached any more */
	char *filter = lab_plan_container_filter(project);
	struct timespec ts = {0, 200 * 1000000L};
	for (int i = 0; i < timeout_s * 5; i++) {
		cJSON *list = NULL;
		rc = lab_engine_containers(e, filter, &list, err);
		int left = 0;
		const cJSON *c;
		cJSON_ArrayForEach(c, list) left += get(get(c, "Labels"), LAB_SWARM_LABEL_SERVICE_ID) != NULL;
		cJSON_Delete(list);
		if (rc < 0 || !left)
			break;
		nanosleep(&ts, NULL);
		if (i + 1 == timeout_s * 5)
			rc = lab_err_set(err, LAB_ETIMEOUT, "the tasks of lab '%s' were still there %ds after its services "
				"were removed", project, timeout_s);
	}
	free(filter);
out:
	cJSON_Delete(svcs);
	return rc;
}

/* ---- where the host reaches a task ---- */

char *lab_swarm_mesh_host(struct lab_engine *e)
{
	const char *h = lab_engine_host(e);
	if (strncmp(h, "tcp://", 6) != 0)
		return lab_xstrdup("127.0.0.1");
	h += 6;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		return end ? lab_xstrndup(h + 1, (size_t)(end - h - 1)) : lab_xstrdup(h);
	}
	const char *colon = strchr(h, ':');
	return colon ? lab_xstrndup(h, (size_t)(colon - h)) : lab_xstrdup(h);
}

void lab_swarm_task_bindings(cJSON *ports, const cJSON *svc, const char *node_addr, const char *mesh)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, get(get(svc, "Endpoint"), "Ports"))
	{
		const cJSON *pub = get(p, "PublishedPort");
		if (!cJSON_IsNumber(pub))
			continue;
		char key[32], hp[16];
		snprintf(key, sizeof(key), "%d/%s", (int)cJSON_GetNumberValue(get(p, "TargetPort")),
			 *str(p, "Protocol") ? str(p, "Protocol") : "tcp");
		snprintf(hp, sizeof(hp), "%d", (int)pub->valuedouble);
		int host_mode = !strcmp(str(p, "PublishMode"), "host");
		const char *ip = host_mode && node_addr && *node_addr ? node_addr : mesh;
		cJSON_DeleteItemFromObjectCaseSensitive(ports, key);
		cJSON *arr = cJSON_AddArrayToObject(ports, key);
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "HostIp", ip);
		cJSON_AddStringToObject(b, "HostPort", hp);
		cJSON_AddItemToArray(arr, b);
	}
}

int lab_swarm_task_endpoints(cJSON *containers, struct lab_engine *e, const char *project, struct lab_err *err)
{
	struct lab_swarm_info info;
	struct lab_err ignore = {0};
	/* an engine that says nothing of Swarm (Podman, an old one) has none */
	if (lab_swarm_info(&info, e, &ignore) < 0 || strcmp(info.state, "active") != 0 || !info.manager) {
		lab_swarm_info_release(&info);
		return 0;
	}
	lab_swarm_info_release(&info);
	cJSON *svcs = NULL, *tasks = NULL, *nodes = NULL;
	int rc = fetch_tasks(&svcs, &nodes, &tasks, e, project, 1, err);
	if (rc < 0 || !tasks)
		goto out;
	char *mesh = lab_swarm_mesh_host(e);
	const cJSON *task;
	cJSON_ArrayForEach(task, tasks)
	{
		const cJSON *svc = NULL, *s, *node = NULL, *nd;
		cJSON_ArrayForEach(s, svcs) if (!strcmp(str(s, "ID"), str(task, "ServiceID"))) svc = s;
		const cJSON *st = get(task, "Status");
		if (!svc || strcmp(str(st, "State"), "running") != 0)
			continue;
		const char *lsvc = str(get(get(svc, "Spec"), "Labels"), LAB_LABEL_SERVICE);
		if (!*lsvc)
			continue;
		cJSON_ArrayForEach(nd, nodes) if (!strcmp(str(nd, "ID"), str(task, "NodeID"))) node = nd;
		const char *cid = str(get(st, "ContainerStatus"), "ContainerID");
		cJSON *c = NULL, *x;
		cJSON_ArrayForEach(x, containers) if (*cid && !strcmp(str(x, "Id"), cid)) c = x;
		if (!c) {
			/* a task on another node: what the manager knows of it */
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "Id", cid);
			char *name = lab_xasprintf("/%s.%d.%s", str(get(svc, "Spec"), "Name"),
						   (int)cJSON_GetNumberValue(get(task, "Slot")), str(task, "ID"));
			cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "Names"), cJSON_CreateString(name));
			free(name);
			cJSON *labels = cJSON_AddObjectToObject(c, "Labels");
			char slot[16];
			snprintf(slot, sizeof(slot), "%d",
				 cJSON_GetNumberValue(get(task, "Slot")) > 0 ? (int)cJSON_GetNumberValue(get(task, "Slot")) : 1);
			cJSON_AddStringToObject(labels, LAB_LABEL_LAB, project);
			cJSON_AddStringToObject(labels, LAB_LABEL_SERVICE, lsvc);
			cJSON_AddStringToObject(labels, LAB_LABEL_REPLICA, slot);
			cJSON_AddStringToObject(labels, LAB_SWARM_LABEL_SERVICE_ID, str(svc, "ID"));
			cJSON_AddStringToObject(labels, "com.docker.swarm.node.id", str(task, "NodeID"));
			cJSON_AddStringToObject(c, "State", "running");
			cJSON_AddItemToArray(containers, c);
		}
		cJSON *ns = cJSON_GetObjectItemCaseSensitive(c, "NetworkSettings");
		if (!ns)
			ns = cJSON_AddObjectToObject(c, "NetworkSettings");
		cJSON *ports = cJSON_GetObjectItemCaseSensitive(ns, "Ports");
		if (!cJSON_IsObject(ports)) {
			cJSON_DeleteItemFromObjectCaseSensitive(ns, "Ports");
			ports = cJSON_AddObjectToObject(ns, "Ports");
		}
		lab_swarm_task_bindings(ports, svc, node ? str(get(node, "Status"), "Addr") : "", mesh);
	}
	free(mesh);
out:
	cJSON_Delete(svcs);
	cJSON_Delete(tasks);
	cJSON_Delete(nodes);
	return rc;
}

/* ---- the lab's volumes on the other nodes (down --volumes) ---- */

#define SWEEP_ROLE "volume-sweep"

/* Run by perl (perl-base: in every Debian- and Ubuntu-based image) in the
 * sweep task, as root, with the node's engine socket: for each volume
 * named in @ARGV after the project, GET /volumes/NAME, and when it
 * carries io.labctl.lab=<project>, DELETE it (again every second for up
 * to 60 s while the engine says 409: a container of a task just removed
 * still uses it). One line per volume: "removed NAME", "absent NAME",
 * "kept NAME: why" or "error NAME: status message"; exit 1 after an error. */
static const char sweep_script[] =
	"use IO::Socket::UNIX; $| = 1; my ($lab, @vols) = @ARGV; my $bad = 0;\n"
	"sub req { my ($m, $p) = @_;\n"
	"  my $s = IO::Socket::UNIX->new(Peer => '/var/run/docker.sock') or die \"error /var/run/docker.sock: $!\\n\";\n"
	"  print $s \"$m $p HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n\"; local $/; my $r = <$s>; close $s;\n"
	"  my ($c) = $r =~ m{^HTTP/\\S+ (\\d+)}; my ($b) = $r =~ m{\\r\\n\\r\\n(.*)}s; return ($c // 0, $b // '') }\n"
	"for my $v (@vols) { my ($c, $b);\n"
	"  for my $try (1 .. 60) { ($c, $b) = req('GET', \"/volumes/$v\"); last if $c == 404;\n"
	"    if ($c != 200 || $b !~ /\"io\\.labctl\\.lab\":\"\\Q$lab\\E\"/) { $c = -1; last }\n"
	"    ($c, $b) = req('DELETE', \"/volumes/$v\"); last unless $c == 409; sleep 1 }\n"
	"  if ($c == 204) { print \"removed $v\\n\" } elsif ($c == 404) { print \"absent $v\\n\" }\n"
	"  elsif ($c == -1) { print \"kept $v: not labelled io.labctl.lab=$lab\\n\" }\n"
	"  else { $b =~ s/\\s+$//; print \"error $v: $c $b\\n\"; $bad = 1 } }\n"
	"exit $bad;\n";

void lab_swarm_sweep_free(struct lab_swarm_sweep *sw)
{
	for (size_t i = 0; i < sw->n; i++) {
		free(sw->nodes[i].node_id);
		free(sw->nodes[i].node);
		free(sw->nodes[i].image);
	}
	free(sw->nodes);
	lab_strv_free(&sw->volumes);
	lab_strv_free(&sw->kept);
	memset(sw, 0, sizeof(*sw));
}

/* Add volume (a non-empty name) to sw unless it is there already. */
static void sweep_add_volume(struct lab_swarm_sweep *sw, const char *volume)
{
	if (*volume && lab_strv_find(&sw->volumes, volume) < 0)
		lab_strv_push(&sw->volumes, volume);
}

/* Add node node_id (its name node, an image it has) to sw unless it is
 * there already. */
static void sweep_add_node(struct lab_swarm_sweep *sw, const char *node_id, const char *node, const char *image)
{
	for (size_t k = 0; k < sw->n; k++)
		if (!strcmp(sw->nodes[k].node_id, node_id))
			return;
	sw->nodes = lab_xrealloc(sw->nodes, (sw->n + 1) * sizeof(*sw->nodes));
	sw->nodes[sw->n].node_id = lab_xstrdup(node_id);
	sw->nodes[sw->n].node = lab_xstrdup(node);
	sw->nodes[sw->n].image = lab_xstrdup(image);
	sw->n++;
}

int lab_swarm_sweep_plan(struct lab_swarm_sweep *out, struct lab_engine *e, const char *project, const char *self,
			 struct lab_err *err)
{
	memset(out, 0, sizeof(*out));
	cJSON *svcs = NULL;
	struct lab_swarm_task *t = NULL;
	size_t n = 0;
	int rc = lab_swarm_services(&svcs, e, project, err);
	if (rc < 0 || !cJSON_GetArraySize(svcs))
		goto out;
	const cJSON *s, *m;
	cJSON_ArrayForEach(s, svcs)
	{
		if (!strcmp(str(get(get(s, "Spec"), "Labels"), "io.labctl.role"), SWEEP_ROLE))
			continue;
		cJSON_ArrayForEach(m, get(get(get(get(s, "Spec"), "TaskTemplate"), "ContainerSpec"), "Mounts"))
		{
			if (!strcmp(str(m, "Type"), "volume"))
				sweep_add_volume(out, str(m, "Source"));
		}
	}
	if (!out->volumes.n)
		goto out;
	if ((rc = lab_swarm_tasks(&t, &n, e, project, 1, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* a task that got a container: its node has the task's image */
		if (!*t[i].node_id || !*t[i].container_id || (self && !strcmp(t[i].node_id, self)))
			continue;
		const char *image = NULL;
		cJSON_ArrayForEach(s, svcs) if (!strcmp(str(get(get(s, "Spec"), "Labels"), LAB_LABEL_SERVICE), t[i].service))
			image = str(get(get(get(s, "Spec"), "TaskTemplate"), "ContainerSpec"), "Image");
		if (image && *image)
			sweep_add_node(out, t[i].node_id, t[i].node, image);
	}
out:
	lab_swarm_tasks_free(t, n);
	cJSON_Delete(svcs);
	return rc;
}

/* A config's Data is base64 and must not be empty; what it says is in its
 * labels: base64 of "labctl: where a down --volumes sweeps this lab's volumes\n" */
#define SWEEP_DATA "bGFiY3RsOiB3aGVyZSBhIGRvd24gLS12b2x1bWVzIHN3ZWVwcyB0aGlzIGxhYidzIHZvbHVtZXMK"

/* The lab's configs of role volume-sweep (GET /configs, Engine API v1.41). */
static int kept_configs(cJSON **out, struct lab_engine *e, const char *project, struct lab_err *err)
{
	char *label = lab_xasprintf("%s=%s", LAB_LABEL_LAB, project);
	cJSON *all = NULL;
	int rc = get_filtered(&all, e, "/configs", "label", label, err);
	free(label);
	*out = cJSON_CreateArray();
	const cJSON *c;
	cJSON_ArrayForEach(c, all) if (!strcmp(str(get(get(c, "Spec"), "Labels"), "io.labctl.role"), SWEEP_ROLE))
		cJSON_AddItemToArray(*out, cJSON_Duplicate(c, 1));
	cJSON_Delete(all);
	return rc;
}

int lab_swarm_sweep_keep(const struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project,
			 struct lab_err *err)
{
	struct lab_buf vols = LAB_BUF_INIT;
	for (size_t k = 0; k < sw->volumes.n; k++)
		lab_buf_printf(&vols, "%s%s", k ? " " : "", sw->volumes.v[k]);
	int rc = 0;
	for (size_t i = 0; i < sw->n && rc == 0; i++) {
		char *name = lab_xasprintf("%s_volume-sweep-%.12s", project, sw->nodes[i].node_id);
		char *path = lab_xasprintf("/configs/%s", name);
		struct lab_err gone = {0};
		lab_engine_json(e, "DELETE", path, NULL, NULL, &gone); /* an older one of this node */
		cJSON *spec = cJSON_CreateObject();
		cJSON_AddStringToObject(spec, "Name", name);
		cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
		cJSON_AddStringToObject(labels, LAB_LABEL_LAB, project);
		cJSON_AddStringToObject(labels, "io.labctl.role", SWEEP_ROLE);
		cJSON_AddStringToObject(labels, "io.labctl.node-id", sw->nodes[i].node_id);
		cJSON_AddStringToObject(labels, "io.labctl.node", sw->nodes[i].node);
		cJSON_AddStringToObject(labels, "io.labctl.image", sw->nodes[i].image);
		cJSON_AddStringToObject(labels, "io.labctl.volumes", lab_buf_cstr(&vols));
		cJSON_AddStringToObject(spec, "Data", SWEEP_DATA);
		rc = lab_engine_json(e, "POST", "/configs/create", spec, NULL, err);
		cJSON_Delete(spec);
		free(path);
		free(name);
	}
	lab_buf_release(&vols);
	return rc;
}

int lab_swarm_sweep_kept(struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project, const char *self,
			 struct lab_err *err)
{
	cJSON *kept = NULL;
	int rc = kept_configs(&kept, e, project, err);
	const cJSON *c;
	cJSON_ArrayForEach(c, kept)
	{
		lab_strv_push(&sw->kept, str(c, "ID"));
		const cJSON *l = get(get(c, "Spec"), "Labels");
		const char *id = str(l, "io.labctl.node-id"), *image = str(l, "io.labctl.image");
		if (!*id || !*image || (self && !strcmp(id, self)))
			continue;
		char *vols = lab_xstrdup(str(l, "io.labctl.volumes")), *save = NULL;
		for (char *v = strtok_r(vols, " ", &save); v; v = strtok_r(NULL, " ", &save))
			sweep_add_volume(sw, v);
		free(vols);
		sweep_add_node(sw, id, *str(l, "io.labctl.node") ? str(l, "io.labctl.node") : id, image);
	}
	cJSON_Delete(kept);
	return rc;
}

int lab_swarm_sweep_forget(const struct lab_swarm_sweep *sw, struct lab_engine *e, struct lab_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < sw->kept.n; i++) {
		char *path = lab_xasprintf("/configs/%s", sw->kept.v[i]);
		int r = lab_engine_json(e, "DELETE", path, NULL, NULL, err);
		if (r < 0 && r != LAB_ENOTFOUND && rc == 0)
			rc = r;
		free(path);
	}
	return rc;
}

static int sweep_log(int stream, const char *data, size_t len, void *ud)
{
	lab_buf_append(ud, data, len);
	return 0;
}

int lab_swarm_sweep_run(const struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project, int timeout_s,
			void (*on_removed)(const char *node, const char *volume, void *ud), void *ud, size_t *n_removed,
			struct lab_err *err)
{
	*n_removed = 0;
	if (!sw->n || !sw->volumes.n)
		return 0;
	char **ids = lab_xcalloc(sw->n, sizeof(char *));
	int rc = 0;
	size_t made = 0;
	for (size_t i = 0; i < sw->n && rc == 0; i++) {
		cJSON *spec = cJSON_CreateObject(), *resp = NULL;
		char *name = lab_xasprintf("%s_volume-sweep-%.12s", project, sw->nodes[i].node_id);
		cJSON_AddStringToObject(spec, "Name", name);
		cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
		cJSON_AddStringToObject(labels, LAB_LABEL_LAB, project);
		cJSON_AddStringToObject(labels, "io.labctl.role", SWEEP_ROLE);
		cJSON *tt = cJSON_AddObjectToObject(spec, "TaskTemplate");
		cJSON *cs = cJSON_AddObjectToObject(tt, "ContainerSpec");
		cJSON_AddStringToObject(cs, "Image", sw->nodes[i].image);
		cJSON_AddStringToObject(cs, "User", "0");
		cJSON *cmd = cJSON_AddArrayToObject(cs, "Command");
		cJSON_AddItemToArray(cmd, cJSON_CreateString("perl"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("-e"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(sweep_script));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(project));
		for (size_t k = 0; k < sw->volumes.n; k++)
			cJSON_AddItemToArray(cmd, cJSON_CreateString(sw->volumes.v[k]));
		cJSON *mount = cJSON_CreateObject();
		cJSON_AddStringToObject(mount, "Type", "bind");
		cJSON_AddStringToObject(mount, "Source", "/var/run/docker.sock");
		cJSON_AddStringToObject(mount, "Target", "/var/run/docker.sock");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cs, "Mounts"), mount);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(tt, "RestartPolicy"), "Condition", "none");
		char *constraint = lab_xasprintf("node.id==%s", sw->nodes[i].node_id);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(tt, "Placement"), "Constraints"),
				     cJSON_CreateString(constraint));
		free(constraint);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "Mode"), "Replicated"),
					"Replicas", 1);
		rc = lab_engine_json(e, "POST", "/services/create", spec, &resp, err);
		if (rc == 0)
			ids[made++] = lab_xstrdup(str(resp, "ID"));
		cJSON_Delete(spec);
		cJSON_Delete(resp);
		free(name);
	}
	/* each node's task done (complete, failed or rejected), or the time up */
	int *done = lab_xcalloc(sw->n, sizeof(int));
	char **why = lab_xcalloc(sw->n, sizeof(char *));
	struct timespec ts = {0, 250 * 1000000L};
	for (int round = 0; rc == 0 && round < timeout_s * 4; round++) {
		size_t left = 0;
		for (size_t i = 0; i < made && rc == 0; i++) {
			if (done[i])
				continue;
			cJSON *tasks = NULL;
			char *f = lab_xasprintf("{\"service\":[\"%s\"]}", ids[i]);
			char *esc = lab_engine_escape(f);
			char *path = lab_xasprintf("/tasks?filters=%s", esc);
			rc = lab_engine_json(e, "GET", path, NULL, &tasks, err);
			free(path);
			free(esc);
			free(f);
			const cJSON *task;
			cJSON_ArrayForEach(task, tasks)
			{
				const cJSON *st = get(task, "Status");
				const char *state = str(st, "State");
				if (!strcmp(state, "complete"))
					done[i] = 1;
				else if (!strcmp(state, "failed") || !strcmp(state, "rejected")) {
					done[i] = -1;
					free(why[i]);
					why[i] = lab_xasprintf("task %s: %s", state,
							       *str(st, "Err") ? str(st, "Err") : str(st, "Message"));
				} else {
					free(why[i]);
					why[i] = lab_xasprintf("task %s%s%s", state, *str(st, "Message") ? ": " : "",
							       str(st, "Message"));
				}
			}
			cJSON_Delete(tasks);
			left += !done[i];
		}
		if (!left)
			break;
		nanosleep(&ts, NULL);
	}
	/* what each did, from its log (the manager gathers it from the node) */
	struct lab_buf bad = LAB_BUF_INIT;
	for (size_t i = 0; i < made; i++) {
		struct lab_buf log = LAB_BUF_INIT;
		struct lab_err ignore = {0};
		if (done[i])
			lab_engine_service_logs(e, ids[i], sweep_log, &log, &ignore);
		char *save = NULL;
		for (char *line = strtok_r(log.data ? log.data : (char *)"", "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, "removed ", 8)) {
				(*n_removed)++;
				if (on_removed)
					on_removed(sw->nodes[i].node, line + 8, ud);
			} else if (strncmp(line, "absent ", 7) != 0) {
				lab_buf_printf(&bad, "\n  node '%s': %s", sw->nodes[i].node, line);
			}
		}
		if (done[i] <= 0)
			lab_buf_printf(&bad, "\n  node '%s': %s", sw->nodes[i].node,
				       done[i] < 0 ? why[i] : why[i] ? why[i] : "no task yet");
		if (done[i] <= 0 && !done[i])
			lab_buf_printf(&bad, " (after %ds)", timeout_s);
		lab_buf_release(&log);
		char *path = lab_xasprintf("/services/%s", ids[i]);
		struct lab_err derr = {0};
		int drc = lab_engine_request(e, "DELETE", path, NULL, NULL, NULL, &derr);
		free(path);
		if (rc == 0 && drc < 0 && drc != LAB_ENOTFOUND) {
			*err = derr;
			rc = drc;
		}
	}
	if (rc == 0 && bad.len)
		rc = lab_err_set(err, LAB_ERR,
				 "the lab's volumes could not all be removed on the other nodes (a one-shot task per node "
				 "runs perl from the image that ran there, with the node's /var/run/docker.sock):%s",
				 lab_buf_cstr(&bad));
	lab_buf_release(&bad);
	for (size_t i = 0; i < sw->n; i++) {
		free(ids[i]);
		free(why[i]);
	}
	free(ids);
	free(why);
	free(done);
	return rc;
}
