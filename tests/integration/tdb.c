/* tdb.c — read-only PostgreSQL look-ups for assertions the API cannot make
 * (nothing half-written, one activity row per change). Connects with
 * TICKET_PG; the session refuses writes. */
#include "client.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TDB_MAX_PARAMS 16

static PGconn *conn;
static pid_t conn_pid;

static PGconn *tdb_conn(void)
{
	if (conn && conn_pid == getpid() && PQstatus(conn) == CONNECTION_OK)
		return conn;
	if (conn && conn_pid == getpid())
		PQfinish(conn);
	{
		const char *ci = getenv("TICKET_PG");
		conn = PQconnectdb(ci && *ci ? ci : "dbname=ticketd");
		conn_pid = getpid();
	}
	ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "tdb: cannot connect (TICKET_PG=%s): %s",
	              getenv("TICKET_PG") ? getenv("TICKET_PG") : "", PQerrorMessage(conn));
	{
		PGresult *res = PQexec(conn,
		                       "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "tdb: %s",
		              PQresultErrorMessage(res));
		PQclear(res);
	}
	return conn;
}

/* Runs sql with the NULL-terminated text parameters of ap. */
static PGresult *tdb_run(const char *sql, va_list ap)
{
	const char *params[TDB_MAX_PARAMS];
	int n = 0;
	PGresult *res;

	for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
		ck_assert_msg(n < TDB_MAX_PARAMS, "tdb: too many parameters");
		params[n++] = p;
	}
	res = PQexecParams(tdb_conn(), sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		ck_abort_msg("tdb: %s: %s", sql, msg);
	}
	return res;
}

const char *tdb_value_(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	const char *out = NULL;

	va_start(ap, sql);
	res = tdb_run(sql, ap);
	va_end(ap);
	if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strf("%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

long long tdb_count_(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	long long out = -1;

	va_start(ap, sql);
	res = tdb_run(sql, ap);
	va_end(ap);
	if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return out;
}
