/* reconcile.c — Redis counters rebuilt from PostgreSQL (see reconcile.h). */
#include "reconcile.h"

#include "db.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* capacity − sold for every counter: per visit date of the event for
 * per_day quotas, one for the whole event otherwise. */
static struct db_stmt q_bases = DB_STMT(
    "SELECT q.id AS quota_id, COALESCE(d.day::text, '') AS date,"
    " q.capacity - COALESCE(u.sold, 0) AS base"
    " FROM quotas q JOIN events e ON e.id = q.event_id"
    " CROSS JOIN LATERAL (SELECT g::date AS day FROM generate_series(e.starts_on::timestamp,"
    "     e.ends_on::timestamp, interval '1 day') g WHERE q.per_day"
    "   UNION ALL SELECT NULL::date WHERE NOT q.per_day) d"
    " LEFT JOIN quota_usage u ON u.quota_id = q.id"
    "   AND COALESCE(u.visit_date, DATE '0001-01-01') = COALESCE(d.day, DATE '0001-01-01')"
    " WHERE q.event_id = $1 AND q.deleted_at IS NULL"
    " ORDER BY q.id, d.day",
    1);

/* Live holds PostgreSQL knows: pending orders not yet expired. */
static struct db_stmt q_holds = DB_STMT(
    "SELECT o.reservation_token AS token,"
    " (EXTRACT(EPOCH FROM o.hold_expires_at) * 1000)::bigint AS exp_ms,"
    " json_agg(json_build_array(u.quota_id, CASE WHEN q.per_day THEN o.visit_date::text"
    "   ELSE '' END, oi.qty * u.units)) AS lines"
    " FROM orders o JOIN order_items oi ON oi.order_id = o.id"
    " JOIN product_quota_units u ON u.product_id = oi.product_id"
    " JOIN quotas q ON q.id = u.quota_id"
    " WHERE o.event_id = $1 AND o.status = 'pending' AND o.hold_expires_at > now()"
    "   AND o.reservation_token IS NOT NULL"
    " GROUP BY o.id",
    1);

static struct db_stmt q_events = DB_STMT(
    "SELECT id FROM events WHERE deleted_at IS NULL AND is_active ORDER BY id", 0);

static struct db_stmt q_sweep = DB_STMT(
    "UPDATE orders SET status = 'expired' WHERE id IN (SELECT id FROM orders"
    "   WHERE status = 'pending' AND hold_expires_at < now() ORDER BY hold_expires_at"
    "   LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " RETURNING event_id, reservation_token",
    1);

static void line_from(struct stock_line *l, int64_t quota, const char *date, int64_t qty)
{
	l->quota_id = quota;
	snprintf(l->date, sizeof(l->date), "%s", date && strlen(date) == 10 ? date : "");
	l->qty = qty;
}

enum reconcile_err reconcile_event(struct arena *a, int64_t event_id, size_t *counters)
{
	const char *params[] = {db_param_i64(a, event_id)};
	PGresult *bres, *hres;
	struct stock_line *lines;
	int64_t *base;
	struct stock_hold_rec *holds;
	size_t n, nh = 0;

	if (db_exec(a, &q_bases, params, &bres) != DB_OK ||
	    db_exec(a, &q_holds, params, &hres) != DB_OK)
		return RECONCILE_DB;
	n = (size_t)db_rows(bres);
	if (n > RECONCILE_MAX_COUNTERS) {
		log_event(LOG_ERROR, "reconcile_too_many_counters", "event", params[0], NULL);
		n = RECONCILE_MAX_COUNTERS;
	}
	lines = arena_calloc(a, n ? n : 1, sizeof(*lines));
	base = arena_calloc(a, n ? n : 1, sizeof(*base));
	for (size_t i = 0; i < n; i++) {
		line_from(&lines[i], db_i64(bres, (int)i, "quota_id"), db_str(bres, (int)i, "date"),
		          0);
		base[i] = db_i64(bres, (int)i, "base");
	}
	holds = arena_calloc(a, (size_t)db_rows(hres) + 1, sizeof(*holds));
	for (int i = 0; i < db_rows(hres); i++) {
		cJSON *j = cJSON_Parse(db_str(hres, i, "lines")), *it;
		size_t k = 0, cnt = (size_t)cJSON_GetArraySize(j);
		struct stock_line *hl = arena_calloc(a, cnt ? cnt : 1, sizeof(*hl));
		cJSON_ArrayForEach(it, j)
		{
			line_from(&hl[k++],
			          (int64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(it, 0)),
			          cJSON_GetStringValue(cJSON_GetArrayItem(it, 1)),
			          (int64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(it, 2)));
		}
		cJSON_Delete(j);
		holds[nh].token = db_str(hres, i, "token");
		holds[nh].expires_ms = db_i64(hres, i, "exp_ms");
		holds[nh].lines = hl;
		holds[nh].n = stock_merge(hl, k);
		nh++;
	}
	if (stock_rebuild(a, event_id, lines, base, n, holds, nh) != STOCK_OK)
		return RECONCILE_STOCK;
	if (counters)
		*counters = n;
	return RECONCILE_OK;
}

enum reconcile_err reconcile_all(struct arena *a, size_t *events)
{
	PGresult *res;
	enum reconcile_err rc = RECONCILE_OK;

	if (db_exec(a, &q_events, NULL, &res) != DB_OK)
		return RECONCILE_DB;
	for (int i = 0; i < db_rows(res); i++) {
		enum reconcile_err e = reconcile_event(a, db_i64(res, i, "id"), NULL);
		if (e != RECONCILE_OK)
			rc = e;
	}
	if (events)
		*events = (size_t)db_rows(res);
	return rc;
}

enum reconcile_err reconcile_sweep(struct arena *a, size_t *expired)
{
	const char *params[] = {db_param_i64(a, RECONCILE_SWEEP_BATCH)};
	PGresult *res;
	enum reconcile_err rc = RECONCILE_OK;

	if (db_exec(a, &q_sweep, params, &res) != DB_OK)
		return RECONCILE_DB;
	/* The orders are expired in PostgreSQL first: a hold released here can
	 * no longer be paid for as pending. Releasing is gated in Redis, so a
	 * hold the hold script already released is not released twice. */
	for (int i = 0; i < db_rows(res); i++) {
		const char *tok = db_str(res, i, "reservation_token");
		if (tok && stock_release(a, db_i64(res, i, "event_id"), tok) == STOCK_DOWN)
			rc = RECONCILE_STOCK;
	}
	if (expired)
		*expired = (size_t)db_rows(res);
	return rc;
}
