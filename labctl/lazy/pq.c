/* libpq (libpq.so.5, Debian package libpq5), loaded on first use: the
 * functions labctl calls (probe/probe.c, verify/run.c), each with the
 * prototype from <libpq-fe.h>, forwarding to the real one. See lazy.h
 * (errors: lab_lazy_load(LAB_LAZY_PQ) returns them). */
#include <pthread.h>

#include <libpq-fe.h>

#include "lazy.h"

#define PQ_FUNCS(X)                                                                                \
	X(PQclear)                                                                                 \
	X(PQconnectdbParams)                                                                       \
	X(PQerrorMessage)                                                                          \
	X(PQexec)                                                                                  \
	X(PQfinish)                                                                                \
	X(PQgetisnull)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQnfields)                                                                               \
	X(PQntuples)                                                                               \
	X(PQresultErrorField)                                                                      \
	X(PQresultErrorMessage)                                                                    \
	X(PQresultStatus)                                                                          \
	X(PQstatus)

LAZY_LIBRARY(pq, PQ_FUNCS, lazy_open, "libpq.so.5", "libpq5", "LABCTL_LAZY_PQ")
#define PQ() lazy_fn()

PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
	return PQ()->PQconnectdbParams(keywords, values, expand_dbname);
}

void PQfinish(PGconn *conn)
{
	PQ()->PQfinish(conn);
}

ConnStatusType PQstatus(const PGconn *conn)
{
	return PQ()->PQstatus(conn);
}

char *PQerrorMessage(const PGconn *conn)
{
	return PQ()->PQerrorMessage(conn);
}

PGresult *PQexec(PGconn *conn, const char *query)
{
	return PQ()->PQexec(conn, query);
}

ExecStatusType PQresultStatus(const PGresult *res)
{
	return PQ()->PQresultStatus(res);
}

char *PQresultErrorMessage(const PGresult *res)
{
	return PQ()->PQresultErrorMessage(res);
}

char *PQresultErrorField(const PGresult *res, int fieldcode)
{
	return PQ()->PQresultErrorField(res, fieldcode);
}

int PQntuples(const PGresult *res)
{
	return PQ()->PQntuples(res);
}

int PQnfields(const PGresult *res)
{
	return PQ()->PQnfields(res);
}

char *PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	return PQ()->PQgetvalue(res, tup_num, field_num);
}

int PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	return PQ()->PQgetisnull(res, tup_num, field_num);
}

void PQclear(PGresult *res)
{
	PQ()->PQclear(res);
}
