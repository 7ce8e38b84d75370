/* x-ready postgres: PORT, or {port (default 5432), user (default
 * postgres), password, database (default the user)} -- a libpq login and
 * "select 1" succeed, so the server accepts queries (not while it starts
 * or recovers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../lab/lab_private.h"
#include "../lazy/lazy.h"
#include "probe.h"

static const char *const pg_keys[] = {"port", "user", "password", "database", NULL};

struct pg_cfg {
	int port;
	char *user, *password, *database; /* or NULL */
};

/* Who the probe and every client log in as when the lab does not say:
 * postgres, the superuser the official image (and labctl/postgres, which
 * has its interface) makes when POSTGRES_USER is unset; libpq's own
 * default, the login name of whoever runs the client, differs between the
 * host and a container. The database defaults to the user, as the image's
 * POSTGRES_DB and libpq's dbname do. */
static const char *pg_user(const struct pg_cfg *c)
{
	return c->user ? c->user : "postgres";
}

static const char *pg_database(const struct pg_cfg *c)
{
	return c->database ? c->database : pg_user(c);
}

static void pg_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	int port = 5432;
	if (n->kind != LAB_NODE_MAP) {
		if (lab_ld_port(L, n, "postgres", &port) < 0)
			return;
		struct pg_cfg *c = lab_xcalloc(1, sizeof(*c));
		c->port = port;
		*cfg = c;
		return;
	}
	if (lab_ld_check_keys(L, n, pg_keys, 0))
		return;
	struct pg_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = 5432;
	*cfg = c;
	const struct lab_node *p = lab_node_get(n, "port");
	if (p)
		lab_ld_port(L, p, "port", &c->port);
	const char *names[] = {"user", "password", "database"};
	char **dst[] = {&c->user, &c->password, &c->database};
	for (size_t i = 0; i < 3; i++) {
		const struct lab_node *v = lab_node_get(n, names[i]);
		const char *vs = v ? lab_ld_str(L, v, names[i]) : NULL;
		if (vs)
			*dst[i] = lab_xstrdup(vs);
	}
}

static void pg_free(void *cfg)
{
	struct pg_cfg *c = cfg;
	if (!c)
		return;
	free(c->user);
	free(c->password);
	free(c->database);
	free(c);
}

static int pg_port(const void *cfg)
{
	return ((const struct pg_cfg *)cfg)->port;
}

/* libpq connect (host, port, user, password, dbname; any may be NULL for
 * libpq's defaults) and "select 1". */
static int pg_login(const char *host, int port, const char *user, const char *password, const char *dbname,
		    int timeout_ms, struct lab_err *err)
{
	char portstr[16], timeout[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(timeout, sizeof(timeout), "%d", timeout_ms < 1000 ? 1 : timeout_ms / 1000);
	const char *keys[8], *vals[8];
	int n = 0;
#define KV(k, v)                                                                                   \
	do {                                                                                       \
		if (v) {                                                                           \
			keys[n] = k;                                                               \
			vals[n++] = v;                                                             \
		}                                                                                  \
	} while (0)
	KV("host", host);
	const char *port_s = portstr, *timeout_s = timeout;
	KV("port", port_s);
	KV("user", user);
	KV("password", password);
	KV("dbname", dbname);
	KV("connect_timeout", timeout_s);
#undef KV
	keys[n] = vals[n] = NULL;
	int rc = lab_lazy_load(LAB_LAZY_PQ, err);
	if (rc < 0)
		return rc;
	PGresult *res = NULL;
	PGconn *conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);
		size_t len = strlen(m);
		while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		rc = lab_err_set(err, LAB_ERR, "postgres %s:%d: %.*s", host ? host : "", port, (int)len, m);
		goto out;
	}
	res = PQexec(conn, "select 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = lab_err_set(err, LAB_ERR, "postgres %s:%d: select 1: %s", host ? host : "", port,
				 PQresultErrorMessage(res));
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}

static int pg_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct pg_cfg *c = cfg;
	char *host = NULL;
	int port = 0;
	int rc = lab_probe_address(&host, &port, t, c->port, why);
	if (rc == 0)
		rc = pg_login(host, port, pg_user(c), c->password, pg_database(c), 2000, why);
	free(host);
	return rc;
}

static void pg_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct pg_cfg *c = cfg;
	lab_buf_printf(out, "pg_isready -q -h 127.0.0.1 -p %d%s%s%s%s", c->port, c->user ? " -U " : "",
		       c->user ? c->user : "", c->database ? " -d " : "", c->database ? c->database : "");
}

/* PGHOST PGPORT PGUSER PGDATABASE, and PGPASSWORD when the probe has one:
 * as the probe logs in. */
static int pg_client_env(const void *cfg, const struct lab_probe_where *w, struct lab_strv *env)
{
	const struct pg_cfg *c = cfg;
	char *host = NULL;
	int port = 0;
	if (lab_strv_find_key(env, "PGHOST") >= 0)
		return 0;
	if (w->addr(&host, &port, w->ud, c->port) < 0)
		return LAB_ENOTFOUND;
	lab_strv_pushf(env, "PGHOST=%s", host);
	lab_strv_pushf(env, "PGPORT=%d", port);
	lab_strv_pushf(env, "PGUSER=%s", pg_user(c));
	if (c->password)
		lab_strv_pushf(env, "PGPASSWORD=%s", c->password);
	lab_strv_pushf(env, "PGDATABASE=%s", pg_database(c));
	free(host);
	return 0;
}

const struct lab_probe_kind lab_probe_postgres = {
	.name = "postgres",
	.keys = pg_keys,
	.parse = pg_parse,
	.free = pg_free,
	.port = pg_port,
	.run = pg_run,
	.compose_test = pg_compose_test,
	.compose_rank = 1,
	.client_env = pg_client_env,
};
