/*
 * app.h — the worker process: FastCGI accept loop, dispatch, and helpers
 * every handler uses.
 *
 * Dispatch order, before any handler runs: limits (400/413) → route
 * (404/405) → content type (415) → authentication (401, 403 CSRF) → the
 * route's permission on its event (403 FORBIDDEN / EVENT_FORBIDDEN). A
 * handler therefore sees a valid, permitted request and only validates its
 * own fields.
 */
#ifndef APP_H
#define APP_H

#include "db.h"
#include "kv.h"
#include "router.h"

struct app_family {
	const char *name;   /* "public", "super_admin" … (log, metrics) */
	const char *prefix; /* "/fcgi/public/" */
	const struct route *routes;
	size_t n_routes;
	bool needs_kv;              /* health reports redis (all families do today) */
	const char *db_session_sql; /* run on each new PostgreSQL connection */
	/* Who the caller is, for routes above PERM_PUBLIC: sets r->principal,
	 * or answers (401, 403 CSRF, the database error) and returns false.
	 * The family hands it in (account_principal_or_reply) so that the
	 * request loop, which is infrastructure, never calls up into a domain
	 * module. NULL: the family serves public routes only. */
	bool (*principal_or_reply)(struct http_req *r);
};

/* Runs the worker: `--routes` prints "METHOD /prefix/pattern LEVEL" per
 * route and exits (for the OpenAPI test); otherwise loads config, connects
 * to PostgreSQL and Redis (tolerating them being down: health says so) and
 * answers requests on the FastCGI socket on fd 0 until SIGTERM. */
int app_main(int argc, char **argv, const struct app_family *fam);

/* Handles one parsed request against a family (used by app_main and by
 * tests that drive dispatch without FastCGI). */
void app_dispatch(const struct app_family *fam, struct http_req *r);

/* True when no request is waiting on the worker's listen socket (fd 0):
 * work that can wait (pending.h) is done when it is. */
bool app_listener_idle(void);

/* Work for a quiet moment: when no request has come for delay_ms, the
 * worker runs fn(a, arg) before it waits for the next one (fn may set
 * itself again). One per worker; a new one replaces the one set. */
void app_idle_task(void (*fn)(struct arena *a, int64_t arg), int64_t arg, int delay_ms);

/* GET <prefix>health: {"status","db","redis","version"}; 503 naming the
 * failing part. */
void app_health(struct http_req *r);

/* Maps a database error to a reply: DB_DOWN → 503 UNAVAILABLE, DB_INVALID
 * → 422 VALIDATION, DB_UNIQUE → 409 CONFLICT, else 500 INTERNAL. Rolls back
 * an open transaction. */
void app_reply_db_error(struct http_req *r, enum db_err e);

/* Runs a statement that must find exactly one row and returns it; NULL
 * after answering the database error (app_reply_db_error) or, when there is
 * no row, not_found ("NOT_FOUND", "EVENT_NOT_FOUND" …). Either way an open
 * transaction is rolled back first. */
PGresult *app_row_or_reply(struct http_req *r, struct db_stmt *st, const char *const *params,
                           const char *not_found);

/* The path parameter name as an id (1 … INT64_MAX) into *out; false after
 * answering not_found (a malformed id names nothing), an open transaction
 * rolled back. */
bool app_param_id_or_reply(struct http_req *r, const char *name, int64_t *out,
                           const char *not_found);

/* Query parameter name (from/to of a list): a date (*date) or an ISO
 * instant (*ts; an unencoded '+' of its offset arrives as a space and is
 * put back), both NULL when absent. An invalid one is added to errors
 * (json_errors_add), which is returned. */
cJSON *app_time_query(struct http_req *r, cJSON *errors, const char *name, const char **date,
                      const char **ts);

/* db_begin, then app_row_or_reply (typically a SELECT … FOR UPDATE, or an
 * UPDATE … RETURNING): the row with the transaction open, or NULL after
 * answering with nothing left open. */
PGresult *app_begin_row_or_reply(struct http_req *r, struct db_stmt *st, const char *const *params,
                                 const char *not_found);

/* Reads ?page= and ?limit= (defaults 1 / 20, limit ≤ 100); false after
 * answering 422 when they are not numbers in range. */
bool app_paging_or_reply(struct http_req *r, int64_t *page, int64_t *limit);

/* {"items":items,"page","limit","total"} — takes over items. */
cJSON *app_list(struct http_req *r, cJSON *items, int64_t page, int64_t limit, int64_t total);

/* Answers 200 with app_list from a list query's one row: "items" (a JSON
 * array PostgreSQL built) and "total"; 500 if items does not parse. */
void app_reply_list(struct http_req *r, PGresult *res, int64_t page, int64_t limit);

/* Replies 200/201 with {name: obj} (obj taken over). */
void app_reply_object(struct http_req *r, int status, const char *name, cJSON *obj);

/* The family being served (for logs/metrics). */
const struct app_family *app_current(void);

#endif
