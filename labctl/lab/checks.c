/* The params: and checks: sections of a lab file (run by labctl/verify).
 *
 * params are evaluated before the lab is interpolated, so that
 * ${PARAM_<NAME>} works anywhere (services, jobs, checks); checks are read
 * after services, from the interpolated tree. A check's shared keys are
 * read here; its kind's keys by the kind's parse (labctl/verify/checks/,
 * listed in verify/registry.h), with the helpers below. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../verify/registry.h"
#include "lab_private.h"

#define CHECK_DEFAULT_TIMEOUT_MS 10000

static const char *const check_shared_keys[] = {"id", "description", "hint", "timeout", "skip_unless"};
static const char *const param_keys[] = {"pick", "range", "hex", "description", NULL};

void lab_hmac_sha256_hex(char out[65], const char *key, const void *msg, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	HMAC(EVP_sha256(), key ? key : "", (int)strlen(key ? key : ""), msg, len, md, &mdlen);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

char *lab_param_value(const struct lab_param *p, const char *seed, const char *student)
{
	char hex[65];
	char *msg = lab_xasprintf("%s\n%s", student ? student : "", p->name);
	lab_hmac_sha256_hex(hex, seed, msg, strlen(msg));
	free(msg);
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		int c = hex[i];
		v = (v << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	switch (p->kind) {
	case LAB_PARAM_PICK:
		return lab_xstrdup(p->pick.n ? p->pick.v[v % p->pick.n] : "");
	case LAB_PARAM_RANGE: {
		/* in unsigned 64-bit arithmetic, which wraps and never traps: hi - lo
		   cannot overflow, and the full range of long (span 2^64, which
		   wraps to 0) takes v as it is */
		uint64_t span = (uint64_t)p->hi - (uint64_t)p->lo + 1;
		uint64_t off = span ? v % span : v;
		uint64_t r = (uint64_t)p->lo + off; /* lo <= r <= hi, as a two's complement long */
		return lab_xasprintf("%lld", r > (uint64_t)LLONG_MAX ? (long long)(r - (uint64_t)LLONG_MAX - 1) + LLONG_MIN
								: (long long)r);
	}
	case LAB_PARAM_HEX:
	default:
		return lab_xstrndup(hex, p->hex_len < 0 ? 0 : p->hex_len > 64 ? 64 : (size_t)p->hex_len);
	}
}

static int param_name_ok(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* An integer of a scalar, quoted or not (interpolated values are quoted text). */
static int scalar_long(struct lab_ld *L, const struct lab_node *n, const char *key, long *v)
{
	if (n->kind == LAB_NODE_SCALAR && *n->text) {
		char *end = NULL;
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

static int scalar_double(struct lab_ld *L, const struct lab_node *n, const char *key, double *v)
{
	if (n->kind == LAB_NODE_SCALAR && *n->text) {
		char *end = NULL;
		errno = 0;
		double x = strtod(n->text, &end);
		if (!*end && !errno && isfinite(x)) {
			*v = x;
			return 0;
		}
	}
	lab_ld_diag(L, &n->mark, "expected a number for '%s'", key);
	return -1;
}

/* A value of p's kind, the same for every student, without the HMAC: the
 * first pick, the low end of the range, hex_len zeros. */
static char *placeholder(const struct lab_param *p)
{
	switch (p->kind) {
	case LAB_PARAM_PICK:
		return lab_xstrdup(p->pick.v[0]);
	case LAB_PARAM_RANGE:
		return lab_xasprintf("%ld", p->lo);
	case LAB_PARAM_HEX:
		break;
	}
	char *s = lab_xcalloc((size_t)p->hex_len + 1, 1);
	memset(s, '0', (size_t)p->hex_len);
	return s;
}

void lab_ld_params(struct lab_ld *L, const struct lab_node *n, const struct lab_node *seedn, int evaluate)
{
	struct lab *lab = lab_ld_lab(L);
	if (seedn) {
		const char *t = lab_ld_str(L, seedn, "seed");
		char *msg = NULL;
		if (t && lab_interp_run(&lab->seed, t, lab_ld_lookup, L, &msg) < 0)
			free(msg); /* reported again when the lab section is interpolated */
	}
	if (!n || lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_MAP, "params") < 0)
		return;
	if (n->n && (!lab->seed || !*lab->seed))
		lab_ld_diag(L, &n->mark, "params need a seed: set 'lab.seed'");
	lab->params = lab_xcalloc(n->n ? n->n : 1, sizeof(*lab->params));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1], *x;
		if (!param_name_ok(k->text)) {
			lab_ld_diag(L, &k->mark, "invalid param name '%s': lowercase letters, digits and '_'", k->text);
			continue;
		}
		if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0 || lab_ld_check_keys(L, v, param_keys, 1))
			continue;
		struct lab_param p = {0};
		int kinds = 0, ok = 1;
		p.name = k->text;
		p.mark = k->mark;
		if ((x = lab_node_get(v, "pick"))) {
			kinds++;
			p.kind = LAB_PARAM_PICK;
			if (lab_ld_strlist(L, x, "pick", 0, &p.pick) < 0)
				ok = 0;
			else if (p.pick.n == 0) {
				lab_ld_diag(L, &x->mark, "'pick' of param '%s' needs at least one value", k->text);
				ok = 0;
			}
		}
		if ((x = lab_node_get(v, "range"))) {
			kinds++;
			p.kind = LAB_PARAM_RANGE;
			if (x->kind != LAB_NODE_SEQ || x->n != 2 || scalar_long(L, x->kids[0], "range", &p.lo) < 0 ||
			    scalar_long(L, x->kids[1], "range", &p.hi) < 0 || p.lo > p.hi) {
				lab_ld_diag(L, &x->mark, "'range' of param '%s' needs [low, high] integers, low <= high",
					    k->text);
				ok = 0;
			}
		}
		if ((x = lab_node_get(v, "hex"))) {
			long len = 0;
			kinds++;
			p.kind = LAB_PARAM_HEX;
			if (scalar_long(L, x, "hex", &len) < 0 || len < 1 || len > 64) {
				lab_ld_diag(L, &x->mark, "'hex' of param '%s' needs a length from 1 to 64", k->text);
				ok = 0;
			}
			p.hex_len = (int)len;
		}
		if (kinds != 1) {
			lab_ld_diag(L, &k->mark, "param '%s' needs exactly one of 'pick', 'range', 'hex'", k->text);
			ok = 0;
		}
		if (!ok) {
			lab_strv_free(&p.pick);
			continue;
		}
		p.name = lab_xstrdup(k->text);
		/* names_only: commands that only need names skip the HMAC (and
		   OpenSSL's first algorithm fetch, ~0.4 MB of RSS), yet the value
		   stands where the real one would: a number where a check wants
		   one (min: "${PARAM_N}"), so the lab loads as it does for up */
		p.value = evaluate ? lab_param_value(&p, lab->seed ? lab->seed : "", lab->student) : placeholder(&p);
		lab->params[lab->n_params++] = p;
	}
}

static int id_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

char *lab_ld_opt_str(struct lab_ld *L, const struct lab_node *map, const char *key)
{
	const struct lab_node *v = lab_node_get(map, key);
	const char *t = v ? lab_ld_str(L, v, key) : NULL;
	return t ? lab_xstrdup(t) : NULL;
}

void lab_ld_check_regex(struct lab_ld *L, const struct lab_node *map, const char *key)
{
	const struct lab_node *v = lab_node_get(map, key);
	regex_t re;
	if (!v || v->kind != LAB_NODE_SCALAR)
		return;
	int rc = regcomp(&re, v->text, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &re, msg, sizeof(msg));
		lab_ld_diag(L, &v->mark, "invalid regex '%s' for '%s': %s", v->text, key, msg);
		return;
	}
	regfree(&re);
}

void lab_ld_opt_long(struct lab_ld *L, const struct lab_node *map, const char *key, long *out, long min)
{
	const struct lab_node *v = lab_node_get(map, key);
	long x;
	if (!v || scalar_long(L, v, key, &x) < 0)
		return;
	if (x < min) {
		lab_ld_diag(L, &v->mark, "invalid '%s' %ld: %ld or more", key, x, min);
		return;
	}
	*out = x;
}

void lab_ld_check_expect(struct lab_ld *L, const struct lab_node *m, struct lab_expect *e, const char *eq,
			 const char *mn, const char *mx)
{
	const struct lab_node *v;
	if (eq && (v = lab_node_get(m, eq)) && lab_ld_want(L, v, LAB_NODE_SCALAR, eq) == 0)
		e->equals = lab_xstrdup(v->text);
	if (mn && (v = lab_node_get(m, mn)) && scalar_double(L, v, mn, &e->min) == 0)
		e->has_min = 1;
	if (mx && (v = lab_node_get(m, mx)) && scalar_double(L, v, mx, &e->max) == 0)
		e->has_max = 1;
	if ((v = lab_node_get(m, "equals_hash")) && lab_ld_want(L, v, LAB_NODE_SCALAR, "equals_hash") == 0) {
		const char *t = v->text;
		size_t ok = strncmp(t, "hmac-sha256:", 12) == 0 && strlen(t + 12) == 64;
		for (size_t i = 12; ok && t[i]; i++)
			ok = isxdigit((unsigned char)t[i]) && !isupper((unsigned char)t[i]);
		if (!ok)
			lab_ld_diag(L, &v->mark,
				    "invalid equals_hash '%s': 'hmac-sha256:' and 64 lowercase hex digits "
				    "(labctl verify LAB --hash VALUE prints it)",
				    t);
		else
			e->equals_hash = lab_xstrdup(t);
	}
}

char *lab_ld_check_service(struct lab_ld *L, const struct lab_check *c, const struct lab_node *m,
			   const char *probe, int required)
{
	struct lab *lab = lab_ld_lab(L);
	const struct lab_node *v = lab_node_get(m, "service");
	if (v) {
		const char *t = lab_ld_str(L, v, "service");
		if (!t)
			return NULL;
		if (!lab_find_service(lab, t)) {
			lab_ld_diag(L, &v->mark, "check '%s' names unknown service '%s'", c->id, t);
			return NULL;
		}
		return lab_xstrdup(t);
	}
	if (probe) {
		const struct lab_service *s = lab_find_service_with_probe(lab, probe);
		if (s)
			return lab_xstrdup(s->name);
		lab_ld_diag(L, &m->mark, "%s check '%s' needs 'service': no service has an x-ready %s probe",
			    c->kind->name, c->id, probe);
	} else if (required) {
		lab_ld_diag(L, &m->mark, "%s check '%s' needs 'service'", c->kind->name, c->id);
	}
	return NULL;
}

void lab_ld_check_need(struct lab_ld *L, const struct lab_check *c, const struct lab_node *m, const char *key,
		       const char *what)
{
	if (!lab_node_get(m, key))
		lab_ld_diag(L, &m->mark, "%s check '%s' needs '%s': %s", c->kind->name, c->id, key, what);
}

/* Which kind key check v gives: the one kind (*kind, its node *kindn), else
 * a diagnostic naming every kind of the registry. Returns 0 or -1. */
static int find_kind(struct lab_ld *L, const struct lab_node *v, const char *id, const struct lab_check_kind **kind,
		     const struct lab_node **kindn)
{
	int kinds = 0;
	for (size_t k = 0; k < lab_check_n_kinds; k++) {
		const struct lab_node *x = lab_node_get(v, lab_check_kinds[k]->name);
		if (x) {
			kinds++;
			*kind = lab_check_kinds[k];
			*kindn = x;
		}
	}
	if (kinds == 1)
		return 0;
	char *list = lab_check_kind_list("'");
	lab_ld_diag(L, &v->mark, "check '%s' needs exactly one of %s", id, list);
	free(list);
	return -1;
}

void lab_ld_checks(struct lab_ld *L, const struct lab_node *n)
{
	struct lab *lab = lab_ld_lab(L);
	const size_t n_shared = sizeof(check_shared_keys) / sizeof(check_shared_keys[0]);
	const char **keys = NULL;
	if (lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_SEQ, "checks") < 0)
		return;
	/* a check's keys: the shared ones and the kinds' names */
	keys = lab_xcalloc(n_shared + lab_check_n_kinds + 1, sizeof(*keys));
	for (size_t k = 0; k < n_shared; k++)
		keys[k] = check_shared_keys[k];
	for (size_t k = 0; k < lab_check_n_kinds; k++)
		keys[n_shared + k] = lab_check_kinds[k]->name;
	lab->checks = lab_xcalloc(n->n ? n->n : 1, sizeof(*lab->checks));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *v = n->kids[i], *x, *kindn = NULL;
		const struct lab_check_kind *kind = NULL;
		if (lab_ld_want(L, v, LAB_NODE_MAP, "checks") < 0 || lab_ld_check_keys(L, v, keys, 1))
			continue;
		const struct lab_node *idn = lab_node_get(v, "id");
		const char *id = idn ? lab_ld_str(L, idn, "id") : NULL;
		if (!idn) {
			lab_ld_diag(L, &v->mark, "check needs an 'id'");
			continue;
		}
		if (!id)
			continue;
		if (!id_ok(id)) {
			lab_ld_diag(L, &idn->mark, "invalid check id '%s': letters, digits, '_', '.' and '-'", id);
			continue;
		}
		struct lab_check *prev = lab_find_check(lab, id);
		if (prev) {
			lab_ld_diag(L, &idn->mark, "check '%s' is already defined at %s:%d:%d", id, prev->mark.file,
				    prev->mark.line, prev->mark.col);
			continue;
		}
		struct lab_check *c = &lab->checks[lab->n_checks++];
		c->id = lab_xstrdup(id);
		c->mark = idn->mark;
		c->description = lab_ld_opt_str(L, v, "description");
		c->hint = lab_ld_opt_str(L, v, "hint");
		c->timeout_ms = CHECK_DEFAULT_TIMEOUT_MS;
		if ((x = lab_node_get(v, "timeout")) && lab_ld_duration(L, x, "timeout", &c->timeout_ms) == 0 &&
		    c->timeout_ms <= 0)
			lab_ld_diag(L, &x->mark, "invalid timeout '%s': more than 0", x->text);
		c->skip_unless = lab_ld_opt_str(L, v, "skip_unless");
		if (c->skip_unless && !lab_find_service_with_probe(lab, "postgres"))
			lab_ld_diag(L, &lab_node_get(v, "skip_unless")->mark,
				    "check '%s' has skip_unless, a query for a service with an x-ready postgres probe; the lab has none",
				    id);
		if (find_kind(L, v, id, &kind, &kindn) < 0)
			continue;
		c->kind = kind;
		if (lab_ld_want(L, kindn, LAB_NODE_MAP, kind->name) < 0 || lab_ld_check_keys(L, kindn, kind->keys, 0))
			continue;
		kind->parse(c, L, kindn);
	}
	free(keys);
}

void lab_checks_free(struct lab *lab)
{
	for (size_t i = 0; i < lab->n_params; i++) {
		free(lab->params[i].name);
		free(lab->params[i].value);
		lab_strv_free(&lab->params[i].pick);
	}
	free(lab->params);
	free(lab->seed);
	free(lab->student);
	for (size_t i = 0; i < lab->n_checks; i++) {
		struct lab_check *c = &lab->checks[i];
		free(c->id);
		free(c->description);
		free(c->hint);
		free(c->skip_unless);
		free(c->service);
		if (c->kind)
			c->kind->free(c->conf);
		free(c->expect.equals);
		free(c->expect.equals_hash);
	}
	free(lab->checks);
}

struct lab_check *lab_find_check(const struct lab *lab, const char *id)
{
	for (size_t i = 0; lab && i < lab->n_checks; i++)
		if (strcmp(lab->checks[i].id, id) == 0)
			return &lab->checks[i];
	return NULL;
}
