/* labctl config: the resolved model (config.h). */
#include "config.h"
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../plan/plan.h"

char *lab_config_duration(long ms)
{
	if (ms == 0)
		return lab_xstrdup("0s");
	if (ms < 1000)
		return lab_xasprintf("%ldms", ms);
	struct lab_buf b = LAB_BUF_INIT;
	long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
	if (h)
		lab_buf_printf(&b, "%ldh", h);
	if (h || m)
		lab_buf_printf(&b, "%ldm", m);
	lab_buf_printf(&b, "%ld", s);
	if (frac) {
		char f[8];
		snprintf(f, sizeof(f), "%03ld", frac);
		for (int i = 2; i > 0 && f[i] == '0'; i--)
			f[i] = '\0';
		lab_buf_printf(&b, ".%s", f);
	}
	lab_buf_puts(&b, "s");
	return lab_buf_detach(&b);
}

static void put_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

static void put_dur(cJSON *o, const char *key, long ms)
{
	char *d = lab_config_duration(ms);
	cJSON_AddStringToObject(o, key, d);
	free(d);
}

static void put_bytes(cJSON *o, const char *key, long long v)
{
	if (!v)
		return;
	char s[32];
	snprintf(s, sizeof(s), "%lld", v);
	cJSON_AddStringToObject(o, key, s);
}

static void put_list(cJSON *o, const char *key, const struct lab_strv *sv)
{
	if (!sv->n)
		return;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
}

/* "K=V" / "K" entries as a map (K without '=': null). */
static void put_kv(cJSON *o, const char *key, const struct lab_strv *sv)
{
	if (!sv->n)
		return;
	cJSON *m = cJSON_AddObjectToObject(o, key);
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		char *k = lab_xstrndup(sv->v[i], eq ? (size_t)(eq - sv->v[i]) : strlen(sv->v[i]));
		cJSON_DeleteItemFromObjectCaseSensitive(m, k); /* the later one wins */
		cJSON_AddItemToObject(m, k, eq ? cJSON_CreateString(eq + 1) : cJSON_CreateNull());
		free(k);
	}
}

static void put_build(cJSON *svc, const struct lab_service *s)
{
	if (!s->has_build)
		return;
	cJSON *b = cJSON_AddObjectToObject(svc, "build");
	put_str(b, "context", s->build_context);
	put_str(b, "dockerfile", s->build_dockerfile ? s->build_dockerfile : "Dockerfile");
	put_kv(b, "args", &s->build_args);
	put_kv(b, "labels", &s->ctr.build_labels);
	put_str(b, "target", s->build_target);
}

static void put_ports(cJSON *svc, const struct lab_service *s)
{
	if (!s->n_ports)
		return;
	cJSON *a = cJSON_AddArrayToObject(svc, "ports");
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct lab_port *p = &s->ports[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "mode", "ingress");
		put_str(o, "host_ip", p->host_ip);
		cJSON_AddNumberToObject(o, "target", p->container_port);
		if (p->host_port) {
			char n[16];
			snprintf(n, sizeof(n), "%d", p->host_port);
			cJSON_AddStringToObject(o, "published", n);
		}
		put_str(o, "protocol", p->protocol ? p->protocol : "tcp");
		cJSON_AddItemToArray(a, o);
	}
}

static void put_volumes(cJSON *svc, const struct lab_service *s)
{
	if (!s->n_mounts)
		return;
	cJSON *a = cJSON_AddArrayToObject(svc, "volumes");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct lab_mount *m = &s->mounts[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", m->type == LAB_MOUNT_BIND ? "bind" : "volume");
		put_str(o, "source", m->source);
		put_str(o, "target", m->target);
		if (m->read_only)
			cJSON_AddTrueToObject(o, "read_only");
		cJSON_AddItemToArray(a, o);
	}
}

static void put_networks(cJSON *svc, const struct lab_service *s)
{
	cJSON *o = cJSON_AddObjectToObject(svc, "networks");
	const struct lab_strv *nets = &s->networks;
	size_t n = nets->n ? nets->n : 1;
	for (size_t i = 0; i < n; i++) {
		const char *net = nets->n ? nets->v[i] : "default";
		cJSON *aliases = NULL;
		size_t len = strlen(net);
		for (size_t j = 0; j < s->ctr.net_aliases.n; j++) {
			const char *a = s->ctr.net_aliases.v[j];
			if (strncmp(a, net, len) || a[len] != '=')
				continue;
			if (!aliases)
				aliases = cJSON_CreateArray();
			cJSON_AddItemToArray(aliases, cJSON_CreateString(a + len + 1));
		}
		if (aliases) {
			cJSON *e = cJSON_AddObjectToObject(o, net);
			cJSON_AddItemToObject(e, "aliases", aliases);
		} else {
			cJSON_AddNullToObject(o, net);
		}
	}
}

static void put_deps(cJSON *svc, const struct lab_service *s)
{
	if (!s->n_deps)
		return;
	static const char *const cond[] = {"service_started", "service_healthy", "service_completed_successfully"};
	cJSON *o = cJSON_AddObjectToObject(svc, "depends_on");
	for (size_t i = 0; i < s->n_deps; i++) {
		const struct lab_dep *d = &s->deps[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "condition", cond[d->condition]);
		if (d->restart)
			cJSON_AddTrueToObject(e, "restart");
		cJSON_AddBoolToObject(e, "required", !d->optional);
		cJSON_DeleteItemFromObjectCaseSensitive(o, d->service);
		cJSON_AddItemToObject(o, d->service, e);
	}
}

static void put_healthcheck(cJSON *svc, const struct lab_healthcheck *h)
{
	if (!h->present)
		return;
	cJSON *o = cJSON_AddObjectToObject(svc, "healthcheck");
	if (h->disable) {
		cJSON_AddTrueToObject(o, "disable");
		return;
	}
	put_list(o, "test", &h->test);
	if (h->interval_ms)
		put_dur(o, "interval", h->interval_ms);
	if (h->timeout_ms)
		put_dur(o, "timeout", h->timeout_ms);
	if (h->start_period_ms)
		put_dur(o, "start_period", h->start_period_ms);
	if (h->retries)
		cJSON_AddNumberToObject(o, "retries", h->retries);
}

static void put_ctr(cJSON *svc, const struct lab_ctr_opts *c)
{
	put_bytes(svc, "mem_limit", c->memory);
	put_bytes(svc, "mem_reservation", c->memory_reservation);
	if (c->nano_cpus)
		cJSON_AddNumberToObject(svc, "cpus", (double)c->nano_cpus / 1e9);
	if (c->pids_limit)
		cJSON_AddNumberToObject(svc, "pids_limit", (double)c->pids_limit);
	put_bytes(svc, "shm_size", c->shm_size);
	put_list(svc, "tmpfs", &c->tmpfs);
	if (c->extra_hosts.n) { /* compose-go writes HOST=IP */
		cJSON *a = cJSON_AddArrayToObject(svc, "extra_hosts");
		for (size_t i = 0; i < c->extra_hosts.n; i++) {
			char *e = lab_xstrdup(c->extra_hosts.v[i]);
			char *colon = strchr(e, ':');
			if (colon)
				*colon = '=';
			cJSON_AddItemToArray(a, cJSON_CreateString(e));
			free(e);
		}
	}
	put_list(svc, "cap_add", &c->cap_add);
	put_list(svc, "cap_drop", &c->cap_drop);
	if (c->privileged)
		cJSON_AddTrueToObject(svc, "privileged");
	if (c->read_only)
		cJSON_AddTrueToObject(svc, "read_only");
	if (c->has_init)
		cJSON_AddBoolToObject(svc, "init", c->init);
	if (c->n_ulimits) {
		cJSON *u = cJSON_AddObjectToObject(svc, "ulimits");
		for (size_t i = 0; i < c->n_ulimits; i++) {
			const struct lab_ulimit *l = &c->ulimits[i];
			if (l->soft == l->hard) {
				cJSON_AddNumberToObject(u, l->name, (double)l->soft);
			} else {
				cJSON *e = cJSON_AddObjectToObject(u, l->name);
				cJSON_AddNumberToObject(e, "soft", (double)l->soft);
				cJSON_AddNumberToObject(e, "hard", (double)l->hard);
			}
		}
	}
	put_kv(svc, "sysctls", &c->sysctls);
	put_list(svc, "security_opt", &c->security_opt);
	if (c->devices.n) {
		cJSON *a = cJSON_AddArrayToObject(svc, "devices");
		for (size_t i = 0; i < c->devices.n; i++) {
			char *d = lab_xstrdup(c->devices.v[i]);
			char *t = strchr(d, '\n'), *p = t ? strchr(t + 1, '\n') : NULL;
			if (t)
				*t++ = '\0';
			if (p)
				*p++ = '\0';
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "source", d);
			put_str(e, "target", t);
			put_str(e, "permissions", p);
			cJSON_AddItemToArray(a, e);
			free(d);
		}
	}
	put_list(svc, "dns", &c->dns);
	put_list(svc, "dns_search", &c->dns_search);
	put_str(svc, "stop_signal", c->stop_signal);
	if (c->has_stop_grace)
		put_dur(svc, "stop_grace_period", c->stop_grace_s * 1000);
	if (c->tty)
		cJSON_AddTrueToObject(svc, "tty");
	if (c->stdin_open)
		cJSON_AddTrueToObject(svc, "stdin_open");
	if (c->has_logging) {
		cJSON *l = cJSON_AddObjectToObject(svc, "logging");
		put_str(l, "driver", c->log_driver);
		put_kv(l, "options", &c->log_opts);
	}
	put_str(svc, "ipc", c->ipc);
	put_str(svc, "pid", c->pid);
	put_list(svc, "group_add", &c->group_add);
	put_str(svc, "domainname", c->domainname);
	put_list(svc, "expose", &c->expose);
	put_str(svc, "platform", c->platform);
	put_str(svc, "pull_policy", c->pull_policy);
	put_list(svc, "volumes_from", &c->volumes_from);
}

static cJSON *service_model(const struct lab_service *s)
{
	cJSON *o = cJSON_CreateObject();
	put_str(o, "image", s->image);
	put_build(o, s);
	if (s->has_command) {
		cJSON *a = cJSON_AddArrayToObject(o, "command");
		for (size_t i = 0; i < s->command.n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(s->command.v[i]));
	}
	if (s->has_entrypoint) {
		cJSON *a = cJSON_AddArrayToObject(o, "entrypoint");
		for (size_t i = 0; i < s->entrypoint.n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(s->entrypoint.v[i]));
	}
	put_kv(o, "environment", &s->environment);
	put_ports(o, s);
	put_volumes(o, s);
	put_networks(o, s);
	put_deps(o, s);
	put_healthcheck(o, &s->healthcheck);
	put_str(o, "restart", s->restart);
	if (s->replicas != 1) {
		cJSON *d = cJSON_AddObjectToObject(o, "deploy");
		cJSON_AddNumberToObject(d, "replicas", s->replicas);
	}
	put_kv(o, "labels", &s->labels);
	put_str(o, "hostname", s->hostname);
	put_str(o, "user", s->user);
	put_str(o, "working_dir", s->working_dir);
	put_str(o, "container_name", s->container_name);
	put_list(o, "profiles", &s->profiles);
	put_ctr(o, &s->ctr);
	return o;
}

/* Double every '$' of every string value: the output is a compose file
 * again, and interpolation is done (compose-go writes "$$" too). */
static void escape_dollars(cJSON *o)
{
	for (cJSON *c = o ? o->child : NULL; c; c = c->next)
		escape_dollars(c);
	if (!cJSON_IsString(o) || !strchr(o->valuestring, '$'))
		return;
	struct lab_buf b = LAB_BUF_INIT;
	for (const char *p = o->valuestring; *p; p++)
		lab_buf_puts(&b, *p == '$' ? "$$" : (char[]){*p, 0});
	cJSON_SetValuestring(o, lab_buf_cstr(&b));
	lab_buf_release(&b);
}

/* Sort every object's members by key (byte order), recursively. */
static void sort_keys(cJSON *o)
{
	if (!o)
		return;
	for (cJSON *c = o->child; c; c = c->next)
		sort_keys(c);
	if (!cJSON_IsObject(o) || !o->child)
		return;
	/* insertion sort of the linked list: objects here are small */
	cJSON *sorted = NULL;
	for (cJSON *c = o->child, *next; c; c = next) {
		next = c->next;
		cJSON **at = &sorted;
		while (*at && strcmp((*at)->string, c->string) <= 0)
			at = &(*at)->next;
		c->next = *at;
		*at = c;
	}
	cJSON *prev = NULL;
	for (cJSON *c = sorted; c; c = c->next) {
		c->prev = prev;
		prev = c;
	}
	sorted->prev = prev; /* cJSON: the first item's prev is the last */
	o->child = sorted;
}

cJSON *lab_config_model(const struct lab *lab)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "name", lab->project);
	cJSON *svcs = cJSON_AddObjectToObject(root, "services");
	int uses_default = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		cJSON_AddItemToObject(svcs, s->name, service_model(s));
		if (!s->networks.n || lab_strv_find(&s->networks, "default") >= 0)
			uses_default = 1;
	}
	cJSON *nets = cJSON_AddObjectToObject(root, "networks");
	int have_default = 0;
	for (size_t i = 0; i < lab->n_networks; i++) {
		const struct lab_network *n = &lab->networks[i];
		cJSON *e = cJSON_AddObjectToObject(nets, n->name);
		char *name = lab_plan_network_name(lab, n);
		cJSON_AddStringToObject(e, "name", name);
		if (n->external_name)
			cJSON_AddTrueToObject(e, "external");
		put_kv(e, "labels", &n->labels);
		free(name);
		have_default |= !strcmp(n->name, "default");
	}
	if (uses_default && !have_default) {
		cJSON *e = cJSON_AddObjectToObject(nets, "default");
		char *name = lab_xasprintf("%s_default", lab->project);
		cJSON_AddStringToObject(e, "name", name);
		free(name);
	}
	if (lab->n_volumes) {
		cJSON *vols = cJSON_AddObjectToObject(root, "volumes");
		for (size_t i = 0; i < lab->n_volumes; i++) {
			const struct lab_volume *v = &lab->volumes[i];
			cJSON *e = cJSON_AddObjectToObject(vols, v->name);
			char *name = lab_plan_volume_name(lab, v);
			cJSON_AddStringToObject(e, "name", name);
			if (v->external_name)
				cJSON_AddTrueToObject(e, "external");
			put_kv(e, "labels", &v->labels);
			free(name);
		}
	}
	if (!nets->child)
		cJSON_DeleteItemFromObjectCaseSensitive(root, "networks");
	escape_dollars(root);
	sort_keys(root);
	return root;
}

/* --- YAML --- */

static void node(struct lab_emit *m, const cJSON *j)
{
	if (cJSON_IsObject(j)) {
		lab_emit_map_start(m, 0);
		for (const cJSON *c = j->child; c; c = c->next) {
			lab_emit_string(m, c->string, strlen(c->string));
			node(m, c);
		}
		lab_emit_map_end(m);
	} else if (cJSON_IsArray(j)) {
		lab_emit_seq_start(m, 0);
		for (const cJSON *c = j->child; c; c = c->next)
			node(m, c);
		lab_emit_seq_end(m);
	} else if (cJSON_IsString(j)) {
		lab_emit_string(m, j->valuestring, strlen(j->valuestring));
	} else if (cJSON_IsBool(j)) {
		lab_emit_plain(m, cJSON_IsTrue(j) ? "true" : "false");
	} else if (cJSON_IsNumber(j)) {
		char n[64];
		double d = j->valuedouble;
		if (d == (double)(long long)d)
			snprintf(n, sizeof(n), "%lld", (long long)d);
		else
			snprintf(n, sizeof(n), "%.15g", d);
		lab_emit_plain(m, n);
	} else {
		lab_emit_plain(m, "null");
	}
}

int lab_config_yaml(const cJSON *model, struct lab_buf *out, struct lab_err *err)
{
	struct lab_emit m;
	lab_emit_begin(&m, out);
	node(&m, model);
	return lab_emit_end(&m, err);
}
