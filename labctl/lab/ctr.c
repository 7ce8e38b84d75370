/* Service keys that become container settings (struct lab_ctr_opts): read
 * as compose-go v2.16 reads them, so that labctl sends the engine what
 * Docker Compose v2 (docker/compose v5.6.0, pkg/compose/create.go) sends.
 * A value Compose would send but labctl cannot is refused at its mark with
 * "'KEY' is not supported by labctl (reason)"; a key Compose ignores is a
 * warning (lab->warnings). */
#include "lab_private.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../util/file.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A byte value: a YAML integer, or a string lab_parse_bytes reads. */
static int ld_bytes(struct lab_ld *L, const struct lab_node *n, const char *key, long long *out)
{
	const char *t = lab_ld_str(L, n, key);
	if (!t)
		return -1;
	if (lab_parse_bytes(t, out) < 0) {
		lab_ld_diag(L, &n->mark, "invalid size '%s' for '%s' (a byte value such as 512m, 2g or 1gb)", t,
			    key);
		return -1;
	}
	return 0;
}

/* cpus: a decimal number of CPUs, as NanoCpus. compose-go holds it as a
 * float32 and Compose sends int64(cpus * 1e9) computed in float32. */
static int quiet_cpus(const char *t, long long *nano)
{
	char *end = NULL;
	volatile float f = strtof(t, &end);
	if (!*t || *end || !(f >= 0) || f > 1e6f || strpbrk(t, "xXnN"))
		return -1;
	volatile float prod = f * 1e9f;
	*nano = (long long)prod;
	return 0;
}

static int ld_cpus(struct lab_ld *L, const struct lab_node *n, const char *key, long long *nano)
{
	const char *t = lab_ld_str(L, n, key);
	if (!t)
		return -1;
	if (quiet_cpus(t, nano) < 0) {
		lab_ld_diag(L, &n->mark, "invalid number of CPUs '%s' for '%s'", t, key);
		return -1;
	}
	return 0;
}

static int is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* extra_hosts: list of "HOST=IP" / "HOST:IP" (IP may be "a,b"), or a map
 * HOST: IP | [IP...]; sent as "HOST:IP" (compose-go HostsList, AsList(":")),
 * brackets around an IPv6 address removed. */
static void ld_extra_hosts(struct lab_ld *L, const struct lab_node *n, struct lab_strv *out)
{
	struct lab_strv pairs = LAB_STRV_INIT; /* "HOST\nIPS" */
	struct lab_mark *marks = NULL;
	size_t nm = 0;
	if (n->kind == LAB_NODE_SEQ) {
		marks = lab_xcalloc(n->n + 1, sizeof(*marks));
		for (size_t i = 0; i < n->n; i++) {
			const char *t = lab_ld_str(L, n->kids[i], "extra_hosts");
			if (!t)
				continue;
			size_t cut = strcspn(t, "=");
			if (!t[cut])
				cut = strcspn(t, ":");
			if (!t[cut]) {
				lab_ld_diag(L, &n->kids[i]->mark, "invalid extra host '%s': missing IP (HOST=IP or HOST:IP)",
					    t);
				continue;
			}
			lab_strv_pushf(&pairs, "%.*s\n%s", (int)cut, t, t + cut + 1);
			marks[nm++] = n->kids[i]->mark;
		}
	} else if (n->kind == LAB_NODE_MAP) {
		size_t cap = 1;
		for (size_t i = 0; i < n->n; i++)
			cap += n->kids[2 * i + 1]->kind == LAB_NODE_SEQ ? n->kids[2 * i + 1]->n : 1;
		marks = lab_xcalloc(cap, sizeof(*marks));
		for (size_t i = 0; i < n->n; i++) {
			const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
			if (v->kind == LAB_NODE_SEQ) {
				for (size_t j = 0; j < v->n; j++) {
					const char *ip = lab_ld_str(L, v->kids[j], k->text);
					if (ip) {
						lab_strv_pushf(&pairs, "%s\n%s", k->text, ip);
						marks[nm++] = v->kids[j]->mark;
					}
				}
			} else {
				const char *ip = lab_node_is_null(v) ? "" : lab_ld_str(L, v, k->text);
				if (ip) {
					lab_strv_pushf(&pairs, "%s\n%s", k->text, ip);
					marks[nm++] = k->mark;
				}
			}
		}
	} else {
		lab_ld_diag(L, &n->mark, "expected a mapping or a list for 'extra_hosts'");
		return;
	}
	for (size_t i = 0; i < pairs.n; i++) {
		char *host = pairs.v[i], *ips = strchr(host, '\n');
		*ips++ = '\0';
		if (!*host || strpbrk(host, ":=")) {
			lab_ld_diag(L, &marks[i], "invalid extra host: bad host name '%s'", host);
			continue;
		}
		char *save = NULL;
		for (char *ip = strtok_r(ips, ",", &save); ip; ip = strtok_r(NULL, ",", &save)) {
			size_t l = strlen(ip);
			if (l > 2 && ip[0] == '[' && ip[l - 1] == ']') {
				ip[l - 1] = '\0';
				ip++;
			}
			/* the engine accepts "host-gateway" besides an address */
			if (!is_ip(ip) && strcmp(ip, "host-gateway") != 0) {
				lab_ld_diag(L, &marks[i], "invalid extra host '%s': '%s' is not an IP address", host, ip);
				continue;
			}
			lab_strv_pushf(out, "%s:%s", host, ip);
		}
	}
	free(marks);
	lab_strv_free(&pairs);
}

/* ulimits: NAME: N | {soft: N, hard: N} (both required, compose spec schema). */
static void ld_ulimits(struct lab_ld *L, const struct lab_node *n, struct lab_ctr_opts *o)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "ulimits") < 0)
		return;
	o->ulimits = lab_xcalloc(n->n + 1, sizeof(*o->ulimits));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		long soft = 0, hard = 0;
		if (v->kind == LAB_NODE_MAP) {
			static const char *const keys[] = {"soft", "hard", NULL};
			if (lab_ld_check_keys(L, v, keys, 0))
				continue;
			const struct lab_node *sn = lab_node_get(v, "soft"), *hn = lab_node_get(v, "hard");
			if (!sn || !hn) {
				lab_ld_diag(L, &v->mark, "ulimit '%s' needs both 'soft' and 'hard'", k->text);
				continue;
			}
			if (lab_ld_int(L, sn, "soft", &soft) < 0 || lab_ld_int(L, hn, "hard", &hard) < 0)
				continue;
		} else if (lab_ld_int(L, v, k->text, &soft) == 0) {
			hard = soft;
		} else {
			continue;
		}
		if (soft < -1 || hard < -1 || (hard >= 0 && soft > hard)) {
			lab_ld_diag(L, &v->mark, "invalid ulimit '%s': soft %ld, hard %ld", k->text, soft, hard);
			continue;
		}
		struct lab_ulimit *u = &o->ulimits[o->n_ulimits++];
		u->name = lab_xstrdup(k->text);
		u->soft = soft;
		u->hard = hard;
	}
}

/* devices: "HOST[:CONTAINER[:PERMISSIONS]]" or {source, target, permissions}
 * (compose-go transformDeviceMapping). A CDI name (vendor/class=name) would
 * be a DeviceRequest with the cdi driver: not in Engine API 1.41. */
static void ld_devices(struct lab_ld *L, const struct lab_node *n, struct lab_strv *out)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "devices") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *e = n->kids[i];
		char *src = NULL, *dst = NULL, *perm = NULL;
		if (e->kind == LAB_NODE_MAP) {
			static const char *const keys[] = {"source", "target", "permissions", NULL};
			if (lab_ld_check_keys(L, e, keys, 0))
				continue;
			src = lab_ld_opt_str(L, e, "source");
			dst = lab_ld_opt_str(L, e, "target");
			perm = lab_ld_opt_str(L, e, "permissions");
		} else {
			const char *t = lab_ld_str(L, e, "devices");
			if (!t)
				continue;
			struct lab_strv parts = LAB_STRV_INIT;
			const char *p = t;
			for (;;) {
				size_t l = strcspn(p, ":");
				lab_strv_pushf(&parts, "%.*s", (int)l, p);
				if (!p[l])
					break;
				p += l + 1;
			}
			if (parts.n > 3) {
				lab_ld_diag(L, &e->mark, "confusing device mapping '%s', please use the long syntax", t);
				lab_strv_free(&parts);
				continue;
			}
			src = lab_xstrdup(parts.v[0]);
			if (parts.n > 1)
				dst = lab_xstrdup(parts.v[1]);
			if (parts.n > 2)
				perm = lab_xstrdup(parts.v[2]);
			lab_strv_free(&parts);
		}
		if (!src || !*src) {
			lab_ld_diag(L, &e->mark, "missing 'source' for 'devices'");
		} else if (src[0] != '/' && strchr(src, '=') && (!dst || !*dst || !strcmp(dst, src))) {
			lab_ld_diag(L, &e->mark,
				    "'devices' is not supported by labctl for CDI device '%s' (Engine API 1.41 has no "
				    "CDI device requests)",
				    src);
		} else {
			lab_strv_pushf(out, "%s\n%s\n%s", src, dst && *dst ? dst : src, perm && *perm ? perm : "rwm");
		}
		free(src);
		free(dst);
		free(perm);
	}
}

/* security_opt: Compose's parseSecurityOpts: systempaths=unconfined is a
 * flag; "KEY:VALUE" is accepted for "KEY=VALUE" but sent as written; a
 * seccomp profile file (relative to the file's directory) is read and sent
 * as compact JSON. */
static void ld_security_opt(struct lab_ld *L, const char *absdir, const struct lab_node *n,
			    struct lab_ctr_opts *o)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "security_opt") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *e = n->kids[i];
		const char *t = lab_ld_str(L, e, "security_opt");
		if (!t)
			continue;
		if (!strcmp(t, "systempaths=unconfined")) {
			o->systempaths_unconfined = 1;
			continue;
		}
		size_t cut = strcspn(t, "=");
		if (!t[cut] && strcmp(t, "no-new-privileges") != 0) {
			cut = strcspn(t, ":");
			if (!t[cut]) {
				lab_ld_diag(L, &e->mark, "invalid security_opt '%s' (KEY=VALUE or no-new-privileges)", t);
				continue;
			}
		}
		const char *val = t[cut] ? t + cut + 1 : "";
		if (cut == 7 && !strncmp(t, "seccomp", 7) && strcmp(val, "unconfined") != 0 &&
		    strcmp(val, "builtin") != 0) {
			char *path = lab_path_join(absdir, val), *why = NULL;
			struct lab_buf text = LAB_BUF_INIT;
			int rc = lab_read_file(&text, path, LAB_FILE_MAX, &why);
			cJSON *j = rc == 0 ? cJSON_ParseWithLength(lab_buf_cstr(&text), text.len) : NULL;
			if (rc < 0) {
				lab_ld_diag(L, &e->mark, "seccomp profile '%s' %s", val,
					    rc == LAB_ENOTFOUND ? "not found" : why ? why : "cannot be read");
			} else if (!j) {
				lab_ld_diag(L, &e->mark, "seccomp profile '%s' is not valid JSON", val);
			} else {
				char *compact = cJSON_PrintUnformatted(j);
				lab_strv_pushf(&o->security_opt, "seccomp=%s", compact);
				free(compact);
			}
			cJSON_Delete(j);
			lab_buf_release(&text);
			free(why);
			free(path);
			continue;
		}
		lab_strv_push(&o->security_opt, t);
	}
}

/* expose: "PORT[/PROTO]" or "START-END[/PROTO]" (numbers too), each port
 * of a range on its own (Compose's buildContainerPorts). */
static void ld_expose(struct lab_ld *L, const struct lab_node *n, struct lab_strv *out)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "expose") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const char *t = lab_ld_str(L, n->kids[i], "expose");
		if (!t)
			continue;
		char proto[8] = "tcp";
		const char *slash = strchr(t, '/');
		if (slash) {
			if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp") && strcmp(slash + 1, "sctp")) {
				lab_ld_diag(L, &n->kids[i]->mark, "invalid protocol in '%s' for 'expose'", t);
				continue;
			}
			snprintf(proto, sizeof(proto), "%s", slash + 1);
		}
		size_t len = slash ? (size_t)(slash - t) : strlen(t);
		char buf[32];
		if (len == 0 || len >= sizeof(buf)) {
			lab_ld_diag(L, &n->kids[i]->mark, "invalid port '%s' for 'expose'", t);
			continue;
		}
		memcpy(buf, t, len);
		buf[len] = '\0';
		char *dash = strchr(buf, '-'), *e1 = NULL, *e2 = NULL;
		if (dash)
			*dash = '\0';
		long lo = strtol(buf, &e1, 10), hi = dash ? strtol(dash + 1, &e2, 10) : lo;
		if (!isdigit((unsigned char)buf[0]) || *e1 || (dash && (!isdigit((unsigned char)dash[1]) || *e2)) ||
		    lo < 0 || hi > 65535 || lo > hi) {
			lab_ld_diag(L, &n->kids[i]->mark, "invalid port '%s' for 'expose'", t);
			continue;
		}
		for (long p = lo; p <= hi; p++)
			lab_strv_pushf(out, "%ld/%s", p, proto);
	}
}

/* logging: {driver, options}. */
static void ld_logging(struct lab_ld *L, const struct lab_node *n, struct lab_ctr_opts *o)
{
	static const char *const keys[] = {"driver", "options", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, "logging") < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	o->has_logging = 1;
	o->log_driver = lab_ld_opt_str(L, n, "driver");
	const struct lab_node *op = lab_node_get(n, "options");
	if (op && !lab_node_is_null(op)) {
		if (lab_ld_want(L, op, LAB_NODE_MAP, "options") == 0)
			lab_ld_kv_list(L, op, "options", &o->log_opts, 0);
	}
}

/* ipc, pid: "service:NAME" would make Compose find that service's
 * container and wait for it; labctl does not. */
static void ld_namespace(struct lab_ld *L, const struct lab_node *n, const char *key, char **out)
{
	const char *t = lab_ld_str(L, n, key);
	if (!t)
		return;
	if (!strncmp(t, "service:", 8)) {
		lab_ld_diag(L, &n->mark,
			    "'%s' is not supported by labctl for '%s' (share with a service's container: write "
			    "container:<its container name>)",
			    key, t);
		return;
	}
	*out = lab_xstrdup(t);
}

/* pull_policy: Compose spec values; the periodic ones need the time of
 * the image's last pull, which the engine does not keep. */
static void ld_pull_policy(struct lab_ld *L, const struct lab_node *n, struct lab_ctr_opts *o)
{
	const char *t = lab_ld_str(L, n, "pull_policy");
	if (!t)
		return;
	if (!strcmp(t, "always") || !strcmp(t, "never") || !strcmp(t, "missing") || !strcmp(t, "build")) {
		o->pull_policy = lab_xstrdup(t);
	} else if (!strcmp(t, "if_not_present")) {
		o->pull_policy = lab_xstrdup("missing");
	} else if (!strcmp(t, "daily") || !strcmp(t, "weekly") || !strcmp(t, "refresh") ||
		   !strncmp(t, "every_", 6)) {
		lab_ld_diag(L, &n->mark,
			    "'pull_policy' is not supported by labctl for '%s' (the engine does not record when an "
			    "image was pulled; use always or missing)",
			    t);
	} else {
		lab_ld_diag(L, &n->mark,
			    "invalid pull_policy '%s' (expected always, never, missing, if_not_present or build)", t);
	}
}

/* platform: os/arch[/variant], lowercase as the OCI image spec has them. */
static void ld_platform(struct lab_ld *L, const struct lab_node *n, struct lab_ctr_opts *o)
{
	const char *t = lab_ld_str(L, n, "platform");
	if (!t)
		return;
	int slashes = 0, ok = *t && *t != '/';
	for (const char *p = t; *p && ok; p++) {
		if (*p == '/')
			slashes++, ok = p[1] && p[1] != '/';
		else
			ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '-' ||
			     *p == '.';
	}
	if (!ok || slashes < 1 || slashes > 2) {
		lab_ld_diag(L, &n->mark, "invalid platform '%s' (expected os/arch or os/arch/variant)", t);
		return;
	}
	o->platform = lab_xstrdup(t);
}

static void ld_profiles(struct lab_ld *L, const struct lab_node *n, struct lab_strv *out)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "profiles") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const char *t = lab_ld_str(L, n->kids[i], "profiles");
		if (!t)
			continue;
		/* any string (compose-go's schema: list_of_strings) */
		if (!*t)
			lab_ld_diag(L, &n->kids[i]->mark, "invalid profile name '': empty");
		else
			lab_strv_push(out, t);
	}
}

static void ld_dns(struct lab_ld *L, const struct lab_node *n, struct lab_strv *out)
{
	size_t before = out->n;
	if (lab_ld_strlist(L, n, "dns", 1, out) < 0)
		return;
	for (size_t i = before; i < out->n; i++)
		if (!is_ip(out->v[i]))
			lab_ld_diag(L, &n->mark, "invalid DNS address '%s' for 'dns'", out->v[i]);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cap_add, cap_drop: as the Docker client sends them (moby client
 * normalizeCapabilities): upper case, "CAP_" prefixed unless "ALL",
 * sorted, duplicates dropped. */
static void ld_caps(struct lab_ld *L, const struct lab_node *n, const char *key, struct lab_strv *out)
{
	struct lab_strv raw = LAB_STRV_INIT;
	lab_ld_strlist(L, n, key, 0, &raw);
	for (size_t i = 0; i < raw.n; i++) {
		for (char *p = raw.v[i]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (strcmp(raw.v[i], "ALL") != 0 && strncmp(raw.v[i], "CAP_", 4) != 0)
			lab_strv_pushf(out, "CAP_%s", raw.v[i]);
		else
			lab_strv_push(out, raw.v[i]);
	}
	lab_strv_free(&raw);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	size_t keep = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (keep && !strcmp(out->v[keep - 1], out->v[i]))
			free(out->v[i]);
		else
			out->v[keep++] = out->v[i];
	}
	out->n = keep;
	if (out->v)
		out->v[keep] = NULL;
}

/* volumes_from: "SERVICE[:ro|rw]" or "container:NAME[:ro|rw]". */
static void ld_volumes_from(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	if (lab_ld_want(L, n, LAB_NODE_SEQ, "volumes_from") < 0)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const char *t = lab_ld_str(L, n->kids[i], "volumes_from");
		if (!t)
			continue;
		int ctr = !strncmp(t, "container:", 10);
		const char *name = ctr ? t + 10 : t;
		const char *mode = strchr(name, ':');
		if (!*name || name[0] == ':' || (mode && strcmp(mode, ":ro") && strcmp(mode, ":rw"))) {
			lab_ld_diag(L, &n->kids[i]->mark,
				    "invalid volumes_from '%s' (SERVICE[:ro|rw] or container:NAME[:ro|rw])", t);
			continue;
		}
		lab_strv_push(&s->ctr.volumes_from, t);
	}
}

int lab_ld_ctr_key(struct lab_ld *L, const char *absdir, const struct lab_node *k, const struct lab_node *v,
		   struct lab_service *s)
{
	struct lab_ctr_opts *o = &s->ctr;
	const char *key = k->text;
	long ms;
	if (!strcmp(key, "mem_limit"))
		ld_bytes(L, v, key, &o->memory);
	else if (!strcmp(key, "mem_reservation"))
		ld_bytes(L, v, key, &o->memory_reservation);
	else if (!strcmp(key, "cpus"))
		ld_cpus(L, v, key, &o->nano_cpus);
	else if (!strcmp(key, "shm_size"))
		ld_bytes(L, v, key, &o->shm_size);
	else if (!strcmp(key, "tmpfs"))
		lab_ld_strlist(L, v, key, 1, &o->tmpfs);
	else if (!strcmp(key, "extra_hosts"))
		ld_extra_hosts(L, v, &o->extra_hosts);
	else if (!strcmp(key, "cap_add"))
		ld_caps(L, v, key, &o->cap_add);
	else if (!strcmp(key, "cap_drop"))
		ld_caps(L, v, key, &o->cap_drop);
	else if (!strcmp(key, "privileged"))
		lab_ld_bool(L, v, key, &o->privileged);
	else if (!strcmp(key, "read_only"))
		lab_ld_bool(L, v, key, &o->read_only);
	else if (!strcmp(key, "init"))
		o->has_init = lab_ld_bool(L, v, key, &o->init) == 0;
	else if (!strcmp(key, "tty"))
		lab_ld_bool(L, v, key, &o->tty);
	else if (!strcmp(key, "stdin_open"))
		lab_ld_bool(L, v, key, &o->stdin_open);
	else if (!strcmp(key, "ulimits"))
		ld_ulimits(L, v, o);
	else if (!strcmp(key, "sysctls")) {
		if (v->kind == LAB_NODE_SCALAR)
			lab_ld_diag(L, &v->mark, "expected a mapping or a list for 'sysctls'");
		else
			lab_ld_kv_list(L, v, key, &o->sysctls, 0);
	} else if (!strcmp(key, "security_opt"))
		ld_security_opt(L, absdir, v, o);
	else if (!strcmp(key, "devices"))
		ld_devices(L, v, &o->devices);
	else if (!strcmp(key, "dns"))
		ld_dns(L, v, &o->dns);
	else if (!strcmp(key, "dns_search"))
		lab_ld_strlist(L, v, key, 1, &o->dns_search);
	else if (!strcmp(key, "stop_signal")) {
		const char *t = lab_ld_str(L, v, key);
		if (t)
			o->stop_signal = lab_xstrdup(t);
	} else if (!strcmp(key, "stop_grace_period")) {
		if (lab_ld_duration(L, v, key, &ms) == 0) {
			o->has_stop_grace = 1;
			o->stop_grace_s = ms / 1000;
		}
	} else if (!strcmp(key, "logging"))
		ld_logging(L, v, o);
	else if (!strcmp(key, "ipc"))
		ld_namespace(L, v, key, &o->ipc);
	else if (!strcmp(key, "pid"))
		ld_namespace(L, v, key, &o->pid);
	else if (!strcmp(key, "group_add"))
		lab_ld_strlist(L, v, key, 0, &o->group_add);
	else if (!strcmp(key, "domainname")) {
		const char *t = lab_ld_str(L, v, key);
		if (t)
			o->domainname = lab_xstrdup(t);
	} else if (!strcmp(key, "expose"))
		ld_expose(L, v, &o->expose);
	else if (!strcmp(key, "platform"))
		ld_platform(L, v, o);
	else if (!strcmp(key, "pull_policy"))
		ld_pull_policy(L, v, o);
	else if (!strcmp(key, "profiles"))
		ld_profiles(L, v, &s->profiles);
	else if (!strcmp(key, "volumes_from"))
		ld_volumes_from(L, v, s);
	else
		return 0;
	return 1;
}

/* deploy.resources: limits {cpus, memory, pids} and reservations {memory}
 * go to the container (Compose's setLimits / setReservations); a
 * reservation of cpus is a Swarm setting Compose ignores, so a warning;
 * devices (GPU requests) and generic_resources are refused. The same
 * setting given twice must agree (compose-go checkConsistency). */
static void ld_resource(struct lab_ld *L, const struct lab_node *n, const char *which, struct lab_service *s,
			const struct lab_node *svc)
{
	static const char *const keys[] = {"cpus", "memory", "pids", "devices", "generic_resources", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, which) < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	struct lab_ctr_opts *o = &s->ctr;
	int limits = !strcmp(which, "limits");
	const struct lab_node *x;
	if ((x = lab_node_get(n, "cpus"))) {
		long long nano = 0;
		if (!limits) {
			lab_ld_warn_swarm(L, &x->mark,
					  "'deploy.resources.reservations.cpus' is ignored without Swarm (Docker "
					  "Compose ignores it too; up --swarm applies it)");
			if (ld_cpus(L, x, "cpus", &nano) == 0)
				s->swarm.cpu_reservation = nano; /* up --swarm: Reservations.NanoCPUs */
		} else if (ld_cpus(L, x, "cpus", &nano) == 0) {
			const struct lab_node *top = lab_node_get(svc, "cpus");
			long long tn = 0;
			if (top && top->kind == LAB_NODE_SCALAR && quiet_cpus(top->text, &tn) == 0 && tn != nano)
				lab_ld_diag(L, &x->mark,
					    "can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'");
			o->nano_cpus = nano;
		}
	}
	if ((x = lab_node_get(n, "memory"))) {
		long long b = 0;
		const char *top = limits ? "mem_limit" : "mem_reservation";
		long long *dst = limits ? &o->memory : &o->memory_reservation;
		if (ld_bytes(L, x, "memory", &b) == 0) {
			const struct lab_node *tn = lab_node_get(svc, top);
			long long tb = 0;
			if (tn && tn->kind == LAB_NODE_SCALAR && lab_parse_bytes(tn->text, &tb) == 0 && tb != b)
				lab_ld_diag(L, &x->mark, "can't set distinct values on '%s' and 'deploy.resources.%s.memory'",
					    top, which);
			*dst = b;
		}
	}
	if ((x = lab_node_get(n, "pids"))) {
		long p = 0;
		if (!limits)
			lab_ld_diag(L, &x->mark, "unknown key 'pids' in 'reservations' (pids is only a limit)");
		else if (lab_ld_int(L, x, "pids", &p) == 0 && p > 0)
			o->pids_limit = p;
	}
	if ((x = lab_node_get(n, "devices")))
		lab_ld_diag(L, &x->mark,
			    "'deploy.resources.%s.devices' is not supported by labctl (device requests, e.g. GPUs)",
			    which);
	if ((x = lab_node_get(n, "generic_resources")))
		lab_ld_diag(L, &x->mark,
			    "'deploy.resources.%s.generic_resources' is not supported by labctl (Swarm generic "
			    "resources)",
			    which);
}

void lab_ld_deploy_resources(struct lab_ld *L, const struct lab_node *n, struct lab_service *s,
			     const struct lab_node *svc)
{
	static const char *const keys[] = {"limits", "reservations", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, "resources") < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	const struct lab_node *x;
	if ((x = lab_node_get(n, "limits")))
		ld_resource(L, x, "limits", s, svc);
	if ((x = lab_node_get(n, "reservations")))
		ld_resource(L, x, "reservations", s, svc);
}

/* deploy.restart_policy: Compose's getRestartPolicy: it replaces
 * restart:, condition none -> no, any -> always, max_attempts the retry
 * count; delay and window are Swarm's (ignored, a warning). */
void lab_ld_deploy_restart(struct lab_ld *L, const struct lab_node *n, struct lab_service *s)
{
	static const char *const keys[] = {"condition", "delay", "max_attempts", "window", NULL};
	if (lab_ld_want(L, n, LAB_NODE_MAP, "restart_policy") < 0 || lab_ld_check_keys(L, n, keys, 1))
		return;
	const struct lab_node *c = lab_node_get(n, "condition"), *m = lab_node_get(n, "max_attempts"), *x;
	const char *cond = c ? lab_ld_str(L, c, "condition") : "";
	long attempts = 0;
	if (!cond || (m && lab_ld_int(L, m, "max_attempts", &attempts) < 0))
		return;
	const char *name;
	if (!strcmp(cond, "none") || !strcmp(cond, "no") || !*cond)
		name = "no";
	else if (!strcmp(cond, "any") || !strcmp(cond, "always"))
		name = "always";
	else if (!strcmp(cond, "on-failure") || !strcmp(cond, "unless-stopped"))
		name = cond;
	else {
		lab_ld_diag(L, &c->mark, "invalid condition '%s' for 'restart_policy' (none, on-failure or any)", cond);
		return;
	}
	free(s->restart);
	if (!strcmp(name, "on-failure") && attempts > 0)
		s->restart = lab_xasprintf("on-failure:%ld", attempts);
	else
		s->restart = lab_xstrdup(name);
	/* up --swarm sends them (RestartPolicy.Delay, .Window) */
	if ((x = lab_node_get(n, "delay"))) {
		lab_ld_warn_swarm(L, &x->mark, "'deploy.restart_policy.delay' is ignored without Swarm (Docker "
					       "Compose ignores it too; up --swarm applies it)");
		lab_ld_duration(L, x, "delay", &s->swarm.restart_delay_ms);
	}
	if ((x = lab_node_get(n, "window"))) {
		lab_ld_warn_swarm(L, &x->mark, "'deploy.restart_policy.window' is ignored without Swarm (Docker "
					       "Compose ignores it too; up --swarm applies it)");
		lab_ld_duration(L, x, "window", &s->swarm.restart_window_ms);
	}
}

void lab_ctr_opts_clear(struct lab_ctr_opts *o)
{
	lab_strv_free(&o->tmpfs);
	lab_strv_free(&o->extra_hosts);
	lab_strv_free(&o->cap_add);
	lab_strv_free(&o->cap_drop);
	for (size_t i = 0; i < o->n_ulimits; i++)
		free(o->ulimits[i].name);
	free(o->ulimits);
	lab_strv_free(&o->sysctls);
	lab_strv_free(&o->security_opt);
	lab_strv_free(&o->devices);
	lab_strv_free(&o->dns);
	lab_strv_free(&o->dns_search);
	free(o->stop_signal);
	free(o->log_driver);
	lab_strv_free(&o->log_opts);
	free(o->ipc);
	free(o->pid);
	lab_strv_free(&o->group_add);
	free(o->domainname);
	lab_strv_free(&o->expose);
	lab_strv_free(&o->net_aliases);
	lab_strv_free(&o->build_labels);
	free(o->platform);
	free(o->pull_policy);
	lab_strv_free(&o->volumes_from);
}
