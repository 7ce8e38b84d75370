/* What converge does before the service workers start: images, networks
 * and volumes, the lab's existing containers, surplus replicas and
 * orphans. All on the caller's thread and engine handle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/catalog.h"
#include "../plan/plan.h"
#include "../util/parallel.h"
#include "internal.h"

/* ---- images ---- */

struct image_ctx {
	struct cv *cv;
	const char *service;
	int failed; /* a build or pull was tried and failed */
};

static void on_image(const struct lab_image_event *iev, void *ud)
{
	struct image_ctx *ic = ud;
	if (iev->phase == LAB_IMAGE_FAILED)
		ic->failed = 1;
	if (iev->phase == LAB_IMAGE_READY && iev->context)
		atomic_fetch_add(&ic->cv->images_built, 1);
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_IMAGE, .service = ic->service, .image = iev};
	converge_emit(ic->cv, &ev);
}

/* The lab's builds, for the images its Dockerfiles are FROM: one per
 * service with build: (names point into c; free the array only). */
static struct lab_image_source *lab_sources(struct cv *c, struct lab_strv *names, size_t *n)
{
	struct lab_image_source *src = calloc(c->n ? c->n : 1, sizeof(*src));
	if (!src)
		abort();
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct lab_service *s = c->runs[i].svc;
		if (!s->has_build)
			continue;
		lab_strv_take(names, lab_plan_image_name(c->lab, s));
		src[(*n)++] = (struct lab_image_source){.name = names->v[names->n - 1],
							.context = s->build_context,
							.dockerfile = s->build_dockerfile,
							.args = &s->build_args,
							.target = s->build_target};
	}
	return src;
}

/* r's image into r->image_id through lab_image_ensure on engine e. *tried
 * (may be NULL) is 1 when a build or pull was tried and failed (not when
 * the engine could not be asked). */
static int ensure_one(struct cv *c, struct lab_engine *e, struct svc_run *r, int *tried, struct lab_err *err)
{
	struct lab_service *s = r->svc;
	char *name = lab_plan_image_name(c->lab, s);
	struct lab_strv names = LAB_STRV_INIT;
	size_t n_src = 0;
	struct lab_image_source *src = lab_sources(c, &names, &n_src);
	struct image_ctx ic = {c, s->name, 0};
	struct lab_image_req req = {
		.name = name,
		.context = s->has_build ? s->build_context : NULL,
		.dockerfile = s->build_dockerfile,
		.args = &s->build_args,
		.target = s->build_target,
		.project = c->lab->project,
		.force = c->opts->force_build || (s->ctr.pull_policy && !strcmp(s->ctr.pull_policy, "build")),
		.labels = &s->ctr.build_labels,
		.pull = !s->ctr.pull_policy || s->has_build                ? LAB_IMAGE_PULL_MISSING
			: !strcmp(s->ctr.pull_policy, "always") ? LAB_IMAGE_PULL_ALWAYS
			: !strcmp(s->ctr.pull_policy, "never")  ? LAB_IMAGE_PULL_NEVER
								  : LAB_IMAGE_PULL_MISSING,
		.progress = on_image,
		.progress_ud = &ic,
		.sources = src,
		.n_sources = n_src,
	};
	int rc = lab_image_ensure(&r->image_id, e, &req, err);
	if (tried)
		*tried = ic.failed && rc != LAB_EUNREACHABLE;
	if (rc < 0)
		lab_err_prefix(err, "service '%s'", s->name);
	free(src);
	lab_strv_free(&names);
	free(name);
	return rc;
}

/* r's image id into r->image_id: one another service resolved already,
 * else ensure_one. */
static int ensure_image(struct cv *c, struct svc_run *r, int *tried, struct lab_err *err)
{
	struct lab_service *s = r->svc;
	char *name = lab_plan_image_name(c->lab, s);
	/* the same image may be shared by several services: resolved once
	   (services that build come first) */
	for (struct svc_run *o = c->runs; o < c->runs + c->n; o++) {
		if (o == r || !o->image_id)
			continue;
		char *oname = lab_plan_image_name(c->lab, o->svc);
		int same = strcmp(oname, name) == 0;
		free(oname);
		if (same && (o->svc->has_build || !s->has_build)) {
			r->image_id = lab_xstrdup(o->image_id);
			free(name);
			return 0;
		}
	}
	free(name);
	return ensure_one(c, c->engine, r, tried, err);
}

/* Some service of the lab builds the image r runs. */
static int built_here(struct cv *c, const struct svc_run *r)
{
	char *name = lab_plan_image_name(c->lab, r->svc);
	int built = 0;
	for (size_t i = 0; i < c->n && !built; i++) {
		if (!c->runs[i].svc->has_build)
			continue;
		char *other = lab_plan_image_name(c->lab, c->runs[i].svc);
		built = strcmp(other, name) == 0;
		free(other);
	}
	free(name);
	return built;
}

/* A pull problem a stand-in is built for, in plain words (the
 * STAND_IN event's reason); NULL for the others (a bad name, an error
 * that says nothing of the registry). */
static const char *standin_reason(enum lab_pull_problem p)
{
	switch (p) {
	case LAB_PULL_NO_REGISTRY:
		return "no registry reachable";
	case LAB_PULL_RATE_LIMITED:
		return "the registry's pull rate limit was reached";
	case LAB_PULL_DENIED:
		return "pull access denied";
	case LAB_PULL_AUTH:
		return "its registry requires authentication";
	case LAB_PULL_NO_SUCH_IMAGE:
		return "no such image in its registry";
	case LAB_PULL_BAD_NAME:
	case LAB_PULL_OTHER:
		break;
	}
	return NULL;
}

/* "; no stand-in in CATALOG matches it (...)" when a catalog was asked,
 * else "" (static or into buf). */
static const char *no_standin(struct cv *c, char *buf, size_t n)
{
	if (!c->opts->catalog)
		return "";
	if (!c->catalog)
		snprintf(buf, n, "; no stand-in catalog at '%s'", c->opts->catalog);
	else
		snprintf(buf, n, "; no stand-in in '%s' matches it (`labctl images` lists them)", c->catalog->path);
	return buf;
}

static int standin_planned(const struct cv *c, const char *name)
{
	for (size_t i = 0; i < c->n_standins; i++)
		if (strcmp(c->standins[i].name, name) == 0)
			return 1;
	return 0;
}

/* up --offline: the images the lab's builds are FROM that are not built
 * here (lab_image_external_bases) must be on the engine, since the build
 * would pull them. One that is absent gets the catalog's stand-in planned,
 * built before the lab's builds; one no entry matches is a line in lines
 * (and its name in failed), as pull_images' own. Engine errors stop. */
static int offline_bases(struct cv *c, struct lab_buf *lines, struct lab_strv *failed, struct lab_err *err)
{
	struct lab_strv names = LAB_STRV_INIT, bases = LAB_STRV_INIT, checked = LAB_STRV_INIT;
	size_t n_src = 0;
	struct lab_image_source *src = lab_sources(c, &names, &n_src);
	int rc = 0;
	for (size_t i = 0, k = 0; i < c->n && rc == 0; i++) {
		struct svc_run *r = &c->runs[i];
		if (!r->svc->has_build)
			continue;
		const struct lab_image_source *mine = &src[k++];
		lab_strv_free(&bases);
		lab_image_external_bases(&bases, mine, src, n_src);
		for (size_t j = 0; j < bases.n && rc == 0; j++) {
			const char *base = bases.v[j];
			char *id = NULL, *entry = NULL, note[700];
			if (lab_strv_find(&checked, base) >= 0 || lab_strv_find(failed, base) >= 0)
				continue;
			lab_strv_push(&checked, base);
			struct lab_err why = {0};
			int have = converge_image_inspect(c->engine, base, &id, &entry, &why);
			free(id);
			free(entry);
			if (have < 0 && !(have == LAB_EENGINE && lab_image_pull_problem(why.msg) == LAB_PULL_BAD_NAME)) {
				*err = why;
				rc = have;
				break;
			}
			if (have == 1)
				continue;
			char reason[300];
			snprintf(reason, sizeof(reason), "not present and --offline (service '%s' builds FROM it)",
				 r->svc->name);
			int planned = have == 0 ? converge_standin_plan_base(c, r, base, reason, err) : 0;
			if (planned < 0) {
				rc = planned;
				break;
			}
			if (planned == 1)
				continue;
			lab_buf_printf(lines,
				       "\n  service '%s': its build (%s/%s) is FROM '%s': not on the engine and not pulled "
				       "(--offline)%s: load it (docker load -i FILE), build FROM an image that is here, or "
				       "up without --offline where its registry answers",
				       r->svc->name, mine->context, mine->dockerfile ? mine->dockerfile : "Dockerfile", base,
				       no_standin(c, note, sizeof(note)));
			lab_strv_push(failed, base);
		}
	}
	lab_strv_free(&bases);
	lab_strv_free(&checked);
	lab_strv_free(&names);
	free(src);
	return rc;
}

/* The images the lab pulls (no build: here makes them), each pulled when
 * absent; all are tried, and those that cannot be had are listed
 * together in err (LAB_EINPUT), each with the reason in plain words and
 * what to do. One that cannot be pulled for a reason a stand-in is for
 * (standin_reason), or is absent with opts->offline or pull_policy never,
 * gets the catalog's stand-in planned instead when an entry matches; a
 * present stand-in is planned too (rebuilt when its build is stale). An
 * engine that cannot be asked stops at once. */
static int pull_images(struct cv *c, struct lab_err *err)
{
	struct lab_buf lines = LAB_BUF_INIT;
	struct lab_strv failed = LAB_STRV_INIT; /* image names */
	int rc = 0, stop = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct svc_run *r = &c->runs[i];
		if (r->svc->has_build || built_here(c, r))
			continue;
		char *name = lab_plan_image_name(c->lab, r->svc);
		char *id = NULL, *entry = NULL;
		char note[700];
		const char *reason = NULL;
		struct lab_err why = {0};
		int tried = 0, never = r->svc->ctr.pull_policy && !strcmp(r->svc->ctr.pull_policy, "never");
		int always = r->svc->ctr.pull_policy && !strcmp(r->svc->ctr.pull_policy, "always");
		if (lab_strv_find(&failed, name) >= 0 || standin_planned(c, name))
			goto next;
		if (!always || c->opts->offline) {
			/* present: a stand-in built before is checked like a build,
			   anything else used as it is */
			rc = converge_image_inspect(c->engine, name, &id, &entry, &why);
			if (rc == 1 && entry) {
				if ((rc = converge_standin_plan(c, r, name, entry, NULL, err)) < 0)
					goto stop;
				if (rc == 1) {
					rc = 0;
					goto next;
				}
				rc = 1; /* no catalog, or no entry for it now: used as it is */
			}
			if (rc == 1) {
				r->image_id = id;
				id = NULL;
				rc = 0;
				goto next;
			}
			if (rc < 0 && !(rc == LAB_EENGINE && lab_image_pull_problem(why.msg) == LAB_PULL_BAD_NAME)) {
				*err = why;
				goto stop;
			}
			if (rc < 0) { /* the engine refuses to even look the name up */
				lab_buf_printf(&lines, "\n  service '%s': image '%s': %s (the engine said: %s)", r->svc->name, name,
					       lab_image_pull_advice(LAB_PULL_BAD_NAME), why.msg);
				lab_strv_push(&failed, name);
				rc = 0;
				goto next;
			}
		}
		if (c->opts->offline || never) {
			reason = c->opts->offline ? "not present and --offline" : "not present and its pull_policy is never";
		} else {
			rc = ensure_image(c, r, &tried, &why);
			/* a name the engine refuses to even look up (400) is as bad */
			if (rc == LAB_EENGINE && lab_image_pull_problem(why.msg) == LAB_PULL_BAD_NAME)
				tried = 1;
			if (rc == 0)
				goto next;
			if (!tried) {
				*err = why;
				goto stop;
			}
			reason = standin_reason(lab_image_pull_problem(why.msg));
		}
		if (reason) {
			if ((rc = converge_standin_plan(c, r, name, NULL, reason, err)) < 0)
				goto stop;
			if (rc == 1) {
				rc = 0;
				goto next;
			}
		}
		rc = 0;
		if (c->opts->offline || never) {
			lab_buf_printf(&lines,
				       "\n  service '%s': image '%s': not on the engine and not pulled (%s)%s: give the "
				       "service a build: (a directory with a Dockerfile), load it (docker load -i FILE), or %s",
				       r->svc->name, name, c->opts->offline ? "--offline" : "pull_policy: never",
				       no_standin(c, note, sizeof(note)),
				       c->opts->offline ? "up without --offline where its registry answers"
							: "let it be pulled (pull_policy: missing)");
		} else {
			/* why: "service 'x': pull 'name': <the engine's message>" */
			const char *said = strstr(why.msg, "pull '");
			said = said && strstr(said, "': ") ? strstr(said, "': ") + 3 : why.msg;
			if (said == why.msg && strncmp(said, "service '", 9) == 0 && strstr(said, "': "))
				said = strstr(said, "': ") + 3;
			lab_buf_printf(&lines, "\n  service '%s': image '%s': %s (the engine said: %s)%s", r->svc->name, name,
				       lab_image_pull_advice(lab_image_pull_problem(why.msg)), said,
				       reason ? no_standin(c, note, sizeof(note)) : "");
		}
		lab_strv_push(&failed, name);
		goto next;
	stop:
		stop = 1;
	next:
		free(id);
		free(entry);
		free(name);
		if (stop)
			break;
	}
	if (!stop && c->opts->offline && (rc = offline_bases(c, &lines, &failed, err)) < 0)
		stop = 1;
	if (stop) {
		lab_strv_free(&failed);
		lab_buf_release(&lines);
		return rc < 0 ? rc : err->code;
	}
	if (failed.n)
		rc = lab_err_set(err, LAB_EINPUT,
				 "%zu image%s the lab needs cannot be had (no container, network or volume was made):%s",
				 failed.n, failed.n == 1 ? "" : "s", lab_buf_cstr(&lines));
	lab_strv_free(&failed);
	lab_buf_release(&lines);
	return rc;
}

/* The builds, on up to jobs threads: first the services' (one per
 * distinct image name), then opts->extra_images. */
struct builds {
	struct cv *c;
	size_t n_runs;
	struct svc_run **runs;   /* one per distinct image name */
	struct lab_err *errs;    /* per run, meaningful where rcs[i] < 0 */
	int *rcs;                /* per run */
	atomic_int failed;       /* a build failed: the ones not started are not */
	struct standin **first;  /* set: build only these (and runs/extras not at all) */
};

/* An image no service runs (converge_opts.extra_images), reported as
 * the image's own. */
static int ensure_extra(struct cv *c, struct lab_engine *e, const struct lab_image_source *x, struct lab_err *err)
{
	struct lab_strv names = LAB_STRV_INIT;
	size_t n_src = 0;
	struct lab_image_source *src = lab_sources(c, &names, &n_src);
	struct image_ctx ic = {c, x->name, 0};
	struct lab_image_req req = {
		.name = x->name,
		.context = x->context,
		.dockerfile = x->dockerfile,
		.args = x->args,
		.target = x->target,
		.project = c->lab->project,
		.force = c->opts->force_build,
		.progress = on_image,
		.progress_ud = &ic,
		.sources = src,
		.n_sources = n_src,
	};
	char *id = NULL;
	int rc = lab_image_ensure(&id, e, &req, err);
	free(id);
	free(src);
	lab_strv_free(&names);
	return rc;
}

/* Stand-in i (converge_standin_plan) built, or found current, through
 * lab_image_ensure from its catalog entry's context: its bases first,
 * EXTRA_CA_CERTS added, the build hash kept in its labels. */
static int ensure_standin(struct cv *c, struct lab_engine *e, struct standin *s, struct lab_err *err)
{
	struct image_ctx ic = {c, s->r->svc->name, 0};
	struct lab_image_req req = {
		.name = s->name,
		.context = s->entry->context,
		.dockerfile = s->entry->dockerfile,
		.args = &s->args,
		.project = c->lab->project,
		.force = c->opts->force_build,
		.labels = &s->labels,
		.progress = on_image,
		.progress_ud = &ic,
	};
	char *id = NULL;
	int rc = lab_image_ensure(&id, e, &req, err);
	if (s->runs && !s->r->image_id) {
		s->r->image_id = id;
		id = NULL;
	}
	free(id);
	if (rc < 0)
		lab_err_prefix(err, "service '%s': stand-in '%s' for image '%s'", s->r->svc->name, s->entry->name,
			       s->name);
	return rc;
}

static void build_one(size_t i, void *ud)
{
	struct builds *b = ud;
	if (atomic_load(&b->failed))
		return;
	struct lab_engine *e = lab_engine_dup(b->c->engine);
	size_t n_extra = b->c->opts->n_extra_images;
	if (b->first) /* the first phase: the stand-ins the lab's builds are FROM */
		b->rcs[i] = ensure_standin(b->c, e, b->first[i], &b->errs[i]);
	else if (i < b->n_runs)
		b->rcs[i] = ensure_one(b->c, e, b->runs[i], NULL, &b->errs[i]);
	else if (i < b->n_runs + n_extra)
		b->rcs[i] = ensure_extra(b->c, e, &b->c->opts->extra_images[i - b->n_runs], &b->errs[i]);
	else
		b->rcs[i] = ensure_standin(b->c, e, &b->c->standins[i - b->n_runs - n_extra], &b->errs[i]);
	if (b->rcs[i] < 0)
		atomic_store(&b->failed, 1);
	lab_engine_free(e);
}

/* How many builds at once: $LABCTL_BUILD_JOBS (1..16), default 2. */
static size_t build_jobs(void)
{
	const char *s = getenv("LABCTL_BUILD_JOBS");
	char *end;
	long n = s ? strtol(s, &end, 10) : 0;
	return s && *s && !*end && n >= 1 && n <= 16 ? (size_t)n : 2;
}

int converge_images(struct cv *c, struct lab_err *err)
{
	/* first what is pulled, all of it, so that every image that cannot
	   be had is known before a long build; then the builds, each image
	   once, several at a time (an image's bases built here come first,
	   lab_image_ensure); then the services that run an image built here */
	int rc = pull_images(c, err);
	if (rc < 0)
		return rc;
	size_t cap = c->n + c->opts->n_extra_images + c->n_standins + 1;
	struct builds b = {.c = c, .runs = calloc(cap, sizeof(*b.runs)),
			   .errs = calloc(cap, sizeof(*b.errs)),
			   .rcs = calloc(cap, sizeof(*b.rcs))};
	if (!b.runs || !b.errs || !b.rcs)
		abort();
	struct lab_strv seen = LAB_STRV_INIT;
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->runs[i].svc->has_build)
			continue;
		char *name = lab_plan_image_name(c->lab, c->runs[i].svc);
		if (lab_strv_find(&seen, name) < 0) {
			b.runs[n++] = &c->runs[i];
			lab_strv_take(&seen, name);
		} else {
			free(name);
		}
	}
	b.n_runs = n;
	n += c->opts->n_extra_images; /* one a service builds too is found current */
	n += c->n_standins;
	lab_strv_free(&seen);
	size_t jobs = build_jobs();
	double t = lab_now();
	atomic_store(&c->images_built, 0);
	/* up --offline: a stand-in a build here is FROM comes before that
	   build, which would otherwise ask the engine to pull it */
	size_t n_first = 0;
	struct standin **first = calloc(c->n_standins + 1, sizeof(*first));
	if (!first)
		abort();
	for (size_t i = 0; i < c->n_standins; i++)
		if (c->standins[i].first)
			first[n_first++] = &c->standins[i];
	if (n_first) {
		b.first = first;
		lab_parallel(n_first, jobs, build_one, &b);
		b.first = NULL;
	}
	free(first);
	if (!atomic_load(&b.failed))
		lab_parallel(n, jobs, build_one, &b);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (b.rcs[i] < 0) {
			*err = b.errs[i];
			rc = b.rcs[i];
		}
	int built = atomic_load(&c->images_built);
	if (built > 0) {
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_IMAGES_BUILT,
						.count = (size_t)built,
						.jobs = jobs,
						.took_ms = (long)((lab_now() - t) * 1000.0)};
		converge_emit(c, &ev);
	}
	free(b.runs);
	free(b.errs);
	free(b.rcs);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < c->n; i++)
		if (!c->runs[i].image_id && ensure_image(c, &c->runs[i], NULL, err) < 0)
			return err->code;
	return 0;
}

/* ---- networks and volumes ---- */

static int name_in(const cJSON *arr, const char *key, const char *name)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, key);
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return 1;
	}
	return 0;
}

static const char *str_of(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* The networks of nets (GET /networks) named name, as an array of
 * references into nets (free with cJSON_Delete; nets must outlive it). */
static cJSON *networks_named(const cJSON *nets, const char *name)
{
	cJSON *found = cJSON_CreateArray();
	const cJSON *it;
	cJSON_ArrayForEach(it, nets)
	{
		const char *n = str_of(it, "Name");
		if (n && strcmp(n, name) == 0)
			cJSON_AddItemReferenceToArray(found, (cJSON *)it);
	}
	return found;
}

/* How many containers are attached to network id (GET /networks/{id}:
 * the list does not say). */
static int attached(int *n, struct lab_engine *e, const char *id, struct lab_err *err)
{
	cJSON *net = NULL;
	char *path = lab_xasprintf("/networks/%s", id);
	int rc = lab_engine_json(e, "GET", path, NULL, &net, err);
	*n = rc == 0 ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(net, "Containers")) : 0;
	cJSON_Delete(net);
	free(path);
	return rc;
}

/* Several networks are called name (an older labctl racing itself, or
 * another tool, made them; Docker allows it, and then refuses to start a
 * container on the name: "network x is ambiguous"). Keep one: the one with
 * containers attached, else one with the lab's label, else the oldest; the
 * others, with nothing attached, are removed. Two or more in use cannot be
 * told apart: refused (LAB_ERR) naming them. *id_out gets the one kept. */
static int repair_duplicates(char **id_out, struct cv *c, const char *name, const cJSON *dups, struct lab_err *err)
{
	int n = cJSON_GetArraySize(dups), keep = -1, in_use = 0, rc = 0;
	int *users = lab_xcalloc((size_t)n, sizeof(int));
	struct lab_buf used = LAB_BUF_INIT;
	for (int i = 0; i < n; i++) {
		const cJSON *d = cJSON_GetArrayItem(dups, i);
		rc = attached(&users[i], c->engine, str_of(d, "Id"), err);
		if (rc < 0)
			goto out;
		if (users[i]) {
			lab_buf_printf(&used, "%s%.12s (%d)", in_use ? ", " : "", str_of(d, "Id"), users[i]);
			in_use++;
			keep = i;
		}
	}
	if (in_use > 1) {
		rc = lab_err_set(err, LAB_ERR,
				 "network '%s' is ambiguous: %d networks have that name and %d of them have containers "
				 "attached: %s; remove the one the lab should not use (docker network inspect ID, then "
				 "docker network rm ID once its containers are gone), or run `labctl down %s`",
				 name, n, in_use, lab_buf_cstr(&used), c->lab->project);
		goto out;
	}
	/* none in use: the oldest of the lab's, else the oldest (RFC 3339
	   times of one engine compare as text) */
	for (int pass = 0; keep < 0 && pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			const cJSON *d = cJSON_GetArrayItem(dups, i);
			const char *lab = str_of(cJSON_GetObjectItemCaseSensitive(d, "Labels"), LAB_LABEL_LAB);
			if (pass == 0 && !(lab && strcmp(lab, c->lab->project) == 0))
				continue;
			const char *a = str_of(d, "Created");
			const char *b = keep >= 0 ? str_of(cJSON_GetArrayItem(dups, keep), "Created") : NULL;
			if (keep < 0 || (a && b && strcmp(a, b) < 0))
				keep = i;
		}
	const char *kept = str_of(cJSON_GetArrayItem(dups, keep), "Id");
	for (int i = 0; i < n; i++) {
		if (i == keep)
			continue;
		const char *id = str_of(cJSON_GetArrayItem(dups, i), "Id");
		rc = lab_engine_network_remove(c->engine, id, err);
		if (rc == LAB_ENOTFOUND)
			rc = 0;
		if (rc < 0) {
			lab_err_prefix(err, "network '%s' is ambiguous (%d of that name) and its duplicate %.12s cannot be removed",
				       name, n, id);
			goto out;
		}
		char *why = lab_xasprintf("a duplicate of %.12s, nothing attached", kept);
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_NETWORK_REMOVED, .name = name, .reason = why};
		converge_emit(c, &ev);
		free(why);
	}
	*id_out = lab_xstrdup(kept);
out:
	lab_buf_release(&used);
	free(users);
	return rc;
}

/* have (an engine object's Labels, or NULL) holds exactly want's labels. */
static int labels_equal(const cJSON *have, const cJSON *want)
{
	if (cJSON_GetArraySize(have) != cJSON_GetArraySize(want))
		return 0;
	const cJSON *w;
	cJSON_ArrayForEach(w, want)
	{
		const char *h = str_of(have, w->string);
		if (!h || strcmp(h, cJSON_GetStringValue(w)) != 0)
			return 0;
	}
	return 1;
}

/* One container attached to a network being made anew: its id and the
 * aliases it had there. */
struct attached_ctr {
	char *id;
	cJSON *aliases;
};

/* Network name (old_id) is the lab's but carries other labels than the
 * file's (labels are set at create only): made anew, as Docker Compose v2
 * does when a network's configuration diverges from the one it recorded
 * (compose v5.6.0 pkg/compose/reconcile.go, reconcileNetworks and
 * planRecreateNetworks: no question asked, a network holds no data). The
 * containers attached, all of the lab's, are stopped and disconnected,
 * the network removed and created with want_labels, the containers
 * connected again with the aliases they had; they are not recreated
 * (converge's step 3 finds them stopped and starts them). A container of
 * something else attached is refused (LAB_ERR) before anything changes.
 * *id_out gets the new network's id. */
static int recreate_network(char **id_out, struct cv *c, const char *name, const char *old_id, cJSON *want_labels,
			    struct lab_err *err)
{
	cJSON *net = NULL;
	char *path = lab_xasprintf("/networks/%s", old_id);
	int rc = lab_engine_json(c->engine, "GET", path, NULL, &net, err);
	free(path);
	if (rc < 0)
		return rc;
	const cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(net, "Containers"), *x;
	size_t n = 0;
	struct attached_ctr *at = lab_xcalloc((size_t)cJSON_GetArraySize(ctrs) + 1, sizeof(*at));
	cJSON_ArrayForEach(x, ctrs)
	{
		cJSON *ins = NULL;
		if ((rc = lab_engine_container_inspect(c->engine, x->string, &ins, err)) < 0)
			goto out;
		const char *lab = str_of(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ins, "Config"),
									     "Labels"),
					 LAB_LABEL_LAB);
		if (!lab || strcmp(lab, c->lab->project) != 0) {
			const char *cn = str_of(ins, "Name");
			rc = lab_err_set(err, LAB_ERR,
					 "network '%s' has other labels than the file gives it and must be made anew, but "
					 "container '%s' (not of lab '%s') is attached to it: disconnect it (docker network "
					 "disconnect %s %s) and run up again",
					 name, cn ? cn + (*cn == '/') : x->string, c->lab->project, name, x->string);
			cJSON_Delete(ins);
			goto out;
		}
		const cJSON *ep = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ins, "NetworkSettings"),
							 "Networks"),
			name);
		at[n].id = lab_xstrdup(x->string);
		at[n].aliases = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ep, "Aliases"), 1);
		n++;
		cJSON_Delete(ins);
	}
	for (size_t i = 0; i < n; i++) {
		/* as Compose: stopped, then disconnected */
		rc = lab_engine_container_stop(c->engine, at[i].id, LAB_STOP_TIMEOUT_CONTAINER, err);
		if (rc < 0)
			goto out;
		cJSON *body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "Container", at[i].id);
		cJSON_AddTrueToObject(body, "Force");
		path = lab_xasprintf("/networks/%s/disconnect", old_id);
		rc = lab_engine_json(c->engine, "POST", path, body, NULL, err);
		free(path);
		cJSON_Delete(body);
		if (rc < 0)
			goto out;
	}
	if ((rc = lab_engine_network_remove(c->engine, old_id, err)) < 0)
		goto out;
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_NETWORK_REMOVED,
					.name = name,
					.reason = "its labels differ from the file's: made anew, as Docker Compose does"};
	converge_emit(c, &ev);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Name", name);
	cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
	cJSON_AddItemReferenceToObject(body, "Labels", want_labels);
	rc = lab_engine_network_create(c->engine, body, id_out, err);
	cJSON_Delete(body);
	if (rc < 0)
		goto out;
	struct lab_converge_event made = {.kind = LAB_CONVERGE_NETWORK_CREATED, .name = name};
	converge_emit(c, &made);
	for (size_t i = 0; i < n; i++) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "Container", at[i].id);
		cJSON *epc = cJSON_AddObjectToObject(b, "EndpointConfig");
		if (at[i].aliases) {
			cJSON_AddItemToObject(epc, "Aliases", at[i].aliases);
			at[i].aliases = NULL;
		}
		path = lab_xasprintf("/networks/%s/connect", *id_out);
		rc = lab_engine_json(c->engine, "POST", path, b, NULL, err);
		free(path);
		cJSON_Delete(b);
		if (rc < 0)
			goto out;
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(at[i].id);
		cJSON_Delete(at[i].aliases);
	}
	free(at);
	cJSON_Delete(net);
	return rc;
}

/* A network or volume of the lab found under its name but not made for
 * the lab (owner: its io.labctl.lab, or NULL): used as it is, and said,
 * as Docker Compose v2 warns ("a network with name X exists but was not
 * created by compose", compose v5.6.0 pkg/compose/create.go,
 * warnUnmanagedNetworks / warnUnmanagedVolumes). */
static void note_not_ours(struct cv *c, const char *what, const char *name, const char *owner)
{
	char *text = owner ? lab_xasprintf("%s '%s' exists but was made for lab '%s': used as it is (write 'external: "
					   "true' to use an existing %s)",
					   what, name, owner, what)
			   : lab_xasprintf("%s '%s' exists but was not made by labctl: used as it is, labels and all "
					   "(write 'external: true' to use an existing %s)",
					   what, name, what);
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_NOTE, .reason = text};
	converge_emit(c, &ev);
	free(text);
}

/* Network n's id: the one of its name, made when there is none. Made
 * labelled; found by name, since a network another tool made (compose
 * names its networks alike) or an external one is used as it is. A name
 * that several networks carry is repaired first (repair_duplicates), also
 * right after our create, for another process may have made one at the
 * same time. */
static int ensure_network(char **id_out, struct cv *c, const struct lab_network *n, cJSON **nets, struct lab_err *err)
{
	char *name = lab_plan_network_name(c->lab, n);
	cJSON *found = networks_named(*nets, name);
	char *made = NULL;
	int rc = 0;
	if (cJSON_GetArraySize(found) == 0 && n->external_name) {
		rc = lab_err_set(err, LAB_ERR, "external network '%s' does not exist", name);
		goto out;
	}
	if (cJSON_GetArraySize(found) == 0) {
		cJSON *body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "Name", name);
		cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
		cJSON_AddItemToObject(body, "Labels", lab_plan_resource_labels(c->lab, n->name, &n->labels, 1));
		rc = lab_engine_network_create(c->engine, body, &made, err);
		cJSON_Delete(body);
		if (rc < 0 && rc != LAB_EEXISTS)
			goto out;
		if (rc == LAB_EEXISTS) {
			rc = 0;
			memset(err, 0, sizeof(*err));
		} else {
			struct lab_converge_event ev = {.kind = LAB_CONVERGE_NETWORK_CREATED, .name = name};
			converge_emit(c, &ev);
		}
		/* look again: one made by someone else meanwhile shows now */
		cJSON_Delete(found);
		cJSON_Delete(*nets);
		*nets = NULL;
		found = NULL;
		if ((rc = lab_engine_networks(c->engine, NULL, nets, err)) < 0)
			goto out;
		found = networks_named(*nets, name);
		if (cJSON_GetArraySize(found) == 0 && made) {
			*id_out = made;
			made = NULL;
			goto out;
		}
	}
	if (cJSON_GetArraySize(found) > 1 && n->external_name) {
		rc = lab_err_set(err, LAB_ERR, "external network '%s' is ambiguous: %d networks have that name", name,
				 cJSON_GetArraySize(found));
		goto out;
	}
	if (cJSON_GetArraySize(found) > 1) {
		rc = repair_duplicates(id_out, c, name, found, err);
		goto out;
	}
	const cJSON *one = cJSON_GetArrayItem(found, 0);
	const char *id = str_of(one, "Id");
	if (!id) {
		rc = lab_err_set(err, LAB_EENGINE, "engine: GET /networks: network '%s' has no Id", name);
		goto out;
	}
	/* the lab's, made with other labels: made anew (recreate_network);
	   one another tool made is used as it is */
	const cJSON *have = cJSON_GetObjectItemCaseSensitive(one, "Labels");
	const char *owner = str_of(have, LAB_LABEL_LAB);
	if (!made && !n->external_name && owner && !strcmp(owner, c->lab->project)) {
		cJSON *want = lab_plan_resource_labels(c->lab, n->name, &n->labels, 1);
		if (!labels_equal(have, want))
			rc = recreate_network(id_out, c, name, id, want, err);
		else
			*id_out = lab_xstrdup(id);
		cJSON_Delete(want);
		goto out;
	}
	if (!made && !n->external_name)
		note_not_ours(c, "network", name, owner);
	*id_out = lab_xstrdup(id);
out:
	cJSON_Delete(found);
	free(made);
	free(name);
	return rc;
}

int converge_networks_volumes(struct cv *c, struct lab_err *err)
{
	cJSON *nets = NULL, *vols = NULL;
	int rc = lab_engine_networks(c->engine, NULL, &nets, err);
	if (rc < 0)
		goto out;
	c->net_ids = lab_xcalloc(c->lab->n_networks ? c->lab->n_networks : 1, sizeof(char *));
	for (size_t i = 0; i < c->lab->n_networks; i++)
		if ((rc = ensure_network(&c->net_ids[i], c, &c->lab->networks[i], &nets, err)) < 0)
			goto out;
	rc = lab_engine_volumes(c->engine, NULL, &vols, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < c->lab->n_volumes; i++) {
		struct lab_volume *v = &c->lab->volumes[i];
		char *name = lab_plan_volume_name(c->lab, v);
		if (!name_in(vols, "Name", name)) {
			if (v->external_name) {
				rc = lab_err_set(err, LAB_ERR, "external volume '%s' does not exist", name);
				free(name);
				goto out;
			}
			/* a volume's name is unique on an engine, and creating one
			   that exists returns it (Engine API: "POST /volumes/create"):
			   two creates at once make one volume */
			cJSON *body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "Name", name);
			cJSON_AddItemToObject(body, "Labels", lab_plan_resource_labels(c->lab, v->name, &v->labels, 0));
			rc = lab_engine_volume_create(c->engine, body, err);
			cJSON_Delete(body);
			if (rc < 0) {
				free(name);
				goto out;
			}
			struct lab_converge_event ev = {.kind = LAB_CONVERGE_VOLUME_CREATED, .name = name};
			converge_emit(c, &ev);
		} else if (!v->external_name) {
			/* the lab's, made with other labels (set at create
			   only): kept with its data. Docker Compose v2 asks
			   whether to recreate it, data lost, and keeps it unless
			   answered yes (compose v5.6.0 pkg/compose/reconcile.go,
			   reconcileVolumes); labctl never asks: it keeps it and
			   says how to make it anew */
			const cJSON *it, *vol = NULL;
			cJSON_ArrayForEach(it, vols) if (!strcmp(str_of(it, "Name") ? str_of(it, "Name") : "", name)) vol = it;
			const cJSON *have = cJSON_GetObjectItemCaseSensitive(vol, "Labels");
			const char *owner = str_of(have, LAB_LABEL_LAB);
			cJSON *want = lab_plan_resource_labels(c->lab, v->name, &v->labels, 0);
			if (!owner || strcmp(owner, c->lab->project) != 0) {
				note_not_ours(c, "volume", name, owner);
			} else if (!labels_equal(have, want)) {
				char *text = lab_xasprintf(
					"volume '%s' exists with other labels than the file gives it; kept with its data "
					"(labels are set when a volume is made: 'labctl down --volumes %s' then up makes it "
					"anew, data lost)",
					name, c->lab->project);
				struct lab_converge_event ev = {.kind = LAB_CONVERGE_NOTE, .reason = text};
				converge_emit(c, &ev);
				free(text);
			}
			cJSON_Delete(want);
		}
		free(name);
	}
out:
	cJSON_Delete(nets);
	cJSON_Delete(vols);
	return rc;
}

/* ---- existing containers ---- */

static const char *label_of(const cJSON *ct, const char *key)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(ct, "Labels");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int converge_list_existing(struct cv *c, struct lab_err *err)
{
	cJSON *list = NULL;
	char *filter = lab_plan_container_filter(c->lab->project);
	int rc = lab_engine_containers(c->engine, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	const cJSON *t;
	cJSON_ArrayForEach(t, list)
	{
		/* a task of the lab's Swarm services (up --swarm): Swarm owns
		   it, and a plain container beside it would be a second lab */
		if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "Labels"),
						     "com.docker.swarm.service.id")) {
			cJSON_Delete(list);
			return lab_err_set(err, LAB_EINPUT,
					   "lab '%s' runs as Swarm services (up --swarm): 'labctl down %s' first, or "
					   "'labctl up --swarm'",
					   c->lab->project, c->lab->project);
		}
	}
	size_t n = (size_t)cJSON_GetArraySize(list);
	c->ex = lab_xcalloc(n ? n : 1, sizeof(*c->ex));
	const cJSON *ct;
	cJSON_ArrayForEach(ct, list)
	{
		struct existing *e = &c->ex[c->n_ex++];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(ct, "Id");
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(ct, "Names");
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(ct, "State");
		const cJSON *first = cJSON_GetArrayItem(names, 0);
		e->id = lab_xstrdup(cJSON_IsString(id) ? id->valuestring : "");
		e->name = lab_xstrdup(cJSON_IsString(first) ? first->valuestring + (first->valuestring[0] == '/') : "");
		e->service = lab_xstrdup(label_of(ct, LAB_LABEL_SERVICE));
		e->hash = lab_xstrdup(label_of(ct, LAB_LABEL_HASH));
		const char *rep = label_of(ct, LAB_LABEL_REPLICA);
		e->replica = rep ? atoi(rep) : 0;
		e->running = cJSON_IsString(state) && strcmp(state->valuestring, "running") == 0;
		e->never_started = cJSON_IsString(state) && strcmp(state->valuestring, "created") == 0;
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ct, "Status"));
		e->exited0 = status && strncmp(status, "Exited (0)", 10) == 0;
	}
	cJSON_Delete(list);
	return 0;
}

/* ---- surplus replicas and orphans ---- */

int converge_remove_unclaimed(struct cv *c, struct lab_err *err)
{
	for (size_t i = 0; i < c->n_ex; i++) {
		struct existing *ex = &c->ex[i];
		const struct lab_service *s = ex->service ? lab_find_service(c->lab, ex->service) : NULL;
		int surplus = s && (ex->replica > s->replicas || ex->replica < 1);
		/* a container of a known service under a name we no longer use
		   (e.g. container_name changed) is surplus too */
		if (s && !surplus) {
			char *want = lab_plan_container_name(c->lab, s, ex->replica);
			surplus = strcmp(want, ex->name) != 0;
			free(want);
		}
		/* a service left out by its profiles: its containers are left
		   alone, as Compose does (they are not orphans) */
		if (!s && ex->service && lab_strv_find(&c->lab->disabled, ex->service) >= 0)
			continue;
		if (!s && !c->opts->remove_orphans) {
			struct lab_converge_event ev = {
				.kind = LAB_CONVERGE_ORPHAN_FOUND, .name = ex->name, .service = ex->service};
			converge_emit(c, &ev);
			continue;
		}
		if (!s || surplus) {
			int rc = lab_engine_container_stop(c->engine, ex->id, 10, err);
			if (rc == 0 || rc == LAB_ENOTFOUND)
				rc = lab_engine_container_remove(c->engine, ex->id, 1, err);
			if (rc < 0 && rc != LAB_ENOTFOUND)
				return rc;
			ex->claimed = 1;
			struct lab_converge_event ev = {.kind = LAB_CONVERGE_CONTAINER_REMOVED,
							.service = ex->service,
							.name = ex->name,
							.reason = s ? "replica no longer wanted" : "orphan"};
			converge_emit(c, &ev);
		}
	}
	return 0;
}
