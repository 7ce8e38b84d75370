/* lab_image_ensure: a current image, else a build (context hashed into
 * io.labctl.build-hash) or a pull, reported through req->progress. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "../engine/context.h"
#include "../plan/plan.h"
#include "../util/file.h"
#include "../util/parallel.h"
#include "catalog.h"
#include "dockerfile.h"
#include "image.h"

/* Extra CA certificates for builds that download over HTTPS through a
 * proxy that re-signs TLS: the PEM files of $LABCTL_BUILD_CA_CERTS (a file
 * or a directory), else those the host itself added to its trust store
 * (/usr/local/share/ca-certificates/\*.crt, Debian's place for them).
 * Passed as the build argument EXTRA_CA_CERTS, which our Dockerfiles trust
 * in their download stages only. NULL when there are none. */
static char *build_ca_certs(void)
{
	const char *env = getenv("LABCTL_BUILD_CA_CERTS");
	const char *src = env ? env : "/usr/local/share/ca-certificates";
	struct lab_buf pem = LAB_BUF_INIT;
	struct lab_strv files = LAB_STRV_INIT;
	struct stat st;
	if (!*src || stat(src, &st) < 0)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(src);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			size_t n = strlen(de->d_name);
			if (n > 4 && (strcmp(de->d_name + n - 4, ".crt") == 0 || strcmp(de->d_name + n - 4, ".pem") == 0))
				lab_strv_pushf(&files, "%s/%s", src, de->d_name);
		}
		if (d)
			closedir(d);
	} else {
		lab_strv_push(&files, src);
	}
	for (size_t i = 0; i < files.n; i++) {
		FILE *f = fopen(files.v[i], "r");
		char chunk[4096];
		size_t n;
		while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			lab_buf_append(&pem, chunk, n);
		if (f)
			fclose(f);
	}
	lab_strv_free(&files);
	if (!pem.len || !strstr(lab_buf_cstr(&pem), "BEGIN CERTIFICATE")) {
		lab_buf_release(&pem);
		return NULL;
	}
	return lab_buf_detach(&pem);
}

/* What an image built for req depends on: the context's content hash, the
 * Dockerfile's name, the target and the build arguments (but not
 * EXTRA_CA_CERTS, which only opens the way to the network). */
static int build_hash(char out[65], const struct lab_image_req *req, const struct lab_strv *bases,
		      struct lab_err *err)
{
	char ctx[65];
	int rc = lab_context_hash(ctx, req->context, req->dockerfile, err);
	if (rc < 0)
		return rc;
	struct lab_buf key = LAB_BUF_INIT;
	lab_buf_printf(&key, "%s\n%s\n%s\n", ctx, req->dockerfile ? req->dockerfile : "Dockerfile",
		       req->target ? req->target : "");
	for (size_t i = 0; req->args && i < req->args->n; i++)
		if (strncmp(req->args->v[i], "EXTRA_CA_CERTS=", 15) != 0)
			lab_buf_printf(&key, "%s\n", req->args->v[i]);
	/* only when there are any: an image built before labels were
	   applied stays current */
	for (size_t i = 0; req->labels && i < req->labels->n; i++)
		lab_buf_printf(&key, "label %s\n", req->labels->v[i]);
	/* "base NAME=HASH" of each base built here; none for other images, so
	   their hash is what it was before bases were known */
	for (size_t i = 0; i < bases->n; i++)
		lab_buf_printf(&key, "base %s\n", bases->v[i]);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(key.data, key.len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	lab_buf_release(&key);
	return 0;
}

/* ---- one build of a name at a time, in this process ---- */

struct claim {
	char *name;
	int busy;            /* a thread is checking or building it */
	char built_hash[65]; /* built by this process with this hash ("" = not) */
	struct claim *next;
};

/* Reachable for the process's life (so not a leak); a handful of names. */
static struct claim *claims;
static pthread_mutex_t claims_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t claims_cond = PTHREAD_COND_INITIALIZER;

static struct claim *claim_take(const char *name)
{
	pthread_mutex_lock(&claims_mu);
	struct claim *c = claims;
	while (c && strcmp(c->name, name) != 0)
		c = c->next;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->name = lab_xstrdup(name);
		c->next = claims;
		claims = c;
	}
	while (c->busy)
		pthread_cond_wait(&claims_cond, &claims_mu);
	c->busy = 1;
	pthread_mutex_unlock(&claims_mu);
	return c;
}

static void claim_release(struct claim *c, const char *built_hash)
{
	pthread_mutex_lock(&claims_mu);
	if (built_hash)
		snprintf(c->built_hash, sizeof(c->built_hash), "%s", built_hash);
	c->busy = 0;
	pthread_cond_broadcast(&claims_cond);
	pthread_mutex_unlock(&claims_mu);
}

/* ---- bases built here ---- */

/* "labctl/jre" of "labctl/jre:17", "labctl/jre@sha256:..." */
static char *repository(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *from = slash ? slash : name;
	size_t n = strcspn(from, ":@");
	return lab_xstrndup(name, (size_t)(from - name) + n);
}

/* Where base is built: a source of req's of that name, else for
 * labctl/NAME the directory NAME beside req's context. 0 when neither. */
static int base_source(struct lab_image_source *out, char **owned_ctx, const struct lab_image_req *req,
		       const char *base)
{
	*owned_ctx = NULL;
	for (size_t i = 0; i < req->n_sources; i++)
		if (strcmp(req->sources[i].name, base) == 0) {
			*out = req->sources[i];
			return 1;
		}
	char *repo = repository(base);
	int ok = 0;
	if (strncmp(repo, "labctl/", 7) == 0 && !strchr(repo + 7, '/') && repo[7]) {
		char *dir = lab_xasprintf("%s/../%s", req->context, repo + 7);
		char *df = lab_xasprintf("%s/Dockerfile", dir);
		struct stat st;
		if (stat(df, &st) == 0 && S_ISREG(st.st_mode)) {
			*out = (struct lab_image_source){.name = base, .context = dir};
			*owned_ctx = dir;
			dir = NULL;
			ok = 1;
		}
		free(dir);
		free(df);
	}
	free(repo);
	return ok;
}

/* The FROM images of the Dockerfile of a build (none when it cannot be
 * read or parsed: the build itself then says what is wrong). */
static void dockerfile_from(struct lab_strv *from, const char *context, const char *dockerfile,
			    const struct lab_strv *args)
{
	char *path = lab_xasprintf("%s/%s", context, dockerfile ? dockerfile : "Dockerfile");
	struct lab_buf text = LAB_BUF_INIT;
	char *msg = NULL;
	struct lab_err ignored = {0};
	if (lab_read_file(&text, path, 1 << 20, &msg) == 0)
		lab_dockerfile_bases(from, lab_buf_cstr(&text), args, &ignored);
	free(msg);
	lab_buf_release(&text);
	free(path);
}

/* The image names of the chain being resolved on this thread, innermost
 * last (for cycles). */
struct chain {
	const char *name;
	const struct chain *up;
};

static int ensure(char **id_out, char hash_out[65], struct lab_engine *e, const struct lab_image_req *req,
		  const struct chain *up, struct lab_err *err);

/* The bases of req's Dockerfile that are built here, each ensured, as
 * "NAME=HASH" in *bases. A Dockerfile that cannot be read or parsed has
 * none here: the build itself then says what is wrong. */
static int ensure_bases(struct lab_strv *bases, struct lab_engine *e, const struct lab_image_req *req,
			const struct chain *chain, struct lab_err *err)
{
	char *path = lab_xasprintf("%s/%s", req->context, req->dockerfile ? req->dockerfile : "Dockerfile");
	struct lab_strv from = LAB_STRV_INIT;
	int rc = 0;
	dockerfile_from(&from, req->context, req->dockerfile, req->args);
	for (size_t i = 0; rc == 0 && i < from.n; i++) {
		struct lab_image_source src;
		char *owned = NULL;
		if (strcmp(from.v[i], req->name) == 0 || !base_source(&src, &owned, req, from.v[i]))
			continue;
		for (const struct chain *c = chain; c && rc == 0; c = c->up)
			if (strcmp(c->name, from.v[i]) == 0)
				rc = lab_err_set(err, LAB_EINPUT, "image '%s': its Dockerfile %s is FROM '%s', which is "
						 "built FROM it in turn (a cycle)", req->name, path, from.v[i]);
		if (rc == 0) {
			struct lab_image_req sub = *req;
			sub.name = src.name;
			sub.context = src.context;
			sub.dockerfile = src.dockerfile;
			sub.args = src.args;
			sub.target = src.target;
			/* req's labels (build.labels, a stand-in's) are its own: a
			   base given them would be relabelled and, its hash
			   changed, rebuilt (labctl/jre:17 once carried
			   io.labctl.stand-in-for of an image FROM it) */
			sub.labels = NULL;
			char *id = NULL, h[65] = "";
			rc = ensure(&id, h, e, &sub, chain, err);
			if (rc < 0)
				lab_err_prefix(err, "image '%s' is FROM '%s'", req->name, src.name);
			else
				lab_strv_pushf(bases, "%s=%s", src.name, h);
			free(id);
		}
		free(owned);
	}
	lab_strv_free(&from);
	free(path);
	return rc;
}

static void local_bases(struct lab_strv *names, struct lab_strv *contexts, const struct lab_image_source *src,
			const struct lab_image_source *known, size_t n_known, int depth)
{
	struct lab_strv from = LAB_STRV_INIT;
	if (depth > 8)
		return;
	dockerfile_from(&from, src->context, src->dockerfile, src->args);
	struct lab_image_req req = {.name = src->name, .context = src->context, .sources = known, .n_sources = n_known};
	for (size_t i = 0; i < from.n; i++) {
		struct lab_image_source b;
		char *owned = NULL;
		if (strcmp(from.v[i], src->name) == 0 || lab_strv_find(names, from.v[i]) >= 0 ||
		    !base_source(&b, &owned, &req, from.v[i]))
			continue;
		local_bases(names, contexts, &b, known, n_known, depth + 1);
		if (lab_strv_find(names, b.name) < 0) {
			lab_strv_push(names, b.name);
			lab_strv_push(contexts, b.context);
		}
		free(owned);
	}
	lab_strv_free(&from);
}

void lab_image_local_bases(struct lab_strv *names, struct lab_strv *contexts, const struct lab_image_source *src,
			   const struct lab_image_source *known, size_t n_known)
{
	local_bases(names, contexts, src, known, n_known, 0);
}

static void external_bases(struct lab_strv *out, struct lab_strv *seen, const struct lab_image_source *src,
			   const struct lab_image_source *known, size_t n_known, int depth)
{
	struct lab_strv from = LAB_STRV_INIT;
	if (depth > 8 || lab_strv_find(seen, src->name) >= 0)
		return;
	lab_strv_push(seen, src->name);
	dockerfile_from(&from, src->context, src->dockerfile, src->args);
	struct lab_image_req req = {.name = src->name, .context = src->context, .sources = known, .n_sources = n_known};
	for (size_t i = 0; i < from.n; i++) {
		struct lab_image_source b;
		char *owned = NULL;
		if (strcmp(from.v[i], src->name) == 0)
			continue;
		if (base_source(&b, &owned, &req, from.v[i]))
			external_bases(out, seen, &b, known, n_known, depth + 1);
		else if (lab_strv_find(out, from.v[i]) < 0)
			lab_strv_push(out, from.v[i]);
		free(owned);
	}
	lab_strv_free(&from);
}

void lab_image_external_bases(struct lab_strv *out, const struct lab_image_source *src,
			      const struct lab_image_source *known, size_t n_known)
{
	struct lab_strv seen = LAB_STRV_INIT;
	external_bases(out, &seen, src, known, n_known, 0);
	lab_strv_free(&seen);
}

/* The image's id when it carries build hash want (and !force); NULL with
 * *why set otherwise. */
static int current_image(struct lab_engine *e, const struct lab_image_req *req, const char *want, char **id,
			 enum lab_image_why *why, struct lab_err *err)
{
	cJSON *img = NULL;
	char *esc = lab_engine_escape(req->name), *path = lab_xasprintf("/images/%s/json", esc);
	int rc = lab_engine_json(e, "GET", path, NULL, &img, err);
	free(esc);
	free(path);
	*why = LAB_IMAGE_ABSENT;
	if (rc == LAB_ENOTFOUND)
		rc = 0;
	if (rc < 0 || !img)
		goto out;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(img, "Config"), "Labels");
	const char *have = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_BUILD_HASH));
	if (req->force)
		*why = LAB_IMAGE_FORCED;
	else if (!have || strcmp(have, want) != 0)
		*why = LAB_IMAGE_CHANGED;
	else
		*id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(img, "Id")));
out:
	cJSON_Delete(img);
	return rc;
}

static void report(const struct lab_image_req *req, const struct lab_image_event *ev)
{
	if (req->progress)
		req->progress(ev, req->progress_ud);
}

/* The engine's build or pull progress as PROGRESS events. */
static void on_progress(const char *line, int final, void *ud)
{
	const struct lab_image_req *req = ud;
	struct lab_image_event ev = {.phase = LAB_IMAGE_PROGRESS, .name = req->name, .line = line, .final = final};
	report(req, &ev);
}

int lab_image_ensure(char **id_out, struct lab_engine *e, const struct lab_image_req *req, struct lab_err *err)
{
	char hash[65] = "";
	return ensure(id_out, hash, e, req, NULL, err);
}

static int ensure(char **id_out, char hash[65], struct lab_engine *e, const struct lab_image_req *req,
		  const struct chain *up, struct lab_err *err)
{
	enum lab_image_why why = LAB_IMAGE_ABSENT;
	int rc = 0;
	*id_out = NULL;
	struct lab_strv bases = LAB_STRV_INIT;
	struct chain here = {req->name, up};
	if (req->context && (rc = ensure_bases(&bases, e, req, &here, err)) < 0) {
		lab_strv_free(&bases);
		return rc;
	}
	struct claim *cl = claim_take(req->name);
	if (req->context) {
		rc = build_hash(hash, req, &bases, err);
		struct lab_image_req once = *req;
		/* up --build: built once by this process, not again for the
		   next image FROM it */
		pthread_mutex_lock(&claims_mu);
		if (rc == 0 && strcmp(cl->built_hash, hash) == 0)
			once.force = 0;
		pthread_mutex_unlock(&claims_mu);
		if (rc == 0)
			rc = current_image(e, &once, hash, id_out, &why, err);
		if (rc < 0 || *id_out)
			goto done;
	} else if (req->pull != LAB_IMAGE_PULL_ALWAYS) {
		rc = lab_engine_image_id(e, req->name, id_out, err);
		if (rc != LAB_ENOTFOUND)
			goto done;
		if (req->pull == LAB_IMAGE_PULL_NEVER) {
			rc = lab_err_set(err, LAB_EINPUT, "image '%s' is not on the engine and its pull_policy is never",
					 req->name);
			goto done;
		}
	}
	double t = lab_now();
	struct lab_image_event ev = {.name = req->name, .context = req->context, .why = why};
	if (req->context) {
		ev.phase = LAB_IMAGE_BUILDING;
		report(req, &ev);
		struct lab_strv labels = LAB_STRV_INIT, args = LAB_STRV_INIT;
		if (req->labels)
			lab_strv_copy(&labels, req->labels);
		lab_strv_pushf(&labels, "%s=%s", LAB_LABEL_BUILT_BY, req->project);
		lab_strv_pushf(&labels, "%s=%s", LAB_LABEL_BUILD_HASH, hash);
		if (req->args)
			lab_strv_copy(&args, req->args);
		char *ca = lab_strv_find_key(&args, "EXTRA_CA_CERTS") < 0 ? build_ca_certs() : NULL;
		if (ca)
			lab_strv_pushf(&args, "EXTRA_CA_CERTS=%s", ca);
		free(ca);
		rc = lab_engine_image_build(e, req->context, req->dockerfile, req->name, &args, &labels, req->target,
					    on_progress, (void *)req, err);
		lab_strv_free(&labels);
		lab_strv_free(&args);
	} else {
		ev.phase = LAB_IMAGE_PULLING;
		report(req, &ev);
		rc = lab_engine_image_pull(e, req->name, on_progress, (void *)req, err);
	}
	if (rc == 0)
		rc = lab_engine_image_id(e, req->name, id_out, err);
	ev.phase = rc == 0 ? LAB_IMAGE_READY : LAB_IMAGE_FAILED;
	ev.elapsed_ms = (long)((lab_now() - t) * 1000.0);
	report(req, &ev);
	claim_release(cl, rc == 0 && req->context ? hash : NULL);
	lab_strv_free(&bases);
	return rc;
done:
	claim_release(cl, NULL);
	lab_strv_free(&bases);
	return rc;
}

/* ---- why a pull failed ---- */

enum lab_pull_problem lab_image_pull_problem(const char *msg)
{
	static const struct {
		enum lab_pull_problem p;
		const char *says;
	} table[] = {
		{LAB_PULL_BAD_NAME, "invalid reference format"},
		{LAB_PULL_BAD_NAME, "not an image reference"},
		{LAB_PULL_NO_REGISTRY, "dial tcp"},
		{LAB_PULL_NO_REGISTRY, "no such host"},
		{LAB_PULL_NO_REGISTRY, "connection refused"},
		{LAB_PULL_NO_REGISTRY, "i/o timeout"},
		{LAB_PULL_NO_REGISTRY, "network is unreachable"},
		{LAB_PULL_NO_REGISTRY, "tls handshake timeout"},
		{LAB_PULL_NO_REGISTRY, "context deadline exceeded"},
		{LAB_PULL_NO_REGISTRY, "client.timeout exceeded"},
		{LAB_PULL_NO_REGISTRY, "temporary failure in name resolution"},
		{LAB_PULL_RATE_LIMITED, "toomanyrequests"},
		{LAB_PULL_RATE_LIMITED, "pull rate limit"},
		{LAB_PULL_DENIED, "pull access denied"},
		{LAB_PULL_DENIED, "requested access to the resource is denied"},
		{LAB_PULL_AUTH, "no basic auth credentials"},
		{LAB_PULL_AUTH, "unauthorized"},
		{LAB_PULL_AUTH, "authentication required"},
		{LAB_PULL_NO_SUCH_IMAGE, "manifest unknown"},
		{LAB_PULL_NO_SUCH_IMAGE, "name unknown"},
		{LAB_PULL_NO_SUCH_IMAGE, "not found"},
	};
	for (size_t i = 0; msg && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcasestr(msg, table[i].says))
			return table[i].p;
	return LAB_PULL_OTHER;
}

const char *lab_image_pull_advice(enum lab_pull_problem p)
{
	switch (p) {
	case LAB_PULL_BAD_NAME:
		return "not a valid image name: fix it in the lab file";
	case LAB_PULL_NO_REGISTRY:
		return "no registry reachable: build it here (give the service a build:), load it (docker load -i "
		       "FILE), or pull it where its registry answers";
	case LAB_PULL_DENIED:
		return "no such image, or its registry requires authentication: check the name and tag, or docker "
		       "login first";
	case LAB_PULL_RATE_LIMITED:
		return "its registry's pull rate limit was reached: wait, docker login (a higher limit), pull it "
		       "once and docker save/load it to the other machines, or give the service a build:";
	case LAB_PULL_AUTH:
		return "its registry requires authentication: docker login REGISTRY, then up again";
	case LAB_PULL_NO_SUCH_IMAGE:
		return "no such image in its registry: check the name and tag in the lab file";
	case LAB_PULL_OTHER:
		break;
	}
	return "it cannot be pulled";
}

/* ---- stand-ins on the engine ---- */

static long long num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static int by_tag(const void *a, const void *b)
{
	const struct lab_standin_image *x = a, *y = b;
	return strcmp(x->tag, y->tag);
}

int lab_image_standins(struct lab_standin_image **out, size_t *n, struct lab_engine *e, struct lab_err *err)
{
	*out = NULL;
	*n = 0;
	char *esc = lab_engine_escape("{\"label\":[\"" LAB_LABEL_STAND_IN_FOR "\"]}");
	char *path = lab_xasprintf("/images/json?filters=%s", esc);
	cJSON *list = NULL;
	int rc = lab_engine_json(e, "GET", path, NULL, &list, err);
	free(esc);
	free(path);
	if (rc < 0)
		return rc;
	size_t cap = (size_t)cJSON_GetArraySize(list);
	struct lab_standin_image *v = lab_xcalloc(cap ? cap : 1, sizeof(*v));
	const cJSON *img;
	cJSON_ArrayForEach(img, list)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(img, "Labels");
		const char *for_ = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_STAND_IN_FOR));
		const char *entry = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_STAND_IN));
		const char *tag = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(img, "RepoTags"), 0));
		if (!for_)
			continue;
		struct lab_standin_image *s = &v[(*n)++];
		s->tag = lab_xstrdup(tag && strcmp(tag, "<none>:<none>") ? tag : "<none>");
		s->stands_in = lab_xstrdup(for_);
		s->entry = lab_xstrdup(entry ? entry : "?");
		s->id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(img, "Id")));
		if (!s->id)
			s->id = lab_xstrdup("?");
		s->size = num(img, "Size");
		s->created = num(img, "Created");
	}
	cJSON_Delete(list);
	qsort(v, *n, sizeof(*v), by_tag);
	*out = v;
	return 0;
}

void lab_standin_images_free(struct lab_standin_image *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].tag);
		free(v[i].stands_in);
		free(v[i].entry);
		free(v[i].id);
	}
	free(v);
}
