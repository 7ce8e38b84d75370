/* labctl export compose: the lab model written back as a docker-compose
 * file with libyaml's emitter (see compose.h for what is translated). */
#include "compose.h"
#include "emit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../image/image.h"
#include "../plan/plan.h"
#include "../probe/probe.h"

/* A credential's value during export: MARK_OPEN NAME MARK_CLOSE. Control
 * characters cannot occur in a lab file's values (YAML forbids them
 * unescaped), so the marker cannot be confused with text. */
#define MARK_OPEN '\x01'
#define MARK_CLOSE '\x02'

const char *lab_export_credential_ref(const char *project, const char *name, void *ud)
{
	struct lab_strv *owned = ud;
	char *m = lab_xasprintf("%c%s%c", MARK_OPEN, name, MARK_CLOSE);
	lab_strv_take(owned, m);
	return m;
}

char *lab_export_relpath(const char *dir, const char *path)
{
	/* the common leading directories */
	size_t common = 0;
	for (size_t i = 0;; i++) {
		char a = dir[i], b = path[i];
		if ((a == '/' || a == '\0') && (b == '/' || b == '\0'))
			common = i;
		if (a != b || a == '\0')
			break;
	}
	if (common == 0 && !(dir[1] == '\0'))
		return lab_xstrdup(path);
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	/* one ".." per directory of dir below the common part */
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && p[1])
			lab_buf_puts(&b, b.len ? "/.." : "..");
	const char *rest = path + common;
	while (*rest == '/')
		rest++;
	if (*rest)
		lab_buf_printf(&b, "%s%s", b.len ? "/" : "", rest);
	if (!b.len)
		lab_buf_puts(&b, ".");
	return lab_buf_detach(&b);
}

/* A string value: '$' doubled for Compose interpolation, credential
 * markers as ${NAME}; quoted when YAML would read it as another type,
 * a literal block when it has several lines. */
static void text(struct lab_emit *m, const char *s)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	for (const char *p = s; *p; p++) {
		if (*p == '$') {
			lab_buf_puts(&b, "$$");
		} else if (*p == MARK_OPEN) {
			const char *q = strchr(p, MARK_CLOSE);
			if (!q)
				q = p + strlen(p) - 1;
			lab_buf_printf(&b, "${%.*s}", (int)(q - p - 1), p + 1);
			p = q;
		} else {
			lab_buf_append(&b, p, 1);
		}
	}
	lab_emit_string(m, lab_buf_cstr(&b), b.len);
	lab_buf_release(&b);
}

static void kv(struct lab_emit *m, const char *key, const char *value)
{
	lab_emit_plain(m, key);
	text(m, value);
}

static void kv_int(struct lab_emit *m, const char *key, long v)
{
	char num[32];
	snprintf(num, sizeof(num), "%ld", v);
	lab_emit_plain(m, key);
	lab_emit_plain(m, num);
}

/* A duration in Compose's format: "1s", "1500ms". */
static void kv_duration(struct lab_emit *m, const char *key, long ms)
{
	char d[32];
	if (ms % 1000 == 0)
		snprintf(d, sizeof(d), "%lds", ms / 1000);
	else
		snprintf(d, sizeof(d), "%ldms", ms);
	lab_emit_plain(m, key);
	lab_emit_plain(m, d);
}

/* A list of strings: flow style on one line unless an item spans lines. */
static void strv(struct lab_emit *m, const struct lab_strv *v)
{
	int multiline = 0;
	for (size_t i = 0; i < v->n; i++)
		multiline |= strchr(v->v[i], '\n') != NULL;
	lab_emit_seq_start(m, !multiline);
	for (size_t i = 0; i < v->n; i++)
		text(m, v->v[i]);
	lab_emit_seq_end(m);
}

/* "KEY=VALUE" entries as a mapping. */
static void env_map(struct lab_emit *m, const struct lab_strv *v, const struct lab_strv *extra)
{
	lab_emit_map_start(m, 0);
	const struct lab_strv *lists[] = {v, extra};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; lists[l] && i < lists[l]->n; i++) {
			const char *e = lists[l]->v[i];
			const char *eq = strchr(e, '=');
			char *k = lab_xstrndup(e, eq ? (size_t)(eq - e) : strlen(e));
			lab_emit_plain(m, k);
			if (eq)
				text(m, eq + 1);
			else
				lab_emit_plain(m, "");
			free(k);
		}
	}
	lab_emit_map_end(m);
}

static char *real_or_copy(const char *path)
{
	char *r = realpath(path, NULL);
	return r ? r : lab_xstrdup(path);
}

/* A path as it is written in the file: relative to base_dir (with "./"
 * when it does not start with ".."), or absolute. */
static char *file_path(const char *base_dir, const char *path)
{
	char *abs = real_or_copy(path);
	char *rel = lab_export_relpath(base_dir, abs);
	free(abs);
	if (rel[0] == '/' || rel[0] == '.')
		return rel;
	char *out = lab_xasprintf("./%s", rel);
	free(rel);
	return out;
}

static const char *condition_name(enum lab_dep_condition c)
{
	switch (c) {
	case LAB_DEP_HEALTHY:
		return "service_healthy";
	case LAB_DEP_COMPLETED:
		return "service_completed_successfully";
	default:
		return "service_started";
	}
}

/* The healthcheck for s: its own (polled every 1 s), else one made from
 * its x-ready probes (lab_probe_compose_test), else only the interval for
 * the image's HEALTHCHECK when no probe has a Compose equivalent (kafka,
 * s3, log). */
static void healthcheck(struct lab_emit *m, const struct lab_service *s)
{
	const struct lab_healthcheck *h = &s->healthcheck;
	const struct lab_ready *rd = &s->ready;
	int has_probe = lab_ready_has_probes(rd);
	if (h->present && h->disable) {
		lab_emit_plain(m, "healthcheck");
		lab_emit_map_start(m, 1);
		lab_emit_plain(m, "disable");
		lab_emit_plain(m, "true");
		lab_emit_map_end(m);
		return;
	}
	if (!h->present && !has_probe)
		return;
	lab_emit_plain(m, "healthcheck");
	lab_emit_map_start(m, 0);
	long start_period = h->start_period_ms;
	int retries = h->retries;
	long timeout = h->timeout_ms;
	if (h->present && h->test.n) {
		lab_emit_plain(m, "test");
		strv(m, &h->test);
	} else {
		struct lab_strv t = LAB_STRV_INIT;
		if (lab_probe_compose_test(&t, rd)) {
			lab_emit_plain(m, "test");
			strv(m, &t);
		}
		lab_strv_free(&t);
	}
	/* a probe's timeout is the time the service has to get ready */
	if (!h->present && has_probe) {
		start_period = rd->timeout_ms ? rd->timeout_ms : 120000;
		retries = 3;
		timeout = 3000;
	}
	kv_duration(m, "interval", 1000);
	if (timeout)
		kv_duration(m, "timeout", timeout);
	if (start_period)
		kv_duration(m, "start_period", start_period);
	if (retries)
		kv_int(m, "retries", retries);
	lab_emit_map_end(m);
}

static void port(struct lab_emit *m, const struct lab_port *p)
{
	char *s;
	const char *ip = p->host_ip ? p->host_ip : "127.0.0.1";
	const char *proto = p->protocol && strcmp(p->protocol, "tcp") != 0 ? p->protocol : NULL;
	int v6 = strchr(ip, ':') != NULL;
	if (p->host_port)
		s = lab_xasprintf(v6 ? "[%s]:%d:%d%s%s" : "%s:%d:%d%s%s", ip, p->host_port, p->container_port,
				  proto ? "/" : "", proto ? proto : "");
	else
		s = lab_xasprintf(v6 ? "[%s]::%d%s%s" : "%s::%d%s%s", ip, p->container_port, proto ? "/" : "",
				  proto ? proto : "");
	text(m, s);
	free(s);
}

static void mount(struct lab_emit *m, const struct lab_mount *mt, const char *base_dir)
{
	char *s;
	if (mt->type == LAB_MOUNT_ANON) {
		s = lab_xstrdup(mt->target);
	} else {
		char *src = mt->type == LAB_MOUNT_BIND ? file_path(base_dir, mt->source) : lab_xstrdup(mt->source);
		s = lab_xasprintf("%s:%s%s", src, mt->target, mt->read_only ? ":ro" : "");
		free(src);
	}
	text(m, s);
	free(s);
}

static void service(struct lab_emit *m, const struct lab_service *s, const char *base_dir)
{
	lab_emit_plain(m, s->name);
	lab_emit_map_start(m, 0);
	if (s->image)
		kv(m, "image", s->image);
	if (s->has_build) {
		lab_emit_plain(m, "build");
		lab_emit_map_start(m, 0);
		char *ctx = file_path(base_dir, s->build_context);
		kv(m, "context", ctx);
		free(ctx);
		if (s->build_dockerfile && strcmp(s->build_dockerfile, "Dockerfile") != 0)
			kv(m, "dockerfile", s->build_dockerfile);
		if (s->build_target)
			kv(m, "target", s->build_target);
		if (s->build_args.n) {
			lab_emit_plain(m, "args");
			env_map(m, &s->build_args, NULL);
		}
		lab_emit_map_end(m);
	}
	if (s->container_name)
		kv(m, "container_name", s->container_name);
	if (s->ctr.memory) {
		/* Compose spec "Specifying byte values": b, k, m, g are powers of 1024 */
		char size[32];
		long long b = s->ctr.memory;
		if (b % (1LL << 30) == 0)
			snprintf(size, sizeof(size), "%lldg", b >> 30);
		else if (b % (1LL << 20) == 0)
			snprintf(size, sizeof(size), "%lldm", b >> 20);
		else
			snprintf(size, sizeof(size), "%lld", b); /* bytes, an integer */
		lab_emit_plain(m, "mem_limit");
		lab_emit_plain(m, size);
	}
	if (s->hostname)
		kv(m, "hostname", s->hostname);
	if (s->user)
		kv(m, "user", s->user);
	if (s->working_dir)
		kv(m, "working_dir", s->working_dir);
	if (s->has_entrypoint) {
		lab_emit_plain(m, "entrypoint");
		strv(m, &s->entrypoint);
	}
	if (s->has_command) {
		lab_emit_plain(m, "command");
		strv(m, &s->command);
	}
	struct lab_strv extra = LAB_STRV_INIT;
	if (s->buckets.n) {
		struct lab_buf b = LAB_BUF_INIT;
		lab_buf_puts(&b, "S3_BUCKETS=");
		for (size_t i = 0; i < s->buckets.n; i++)
			lab_buf_printf(&b, "%s%s", i ? " " : "", s->buckets.v[i]);
		lab_strv_take(&extra, lab_buf_detach(&b));
	}
	if (s->environment.n || extra.n) {
		lab_emit_plain(m, "environment");
		env_map(m, &s->environment, &extra);
	}
	lab_strv_free(&extra);
	if (s->n_ports) {
		lab_emit_plain(m, "ports");
		lab_emit_seq_start(m, 0);
		for (size_t i = 0; i < s->n_ports; i++)
			port(m, &s->ports[i]);
		lab_emit_seq_end(m);
	}
	if (s->n_mounts) {
		lab_emit_plain(m, "volumes");
		lab_emit_seq_start(m, 0);
		for (size_t i = 0; i < s->n_mounts; i++)
			mount(m, &s->mounts[i], base_dir);
		lab_emit_seq_end(m);
	}
	if (s->networks.n && !(s->networks.n == 1 && strcmp(s->networks.v[0], "default") == 0)) {
		lab_emit_plain(m, "networks");
		strv(m, &s->networks);
	}
	if (s->n_deps) {
		lab_emit_plain(m, "depends_on");
		lab_emit_map_start(m, 0);
		for (size_t i = 0; i < s->n_deps; i++) {
			lab_emit_plain(m, s->deps[i].service);
			lab_emit_map_start(m, 1);
			lab_emit_plain(m, "condition");
			lab_emit_plain(m, condition_name(s->deps[i].condition));
			lab_emit_map_end(m);
		}
		lab_emit_map_end(m);
	}
	healthcheck(m, s);
	if (s->restart)
		kv(m, "restart", s->restart);
	if (s->labels.n) {
		lab_emit_plain(m, "labels");
		env_map(m, &s->labels, NULL);
	}
	if (s->replicas != 1) {
		lab_emit_plain(m, "deploy");
		lab_emit_map_start(m, 1);
		kv_int(m, "replicas", s->replicas);
		lab_emit_map_end(m);
	}
	lab_emit_map_end(m);
}

/* Images the lab's builds are FROM that are built here but by no service
 * of the lab (labctl/jre:17): names and contexts, bases first. */
static void build_only(struct lab_strv *names, struct lab_strv *contexts, const struct lab *lab)
{
	struct lab_image_source *known = calloc(lab->n_services ? lab->n_services : 1, sizeof(*known));
	struct lab_strv own = LAB_STRV_INIT, all = LAB_STRV_INIT, ctxs = LAB_STRV_INIT;
	if (!known)
		abort();
	size_t n = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		if (!s->has_build)
			continue;
		lab_strv_take(&own, lab_plan_image_name(lab, s));
		known[n++] = (struct lab_image_source){own.v[own.n - 1], s->build_context, s->build_dockerfile,
						       &s->build_args, s->build_target};
	}
	for (size_t i = 0; i < n; i++)
		lab_image_local_bases(&all, &ctxs, &known[i], known, n);
	for (size_t i = 0; i < all.n; i++)
		if (lab_strv_find(&own, all.v[i]) < 0) {
			lab_strv_push(names, all.v[i]);
			lab_strv_push(contexts, ctxs.v[i]);
		}
	lab_strv_free(&own);
	lab_strv_free(&all);
	lab_strv_free(&ctxs);
	free(known);
}

/* The service name of build-only image name: "jre" for labctl/jre:17,
 * "jre-base" when the lab has a service jre. */
static char *build_only_name(const struct lab *lab, const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *b = slash ? slash + 1 : image;
	char *name = lab_xstrndup(b, strcspn(b, ":@"));
	for (size_t i = 0; i < lab->n_services; i++)
		if (strcmp(lab->services[i].name, name) == 0) {
			char *other = lab_xasprintf("%s-base", name);
			free(name);
			return other;
		}
	return name;
}

static void build_only_service(struct lab_emit *m, const struct lab *lab, const char *image, const char *context,
			       const char *base_dir)
{
	char *name = build_only_name(lab, image);
	lab_emit_plain(m, name);
	lab_emit_map_start(m, 0);
	kv(m, "image", image);
	lab_emit_plain(m, "build");
	lab_emit_map_start(m, 0);
	char *ctx = file_path(base_dir, context);
	kv(m, "context", ctx);
	free(ctx);
	lab_emit_map_end(m);
	lab_emit_plain(m, "deploy");
	lab_emit_map_start(m, 1);
	kv_int(m, "replicas", 0);
	lab_emit_map_end(m);
	lab_emit_map_end(m);
	free(name);
}

static void header(struct lab_buf *out, const struct lab *lab, const char *base_dir)
{
	char *src = file_path(base_dir, lab->path);
	lab_buf_printf(out,
		       "# %s%s%s\n"
		       "# Exported by `labctl export compose` from %s;\n"
		       "# regenerate it rather than edit it. Runs without labctl: docker-compose up -d\n",
		       lab->project, lab->title ? ": " : "", lab->title ? lab->title : "", src);
	free(src);
	if (lab->credentials.n) {
		lab_buf_puts(out, "# It reads the lab's generated credentials (");
		for (size_t i = 0; i < lab->credentials.n; i++)
			lab_buf_printf(out, "%s%s", i ? ", " : "", lab->credentials.v[i]);
		lab_buf_puts(out, ")\n# from the .env file beside it, which `labctl export compose LAB -o DIR` writes.\n");
	}
	int any_bucket = 0;
	for (size_t i = 0; i < lab->n_services; i++)
		any_bucket |= lab->services[i].buckets.n > 0;
	if (any_bucket)
		lab_buf_puts(out, "# The lab's buckets are S3_BUCKETS of the object store, which creates them at start.\n");
	struct lab_strv bases = LAB_STRV_INIT, ctxs = LAB_STRV_INIT;
	build_only(&bases, &ctxs, lab);
	if (bases.n) {
		lab_buf_puts(out, "# Built only, never run (replicas: 0), and first: Compose builds in file order:");
		for (size_t i = 0; i < bases.n; i++)
			lab_buf_printf(out, "%s %s", i ? "," : "", bases.v[i]);
		lab_buf_puts(out, ",\n# the base image");
		lab_buf_puts(out, bases.n == 1 ? " that other images here are FROM.\n" : "s that other images here are FROM.\n");
	}
	lab_strv_free(&bases);
	lab_strv_free(&ctxs);
	if (lab->n_jobs || lab->n_checks || lab->n_datasets || lab->n_connectors) {
		lab_buf_puts(out, "# Not in Compose, so not here:");
		if (lab->n_jobs) {
			lab_buf_puts(out, " jobs (");
			for (size_t i = 0; i < lab->n_jobs; i++)
				lab_buf_printf(out, "%s%s", i ? ", " : "", lab->jobs[i].name);
			lab_buf_puts(out, ": labctl run)");
		}
		if (lab->n_datasets)
			lab_buf_printf(out, "%s datasets", lab->n_jobs ? "," : "");
		if (lab->n_checks)
			lab_buf_printf(out, "%s checks (labctl verify)", lab->n_jobs || lab->n_datasets ? "," : "");
		if (lab->n_connectors) {
			lab_buf_printf(out, "%s connectors (", lab->n_jobs || lab->n_datasets || lab->n_checks ? "," : "");
			for (size_t i = 0; i < lab->n_connectors; i++)
				lab_buf_printf(out, "%s%s", i ? ", " : "", lab->connectors[i].name);
			lab_buf_puts(out, ": labctl up creates them; by hand, PUT each config to /connectors/NAME/config)");
		}
		lab_buf_puts(out, ".\n");
	}
}

/* A top-level volumes: or networks: entry: "name: {}", an external one
 * used by its engine name, or one with a custom name: and/or labels:. */
static void top_level_entry(struct lab_emit *m, const char *name, const char *external_name, const char *custom_name,
			    const struct lab_strv *labels)
{
	lab_emit_plain(m, name);
	lab_emit_map_start(m, !labels->n);
	if (external_name) {
		lab_emit_plain(m, "external");
		lab_emit_plain(m, "true");
		kv(m, "name", external_name);
	} else if (custom_name) {
		kv(m, "name", custom_name);
	}
	if (labels->n) {
		lab_emit_plain(m, "labels");
		env_map(m, labels, NULL);
	}
	lab_emit_map_end(m);
}

/* The first Compose key of s that the export does not write yet (the
 * container settings of struct lab_ctr_opts and the like), or NULL:
 * refused rather than dropped. */
static const char *unexported_key(const struct lab_service *s)
{
	const struct lab_ctr_opts *o = &s->ctr;
	if (o->memory_reservation)
		return "mem_reservation";
	if (o->nano_cpus)
		return "cpus";
	if (o->pids_limit)
		return "deploy.resources.limits.pids";
	if (o->shm_size)
		return "shm_size";
	if (o->tmpfs.n)
		return "tmpfs";
	if (o->extra_hosts.n)
		return "extra_hosts";
	if (o->cap_add.n || o->cap_drop.n)
		return o->cap_add.n ? "cap_add" : "cap_drop";
	if (o->privileged)
		return "privileged";
	if (o->read_only)
		return "read_only";
	if (o->has_init)
		return "init";
	if (o->n_ulimits)
		return "ulimits";
	if (o->sysctls.n)
		return "sysctls";
	if (o->security_opt.n || o->systempaths_unconfined)
		return "security_opt";
	if (o->devices.n)
		return "devices";
	if (o->dns.n || o->dns_search.n)
		return o->dns.n ? "dns" : "dns_search";
	if (o->stop_signal)
		return "stop_signal";
	if (o->has_stop_grace)
		return "stop_grace_period";
	if (o->tty || o->stdin_open)
		return o->tty ? "tty" : "stdin_open";
	if (o->has_logging)
		return "logging";
	if (o->ipc || o->pid)
		return o->ipc ? "ipc" : "pid";
	if (o->group_add.n)
		return "group_add";
	if (o->domainname)
		return "domainname";
	if (o->expose.n)
		return "expose";
	if (o->net_aliases.n)
		return "networks.*.aliases";
	if (o->build_labels.n)
		return "build.labels";
	if (o->platform)
		return "platform";
	if (o->pull_policy)
		return "pull_policy";
	if (o->volumes_from.n)
		return "volumes_from";
	if (s->profiles.n)
		return "profiles";
	for (size_t i = 0; i < s->n_deps; i++)
		if (s->deps[i].restart || s->deps[i].optional)
			return s->deps[i].restart ? "depends_on.restart" : "depends_on.required";
	return NULL;
}

int lab_export_compose(const struct lab *lab, const char *base_dir, struct lab_buf *out, struct lab_err *err)
{
	for (size_t i = 0; i < lab->n_services; i++) {
		const char *k = unexported_key(&lab->services[i]);
		if (k)
			return lab_err_set(err, LAB_EINPUT,
					   "%s:%d:%d: service '%s' sets '%s', which labctl export compose does not write "
					   "yet: the export would run differently",
					   lab->services[i].mark.file, lab->services[i].mark.line, lab->services[i].mark.col,
					   lab->services[i].name, k);
	}
	header(out, lab, base_dir);
	struct lab_emit m;
	lab_emit_begin(&m, out);
	lab_emit_map_start(&m, 0);

	lab_emit_plain(&m, "services");
	lab_emit_map_start(&m, 0);
	struct lab_strv bases = LAB_STRV_INIT, ctxs = LAB_STRV_INIT;
	build_only(&bases, &ctxs, lab);
	for (size_t i = 0; i < bases.n; i++)
		build_only_service(&m, lab, bases.v[i], ctxs.v[i], base_dir);
	lab_strv_free(&bases);
	lab_strv_free(&ctxs);
	for (size_t i = 0; i < lab->n_services; i++)
		service(&m, &lab->services[i], base_dir);
	lab_emit_map_end(&m);

	if (lab->n_volumes) {
		lab_emit_plain(&m, "volumes");
		lab_emit_map_start(&m, 0);
		for (size_t i = 0; i < lab->n_volumes; i++) {
			const struct lab_volume *v = &lab->volumes[i];
			top_level_entry(&m, v->name, v->external_name, v->custom_name, &v->labels);
		}
		lab_emit_map_end(&m);
	}
	int custom_nets = 0;
	for (size_t i = 0; i < lab->n_networks; i++)
		custom_nets |= strcmp(lab->networks[i].name, "default") != 0 || lab->networks[i].external_name ||
			       lab->networks[i].custom_name || lab->networks[i].labels.n;
	if (custom_nets) {
		lab_emit_plain(&m, "networks");
		lab_emit_map_start(&m, 0);
		for (size_t i = 0; i < lab->n_networks; i++) {
			const struct lab_network *n = &lab->networks[i];
			top_level_entry(&m, n->name, n->external_name, n->custom_name, &n->labels);
		}
		lab_emit_map_end(&m);
	}

	lab_emit_map_end(&m);
	return lab_emit_end(&m, err);
}
