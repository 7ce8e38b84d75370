/* Cross-service checks: dependencies (unknown, self, cycles), host ports,
 * declared volumes and networks. */
#include "lab_private.h"

#include <stdlib.h>
#include <string.h>

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
			if (lab_find_service(lab, d->service))
				continue;
			const char *sug = lab_ld_suggest(d->service, names, lab->n_services);
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

struct dfs {
	struct lab_ld *L;
	struct lab *lab;
	int *color;   /* 0 white, 1 on the path, 2 done */
	size_t *path;
	size_t depth;
};

static void dfs_visit(struct dfs *D, size_t u)
{
	struct lab_service *s = &D->lab->services[u];
	D->color[u] = 1;
	D->path[D->depth++] = u;
	for (size_t j = 0; j < s->n_deps; j++) {
		struct lab_service *t = lab_find_service(D->lab, s->deps[j].service);
		if (!t || t == s)
			continue;
		size_t v = (size_t)(t - D->lab->services);
		if (D->color[v] == 0) {
			dfs_visit(D, v);
		} else if (D->color[v] == 1) {
			struct lab_buf b = LAB_BUF_INIT;
			size_t at = 0;
			while (D->path[at] != v)
				at++;
			for (size_t k = at; k < D->depth; k++)
				lab_buf_printf(&b, "%s -> ", D->lab->services[D->path[k]].name);
			lab_buf_puts(&b, t->name);
			lab_ld_diag(D->L, &s->deps[j].mark, "dependency cycle: %s", lab_buf_cstr(&b));
			lab_buf_release(&b);
		}
	}
	D->depth--;
	D->color[u] = 2;
}

static void check_cycles(struct lab_ld *L, struct lab *lab)
{
	struct dfs D = {L, lab, NULL, NULL, 0};
	D.color = lab_xcalloc(lab->n_services + 1, sizeof(*D.color));
	D.path = lab_xcalloc(lab->n_services + 1, sizeof(*D.path));
	for (size_t i = 0; i < lab->n_services; i++)
		if (!D.color[i])
			dfs_visit(&D, i);
	free(D.color);
	free(D.path);
}

static int is_wildcard(const char *ip)
{
	return !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::") || !strcmp(ip, "");
}

static void check_ports(struct lab_ld *L, struct lab *lab)
{
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
			int found = 0;
			for (size_t j = 0; j <= i && !found; j++) {
				struct lab_service *o = &lab->services[j];
				size_t lim = j == i ? p : o->n_ports;
				for (size_t q = 0; q < lim && !found; q++) {
					struct lab_port *b = &o->ports[q];
					if (b->host_port != a->host_port || strcmp(a->protocol, b->protocol))
						continue;
					if (strcmp(a->host_ip, b->host_ip) && !is_wildcard(a->host_ip) &&
					    !is_wildcard(b->host_ip))
						continue;
					found = 1;
					int v6 = strchr(a->host_ip, ':') != NULL;
					lab_ld_diag(L, &a->mark,
						    "host port %s%s%s:%d/%s is already published by service '%s'",
						    v6 ? "[" : "", a->host_ip, v6 ? "]" : "", a->host_port,
						    a->protocol, o->name);
				}
			}
		}
	}
}

static void check_volumes_networks(struct lab_ld *L, struct lab *lab)
{
	int uses_default = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		for (size_t m = 0; m < s->n_mounts; m++) {
			struct lab_mount *mt = &s->mounts[m];
			if (mt->type != LAB_MOUNT_VOLUME)
				continue;
			size_t v;
			for (v = 0; v < lab->n_volumes && strcmp(lab->volumes[v].name, mt->source); v++)
				;
			if (v == lab->n_volumes)
				lab_ld_diag(L, &mt->mark, "service '%s' uses undeclared volume '%s'",
					    s->name, mt->source);
		}
		if (s->networks.n == 0)
			uses_default = 1;
		for (size_t n = 0; n < s->networks.n; n++) {
			const char *name = s->networks.v[n];
			size_t v;
			if (!strcmp(name, "default")) {
				uses_default = 1;
				continue;
			}
			for (v = 0; v < lab->n_networks && strcmp(lab->networks[v].name, name); v++)
				;
			const struct lab_mark *nm = lab_ld_network_mark(L, s->name, name);
			if (v == lab->n_networks)
				lab_ld_diag(L, nm ? nm : &s->mark, "service '%s' uses undeclared network '%s'",
					    s->name, name);
		}
	}
	if (!uses_default)
		return;
	for (size_t v = 0; v < lab->n_networks; v++)
		if (!strcmp(lab->networks[v].name, "default"))
			return;
	lab->networks = lab_xrealloc(lab->networks, (lab->n_networks + 1) * sizeof(*lab->networks));
	struct lab_network *w = &lab->networks[lab->n_networks++];
	w->name = lab_xstrdup("default");
	w->external_name = NULL;
	w->mark.file = lab->files.n ? lab->files.v[0] : NULL;
	w->mark.line = 0;
	w->mark.col = 0;
}

void lab_ld_validate(struct lab_ld *L, struct lab *lab)
{
	check_deps_known(L, lab);
	check_cycles(L, lab);
	check_ports(L, lab);
	check_volumes_networks(L, lab);
}
