/* sql checks: a query's first column of the first row compared with
 * equals / equals_hash / min / max, or every row with rows:. Against the
 * service's x-ready postgres probe (port and credentials); the server
 * cancels the query when the check's time is up (statement_timeout). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../check.h"

struct sql_conf {
	char *query;
	struct lab_strv rows;    /* expected rows, cells joined by '|' */
	int has_rows;            /* rows: was given */
};

static const char *const sql_keys[] = {"service", "query", "equals", "equals_hash", "min", "max", "rows", NULL};

static void read_rows(struct lab_ld *L, const struct lab_node *x, struct sql_conf *q)
{
	if (lab_ld_want(L, x, LAB_NODE_SEQ, "rows") < 0)
		return;
	q->has_rows = 1;
	for (size_t r = 0; r < x->n; r++) {
		const struct lab_node *row = x->kids[r];
		struct lab_buf b = LAB_BUF_INIT;
		lab_buf_puts(&b, "");
		if (row->kind == LAB_NODE_SCALAR) {
			lab_buf_puts(&b, row->text);
		} else if (row->kind == LAB_NODE_SEQ) {
			for (size_t j = 0; j < row->n; j++) {
				const char *t = lab_ld_str(L, row->kids[j], "rows");
				lab_buf_printf(&b, "%s%s", j ? "|" : "", t ? t : "");
			}
		} else {
			lab_ld_diag(L, &row->mark, "expected a list of cells for a row of 'rows'");
		}
		lab_strv_take(&q->rows, lab_buf_detach(&b));
	}
}

static void parse_sql(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct sql_conf *q = lab_xcalloc(1, sizeof(*q));
	const struct lab_node *x;
	c->conf = q;
	c->service = lab_ld_check_service(L, c, m, "postgres", 1);
	lab_ld_check_need(L, c, m, "query", "the SQL whose first column of the first row is compared");
	q->query = lab_ld_opt_str(L, m, "query");
	lab_ld_check_expect(L, m, &c->expect, "equals", "min", "max");
	if ((x = lab_node_get(m, "rows")))
		read_rows(L, x, q);
	if (!lab_check_has_expect(&c->expect) && !q->has_rows)
		lab_ld_diag(L, &m->mark, "sql check '%s' needs one of 'equals', 'equals_hash', 'min', 'max', 'rows'",
			    c->id);
}

static void free_sql(void *conf)
{
	struct sql_conf *q = conf;
	if (!q)
		return;
	free(q->query);
	lab_strv_free(&q->rows);
	free(q);
}

/* A connection to service's PostgreSQL for x (its x-ready postgres probe's
 * port and credentials), statement_timeout at x's deadline; or NULL with
 * the outcome an error. */
static PGconn *sql_connect(struct lab_check_ctx *x, const char *service)
{
	PGconn *conn = NULL;
	struct lab_strv env = LAB_STRV_INIT;
	if (lab_check_need_lib(x, LAB_LAZY_PQ) < 0)
		return NULL;
	if (x->client_env(x, service, "postgres", "port and credentials", &env) < 0)
		goto out;
	const char *host = lab_strv_value(&env, "PGHOST"), *port = lab_strv_value(&env, "PGPORT");
	const char *password = lab_strv_value(&env, "PGPASSWORD");
	char ctimeout[24], options[64];
	snprintf(ctimeout, sizeof(ctimeout), "%ld", (lab_check_left_ms(x) + 999) / 1000);
	/* the server cancels the query itself when the check's time is up */
	snprintf(options, sizeof(options), "-c statement_timeout=%ld", lab_check_left_ms(x));
	const char *keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", "options", NULL};
	const char *vals[] = {host,
			      port,
			      lab_strv_value(&env, "PGUSER"),
			      password ? password : "",
			      lab_strv_value(&env, "PGDATABASE"),
			      ctimeout,
			      options,
			      NULL};
	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);
		size_t len = strlen(m);
		while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
			len--;
		lab_check_outcome(x, LAB_VERIFY_ERROR, "postgres %s:%s: %.*s", host, port, (int)len, m);
		PQfinish(conn);
		conn = NULL;
	}
out:
	lab_strv_free(&env);
	return conn;
}

int lab_check_sql_holds(struct lab_check_ctx *x, const char *query)
{
	const struct lab_service *s = lab_find_service_with_probe(x->lab, "postgres");
	if (!s) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "skip_unless: no service has an x-ready postgres probe");
		return -1;
	}
	PGconn *conn = sql_connect(x, s->name);
	if (!conn)
		return -1;
	PGresult *res = PQexec(conn, query);
	int rc;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		lab_check_outcome(x, LAB_VERIFY_ERROR, "skip_unless: %s",
				  m ? m : PQresultStatus(res) == PGRES_COMMAND_OK ? "the query returned no result set"
										: PQresultErrorMessage(res));
		rc = -1;
	} else {
		struct lab_expect t = {.equals = "true"};
		rc = PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0) &&
		     lab_verify_compare(&t, PQgetvalue(res, 0, 0), NULL, NULL);
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

static void run_sql(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct sql_conf *q = c->conf;
	PGresult *res = NULL;
	struct lab_buf obs = LAB_BUF_INIT;
	PGconn *conn = sql_connect(x, c->service);
	if (!conn)
		return;
	res = PQexec(conn, q->query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			m = "the query returned no result set";
		/* a missing table or column is work left to do, not an error */
		enum lab_verify_status st = !state ? LAB_VERIFY_ERROR
					    : strcmp(state, "57014") == 0 ? LAB_VERIFY_TIMEOUT
					    : strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 ? LAB_VERIFY_FAILED
													   : LAB_VERIFY_ERROR;
		lab_check_outcome(x, st, "sql: %s", m ? m : PQresultErrorMessage(res));
		if (st == LAB_VERIFY_FAILED)
			lab_verify_compare(&c->expect, "", x->key, &x->expected);
		goto out;
	}
	int nr = PQntuples(res), nc = PQnfields(res);
	if (q->has_rows) {
		struct lab_buf want = LAB_BUF_INIT;
		int ok = (size_t)nr == q->rows.n;
		lab_buf_puts(&obs, "");
		lab_buf_puts(&want, "");
		for (int r = 0; r < nr; r++) {
			struct lab_buf row = LAB_BUF_INIT;
			lab_buf_puts(&row, "");
			for (int k = 0; k < nc; k++)
				lab_buf_printf(&row, "%s%s", k ? "|" : "", PQgetisnull(res, r, k) ? "null" : PQgetvalue(res, r, k));
			if ((size_t)r < q->rows.n && strcmp(lab_buf_cstr(&row), q->rows.v[r]) != 0)
				ok = 0;
			lab_buf_printf(&obs, "%s%s", r ? "\n" : "", lab_buf_cstr(&row));
			lab_buf_release(&row);
		}
		for (size_t r = 0; r < q->rows.n; r++)
			lab_buf_printf(&want, "%s%s", r ? "\n" : "", q->rows.v[r]);
		x->expected = lab_buf_detach(&want);
		if (!ok)
			lab_check_outcome(x, LAB_VERIFY_FAILED, "the query returned %d row%s, not the %zu expected", nr,
				nr == 1 ? "" : "s", q->rows.n);
		else if (lab_check_has_expect(&c->expect))
			x->expected = (free(x->expected), NULL);
		lab_buf_release(&want);
		x->observed = lab_buf_detach(&obs);
		if (!ok || !lab_check_has_expect(&c->expect))
			goto out;
		lab_buf_release(&obs);
		free(x->observed);
		x->observed = NULL;
	}
	if (nr == 0 || nc == 0) {
		lab_check_outcome(x, LAB_VERIFY_FAILED, "the query returned no rows");
		x->observed = lab_xstrdup("");
		lab_verify_compare(&c->expect, "", x->key, &x->expected);
		goto out;
	}
	x->observed = lab_xstrdup(PQgetisnull(res, 0, 0) ? "null" : PQgetvalue(res, 0, 0));
	lab_check_expect(x, x->observed, "the result");
out:
	lab_buf_release(&obs);
	PQclear(res);
	PQfinish(conn);
}

const struct lab_check_kind lab_check_sql = {"sql", sql_keys, parse_sql, free_sql, run_sql};
