/* Cross-service checks: dependencies (unknown, self, cycles), host ports,
 * declared volumes and networks. Every check is linear in the size of the
 * lab (hash indexes, an iterative walk), so a hostile file of thousands of
 * services, ports or volumes validates in bounded time. */
#include "lab_private.h"

#include <stdlib.h>
#include <string.h>

#include "../util/index.h"

/* A cycle message names at most this many services: the first and last
 * CYCLE_SHOW / 2 of a longer one. */
#define CYCLE_SHOW 16

static void check_deps_known(struct lab_ld *L, struct lab *lab)
{
	const char **names = lab_xcalloc(lab->n_services + 1, sizeof(*names));
	for (size_t i = 0; i < lab->n_services; i++)
		names[i] = lab->services[i].name;
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		for (size_t j = 0; j < s->n_deps; j++) {
			struct lab_dep *d = &s->deps[j];
			if (!strcmp(d->service, s->name)) {
				lab_ld_diag(L, &d->mark, "service '%s' depends on itself", s->name);
				continue;
			}
			if (lab_ld_find_service(L, d->service))
				continue;
			const char *sug = lab_ld_suggest_for(L, d->service, names, lab->n_services);
			if (sug)
				lab_ld_diag(L, &d->mark,
					    "service '%s' depends on unknown service '%s' (did you mean '%s'?)",
					    s->name, d->service, sug);
			else
				lab_ld_diag(L, &d->mark, "service '%s' depends on unknown service '%s'",
					    s->name, d->service);
		}
	}
	free(names);
}

/* Report the cycle closed by the edge u -> v (v on the walk's path at
 * path[at]), at the dependency's mark. */
static void report_cycle(struct lab_ld *L, struct lab *lab, const size_t *path, size_t at, size_t depth,
			 const struct lab_mark *m)
{
	struct lab_buf b = LAB_BUF_INIT;
	size_t len = depth - at;
	for (size_t k = at; k < depth; k++) {
		if (len > CYCLE_SHOW && k == at + CYCLE_SHOW / 2) {
			lab_buf_printf(&b, "... (%zu more) -> ", len - CYCLE_SHOW);
			k = depth - CYCLE_SHOW / 2 - 1;
			continue;
		}
		lab_buf_printf(&b, "%s -> ", lab->services[path[k]].name);
	}
	lab_buf_puts(&b, lab->services[path[at]].name);
	lab_ld_diag(L, m, "dependency cycle: %s", lab_buf_cstr(&b));
	lab_buf_release(&b);
}

/* Depth-first walk of the dependency graph with an explicit stack (a chain
 * of thousands of services must not exhaust the C stack); every edge that
 * closes a cycle is reported once. */
static void check_cycles(struct lab_ld *L, struct lab *lab)
{
	size_t n = lab->n_services;
	int *color = lab_xcalloc(n + 1, sizeof(*color)); /* 0 white, 1 on the path, 2 done */
	size_t *path = lab_xcalloc(n + 1, sizeof(*path));     /* services on the path */
	size_t *next = lab_xcalloc(n + 1, sizeof(*next));     /* next dependency to look at, per path entry */
	size_t *pos = lab_xcalloc(n + 1, sizeof(*pos));       /* a service's place on the path */
	for (size_t root = 0; root < n; root++) {
		if (color[root])
			continue;
		size_t depth = 0;
		path[depth] = root;
		next[depth] = 0;
		pos[root] = depth++;
		color[root] = 1;
		while (depth > 0) {
			size_t u = path[depth - 1];
			struct lab_service *s = &lab->services[u];
			if (next[depth - 1] == s->n_deps) {
				color[u] = 2;
				depth--;
				continue;
			}
			struct lab_dep *d = &s->deps[next[depth - 1]++];
			struct lab_service *t = lab_ld_find_service(L, d->service);
			if (!t || t == s)
				continue;
			size_t v = (size_t)(t - lab->services);
			if (color[v] == 0) {
				color[v] = 1;
				path[depth] = v;
				next[depth] = 0;
				pos[v] = depth++;
			} else if (color[v] == 1) {
				report_cycle(L, lab, path, pos[v], depth, &d->mark);
			}
		}
	}
	free(color);
	free(path);
	free(next);
	free(pos);
}

static int is_wildcard(const char *ip)
{
	return !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::") || !strcmp(ip, "");
}

/* A published host port seen before, in file order. */
struct seen_port {
	const struct lab_service *svc;
	const struct lab_port *port;
};

/* Two services (or one twice) publishing the same host port and protocol on
 * the same address, or on a wildcard address and any other. The first
 * earlier port that collides is named, as a scan in file order would. */
static void check_ports(struct lab_ld *L, struct lab *lab)
{
	/* per protocol and port (slot = udp * 65536 + port): the first port
	   published on it, and the first on a wildcard address (index into
	   seen + 1, 0 = none); made when the lab publishes a fixed port */
	size_t *first_any = NULL, *first_wild = NULL;
	struct lab_index by_addr = LAB_INDEX_INIT; /* "proto/port/ip" -> first seen */
	struct lab_strv addr_keys = LAB_STRV_INIT;
	struct seen_port *seen = NULL;
	size_t n_seen = 0, cap_seen = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		for (size_t p = 0; p < s->n_ports; p++) {
			struct lab_port *a = &s->ports[p];
			if (!a->host_port)
				continue;
			if (s->replicas > 1)
				lab_ld_diag(L, &a->mark,
					    "service '%s' publishes fixed host port %d but has %d replicas",
					    s->name, a->host_port, s->replicas);
			if (a->host_port < 0 || a->host_port > 65535)
				continue;
			if (!first_any) {
				first_any = lab_xcalloc(2 * 65536, sizeof(*first_any));
				first_wild = lab_xcalloc(2 * 65536, sizeof(*first_wild));
			}
			size_t slot = (size_t)(!strcmp(a->protocol, "udp")) * 65536 + (size_t)a->host_port;
			char *key = lab_xasprintf("%zu/%s", slot, a->host_ip);
			long same = lab_index_get(&by_addr, key, strlen(key));
			size_t hit = 0; /* seen + 1 of the first earlier port it collides with */
			if (is_wildcard(a->host_ip))
				hit = first_any[slot];
			else {
				hit = first_wild[slot];
				if (same >= 0 && (!hit || (size_t)same + 1 < hit))
					hit = (size_t)same + 1;
			}
			if (hit) {
				const struct seen_port *o = &seen[hit - 1];
				int v6 = strchr(a->host_ip, ':') != NULL;
				lab_ld_diag(L, &a->mark, "host port %s%s%s:%d/%s is already published by service '%s'",
					    v6 ? "[" : "", a->host_ip, v6 ? "]" : "", a->host_port, a->protocol,
					    o->svc->name);
			}
			if (n_seen == cap_seen) {
				cap_seen = cap_seen ? 2 * cap_seen : 64;
				seen = lab_xrealloc(seen, cap_seen * sizeof(*seen));
			}
			seen[n_seen].svc = s;
			seen[n_seen++].port = a;
			if (!first_any[slot])
				first_any[slot] = n_seen;
			if (is_wildcard(a->host_ip) && !first_wild[slot])
				first_wild[slot] = n_seen;
			if (same < 0) {
				lab_strv_take(&addr_keys, key);
				lab_index_put(&by_addr, key, strlen(key), n_seen - 1);
			} else {
				free(key);
			}
		}
	}
	lab_index_free(&by_addr);
	lab_strv_free(&addr_keys);
	free(seen);
	free(first_any);
	free(first_wild);
}

static void check_volumes_networks(struct lab_ld *L, struct lab *lab)
{
	int uses_default = 0;
	struct lab_index vols = LAB_INDEX_INIT, nets = LAB_INDEX_INIT;
	for (size_t v = 0; v < lab->n_volumes; v++)
		lab_index_put(&vols, lab->volumes[v].name, strlen(lab->volumes[v].name), v);
	for (size_t v = 0; v < lab->n_networks; v++)
		lab_index_put(&nets, lab->networks[v].name, strlen(lab->networks[v].name), v);
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		for (size_t m = 0; m < s->n_mounts; m++) {
			struct lab_mount *mt = &s->mounts[m];
			if (mt->type != LAB_MOUNT_VOLUME)
				continue;
			if (lab_index_get(&vols, mt->source, strlen(mt->source)) < 0)
				lab_ld_diag(L, &mt->mark, "service '%s' uses undeclared volume '%s'",
					    s->name, mt->source);
		}
		if (s->networks.n == 0)
			uses_default = 1;
		for (size_t n = 0; n < s->networks.n; n++)
			if (!strcmp(s->networks.v[n], "default"))
				uses_default = 1;
	}
	/* undeclared networks, at the mark of each use (in the order of the
	   services' networks:) */
	lab_ld_check_networks(L, &nets);
	lab_index_free(&vols);
	lab_index_free(&nets);
	if (!uses_default)
		return;
	for (size_t v = 0; v < lab->n_networks; v++)
		if (!strcmp(lab->networks[v].name, "default"))
			return;
	lab->networks = lab_xrealloc(lab->networks, (lab->n_networks + 1) * sizeof(*lab->networks));
	struct lab_network *w = &lab->networks[lab->n_networks++];
	memset(w, 0, sizeof(*w));
	w->name = lab_xstrdup("default");
	w->mark.file = lab->files.n ? lab->files.v[0] : NULL;
	w->mark.line = 0;
	w->mark.col = 0;
}

/* A dataset with a bucket needs an object store to go to. */
static void check_dataset_buckets(struct lab_ld *L, struct lab *lab)
{
	for (size_t i = 0; i < lab->n_datasets; i++)
		if (lab->datasets[i].bucket && !lab_find_service_with_probe(lab, "s3"))
			lab_ld_diag(L, &lab->datasets[i].mark,
				    "dataset '%s' has a bucket but no service has an x-ready s3 probe to upload it to",
				    lab->datasets[i].name);
}

void lab_ld_validate(struct lab_ld *L, struct lab *lab)
{
	check_dataset_buckets(L, lab);
	check_deps_known(L, lab);
	/* a dependency through a service left out is no cycle */
	lab_ld_apply_profiles(L, lab);
	check_cycles(L, lab);
	check_ports(L, lab);
	check_volumes_networks(L, lab);
}
