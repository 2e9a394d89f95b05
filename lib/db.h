/*
 * db.h — PostgreSQL through libpq. One connection per worker, opened at
 * start, reopened when lost. Statements are declared where the table's
 * module lives and prepared once per connection, on first use:
 *
 *   static struct db_stmt q_event_by_code = DB_STMT(
 *       "SELECT id, title FROM events WHERE code = $1 AND deleted_at IS NULL", 1);
 *   PGresult *res;
 *   enum db_err e = db_exec(r->arena, &q_event_by_code, (const char *[]){code}, &res);
 *
 * Parameters and results are text. Results are freed with the arena.
 */
#ifndef DB_H
#define DB_H

#include "arena.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct db_stmt {
	const char *sql;
	int nparams;
	/* Private: the statement's name on the server and the connection
	 * generation it was prepared on. */
	char name[24];
	unsigned gen;
};

/* clang-format off */
#define DB_STMT(sql_, n_) { .sql = (sql_), .nparams = (n_) }
/* clang-format on */

enum db_err {
	DB_OK,
	DB_DOWN,    /* no connection to the server (503 UNAVAILABLE) */
	DB_UNIQUE,  /* 23505 unique_violation */
	DB_CHECK,   /* 23514 check_violation */
	DB_FK,      /* 23503 foreign_key_violation */
	DB_INVALID, /* 22xxx data exception (bad value for a column type) */
	DB_RETRY,   /* 40001 serialization failure, 40P01 deadlock */
	DB_ERROR,   /* anything else: a bug (logged with the SQLSTATE) */
};

/* Connects with conninfo; keeps it for reconnects. DB_DOWN when the server
 * cannot be reached now (later calls retry). */
enum db_err db_init(const char *conninfo);

/* SQL run on every new connection after the defaults (e.g. the public
 * family's "SET synchronous_commit = off": its writes are holds, not money).
 * Call before db_init; the string must stay valid. */
void db_set_session_sql(const char *sql);

/* Closes the connection (at exit). */
void db_close(void);

/* True when a connection is open and answering (runs SELECT 1). */
bool db_ping(void);

/* Executes a prepared statement with nparams text parameters (NULL = SQL
 * NULL). *res (may be NULL when the caller needs no rows) is freed with the
 * arena. When the connection was lost outside a transaction, reconnects and
 * retries once. */
enum db_err db_exec(struct arena *a, struct db_stmt *st, const char *const *params, PGresult **res);

/* Runs a plain SQL text without parameters (BEGIN, migrations...). */
enum db_err db_exec_sql(const char *sql);

/* Transactions. db_begin fails with DB_DOWN when there is no connection.
 * db_rollback is safe to call when no transaction is open. */
enum db_err db_begin(void);
enum db_err db_commit(void);
void db_rollback(void);
bool db_in_transaction(void);

/* The SQLSTATE and constraint name of the last failed statement ("" when
 * none) — for mapping a unique violation to the field it concerns. */
const char *db_last_sqlstate(void);
const char *db_last_constraint(void);

/* Row accessors. db_str returns NULL for SQL NULL. */
int db_rows(const PGresult *res);
const char *db_str(const PGresult *res, int row, const char *col);
int64_t db_i64(const PGresult *res, int row, const char *col);
bool db_bool(const PGresult *res, int row, const char *col);
bool db_is_null(const PGresult *res, int row, const char *col);

/* Format an integer / bool as a parameter (arena string). */
const char *db_param_i64(struct arena *a, int64_t v);
const char *db_param_bool(bool v);

/* Statements this process has sent to the server (prepares, executions,
 * plain SQL such as BEGIN/COMMIT): a request's cost in round trips is the
 * difference around it (lib/scan.c shows it on every scan answer). */
uint64_t db_round_trips(void);

/* The raw connection (for tools); NULL when down. */
PGconn *db_conn(void);

#endif
