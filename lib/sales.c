/* sales.c — dashboard, sales statistics and the super admin's analytics,
 * read from the sales summary (sql/0012_sales.sql) and the newest rows. */
#include "sales.h"

#include "app.h"
#include "db.h"
#include "json.h"
#include "kv.h"
#include "queue.h"
#include "tk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALES_RECENT_SECONDS "300" /* the dashboard's last_5_min */
#define SALES_REALTIME_SECONDS "60"
/* The waiting room's zset of waiting buyers (owned by the queue module). */
#define SALES_KEY_MAX 64

/* Each figure net of refunds; the whole answer built by PostgreSQL. No row
 * when the event does not exist (or was deleted). */
static struct db_stmt q_dashboard = DB_STMT(
    "WITH ev AS (SELECT id, (now() AT TIME ZONE timezone)::date AS today FROM events"
    "   WHERE id = $1 AND deleted_at IS NULL),"
    " d AS (SELECT s.* FROM sales_daily s WHERE s.event_id = $1),"
    " p AS (SELECT product_id, sum(units)::bigint AS units, sum(amount)::bigint AS amount"
    "   FROM sales_product_daily WHERE event_id = $1 GROUP BY product_id)"
    " SELECT json_build_object('dashboard', json_build_object("
    "  'today', ev.today,"
    "  'sales_today', (SELECT COALESCE(sum(d.amount - d.refunded), 0) FROM d"
    "     WHERE d.day = ev.today),"
    "  'sales_total', (SELECT COALESCE(sum(d.amount - d.refunded), 0) FROM d),"
    "  'paid_orders', (SELECT COALESCE(sum(d.orders - d.refunded_orders), 0) FROM d),"
    "  'tickets_sold', (SELECT COALESCE(sum(d.tickets), 0) FROM d),"
    "  'tickets_used', (SELECT COALESCE(sum(d.used_tickets), 0) FROM d),"
    "  'refunded_amount', (SELECT COALESCE(sum(d.refunded), 0) FROM d),"
    "  'by_product', (SELECT COALESCE(json_agg(json_build_object('product_id', pr.id,"
    "       'name', pr.name, 'type', pr.type, 'sold', COALESCE(p.units, 0),"
    "       'amount', COALESCE(p.amount, 0)) ORDER BY pr.sort_order, pr.id), '[]')"
    "     FROM products pr LEFT JOIN p ON p.product_id = pr.id"
    "     WHERE pr.event_id = $1 AND (pr.deleted_at IS NULL OR p.units <> 0)),"
    "  'by_day', (SELECT COALESCE(json_agg(json_build_object('date', d.day,"
    "       'orders', d.orders - d.refunded_orders, 'tickets', d.tickets,"
    "       'amount', d.amount - d.refunded, 'refunded', d.refunded) ORDER BY d.day), '[]')"
    "     FROM d WHERE (d.orders, d.tickets, d.amount, d.refunded) <> (0, 0, 0, 0)),"
    "  'last_5_min', json_build_object("
    "    'reservations', (SELECT count(*) FROM orders o WHERE o.event_id = $1"
    "       AND o.created_at > now() - make_interval(secs => " SALES_RECENT_SECONDS ")),"
    "    'paid', (SELECT count(*) FROM orders o WHERE o.event_id = $1"
    "       AND o.paid_at > now() - make_interval(secs => " SALES_RECENT_SECONDS ")),"
    "    'scans', (SELECT count(*) FROM scans s WHERE s.event_id = $1"
    "       AND s.scanned_at > now() - make_interval(secs => " SALES_RECENT_SECONDS "))"
    "  )))::text AS body FROM ev",
    1);

/* $2: the date_trunc unit; $3/$4: the first and last sale day, or NULL.
 * No row when the event does not exist (or was deleted). */
static struct db_stmt q_stats = DB_STMT(
    "SELECT json_build_object('period', $5::text, 'items', COALESCE(json_agg("
    "   json_build_object('period', x.p, 'orders', x.o, 'tickets', x.t, 'amount', x.a,"
    "   'refunded', x.f) ORDER BY x.p), '[]'))::text AS body"
    " FROM (SELECT date_trunc($2, s.day::timestamp)::date AS p,"
    "   sum(s.orders - s.refunded_orders) AS o, sum(s.tickets) AS t,"
    "   sum(s.amount - s.refunded) AS a, sum(s.refunded) AS f"
    "   FROM sales_daily s WHERE s.event_id = $1"
    "   AND ($3::date IS NULL OR s.day >= $3::date) AND ($4::date IS NULL OR s.day <= $4::date)"
    "   GROUP BY 1"
    "   HAVING (sum(s.orders), sum(s.tickets), sum(s.amount), sum(s.refunded)) <> (0, 0, 0, 0)) x"
    " HAVING EXISTS (SELECT 1 FROM events e WHERE e.id = $1 AND e.deleted_at IS NULL)",
    5);

/* Every event not deleted; "today" is each event's own. */
static struct db_stmt q_overview = DB_STMT(
    "WITH s AS (SELECT s.*, s.day = (now() AT TIME ZONE e.timezone)::date AS is_today"
    "   FROM sales_daily s JOIN events e ON e.id = s.event_id AND e.deleted_at IS NULL)"
    " SELECT json_build_object('overview', json_build_object("
    "  'events_active', (SELECT count(*) FROM events WHERE is_active AND deleted_at IS NULL),"
    "  'events', (SELECT count(*) FROM events WHERE deleted_at IS NULL),"
    "  'sales_today', COALESCE(sum(s.amount - s.refunded) FILTER (WHERE s.is_today), 0),"
    "  'sales_total', COALESCE(sum(s.amount - s.refunded), 0),"
    "  'paid_orders', COALESCE(sum(s.orders - s.refunded_orders), 0),"
    "  'tickets_sold', COALESCE(sum(s.tickets), 0),"
    "  'tickets_used', COALESCE(sum(s.used_tickets), 0),"
    "  'refunded_amount', COALESCE(sum(s.refunded), 0)))::text AS body FROM s",
    0);

static struct db_stmt q_events = DB_STMT(
    "WITH f AS (SELECT e.* FROM events e WHERE e.deleted_at IS NULL),"
    " pg AS (SELECT f.* FROM f ORDER BY f.starts_on DESC, f.id DESC LIMIT $1 OFFSET $2),"
    " s AS (SELECT s.event_id,"
    "   sum(s.amount - s.refunded) FILTER (WHERE s.day = (now() AT TIME ZONE pg.timezone)::date)"
    "     AS today, sum(s.amount - s.refunded) AS total, sum(s.orders - s.refunded_orders) AS "
    "orders,"
    "   sum(s.tickets) AS tickets, sum(s.used_tickets) AS used, sum(s.refunded) AS refunded"
    "   FROM sales_daily s JOIN pg ON pg.id = s.event_id GROUP BY s.event_id)"
    " SELECT (SELECT count(*) FROM f) AS total,"
    " (SELECT COALESCE(json_agg(json_build_object('event_id', pg.id, 'code', pg.code,"
    "   'title', pg.title, 'is_active', pg.is_active, 'starts_on', pg.starts_on,"
    "   'ends_on', pg.ends_on, 'timezone', pg.timezone,"
    "   'sales_today', COALESCE(s.today, 0), 'sales_total', COALESCE(s.total, 0),"
    "   'paid_orders', COALESCE(s.orders, 0), 'tickets_sold', COALESCE(s.tickets, 0),"
    "   'tickets_used', COALESCE(s.used, 0), 'refunded_amount', COALESCE(s.refunded, 0))"
    "   ORDER BY pg.starts_on DESC, pg.id DESC), '[]')"
    "  FROM pg LEFT JOIN s ON s.event_id = pg.id) AS items",
    2);

static struct db_stmt q_revenue = DB_STMT(
    "SELECT json_build_object('period', $4::text, 'items', COALESCE(json_agg("
    "   json_build_object('period', x.p, 'orders', x.o, 'amount', x.a, 'refunded', x.f)"
    "   ORDER BY x.p), '[]'))::text AS body"
    " FROM (SELECT date_trunc($1, s.day::timestamp)::date AS p,"
    "   sum(s.orders - s.refunded_orders) AS o, sum(s.amount - s.refunded) AS a,"
    "   sum(s.refunded) AS f"
    "   FROM sales_daily s JOIN events e ON e.id = s.event_id AND e.deleted_at IS NULL"
    "   WHERE ($2::date IS NULL OR s.day >= $2::date) AND ($3::date IS NULL OR s.day <= $3::date)"
    "   GROUP BY 1"
    "   HAVING (sum(s.orders), sum(s.tickets), sum(s.amount), sum(s.refunded)) <> (0, 0, 0, 0)) x",
    4);

/* The last minute over every event (each through its own index range),
 * and the active events whose live holds Redis counts. */
static struct db_stmt q_realtime = DB_STMT(
    "SELECT (SELECT COALESCE(sum((SELECT count(*) FROM orders o WHERE o.event_id = e.id"
    "     AND o.created_at > now() - make_interval(secs => " SALES_REALTIME_SECONDS "))), 0)"
    "   FROM events e) AS reservations,"
    " (SELECT COALESCE(sum((SELECT count(*) FROM orders o WHERE o.event_id = e.id"
    "     AND o.paid_at > now() - make_interval(secs => " SALES_REALTIME_SECONDS "))), 0)"
    "   FROM events e) AS paid,"
    " (SELECT COALESCE(sum((SELECT count(*) FROM scans s WHERE s.event_id = e.id"
    "     AND s.scanned_at > now() - make_interval(secs => " SALES_REALTIME_SECONDS "))), 0)"
    "   FROM events e) AS scans,"
    " (SELECT COALESCE(string_agg(a.id::text, ',' ORDER BY a.id), '') FROM (SELECT id FROM events"
    "   WHERE is_active AND deleted_at IS NULL ORDER BY id LIMIT $1) a) AS active,"
    " (SELECT COALESCE(string_agg(a.id::text, ',' ORDER BY a.id), '') FROM (SELECT id FROM events"
    "   WHERE is_active AND queue_enabled AND deleted_at IS NULL ORDER BY id LIMIT $1) a) AS "
    "queued",
    1);

/* A period name of the query and PostgreSQL's date_trunc unit for it. */
struct sales_period {
	const char *name, *unit;
};

static const struct sales_period event_periods[] = {
    {"daily", "day"},
    {"weekly", "week"}, /* ISO weeks: date_trunc gives the Monday */
    {"monthly", "month"},
};

static const struct sales_period all_periods[] = {
    {"daily", "day"},
    {"weekly", "week"},
    {"monthly", "month"},
    {"yearly", "year"},
};

/* What a statistics query asks: its period and day range. */
struct sales_range {
	const struct sales_period *period;
	const char *from, *to; /* YYYY-MM-DD or NULL */
};

static cJSON *date_param(struct http_req *r, cJSON *errors, const char *name, const char **out)
{
	const char *v = http_query(r, name);

	*out = NULL;
	if (v == NULL || *v == '\0')
		return errors;
	if (!tk_valid_date(v))
		return json_errors_add(r, errors, name, "invalid");
	*out = v;
	return errors;
}

/* ?period= (default daily), ?from=, ?to=; false after answering 422. */
static bool range_or_reply(struct http_req *r, const struct sales_period *periods, size_t n,
                           struct sales_range *out)
{
	const char *p = http_query(r, "period");
	cJSON *errors = NULL;

	out->period = NULL;
	if (p == NULL || *p == '\0')
		out->period = &periods[0];
	for (size_t i = 0; p && *p && i < n; i++)
		if (strcmp(p, periods[i].name) == 0)
			out->period = &periods[i];
	if (out->period == NULL)
		errors = json_errors_add(r, errors, "period", "invalid");
	errors = date_param(r, errors, "from", &out->from);
	errors = date_param(r, errors, "to", &out->to);
	if (out->from && out->to && strcmp(out->from, out->to) > 0)
		errors = json_errors_add(r, errors, "to", "date_order");
	if (errors) {
		json_reply_validation(r, errors);
		return false;
	}
	return true;
}

/* Answers 200 with the "body" column PostgreSQL built. */
static void reply_body(struct http_req *r, PGresult *res)
{
	const char *body = db_str(res, 0, "body");

	if (body == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	http_reply(r, 200, "application/json; charset=utf-8", body, strlen(body));
}

static void run_body(struct http_req *r, struct db_stmt *st, const char *const *params,
                     const char *not_found)
{
	PGresult *res = app_row_or_reply(r, st, params, not_found);

	if (res)
		reply_body(r, res);
}

void sales_dashboard(struct http_req *r)
{
	const char *params[] = {db_param_i64(r->arena, r->event_id)};

	run_body(r, &q_dashboard, params, "EVENT_NOT_FOUND");
}

void sales_stats(struct http_req *r)
{
	struct sales_range q;

	if (!range_or_reply(r, event_periods, TK_ARRAY_LEN(event_periods), &q))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id), q.period->unit, q.from,
		                        q.to, q.period->name};
		run_body(r, &q_stats, params, "EVENT_NOT_FOUND");
	}
}

void sales_overview(struct http_req *r)
{
	run_body(r, &q_overview, NULL, "NOT_FOUND");
}

void sales_events(struct http_req *r)
{
	int64_t page, limit;
	PGresult *res;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit)};
		if ((res = app_row_or_reply(r, &q_events, params, "NOT_FOUND")) == NULL)
			return;
	}
	app_reply_list(r, res, page, limit);
}

void sales_revenue(struct http_req *r)
{
	struct sales_range q;

	if (!range_or_reply(r, all_periods, TK_ARRAY_LEN(all_periods), &q))
		return;
	{
		const char *params[] = {q.period->unit, q.from, q.to, q.period->name};
		run_body(r, &q_revenue, params, "NOT_FOUND");
	}
}

/* Sums an integer Redis answer over the events of a comma-separated id
 * list: cmd key [args…] per event, key made from fmt and the id. false
 * when Redis is down or answers something else. */
static bool kv_sum(struct http_req *r, const char *ids, const char *fmt, const char *arg1,
                   const char *arg2, long long *out)
{
	const char *p = ids;

	*out = 0;
	while (*p) {
		char key[SALES_KEY_MAX];
		char *end;
		long long id = strtoll(p, &end, 10);
		redisReply *rep;
		const char *argv[4];
		int argc = 2;

		if (end == p)
			break;
		snprintf(key, sizeof(key), fmt, id);
		argv[0] = arg1 ? "ZCOUNT" : "ZCARD";
		argv[1] = key;
		if (arg1) {
			argv[argc++] = arg1;
			argv[argc++] = arg2;
		}
		if (kv_cmd(r->arena, argc, argv, &rep) != KV_OK || rep == NULL ||
		    rep->type != REDIS_REPLY_INTEGER)
			return false;
		*out += rep->integer;
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

/* The waiters of the events in ids ("1,2,3"), as the waiting room counts
 * them (queue.h); false when Redis does not answer. */
static bool queue_sum(struct http_req *r, const char *ids, long long *out)
{
	int64_t *v = arena_calloc(r->arena, SALES_REALTIME_EVENTS + 1, sizeof(*v));
	size_t n = 0;

	for (const char *p = ids; *p && n < SALES_REALTIME_EVENTS;) {
		char *end;
		long long id = strtoll(p, &end, 10);
		if (end == p)
			break;
		v[n++] = id;
		p = *end == ',' ? end + 1 : end;
	}
	return queue_waiting_total(r->arena, v, n, out) == QUEUE_OK;
}

void sales_realtime(struct http_req *r)
{
	const char *params[] = {db_param_i64(r->arena, SALES_REALTIME_EVENTS)};
	PGresult *res = app_row_or_reply(r, &q_realtime, params, "NOT_FOUND");
	long long holds, waiting;
	cJSON *o;

	if (res == NULL)
		return;
	/* A hold is live while its expiry (the zset score, ms) is ahead. */
	if (!kv_sum(r, db_str(res, 0, "active"), "{ev:%lld}:holds",
	            arena_printf(r->arena, "%lld", (long long)tk_now_ms()), "+inf", &holds) ||
	    !queue_sum(r, db_str(res, 0, "queued"), &waiting)) {
		http_reply_error(r, "UNAVAILABLE", NULL);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "holds_active", (double)holds);
	cJSON_AddNumberToObject(o, "reservations_last_minute",
	                        (double)db_i64(res, 0, "reservations"));
	cJSON_AddNumberToObject(o, "paid_last_minute", (double)db_i64(res, 0, "paid"));
	cJSON_AddNumberToObject(o, "scans_last_minute", (double)db_i64(res, 0, "scans"));
	cJSON_AddNumberToObject(o, "queue_waiting", (double)waiting);
	app_reply_object(r, 200, "realtime", o);
}

/* One statement's plan; params as the handler would send them. */
static bool explain_one(FILE *out, const char *title, const struct db_stmt *st,
                        const char *const *params)
{
	PGconn *c = db_conn();
	char *sql;
	PGresult *res;
	bool ok;

	if (c == NULL)
		return false;
	if ((sql = malloc(strlen(st->sql) + 64)) == NULL)
		return false;
	sprintf(sql, "EXPLAIN (ANALYZE, BUFFERS) %s", st->sql);
	res = PQexecParams(c, sql, st->nparams, NULL, params, NULL, NULL, 0);
	free(sql);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	fprintf(out, "### %s\n\n```\n", title);
	if (ok)
		for (int i = 0; i < PQntuples(res); i++)
			fprintf(out, "%s\n", PQgetvalue(res, i, 0));
	else
		fprintf(out, "%s", PQerrorMessage(c));
	fprintf(out, "```\n\n");
	PQclear(res);
	return ok;
}

bool sales_explain(FILE *out, int64_t event_id)
{
	char ev[24];
	bool ok = true;

	snprintf(ev, sizeof(ev), "%lld", (long long)event_id);
	ok &= explain_one(out, "GET events/{id}/dashboard", &q_dashboard, (const char *[]){ev});
	ok &= explain_one(out, "GET events/{id}/stats/sales?period=daily", &q_stats,
	                  (const char *[]){ev, "day", NULL, NULL, "daily"});
	ok &= explain_one(out, "GET events/{id}/stats/sales?period=monthly", &q_stats,
	                  (const char *[]){ev, "month", NULL, NULL, "monthly"});
	ok &= explain_one(out, "GET analytics/overview", &q_overview, NULL);
	return ok;
}
