/* quota.c — quotas and their capacity changes (see quota.h). */
#include "quota.h"

#include "activity.h"
#include "app.h"
#include "audit.h"
#include "catalog.h"
#include "db.h"
#include "json.h"
#include "kv.h"
#include "log.h"
#include "reconcile.h"
#include "stock.h"
#include "tk.h"

#include <stdio.h>
#include <string.h>

/* One quota as a row: its JSON (without stock), what the stock object
 * needs, and stock_sold: what is sold on the counter shown (the date's for
 * a per_day quota, NULL when no date was asked; the whole event's
 * otherwise). D is the SQL of the requested date. */
#define QUOTA_COLS(D) \
	"json_build_object('id', q.id, 'event_id', q.event_id, 'name', q.name," \
	" 'capacity', q.capacity, 'per_day', q.per_day," \
	" 'sold', COALESCE((SELECT sum(u.sold) FROM quota_usage u WHERE u.quota_id = q.id), 0)," \
	" 'created_at', iso(q.created_at), 'updated_at', iso(q.updated_at)) AS obj," \
	" q.id, q.per_day, q.capacity, q.name," \
	" CASE WHEN q.per_day AND " D " IS NULL THEN NULL" \
	"   ELSE COALESCE((SELECT u.sold FROM quota_usage u WHERE u.quota_id = q.id" \
	"     AND u.visit_date IS NOT DISTINCT FROM (CASE WHEN q.per_day THEN " D " END)), 0)" \
	" END AS stock_sold"

/* The event's days and live quota count; no row = no such event. */
#define EVENT_COLS \
	"SELECT to_char(e.starts_on, 'YYYY-MM-DD') AS starts_on," \
	" to_char(e.ends_on, 'YYYY-MM-DD') AS ends_on," \
	" (SELECT count(*) FROM quotas q WHERE q.event_id = e.id AND q.deleted_at IS NULL) AS " \
	"total" \
	" FROM events e WHERE e.id = $1 AND e.deleted_at IS NULL"

static struct db_stmt q_event = DB_STMT(EVENT_COLS, 1);

/* Inside a change's transaction: the event stays live until it commits. */
static struct db_stmt q_event_lock = DB_STMT(EVENT_COLS " FOR SHARE OF e", 1);

static struct db_stmt q_list = DB_STMT(
    "SELECT " QUOTA_COLS("$4::date") " FROM quotas q"
                                     " WHERE q.event_id = $1 AND q.deleted_at IS NULL ORDER BY "
                                     "q.id LIMIT $2 OFFSET $3",
    4);

static struct db_stmt q_get = DB_STMT(
    "SELECT " QUOTA_COLS(
        "$3::date") " FROM quotas q"
                    " WHERE q.event_id = $1 AND q.id = $2 AND q.deleted_at IS NULL",
    3);

static struct db_stmt q_lock = DB_STMT(
    "SELECT " QUOTA_COLS("NULL::date") " FROM quotas q"
                                       " WHERE q.event_id = $1 AND q.id = $2 AND q.deleted_at IS "
                                       "NULL FOR UPDATE OF q",
    2);

static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO quotas AS q (event_id, name, capacity, per_day)"
    " VALUES ($1, $2, $3::int, COALESCE($4::boolean, false))"
    " RETURNING " QUOTA_COLS("NULL::date"),
    4);

/* The trigger quotas_sync_usage carries capacity into quota_usage and
 * fails (quota_usage_sold_le_capacity) below what is sold. */
static struct db_stmt q_update = DB_STMT(
    "UPDATE quotas AS q SET name = COALESCE($3, q.name),"
    " capacity = COALESCE($4::int, q.capacity), per_day = COALESCE($5::boolean, q.per_day)"
    " WHERE q.event_id = $1 AND q.id = $2"
    " RETURNING " QUOTA_COLS("NULL::date"),
    5);

/* The visit dates of an event: the per_day counters' dates. */
static struct db_stmt q_days = DB_STMT(
    "SELECT to_char(d, 'YYYY-MM-DD') AS day FROM events e"
    " CROSS JOIN LATERAL generate_series(e.starts_on::timestamp, e.ends_on::timestamp,"
    "   interval '1 day') d"
    " WHERE e.id = $1 ORDER BY d",
    1);

static struct db_stmt q_sold_any = DB_STMT(
    "SELECT EXISTS (SELECT 1 FROM quota_usage WHERE quota_id = $1 AND sold > 0) AS yes", 1);

/* Pending orders whose hold is live and draws from the quota. */
static struct db_stmt q_held_any = DB_STMT(
    "SELECT EXISTS (SELECT 1 FROM orders o JOIN order_items oi ON oi.order_id = o.id"
    " JOIN product_quota_units u ON u.product_id = oi.product_id"
    " WHERE o.event_id = $1 AND o.status = 'pending' AND o.hold_expires_at > now()"
    "   AND u.quota_id = $2) AS yes",
    2);

/* Usage rows with nothing sold say nothing; they would block a per_day
 * change (quotas_per_day_fixed). */
static struct db_stmt q_usage_clear = DB_STMT(
    "DELETE FROM quota_usage WHERE quota_id = $1 AND sold = 0", 1);

static struct db_stmt q_max_sold = DB_STMT(
    "SELECT COALESCE(max(sold), 0) AS sold FROM quota_usage WHERE quota_id = $1", 1);

struct quota_in {
	struct json_str name;
	struct json_int capacity;
	struct json_bool per_day;
};

static const struct json_field create_fields[] = {
    JSON_STR("name", struct quota_in, name, JF_REQUIRED, 1, QUOTA_NAME_MAX, tk_valid_line),
    JSON_INT("capacity", struct quota_in, capacity, JF_REQUIRED, 0, QUOTA_CAPACITY_MAX),
    JSON_BOOL("per_day", struct quota_in, per_day, 0),
};

static const struct json_field update_fields[] = {
    JSON_STR("name", struct quota_in, name, 0, 1, QUOTA_NAME_MAX, tk_valid_line),
    JSON_INT("capacity", struct quota_in, capacity, 0, 0, QUOTA_CAPACITY_MAX),
    JSON_BOOL("per_day", struct quota_in, per_day, 0),
};

/* ---- counters ------------------------------------------------------------------ */

/* The Redis counters of one quota: one per day of the event for a per_day
 * quota, the whole event's otherwise. */
static enum db_err counter_lines(struct arena *a, int64_t event_id, int64_t quota_id, bool per_day,
                                 struct stock_line **out, size_t *n)
{
	const char *params[] = {db_param_i64(a, event_id)};
	PGresult *res;
	enum db_err e;
	size_t rows;

	if (!per_day) {
		*out = arena_calloc(a, 1, sizeof(**out));
		(*out)[0].quota_id = quota_id;
		*n = 1;
		return DB_OK;
	}
	if ((e = db_exec(a, &q_days, params, &res)) != DB_OK)
		return e;
	rows = (size_t)db_rows(res);
	if (rows > RECONCILE_MAX_COUNTERS)
		rows = RECONCILE_MAX_COUNTERS; /* reconcile builds no more either */
	*out = arena_calloc(a, rows ? rows : 1, sizeof(**out));
	for (size_t i = 0; i < rows; i++) {
		(*out)[i].quota_id = quota_id;
		snprintf((*out)[i].date, sizeof((*out)[i].date), "%s", db_str(res, (int)i, "day"));
	}
	*n = rows;
	return DB_OK;
}

static const char **counter_keys(struct arena *a, int64_t event_id, const struct stock_line *l,
                                 size_t n)
{
	const char **keys = arena_calloc(a, n ? n : 1, sizeof(*keys));
	char key[96];

	for (size_t i = 0; i < n; i++) {
		stock_key(event_id, &l[i], key, sizeof(key));
		keys[i] = arena_strdup(a, key);
	}
	return keys;
}

/* Reads counters; when one is missing (Redis lost them, or never built)
 * rebuilds the event's counters from PostgreSQL once and reads again.
 * Missing ones stay -1. STOCK_DOWN when Redis (or PostgreSQL for the
 * rebuild) cannot be reached. */
static enum stock_err read_counters(struct arena *a, int64_t event_id, const struct stock_line *l,
                                    size_t n, int64_t *out)
{
	enum stock_err e = stock_read(a, event_id, l, n, out);
	bool missing = false;

	for (size_t i = 0; e == STOCK_OK && i < n; i++)
		missing = missing || out[i] < 0;
	if (e == STOCK_OK && missing) {
		if (reconcile_event(a, event_id, NULL) != RECONCILE_OK)
			return STOCK_DOWN;
		e = stock_read(a, event_id, l, n, out);
	}
	return e;
}

/* ---- replies ------------------------------------------------------------------- */

/* Builds each row's quota JSON with its stock object ({date, sold, held,
 * available} or null) and adds it to items (an array) or replies it alone
 * (items NULL, status). Redis trouble leaves held/available null. */
static void quota_rows_out(struct http_req *r, int64_t event_id, const PGresult *res,
                           const char *date, cJSON *items, int status)
{
	int n = db_rows(res);
	struct stock_line *lines = arena_calloc(r->arena, (size_t)n + 1, sizeof(*lines));
	int64_t *avail = arena_calloc(r->arena, (size_t)n + 1, sizeof(*avail));
	int *line_of = arena_calloc(r->arena, (size_t)n + 1, sizeof(*line_of));
	size_t nl = 0;
	bool live = false;

	for (int i = 0; i < n; i++) {
		line_of[i] = -1;
		if (db_is_null(res, i, "stock_sold"))
			continue;
		lines[nl].quota_id = db_i64(res, i, "id");
		if (db_bool(res, i, "per_day"))
			snprintf(lines[nl].date, sizeof(lines[nl].date), "%s", date ? date : "");
		line_of[i] = (int)nl++;
	}
	if (nl > 0)
		live = read_counters(r->arena, event_id, lines, nl, avail) == STOCK_OK;
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(db_str(res, i, "obj"));
		cJSON *st;

		if (o == NULL) {
			http_reply_error(r, "INTERNAL", NULL);
			return;
		}
		if (line_of[i] < 0) {
			cJSON_AddNullToObject(o, "stock");
		} else {
			int64_t cap = db_i64(res, i, "capacity"),
			        sold = db_i64(res, i, "stock_sold");
			/* -1 is what stock_read gives for a missing counter. */
			int64_t c = live ? avail[line_of[i]] : -1;
			st = cJSON_AddObjectToObject(o, "stock");
			if (db_bool(res, i, "per_day"))
				cJSON_AddStringToObject(st, "date", date);
			else
				cJSON_AddNullToObject(st, "date");
			cJSON_AddNumberToObject(st, "sold", (double)sold);
			if (c != -1) {
				int64_t held = cap - sold - c;
				cJSON_AddNumberToObject(st, "held", (double)(held > 0 ? held : 0));
				cJSON_AddNumberToObject(st, "available", (double)(c > 0 ? c : 0));
			} else {
				cJSON_AddNullToObject(st, "held");
				cJSON_AddNullToObject(st, "available");
			}
		}
		if (items) {
			cJSON_AddItemToArray(items, o);
		} else {
			app_reply_object(r, status, "quota", o);
			return;
		}
	}
}

/* ?date=: NULL when absent or empty; false after answering 422 when it is
 * not a day of the event. */
static bool date_or_reply(struct http_req *r, const PGresult *ev, const char **date)
{
	const char *d = http_query(r, "date");

	*date = NULL;
	if (d == NULL || *d == '\0')
		return true;
	if (!tk_valid_date(d) || strcmp(d, db_str(ev, 0, "starts_on")) < 0 ||
	    strcmp(d, db_str(ev, 0, "ends_on")) > 0) {
		json_reply_field(r, "date", "invalid");
		return false;
	}
	*date = d;
	return true;
}

/* The event row (q_event / q_event_lock); false after replying 404/503
 * with no transaction left open. */
static bool event_or_reply(struct http_req *r, struct db_stmt *st, PGresult **ev)
{
	const char *params[] = {db_param_i64(r->arena, r->event_id)};
	enum db_err e = db_exec(r->arena, st, params, ev);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_rows(*ev) != 1) {
		db_rollback();
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return false;
	}
	return true;
}

static void reply_conflict(struct http_req *r, const char *reason, const char *field,
                           int64_t min_capacity)
{
	cJSON *d = cJSON_CreateObject();

	db_rollback();
	cJSON_AddStringToObject(d, "reason", reason);
	if (field)
		cJSON_AddStringToObject(d, "field", field);
	if (min_capacity >= 0)
		cJSON_AddNumberToObject(d, "min_capacity", (double)min_capacity);
	http_reply_error(r, "CONFLICT", d);
}

/* ---- handlers ------------------------------------------------------------------ */

void quota_list(struct http_req *r)
{
	int64_t page, limit;
	PGresult *ev, *res;
	const char *date;
	enum db_err e;
	cJSON *items;

	if (!app_paging_or_reply(r, &page, &limit) || !event_or_reply(r, &q_event, &ev) ||
	    !date_or_reply(r, ev, &date))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit), date};
		if ((e = db_exec(r->arena, &q_list, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	items = cJSON_CreateArray();
	quota_rows_out(r, r->event_id, res, date, items, 200);
	if (r->replied) {
		cJSON_Delete(items);
		return;
	}
	http_reply_json(r, 200, app_list(r, items, page, limit, db_i64(ev, 0, "total")));
}

void quota_get(struct http_req *r)
{
	PGresult *ev, *res;
	const char *date;
	int64_t qid;
	enum db_err e;

	if (!event_or_reply(r, &q_event, &ev) || !date_or_reply(r, ev, &date))
		return;
	if (!app_param_id_or_reply(r, "qid", &qid, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, qid), date};
		if ((e = db_exec(r->arena, &q_get, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) != 1) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	quota_rows_out(r, r->event_id, res, date, NULL, 200);
}

void quota_create(struct http_req *r)
{
	struct quota_in in = {0};
	PGresult *ev, *res;
	enum db_err e;
	cJSON *sum;

	if (!json_fields_or_reply(r, create_fields, TK_ARRAY_LEN(create_fields), &in))
		return;
	if ((e = db_begin()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (!event_or_reply(r, &q_event_lock, &ev))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id), in.name.v,
		                        db_param_i64(r->arena, in.capacity.v),
		                        in.per_day.set ? db_param_bool(in.per_day.v) : NULL};
		if ((e = db_exec(r->arena, &q_insert, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "name", in.name.v);
	cJSON_AddNumberToObject(sum, "capacity", (double)in.capacity.v);
	cJSON_AddBoolToObject(sum, "per_day", db_bool(res, 0, "per_day"));
	if ((e = audit_log(r, r->event_id, "quota.create", "quota", db_str(res, 0, "id"), sum)) !=
	        DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	/* The new counters, so availability is right at once; if this fails
	 * the booking path builds them on first use. */
	if (reconcile_event(r->arena, r->event_id, NULL) != RECONCILE_OK)
		log_event(LOG_WARN, "quota_reconcile_deferred", "quota", db_str(res, 0, "id"),
		          NULL);
	quota_rows_out(r, r->event_id, res, NULL, NULL, 201);
}

/* min_capacity when lowering failed against Redis: sold + held on the
 * fullest counter, from a fresh read (-1 when unknown). */
static int64_t min_capacity_redis(struct http_req *r, int64_t event_id, int64_t capacity,
                                  const struct stock_line *l, size_t n)
{
	int64_t *v = arena_calloc(r->arena, n ? n : 1, sizeof(*v)), low = -1;

	if (stock_read(r->arena, event_id, l, n, v) != STOCK_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0 && (low < 0 || v[i] < low))
			low = v[i];
	return low < 0 ? -1 : capacity - low;
}

void quota_update(struct http_req *r)
{
	static const char *const skip[] = {"updated_at", "sold", NULL};
	struct quota_in in = {0};
	PGresult *ev, *old, *res;
	int64_t qid, old_cap, delta = 0;
	bool old_per_day, per_day_change, adjusted = false;
	struct stock_line *lines = NULL;
	const char **keys = NULL;
	size_t n_lines = 0;
	const char *qids, *eids;
	enum db_err e;
	cJSON *before, *after, *changes, *sum;

	if (!json_fields_or_reply(r, update_fields, TK_ARRAY_LEN(update_fields), &in))
		return;
	if ((e = db_begin()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (!event_or_reply(r, &q_event_lock, &ev))
		return;
	if (!app_param_id_or_reply(r, "qid", &qid, "NOT_FOUND"))
		return;
	qids = db_param_i64(r->arena, qid);
	eids = db_param_i64(r->arena, r->event_id);
	{
		/* Held until COMMIT: capacity changes of one quota take turns, so
		 * each Redis delta is taken against the capacity it replaces. */
		const char *params[] = {eids, qids};
		if ((e = db_exec(r->arena, &q_lock, params, &old)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(old) != 1) {
		db_rollback();
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	old_cap = db_i64(old, 0, "capacity");
	old_per_day = db_bool(old, 0, "per_day");
	if (in.name.set && strcmp(in.name.v, db_str(old, 0, "name")) == 0)
		in.name.set = false;
	if (in.capacity.set && in.capacity.v == old_cap)
		in.capacity.set = false;
	if (in.per_day.set && in.per_day.v == old_per_day)
		in.per_day.set = false;
	if (!in.name.set && !in.capacity.set && !in.per_day.set) {
		db_rollback(); /* nothing to change, nothing to log */
		quota_rows_out(r, r->event_id, old, NULL, NULL, 200);
		return;
	}
	per_day_change = in.per_day.set;
	if (in.capacity.set)
		delta = in.capacity.v - old_cap;

	if (in.capacity.set || per_day_change) {
		/* Redis must answer before anything changes, and every counter
		 * must exist: a missing one could hide holds from the check. */
		int64_t *v;
		if ((e = counter_lines(r->arena, r->event_id, qid, old_per_day, &lines,
		                       &n_lines)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
		keys = counter_keys(r->arena, r->event_id, lines, n_lines);
		v = arena_calloc(r->arena, n_lines + 1, sizeof(*v));
		if (read_counters(r->arena, r->event_id, lines, n_lines, v) != STOCK_OK) {
			db_rollback();
			http_reply_error(r, "UNAVAILABLE", NULL);
			return;
		}
		if (per_day_change) {
			/* The counters change shape (one per day ↔ one for the
			 * event): only while nothing was sold or is held. */
			const char *p1[] = {qids}, *p2[] = {eids, qids};
			PGresult *s, *h;
			bool held = false;
			if ((e = db_exec(r->arena, &q_sold_any, p1, &s)) != DB_OK ||
			    (e = db_exec(r->arena, &q_held_any, p2, &h)) != DB_OK) {
				app_reply_db_error(r, e);
				return;
			}
			if (db_bool(s, 0, "yes")) {
				reply_conflict(r, "sold", "per_day", -1);
				return;
			}
			held = db_bool(h, 0, "yes");
			for (size_t i = 0; i < n_lines && !held; i++)
				held = v[i] >= 0 && v[i] < old_cap;
			if (held) {
				reply_conflict(r, "held", "per_day", -1);
				return;
			}
			if ((e = db_exec(r->arena, &q_usage_clear, p1, NULL)) != DB_OK) {
				app_reply_db_error(r, e);
				return;
			}
		}
	}
	{
		const char *params[] = {eids, qids, in.name.set ? in.name.v : NULL,
		                        in.capacity.set ? db_param_i64(r->arena, in.capacity.v)
		                                        : NULL,
		                        in.per_day.set ? db_param_bool(in.per_day.v) : NULL};
		e = db_exec(r->arena, &q_update, params, &res);
	}
	if (e == DB_CHECK && strcmp(db_last_constraint(), "quota_usage_sold_le_capacity") == 0) {
		const char *params[] = {qids};
		PGresult *ms;
		db_rollback();
		reply_conflict(r, "below_sold", NULL,
		               db_exec(r->arena, &q_max_sold, params, &ms) == DB_OK
		                   ? db_i64(ms, 0, "sold")
		                   : -1);
		return;
	}
	if (e == DB_CHECK && strcmp(db_last_constraint(), "quotas_per_day_fixed") == 0) {
		reply_conflict(r, "sold", "per_day", -1);
		return;
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}

	/* The delta goes to Redis while PostgreSQL still holds the change
	 * open: the script refuses when a counter would go below zero (more
	 * held than the new capacity leaves). A per_day change instead gets
	 * new counters after COMMIT. */
	if (delta != 0 && !per_day_change) {
		enum stock_err se = stock_adjust(r->arena, r->event_id, keys, n_lines, delta);
		if (se == STOCK_SOLD_OUT) {
			db_rollback();
			reply_conflict(r, "below_held", NULL,
			               min_capacity_redis(r, r->event_id, old_cap, lines, n_lines));
			return;
		}
		if (se != STOCK_OK) {
			db_rollback();
			http_reply_error(r, se == STOCK_DOWN ? "UNAVAILABLE" : "INTERNAL", NULL);
			return;
		}
		adjusted = true;
	}

	before = json_parse_owned(r, db_str(old, 0, "obj"));
	after = json_parse_owned(r, db_str(res, 0, "obj"));
	changes = activity_changes(before, after, skip);
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "name", db_str(res, 0, "name"));
	cJSON_AddItemToObject(sum, "changes", changes);
	if ((e = audit_log(r, r->event_id, "quota.update", "quota", qids, sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		if (adjusted) {
			/* PostgreSQL kept the old capacity: take the delta back. If
			 * that fails too, reconcile repairs the counters. */
			enum stock_err se = stock_adjust(r->arena, r->event_id, keys, n_lines,
			                                 -delta);
			log_event(se == STOCK_OK ? LOG_WARN : LOG_ERROR,
			          se == STOCK_OK ? "quota_adjust_undone"
			                         : "quota_adjust_undo_failed",
			          "quota", qids, "delta", db_param_i64(r->arena, delta), NULL);
		}
		app_reply_db_error(r, e);
		return;
	}
	if (per_day_change) {
		catalog_changed(r->arena); /* the products' per-day shape */
		/* Drop the old shape's counters (holds made with a stale catalog
		 * then find none and retry after a rebuild) and build the new. */
		const char **argv = arena_calloc(r->arena, n_lines + 1, sizeof(*argv));
		argv[0] = "DEL";
		memcpy(argv + 1, keys, n_lines * sizeof(*keys));
		if (kv_cmd(r->arena, (int)n_lines + 1, argv, NULL) != KV_OK ||
		    reconcile_event(r->arena, r->event_id, NULL) != RECONCILE_OK)
			log_event(LOG_WARN, "quota_reconcile_deferred", "quota", qids, NULL);
	}
	quota_rows_out(r, r->event_id, res, NULL, NULL, 200);
}
