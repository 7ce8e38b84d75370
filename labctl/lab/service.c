/* One Compose service: node tree -> struct lab_service, with per-value
 * checks. Cross-service checks live in validate.c. */
#include "lab_private.h"

#include "../probe/probe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/index.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const service_keys[] = {
	"image", "build", "command", "entrypoint", "environment", "env_file", "ports",
	"volumes", "networks", "depends_on", "healthcheck", "restart", "deploy", "labels",
	"hostname", "user", "working_dir", "container_name", "scale",
	/* applied to the container as Docker Compose v2 applies them (ld_ctr) */
	"platform", "stop_signal", "stop_grace_period", "tty", "stdin_open", "init",
	"privileged", "cap_add", "cap_drop", "extra_hosts", "dns", "dns_search", "ulimits",
	"shm_size", "tmpfs", "expose", "profiles", "logging", "security_opt", "sysctls",
	"ipc", "pid", "devices", "read_only", "mem_limit", "mem_reservation", "cpus",
	"pull_policy", "domainname", "group_add", "volumes_from",
	"develop", /* warned: docker compose watch's */
	NULL,
};

/* Keys of the Compose Specification's service definition (05-services.md,
 * compose-go v2.16 types.ServiceConfig) that labctl does not apply: each is
 * an error naming it and why, never "unknown key" and never dropped. */
static const struct {
	const char *key, *why;
} unsupported_keys[] = {
	{"network_mode", "a lab's services share its networks"},
	{"secrets", "mount the file with volumes instead"},
	{"configs", "mount the file with volumes instead"},
	{"links", "a legacy link; services reach each other by name on the lab's network"},
	{"external_links", "a legacy link; services reach each other by name on the lab's network"},
	{"pids_limit", "write deploy.resources.limits.pids"},
	{"cgroup", "not applied to the container yet"},
	{"cgroup_parent", "not applied to the container yet"},
	{"cpu_count", "not applied to the container yet"},
	{"cpu_percent", "not applied to the container yet"},
	{"cpu_shares", "not applied to the container yet"},
	{"cpu_period", "not applied to the container yet"},
	{"cpu_quota", "not applied to the container yet"},
	{"cpu_rt_runtime", "not applied to the container yet"},
	{"cpu_rt_period", "not applied to the container yet"},
	{"cpuset", "not applied to the container yet"},
	{"blkio_config", "not applied to the container yet"},
	{"mem_swappiness", "not applied to the container yet"},
	{"memswap_limit", "not applied to the container yet"},
	{"oom_kill_disable", "not applied to the container yet"},
	{"oom_score_adj", "not applied to the container yet"},
	{"storage_opt", "not applied to the container yet"},
	{"device_cgroup_rules", "not applied to the container yet"},
	{"userns_mode", "not applied to the container yet"},
	{"uts", "not applied to the container yet"},
	{"runtime", "not applied to the container yet"},
	{"isolation", "not applied to the container yet"},
	{"mac_address", "not applied to the container yet"},
	{"annotations", "not applied to the container yet"},
	{"credential_spec", "Windows containers only"},
	{"gpus", "device requests, e.g. GPUs"},
	{"attach", "labctl logs shows a service's output"},
	{"label_file", "write labels"},
	{"use_api_socket", "not applied to the container yet"},
	{"post_start", "lifecycle hooks"},
	{"pre_stop", "lifecycle hooks"},
	{"provider", "services run by a provider plugin"},
	{"models", "Docker Model Runner"},
};

static const char *const build_keys[] = {
	"context", "dockerfile", "args", "target", "labels", "cache_from", "cache_to",
	"network", "shm_size", "extra_hosts", "ssh", "secrets", "platforms", "tags",
	"no_cache", "pull", "isolation", "additional_contexts", "dockerfile_inline",
	"privileged", "ulimits", "entitlements", NULL,
};
static const char *const health_keys[] = {
	"test", "interval", "timeout", "start_period", "start_interval", "retries", "disable", NULL,
};
static const char *const deploy_keys[] = {
	"mode", "replicas", "labels", "resources", "restart_policy", "placement",
	"update_config", "rollback_config", "endpoint_mode", NULL,
};
static const char *const dep_keys[] = {"condition", "restart", "required", NULL};
static const char *const port_keys[] = {
	"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol", NULL,
};
static const char *const mount_keys[] = {
	"type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs", NULL,
};
static const char *const svcnet_keys[] = {
	"aliases", "ipv4_address", "ipv6_address", "link_local_ips", "mac_address",
	"priority", "driver_opts", "gw_priority", NULL,
};
static const char *const envfile_keys[] = {"path", "required", "format", NULL};

/* Append "KEY=VALUE"; kv_dedupe later keeps one entry per key. */
static void env_set(struct lab_strv *env, const char *key, const char *value)
{
	lab_strv_pushf(env, "%s=%s", key, value);
}

/* One entry per key in a "KEY=VALUE" list: where a key repeats, the last
 * value takes the first one's place (so env_file entries keep their
 * order and environment: overrides them). Hashed: O(n). */
static void kv_dedupe(struct lab_strv *kv)
{
	struct lab_index ix = LAB_INDEX_INIT;
	size_t keep = 0;
	for (size_t i = 0; i < kv->n; i++) {
		char *e = kv->v[i];
		size_t klen = strcspn(e, "=");
		long at = lab_index_get(&ix, e, klen);
		if (at >= 0) {
			/* the index borrows the kept entry's key: move it to this
			   one before the old entry is freed */
			lab_index_set(&ix, e, klen, (size_t)at);
			free(kv->v[at]);
			kv->v[at] = e;
			continue;
		}
		kv->v[keep] = e;
		lab_index_put(&ix, e, klen, keep);
		keep++;
	}
	kv->n = keep;
	if (kv->v)
		kv->v[keep] = NULL;
	lab_index_free(&ix);
}

/* "KEY=VALUE" or "KEY" (value from the variables; omitted when unset). */
static void env_put(struct lab_ld *L, struct lab_strv *env, const char *entry,
		    const struct lab_mark *m)
{
	const char *eq = strchr(entry, '=');
	if (eq) {
		char *k = lab_xstrndup(entry, (size_t)(eq - entry));
		env_set(env, k, eq + 1);
		free(k);
		return;
	}
	lab_ld_set_mark(L, m);
	const char *v = lab_ld_lookup(entry, L);
	if (v)
		env_set(env, entry, v);
}

/* list of "K=V" / "K", or map K: V / K: null, into out as "K=V". */
void lab_ld_kv_list(struct lab_ld *L, const struct lab_node *n, const char *key, struct lab_strv *out,
		    int from_env)
{
	if (n->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			const char *t = lab_ld_str(L, n->kids[i], key);
			if (!t)
				continue;
			if (from_env)
				env_put(L, out, t, &n->kids[i]->mark);
			else if (strchr(t, '='))
				lab_strv_push(out, t);
			else
				lab_strv_pushf(out, "%s=", t);
		}
		kv_dedupe(out);
		return;
	}
	if (n->kind != LAB_NODE_MAP) {
		lab_ld_diag(L, &n->mark, "expected a mapping or a list for '%s'", key);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *k = n->kids[2 * i]->text;
		const struct lab_node *v = n->kids[2 * i + 1];
		if (lab_node_is_null(v)) {
			if (from_env) {
				env_put(L, out, k, &n->kids[2 * i]->mark);
			} else {
				env_set(out, k, "");
			}
			continue;
		}
		const char *t = lab_ld_str(L, v, k);
		if (t)
			env_set(out, k, t);
	}
	kv_dedupe(out);
}

static int port_num(const char *s, size_t len, int allow0, int *out)
{
	if (len == 0 || len > 5)
		return -1;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !allow0))
		return -1;
	*out = v;
	return 0;
}

/* Short syntax "[HOST_IP:][HOST:]CONTAINER[/PROTO]". Returns 0, -1 (bad
 * spec) or -2 (a port range). */
static int port_short(const char *spec, struct lab_port *p)
{
	int rc = -1;
	char *s = lab_xstrdup(spec);
	char *proto = strrchr(s, '/');
	const char *ip = NULL, *host = NULL, *cont;
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			goto out;
	}
	char *rest = s;
	if (s[0] == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			goto out;
		*close = '\0';
		ip = s + 1;
		rest = close + 2;
		char *c = strrchr(rest, ':');
		if (!c)
			goto out;
		*c = '\0';
		host = rest;
		cont = c + 1;
	} else {
		char *c = strrchr(rest, ':');
		if (c) {
			*c = '\0';
			cont = c + 1;
			char *c2 = strrchr(rest, ':');
			if (c2) {
				*c2 = '\0';
				ip = rest;
				host = c2 + 1;
				if (strchr(ip, ':'))
					goto out;
			} else {
				host = rest;
			}
		} else {
			cont = rest;
		}
	}
	if (strchr(cont, '-') || (host && strchr(host, '-'))) {
		rc = -2;
		goto out;
	}
	if (port_num(cont, strlen(cont), 0, &p->container_port) < 0)
		goto out;
	p->host_port = 0;
	if (host && *host && port_num(host, strlen(host), 1, &p->host_port) < 0)
		goto out;
	if (ip && !*ip)
		goto out;
	p->host_ip = lab_xstrdup(ip ? ip : "127.0.0.1");
	p->protocol = lab_xstrdup(proto ? proto : "tcp");
	rc = 0;
out:
	free(s);
	return rc;
}

static void ld_ports(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "ports") < 0)
		return;
	s->ports = lab_xcalloc(n->n, sizeof(*s->ports));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *e = n->kids[i];
		struct lab_port p = {0};
		p.mark = e->mark;
		if (e->kind == LAB_NODE_SCALAR) {
			int rc = port_short(e->text, &p);
			if (rc == -2)
				lab_ld_diag(L, &e->mark, "port ranges are not supported: '%s'", e->text);
			else if (rc < 0)
				lab_ld_diag(L, &e->mark, "invalid port spec '%s' for 'ports'", e->text);
			if (rc < 0)
				continue;
			if (p.host_port && e->var)
				p.host_var = lab_xstrdup(e->var);
		} else if (e->kind == LAB_NODE_MAP) {
			if (lab_ld_check_keys(L, e, port_keys, 1))
				continue;
			const struct lab_node *t = lab_node_get(e, "target");
			const struct lab_node *pub = lab_node_get(e, "published");
			const struct lab_node *ip = lab_node_get(e, "host_ip");
			const struct lab_node *pr = lab_node_get(e, "protocol");
			const struct lab_node *mode = lab_node_get(e, "mode");
			if (!t) {
				lab_ld_diag(L, &e->mark, "missing 'target' for 'ports'");
				continue;
			}
			const char *ts = lab_ld_str(L, t, "target");
			if (!ts)
				continue;
			if (port_num(ts, strlen(ts), 0, &p.container_port) < 0) {
				lab_ld_diag(L, &t->mark, "invalid port '%s' for 'target'", ts);
				continue;
			}
			if (pub && !lab_node_is_null(pub)) {
				const char *ps = lab_ld_str(L, pub, "published");
				if (!ps)
					continue;
				if (strchr(ps, '-')) {
					lab_ld_diag(L, &pub->mark, "port ranges are not supported: '%s'", ps);
					continue;
				}
				if (port_num(ps, strlen(ps), 1, &p.host_port) < 0) {
					lab_ld_diag(L, &pub->mark, "invalid port '%s' for 'published'", ps);
					continue;
				}
				if (p.host_port && pub->var)
					p.host_var = lab_xstrdup(pub->var);
			}
			const char *ips = ip ? lab_ld_str(L, ip, "host_ip") : "127.0.0.1";
			const char *prs = pr ? lab_ld_str(L, pr, "protocol") : "tcp";
			if (!ips || !prs)
				continue;
			if (strcmp(prs, "tcp") != 0 && strcmp(prs, "udp") != 0) {
				lab_ld_diag(L, &pr->mark, "invalid protocol '%s' for 'protocol'", prs);
				continue;
			}
			if (mode) {
				const char *ms = lab_ld_str(L, mode, "mode");
				if (ms && strcmp(ms, "host") != 0 && strcmp(ms, "ingress") != 0)
					lab_ld_diag(L, &mode->mark, "invalid mode '%s' for 'mode'", ms);
				p.host_mode = ms && strcmp(ms, "host") == 0;
			}
			static const char *const info[] = {"name", "app_protocol"};
			for (size_t j = 0; j < NELEM(info); j++) {
				const struct lab_node *x = lab_node_get(e, info[j]);
				if (x)
					lab_ld_warn(L, &x->mark,
						    "'ports.%s' is ignored (a port's description; Docker Compose does "
						    "not send it to the engine either)",
						    info[j]);
			}
			p.host_ip = lab_xstrdup(ips);
			p.protocol = lab_xstrdup(prs);
		} else {
			lab_ld_diag(L, &e->mark, "expected a string or a mapping for 'ports'");
			continue;
		}
		s->ports[s->n_ports++] = p;
	}
}

/* Compose's rule for service and volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static int valid_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

/* Absolute host path for a bind source written as src in a file in absdir. */
static char *bind_path(const char *absdir, const char *src)
{
	if (src[0] == '~' && (src[1] == '/' || src[1] == '\0')) {
		const char *home = getenv("HOME");
		char *rel = lab_xasprintf("%s%s", home ? home : "/", src + 1);
		char *r = lab_path_join("/", rel);
		free(rel);
		return r;
	}
	return lab_path_join(absdir, src);
}

static int mount_mode(const char *mode, int *ro)
{
	static const char *const ok[] = {
		"rw", "ro", "z", "Z", "nocopy", "cached", "delegated", "consistent",
		"shared", "slave", "private", "rshared", "rslave", "rprivate", NULL,
	};
	char *m = lab_xstrdup(mode), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(m, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; ok[i] && strcmp(ok[i], t) != 0; i++)
			;
		if (!ok[i])
			rc = -1;
		else if (!strcmp(t, "ro"))
			*ro = 1;
		else if (!strcmp(t, "rw"))
			*ro = 0;
	}
	free(m);
	return rc;
}

static void ld_mounts(struct lab_ld *L, const char *absdir, const struct lab_node *n,
		      struct lab_service *s)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "volumes") < 0)
		return;
	s->mounts = lab_xcalloc(n->n, sizeof(*s->mounts));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *e = n->kids[i];
		struct lab_mount m = {0};
		char *src = NULL, *dst = NULL;
		m.mark = e->mark;
		if (e->kind == LAB_NODE_SCALAR) {
			struct lab_strv parts = LAB_STRV_INIT;
			char *copy = lab_xstrdup(e->text), *save = NULL;
			for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
				lab_strv_push(&parts, t);
			free(copy);
			int bad = parts.n == 0 || parts.n > 3 ||
				  (parts.n == 3 && mount_mode(parts.v[2], &m.read_only) < 0);
			if (!bad && parts.n == 1) {
				dst = lab_xstrdup(parts.v[0]);
			} else if (!bad) {
				src = lab_xstrdup(parts.v[0]);
				dst = lab_xstrdup(parts.v[1]);
			}
			lab_strv_free(&parts);
			if (bad) {
				lab_ld_diag(L, &e->mark, "invalid volume spec '%s' for 'volumes'", e->text);
				continue;
			}
			if (!src)
				m.type = LAB_MOUNT_ANON;
			else if (strchr("./~", src[0]))
				m.type = LAB_MOUNT_BIND;
			else
				m.type = LAB_MOUNT_VOLUME;
		} else if (e->kind == LAB_NODE_MAP) {
			if (lab_ld_check_keys(L, e, mount_keys, 1))
				continue;
			const struct lab_node *ty = lab_node_get(e, "type");
			const struct lab_node *so = lab_node_get(e, "source");
			const struct lab_node *ta = lab_node_get(e, "target");
			const struct lab_node *ro = lab_node_get(e, "read_only");
			const char *tys = ty ? lab_ld_str(L, ty, "type") : "volume";
			if (!tys)
				continue;
			if (!strcmp(tys, "bind")) {
				m.type = LAB_MOUNT_BIND;
			} else if (!strcmp(tys, "volume")) {
				m.type = LAB_MOUNT_VOLUME;
			} else {
				lab_ld_diag(L, &ty->mark, "mount type '%s' is not supported", tys);
				continue;
			}
			if (!ta) {
				lab_ld_diag(L, &e->mark, "missing 'target' for 'volumes'");
				continue;
			}
			const char *tas = lab_ld_str(L, ta, "target");
			const char *sos = so && !lab_node_is_null(so) ? lab_ld_str(L, so, "source") : NULL;
			if (!tas || (so && !lab_node_is_null(so) && !sos))
				continue;
			if (ro && lab_ld_bool(L, ro, "read_only", &m.read_only) < 0)
				continue;
			const struct lab_node *cons = lab_node_get(e, "consistency");
			if (cons)
				lab_ld_warn(L, &cons->mark,
					    "'volumes.consistency' is ignored (Docker Desktop's; Docker Compose and "
					    "the engine on Linux ignore it too)");
			/* bind: / volume: / tmpfs: options: none is applied; an empty
			   mapping (docker compose config prints `bind: {}`) is fine */
			static const char *const opts[] = {"bind", "volume", "tmpfs"};
			int bad = 0;
			for (size_t j = 0; j < NELEM(opts); j++) {
				const struct lab_node *x = lab_node_get(e, opts[j]);
				if (!x || lab_node_is_null(x) || (x->kind == LAB_NODE_MAP && x->n == 0))
					continue;
				const struct lab_node *at = x->kind == LAB_NODE_MAP ? x->kids[0] : x;
				lab_ld_diag(L, &at->mark,
					    "'volumes.%s%s%s' is not supported by labctl (mounts are made with "
					    "type, source, target and read_only only)",
					    opts[j], x->kind == LAB_NODE_MAP ? "." : "",
					    x->kind == LAB_NODE_MAP ? x->kids[0]->text : "");
				bad = 1;
			}
			if (bad)
				continue;
			if (!sos && m.type == LAB_MOUNT_BIND) {
				lab_ld_diag(L, &e->mark, "missing 'source' for a bind mount");
				continue;
			}
			if (!sos)
				m.type = LAB_MOUNT_ANON;
			src = lab_xstrdup(sos);
			dst = lab_xstrdup(tas);
		} else {
			lab_ld_diag(L, &e->mark, "expected a string or a mapping for 'volumes'");
			continue;
		}
		if (dst[0] != '/') {
			lab_ld_diag(L, &e->mark, "invalid mount target '%s': must be an absolute path", dst);
			free(src);
			free(dst);
			continue;
		}
		if (m.type == LAB_MOUNT_VOLUME && !valid_name(src)) {
			lab_ld_diag(L, &e->mark, "invalid volume name '%s'", src);
			free(src);
			free(dst);
			continue;
		}
		if (m.type == LAB_MOUNT_BIND) {
			m.source = bind_path(absdir, src);
			free(src);
		} else {
			m.source = src;
		}
		m.target = dst;
		s->mounts[s->n_mounts++] = m;
	}
}

static void ld_build(struct lab_ld *L, const char *absdir, const struct lab_node *n,
		     struct lab_service *s)
{
	const char *ctx = ".", *df = "Dockerfile";
	const struct lab_node *ctxn = n;
	if (n->kind == LAB_NODE_MAP) {
		if (lab_ld_check_keys(L, n, build_keys, 1))
			return;
		const struct lab_node *c = lab_node_get(n, "context");
		const struct lab_node *d = lab_node_get(n, "dockerfile");
		const struct lab_node *a = lab_node_get(n, "args");
		const struct lab_node *t = lab_node_get(n, "target");
		const struct lab_node *lb = lab_node_get(n, "labels");
		if (c && !(ctx = lab_ld_str(L, c, "context")))
			return;
		if (c)
			ctxn = c;
		if (d && !(df = lab_ld_str(L, d, "dockerfile")))
			return;
		if (!*df) /* empty (an unset ${VAR}): the default, as in Compose */
			df = "Dockerfile";
		if (a)
			lab_ld_kv_list(L, a, "args", &s->build_args, 1);
		if (t) {
			const char *ts = lab_ld_str(L, t, "target");
			if (ts)
				s->build_target = lab_xstrdup(ts);
		}
		if (lb)
			lab_ld_kv_list(L, lb, "labels", &s->ctr.build_labels, 0);
		/* accepted by the schema, not sent by labctl's builds: refused,
		   never dropped (a build without them is another build) */
		for (size_t i = 0; i < n->n; i++) {
			const char *k = n->kids[2 * i]->text;
			if (strncmp(k, "x-", 2) == 0 || !strcmp(k, "context") || !strcmp(k, "dockerfile") ||
			    !strcmp(k, "args") || !strcmp(k, "target") || !strcmp(k, "labels"))
				continue;
			lab_ld_diag(L, &n->kids[2 * i]->mark,
				    "'build.%s' is not supported by labctl (its builds send the context, "
				    "dockerfile, args, target and labels only)",
				    k);
		}
	} else if (!(ctx = lab_ld_str(L, n, "build"))) {
		return;
	}
	s->has_build = 1;
	s->build_dockerfile = lab_xstrdup(df);
	if (strstr(ctx, "://") || strncmp(ctx, "git@", 4) == 0) {
		s->build_context = lab_xstrdup(ctx);
		return;
	}
	s->build_context = lab_path_join(absdir, ctx);
	struct stat st;
	if (stat(s->build_context, &st) < 0 || !S_ISDIR(st.st_mode)) {
		lab_ld_diag(L, &ctxn->mark, "build context '%s' does not exist", ctx);
		return;
	}
	char *dfp = lab_path_join(s->build_context, df);
	if (stat(dfp, &st) < 0 || !S_ISREG(st.st_mode))
		lab_ld_diag(L, &ctxn->mark, "Dockerfile '%s' not found in build context '%s'", df, ctx);
	free(dfp);
}

static void ld_command(struct lab_ld *L, const struct lab_node *n, const char *key,
		       struct lab_strv *out, int *has)
{
	if (lab_node_is_null(n))
		return;
	if (n->kind == LAB_NODE_SCALAR) {
		if (lab_shell_split(out, n->text) < 0)
			lab_ld_diag(L, &n->mark, "unterminated quote in '%s'", key);
		*has = 1;
		return;
	}
	if (lab_ld_strlist(L, n, key, 0, out) == 0)
		*has = 1;
}

static void ld_env_file(struct lab_ld *L, const char *absdir, const struct lab_node *n,
			struct lab_service *s)
{
	const struct lab_node *one = n;
	size_t count = n->kind == LAB_NODE_SEQ ? n->n : 1;
	if (n->kind == LAB_NODE_MAP) {
		lab_ld_diag(L, &n->mark, "expected a string or a list for 'env_file'");
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (n->kind == LAB_NODE_SEQ)
			one = n->kids[i];
		const struct lab_node *pn = one;
		int required = 1;
		if (one->kind == LAB_NODE_MAP) {
			if (lab_ld_check_keys(L, one, envfile_keys, 0))
				continue;
			pn = lab_node_get(one, "path");
			const struct lab_node *rq = lab_node_get(one, "required");
			if (!pn) {
				lab_ld_diag(L, &one->mark, "missing 'path' for 'env_file'");
				continue;
			}
			if (rq && lab_ld_bool(L, rq, "required", &required) < 0)
				continue;
			const struct lab_node *fm = lab_node_get(one, "format");
			const char *fms = fm ? lab_ld_str(L, fm, "format") : NULL;
			if (fm && !fms)
				continue;
			if (fms && *fms) { /* "raw": values as written, no quotes undone */
				lab_ld_diag(L, &fm->mark,
					    "'env_file.format: %s' is not supported by labctl (env files are read "
					    "in the .env format)",
					    fms);
				continue;
			}
		}
		const char *path = lab_ld_str(L, pn, "env_file");
		if (!path)
			continue;
		char *full = lab_path_join(absdir, path), *msg = NULL;
		struct lab_strv lines = LAB_STRV_INIT;
		int line = 0;
		/* a regular file of at most LAB_FILE_MAX bytes: never a FIFO,
		   /dev/zero or a directory */
		int rc = lab_dotenv_parse(&lines, full, &line, &msg);
		if (rc == LAB_ENOTFOUND) {
			if (required)
				lab_ld_diag(L, &pn->mark, "env file '%s' not found", path);
		} else if (rc && line) {
			lab_ld_diag(L, &pn->mark, "env file '%s': line %d: %s", path, line, msg);
		} else if (rc) {
			lab_ld_diag(L, &pn->mark, "env file '%s' %s", path, msg);
		} else {
			for (size_t j = 0; j < lines.n; j++)
				env_put(L, &s->environment, lines.v[j], &pn->mark);
			kv_dedupe(&s->environment);
		}
		free(msg);
		free(full);
		lab_strv_free(&lines);
	}
}

static void ld_networks(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	if (n->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			const char *t = lab_ld_str(L, n->kids[i], "networks");
			if (t) {
				lab_strv_push(&s->networks, t);
				lab_ld_note_network(L, s->name, t, &n->kids[i]->mark);
			}
		}
		return;
	}
	if (lab_ld_want(L, n, LAB_NODE_MAP, "networks") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *v = n->kids[2 * i + 1];
		lab_strv_push(&s->networks, n->kids[2 * i]->text);
		lab_ld_note_network(L, s->name, n->kids[2 * i]->text, &n->kids[2 * i]->mark);
		if (lab_node_is_null(v))
			continue;
		if (lab_ld_want(L, v, LAB_NODE_MAP, n->kids[2 * i]->text) < 0)
			continue;
		if (lab_ld_check_keys(L, v, svcnet_keys, 1))
			continue;
		const struct lab_node *al = lab_node_get(v, "aliases");
		if (al) {
			struct lab_strv names = LAB_STRV_INIT;
			lab_ld_strlist(L, al, "aliases", 0, &names);
			for (size_t j = 0; j < names.n; j++)
				lab_strv_pushf(&s->ctr.net_aliases, "%s=%s", n->kids[2 * i]->text, names.v[j]);
			lab_strv_free(&names);
		}
		static const char *const unsupported[] = {"ipv4_address", "ipv6_address", "link_local_ips",
							  "mac_address", "priority", "driver_opts", "gw_priority"};
		for (size_t j = 0; j < NELEM(unsupported); j++) {
			const struct lab_node *x = lab_node_get(v, unsupported[j]);
			if (x)
				lab_ld_diag(L, &x->mark,
					    "'%s' is not supported by labctl (of a service's network only 'aliases' is)",
					    unsupported[j]);
		}
	}
}

static void ld_depends(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	if (n->kind == LAB_NODE_SEQ) {
		s->deps = lab_xcalloc(n->n, sizeof(*s->deps));
		for (size_t i = 0; i < n->n; i++) {
			const char *t = lab_ld_str(L, n->kids[i], "depends_on");
			if (!t)
				continue;
			struct lab_dep *d = &s->deps[s->n_deps++];
			d->service = lab_xstrdup(t);
			d->condition = LAB_DEP_STARTED;
			d->mark = n->kids[i]->mark;
		}
		return;
	}
	if (n->kind != LAB_NODE_MAP) {
		lab_ld_diag(L, &n->mark, "expected a mapping or a list for 'depends_on'");
		return;
	}
	s->deps = lab_xcalloc(n->n, sizeof(*s->deps));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		enum lab_dep_condition cond = LAB_DEP_STARTED;
		int optional = 0, dep_restart = 0;
		if (!lab_node_is_null(v)) {
			if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0)
				continue;
			if (lab_ld_check_keys(L, v, dep_keys, 1))
				continue;
			const struct lab_node *c = lab_node_get(v, "condition");
			const struct lab_node *r = lab_node_get(v, "restart");
			const struct lab_node *rq = lab_node_get(v, "required");
			int restart = 0, required = 1;
			if (r && lab_ld_bool(L, r, "restart", &restart) < 0)
				continue;
			if (rq && lab_ld_bool(L, rq, "required", &required) < 0)
				continue;
			optional = !required;
			dep_restart = restart;
			const char *cs = c ? lab_ld_str(L, c, "condition") : "service_started";
			if (!cs)
				continue;
			if (!strcmp(cs, "service_started")) {
				cond = LAB_DEP_STARTED;
			} else if (!strcmp(cs, "service_healthy")) {
				cond = LAB_DEP_HEALTHY;
			} else if (!strcmp(cs, "service_completed_successfully")) {
				cond = LAB_DEP_COMPLETED;
			} else {
				lab_ld_diag(L, &c->mark,
					    "invalid condition '%s' for 'depends_on' (expected "
					    "service_started, service_healthy or "
					    "service_completed_successfully)",
					    cs);
				continue;
			}
		}
		struct lab_dep *d = &s->deps[s->n_deps++];
		d->service = lab_xstrdup(k->text);
		d->condition = cond;
		d->optional = optional;
		d->restart = dep_restart;
		d->mark = k->mark;
	}
}

static void ld_healthcheck(struct lab_ld *L, const struct lab_node *n, struct lab_healthcheck *h)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "healthcheck") < 0)
		return;
	if (lab_ld_check_keys(L, n, health_keys, 1))
		return;
	h->present = 1;
	const struct lab_node *t = lab_node_get(n, "test");
	if (t && t->kind == LAB_NODE_SCALAR) {
		const char *ts = lab_ld_str(L, t, "test");
		if (ts) {
			lab_strv_push(&h->test, "CMD-SHELL");
			lab_strv_push(&h->test, ts);
		}
	} else if (t && lab_ld_strlist(L, t, "test", 0, &h->test) == 0) {
		if (h->test.n == 0 || (strcmp(h->test.v[0], "CMD") != 0 &&
				       strcmp(h->test.v[0], "CMD-SHELL") != 0 &&
				       strcmp(h->test.v[0], "NONE") != 0))
			lab_ld_diag(L, &t->mark,
				    "healthcheck 'test' must start with 'CMD', 'CMD-SHELL' or 'NONE'");
		else if (!strcmp(h->test.v[0], "NONE"))
			h->disable = 1;
		else if (h->test.n == 1)
			/* Compose spec: "If it's CMD, the rest of the command is
			   exec'd; if it's CMD-SHELL, the rest is run in the shell":
			   with no rest the check can never pass */
			lab_ld_diag(L, &t->mark, "healthcheck 'test' needs a command after '%s'", h->test.v[0]);
	}
	const struct lab_node *x;
	long ms, r;
	if ((x = lab_node_get(n, "interval")) && lab_ld_duration(L, x, "interval", &ms) == 0)
		h->interval_ms = ms;
	if ((x = lab_node_get(n, "timeout")) && lab_ld_duration(L, x, "timeout", &ms) == 0)
		h->timeout_ms = ms;
	if ((x = lab_node_get(n, "start_period")) && lab_ld_duration(L, x, "start_period", &ms) == 0)
		h->start_period_ms = ms;
	if ((x = lab_node_get(n, "start_interval")) && lab_ld_duration(L, x, "start_interval", &ms) == 0)
		/* HealthConfig.StartInterval is Engine API 1.44; labctl speaks
		   1.41, and an engine of that API (Debian's 20.10) ignores the
		   field Docker Compose sends */
		lab_ld_warn(L, &x->mark,
			    "'healthcheck.start_interval' is ignored (Engine API 1.44; labctl uses 1.41, "
			    "where the engine ignores it too)");
	if ((x = lab_node_get(n, "retries")) && lab_ld_int(L, x, "retries", &r) == 0) {
		if (r < 0 || r > 1000000)
			lab_ld_diag(L, &x->mark, "invalid retries '%s' for 'retries'", x->text);
		else
			h->retries = (int)r;
	}
	int dis = 0;
	if ((x = lab_node_get(n, "disable")) && lab_ld_bool(L, x, "disable", &dis) == 0 && dis)
		h->disable = 1;
}

static void ld_replicas(struct lab_ld *L, const struct lab_node *x, const char *key,
			struct lab_service *s)
{
	long v;
	char *end = NULL;
	if (x->kind != LAB_NODE_SCALAR || (x->quoted && !x->interp)) {
		lab_ld_diag(L, &x->mark, "expected an integer for '%s'", key);
		return;
	}
	v = strtol(x->text, &end, 10);
	if (!*x->text || *end || v < 0 || v > 1000) {
		lab_ld_diag(L, &x->mark,
			    "invalid replicas '%s' for '%s': must be a non-negative integer", x->text, key);
		return;
	}
	s->replicas = (int)v;
}

/* deploy.placement (Compose spec "placement"): constraints, preferences
 * [{spread: X}], max_replicas_per_node; up --swarm sends them as the
 * service's TaskTemplate.Placement (Engine API v1.41 ServiceSpec). */
static void ld_placement(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	static const char *const keys[] = {"constraints", "preferences", "max_replicas_per_node", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, "placement") < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	const struct lab_node *c = lab_node_get(n, "constraints"), *p = lab_node_get(n, "preferences"),
			      *m = lab_node_get(n, "max_replicas_per_node");
	if (c && lab_ld_want(L, c, LAB_NODE_SEQ, "constraints") == 0)
		for (size_t i = 0; i < c->n; i++) {
			const char *v = lab_ld_str(L, c->kids[i], "constraints");
			if (!v)
				continue;
			if (!strstr(v, "==") && !strstr(v, "!="))
				lab_ld_diag(L, &c->kids[i]->mark,
					    "invalid constraint '%s' (expected ATTRIBUTE==VALUE or ATTRIBUTE!=VALUE)", v);
			else
				lab_strv_push(&s->swarm.constraints, v);
		}
	if (p && lab_ld_want(L, p, LAB_NODE_SEQ, "preferences") == 0)
		for (size_t i = 0; i < p->n; i++) {
			static const char *const pkeys[] = {"spread", NULL};
			const struct lab_node *e = p->kids[i];
			if (lab_ld_want(L, e, LAB_NODE_MAP, "preferences") < 0 || lab_ld_check_keys(L, e, pkeys, 0))
				continue;
			const struct lab_node *sp = lab_node_get(e, "spread");
			const char *v = sp ? lab_ld_str(L, sp, "spread") : NULL;
			if (v)
				lab_strv_push(&s->swarm.spread, v);
		}
	long v = 0;
	if (m && lab_ld_int(L, m, "max_replicas_per_node", &v) == 0) {
		if (v < 0 || v > LAB_SCALE_MAX)
			lab_ld_diag(L, &m->mark, "invalid max_replicas_per_node %ld (0 to %d)", v, LAB_SCALE_MAX);
		else
			s->swarm.max_per_node = (int)v;
	}
}

/* deploy.update_config and deploy.rollback_config (Compose spec "Deploy
 * Specification"): parallelism, delay, monitor, max_failure_ratio, order,
 * failure_action -> ServiceSpec.UpdateConfig / RollbackConfig. A rollback
 * cannot itself roll back: its failure_action is continue or pause. */
static void ld_update_config(struct lab_ld *L, const struct lab_node *n, const char *key, struct lab_swarm_update *u)
{
	static const char *const keys[] = {"parallelism", "delay", "failure_action", "monitor",
					   "max_failure_ratio", "order", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, key) < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	u->given = 1;
	const struct lab_node *x;
	long v = 0;
	if ((x = lab_node_get(n, "parallelism")) && lab_ld_int(L, x, "parallelism", &v) == 0) {
		if (v < 0 || v > LAB_SCALE_MAX)
			lab_ld_diag(L, &x->mark, "invalid parallelism %ld (0 to %d)", v, LAB_SCALE_MAX);
		else
			u->parallelism = (int)v;
	}
	if ((x = lab_node_get(n, "delay")))
		lab_ld_duration(L, x, "delay", &u->delay_ms);
	if ((x = lab_node_get(n, "monitor")))
		lab_ld_duration(L, x, "monitor", &u->monitor_ms);
	const char *t;
	if ((x = lab_node_get(n, "max_failure_ratio")) && (t = lab_ld_str(L, x, "max_failure_ratio"))) {
		char *end = NULL;
		double r = strtod(t, &end);
		if (!*t || *end || !(r >= 0 && r <= 1))
			lab_ld_diag(L, &x->mark, "invalid max_failure_ratio '%s' (a number from 0 to 1)", t);
		else
			u->max_failure_ratio = r;
	}
	if ((x = lab_node_get(n, "order")) && (t = lab_ld_str(L, x, "order"))) {
		if (strcmp(t, "start-first") != 0 && strcmp(t, "stop-first") != 0)
			lab_ld_diag(L, &x->mark, "invalid order '%s' (start-first or stop-first)", t);
		else
			u->order = lab_xstrdup(t);
	}
	int rollback = strcmp(key, "rollback_config") == 0;
	if ((x = lab_node_get(n, "failure_action")) && (t = lab_ld_str(L, x, "failure_action"))) {
		if (strcmp(t, "continue") != 0 && strcmp(t, "pause") != 0 && (rollback || strcmp(t, "rollback") != 0))
			lab_ld_diag(L, &x->mark, "invalid failure_action '%s' (continue, pause%s)", t,
				    rollback ? "" : " or rollback");
		else
			u->failure_action = lab_xstrdup(t);
	}
}

static void ld_deploy(struct lab_ld *L, const struct lab_node *n, struct lab_service *s,
		      const struct lab_node *svc)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "deploy") < 0)
		return;
	if (lab_ld_check_keys(L, n, deploy_keys, 1))
		return;
	const struct lab_node *x;
	if ((x = lab_node_get(n, "replicas")))
		ld_replicas(L, x, "replicas", s);
	if ((x = lab_node_get(n, "mode"))) {
		const char *m = lab_ld_str(L, x, "mode");
		if (m && strcmp(m, "replicated") != 0 && strcmp(m, "global") != 0)
			lab_ld_diag(L, &x->mark, "invalid mode '%s' for 'mode'", m);
		s->swarm.global = m && strcmp(m, "global") == 0;
	}
	if ((x = lab_node_get(n, "resources")))
		lab_ld_deploy_resources(L, x, s, svc);
	if ((x = lab_node_get(n, "restart_policy")))
		lab_ld_deploy_restart(L, x, s);
	if ((x = lab_node_get(n, "placement")))
		ld_placement(L, x, s);
	if ((x = lab_node_get(n, "update_config")))
		ld_update_config(L, x, "update_config", &s->swarm.update);
	if ((x = lab_node_get(n, "rollback_config")))
		ld_update_config(L, x, "rollback_config", &s->swarm.rollback);
	if ((x = lab_node_get(n, "labels")))
		lab_ld_kv_list(L, x, "labels", &s->swarm.labels, 0);
	if ((x = lab_node_get(n, "endpoint_mode"))) {
		const char *m = lab_ld_str(L, x, "endpoint_mode");
		if (m && strcmp(m, "vip") != 0 && strcmp(m, "dnsrr") != 0)
			lab_ld_diag(L, &x->mark, "invalid endpoint_mode '%s' (vip or dnsrr)", m);
		s->swarm.dnsrr = m && strcmp(m, "dnsrr") == 0;
	}
	/* Swarm's; Docker Compose v2 does not look at them (up --swarm does) */
	static const char *const swarm[] = {"labels", "placement", "update_config", "rollback_config",
					    "endpoint_mode"};
	for (size_t i = 0; i < NELEM(swarm); i++)
		if ((x = lab_node_get(n, swarm[i])))
			lab_ld_warn_swarm(L, &x->mark,
					  "'deploy.%s' is ignored without Swarm (Docker Compose ignores it too; "
					  "up --swarm applies it)",
					  swarm[i]);
}

int lab_ld_port(struct lab_ld *L, const struct lab_node *n, const char *key, int *port)
{
	const char *t = lab_ld_str(L, n, key);
	if (!t)
		return -1;
	if (port_num(t, strlen(t), 0, port) < 0) {
		lab_ld_diag(L, &n->mark, "invalid port '%s' for '%s'", t, key);
		return -1;
	}
	return 0;
}

/* x-ready: each key but timeout is a probe kind of the registry, which
 * parses its own value. */
static void ld_ready(struct lab_ld *L, const struct lab_node *key, const struct lab_node *n,
		     struct lab_ready *r)
{
	r->mark = key->mark;
	if (lab_ld_want(L, n, LAB_NODE_MAP, "x-ready") < 0)
		return;
	const char *keys[32];
	size_t nk = 0;
	for (size_t i = 0; lab_probe_kinds[i] && nk < NELEM(keys) - 2; i++)
		keys[nk++] = lab_probe_kinds[i]->name;
	keys[nk++] = "timeout";
	keys[nk] = NULL;
	if (lab_ld_check_keys(L, n, keys, 0))
		return;
	for (size_t i = 0; lab_probe_kinds[i]; i++) {
		const struct lab_probe_kind *kind = lab_probe_kinds[i];
		for (size_t j = 0; j < n->n; j++) {
			const struct lab_node *k = n->kids[2 * j], *v = n->kids[2 * j + 1];
			if (strcmp(k->text, kind->name) != 0)
				continue;
			void *cfg = NULL;
			kind->parse(&cfg, L, v);
			if (cfg)
				lab_ready_add(r, kind, cfg, &k->mark);
		}
	}
	const struct lab_node *x;
	long ms;
	if ((x = lab_node_get(n, "timeout")) && lab_ld_duration(L, x, "timeout", &ms) == 0)
		r->timeout_ms = ms;
}

/* S3 bucket naming rules (AWS "Bucket naming rules"): 3-63 characters of
 * [a-z0-9.-], starting and ending with a letter or digit. */
int lab_ld_bucket_name_ok(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-'))
			return 0;
	return 1;
}

static void ld_buckets(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "x-buckets") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *b = n->kids[i];
		const char *name = lab_ld_str(L, b, "x-buckets");
		if (!name)
			continue;
		if (!lab_ld_bucket_name_ok(name))
			lab_ld_diag(L, &b->mark, "invalid bucket name '%s': 3-63 characters of a-z, 0-9, '.' and '-'",
				    name);
		else
			lab_strv_push(&s->buckets, name);
	}
}

/* x-ui: {port, path} */
static void ld_ui(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	static const char *const ui_keys[] = {"port", "path", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, "x-ui") < 0 || lab_ld_check_keys(L, n, ui_keys, 0))
		return;
	const struct lab_node *p = lab_node_get(n, "port"), *pa = lab_node_get(n, "path");
	if (!p) {
		lab_ld_diag(L, &n->mark, "missing 'port' for 'x-ui'");
		return;
	}
	const char *path = pa ? lab_ld_str(L, pa, "path") : "/";
	if (pa && path && path[0] != '/') {
		lab_ld_diag(L, &pa->mark, "invalid path '%s' for 'x-ui': must begin with '/'", path);
		return;
	}
	if (lab_ld_port(L, p, "port", &s->ui_port) < 0 || !path)
		return;
	free(s->ui_path);
	s->ui_path = lab_xstrdup(path);
}

static void set_str(struct lab_ld *L, const struct lab_node *v, const char *key, char **dst)
{
	const char *t = lab_ld_str(L, v, key);
	if (t)
		*dst = lab_xstrdup(t);
}

/* How long up waits for s to be ready when x-ready gives no timeout (ms):
 * 120 s; for a service gated by its own healthcheck (no x-ready probes),
 * the time Docker takes to call it unhealthy when that is longer:
 * start_period + retries x (interval + timeout), each unset one at the
 * Engine's default (0, 3, 30 s, 30 s: Engine API v1.41 HealthConfig). So
 * a compose file whose healthcheck allows pgAdmin 3 minutes gets them, as
 * under `docker compose up --wait`. */
static long default_ready_timeout(const struct lab_service *s)
{
	const long floor_ms = 120000;
	const struct lab_healthcheck *h = &s->healthcheck;
	if (s->ready.n_probes || !h->present || h->disable || !h->test.n)
		return floor_ms;
	long interval = h->interval_ms > 0 ? h->interval_ms : 30000;
	long timeout = h->timeout_ms > 0 ? h->timeout_ms : 30000;
	long retries = h->retries > 0 ? h->retries : 3;
	long allowed = h->start_period_ms + retries * (interval + timeout);
	return allowed > floor_ms ? allowed : floor_ms;
}

void lab_ld_service(struct lab_ld *L, const char *absdir, const struct lab_node *key,
		    const struct lab_node *val, struct lab_service *s)
{
	const struct lab_node *x;
	s->name = lab_xstrdup(key->text);
	s->mark = key->mark;
	s->replicas = 1;
	s->ready.timeout_ms = 0; /* default_ready_timeout when x-ready gives none */
	s->ready.mark = key->mark;
	if (!valid_name(key->text))
		lab_ld_diag(L, &key->mark,
			    "invalid service name '%s': must start with a letter or digit and "
			    "contain only letters, digits, '_', '.' and '-'",
			    key->text);
	if (lab_node_is_null(val)) {
		lab_ld_diag(L, &key->mark, "service '%s' has neither image nor build", key->text);
		return;
	}
	if (lab_ld_want(L, val, LAB_NODE_MAP, key->text) < 0)
		return;
	{
		const char *all[NELEM(service_keys) + NELEM(unsupported_keys)];
		size_t na = 0;
		for (size_t i = 0; service_keys[i]; i++)
			all[na++] = service_keys[i];
		for (size_t i = 0; i < NELEM(unsupported_keys); i++)
			all[na++] = unsupported_keys[i].key;
		all[na] = NULL;
		lab_ld_check_keys(L, val, all, 1);
		for (size_t i = 0; i < val->n; i++)
			for (size_t j = 0; j < NELEM(unsupported_keys); j++)
				if (!strcmp(val->kids[2 * i]->text, unsupported_keys[j].key))
					lab_ld_diag(L, &val->kids[2 * i]->mark, "'%s' is not supported by labctl (%s)",
						    unsupported_keys[j].key, unsupported_keys[j].why);
		const struct lab_node *dev = lab_node_get(val, "develop");
		if (dev)
			lab_ld_warn(L, &dev->mark, "'develop' is ignored (docker compose watch's; up ignores it too)");
	}
	for (size_t i = 0; i < val->n; i++) {
		const struct lab_node *k = val->kids[2 * i], *v = val->kids[2 * i + 1];
		const char *kt = k->text;
		if (!strcmp(kt, "x-ready"))
			ld_ready(L, k, v, &s->ready);
		else if (!strcmp(kt, "x-buckets"))
			ld_buckets(L, v, s);
		else if (!strcmp(kt, "x-ui"))
			ld_ui(L, v, s);
		else if (!strcmp(kt, "image"))
			set_str(L, v, kt, &s->image);
		else if (!strcmp(kt, "build"))
			ld_build(L, absdir, v, s);
		else if (!strcmp(kt, "command"))
			ld_command(L, v, kt, &s->command, &s->has_command);
		else if (!strcmp(kt, "entrypoint"))
			ld_command(L, v, kt, &s->entrypoint, &s->has_entrypoint);
		else if (!strcmp(kt, "ports"))
			ld_ports(L, v, s);
		else if (!strcmp(kt, "volumes"))
			ld_mounts(L, absdir, v, s);
		else if (!strcmp(kt, "networks"))
			ld_networks(L, v, s);
		else if (!strcmp(kt, "depends_on"))
			ld_depends(L, v, s);
		else if (!strcmp(kt, "healthcheck"))
			ld_healthcheck(L, v, &s->healthcheck);
		else if (!strcmp(kt, "deploy"))
			ld_deploy(L, v, s, val);
		else if (!strcmp(kt, "scale"))
			ld_replicas(L, v, kt, s);
		else if (!strcmp(kt, "labels"))
			lab_ld_kv_list(L, v, kt, &s->labels, 0);
		else if (!strcmp(kt, "hostname"))
			set_str(L, v, kt, &s->hostname);
		else if (!strcmp(kt, "user"))
			set_str(L, v, kt, &s->user);
		else if (!strcmp(kt, "working_dir"))
			set_str(L, v, kt, &s->working_dir);
		else if (!strcmp(kt, "container_name"))
			set_str(L, v, kt, &s->container_name);
		else if (!strcmp(kt, "restart")) {
			const char *r = lab_ld_str(L, v, kt);
			const char *n = r && !strncmp(r, "on-failure:", 11) ? r + 11 : NULL;
			int ok = r && (!strcmp(r, "no") || !strcmp(r, "always") ||
				       !strcmp(r, "unless-stopped") || !strcmp(r, "on-failure"));
			if (n && *n && strspn(n, "0123456789") == strlen(n))
				ok = 1;
			const struct lab_node *dp = lab_node_get(val, "deploy");
			if (r && !ok)
				lab_ld_diag(L, &v->mark, "invalid restart policy '%s' for 'restart'", r);
			else if (r && !lab_node_get(dp, "restart_policy")) /* Compose: deploy's wins */
				s->restart = lab_xstrdup(r);
		} else
			lab_ld_ctr_key(L, absdir, k, v, s);
	}
	/* environment: env_file entries first, then environment: */
	if ((x = lab_node_get(val, "env_file")))
		ld_env_file(L, absdir, x, s);
	if ((x = lab_node_get(val, "environment")) && !lab_node_is_null(x))
		lab_ld_kv_list(L, x, "environment", &s->environment, 1);
	/* volumes_from a service: it is depended on (compose-go normalize) */
	for (size_t i = 0; i < s->ctr.volumes_from.n; i++) {
		const char *t = s->ctr.volumes_from.v[i];
		if (!strncmp(t, "container:", 10))
			continue;
		size_t len = strcspn(t, ":");
		size_t j;
		for (j = 0; j < s->n_deps && !(strlen(s->deps[j].service) == len && !strncmp(s->deps[j].service, t, len)); j++)
			;
		if (j < s->n_deps)
			continue;
		s->deps = lab_xrealloc(s->deps, (s->n_deps + 1) * sizeof(*s->deps));
		struct lab_dep *d = &s->deps[s->n_deps++];
		memset(d, 0, sizeof(*d));
		d->service = lab_xstrndup(t, len);
		d->condition = LAB_DEP_STARTED;
		d->mark = lab_node_get(val, "volumes_from")->mark;
	}
	if (!lab_node_get(val, "image") && !lab_node_get(val, "build"))
		lab_ld_diag(L, &key->mark, "service '%s' has neither image nor build", key->text);
	if (s->container_name && s->replicas > 1)
		lab_ld_diag(L, &lab_node_get(val, "container_name")->mark,
			    "service '%s' sets container_name but has %d replicas", s->name,
			    s->replicas);
	if (!s->ready.timeout_ms)
		s->ready.timeout_ms = default_ready_timeout(s);
}

void lab_service_clear(struct lab_service *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->image);
	free(s->build_context);
	free(s->build_dockerfile);
	lab_strv_free(&s->build_args);
	free(s->build_target);
	lab_strv_free(&s->command);
	lab_strv_free(&s->entrypoint);
	lab_strv_free(&s->environment);
	for (size_t i = 0; i < s->n_ports; i++) {
		free(s->ports[i].host_ip);
		free(s->ports[i].host_var);
		free(s->ports[i].protocol);
	}
	free(s->ports);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].source);
		free(s->mounts[i].target);
	}
	free(s->mounts);
	lab_strv_free(&s->networks);
	for (size_t i = 0; i < s->n_deps; i++)
		free(s->deps[i].service);
	free(s->deps);
	lab_strv_free(&s->healthcheck.test);
	lab_ready_clear(&s->ready);
	lab_strv_free(&s->buckets);
	free(s->restart);
	lab_strv_free(&s->labels);
	free(s->hostname);
	free(s->user);
	free(s->working_dir);
	free(s->ui_path);
	free(s->container_name);
	lab_strv_free(&s->swarm.constraints);
	lab_strv_free(&s->swarm.spread);
	lab_strv_free(&s->swarm.labels);
	free(s->swarm.update.order);
	free(s->swarm.update.failure_action);
	free(s->swarm.rollback.order);
	free(s->swarm.rollback.failure_action);
	lab_ctr_opts_clear(&s->ctr);
	lab_strv_free(&s->profiles);
}
