/* Before converge creates anything: every host port the lab publishes is
 * free (or already the lab's own). */
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../util/hostport.h"
#include "internal.h"

static const char *label_of(const cJSON *ct, const char *key)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(ct, "Labels");
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, key));
}

static int any_address(const char *ip)
{
	return !ip || !*ip || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* The running container of list (GET /containers/json?all=1) that
 * publishes host ip:port/proto, or NULL. */
static const cJSON *publisher(const cJSON *list, const char *ip, int port, const char *proto)
{
	const cJSON *ct, *p;
	cJSON_ArrayForEach(ct, list)
	{
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ct, "State"));
		if (!state || strcmp(state, "running") != 0)
			continue;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(ct, "Ports"))
		{
			const char *pip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "IP"));
			const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Type"));
			int pub = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "PublicPort"));
			if (pub == port && type && strcmp(type, proto) == 0 &&
			    (any_address(pip) || any_address(ip) || strcmp(pip, ip) == 0))
				return ct;
		}
	}
	return NULL;
}

/* Who holds ip:port when it is not this lab: a message tail, or NULL when
 * nobody does (or it is the lab's own). */
static char *holder_of(struct cv *c, const cJSON *list, int local, const char *ip, int port, const char *proto)
{
	const cJSON *ct = publisher(list, ip, port, proto);
	if (ct) {
		const char *lab = label_of(ct, LAB_LABEL_LAB), *svc = label_of(ct, LAB_LABEL_SERVICE);
		if (lab && svc && strcmp(lab, c->lab->project) == 0)
			return NULL; /* a rerun: the lab's own container has it */
		if (lab && svc)
			return lab_xasprintf("held by lab '%s' service '%s'; run `labctl down %s`", lab, svc, lab);
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ct, "Names"), 0));
		name = name ? name + (name[0] == '/') : "?";
		return lab_xasprintf("held by container '%s' (docker stop %s frees it)", name, name);
	}
	/* the host's own processes, when the engine publishes on this host */
	if (!local)
		return NULL;
	char *proc = NULL;
	struct lab_err ignore = {0};
	if (lab_hostport_check(&proc, ip, port, proto, &ignore) != LAB_EEXISTS)
		return NULL;
	if (!proc)
		return lab_xasprintf("held by a process labctl cannot see (another user's: `sudo ss -lnp 'sport = :%d'` "
				     "names it)",
				     port);
	char *msg = lab_xasprintf("held by %s", proc);
	free(proc);
	return msg;
}

int converge_check_ports(struct cv *c, struct lab_err *err)
{
	int any = 0;
	for (size_t i = 0; i < c->lab->n_services; i++)
		for (size_t k = 0; k < c->lab->services[i].n_ports; k++)
			any |= c->lab->services[i].ports[k].host_port != 0;
	if (!any)
		return 0;
	cJSON *list = NULL;
	int rc = lab_engine_containers(c->engine, NULL, &list, err);
	if (rc < 0)
		return rc;
	/* a unix socket: the engine publishes on this host, where binding
	   tells; a remote engine's host is not ours to probe */
	int local = strncmp(lab_engine_host(c->engine), "unix://", 7) == 0;
	struct lab_err found = {0};
	for (size_t i = 0; i < c->lab->n_services; i++) {
		const struct lab_service *s = &c->lab->services[i];
		for (size_t k = 0; k < s->n_ports; k++) {
			const struct lab_port *p = &s->ports[k];
			const char *ip = p->host_ip ? p->host_ip : "127.0.0.1";
			const char *proto = p->protocol ? p->protocol : "tcp";
			if (!p->host_port)
				continue;
			char *who = holder_of(c, list, local, ip, p->host_port, proto);
			if (who)
				lab_err_append(&found, LAB_EINPUT, "host port %s%s%s:%d%s%s of service '%s' is already taken: %s",
					       strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "", p->host_port,
					       strcmp(proto, "tcp") ? "/" : "", strcmp(proto, "tcp") ? proto : "", s->name, who);
			free(who);
		}
	}
	cJSON_Delete(list);
	if (!found.code)
		return 0;
	lab_err_append(&found, LAB_EINPUT,
		       "nothing was created: free the port or publish another one (ports: in the lab file)");
	*err = found;
	return LAB_EINPUT;
}
