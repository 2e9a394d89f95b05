/* db.c — one libpq connection per process, prepared statements, reconnect. */
#include "db.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn;
static char *conninfo_saved;
static unsigned conn_gen; /* bumped on every new connection */
static unsigned stmt_seq; /* names statements s1, s2 … */
static char last_state[6];
static char last_constraint[64];
static const char *session_sql;
static uint64_t round_trips; /* db_round_trips() */

void db_set_session_sql(const char *sql)
{
	session_sql = sql;
}

static void clear_pg(void *p)
{
	PQclear(p);
}

static bool connect_now(void)
{
	if (conn)
		PQfinish(conn);
	conn = PQconnectdb(conninfo_saved);
	if (PQstatus(conn) != CONNECTION_OK) {
		log_event(LOG_ERROR, "db_connect", "msg", PQerrorMessage(conn), NULL);
		PQfinish(conn);
		conn = NULL;
		return false;
	}
	conn_gen++;
	/* Sessions speak UTC-offset ISO timestamps; the service zone is Seoul. */
	round_trips += session_sql ? 4 : 3; /* connecting, and the settings below */
	PQclear(PQexec(conn, "SET TIME ZONE 'Asia/Seoul'"));
	PQclear(PQexec(conn, "SET statement_timeout = '15s'"));
	if (session_sql)
		PQclear(PQexec(conn, session_sql));
	return true;
}

enum db_err db_init(const char *conninfo)
{
	free(conninfo_saved);
	conninfo_saved = strdup(conninfo);
	return connect_now() ? DB_OK : DB_DOWN;
}

void db_close(void)
{
	if (conn)
		PQfinish(conn);
	conn = NULL;
}

PGconn *db_conn(void)
{
	return conn;
}

static bool ensure_conn(void)
{
	if (conn && PQstatus(conn) == CONNECTION_OK)
		return true;
	if (conninfo_saved == NULL)
		return false;
	return connect_now();
}

bool db_in_transaction(void)
{
	return conn && PQtransactionStatus(conn) != PQTRANS_IDLE &&
	       PQtransactionStatus(conn) != PQTRANS_UNKNOWN;
}

static enum db_err classify(PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(last_state, sizeof(last_state), "%s", state ? state : "");
	snprintf(last_constraint, sizeof(last_constraint), "%s", cons ? cons : "");
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return DB_DOWN;
	if (state == NULL)
		return DB_ERROR;
	if (strcmp(state, "23505") == 0)
		return DB_UNIQUE;
	if (strcmp(state, "23514") == 0)
		return DB_CHECK;
	if (strcmp(state, "23503") == 0)
		return DB_FK;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_RETRY;
	if (strncmp(state, "22", 2) == 0)
		return DB_INVALID;
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0)
		return DB_DOWN;
	return DB_ERROR;
}

static bool ok_status(PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static enum db_err exec_once(struct arena *a, struct db_stmt *st, const char *const *params,
                             PGresult **out)
{
	PGresult *res;
	enum db_err e;

	if (!ensure_conn())
		return DB_DOWN;
	if (st->gen != conn_gen) {
		if (st->name[0] == '\0')
			snprintf(st->name, sizeof(st->name), "s%u", ++stmt_seq);
		round_trips++;
		res = PQprepare(conn, st->name, st->sql, st->nparams, NULL);
		if (!ok_status(res)) {
			e = classify(res);
			log_event(LOG_ERROR, "db_prepare", "sql", st->sql, "msg",
			          PQerrorMessage(conn), NULL);
			PQclear(res);
			return e;
		}
		PQclear(res);
		st->gen = conn_gen;
	}
	round_trips++;
	res = PQexecPrepared(conn, st->name, st->nparams, params, NULL, NULL, 0);
	if (!ok_status(res)) {
		e = classify(res);
		if (e == DB_ERROR || e == DB_DOWN)
			log_event(LOG_ERROR, "db_exec", "sql", st->sql, "state", last_state, "msg",
			          PQresultErrorMessage(res), NULL);
		PQclear(res);
		return e;
	}
	last_state[0] = '\0';
	last_constraint[0] = '\0';
	if (out)
		*out = arena_defer(a, clear_pg, res);
	else
		PQclear(res);
	return DB_OK;
}

enum db_err db_exec(struct arena *a, struct db_stmt *st, const char *const *params, PGresult **res)
{
	bool in_tx = db_in_transaction();
	enum db_err e = exec_once(a, st, params, res);

	/* A lost connection is retried once, but never inside a transaction:
	 * its earlier statements died with the connection. */
	if (e == DB_DOWN && !in_tx) {
		if (connect_now())
			e = exec_once(a, st, params, res);
	}
	return e;
}

enum db_err db_exec_sql(const char *sql)
{
	PGresult *res;
	enum db_err e = DB_OK;

	if (!ensure_conn())
		return DB_DOWN;
	round_trips++;
	res = PQexec(conn, sql);
	if (!ok_status(res)) {
		e = classify(res);
		if (e == DB_ERROR)
			log_event(LOG_ERROR, "db_exec_sql", "msg", PQresultErrorMessage(res), NULL);
	}
	PQclear(res);
	return e;
}

enum db_err db_begin(void)
{
	if (db_in_transaction())
		db_rollback();
	if (!ensure_conn() && !connect_now())
		return DB_DOWN;
	return db_exec_sql("BEGIN");
}

enum db_err db_commit(void)
{
	return db_exec_sql("COMMIT");
}

void db_rollback(void)
{
	if (conn && db_in_transaction()) {
		round_trips++;
		PQclear(PQexec(conn, "ROLLBACK"));
	}
}

bool db_ping(void)
{
	PGresult *res;
	bool ok;
	if (!ensure_conn())
		return false;
	round_trips++;
	res = PQexec(conn, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!ok && connect_now()) {
		round_trips++;
		res = PQexec(conn, "SELECT 1");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	return ok;
}

const char *db_last_sqlstate(void)
{
	return last_state;
}

const char *db_last_constraint(void)
{
	return last_constraint;
}

int db_rows(const PGresult *res)
{
	return res ? PQntuples(res) : 0;
}

static int col(const PGresult *res, const char *name)
{
	int c = PQfnumber(res, name);
	if (c < 0) {
		log_event(LOG_ERROR, "db_column", "column", name, NULL);
		abort(); /* a query and its reader disagree: a bug, not a client error */
	}
	return c;
}

const char *db_str(const PGresult *res, int row, const char *name)
{
	int c = col(res, name);
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

int64_t db_i64(const PGresult *res, int row, const char *name)
{
	const char *s = db_str(res, row, name);
	return s ? strtoll(s, NULL, 10) : 0;
}

bool db_bool(const PGresult *res, int row, const char *name)
{
	const char *s = db_str(res, row, name);
	return s && s[0] == 't';
}

bool db_is_null(const PGresult *res, int row, const char *name)
{
	return PQgetisnull(res, row, col(res, name));
}

const char *db_param_i64(struct arena *a, int64_t v)
{
	return arena_printf(a, "%lld", (long long)v);
}

const char *db_param_bool(bool v)
{
	return v ? "true" : "false";
}

uint64_t db_round_trips(void)
{
	return round_trips;
}
