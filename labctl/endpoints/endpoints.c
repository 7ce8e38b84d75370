#include "endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../probe/probe.h"
#include "../swarm/swarm.h"

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A published binding's IP as the host reaches it. */
static const char *reach(const char *ip)
{
	if (!ip || !*ip || strcmp(ip, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(ip, "::") == 0)
		return "::1";
	return ip;
}

int lab_endpoint_host(char **host, int *hport, const cJSON *container, int port)
{
	const cJSON *ns = get(container, "NetworkSettings");
	const cJSON *ports = get(ns, "Ports"), *b;
	const char *ip = NULL;
	int published = 0;
	if (cJSON_IsObject(ports)) {
		/* inspect: {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}]} */
		char key[32];
		snprintf(key, sizeof(key), "%d/tcp", port);
		b = cJSON_GetArrayItem(get(ports, key), 0);
		const char *hp = cJSON_GetStringValue(get(b, "HostPort"));
		if (hp && *hp) {
			published = atoi(hp);
			ip = cJSON_GetStringValue(get(b, "HostIp"));
		}
	} else {
		/* list: [{"IP": "127.0.0.1", "PrivatePort": 5432, "PublicPort": 15432, "Type": "tcp"}] */
		cJSON_ArrayForEach(b, get(container, "Ports"))
		{
			const char *type = cJSON_GetStringValue(get(b, "Type"));
			if ((int)cJSON_GetNumberValue(get(b, "PrivatePort")) != port || (type && strcmp(type, "tcp") != 0) ||
			    !cJSON_IsNumber(get(b, "PublicPort")))
				continue;
			published = (int)cJSON_GetNumberValue(get(b, "PublicPort"));
			ip = cJSON_GetStringValue(get(b, "IP"));
			break;
		}
	}
	if (published > 0) {
		*host = lab_xstrdup(reach(ip));
		*hport = published;
		return 0;
	}
	const cJSON *n;
	cJSON_ArrayForEach(n, get(ns, "Networks"))
	{
		const char *a = cJSON_GetStringValue(get(n, "IPAddress"));
		if (a && *a) {
			*host = lab_xstrdup(a);
			*hport = port;
			return 0;
		}
	}
	return LAB_ENOTFOUND;
}

int lab_endpoints_read(struct lab_endpoints *ep, const struct lab *lab, struct lab_engine *e, struct lab_err *err)
{
	char *filter = lab_plan_container_filter(lab->project);
	cJSON *list = NULL;
	int rc = lab_engine_containers(e, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	/* a lab run as Swarm services: its tasks on every node, each with
	   its ports where this host reaches them */
	if (cJSON_IsArray(list) && (rc = lab_swarm_task_endpoints(list, e, lab->project, err)) < 0) {
		cJSON_Delete(list);
		return rc;
	}
	lab_endpoints_init(ep, lab, list);
	return 0;
}

void lab_endpoints_init(struct lab_endpoints *ep, const struct lab *lab, cJSON *containers)
{
	ep->lab = lab;
	ep->containers = containers;
}

void lab_endpoints_release(struct lab_endpoints *ep)
{
	if (!ep)
		return;
	cJSON_Delete(ep->containers);
	ep->containers = NULL;
}

const cJSON *lab_endpoints_container(const struct lab_endpoints *ep, const char *service, int replica)
{
	const cJSON *c, *found = NULL;
	cJSON_ArrayForEach(c, ep->containers)
	{
		const cJSON *labels = get(c, "Labels");
		const char *svc = cJSON_GetStringValue(get(labels, LAB_LABEL_SERVICE));
		char repbuf[16];
		const char *rep = lab_plan_replica_label(labels, repbuf);
		if (!svc || strcmp(svc, service) != 0 || !rep || atoi(rep) != replica)
			continue;
		/* a running one wins over one left behind stopped */
		if (lab_endpoints_running(c))
			return c;
		if (!found)
			found = c;
	}
	return found;
}

int lab_endpoints_running(const cJSON *c)
{
	const char *state = cJSON_GetStringValue(get(c, "State"));
	return state && strcmp(state, "running") == 0;
}

int lab_endpoints_addr(char **host, int *hport, const struct lab_endpoints *ep, const struct lab_service *s,
		       int replica, int port, enum lab_endpoints_for who)
{
	if (who == LAB_ENDPOINTS_INTERNAL) {
		*host = lab_xstrdup(s->name);
		*hport = port;
		return 0;
	}
	const cJSON *c = lab_endpoints_container(ep, s->name, replica);
	/* a Swarm task's container (up --swarm): a port in ingress mode is
	   not among its bindings and its address is on an overlay the host
	   cannot reach; the lab's host port is published on every node of
	   the swarm (Engine API v1.41 EndpointSpec.Ports, PublishMode ingress),
	   so on this one too */
	int task = c && cJSON_GetObjectItemCaseSensitive(get(c, "Labels"), "com.docker.swarm.service.id");
	if (c && lab_endpoints_running(c) && !task)
		return lab_endpoint_host(host, hport, c, port);
	/* a task whose published ports lab_swarm_task_endpoints put where
	   this host reaches them (the node's address, the engine's) */
	if (c && task && lab_endpoints_running(c) && cJSON_IsObject(get(get(c, "NetworkSettings"), "Ports"))) {
		char key[32];
		snprintf(key, sizeof(key), "%d/tcp", port);
		if (get(get(get(c, "NetworkSettings"), "Ports"), key))
			return lab_endpoint_host(host, hport, c, port);
	}
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct lab_port *p = &s->ports[i];
		if (p->container_port == port && p->host_port && (!p->protocol || !strcmp(p->protocol, "tcp"))) {
			*host = lab_xstrdup(reach(p->host_ip));
			*hport = p->host_port;
			return 0;
		}
	}
	if (c && task && lab_endpoints_running(c))
		return lab_endpoint_host(host, hport, c, port);
	return LAB_ENOTFOUND;
}

struct where {
	const struct lab_endpoints *ep;
	const struct lab_service *s;
	int replica;
	enum lab_endpoints_for who;
};

static int where_addr(char **host, int *hport, void *ud, int port)
{
	const struct where *w = ud;
	return lab_endpoints_addr(host, hport, w->ep, w->s, w->replica, port, w->who);
}

int lab_endpoints_env(struct lab_strv *env, const struct lab_endpoints *ep, enum lab_endpoints_for who,
		      const struct lab_service *service, const char *probe)
{
	int missing = 0;
	for (size_t k = 0; lab_probe_kinds[k]; k++) {
		const struct lab_probe_kind *kind = lab_probe_kinds[k];
		if (!kind->client_env || (probe && strcmp(probe, kind->name) != 0))
			continue;
		for (size_t i = 0; i < ep->lab->n_services; i++) {
			const struct lab_service *s = &ep->lab->services[i];
			const struct lab_probe *p = lab_ready_find(&s->ready, kind->name);
			if (!p || (service && service != s))
				continue;
			int replicas = who == LAB_ENDPOINTS_INTERNAL ? 1 : s->replicas;
			for (int r = 1; r <= replicas; r++) {
				struct where w = {ep, s, r, who};
				struct lab_probe_where pw = {who == LAB_ENDPOINTS_INTERNAL, where_addr, &w};
				if (kind->client_env(p->cfg, &pw, env) < 0)
					missing++;
			}
		}
	}
	return missing;
}

int lab_endpoints_ui(char **url, const struct lab_endpoints *ep, const struct lab_service *s, int replica)
{
	struct where w = {ep, s, replica, LAB_ENDPOINTS_HOST};
	struct lab_probe_where pw = {0, where_addr, &w};
	return lab_probe_service_ui(url, s, &pw);
}
