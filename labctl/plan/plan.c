#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../util/buf.h"

/* ---- waves ---- */

enum { WHITE, GREY, BLACK };

static int wave_visit(size_t i, const struct lab *lab, int *color, int *wave, size_t *stack,
		      size_t depth, struct lab_err *err)
{
	if (color[i] == BLACK)
		return 0;
	stack[depth] = i;
	if (color[i] == GREY) {
		/* cycle: from the first occurrence of i on the stack */
		size_t from = 0;
		while (stack[from] != i)
			from++;
		struct lab_buf path = LAB_BUF_INIT;
		for (size_t k = from; k <= depth; k++)
			lab_buf_printf(&path, "%s%s", k > from ? " -> " : "", lab->services[stack[k]].name);
		const struct lab_service *s = &lab->services[stack[from]];
		const struct lab_mark *m = &s->mark;
		for (size_t d = 0; d < s->n_deps; d++)
			if (strcmp(s->deps[d].service, lab->services[stack[from + 1]].name) == 0)
				m = &s->deps[d].mark;
		lab_err_set(err, LAB_EINPUT, "%s:%d:%d: dependency cycle: %s", m->file ? m->file : "?",
			    m->line, m->col, lab_buf_cstr(&path));
		lab_buf_release(&path);
		return LAB_EINPUT;
	}
	color[i] = GREY;
	const struct lab_service *s = &lab->services[i];
	int w = 0;
	for (size_t d = 0; d < s->n_deps; d++) {
		const struct lab_service *dep = lab_find_service(lab, s->deps[d].service);
		if (!dep) {
			const struct lab_mark *m = &s->deps[d].mark;
			return lab_err_set(err, LAB_EINPUT,
					   "%s:%d:%d: service '%s' depends on unknown service '%s'",
					   m->file ? m->file : "?", m->line, m->col, s->name,
					   s->deps[d].service);
		}
		size_t j = (size_t)(dep - lab->services);
		int rc = wave_visit(j, lab, color, wave, stack, depth + 1, err);
		if (rc < 0)
			return rc;
		if (wave[j] + 1 > w)
			w = wave[j] + 1;
	}
	wave[i] = w;
	color[i] = BLACK;
	return 0;
}

int lab_plan_waves(int **waves, size_t *n_waves, const struct lab *lab, struct lab_err *err)
{
	size_t n = lab->n_services;
	int *color = lab_xcalloc(n, sizeof(int));
	int *wave = lab_xcalloc(n, sizeof(int));
	size_t *stack = lab_xcalloc(n + 1, sizeof(size_t));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = wave_visit(i, lab, color, wave, stack, 0, err);
	free(color);
	free(stack);
	if (rc < 0) {
		free(wave);
		return rc;
	}
	int max = -1;
	for (size_t i = 0; i < n; i++)
		if (wave[i] > max)
			max = wave[i];
	*waves = wave;
	*n_waves = (size_t)(max + 1);
	return 0;
}

/* ---- names ---- */

char *lab_plan_container_name(const struct lab *lab, const struct lab_service *svc, int replica)
{
	if (svc->container_name && replica == 1)
		return lab_xstrdup(svc->container_name);
	return lab_xasprintf("%s-%s-%d", lab->project, svc->name, replica);
}

char *lab_plan_volume_name(const struct lab *lab, const struct lab_volume *vol)
{
	if (vol->external_name)
		return lab_xstrdup(vol->external_name);
	if (vol->custom_name)
		return lab_xstrdup(vol->custom_name);
	return lab_xasprintf("%s_%s", lab->project, vol->name);
}

char *lab_plan_network_name(const struct lab *lab, const struct lab_network *net)
{
	if (net->external_name)
		return lab_xstrdup(net->external_name);
	if (net->custom_name)
		return lab_xstrdup(net->custom_name);
	return lab_xasprintf("%s_%s", lab->project, net->name);
}

static void add_kv_labels(cJSON *labels, const struct lab_strv *kv);

cJSON *lab_plan_resource_labels(const struct lab *lab, const char *key, const struct lab_strv *labels, int is_net)
{
	cJSON *o = cJSON_CreateObject();
	add_kv_labels(o, labels);
	cJSON_DeleteItemFromObjectCaseSensitive(o, LAB_LABEL_LAB);
	cJSON_AddStringToObject(o, LAB_LABEL_LAB, lab->project);
	const char *own = is_net ? LAB_LABEL_NETWORK : LAB_LABEL_VOLUME;
	cJSON_DeleteItemFromObjectCaseSensitive(o, own);
	cJSON_AddStringToObject(o, own, key);
	return o;
}

char *lab_plan_image_name(const struct lab *lab, const struct lab_service *svc)
{
	if (svc->image)
		return lab_xstrdup(svc->image);
	return lab_xasprintf("%s-%s", lab->image_project ? lab->image_project : lab->project, svc->name);
}

struct lab_volume *lab_plan_find_volume(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->n_volumes; i++)
		if (strcmp(lab->volumes[i].name, name) == 0)
			return &lab->volumes[i];
	return NULL;
}

cJSON *lab_plan_mount(const struct lab *lab, const struct lab_mount *m, int volume_labels)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Type", m->type == LAB_MOUNT_BIND ? "bind" : "volume");
	if (m->type == LAB_MOUNT_VOLUME) {
		const struct lab_volume *v = lab_plan_find_volume(lab, m->source);
		char *name = v ? lab_plan_volume_name(lab, v) : lab_xstrdup(m->source);
		cJSON_AddStringToObject(o, "Source", name);
		free(name);
		if (volume_labels && v && !v->external_name) {
			cJSON *vo = cJSON_AddObjectToObject(o, "VolumeOptions");
			cJSON_AddItemToObject(vo, "Labels", lab_plan_resource_labels(lab, v->name, &v->labels, 0));
		}
	} else if (m->type == LAB_MOUNT_BIND) {
		cJSON_AddStringToObject(o, "Source", m->source);
	}
	cJSON_AddStringToObject(o, "Target", m->target);
	if (m->read_only)
		cJSON_AddBoolToObject(o, "ReadOnly", 1);
	return o;
}

struct lab_network *lab_plan_find_network(const struct lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->n_networks; i++)
		if (strcmp(lab->networks[i].name, name) == 0)
			return &lab->networks[i];
	return NULL;
}

char *lab_plan_label_filter(const char *project)
{
	return lab_xasprintf("%s=%s", LAB_LABEL_LAB, project);
}

char *lab_plan_container_filter(const char *project)
{
	return lab_xasprintf("%s=%s\n%s", LAB_LABEL_LAB, project, LAB_LABEL_SERVICE);
}

/* ---- container body ---- */

static cJSON *strv_array(const struct lab_strv *sv)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv->v[i]));
	return a;
}

static void add_kv_labels(cJSON *labels, const struct lab_strv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		const char *eq = strchr(kv->v[i], '=');
		char *key = eq ? lab_xstrndup(kv->v[i], (size_t)(eq - kv->v[i])) : lab_xstrdup(kv->v[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(labels, key);
		cJSON_AddStringToObject(labels, key, eq ? eq + 1 : "");
		free(key);
	}
}

static const char *first_network(const struct lab_service *svc)
{
	return svc->networks.n ? svc->networks.v[0] : "default";
}

/* "K=V" entries as an object {K: V}. */
static cJSON *kv_object(const struct lab_strv *kv)
{
	cJSON *o = cJSON_CreateObject();
	add_kv_labels(o, kv);
	return o;
}

static void add_strv(cJSON *o, const char *key, const struct lab_strv *sv)
{
	if (sv->n)
		cJSON_AddItemToObject(o, key, strv_array(sv));
}

static void add_num(cJSON *o, const char *key, long long v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
}

void lab_plan_add_aliases(cJSON *aliases, const struct lab_service *svc, const char *netkey)
{
	size_t nl = strlen(netkey);
	for (size_t i = 0; i < svc->ctr.net_aliases.n; i++) {
		const char *e = svc->ctr.net_aliases.v[i];
		if (strncmp(e, netkey, nl) == 0 && e[nl] == '=')
			cJSON_AddItemToArray(aliases, cJSON_CreateString(e + nl + 1));
	}
}

/* The settings of struct lab_ctr_opts, each only when given, so that a
 * service that sets none has the body (and the hash) it had before they
 * were applied. Field names and shapes: Engine API 1.41 ContainerConfig
 * and HostConfig. */
static void add_ctr_opts(cJSON *b, cJSON *host, const struct lab *lab, const struct lab_service *svc)
{
	const struct lab_ctr_opts *o = &svc->ctr;
	if (o->domainname)
		cJSON_AddStringToObject(b, "Domainname", o->domainname);
	if (o->tty)
		cJSON_AddBoolToObject(b, "Tty", 1);
	if (o->stdin_open)
		cJSON_AddBoolToObject(b, "OpenStdin", 1);
	if (o->stop_signal)
		cJSON_AddStringToObject(b, "StopSignal", o->stop_signal);
	if (o->has_stop_grace)
		cJSON_AddNumberToObject(b, "StopTimeout", (double)o->stop_grace_s);
	cJSON *exposed = cJSON_GetObjectItemCaseSensitive(b, "ExposedPorts");
	for (size_t i = 0; i < o->expose.n; i++)
		if (!cJSON_GetObjectItemCaseSensitive(exposed, o->expose.v[i]))
			cJSON_AddObjectToObject(exposed, o->expose.v[i]);

	add_num(host, "Memory", o->memory);
	add_num(host, "MemoryReservation", o->memory_reservation);
	add_num(host, "NanoCpus", o->nano_cpus);
	add_num(host, "PidsLimit", o->pids_limit);
	add_num(host, "ShmSize", o->shm_size);
	if (o->tmpfs.n) {
		cJSON *t = cJSON_AddObjectToObject(host, "Tmpfs");
		for (size_t i = 0; i < o->tmpfs.n; i++) {
			const char *e = o->tmpfs.v[i], *colon = strchr(e, ':');
			char *path = colon ? lab_xstrndup(e, (size_t)(colon - e)) : lab_xstrdup(e);
			cJSON_DeleteItemFromObjectCaseSensitive(t, path);
			cJSON_AddStringToObject(t, path, colon ? colon + 1 : "");
			free(path);
		}
	}
	add_strv(host, "ExtraHosts", &o->extra_hosts);
	add_strv(host, "CapAdd", &o->cap_add);
	add_strv(host, "CapDrop", &o->cap_drop);
	if (o->privileged)
		cJSON_AddBoolToObject(host, "Privileged", 1);
	if (o->read_only)
		cJSON_AddBoolToObject(host, "ReadonlyRootfs", 1);
	if (o->has_init)
		cJSON_AddBoolToObject(host, "Init", o->init);
	if (o->n_ulimits) {
		cJSON *u = cJSON_AddArrayToObject(host, "Ulimits");
		for (size_t i = 0; i < o->n_ulimits; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "Name", o->ulimits[i].name);
			cJSON_AddNumberToObject(e, "Soft", (double)o->ulimits[i].soft);
			cJSON_AddNumberToObject(e, "Hard", (double)o->ulimits[i].hard);
			cJSON_AddItemToArray(u, e);
		}
	}
	if (o->sysctls.n)
		cJSON_AddItemToObject(host, "Sysctls", kv_object(&o->sysctls));
	add_strv(host, "SecurityOpt", &o->security_opt);
	if (o->systempaths_unconfined) {
		cJSON_AddArrayToObject(host, "MaskedPaths");
		cJSON_AddArrayToObject(host, "ReadonlyPaths");
	}
	if (o->devices.n) {
		cJSON *d = cJSON_AddArrayToObject(host, "Devices");
		for (size_t i = 0; i < o->devices.n; i++) {
			char *copy = lab_xstrdup(o->devices.v[i]);
			char *dst = strchr(copy, '\n');
			*dst++ = '\0';
			char *perm = strchr(dst, '\n');
			*perm++ = '\0';
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "PathOnHost", copy);
			cJSON_AddStringToObject(e, "PathInContainer", dst);
			cJSON_AddStringToObject(e, "CgroupPermissions", perm);
			cJSON_AddItemToArray(d, e);
			free(copy);
		}
	}
	add_strv(host, "Dns", &o->dns);
	add_strv(host, "DnsSearch", &o->dns_search);
	if (o->has_logging) {
		cJSON *lc = cJSON_AddObjectToObject(host, "LogConfig");
		cJSON_AddStringToObject(lc, "Type", o->log_driver ? o->log_driver : "");
		cJSON_AddItemToObject(lc, "Config", kv_object(&o->log_opts));
	}
	if (o->ipc)
		cJSON_AddStringToObject(host, "IpcMode", o->ipc);
	if (o->pid)
		cJSON_AddStringToObject(host, "PidMode", o->pid);
	add_strv(host, "GroupAdd", &o->group_add);
	if (o->volumes_from.n) {
		cJSON *vf = cJSON_AddArrayToObject(host, "VolumesFrom");
		for (size_t i = 0; i < o->volumes_from.n; i++) {
			const char *t = o->volumes_from.v[i];
			if (!strncmp(t, "container:", 10)) {
				cJSON_AddItemToArray(vf, cJSON_CreateString(t + 10));
				continue;
			}
			size_t len = strcspn(t, ":");
			char *name = lab_xstrndup(t, len);
			const struct lab_service *src = lab_find_service(lab, name);
			char *cname = src ? lab_plan_container_name(lab, src, 1) : lab_xasprintf("%s-%s-1", lab->project, name);
			char *v = lab_xasprintf("%s%s", cname, t + len);
			cJSON_AddItemToArray(vf, cJSON_CreateString(v));
			free(v);
			free(cname);
			free(name);
		}
	}
}

/* Everything but the replica number and the hash label. */
static cJSON *body_base(const struct lab *lab, const struct lab_service *svc, const char *image_id)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "Image", image_id);
	if (svc->has_command)
		cJSON_AddItemToObject(b, "Cmd", strv_array(&svc->command));
	if (svc->has_entrypoint)
		cJSON_AddItemToObject(b, "Entrypoint", strv_array(&svc->entrypoint));
	cJSON_AddItemToObject(b, "Env", strv_array(&svc->environment));
	if (svc->hostname)
		cJSON_AddStringToObject(b, "Hostname", svc->hostname);
	if (svc->user)
		cJSON_AddStringToObject(b, "User", svc->user);
	if (svc->working_dir)
		cJSON_AddStringToObject(b, "WorkingDir", svc->working_dir);

	cJSON *labels = cJSON_AddObjectToObject(b, "Labels");
	add_kv_labels(labels, &svc->labels);
	cJSON_AddStringToObject(labels, LAB_LABEL_LAB, lab->project);
	cJSON_AddStringToObject(labels, LAB_LABEL_SERVICE, svc->name);

	const struct lab_healthcheck *hc = &svc->healthcheck;
	if (hc->present) {
		cJSON *h = cJSON_AddObjectToObject(b, "Healthcheck");
		if (hc->disable) {
			cJSON *t = cJSON_AddArrayToObject(h, "Test");
			cJSON_AddItemToArray(t, cJSON_CreateString("NONE"));
		} else {
			/* no test: the image's, with these timings (the engine
			   merges them, as for Compose's create) */
			if (hc->test.n)
				cJSON_AddItemToObject(h, "Test", strv_array(&hc->test));
			if (hc->interval_ms)
				cJSON_AddNumberToObject(h, "Interval", (double)hc->interval_ms * 1e6);
			if (hc->timeout_ms)
				cJSON_AddNumberToObject(h, "Timeout", (double)hc->timeout_ms * 1e6);
			if (hc->start_period_ms)
				cJSON_AddNumberToObject(h, "StartPeriod", (double)hc->start_period_ms * 1e6);
			if (hc->retries)
				cJSON_AddNumberToObject(h, "Retries", hc->retries);
		}
	}

	cJSON *exposed = cJSON_AddObjectToObject(b, "ExposedPorts");
	cJSON *host = cJSON_AddObjectToObject(b, "HostConfig");
	cJSON *bindings = cJSON_AddObjectToObject(host, "PortBindings");
	for (size_t i = 0; i < svc->n_ports; i++) {
		const struct lab_port *p = &svc->ports[i];
		char key[32], hp[16];
		snprintf(key, sizeof(key), "%d/%s", p->container_port, p->protocol ? p->protocol : "tcp");
		if (!cJSON_GetObjectItemCaseSensitive(exposed, key))
			cJSON_AddObjectToObject(exposed, key);
		cJSON *list = cJSON_GetObjectItemCaseSensitive(bindings, key);
		if (!list)
			list = cJSON_AddArrayToObject(bindings, key);
		cJSON *bnd = cJSON_CreateObject();
		cJSON_AddStringToObject(bnd, "HostIp", p->host_ip ? p->host_ip : "127.0.0.1");
		if (p->host_port)
			snprintf(hp, sizeof(hp), "%d", p->host_port);
		else
			hp[0] = '\0';
		cJSON_AddStringToObject(bnd, "HostPort", hp);
		cJSON_AddItemToArray(list, bnd);
	}
	cJSON *mounts = cJSON_AddArrayToObject(host, "Mounts");
	for (size_t i = 0; i < svc->n_mounts; i++)
		cJSON_AddItemToArray(mounts, lab_plan_mount(lab, &svc->mounts[i], 0));
	add_ctr_opts(b, host, lab, svc);
	cJSON *rp = cJSON_AddObjectToObject(host, "RestartPolicy");
	const char *restart = svc->restart ? svc->restart : "no";
	if (strncmp(restart, "on-failure", 10) == 0) {
		cJSON_AddStringToObject(rp, "Name", "on-failure");
		if (restart[10] == ':')
			cJSON_AddNumberToObject(rp, "MaximumRetryCount", atoi(restart + 11));
	} else {
		cJSON_AddStringToObject(rp, "Name", strcmp(restart, "no") == 0 ? "" : restart);
	}

	/* first network at create; its full name is in the hash via the body */
	const char *netkey = first_network(svc);
	const struct lab_network *net = lab_plan_find_network(lab, netkey);
	char *netname = net ? lab_plan_network_name(lab, net) : lab_xasprintf("%s_%s", lab->project, netkey);
	cJSON_AddStringToObject(host, "NetworkMode", netname);
	cJSON *nc = cJSON_AddObjectToObject(b, "NetworkingConfig");
	cJSON *eps = cJSON_AddObjectToObject(nc, "EndpointsConfig");
	cJSON *ep = cJSON_AddObjectToObject(eps, netname);
	cJSON *aliases = cJSON_AddArrayToObject(ep, "Aliases");
	cJSON_AddItemToArray(aliases, cJSON_CreateString(svc->name));
	lab_plan_add_aliases(aliases, svc, netkey);
	free(netname);
	return b;
}

void lab_plan_config_hash(char out[65], const struct lab *lab, const struct lab_service *svc,
			  const char *image_id)
{
	cJSON *b = body_base(lab, svc, image_id);
	/* networks beyond the first are not in the body: hash their names too */
	for (size_t i = 1; i < svc->networks.n; i++) {
		cJSON *extra = cJSON_GetObjectItemCaseSensitive(b, "x-networks");
		if (!extra)
			extra = cJSON_AddArrayToObject(b, "x-networks");
		cJSON_AddItemToArray(extra, cJSON_CreateString(svc->networks.v[i]));
	}
	/* sent outside the body (the create's ?platform=, the connects'
	   aliases): in the hash all the same */
	if (svc->ctr.platform)
		cJSON_AddStringToObject(b, "x-platform", svc->ctr.platform);
	for (size_t i = 1; i < svc->networks.n; i++) {
		cJSON *al = cJSON_CreateArray();
		lab_plan_add_aliases(al, svc, svc->networks.v[i]);
		if (cJSON_GetArraySize(al)) {
			cJSON *x = cJSON_GetObjectItemCaseSensitive(b, "x-aliases");
			if (!x)
				x = cJSON_AddObjectToObject(b, "x-aliases");
			cJSON_AddItemToObject(x, svc->networks.v[i], al);
		} else {
			cJSON_Delete(al);
		}
	}
	char *text = cJSON_PrintUnformatted(b);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	free(text);
	cJSON_Delete(b);
}

cJSON *lab_plan_container_body(const struct lab *lab, const struct lab_service *svc,
			       const char *image_id, int replica)
{
	char hash[65], rep[16];
	lab_plan_config_hash(hash, lab, svc, image_id);
	cJSON *b = body_base(lab, svc, image_id);
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(b, "Labels");
	snprintf(rep, sizeof(rep), "%d", replica);
	cJSON_AddStringToObject(labels, LAB_LABEL_REPLICA, rep);
	cJSON_AddStringToObject(labels, LAB_LABEL_HASH, hash);
	return b;
}

const char *lab_plan_replica_label(const cJSON *labels, char buf[16])
{
	const char *rep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_REPLICA));
	if (rep)
		return rep;
	const char *task = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "com.docker.swarm.task.name"));
	const char *dot = task ? strrchr(task, '.') : NULL;
	if (!dot)
		return NULL;
	const char *start = dot;
	while (start > task && start[-1] != '.')
		start--;
	size_t n = (size_t)(dot - start);
	if (start == task || n == 0 || n >= 16 || strspn(start, "0123456789") != n)
		return NULL;
	memcpy(buf, start, n);
	buf[n] = 0;
	return buf;
}
