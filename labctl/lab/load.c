/* lab_load: read the lab file and its includes, interpolate, convert to
 * struct lab, validate; every problem becomes one "path:line:col: message"
 * line, sorted by file then position. */
#include "lab_private.h"

#include "../probe/probe.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/index.h"
#include "../util/state.h"

/* Diagnostics kept per load: each at most DIAG_TEXT_MAX bytes, at most
 * DIAG_MAX of them (far more than the LAB_ERR_MSG_MAX bytes of a report
 * show): a hostile file cannot make them take unbounded memory. */
#define DIAG_TEXT_MAX 1024
#define DIAG_MAX 10000
/* Text interpolation may make in one load, all values together. */
#define INTERP_TOTAL_MAX (16 << 20)
/* Edit-distance cells all did-you-means of one load may cost together
 * (~0.05 s): past it, unknown names get no suggestion. */
#define SUGGEST_BUDGET 20000000

struct diag {
	const char *file;
	int line, col;
	size_t seq;
	char *text;
};

struct src {
	struct lab_node *root;
	const char *path; /* as displayed, owned by lab->files */
	char *real;       /* realpath */
	char *absdir;     /* what its relative paths are relative to: the
	                     realpath's directory, or the project_directory
	                     of the include entry that named it */
	struct lab_strv env;      /* an include's variables ("K=V", the first
	                             wins): the including file's, then its
	                             env_file's (Compose spec "include") */
	struct lab_index env_ix;
};

/* What an include entry says about the file(s) it names (Compose spec
 * "include", compose-go v2.16 loader.ApplyInclude). */
struct inc {
	const char *projdir;        /* absolute, or NULL: the first path's directory */
	const struct lab_strv *env; /* variables looked up after the lab's own */
	const struct lab_strv *overs; /* further paths merged over the first */
};

struct netuse {
	char *svc, *net;
	struct lab_mark mark;
};

struct lab_ld {
	struct netuse *netuses;
	size_t n_netuses;
	struct lab *lab;
	const struct lab_load_opts *opts;
	struct diag *diags;
	size_t n_diags, cap_diags;
	struct src *srcs;
	size_t n_srcs, cap_srcs;
	struct lab_strv stack;     /* realpaths of the include chain */
	struct lab_strv stack_disp; /* the same as displayed */
	struct lab_strv dotenv;    /* .env beside the lab file */
	struct lab_index dotenv_ix; /* its keys -> index in dotenv (first wins) */
	struct lab_index cred_ix;  /* lab->credentials -> index */
	struct lab_strv cred_vals; /* "NAME=VALUE" the callback gave, "NAME" when it gave nothing */
	struct lab_index cred_vals_ix;
	struct lab_strv param_vars; /* "PARAM_<NAME>" of each lab->params[i] */
	struct lab_index param_ix;  /* param_vars -> index in lab->params */
	struct lab_index svc_ix;   /* service names -> index in lab->services */
	size_t suggest_budget;     /* edit-distance cells left for did-you-means */
	size_t interp_total;       /* bytes interpolation made so far */
	int interp_over;           /* INTERP_TOTAL_MAX reached (reported once) */
	int use_creds;             /* credentials are variables (not while the name and params are read) */
	int call_creds;            /* ...whose values come from the callback (else "<generated>") */
	int project_ok;            /* lab->project is a valid project name */
	int cred_used;             /* a variable named under credentials: was looked up */
	int track;                 /* lab_ld_lookup notes what it is asked for: */
	char *looked;              /* the first name, */
	int looked_several;        /* and whether another name came after it */
	const struct lab_mark *cur;
	const struct src *cur_src; /* whose include variables lab_ld_lookup sees last */
};

static const char *const top_keys[] = {
	"version", "name", "lab", "include", "services", "volumes", "networks",
	"credentials", "buckets", "jobs", "checks", "datasets", "params", "connectors", NULL,
};
static const char *const include_top_keys[] = {
	"version", "name", "include", "services", "volumes", "networks", "credentials", NULL,
};
static const char *const lab_keys[] = {"name", "title", "description", "seed", "swarm", NULL};
static const char *const volume_keys[] = {
	"driver", "driver_opts", "external", "name", "labels", NULL,
};
static const char *const network_keys[] = {
	"driver", "driver_opts", "external", "name", "ipam", "internal", "attachable",
	"labels", "enable_ipv6", NULL,
};
static const char *const lab_file_names[] = {
	"lab.yml", "docker-compose.yml", "compose.yaml", "compose.yml", "docker-compose.yaml",
};

void lab_ld_diag(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
{
	struct lab_buf b = LAB_BUF_INIT;
	va_list ap;
	if (L->n_diags == DIAG_MAX)
		return;
	if (m && m->file)
		lab_buf_printf(&b, "%s:%d:%d: ", m->file, m->line, m->col);
	va_start(ap, fmt);
	lab_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.len > DIAG_TEXT_MAX) {
		b.data[DIAG_TEXT_MAX - 3] = '\0';
		b.len = DIAG_TEXT_MAX - 3;
		lab_buf_puts(&b, "...");
	}
	if (L->n_diags == L->cap_diags) {
		L->cap_diags = L->cap_diags ? L->cap_diags * 2 : 16;
		L->diags = lab_xrealloc(L->diags, L->cap_diags * sizeof(*L->diags));
	}
	struct diag *d = &L->diags[L->n_diags];
	d->file = m && m->file ? m->file : "";
	d->line = m ? m->line : 0;
	d->col = m ? m->col : 0;
	d->seq = L->n_diags++;
	d->text = lab_buf_detach(&b);
}

static void ld_vwarn(struct lab_strv *to, const struct lab_mark *m, const char *fmt, va_list ap)
{
	struct lab_buf b = LAB_BUF_INIT;
	if (to->n >= DIAG_MAX)
		return;
	if (m && m->file)
		lab_buf_printf(&b, "%s:%d:%d: ", m->file, m->line, m->col);
	lab_buf_puts(&b, "warning: ");
	lab_buf_vprintf(&b, fmt, ap);
	lab_strv_push(to, lab_buf_cstr(&b));
	lab_buf_release(&b);
}

void lab_ld_warn(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ld_vwarn(&L->lab->warnings, m, fmt, ap);
	va_end(ap);
}

void lab_ld_warn_swarm(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ld_vwarn(&L->lab->swarm_warnings, m, fmt, ap);
	va_end(ap);
}

/* A diagnostic already formatted (by the YAML parser). */
static void ld_diag_raw(struct lab_ld *L, const char *file, const char *text)
{
	struct lab_mark m = {NULL, 0, 0};
	size_t before = L->n_diags;
	lab_ld_diag(L, &m, "%s", text);
	if (L->n_diags == before)
		return;
	struct diag *d = &L->diags[L->n_diags - 1];
	d->file = file;
	/* "file:line:col: " -> sort position */
	const char *p = text + strlen(file);
	if (strncmp(text, file, strlen(file)) == 0 && *p == ':')
		sscanf(p, ":%d:%d:", &d->line, &d->col);
}

void lab_ld_note_network(struct lab_ld *L, const char *svc, const char *net,
			 const struct lab_mark *m)
{
	if ((L->n_netuses & (L->n_netuses - 1)) == 0) /* 0, 1, 2, 4, ...: grow x2 */
		L->netuses = lab_xrealloc(L->netuses, (L->n_netuses ? 2 * L->n_netuses : 1) * sizeof(*L->netuses));
	L->netuses[L->n_netuses].svc = lab_xstrdup(svc);
	L->netuses[L->n_netuses].net = lab_xstrdup(net);
	L->netuses[L->n_netuses++].mark = *m;
}

void lab_ld_check_networks(struct lab_ld *L, const struct lab_index *declared)
{
	for (size_t i = 0; i < L->n_netuses; i++) {
		const struct netuse *u = &L->netuses[i];
		if (strcmp(u->net, "default") != 0 && lab_index_get(declared, u->net, strlen(u->net)) < 0)
			lab_ld_diag(L, &u->mark, "service '%s' uses undeclared network '%s'", u->svc, u->net);
	}
}

void lab_ld_set_mark(struct lab_ld *L, const struct lab_mark *m)
{
	L->cur = m;
}

/* lab_ld_suggest, spending at most *budget cells (NULL: no budget). */
static const char *suggest_within(const char *key, const char *const *allowed, size_t n_allowed, size_t *budget)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;
	size_t klen = strlen(key);
	if (klen > LAB_EDIT_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n_allowed && allowed[i]; i++) {
		size_t alen = strlen(allowed[i]);
		if (alen > LAB_EDIT_MAX_LEN)
			continue;
		if (budget) {
			size_t cost = (klen + 1) * (alen + 1);
			if (cost > *budget)
				break;
			*budget -= cost;
		}
		size_t d = lab_edit_distance(key, allowed[i]);
		if (d < bd) {
			bd = d;
			best = allowed[i];
		}
	}
	size_t len = strlen(key);
	if (best && ((bd <= 2 && bd * 2 <= len) || bd * 3 <= len))
		return best;
	return NULL;
}

const char *lab_ld_suggest(const char *key, const char *const *allowed, size_t n_allowed)
{
	return suggest_within(key, allowed, n_allowed, NULL);
}

const char *lab_suggest(const char *key, const char *const *names, size_t n)
{
	return n ? suggest_within(key, names, n, NULL) : NULL;
}

const char *lab_ld_suggest_for(struct lab_ld *L, const char *key, const char *const *allowed, size_t n_allowed)
{
	return suggest_within(key, allowed, n_allowed, &L->suggest_budget);
}

int lab_ld_check_keys(struct lab_ld *L, const struct lab_node *map, const char *const *allowed,
		      int allow_x)
{
	int bad = 0;
	for (size_t i = 0; i < map->n; i++) {
		const struct lab_node *k = map->kids[2 * i];
		if (allow_x && strncmp(k->text, "x-", 2) == 0)
			continue;
		size_t j;
		for (j = 0; allowed[j] && strcmp(allowed[j], k->text) != 0; j++)
			;
		if (allowed[j])
			continue;
		const char *s = lab_ld_suggest_for(L, k->text, allowed, (size_t)-1);
		if (s)
			lab_ld_diag(L, &k->mark, "unknown key '%s' (did you mean '%s'?)", k->text, s);
		else
			lab_ld_diag(L, &k->mark, "unknown key '%s'", k->text);
		bad++;
	}
	return bad;
}

int lab_ld_want(struct lab_ld *L, const struct lab_node *n, enum lab_node_kind kind, const char *key)
{
	if (n->kind == kind && !(kind == LAB_NODE_SCALAR && lab_node_is_null(n)))
		return 0;
	lab_ld_diag(L, &n->mark, "expected a %s for '%s'",
		    kind == LAB_NODE_MAP ? "mapping" : kind == LAB_NODE_SEQ ? "list" : "string", key);
	return -1;
}

const char *lab_ld_str(struct lab_ld *L, const struct lab_node *n, const char *key)
{
	return lab_ld_want(L, n, LAB_NODE_SCALAR, key) < 0 ? NULL : n->text;
}

int lab_ld_int(struct lab_ld *L, const struct lab_node *n, const char *key, long *v)
{
	char *end = NULL;
	if (n->kind == LAB_NODE_SCALAR && (!n->quoted || n->interp) && *n->text) {
		errno = 0;
		long x = strtol(n->text, &end, 10);
		if (!*end && !errno) {
			*v = x;
			return 0;
		}
	}
	lab_ld_diag(L, &n->mark, "expected an integer for '%s'", key);
	return -1;
}

int lab_ld_bool(struct lab_ld *L, const struct lab_node *n, const char *key, int *v)
{
	if (n->kind == LAB_NODE_SCALAR && (!n->quoted || n->interp)) {
		const char *t = n->text;
		if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE")) {
			*v = 1;
			return 0;
		}
		if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE")) {
			*v = 0;
			return 0;
		}
	}
	lab_ld_diag(L, &n->mark, "expected a boolean for '%s'", key);
	return -1;
}

int lab_ld_duration(struct lab_ld *L, const struct lab_node *n, const char *key, long *ms)
{
	const char *t = lab_ld_str(L, n, key);
	if (!t)
		return -1;
	if (lab_parse_duration_ms(t, ms) < 0) {
		lab_ld_diag(L, &n->mark, "invalid duration '%s' for '%s'", t, key);
		return -1;
	}
	return 0;
}

int lab_ld_strlist(struct lab_ld *L, const struct lab_node *n, const char *key, int allow_str,
		   struct lab_strv *out)
{
	if (allow_str && n->kind == LAB_NODE_SCALAR) {
		const char *t = lab_ld_str(L, n, key);
		if (!t)
			return -1;
		lab_strv_push(out, t);
		return 0;
	}
	if (n->kind != LAB_NODE_SEQ) {
		lab_ld_diag(L, &n->mark, "expected a %s for '%s'", allow_str ? "string or a list" : "list",
			    key);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n->n; i++) {
		const char *t = lab_ld_str(L, n->kids[i], key);
		if (t)
			lab_strv_push(out, t);
		else
			rc = -1;
	}
	return rc;
}

static const char *strv_value(const struct lab_strv *sv, const char *key)
{
	long i = sv ? lab_strv_find_key(sv, key) : -1;
	if (i < 0)
		return NULL;
	const char *eq = strchr(sv->v[i], '=');
	return eq ? eq + 1 : "";
}

/* Index "KEY=VALUE" / "KEY" entry i of sv by its key (first one wins). */
static void index_kv(struct lab_index *ix, const struct lab_strv *sv, size_t i)
{
	lab_index_put(ix, sv->v[i], strcspn(sv->v[i], "="), i);
}

/* The value after '=' of the entry of sv that ix finds for name; NULL
 * when there is none or it has no '=' (a bare "KEY"). */
static const char *indexed_value(const struct lab_index *ix, const struct lab_strv *sv, const char *name)
{
	long i = lab_index_get(ix, name, strlen(name));
	const char *eq = i < 0 ? NULL : strchr(sv->v[i], '=');
	return eq ? eq + 1 : NULL;
}

/* The credential callback, called only once the lab file is known to be
 * valid (lab_load's second pass) and its project name checked: no path is
 * built from a name that was not validated. */
static const char *ld_credential(struct lab_ld *L, const char *name)
{
	long i = lab_index_get(&L->cred_vals_ix, name, strlen(name));
	if (i >= 0) {
		const char *eq = strchr(L->cred_vals.v[i], '=');
		return eq ? eq + 1 : ""; /* no '=': the callback gave nothing */
	}
	if (!L->call_creds || !L->opts || !L->opts->credential || !L->project_ok)
		return "<generated>";
	const char *v = L->opts->credential(L->lab->project, name, L->opts->credential_ud);
	if (!v) {
		lab_strv_push(&L->cred_vals, name);
		lab_ld_diag(L, L->cur, "no value for credential '%s'", name);
	} else {
		lab_strv_pushf(&L->cred_vals, "%s=%s", name, v);
	}
	index_kv(&L->cred_vals_ix, &L->cred_vals, L->cred_vals.n - 1);
	return v ? strchr(L->cred_vals.v[L->cred_vals.n - 1], '=') + 1 : "";
}

const char *lab_ld_lookup(const char *name, void *ud)
{
	struct lab_ld *L = ud;
	const char *v = strv_value(L->opts ? L->opts->vars : NULL, name);
	long i;
	if (L->track && !L->looked)
		L->looked = lab_xstrdup(name);
	else if (L->track && strcmp(L->looked, name) != 0)
		L->looked_several = 1;
	if (v)
		return v;
	if ((i = lab_index_get(&L->param_ix, name, strlen(name))) >= 0)
		return L->lab->params[i].value;
	if (L->use_creds && lab_index_get(&L->cred_ix, name, strlen(name)) >= 0) {
		L->cred_used = 1;
		return ld_credential(L, name);
	}
	if ((v = getenv(name)))
		return v;
	if ((v = indexed_value(&L->dotenv_ix, &L->dotenv, name)))
		return v;
	/* an included file's env_file (or the .env of its project directory)
	   gives only what the lab's own variables leave unset, as Compose's
	   Mapping.Merge */
	return L->cur_src ? indexed_value(&L->cur_src->env_ix, &L->cur_src->env, name) : NULL;
}

/* Interpolate every scalar value below n, skipping x-* keys but x-ready, x-buckets and x-ui. */
static void ld_interp_tree(struct lab_ld *L, struct lab_node *n)
{
	if (n->kind == LAB_NODE_SCALAR) {
		if (!strchr(n->text, '$'))
			return;
		char *out = NULL, *msg = NULL;
		if (L->interp_over)
			return;
		L->cur = &n->mark;
		L->track = 1;
		int rc = lab_interp_run(&out, n->text, lab_ld_lookup, L, &msg);
		free(n->var);
		n->var = rc == 0 && !L->looked_several ? L->looked : NULL;
		if (!n->var)
			free(L->looked);
		L->track = 0;
		L->looked = NULL;
		L->looked_several = 0;
		if (rc < 0) {
			lab_ld_diag(L, &n->mark, "%s", msg);
			free(msg);
			return;
		}
		L->interp_total += strlen(out);
		if (L->interp_total > INTERP_TOTAL_MAX) {
			L->interp_over = 1;
			lab_ld_diag(L, &n->mark, "interpolation makes more than %d MiB of text in all",
				    INTERP_TOTAL_MAX >> 20);
			free(out);
			return;
		}
		free(n->text);
		n->text = out;
		n->interp = 1;
		return;
	}
	if (n->kind == LAB_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			ld_interp_tree(L, n->kids[i]);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *k = n->kids[2 * i]->text;
		if (strncmp(k, "x-", 2) == 0 && strcmp(k, "x-ready") != 0 && strcmp(k, "x-buckets") != 0 &&
		    strcmp(k, "x-ui") != 0)
			continue;
		ld_interp_tree(L, n->kids[2 * i + 1]);
	}
}

/* The top level: params are not interpolated (they are evaluated before
 * everything else, and their values are variables); checks are, with the
 * params available as ${PARAM_<NAME>}. */
static void ld_interp_root(struct lab_ld *L, struct lab_node *root)
{
	static const char *const later[] = {"params"};
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->kids[2 * i]->text;
		int skip = strncmp(k, "x-", 2) == 0;
		for (size_t j = 0; j < sizeof(later) / sizeof(later[0]); j++)
			skip |= strcmp(k, later[j]) == 0;
		if (!skip)
			ld_interp_tree(L, root->kids[2 * i + 1]);
	}
}

/* The path string marks use for path: the one in lab->files. */
static const char *ld_file(struct lab_ld *L, const char *path)
{
	long i = lab_strv_find(&L->lab->files, path);
	if (i < 0) {
		lab_strv_push(&L->lab->files, path);
		i = (long)L->lab->files.n - 1;
	}
	return L->lab->files.v[i];
}

static int valid_var_name(const char *s)
{
	if (!(*s == '_' || isalpha((unsigned char)*s)))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || isalnum((unsigned char)*s)))
			return 0;
	return 1;
}

static void ld_credentials(struct lab_ld *L, const struct lab_node *n)
{
	struct lab_strv names = LAB_STRV_INIT;
	if (lab_ld_strlist(L, n, "credentials", 0, &names) == 0) {
		struct lab_strv *creds = &L->lab->credentials;
		for (size_t i = 0; i < names.n; i++) {
			if (!valid_var_name(names.v[i])) {
				lab_ld_diag(L, &n->kids[i]->mark, "invalid credential name '%s'",
					    names.v[i]);
			} else if (lab_index_get(&L->cred_ix, names.v[i], strlen(names.v[i])) < 0) {
				lab_strv_push(creds, names.v[i]);
				lab_index_put(&L->cred_ix, creds->v[creds->n - 1], strlen(names.v[i]), creds->n - 1);
			}
		}
	}
	lab_strv_free(&names);
}

struct lab *lab_ld_lab(struct lab_ld *L)
{
	return L->lab;
}

/* buckets: in the lab file: made in the lab's object store, the first
 * service with an x-ready s3 probe (so that a shared object store fragment
 * serves labs that each want their own buckets). */
static void ld_lab_buckets(struct lab_ld *L, const struct lab_node *n)
{
	struct lab_strv names = LAB_STRV_INIT;
	struct lab_service *store = NULL;
	for (size_t i = 0; i < L->lab->n_services && !store; i++)
		if (lab_ready_find(&L->lab->services[i].ready, "s3"))
			store = &L->lab->services[i];
	if (lab_ld_strlist(L, n, "buckets", 0, &names) == 0) {
		if (!store && names.n)
			lab_ld_diag(L, &n->mark, "buckets declared but no service has an x-ready s3 probe to make them in");
		for (size_t i = 0; store && i < names.n; i++) {
			if (!lab_ld_bucket_name_ok(names.v[i]))
				lab_ld_diag(L, &n->kids[i]->mark,
					    "invalid bucket name '%s': 3-63 characters of a-z, 0-9, '.' and '-'", names.v[i]);
			else if (lab_strv_find(&store->buckets, names.v[i]) < 0)
				lab_strv_push(&store->buckets, names.v[i]);
		}
	}
	lab_strv_free(&names);
}

static void ld_merge_file(struct lab_ld *L, const char *path, size_t into, const struct lab_mark *from);

/* Variables of an include's env_file(s) (or, when none is given, of the
 * .env in its project directory if there is one) appended to env: the
 * files last first, so a later file's value wins (compose-go's
 * dotenv.GetEnvFromFile); "/dev/null" is skipped. dir: what relative
 * env_file paths are relative to (the including file's directory). */
static void ld_include_env(struct lab_ld *L, const struct lab_node *ef, const char *dir, const char *projdir,
			   struct lab_strv *env)
{
	struct lab_strv files = LAB_STRV_INIT;
	struct lab_strv given = LAB_STRV_INIT;
	if (ef && lab_ld_strlist(L, ef, "env_file", 1, &given) < 0)
		given.n = 0;
	for (size_t i = 0; i < given.n; i++)
		if (strcmp(given.v[i], "/dev/null") != 0)
			lab_strv_take(&files, lab_path_join(dir, given.v[i]));
	if (!ef)
		lab_strv_take(&files, lab_path_join(projdir, ".env"));
	for (size_t i = files.n; i-- > 0;) {
		char *msg = NULL;
		int line = 0;
		int rc = lab_dotenv_parse(env, files.v[i], &line, &msg);
		const struct lab_node *at = ef && ef->kind == LAB_NODE_SEQ && i < ef->n ? ef->kids[i] : ef;
		if (rc == LAB_ENOTFOUND && ef) {
			lab_ld_diag(L, &at->mark, "include env_file '%s' not found", files.v[i]);
		} else if (rc && rc != LAB_ENOTFOUND) {
			struct lab_mark m = {ld_file(L, files.v[i]), line ? line : 1, 1};
			if (line)
				lab_ld_diag(L, &m, "%s", msg);
			else
				lab_ld_diag(L, ef ? &at->mark : &m, "include env_file '%s' %s", files.v[i], msg);
		}
		free(msg);
	}
	lab_strv_free(&files);
	lab_strv_free(&given);
}

/* Read path (display name) and, recursively, its includes. from: the
 * include entry naming it, NULL for the lab file; ic: what that entry
 * says (NULL: nothing, as for the short form). */
static void ld_read(struct lab_ld *L, const char *path, const struct lab_mark *from, const struct inc *ic)
{
	char *real = realpath(path, NULL);
	struct lab_err e = {0};
	struct lab_node *root = NULL;
	struct lab_buf text = LAB_BUF_INIT;
	char *why = NULL;
	if (!real) {
		lab_ld_diag(L, from, "include file '%s' not found", path);
		return;
	}
	if (lab_strv_find(&L->stack, real) >= 0) {
		struct lab_buf b = LAB_BUF_INIT;
		size_t at = (size_t)lab_strv_find(&L->stack, real);
		for (size_t i = at; i < L->stack.n; i++)
			lab_buf_printf(&b, "%s -> ", L->stack_disp.v[i]);
		lab_buf_puts(&b, L->stack_disp.v[at]);
		lab_ld_diag(L, from, "include cycle: %s", lab_buf_cstr(&b));
		lab_buf_release(&b);
		free(real);
		return;
	}
	for (size_t i = 0; i < L->n_srcs; i++)
		if (strcmp(L->srcs[i].real, real) == 0) {
			free(real); /* included twice (not a cycle): once is enough */
			return;
		}
	/* a regular file of bounded size: never /dev/zero, a FIFO or a directory */
	int rrc = lab_read_file(&text, real, LAB_FILE_MAX, &why);
	if (rrc) {
		lab_ld_diag(L, from, "%s file '%s' %s", from ? "include" : "lab", path, why);
		free(why);
		free(real);
		return;
	}
	const char *file = ld_file(L, path);
	int prc = lab_node_parse_string(&root, lab_buf_cstr(&text), text.len, file, &e);
	lab_buf_release(&text);
	if (prc < 0) {
		ld_diag_raw(L, file, e.msg);
		free(real);
		return;
	}
	if (root->kind != LAB_NODE_MAP) {
		lab_ld_diag(L, &root->mark, "expected a mapping at the top of '%s'", file);
		lab_node_free(root);
		free(real);
		return;
	}
	if (root->n == 0) { /* Compose refuses it too ("empty compose file") */
		lab_ld_diag(L, &root->mark, "empty %s file: expected a mapping with 'services'",
			    from ? "include" : "lab");
		lab_node_free(root);
		free(real);
		return;
	}
	if (L->n_srcs == L->cap_srcs) {
		L->cap_srcs = L->cap_srcs ? L->cap_srcs * 2 : 4;
		L->srcs = lab_xrealloc(L->srcs, L->cap_srcs * sizeof(*L->srcs));
	}
	size_t self = L->n_srcs++;
	struct src *s = &L->srcs[self];
	memset(s, 0, sizeof(*s));
	s->root = root;
	s->path = file;
	s->real = real;
	s->absdir = ic && ic->projdir ? lab_xstrdup(ic->projdir) : lab_path_dir(real);
	if (ic && ic->env) {
		lab_strv_copy(&s->env, ic->env);
		for (size_t i = 0; i < s->env.n; i++)
			index_kv(&s->env_ix, &s->env, i);
	}
	lab_ld_check_keys(L, root, from ? include_top_keys : top_keys, 1);
	/* each file's extends before the merges (compose-go's loader) */
	lab_ld_extends(L, root, s->absdir);
	for (size_t i = 0; ic && ic->overs && i < ic->overs->n; i++)
		ld_merge_file(L, ic->overs->v[i], self, from);
	s = &L->srcs[self];
	const struct lab_node *c = lab_node_get(root, "credentials");
	if (c)
		ld_credentials(L, c);
	const struct lab_node *inc = lab_node_get(root, "include");
	if (!inc || lab_node_is_null(inc))
		return;
	if (lab_ld_want(L, inc, LAB_NODE_SEQ, "include") < 0)
		return;
	/* an include's paths, project_directory and env_file are relative to
	   this file's project directory: its own directory unless the entry
	   naming it gave one */
	char *dir = ic && ic->projdir ? lab_xstrdup(ic->projdir) : lab_path_dir(file);
	struct lab_strv my_env = LAB_STRV_INIT;
	lab_strv_copy(&my_env, &s->env); /* s moves when srcs grows */
	struct lab_index listed = LAB_INDEX_INIT; /* include paths of this file, joined */
	struct lab_strv listed_paths = LAB_STRV_INIT;
	lab_strv_push(&L->stack, real);
	lab_strv_push(&L->stack_disp, file);
	for (size_t i = 0; i < inc->n; i++) {
		const struct lab_node *e = inc->kids[i];
		struct lab_strv paths = LAB_STRV_INIT;
		const struct lab_node *pd = NULL, *ef = NULL;
		if (e->kind == LAB_NODE_MAP) {
			static const char *const inc_keys[] = {"path", "project_directory", "env_file", NULL};
			if (lab_ld_check_keys(L, e, inc_keys, 1))
				continue;
			const struct lab_node *p = lab_node_get(e, "path");
			if (!p) {
				lab_ld_diag(L, &e->mark, "missing 'path' for 'include'");
				continue;
			}
			if (lab_ld_strlist(L, p, "path", 1, &paths) < 0 || !paths.n) {
				if (!paths.n && p->kind == LAB_NODE_SEQ)
					lab_ld_diag(L, &p->mark, "'include.path' is an empty list");
				lab_strv_free(&paths);
				continue;
			}
			pd = lab_node_get(e, "project_directory");
			ef = lab_node_get(e, "env_file");
			e = p->kind == LAB_NODE_SEQ ? p->kids[0] : p;
		} else {
			const char *rel = lab_ld_str(L, e, "include");
			if (!rel)
				continue;
			lab_strv_push(&paths, rel);
		}
		char *full = lab_path_join(dir, paths.v[0]);
		if (lab_index_get(&listed, full, strlen(full)) >= 0) {
			free(full); /* listed twice: read (and reported) once */
			lab_strv_free(&paths);
			continue;
		}
		lab_strv_take(&listed_paths, full);
		lab_index_put(&listed, full, strlen(full), i);
		/* project_directory: relative to this file's; default the first
		   path's directory */
		char *projdir = NULL;
		const char *pds = pd ? lab_ld_str(L, pd, "project_directory") : NULL;
		if (pds) {
			struct stat st;
			projdir = lab_path_join(dir, pds);
			if (projdir[0] != '/') { /* dir was relative (a relative -f): make it absolute */
				char *abs = realpath(projdir, NULL);
				if (abs) {
					free(projdir);
					projdir = abs;
				}
			}
			if (stat(projdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
				lab_ld_diag(L, &pd->mark, "include project_directory '%s' is not a directory", pds);
				free(projdir);
				lab_strv_free(&paths);
				continue;
			}
		}
		/* the included file's variables: this file's, then its env_file's */
		struct lab_strv env = LAB_STRV_INIT;
		lab_strv_copy(&env, &my_env);
		{
			char *real_first = realpath(full, NULL);
			char *pdir = projdir ? lab_xstrdup(projdir) : lab_path_dir(real_first ? real_first : full);
			ld_include_env(L, ef, dir, pdir, &env);
			free(pdir);
			free(real_first);
		}
		struct lab_strv overs = LAB_STRV_INIT;
		for (size_t j = 1; j < paths.n; j++)
			lab_strv_take(&overs, lab_path_join(dir, paths.v[j]));
		struct inc child = {.projdir = projdir, .env = &env, .overs = &overs};
		ld_read(L, full, &e->mark, &child);
		lab_strv_free(&overs);
		lab_strv_free(&env);
		lab_strv_free(&paths);
		free(projdir);
	}
	lab_index_free(&listed);
	lab_strv_free(&listed_paths);
	lab_strv_free(&my_env);
	free(L->stack.v[--L->stack.n]);
	L->stack.v[L->stack.n] = NULL;
	free(L->stack_disp.v[--L->stack_disp.n]);
	L->stack_disp.v[L->stack_disp.n] = NULL;
	free(dir);
}

static int valid_project(const char *s)
{
	return lab_state_name_ok(s);
}

static char *normalise_project(const char *s)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	for (; *s; s++) {
		char c = (char)tolower((unsigned char)*s);
		if (islower((unsigned char)c) || isdigit((unsigned char)c) || c == '_' || c == '-') {
			if (b.len == 0 && (c == '_' || c == '-'))
				continue;
			lab_buf_append(&b, &c, 1);
		}
	}
	return lab_buf_detach(&b);
}

/* A name scalar interpolated without credentials (they need the project). */
static char *ld_name_value(struct lab_ld *L, const struct lab_node *n, const char *key)
{
	const char *t = lab_ld_str(L, n, key);
	char *out = NULL, *msg = NULL;
	if (!t)
		return NULL;
	if (lab_interp_run(&out, t, lab_ld_lookup, L, &msg) < 0) {
		free(msg); /* reported again when the tree is interpolated */
		return NULL;
	}
	return out;
}

static void ld_project(struct lab_ld *L, const struct src *main)
{
	struct lab *lab = L->lab;
	const struct lab_node *labn = lab_node_get(main->root, "lab");
	const struct lab_node *ln = labn && labn->kind == LAB_NODE_MAP ? lab_node_get(labn, "name") : NULL;
	const struct lab_node *nn = lab_node_get(main->root, "name");
	const char *what = ln ? "lab name" : "project name";
	const struct lab_node *given = ln ? ln : nn;
	char *name = given ? ld_name_value(L, given, "name") : NULL;
	if (name && !valid_project(name))
		lab_ld_diag(L, &given->mark,
			    "invalid %s '%s': must contain only lowercase letters, digits, '_' and "
			    "'-' and start with a letter or digit",
			    what, name);
	if (L->opts && L->opts->project) {
		free(name);
		name = lab_xstrdup(L->opts->project);
		if (!valid_project(name))
			lab_ld_diag(L, NULL,
				    "invalid project name '%s': must contain only lowercase letters, "
				    "digits, '_' and '-' and start with a letter or digit",
				    name);
	}
	if (!name) {
		const char *base = strrchr(lab->dir, '/');
		name = normalise_project(base ? base + 1 : lab->dir);
		if (!*name)
			lab_ld_diag(L, NULL, "cannot derive a lab name from directory '%s': set lab.name",
				    lab->dir);
	}
	lab->project = name;
	L->project_ok = valid_project(name);
}

static void ld_lab_section(struct lab_ld *L, const struct lab_node *n)
{
	if (lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_MAP, "lab") < 0)
		return;
	lab_ld_check_keys(L, n, lab_keys, 1);
	const struct lab_node *t = lab_node_get(n, "title");
	const struct lab_node *d = lab_node_get(n, "description");
	const char *s;
	if (t && (s = lab_ld_str(L, t, "title")))
		L->lab->title = lab_xstrdup(s);
	if (d && (s = lab_ld_str(L, d, "description")))
		L->lab->description = lab_xstrdup(s);
	const struct lab_node *w = lab_node_get(n, "swarm");
	if (w)
		lab_ld_bool(L, w, "swarm", &L->lab->swarm);
}

/* volumes: / networks: -> name, external or custom name, labels. */
static void ld_resources(struct lab_ld *L, const struct lab_node *n, const char *key,
			 const char *const *allowed, int is_net)
{
	struct lab *lab = L->lab;
	struct lab_index have = LAB_INDEX_INIT;
	if (lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_MAP, key) < 0)
		return;
	for (size_t j = 0; j < (is_net ? lab->n_networks : lab->n_volumes); j++) {
		const char *nm = is_net ? lab->networks[j].name : lab->volumes[j].name;
		lab_index_put(&have, nm, strlen(nm), j);
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		char *ext = NULL, *custom = NULL;
		struct lab_strv labels = LAB_STRV_INIT;
		if (!lab_node_is_null(v)) {
			if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0)
				continue;
			if (lab_ld_check_keys(L, v, allowed, 1))
				continue;
			const struct lab_node *e = lab_node_get(v, "external");
			const struct lab_node *nm = lab_node_get(v, "name");
			const struct lab_node *x;
			int external = 0;
			if (e && e->kind == LAB_NODE_MAP) {
				/* legacy external: {name: x} */
				const struct lab_node *en = lab_node_get(e, "name");
				external = 1;
				if (en && !nm)
					nm = en;
			} else if (e && lab_ld_bool(L, e, "external", &external) < 0) {
				continue;
			}
			const char *nms = nm ? lab_ld_str(L, nm, "name") : NULL;
			if (nm && !nms)
				continue;
			/* external: it exists already; name: alone is a custom
			   name for one labctl creates (Compose Specification,
			   volumes/networks top-level element: "name") */
			if (external)
				ext = lab_xstrdup(nms ? nms : k->text);
			else if (nms)
				custom = lab_xstrdup(nms);
			const char *what = is_net ? "networks" : "volumes";
			if ((x = lab_node_get(v, "labels")) && !lab_node_is_null(x)) {
				if (external)
					/* Compose too: "external: true" takes no other key but name */
					lab_ld_diag(L, &x->mark,
						    "conflicting keys 'external' and 'labels' in %s.%s (an external %s exists "
						    "already: neither Compose nor labctl labels it)",
						    what, k->text, is_net ? "network" : "volume");
				lab_ld_kv_list(L, x, "labels", &labels, 0);
				/* labctl's own labels tell its resources apart
				   (down removes by io.labctl.lab): not the file's */
				size_t nk = x->kind == LAB_NODE_SEQ ? x->n : x->kind == LAB_NODE_MAP ? x->n : 0;
				for (size_t j = 0; j < nk; j++) {
					const struct lab_node *kn = x->kind == LAB_NODE_SEQ ? x->kids[j] : x->kids[2 * j];
					if (kn->kind == LAB_NODE_SCALAR && kn->text &&
					    !strncmp(kn->text, LAB_LABEL_PREFIX, strlen(LAB_LABEL_PREFIX)))
						lab_ld_diag(L, &kn->mark,
							    "'%s.labels': '%.*s' is one of labctl's own labels (%s*), which "
							    "a file may not set",
							    what, (int)strcspn(kn->text, "="), kn->text, LAB_LABEL_PREFIX);
				}
			}
			/* what labctl's create does not send is refused, never
			   dropped: a volume on another driver, an internal network
			   are other resources */
			const char *why = is_net ? "its networks are bridge networks with the engine's addresses"
						 : "its volumes are local volumes without options";
			static const char *const map_keys[] = {"driver_opts", "ipam"};
			for (size_t j = 0; j < 2; j++) {
				if (!(x = lab_node_get(v, map_keys[j])) || lab_node_is_null(x))
					continue;
				if (x->kind == LAB_NODE_SCALAR)
					lab_ld_diag(L, &x->mark, "expected a mapping for '%s'", map_keys[j]);
				else if (x->n)
					lab_ld_diag(L, &x->mark, "'%s.%s' is not supported by labctl (%s)", what,
						    map_keys[j], why);
			}
			static const char *const bools[] = {"internal", "attachable", "enable_ipv6"};
			int b;
			for (size_t j = 0; j < 3; j++) {
				if (!(x = lab_node_get(v, bools[j])) || lab_ld_bool(L, x, bools[j], &b) < 0 || !b)
					continue;
				if (j == 1) /* the engine honours it for overlay networks only */
					lab_ld_warn(L, &x->mark,
						    "'networks.attachable' is ignored (Swarm overlay networks only; "
						    "a bridge network ignores it, with Docker Compose too)");
				else
					lab_ld_diag(L, &x->mark, "'%s.%s' is not supported by labctl (%s)", what,
						    bools[j], why);
			}
			const char *ds;
			if ((x = lab_node_get(v, "driver")) && (ds = lab_ld_str(L, x, "driver")) &&
			    strcmp(ds, is_net ? "bridge" : "local") != 0)
				lab_ld_diag(L, &x->mark, "'%s.driver: %s' is not supported by labctl (%s)", what, ds,
					    why);
		}
		if (lab_index_get(&have, k->text, strlen(k->text)) >= 0) {
			/* the same volume/network declared in two files: first wins */
			free(ext);
			free(custom);
			lab_strv_free(&labels);
			continue;
		}
		char *name = lab_xstrdup(k->text);
		if (is_net) {
			if ((lab->n_networks & (lab->n_networks - 1)) == 0) /* 0, 1, 2, 4, ...: grow x2 */
				lab->networks = lab_xrealloc(lab->networks,
							     (lab->n_networks ? 2 * lab->n_networks : 1) * sizeof(*lab->networks));
			struct lab_network *w = &lab->networks[lab->n_networks++];
			w->name = name;
			w->external_name = ext;
			w->custom_name = custom;
			w->labels = labels;
			w->mark = k->mark;
			lab_index_put(&have, name, strlen(name), lab->n_networks - 1);
		} else {
			if ((lab->n_volumes & (lab->n_volumes - 1)) == 0)
				lab->volumes = lab_xrealloc(lab->volumes,
							    (lab->n_volumes ? 2 * lab->n_volumes : 1) * sizeof(*lab->volumes));
			struct lab_volume *w = &lab->volumes[lab->n_volumes++];
			w->name = name;
			w->external_name = ext;
			w->custom_name = custom;
			w->labels = labels;
			w->mark = k->mark;
			lab_index_put(&have, name, strlen(name), lab->n_volumes - 1);
		}
	}
	lab_index_free(&have);
}

static void ld_services(struct lab_ld *L, const struct src *s)
{
	struct lab *lab = L->lab;
	const struct lab_node *n = lab_node_get(s->root, "services");
	if (!n || lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_MAP, "services") < 0)
		return;
	lab->services = lab_xrealloc(lab->services, (lab->n_services + n->n) * sizeof(*lab->services));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i];
		struct lab_service *prev = lab_ld_find_service(L, k->text);
		if (prev) {
			lab_ld_diag(L, &k->mark, "service '%s' is already defined at %s:%d:%d", k->text,
				    prev->mark.file, prev->mark.line, prev->mark.col);
			continue;
		}
		struct lab_service *sv = &lab->services[lab->n_services];
		memset(sv, 0, sizeof(*sv));
		lab_ld_service(L, s->absdir, k, n->kids[2 * i + 1], sv);
		lab_index_put(&L->svc_ix, sv->name, strlen(sv->name), lab->n_services);
		lab->n_services++;
	}
}

void lab_ld_reindex_services(struct lab_ld *L)
{
	lab_index_free(&L->svc_ix);
	L->svc_ix = (struct lab_index)LAB_INDEX_INIT;
	for (size_t i = 0; i < L->lab->n_services; i++)
		lab_index_put(&L->svc_ix, L->lab->services[i].name, strlen(L->lab->services[i].name), i);
}

const struct lab_load_opts *lab_ld_opts(struct lab_ld *L)
{
	return L->opts;
}

struct lab_service *lab_ld_find_service(struct lab_ld *L, const char *name)
{
	long i = lab_index_get(&L->svc_ix, name, strlen(name));
	return i < 0 ? NULL : &L->lab->services[i];
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* compose-go's loader applies each file's includes before it merges the
 * next file over it (loader.go loadYamlFile: ApplyInclude, then
 * override.Merge), so an override file (-f) may change a service that a
 * file the lab includes defines: such a service of root is merged into
 * that included file's definition (and leaves root), not refused as
 * defined twice. Relative paths in it are then the included file's. */
static void ld_override_included(struct lab_ld *L, struct lab_node *root, size_t into)
{
	struct lab_node *over = lab_node_get(root, "services");
	if (!over || over->kind != LAB_NODE_MAP)
		return;
	const struct lab_node *mine = lab_node_get(L->srcs[into].root, "services");
	size_t keep = 0;
	for (size_t i = 0; i < over->n; i++) {
		struct lab_node *k = over->kids[2 * i], *v = over->kids[2 * i + 1];
		struct lab_node *def = NULL;
		if (k->kind == LAB_NODE_SCALAR && !(mine && mine->kind == LAB_NODE_MAP && lab_node_get(mine, k->text)))
			for (size_t j = 0; j < L->n_srcs && !def; j++) {
				const struct lab_node *svcs = j == into ? NULL : lab_node_get(L->srcs[j].root, "services");
				def = svcs && svcs->kind == LAB_NODE_MAP ? lab_node_get(svcs, k->text) : NULL;
			}
		if (def && def->kind == LAB_NODE_MAP && v->kind == LAB_NODE_MAP) {
			lab_ld_merge_service(def, v, k->text);
			lab_node_free(k);
			lab_node_free(v);
			continue;
		}
		over->kids[2 * keep] = k;
		over->kids[2 * keep + 1] = v;
		keep++;
	}
	over->n = keep;
}

/* An override file merged over srcs[into]: lab_load_opts.overrides over
 * the lab file (into 0), or an include's further paths over its first.
 * from: the include entry naming it, NULL for -f. Its extends are resolved
 * first, its relative paths are srcs[into]'s (Compose). */
static void ld_merge_file(struct lab_ld *L, const char *path, size_t into, const struct lab_mark *from)
{
	struct lab_buf text = LAB_BUF_INIT;
	struct lab_node *root = NULL;
	struct lab_err e = {0};
	char *why = NULL;
	const char *file = ld_file(L, path);
	struct lab_mark m = {file, 1, 1};
	int rc = lab_read_file(&text, path, LAB_FILE_MAX, &why);
	if (rc) {
		lab_ld_diag(L, from ? from : &m, "%s file '%s' %s", from ? "include" : "compose", path,
			    rc == LAB_ENOTFOUND ? "not found" : why);
		free(why);
		return;
	}
	if (lab_node_parse_string(&root, lab_buf_cstr(&text), text.len, file, &e) < 0) {
		ld_diag_raw(L, file, e.msg);
	} else if (root->kind != LAB_NODE_MAP) {
		lab_ld_diag(L, &root->mark, "expected a mapping at the top of '%s'", file);
	} else {
		lab_ld_check_keys(L, root, from ? include_top_keys : top_keys, 1);
		lab_ld_extends(L, root, L->srcs[into].absdir);
		if (!from)
			ld_override_included(L, root, into);
		lab_ld_merge(L, L->srcs[into].root, root);
	}
	lab_node_free(root);
	lab_buf_release(&text);
}

/* Find the lab file: path itself, or a known name inside a directory. */
static int ld_locate(char **out, const char *path, struct lab_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return lab_err_set(err, LAB_ENOTFOUND, "lab file '%s' not found", path);
	if (!S_ISDIR(st.st_mode)) {
		*out = lab_xstrdup(path);
		return 0;
	}
	for (size_t i = 0; i < sizeof(lab_file_names) / sizeof(lab_file_names[0]); i++) {
		char *p = lab_path_join(path, lab_file_names[i]);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			*out = p;
			return 0;
		}
		free(p);
	}
	return lab_err_set(err, LAB_ENOTFOUND,
			   "no lab file in '%s' (looked for lab.yml, docker-compose.yml, "
			   "compose.yaml, compose.yml, docker-compose.yaml)",
			   path);
}

/* One env file into L->dotenv; given: named by --env-file (must exist). */
static void ld_env_file_vars(struct lab_ld *L, const char *p, int given)
{
	char *msg = NULL;
	int line = 0;
	int rc = lab_dotenv_parse(&L->dotenv, p, &line, &msg);
	if (rc == LAB_ENOTFOUND && given) {
		struct lab_mark m = {ld_file(L, p), 1, 1};
		lab_ld_diag(L, &m, "env file '%s' not found (--env-file)", p);
	} else if (rc != LAB_ENOTFOUND) {
		struct lab_mark m = {ld_file(L, p), line ? line : 1, 1};
		if (rc && line)
			lab_ld_diag(L, &m, "%s", msg);
		else if (rc)
			lab_ld_diag(L, &m, "the %s file %s", given ? "env" : ".env", msg);
	}
	free(msg);
}

/* The .env beside the lab file, when there is one; or the --env-file
 * files. The first value of a variable is the one looked up (index_kv),
 * so the files are read last first: a later --env-file wins, as in Compose. */
static void ld_dotenv(struct lab_ld *L)
{
	const struct lab_strv *ef = L->opts ? L->opts->env_files : NULL;
	if (ef && ef->n) {
		for (size_t i = ef->n; i-- > 0;)
			ld_env_file_vars(L, ef->v[i], 1);
	} else {
		char *dir = lab_path_dir(L->srcs[0].path);
		char *p = lab_path_join(dir, ".env");
		free(dir);
		ld_env_file_vars(L, p, 0);
		free(p);
	}
	for (size_t i = 0; i < L->dotenv.n; i++)
		index_kv(&L->dotenv_ix, &L->dotenv, i);
}

/* Index the params as the variables PARAM_<NAME> (name upper-cased). */
static void ld_index_params(struct lab_ld *L)
{
	for (size_t i = 0; i < L->lab->n_params; i++) {
		char *v = lab_xasprintf("PARAM_%s", L->lab->params[i].name);
		for (char *c = v; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		lab_strv_take(&L->param_vars, v);
	}
	for (size_t i = 0; i < L->param_vars.n; i++)
		lab_index_put(&L->param_ix, L->param_vars.v[i], strlen(L->param_vars.v[i]), i);
}

/* One load of the lab file. creds: interpolation may call the credential
 * callback (else credentials read "<generated>"); *cred_used: whether a
 * variable named under credentials: was looked up. */
static int ld_load(struct lab **out, const char *path, const struct lab_load_opts *opts, int creds,
		   int *cred_used, struct lab_err *err)
{
	int rc = 0;
	char *file = NULL;
	struct lab_ld L;
	memset(&L, 0, sizeof(L));
	struct lab *lab = lab_xcalloc(1, sizeof(*lab));
	L.lab = lab;
	L.opts = opts;
	const char *student = opts && opts->student ? opts->student : getenv("LAB_STUDENT");
	lab->student = lab_xstrdup(student ? student : "");
	L.suggest_budget = SUGGEST_BUDGET;
	*cred_used = 0;
	if ((rc = ld_locate(&file, path, err)))
		goto out;
	lab->path = realpath(file, NULL);
	if (!lab->path) {
		rc = lab_err_set(err, LAB_ENOTFOUND, "lab file '%s' not found", path);
		goto out;
	}
	lab->dir = lab_path_dir(lab->path);
	ld_read(&L, file, NULL, NULL);
	if (L.n_srcs == 0)
		goto report;
	/* each file's extends were resolved as it was read (ld_read), before
	   the files are merged, as compose-go's loader does (an override's
	   `user: !reset null` removes what the first file's service got from
	   the service it extends) */
	for (size_t i = 0; opts && opts->overrides && i < opts->overrides->n; i++)
		ld_merge_file(&L, opts->overrides->v[i], 0, NULL);
	for (size_t i = 0; i < L.n_srcs; i++)
		lab_ld_drop_resets(L.srcs[i].root);
	ld_dotenv(&L);
	ld_project(&L, &L.srcs[0]);
	{
		const struct lab_node *labn = lab_node_get(L.srcs[0].root, "lab");
		const struct lab_node *seed = labn && labn->kind == LAB_NODE_MAP ? lab_node_get(labn, "seed") : NULL;
		lab_ld_params(&L, lab_node_get(L.srcs[0].root, "params"), seed, !(opts && opts->names_only));
		ld_index_params(&L);
	}
	L.use_creds = 1;
	L.call_creds = creds;
	for (size_t i = 0; i < L.n_srcs; i++) {
		L.cur_src = &L.srcs[i];
		ld_interp_root(&L, L.srcs[i].root);
	}
	L.cur_src = NULL;
	{
		const struct lab_node *labn = lab_node_get(L.srcs[0].root, "lab");
		if (labn)
			ld_lab_section(&L, labn);
	}
	for (size_t i = 0; i < L.n_srcs; i++) {
		const struct lab_node *x;
		L.cur_src = &L.srcs[i]; /* a bare environment entry's value */
		ld_services(&L, &L.srcs[i]);
		L.cur_src = NULL;
		if ((x = lab_node_get(L.srcs[i].root, "volumes")))
			ld_resources(&L, x, "volumes", volume_keys, 0);
		if ((x = lab_node_get(L.srcs[i].root, "networks")))
			ld_resources(&L, x, "networks", network_keys, 1);
		if ((x = lab_node_get(L.srcs[i].root, "version")))
			lab_ld_str(&L, x, "version");
	}
	{
		const struct lab_node *b = lab_node_get(L.srcs[0].root, "buckets");
		if (b)
			ld_lab_buckets(&L, b);
		if ((b = lab_node_get(L.srcs[0].root, "datasets")))
			lab_ld_datasets(&L, b, L.srcs[0].absdir);
		if ((b = lab_node_get(L.srcs[0].root, "jobs")))
			lab_ld_jobs(&L, b, L.srcs[0].absdir);
		if ((b = lab_node_get(L.srcs[0].root, "checks")))
			lab_ld_checks(&L, b);
		if ((b = lab_node_get(L.srcs[0].root, "connectors")))
			lab_ld_connectors(&L, b);
	}
	lab_ld_validate(&L, lab);
report:
	*cred_used = L.cred_used;
	if (L.n_diags) {
		qsort(L.diags, L.n_diags, sizeof(*L.diags), diag_cmp);
		for (size_t i = 0; i < L.n_diags; i++)
			lab_err_append(err, LAB_EINPUT, "%s", L.diags[i].text);
		rc = LAB_EINPUT;
		if (err)
			err->code = LAB_EINPUT;
	}
out:
	for (size_t i = 0; i < L.n_diags; i++)
		free(L.diags[i].text);
	free(L.diags);
	for (size_t i = 0; i < L.n_srcs; i++) {
		lab_node_free(L.srcs[i].root);
		free(L.srcs[i].real);
		free(L.srcs[i].absdir);
		lab_strv_free(&L.srcs[i].env);
		lab_index_free(&L.srcs[i].env_ix);
	}
	free(L.srcs);
	for (size_t i = 0; i < L.n_netuses; i++) {
		free(L.netuses[i].svc);
		free(L.netuses[i].net);
	}
	free(L.netuses);
	lab_strv_free(&L.stack);
	lab_strv_free(&L.stack_disp);
	lab_strv_free(&L.dotenv);
	lab_index_free(&L.dotenv_ix);
	lab_index_free(&L.cred_ix);
	lab_strv_free(&L.cred_vals);
	lab_index_free(&L.cred_vals_ix);
	lab_strv_free(&L.param_vars);
	lab_index_free(&L.param_ix);
	lab_index_free(&L.svc_ix);
	free(file);
	if (rc) {
		lab_free(lab);
		return rc;
	}
	*out = lab;
	return 0;
}

int lab_load(struct lab **out, const char *path, const struct lab_load_opts *opts,
	     struct lab_err *err)
{
	int cred_used = 0;
	/* First with no credential callback: a lab file that is refused never
	 * reaches it, so nothing is read or written under a state directory
	 * for it (nor under a name that was never validated). */
	int rc = ld_load(out, path, opts, 0, &cred_used, err);
	if (rc || !opts || !opts->credential || !cred_used)
		return rc;
	/* valid: load again, with the credentials' values */
	lab_free(*out);
	*out = NULL;
	return ld_load(out, path, opts, 1, &cred_used, err);
}

void lab_free(struct lab *lab)
{
	if (!lab)
		return;
	free(lab->project);
	free(lab->image_project);
	free(lab->title);
	free(lab->description);
	free(lab->path);
	free(lab->dir);
	for (size_t i = 0; i < lab->n_services; i++)
		lab_service_clear(&lab->services[i]);
	free(lab->services);
	for (size_t i = 0; i < lab->n_volumes; i++) {
		free(lab->volumes[i].name);
		free(lab->volumes[i].external_name);
		free(lab->volumes[i].custom_name);
		lab_strv_free(&lab->volumes[i].labels);
	}
	free(lab->volumes);
	for (size_t i = 0; i < lab->n_networks; i++) {
		free(lab->networks[i].name);
		free(lab->networks[i].external_name);
		free(lab->networks[i].custom_name);
		lab_strv_free(&lab->networks[i].labels);
	}
	free(lab->networks);
	lab_strv_free(&lab->credentials);
	lab_strv_free(&lab->files);
	lab_strv_free(&lab->warnings);
	lab_strv_free(&lab->swarm_warnings);
	lab_strv_free(&lab->disabled);
	lab_jobs_free(lab);
	lab_checks_free(lab);
	lab_connectors_free(lab);
	free(lab);
}

struct lab_service *lab_find_service(const struct lab *lab, const char *name)
{
	for (size_t i = 0; lab && i < lab->n_services; i++)
		if (strcmp(lab->services[i].name, name) == 0)
			return &lab->services[i];
	return NULL;
}

const struct lab_service *lab_find_service_with_probe(const struct lab *lab, const char *probe)
{
	for (size_t i = 0; lab && i < lab->n_services; i++) {
		if (lab_ready_find(&lab->services[i].ready, probe))
			return &lab->services[i];
	}
	return NULL;
}
