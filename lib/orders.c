/* orders.c — admin order management: list, detail, refund, export (see orders.h). */
#include "orders.h"

#include "app.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "pending.h"
#include "perm.h"
#include "stock.h"
#include "ticket.h"
#include "tk.h"
#include "toss.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define TITLE_IN_FILENAME 40 /* characters of the event title in an export's name */

/* ---- filters ------------------------------------------------------------------ */

/* $1 event, $2 statuses (text[]), $3 visit date, $4 order-number pattern,
 * $5 name pattern, $6 phone pattern, $7/$8 from (date / instant), $9/$10
 * to (date / instant). Unused filters are NULL. */
#define FILTER \
	" o.event_id = $1" \
	" AND ($2::text[] IS NULL OR o.status = ANY($2::text[]))" \
	" AND ($3::date IS NULL OR o.visit_date = $3::date)" \
	" AND ($4::text IS NULL OR o.order_number LIKE $4::text" \
	"   OR o.customer_name ILIKE $5::text OR o.customer_phone LIKE $6::text)" \
	" AND ($7::date IS NULL" \
	"   OR o.created_at >= ($7::date::timestamp AT TIME ZONE 'Asia/Seoul'))" \
	" AND ($8::timestamptz IS NULL OR o.created_at >= $8::timestamptz)" \
	" AND ($9::date IS NULL" \
	"   OR o.created_at < (($9::date + 1)::timestamp AT TIME ZONE 'Asia/Seoul'))" \
	" AND ($10::timestamptz IS NULL OR o.created_at <= $10::timestamptz)"
#define N_FILTER 10

#define LIST_FIELDS \
	"'id', o.id, 'order_number', o.order_number, 'status', o.status, 'source', o.source," \
	" 'visit_date', o.visit_date::text, 'amount', o.amount," \
	" 'refunded_amount', (SELECT COALESCE(sum(f.amount), 0) FROM refunds f" \
	"   WHERE f.order_id = o.id AND f.status = 'done')," \
	" 'customer', json_build_object('name', o.customer_name, 'phone', o.customer_phone," \
	"   'email', o.customer_email)," \
	" 'items_count', (SELECT COALESCE(sum(i.qty), 0) FROM order_items i" \
	"   WHERE i.order_id = o.id)," \
	" 'tickets_count', (SELECT count(*) FROM tickets t WHERE t.order_id = o.id)," \
	" 'paid_at', iso(o.paid_at), 'created_at', iso(o.created_at)"

/* One round trip: no row = no such event. */
static struct db_stmt q_list = DB_STMT(
    "SELECT (SELECT count(*) FROM orders o WHERE" FILTER ") AS total,"
    " COALESCE((SELECT json_agg(s.j ORDER BY s.created_at DESC, s.id DESC)"
    "   FROM (SELECT json_build_object(" LIST_FIELDS ") AS j, o.created_at, o.id"
    "     FROM orders o WHERE" FILTER
    "     ORDER BY o.created_at DESC, o.id DESC LIMIT $11 OFFSET $12) s), '[]') AS items"
    " FROM events e WHERE e.id = $1 AND e.deleted_at IS NULL",
    12);

#define DETAIL_FIELDS \
	LIST_FIELDS \
	", 'toss_order_id', o.toss_order_id, 'hold_expires_at', iso(o.hold_expires_at)," \
	" 'canceled_at', iso(o.canceled_at), 'updated_at', iso(o.updated_at)," \
	" 'items', COALESCE((SELECT json_agg(json_build_object('id', i.id," \
	"   'product_id', i.product_id," \
	"   'product_name', p.name, 'type', p.type, 'admits', p.admits, 'qty', i.qty," \
	"   'unit_price', i.unit_price, 'amount', i.amount, 'refunded_qty', i.refunded_qty)" \
	"   ORDER BY i.id) FROM order_items i JOIN products p ON p.id = i.product_id" \
	"   WHERE i.order_id = o.id), '[]')," \
	" 'payments', COALESCE((SELECT json_agg(json_build_object('id', p.id," \
	"   'payment_key', p.payment_key, 'method', p.method, 'status', p.status," \
	"   'total_amount', p.total_amount, 'balance_amount', p.balance_amount," \
	"   'confirm_state', p.confirm_state, 'requested_at', iso(p.requested_at)," \
	"   'approved_at', iso(p.approved_at), 'receipt_url', p.raw->'receipt'->>'url'," \
	"   'last_error', p.last_error, 'created_at', iso(p.created_at)," \
	"   'updated_at', iso(p.updated_at)) ORDER BY p.id)" \
	"   FROM payments p WHERE p.order_id = o.id), '[]')," \
	" 'refunds', COALESCE((SELECT json_agg(json_build_object('id', f.id," \
	"   'payment_id', f.payment_id, 'amount', f.amount, 'reason', f.reason," \
	"   'ticket_ids', f.ticket_ids, 'ticket_codes', (SELECT COALESCE(json_agg(t.code" \
	"     ORDER BY t.id), '[]') FROM tickets t WHERE t.id = ANY(f.ticket_ids))," \
	"   'toss_transaction_key', f.toss_transaction_key, 'status', f.status," \
	"   'admin', (SELECT json_build_object('id', a.id, 'username', a.username," \
	"       'name', a.name)" \
	"     FROM admins a WHERE a.id = f.admin_id), 'created_at', iso(f.created_at))" \
	"   ORDER BY f.id) FROM refunds f WHERE f.order_id = o.id), '[]')," \
	" 'tickets', COALESCE((SELECT json_agg(json_build_object('id', t.id, 'code', t.code," \
	"   'order_item_id', t.order_item_id, 'product_id', t.product_id," \
	"   'product_name', p.name," \
	"   'status', t.status, 'visit_date', t.visit_date::text, 'used_at', iso(t.used_at)," \
	"   'used_gate', t.used_gate, 'refunded_at', iso(t.refunded_at)) ORDER BY t.id)" \
	"   FROM tickets t JOIN products p ON p.id = t.product_id" \
	"   WHERE t.order_id = o.id), '[]')," \
	" 'notifications', COALESCE((SELECT json_agg(json_build_object('id', n.id," \
	"   'channel', n.channel, 'template_code', n.template_code, 'recipient', n.recipient," \
	"   'status', CASE n.status WHEN 'sending' THEN 'pending' WHEN 'dead' THEN 'failed'" \
	"     ELSE n.status END, 'attempts', n.attempts, 'last_error', n.last_error," \
	"   'provider_request_id', n.provider_request_id," \
	"   'provider_result_code', n.provider_result_code, 'provider_result', n.provider_result," \
	"   'next_attempt_at', iso(n.next_attempt_at), 'resends', n.resends," \
	"   'sent_at', iso(n.sent_at), 'created_at', iso(n.created_at)) ORDER BY n.id)" \
	"   FROM notifications n WHERE n.order_id = o.id), '[]')," \
	" 'history', COALESCE((SELECT json_agg(json_build_object('id', l.id," \
	"   'admin_id', l.admin_id, 'admin_username', l.admin_username, 'level', l.level," \
	"   'action', l.action, 'summary', l.summary, 'ip', host(l.ip)," \
	"   'request_id', l.request_id, 'created_at', iso(l.created_at))" \
	"   ORDER BY l.created_at, l.id) FROM activity_log l WHERE l.target_type = 'order'" \
	"   AND l.target_id = o.id::text AND l.event_id = o.event_id), '[]')"

/* No row = no such event; found false when the event has no such order. */
static struct db_stmt q_get = DB_STMT(
    "SELECT o.id IS NOT NULL AS found, json_build_object(" DETAIL_FIELDS ") AS obj"
    " FROM events e LEFT JOIN orders o ON o.event_id = e.id AND o.id = $2"
    " WHERE e.id = $1 AND e.deleted_at IS NULL",
    2);

static const char *const statuses[] = {
    "pending", "paid", "expired", "canceled", "refunded", "partially_refunded", "payment_failed",
};

struct orders_filter {
	const char *status, *visit_date, *q; /* as given (for the audit summary) */
	const char *params[N_FILTER];        /* $1..$10 */
};

/* "paid,refunded" → "{paid,refunded}"; NULL when a name is unknown. */
static const char *status_array(struct http_req *r, const char *v)
{
	size_t n = strlen(v), count = 0;
	char *out = arena_alloc(r->arena, n + 3), *o = out;
	const char *p = v;

	*o++ = '{';
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		bool known = false;
		for (size_t i = 0; i < TK_ARRAY_LEN(statuses); i++)
			if (strlen(statuses[i]) == len && strncmp(statuses[i], p, len) == 0)
				known = true;
		if (!known || ++count > ORDERS_STATUS_MAX)
			return NULL;
		if (o > out + 1)
			*o++ = ',';
		memcpy(o, p, len);
		o += len;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*o++ = '}';
	*o = '\0';
	return out;
}

/* '%' + s with LIKE's \ % _ escaped + '%', upper-cased when upper. */
static const char *like_pattern(struct http_req *r, const char *s, bool upper)
{
	char *out = arena_alloc(r->arena, strlen(s) * 2 + 3), *o = out;

	*o++ = '%';
	for (const char *p = s; *p; p++) {
		if (*p == '\\' || *p == '%' || *p == '_')
			*o++ = '\\';
		*o++ = upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

/* The digits of q when q is a phone number or part of one: digits, dashes
 * and spaces only, at least ORDERS_Q_PHONE_MIN digits. */
static const char *phone_digits(struct http_req *r, const char *q)
{
	char *out = arena_alloc(r->arena, strlen(q) + 1), *o = out;

	for (const char *p = q; *p; p++) {
		if (*p >= '0' && *p <= '9')
			*o++ = *p;
		else if (*p != '-' && *p != ' ')
			return NULL;
	}
	*o = '\0';
	return (size_t)(o - out) >= ORDERS_Q_PHONE_MIN ? out : NULL;
}

/* Reads the filters of the list and the export; false after answering 422. */
static bool filter_or_reply(struct http_req *r, struct orders_filter *f)
{
	cJSON *errors = NULL;
	const char *status = http_query(r, "status"), *date = http_query(r, "visit_date");
	const char *q = http_query(r, "q");

	memset(f, 0, sizeof(*f));
	f->params[0] = db_param_i64(r->arena, r->event_id);
	if (status && *status) {
		f->status = status;
		if ((f->params[1] = status_array(r, status)) == NULL)
			errors = json_errors_add(r, errors, "status", "invalid");
	}
	if (date && *date) {
		f->visit_date = date;
		if (tk_valid_date(date))
			f->params[2] = date;
		else
			errors = json_errors_add(r, errors, "visit_date", "invalid");
	}
	if (q && *q) {
		f->q = q;
		if (!tk_utf8_valid(q, strlen(q)))
			errors = json_errors_add(r, errors, "q", "invalid_utf8");
		else if (tk_utf8_len(q) > ORDERS_Q_MAX)
			errors = json_errors_add(r, errors, "q", "too_long");
		else {
			const char *digits = phone_digits(r, q);
			f->params[3] = like_pattern(r, q, true);
			f->params[4] = like_pattern(r, q, false);
			f->params[5] = digits ? like_pattern(r, digits, false) : NULL;
		}
	}
	errors = app_time_query(r, errors, "from", &f->params[6], &f->params[7]);
	errors = app_time_query(r, errors, "to", &f->params[8], &f->params[9]);
	if (errors) {
		json_reply_validation(r, errors);
		return false;
	}
	/* The list shows every reservation made so far, also those whose
	 * pending order is still queued behind its hold (pending.h). */
	if (pending_flush(r->arena, r->event_id) == DB_DOWN) {
		http_reply_error(r, "UNAVAILABLE", NULL);
		return false;
	}
	return true;
}

/* ---- list and detail ---------------------------------------------------------------- */

void orders_list(struct http_req *r)
{
	struct orders_filter f;
	const char *params[N_FILTER + 2];
	int64_t page, limit;
	PGresult *res;

	if (!filter_or_reply(r, &f) || !app_paging_or_reply(r, &page, &limit))
		return;
	memcpy(params, f.params, sizeof(f.params));
	params[N_FILTER] = db_param_i64(r->arena, limit);
	params[N_FILTER + 1] = db_param_i64(r->arena, (page - 1) * limit);
	if ((res = app_row_or_reply(r, &q_list, params, "EVENT_NOT_FOUND")) == NULL)
		return;
	app_reply_list(r, res, page, limit);
}

/* "****" and the last 4 characters: enough to tell two apart on a call,
 * not enough to use. */
static void mask_string(cJSON *s)
{
	const char *v = cJSON_GetStringValue(s);
	char out[16];
	size_t n;

	if (v == NULL)
		return;
	n = strlen(v);
	snprintf(out, sizeof(out), "****%s", n > 4 ? v + n - 4 : "");
	cJSON_SetValuestring(s, out);
}

/* Below STAFF an order's bearer credentials are masked: ticket codes (a
 * code is a ticket: whoever has it enters) and Toss's payment keys (they
 * drive cancellations). VIEWERs read orders to answer customers, not to
 * admit or refund them. */
static void mask_credentials(cJSON *order)
{
	cJSON *x, *c;

	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(order, "tickets"))
	{
		mask_string(cJSON_GetObjectItemCaseSensitive(x, "code"));
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(order, "payments"))
	{
		mask_string(cJSON_GetObjectItemCaseSensitive(x, "payment_key"));
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(order, "refunds"))
	{
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(x, "ticket_codes"))
		{
			mask_string(c);
		}
	}
}

void orders_get(struct http_req *r)
{
	int64_t oid;
	PGresult *res;
	cJSON *obj;
	/* A malformed id names no order; the event is checked first. */
	const char *params[] = {db_param_i64(r->arena, r->event_id),
	                        http_param_id(r, "oid", &oid) ? db_param_i64(r->arena, oid) : NULL};

	if ((res = app_row_or_reply(r, &q_get, params, "EVENT_NOT_FOUND")) == NULL)
		return;
	if (!db_bool(res, 0, "found")) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	obj = cJSON_Parse(db_str(res, 0, "obj"));
	if (obj == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	if (perm_level_on(r->principal, r->event_id) < PERM_STAFF)
		mask_credentials(obj);
	app_reply_object(r, 200, "order", obj);
}

/* ---- refund --------------------------------------------------------------------- */

static struct db_stmt q_lock_timeout = DB_STMT(
    "SELECT set_config('lock_timeout', '" ORDERS_LOCK_TIMEOUT "', true)", 0);

static struct db_stmt q_event = DB_STMT(
    "SELECT code, title FROM events WHERE id = $1 AND deleted_at IS NULL", 1);

static struct db_stmt q_lock_order = DB_STMT(
    "SELECT o.id, o.order_number, o.status, o.source, o.amount, o.access_token"
    " FROM orders o WHERE o.id = $2 AND o.event_id = $1 FOR UPDATE",
    2);

static struct db_stmt q_items = DB_STMT(
    "SELECT i.id, i.product_id, p.name, p.admits, i.qty, i.refunded_qty, i.unit_price"
    " FROM order_items i JOIN products p ON p.id = i.product_id"
    " WHERE i.order_id = $1 ORDER BY i.id",
    1);

/* The tickets asked for, locked: a gate admitting one of them waits for
 * the refund and then finds it refunded. */
static struct db_stmt q_tickets_by_code = DB_STMT(
    "SELECT t.id, t.code, t.status, t.order_item_id FROM tickets t"
    " WHERE t.order_id = $1 AND t.code = ANY($2::text[]) ORDER BY t.id FOR UPDATE",
    2);

static struct db_stmt q_tickets_valid = DB_STMT(
    "SELECT t.id, t.code, t.status, t.order_item_id FROM tickets t"
    " WHERE t.order_id = $1 AND t.status = 'valid' ORDER BY t.id FOR UPDATE",
    1);

static struct db_stmt q_used = DB_STMT(
    "SELECT count(*) FILTER (WHERE status = 'used') AS used FROM tickets WHERE order_id = $1", 1);

/* The payment a refund cancels: confirmed at Toss, newest first. */
static struct db_stmt q_payment = DB_STMT(
    "SELECT id, payment_key, status, total_amount, balance_amount FROM payments"
    " WHERE order_id = $1 AND confirm_state = 'done' AND payment_key IS NOT NULL"
    "   AND status IN ('DONE', 'PARTIAL_CANCELED', 'CANCELED')"
    " ORDER BY id DESC LIMIT 1 FOR UPDATE",
    1);

/* Refusals recorded for the order: each one gives the next attempt a new
 * Idempotency-Key (Toss replays a refusal to the same key for 15 days). */
static struct db_stmt q_failed_count = DB_STMT(
    "SELECT count(*) AS n FROM refunds WHERE order_id = $1 AND status = 'failed'", 1);

static struct db_stmt q_refund_failed = DB_STMT(
    "INSERT INTO refunds (order_id, payment_id, amount, reason, ticket_ids, status, admin_id)"
    " VALUES ($1, $2, $3, $4, $5::bigint[], 'failed', $6) RETURNING id",
    6);

static struct db_stmt q_refund_insert = DB_STMT(
    "INSERT INTO refunds (order_id, payment_id, amount, reason, ticket_ids,"
    " toss_transaction_key, status, admin_id)"
    " VALUES ($1, $2, $3, $4, $5::bigint[], $6, 'done', $7)"
    " RETURNING id, iso(created_at) AS created_at",
    7);

static struct db_stmt q_tickets_refund = DB_STMT(
    "UPDATE tickets SET status = 'refunded', refunded_at = now()"
    " WHERE order_id = $1 AND id = ANY($2::bigint[]) AND status = 'valid' RETURNING id",
    2);

static struct db_stmt q_items_refund = DB_STMT(
    "UPDATE order_items i SET refunded_qty = i.refunded_qty + x.u"
    " FROM unnest($2::bigint[], $3::int[]) AS x(id, u)"
    " WHERE i.id = x.id AND i.order_id = $1 AND i.refunded_qty + x.u <= i.qty RETURNING i.id",
    3);

/* What the refunded units gave to each quota (the sale took the same, by
 * the same view), locked in quota order like the payment commit locks them,
 * so the two never deadlock. A quota's products changed since the sale
 * could make that more than is sold: never below zero. */
static struct db_stmt q_usage_lower = DB_STMT(
    "WITH l AS (SELECT u.quota_id, CASE WHEN q.per_day THEN o.visit_date END AS d,"
    "   sum(x.u * u.units)::bigint AS n"
    "   FROM unnest($2::bigint[], $3::int[]) AS x(id, u)"
    "   JOIN order_items i ON i.id = x.id AND i.order_id = $1"
    "   JOIN orders o ON o.id = i.order_id"
    "   JOIN product_quota_units u ON u.product_id = i.product_id"
    "   JOIN quotas q ON q.id = u.quota_id"
    "   GROUP BY 1, 2),"
    " t AS (SELECT qu.id, l.quota_id, l.d, LEAST(l.n, qu.sold)::bigint AS n"
    "   FROM quota_usage qu JOIN l ON qu.quota_id = l.quota_id"
    "     AND COALESCE(qu.visit_date, '0001-01-01'::date) = COALESCE(l.d, '0001-01-01'::date)"
    "   ORDER BY qu.quota_id, qu.visit_date FOR UPDATE OF qu)"
    " UPDATE quota_usage qu SET sold = qu.sold - t.n FROM t WHERE qu.id = t.id"
    " RETURNING t.quota_id, COALESCE(t.d::text, '') AS date, t.n",
    3);

static struct db_stmt q_order_status = DB_STMT(
    "UPDATE orders SET status = CASE WHEN EXISTS (SELECT 1 FROM order_items i"
    "   WHERE i.order_id = $1 AND i.refunded_qty < i.qty)"
    "   THEN 'partially_refunded' ELSE 'refunded' END"
    " WHERE id = $1 RETURNING status",
    1);

static struct db_stmt q_payment_update = DB_STMT(
    "UPDATE payments SET status = $2, balance_amount = $3, raw = COALESCE($4::jsonb, raw)"
    " WHERE id = $1",
    4);

static struct db_stmt q_notify = DB_STMT(
    "INSERT INTO notifications (event_id, order_id, channel, template_code, recipient, params)"
    " SELECT o.event_id, o.id, 'alimtalk',"
    "   CASE WHEN o.status = 'refunded' THEN 'REFUND' ELSE 'REFUND_PARTIAL' END, o.customer_phone,"
    "   jsonb_build_object('name', o.customer_name, 'orderNumber', o.order_number, 'event', "
    "e.title,"
    "     'amount', to_char($2::bigint, 'FM999,999,999,990'), 'tickets', $3::text, 'url', $4::text)"
    " FROM orders o JOIN events e ON e.id = o.event_id WHERE o.id = $1",
    4);

struct refund_in {
	struct json_str reason;
	struct json_node codes;
};

static const struct json_field refund_fields[] = {
    JSON_STR("reason", struct refund_in, reason, JF_REQUIRED, 1, ORDERS_REASON_MAX, tk_valid_line),
    JSON_ARR("ticket_codes", struct refund_in, codes, JF_NULLABLE, 1, ORDERS_REFUND_CODES),
};

/* An order item and what the refund takes of it. */
struct rf_item {
	int64_t id, product_id, admits, qty, refunded, unit_price;
	const char *name;
	int64_t picked; /* tickets of it in the refund */
	int64_t units;  /* units refunded */
};

/* One refund being worked out; everything lives in the request arena. */
struct refund {
	int64_t order_id, event_id;
	const char *number, *status, *source, *access, *event_code;
	struct rf_item *items;
	size_t n_items;
	int64_t *ticket_ids;
	const char **ticket_codes;
	size_t n_tickets;
	bool whole;
	int64_t amount, units;
	/* the payment, when Toss is called */
	int64_t payment_id, balance, attempt;
	const char *payment_key;
	struct toss_payment toss;
	bool toss_called;
	char idem[TOSS_IDEM_MAX + 1];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* A growable text in the arena, capped. */
struct buf {
	struct arena *a;
	char *p;
	size_t len, cap, max;
	bool over;
};

static void buf_addn(struct buf *b, const char *s, size_t n)
{
	if (b->over)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *np;
		while (b->len + n + 1 > cap)
			cap *= 2;
		if (b->max && cap > b->max + 1) {
			if (b->len + n + 1 > b->max + 1) {
				b->over = true;
				return;
			}
			cap = b->max + 1;
		}
		np = arena_alloc(b->a, cap);
		if (b->len)
			memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

/* "{a,b,c}" of integers. */
static const char *i64_array(struct arena *a, const int64_t *v, size_t n)
{
	struct buf b = {a, NULL, 0, 0, 0, false};

	buf_add(&b, "{");
	for (size_t i = 0; i < n; i++) {
		char num[24];
		snprintf(num, sizeof(num), "%s%lld", i ? "," : "", (long long)v[i]);
		buf_add(&b, num);
	}
	buf_add(&b, "}");
	return b.p;
}

/* Ticket codes are uppercase base32 (ticket.h): nothing else can be one. */
static bool code_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 8 && n <= TICKET_CODE_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == n;
}

/* The codes of the body as a sorted array without duplicates, and their
 * text[] literal; false after answering 422. *n = 0 when none were given. */
static bool codes_or_reply(struct http_req *r, const struct refund_in *in, const char ***codes,
                           size_t *n, const char **literal)
{
	const cJSON *it;
	size_t k = 0;
	struct buf b = {r->arena, NULL, 0, 0, 0, false};
	cJSON *errors;

	*codes = NULL;
	*n = 0;
	*literal = NULL;
	if (!in->codes.set || in->codes.null)
		return true;
	*codes = arena_calloc(r->arena, (size_t)cJSON_GetArraySize(in->codes.v) + 1,
	                      sizeof(char *));
	cJSON_ArrayForEach(it, in->codes.v)
	{
		const char *s = cJSON_GetStringValue(it);
		if (s == NULL || !code_ok(s)) {
			errors = cJSON_CreateObject();
			json_field_error(r, errors, "ticket_codes", "invalid");
			json_reply_validation(r, errors);
			return false;
		}
		(*codes)[k++] = s;
	}
	qsort(*codes, k, sizeof(char *), cmp_str);
	for (size_t i = 1; i < k; i++)
		if (strcmp((*codes)[i - 1], (*codes)[i]) == 0) {
			errors = cJSON_CreateObject();
			json_field_error(r, errors, "ticket_codes", "duplicate");
			json_reply_validation(r, errors);
			return false;
		}
	buf_add(&b, "{");
	for (size_t i = 0; i < k; i++) {
		buf_add(&b, i ? "," : "");
		buf_add(&b, (*codes)[i]); /* base32: nothing to quote */
	}
	buf_add(&b, "}");
	*n = k;
	*literal = b.p;
	return true;
}

/* Rolls back and answers an error (details taken over, may be NULL). */
static void fail_reply(struct http_req *r, const char *code, cJSON *details)
{
	db_rollback();
	http_reply_error(r, code, details);
}

/* A db error inside the transaction: a lock wait that ran out is another
 * refund of this order still at Toss. */
static void db_fail_reply(struct http_req *r, enum db_err e)
{
	if (e == DB_ERROR && strcmp(db_last_sqlstate(), "55P03") == 0) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "reason", "REFUND_IN_PROGRESS");
		fail_reply(r, "CONFLICT", d);
		return;
	}
	app_reply_db_error(r, e);
}

static cJSON *codes_json(const char *const *codes, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(codes[i]));
	return a;
}

/* Opens the transaction and locks the order; false after answering. */
static bool lock_order_or_reply(struct http_req *r, int64_t oid, struct refund *rf)
{
	PGresult *res;
	enum db_err e;
	const char *ev = db_param_i64(r->arena, r->event_id);

	if ((e = db_begin()) != DB_OK ||
	    (e = db_exec(r->arena, &q_lock_timeout, NULL, NULL)) != DB_OK ||
	    (e = db_exec(r->arena, &q_event, (const char *[]){ev}, &res)) != DB_OK) {
		db_fail_reply(r, e);
		return false;
	}
	if (db_rows(res) != 1) {
		fail_reply(r, "EVENT_NOT_FOUND", NULL);
		return false;
	}
	rf->event_code = db_str(res, 0, "code");
	if ((e = db_exec(r->arena, &q_lock_order, (const char *[]){ev, db_param_i64(r->arena, oid)},
	                 &res)) != DB_OK) {
		db_fail_reply(r, e);
		return false;
	}
	if (db_rows(res) != 1) {
		fail_reply(r, "NOT_FOUND", NULL);
		return false;
	}
	rf->order_id = oid;
	rf->event_id = r->event_id;
	rf->number = db_str(res, 0, "order_number");
	rf->status = db_str(res, 0, "status");
	rf->source = db_str(res, 0, "source");
	rf->access = db_str(res, 0, "access_token");
	if (strcmp(rf->status, "refunded") == 0) {
		fail_reply(r, "ALREADY_REFUNDED", NULL);
		return false;
	}
	if (strcmp(rf->status, "paid") != 0 && strcmp(rf->status, "partially_refunded") != 0) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "status", rf->status);
		fail_reply(r, "CONFLICT", d);
		return false;
	}
	return true;
}

static struct rf_item *item_of(struct refund *rf, int64_t id)
{
	for (size_t i = 0; i < rf->n_items; i++)
		if (rf->items[i].id == id)
			return &rf->items[i];
	return NULL;
}

/* Works out which tickets and units the refund takes (see orders.h);
 * false after answering (and rolling back). */
static bool plan_or_reply(struct http_req *r, struct refund *rf, const char *const *codes,
                          size_t n_codes, const char *codes_literal)
{
	const char *oid = db_param_i64(r->arena, rf->order_id);
	PGresult *items, *tk;
	enum db_err e;
	size_t k = 0;

	if ((e = db_exec(r->arena, &q_items, (const char *[]){oid}, &items)) != DB_OK) {
		db_fail_reply(r, e);
		return false;
	}
	rf->n_items = (size_t)db_rows(items);
	rf->items = arena_calloc(r->arena, rf->n_items + 1, sizeof(*rf->items));
	for (size_t i = 0; i < rf->n_items; i++) {
		struct rf_item *it = &rf->items[i];
		it->id = db_i64(items, (int)i, "id");
		it->product_id = db_i64(items, (int)i, "product_id");
		it->name = db_str(items, (int)i, "name");
		it->admits = db_i64(items, (int)i, "admits");
		it->qty = db_i64(items, (int)i, "qty");
		it->refunded = db_i64(items, (int)i, "refunded_qty");
		it->unit_price = db_i64(items, (int)i, "unit_price");
	}

	rf->whole = n_codes == 0;
	if (rf->whole)
		e = db_exec(r->arena, &q_tickets_valid, (const char *[]){oid}, &tk);
	else
		e = db_exec(r->arena, &q_tickets_by_code, (const char *[]){oid, codes_literal},
		            &tk);
	if (e != DB_OK) {
		db_fail_reply(r, e);
		return false;
	}

	if (!rf->whole) {
		/* Every code a ticket of this order, none used or refunded. */
		cJSON *bad;
		if ((size_t)db_rows(tk) != n_codes) {
			cJSON *d = cJSON_CreateObject(),
			      *unknown = cJSON_AddArrayToObject(d, "unknown_codes");
			for (size_t i = 0; i < n_codes; i++) {
				bool found = false;
				for (int j = 0; j < db_rows(tk) && !found; j++)
					found = strcmp(db_str(tk, j, "code"), codes[i]) == 0;
				if (!found)
					cJSON_AddItemToArray(unknown, cJSON_CreateString(codes[i]));
			}
			json_field_error(r, cJSON_AddObjectToObject(d, "fields"), "ticket_codes",
			                 "not_found");
			fail_reply(r, "VALIDATION", d);
			return false;
		}
		for (int pass = 0; pass < 2; pass++) {
			const char *want = pass == 0 ? "used" : NULL;
			bad = NULL;
			for (int j = 0; j < db_rows(tk); j++) {
				const char *st = db_str(tk, j, "status");
				bool hit = want ? strcmp(st, want) == 0 : strcmp(st, "valid") != 0;
				if (!hit)
					continue;
				if (bad == NULL)
					bad = cJSON_CreateArray();
				cJSON_AddItemToArray(bad,
				                     cJSON_CreateString(db_str(tk, j, "code")));
			}
			if (bad) {
				cJSON *d = cJSON_CreateObject();
				cJSON_AddItemToObject(d, "ticket_codes", bad);
				fail_reply(r, pass == 0 ? "ALREADY_USED" : "ALREADY_REFUNDED", d);
				return false;
			}
		}
	}

	/* Tickets per item, then whole units. */
	for (int j = 0; j < db_rows(tk); j++) {
		struct rf_item *it = item_of(rf, db_i64(tk, j, "order_item_id"));
		if (it == NULL) {
			log_event(LOG_ERROR, "refund_ticket_without_item", "order", rf->number,
			          NULL);
			fail_reply(r, "INTERNAL", NULL);
			return false;
		}
		it->picked++;
	}
	for (size_t i = 0; i < rf->n_items; i++) {
		struct rf_item *it = &rf->items[i];
		int64_t left = it->qty - it->refunded;
		if (it->admits <= 0) {
			it->units = rf->whole ? left : 0;
		} else if (rf->whole) {
			it->units = it->picked / it->admits;
			if (it->units > left)
				it->units = left;
		} else {
			if (it->picked % it->admits != 0) {
				cJSON *d = cJSON_CreateObject(),
				      *f = cJSON_AddObjectToObject(d, "fields");
				json_field_error(r, f, "ticket_codes", "invalid");
				cJSON_AddStringToObject(d, "reason", "WHOLE_UNITS");
				cJSON_AddNumberToObject(d, "order_item_id", (double)it->id);
				cJSON_AddStringToObject(d, "product_name", it->name);
				cJSON_AddNumberToObject(d, "tickets_per_unit", (double)it->admits);
				fail_reply(r, "VALIDATION", d);
				return false;
			}
			it->units = it->picked / it->admits;
			if (it->units >
			    left) { /* more valid tickets than unrefunded units: a bug */
				log_event(LOG_ERROR, "refund_units_exceed", "order", rf->number,
				          NULL);
				fail_reply(r, "INTERNAL", NULL);
				return false;
			}
		}
		/* Overflow: qty ≤ 100 and prices are int32, far from INT64_MAX. */
		rf->amount += it->units * it->unit_price;
		rf->units += it->units;
	}

	/* The tickets taken: of each item, its first units × admits picked. */
	rf->ticket_ids = arena_calloc(r->arena, (size_t)db_rows(tk) + 1, sizeof(int64_t));
	rf->ticket_codes = arena_calloc(r->arena, (size_t)db_rows(tk) + 1, sizeof(char *));
	for (size_t i = 0; i < rf->n_items; i++)
		rf->items[i].picked = 0;
	for (int j = 0; j < db_rows(tk); j++) {
		struct rf_item *it = item_of(rf, db_i64(tk, j, "order_item_id"));
		if (it->picked >= it->units * it->admits)
			continue;
		it->picked++;
		rf->ticket_ids[k] = db_i64(tk, j, "id");
		rf->ticket_codes[k] = db_str(tk, j, "code");
		k++;
	}
	rf->n_tickets = k;

	if (rf->units == 0) {
		PGresult *u;
		if ((e = db_exec(r->arena, &q_used, (const char *[]){oid}, &u)) != DB_OK) {
			db_fail_reply(r, e);
			return false;
		}
		fail_reply(r, db_i64(u, 0, "used") > 0 ? "ALREADY_USED" : "ALREADY_REFUNDED", NULL);
		return false;
	}
	return true;
}

/* The Idempotency-Key of the refund: the order and exactly what it takes
 * (sorted ticket ids; units of items without tickets, with what was
 * refunded of them before so a later refund of the rest differs). */
static void idem_key(struct arena *a, struct refund *rf)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int64_t *ids = arena_calloc(a, rf->n_tickets + 1, sizeof(int64_t));
	char part[96];

	if (rf->n_tickets)
		memcpy(ids, rf->ticket_ids, rf->n_tickets * sizeof(int64_t));
	qsort(ids, rf->n_tickets, sizeof(int64_t), cmp_i64);
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		snprintf(part, sizeof(part),
		         "order:%lld;attempt:%lld;tickets:", (long long)rf->order_id,
		         (long long)rf->attempt);
		EVP_DigestUpdate(ctx, part, strlen(part));
		for (size_t i = 0; i < rf->n_tickets; i++) {
			snprintf(part, sizeof(part), "%lld,", (long long)ids[i]);
			EVP_DigestUpdate(ctx, part, strlen(part));
		}
		for (size_t i = 0; i < rf->n_items; i++) {
			const struct rf_item *it = &rf->items[i];
			if (it->admits > 0 || it->units == 0)
				continue;
			snprintf(part, sizeof(part), ";item:%lld:%lld@%lld", (long long)it->id,
			         (long long)it->units, (long long)it->refunded);
			EVP_DigestUpdate(ctx, part, strlen(part));
		}
		if (EVP_DigestFinal_ex(ctx, md, &n) != 1)
			n = 0;
	}
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(rf->idem, sizeof(rf->idem), "refund-%lld-%s", (long long)rf->order_id, hex);
}

/* Finds the payment to cancel and checks the amount fits; false after
 * answering. rf->payment_key stays NULL when Toss is not to be called. */
static bool payment_or_reply(struct http_req *r, struct refund *rf)
{
	PGresult *res;
	enum db_err e;
	const char *st;

	if (rf->amount == 0)
		return true; /* nothing to give back: no Toss call */
	e = db_exec(r->arena, &q_payment, (const char *[]){db_param_i64(r->arena, rf->order_id)},
	            &res);
	if (e != DB_OK) {
		db_fail_reply(r, e);
		return false;
	}
	if (db_rows(res) != 1) {
		if (strcmp(rf->source, "web") != 0)
			return true; /* invitation / manual: the money was not Toss's */
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "reason", "NO_PAYMENT");
		fail_reply(r, "CONFLICT", d);
		return false;
	}
	st = db_str(res, 0, "status");
	rf->payment_id = db_i64(res, 0, "id");
	{
		PGresult *fc;
		e = db_exec(r->arena, &q_failed_count,
		            (const char *[]){db_param_i64(r->arena, rf->order_id)}, &fc);
		if (e != DB_OK) {
			db_fail_reply(r, e);
			return false;
		}
		rf->attempt = db_i64(fc, 0, "n");
	}
	rf->payment_key = db_str(res, 0, "payment_key");
	rf->balance = db_i64(res, 0, "balance_amount");
	if (strcmp(st, "CANCELED") == 0 || rf->amount > rf->balance) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "reason", "OVER_BALANCE");
		cJSON_AddNumberToObject(d, "amount", (double)rf->amount);
		cJSON_AddNumberToObject(d, "balance_amount", (double)rf->balance);
		cJSON_AddStringToObject(d, "payment_status", st);
		fail_reply(r, "CONFLICT", d);
		return false;
	}
	return true;
}

static bool is_canceled(const char *status)
{
	return strcmp(status, "CANCELED") == 0 || strcmp(status, "PARTIAL_CANCELED") == 0;
}

#define CANCEL_TRIES 2

/* Toss answered a definite no: the attempt is written down (a refunds row
 * 'failed', the activity entry order.refund_failed) in a transaction of
 * its own. Besides the record, this makes the next attempt's
 * Idempotency-Key differ, so it is not answered with this refusal again.
 * A failure here is only logged: the admin's answer is Toss's refusal. */
static void record_refusal(struct http_req *r, const struct refund *rf, const char *reason,
                           const struct toss_error *err)
{
	struct arena *a = r->arena;
	PGresult *res;
	enum db_err e;
	cJSON *sum = http_own(r, cJSON_CreateObject());
	const char *params[] = {db_param_i64(a, rf->order_id),
	                        db_param_i64(a, rf->payment_id),
	                        db_param_i64(a, rf->amount),
	                        reason,
	                        i64_array(a, rf->ticket_ids, rf->n_tickets),
	                        db_param_i64(a, r->principal->admin_id)};

	cJSON_AddStringToObject(sum, "order_number", rf->number);
	cJSON_AddNumberToObject(sum, "amount", (double)rf->amount);
	cJSON_AddStringToObject(sum, "reason", reason);
	cJSON_AddNumberToObject(sum, "tickets", (double)rf->n_tickets);
	cJSON_AddStringToObject(sum, "payment_key", rf->payment_key);
	cJSON_AddStringToObject(sum, "toss_code", err->code);
	cJSON_AddStringToObject(sum, "toss_message", err->message);
	if ((e = db_begin()) != DB_OK ||
	    (e = db_exec(a, &q_refund_failed, params, &res)) != DB_OK ||
	    (e = audit_log(r, rf->event_id, "order.refund_failed", "order",
	                   db_param_i64(a, rf->order_id), sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		db_rollback();
		log_event(LOG_ERROR, "refund_refusal_unrecorded", "order", rf->number, NULL);
	}
}

/* Cancels at Toss, still holding the locks; false after answering (rolled
 * back: nothing changed here, and Toss either did nothing or will replay
 * its answer to the same Idempotency-Key).
 *
 * An answer that does not say what happened (5xx, a timeout, garbage) is
 * settled by asking Toss for the payment: the payment row is locked, so
 * only this cancel (or one made in Toss's console) can have moved its
 * balance — down by the amount means it was done (the answer was lost),
 * unchanged means nothing happened and a 5xx may be repeated once. A
 * repeat is never sent blindly: Toss does not keep 5xx answers for the
 * key, so a cancel whose answer was lost would run again. */
static bool toss_or_reply(struct http_req *r, struct refund *rf, const char *reason)
{
	struct toss_error err;
	enum toss_err te = TOSS_RETRY;
	int64_t amount = rf->amount == rf->balance ? 0 : rf->amount;
	int64_t after = rf->balance - rf->amount;
	cJSON *d;

	if (rf->payment_key == NULL)
		return true;
	idem_key(r->arena, rf);
	for (int i = 0; i < CANCEL_TRIES; i++) {
		struct toss_payment g;
		struct toss_error gerr;
		memset(&err, 0, sizeof(err));
		te = toss_cancel(r->arena, rf->payment_key, reason, amount, rf->idem, &rf->toss,
		                 &err);
		if (te != TOSS_RETRY && te != TOSS_TIMEOUT && te != TOSS_BAD_ANSWER)
			break;
		log_event(LOG_WARN, "refund_toss_unclear", "order", rf->number, "result",
		          toss_err_name(te), NULL);
		if (toss_get(r->arena, rf->payment_key, &g, &gerr) != TOSS_OK)
			break;
		if (g.balance_amount == after && is_canceled(g.status)) {
			rf->toss = g; /* done; its answer was lost */
			te = TOSS_OK;
			break;
		}
		if (g.balance_amount != rf->balance || te != TOSS_RETRY)
			break; /* moved otherwise, or a timeout that may still land */
	}
	if (te == TOSS_OK && is_canceled(rf->toss.status)) {
		rf->toss_called = true;
		if (rf->toss.balance_amount != after)
			log_event(LOG_WARN, "refund_balance_differs", "order", rf->number,
			          "payment_key", rf->payment_key, "toss_balance",
			          db_param_i64(r->arena, rf->toss.balance_amount), "expected",
			          db_param_i64(r->arena, after), NULL);
		return true;
	}
	db_rollback();
	log_event(LOG_WARN, "refund_toss_failed", "order", rf->number, "payment_key",
	          rf->payment_key, "result", toss_err_name(te), "code", err.code, NULL);
	if (te == TOSS_FAILED || te == TOSS_NOT_FOUND)
		record_refusal(r, rf, reason, &err);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "toss_code", te == TOSS_OK ? "UNEXPECTED_STATUS" : err.code);
	cJSON_AddStringToObject(d, "toss_message", te == TOSS_OK ? rf->toss.status : err.message);
	if (te == TOSS_FAILED && strcmp(toss_error_ours(&err), "PAYMENT_REJECTED") == 0) {
		http_reply_error(r, "PAYMENT_REJECTED", d);
		return false;
	}
	cJSON_AddBoolToObject(d, "retry_safe", true);
	http_reply_error(r, "PAYMENT_PROVIDER_ERROR", d);
	return false;
}

static const char *json_text(struct http_req *r, const cJSON *obj)
{
	char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
	const char *out = s ? arena_strdup(r->arena, s) : NULL;
	cJSON_free(s);
	return out;
}

/* The refund's writes; DB_OK with the Redis lines, the refund row and the
 * order's new status. */
static enum db_err record(struct http_req *r, struct refund *rf, const char *reason,
                          struct stock_line **lines, size_t *n_lines, PGresult **row,
                          const char **new_status)
{
	struct arena *a = r->arena;
	const char *oid = db_param_i64(a, rf->order_id);
	const char *ids = i64_array(a, rf->ticket_ids, rf->n_tickets);
	int64_t *item_ids = arena_calloc(a, rf->n_items + 1, sizeof(int64_t));
	int64_t *units = arena_calloc(a, rf->n_items + 1, sizeof(int64_t));
	size_t m = 0;
	PGresult *res;
	enum db_err e;
	const char *items_lit, *units_lit;

	for (size_t i = 0; i < rf->n_items; i++)
		if (rf->items[i].units > 0) {
			item_ids[m] = rf->items[i].id;
			units[m++] = rf->items[i].units;
		}
	items_lit = i64_array(a, item_ids, m);
	units_lit = i64_array(a, units, m);
	{
		const char *params[] = {
		    oid,
		    rf->toss_called ? db_param_i64(a, rf->payment_id) : NULL,
		    db_param_i64(a, rf->amount),
		    reason,
		    ids,
		    rf->toss_called && rf->toss.last_transaction_key[0]
		        ? rf->toss.last_transaction_key
		        : NULL,
		    db_param_i64(a, r->principal->admin_id),
		};
		if ((e = db_exec(a, &q_refund_insert, params, row)) != DB_OK)
			return e;
	}
	if ((e = db_exec(a, &q_tickets_refund, (const char *[]){oid, ids}, &res)) != DB_OK)
		return e;
	if ((size_t)db_rows(res) != rf->n_tickets)
		return DB_ERROR; /* the locks say this cannot happen */
	if ((e = db_exec(a, &q_items_refund, (const char *[]){oid, items_lit, units_lit}, &res)) !=
	    DB_OK)
		return e;
	if ((size_t)db_rows(res) != m)
		return DB_ERROR;
	if ((e = db_exec(a, &q_usage_lower, (const char *[]){oid, items_lit, units_lit}, &res)) !=
	    DB_OK)
		return e;
	*n_lines = (size_t)db_rows(res);
	*lines = arena_calloc(a, *n_lines + 1, sizeof(**lines));
	for (size_t i = 0; i < *n_lines; i++) {
		(*lines)[i].quota_id = db_i64(res, (int)i, "quota_id");
		snprintf((*lines)[i].date, sizeof((*lines)[i].date), "%s",
		         db_str(res, (int)i, "date"));
		(*lines)[i].qty = db_i64(res, (int)i, "n");
	}
	if ((e = db_exec(a, &q_order_status, (const char *[]){oid}, &res)) != DB_OK)
		return e;
	*new_status = db_str(res, 0, "status");
	if (rf->toss_called) {
		const char *params[] = {db_param_i64(a, rf->payment_id), rf->toss.status,
		                        db_param_i64(a, rf->toss.balance_amount),
		                        json_text(r, rf->toss.raw)};
		if ((e = db_exec(a, &q_payment_update, params, NULL)) != DB_OK)
			return e;
	}
	{
		const char *url = arena_printf(a, "%s/%s/orders/%s?access=%s", cfg.base_url,
		                               rf->event_code, rf->number, rf->access);
		const char *params[] = {oid, db_param_i64(a, rf->amount),
		                        db_param_i64(a, (int64_t)rf->n_tickets), url};
		if ((e = db_exec(a, &q_notify, params, NULL)) != DB_OK)
			return e;
	}
	return DB_OK;
}

#define SUMMARY_CODES 100 /* ticket codes named in the activity entry */

static cJSON *items_json(const struct refund *rf)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < rf->n_items; i++) {
		const struct rf_item *it = &rf->items[i];
		cJSON *o;
		if (it->units == 0)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "order_item_id", (double)it->id);
		cJSON_AddNumberToObject(o, "product_id", (double)it->product_id);
		cJSON_AddStringToObject(o, "product_name", it->name);
		cJSON_AddNumberToObject(o, "units", (double)it->units);
		cJSON_AddNumberToObject(o, "amount", (double)(it->units * it->unit_price));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void orders_refund(struct http_req *r)
{
	struct refund_in in = {0};
	struct refund *rf = arena_calloc(r->arena, 1, sizeof(*rf));
	const char **codes, *codes_lit, *new_status = NULL;
	size_t n_codes, n_lines = 0;
	struct stock_line *lines = NULL;
	PGresult *row = NULL;
	int64_t oid;
	enum db_err e;
	cJSON *sum, *out, *pay;

	if (!json_fields_or_reply(r, refund_fields, TK_ARRAY_LEN(refund_fields), &in))
		return;
	if (!codes_or_reply(r, &in, &codes, &n_codes, &codes_lit))
		return;
	if (!app_param_id_or_reply(r, "oid", &oid, "NOT_FOUND"))
		return;
	if (!lock_order_or_reply(r, oid, rf) || !plan_or_reply(r, rf, codes, n_codes, codes_lit) ||
	    !payment_or_reply(r, rf) || !toss_or_reply(r, rf, in.reason.v))
		return;

	e = record(r, rf, in.reason.v, &lines, &n_lines, &row, &new_status);
	if (e == DB_OK) {
		size_t shown = rf->n_tickets < SUMMARY_CODES ? rf->n_tickets : SUMMARY_CODES;
		sum = http_own(r, cJSON_CreateObject());
		cJSON_AddStringToObject(sum, "order_number", rf->number);
		cJSON_AddNumberToObject(sum, "refund_id", (double)db_i64(row, 0, "id"));
		cJSON_AddNumberToObject(sum, "amount", (double)rf->amount);
		cJSON_AddStringToObject(sum, "reason", in.reason.v);
		cJSON_AddBoolToObject(sum, "whole", rf->whole);
		cJSON_AddNumberToObject(sum, "tickets", (double)rf->n_tickets);
		cJSON_AddItemToObject(sum, "ticket_codes", codes_json(rf->ticket_codes, shown));
		cJSON_AddItemToObject(sum, "items", items_json(rf));
		if (rf->toss_called) {
			cJSON_AddStringToObject(sum, "payment_key", rf->payment_key);
			cJSON_AddStringToObject(sum, "toss_transaction_key",
			                        rf->toss.last_transaction_key);
			cJSON_AddNumberToObject(sum, "balance_amount",
			                        (double)rf->toss.balance_amount);
		}
		{
			cJSON *st = cJSON_AddObjectToObject(sum, "status");
			cJSON_AddStringToObject(st, "before", rf->status);
			cJSON_AddStringToObject(st, "after", new_status);
		}
		e = audit_log(r, rf->event_id, "order.refund", "order",
		              db_param_i64(r->arena, rf->order_id), sum);
	}
	if (e == DB_OK)
		e = db_commit();
	if (e != DB_OK) {
		db_rollback();
		if (!rf->toss_called) {
			db_fail_reply(r, e);
			return;
		}
		/* Toss gave the money back and we could not write it down: the
		 * same request again gets Toss's answer replayed and records it. */
		log_event(LOG_ERROR, "refund_unrecorded", "order", rf->number, "payment_key",
		          rf->payment_key, "idempotency_key", rf->idem, "transaction_key",
		          rf->toss.last_transaction_key, "amount",
		          db_param_i64(r->arena, rf->amount), NULL);
		{
			cJSON *d = cJSON_CreateObject();
			cJSON_AddBoolToObject(d, "toss_canceled", true);
			cJSON_AddBoolToObject(d, "retry_safe", true);
			http_reply_error(r, e == DB_DOWN ? "UNAVAILABLE" : "INTERNAL", d);
		}
		return;
	}

	/* Committed: the units go back on sale. */
	for (size_t i = 0; i < n_lines; i += STOCK_MAX_LINES) {
		size_t n = n_lines - i < STOCK_MAX_LINES ? n_lines - i : STOCK_MAX_LINES;
		if (stock_add(r->arena, rf->event_id, lines + i, n) != STOCK_OK)
			log_event(LOG_WARN, "refund_stock_deferred", "order", rf->number, NULL);
	}
	log_event(LOG_INFO, "order_refunded", "order", rf->number, "amount",
	          db_param_i64(r->arena, rf->amount), "status", new_status, NULL);

	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)db_i64(row, 0, "id"));
	cJSON_AddNumberToObject(out, "order_id", (double)rf->order_id);
	cJSON_AddStringToObject(out, "order_number", rf->number);
	cJSON_AddNumberToObject(out, "amount", (double)rf->amount);
	cJSON_AddStringToObject(out, "reason", in.reason.v);
	{
		cJSON *ids = cJSON_AddArrayToObject(out, "ticket_ids");
		for (size_t i = 0; i < rf->n_tickets; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)rf->ticket_ids[i]));
	}
	cJSON_AddItemToObject(out, "ticket_codes", codes_json(rf->ticket_codes, rf->n_tickets));
	cJSON_AddItemToObject(out, "items", items_json(rf));
	if (rf->toss_called && rf->toss.last_transaction_key[0])
		cJSON_AddStringToObject(out, "toss_transaction_key", rf->toss.last_transaction_key);
	else
		cJSON_AddNullToObject(out, "toss_transaction_key");
	if (rf->toss_called) {
		pay = cJSON_AddObjectToObject(out, "payment");
		cJSON_AddNumberToObject(pay, "id", (double)rf->payment_id);
		cJSON_AddStringToObject(pay, "status", rf->toss.status);
		cJSON_AddNumberToObject(pay, "balance_amount", (double)rf->toss.balance_amount);
	} else {
		cJSON_AddNullToObject(out, "payment");
	}
	cJSON_AddStringToObject(out, "order_status", new_status);
	cJSON_AddStringToObject(out, "created_at", db_str(row, 0, "created_at"));
	app_reply_object(r, 201, "refund", out);
}

/* ---- export ------------------------------------------------------------------------- */

static struct db_stmt q_export = DB_STMT(
    "SELECT o.order_number, o.status, o.source, COALESCE(o.visit_date::text, '') AS visit_date,"
    " o.customer_name, o.customer_phone, COALESCE(o.customer_email, '') AS email, o.amount,"
    " (SELECT COALESCE(sum(f.amount), 0) FROM refunds f"
    "   WHERE f.order_id = o.id AND f.status = 'done') AS refunded,"
    " COALESCE((SELECT string_agg(p.name || ' x' || i.qty, ', ' ORDER BY i.id)"
    "   FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = o.id),"
    "   '') AS products,"
    " (SELECT COALESCE(sum(i.qty), 0) FROM order_items i WHERE i.order_id = o.id) AS units,"
    " (SELECT count(*) FROM tickets t WHERE t.order_id = o.id) AS tickets,"
    " (SELECT count(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'used') AS used,"
    " COALESCE((SELECT p.method FROM payments p WHERE p.order_id = o.id"
    "   AND p.confirm_state = 'done' ORDER BY p.id DESC LIMIT 1), '') AS method,"
    " COALESCE(to_char(o.paid_at AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI:SS'), '')"
    "   AS paid_at,"
    " to_char(o.created_at AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI:SS') AS created_at"
    " FROM orders o WHERE" FILTER " ORDER BY o.created_at DESC, o.id DESC LIMIT $11",
    11);

enum col_kind { COL_TEXT, COL_NUM };

struct column {
	const char *header;
	const char *field; /* result column */
	enum col_kind kind;
	double width; /* XLSX */
};

static const struct column columns[] = {
    {"주문번호", "order_number", COL_TEXT, 18},
    {"상태", "status", COL_TEXT, 10},
    {"관람일", "visit_date", COL_TEXT, 12},
    {"주문자", "customer_name", COL_TEXT, 14},
    {"연락처", "customer_phone", COL_TEXT, 15},
    {"이메일", "email", COL_TEXT, 24},
    {"상품", "products", COL_TEXT, 30},
    {"수량", "units", COL_NUM, 6},
    {"결제금액", "amount", COL_NUM, 11},
    {"환불금액", "refunded", COL_NUM, 11},
    {"티켓", "tickets", COL_NUM, 6},
    {"입장", "used", COL_NUM, 6},
    {"결제수단", "method", COL_TEXT, 10},
    {"결제일시", "paid_at", COL_TEXT, 20},
    {"주문일시", "created_at", COL_TEXT, 20},
    {"경로", "source", COL_TEXT, 8},
};

static const char *status_label(const char *s)
{
	static const char *const labels[][2] = {
	    {"pending", "결제대기"},
	    {"paid", "결제완료"},
	    {"expired", "만료"},
	    {"canceled", "취소"},
	    {"refunded", "환불"},
	    {"partially_refunded", "부분환불"},
	    {"payment_failed", "결제실패"},
	};
	for (size_t i = 0; i < TK_ARRAY_LEN(labels); i++)
		if (strcmp(labels[i][0], s) == 0)
			return labels[i][1];
	return s;
}

static const char *source_label(const char *s)
{
	if (strcmp(s, "web") == 0)
		return "온라인";
	if (strcmp(s, "invitation") == 0)
		return "초대";
	if (strcmp(s, "manual") == 0)
		return "수동";
	return s;
}

/* 01012345678 → 010-1234-5678 (text that keeps its leading zero). */
static const char *phone_text(struct arena *a, const char *d)
{
	size_t n = strlen(d);
	if (n == 11)
		return arena_printf(a, "%.3s-%.4s-%s", d, d + 3, d + 7);
	if (n == 10)
		return arena_printf(a, "%.3s-%.3s-%s", d, d + 3, d + 6);
	return d;
}

bool orders_cell_risky(const char *s)
{
	/* Full-width ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20): some
	 * spreadsheet input paths fold them to their ASCII forms. */
	static const char *const wide[] = {"\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d",
	                                   "\xef\xbc\xa0"};
	if (s == NULL || *s == '\0')
		return false;
	if (strchr("=+-@\t\r\n", *s))
		return true;
	for (size_t i = 0; i < TK_ARRAY_LEN(wide); i++)
		if (strncmp(s, wide[i], 3) == 0)
			return true;
	return false;
}

/* A text cell's value as written: an apostrophe before a risky start. */
static const char *cell_text(struct arena *a, const char *s)
{
	return orders_cell_risky(s) ? arena_printf(a, "'%s", s) : s;
}

/* The value of column c in row i of an export result. */
static const char *cell_value(struct arena *a, const PGresult *res, int i, const struct column *c)
{
	const char *v = db_str(res, i, c->field);
	if (v == NULL)
		return "";
	if (strcmp(c->field, "status") == 0)
		return status_label(v);
	if (strcmp(c->field, "source") == 0)
		return source_label(v);
	if (strcmp(c->field, "customer_phone") == 0)
		return phone_text(a, v);
	return v;
}

/* RFC 4180: every text field quoted, quotes doubled; numbers bare. */
static void csv_field(struct buf *b, const char *s, bool text)
{
	if (!text) {
		buf_add(b, s);
		return;
	}
	buf_add(b, "\"");
	for (const char *p = s; *p; p++) {
		const char *q = strchr(p, '"');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		buf_addn(b, p, n);
		p += n;
		if (*p == '\0')
			break;
		buf_add(b, "\"\"");
	}
	buf_add(b, "\"");
}

static bool csv_build(struct http_req *r, const PGresult *res, const char **out, size_t *len)
{
	struct buf b = {r->arena, NULL, 0, 0, ORDERS_EXPORT_BYTES, false};

	buf_add(&b, "\xef\xbb\xbf"); /* BOM: Excel reads the file as UTF-8 */
	for (size_t c = 0; c < TK_ARRAY_LEN(columns); c++) {
		buf_add(&b, c ? "," : "");
		csv_field(&b, columns[c].header, true);
	}
	buf_add(&b, "\r\n");
	for (int i = 0; i < db_rows(res); i++) {
		for (size_t c = 0; c < TK_ARRAY_LEN(columns); c++) {
			const char *v = cell_value(r->arena, res, i, &columns[c]);
			bool text = columns[c].kind == COL_TEXT;
			buf_add(&b, c ? "," : "");
			csv_field(&b, text ? cell_text(r->arena, v) : v, text);
		}
		buf_add(&b, "\r\n");
	}
	if (b.over)
		return false;
	*out = b.p;
	*len = b.len;
	return true;
}

/* Reads a whole file (at most max bytes) into the arena. */
static bool read_file(struct arena *a, const char *path, size_t max, const char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p;
	size_t got = 0;
	bool ok = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > max)
		goto out;
	p = arena_alloc(a, (size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	*out = p;
	*len = got;
	ok = true;
out:
	close(fd);
	return ok;
}

/* The workbook goes to a temporary file (libxlsxwriter writes files), is
 * read back and removed whatever happens. */
static bool xlsx_build(struct http_req *r, const PGresult *res, const char **out, size_t *len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *head;
	lxw_error err = LXW_NO_ERROR;
	bool ok = false;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	path = arena_printf(r->arena, "%s/ticketd-export-XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0) {
		log_event(LOG_ERROR, "export_tmpfile", "dir", dir, "error", strerror(errno), NULL);
		return false;
	}
	close(fd);
	{
		lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)dir};
		wb = workbook_new_opt(path, &opt);
	}
	if (wb == NULL)
		goto out;
	ws = workbook_add_worksheet(wb, "주문");
	head = workbook_add_format(wb);
	if (ws == NULL || head == NULL) {
		workbook_close(wb);
		goto out;
	}
	format_set_bold(head);
	for (size_t c = 0; c < TK_ARRAY_LEN(columns); c++) {
		lxw_col_t col = (lxw_col_t)c;
		if (err == LXW_NO_ERROR)
			err = worksheet_set_column(ws, col, col, columns[c].width, NULL);
	}
	worksheet_freeze_panes(ws, 1, 0);
	for (size_t c = 0; c < TK_ARRAY_LEN(columns) && err == LXW_NO_ERROR; c++)
		err = worksheet_write_string(ws, 0, (lxw_col_t)c, columns[c].header, head);
	for (int i = 0; i < db_rows(res) && err == LXW_NO_ERROR; i++) {
		lxw_row_t row = (lxw_row_t)i + 1;
		for (size_t c = 0; c < TK_ARRAY_LEN(columns) && err == LXW_NO_ERROR; c++) {
			const char *v = cell_value(r->arena, res, i, &columns[c]);
			if (columns[c].kind == COL_NUM)
				err = worksheet_write_number(ws, row, (lxw_col_t)c, strtod(v, NULL),
				                             NULL);
			else if (*v)
				/* Always a string cell, never a formula; risky starts get
				 * their apostrophe as in the CSV. */
				err = worksheet_write_string(ws, row, (lxw_col_t)c,
				                             cell_text(r->arena, v), NULL);
		}
	}
	if (err == LXW_NO_ERROR && db_rows(res) > 0)
		err = worksheet_autofilter(ws, 0, 0, (lxw_row_t)db_rows(res),
		                           (lxw_col_t)(TK_ARRAY_LEN(columns) - 1));
	if (err != LXW_NO_ERROR) {
		log_event(LOG_ERROR, "export_xlsx_write", "error", lxw_strerror(err), NULL);
		workbook_close(wb);
		goto out;
	}
	if ((err = workbook_close(wb)) != LXW_NO_ERROR) {
		log_event(LOG_ERROR, "export_xlsx_close", "error", lxw_strerror(err), NULL);
		goto out;
	}
	ok = read_file(r->arena, path, ORDERS_EXPORT_BYTES, out, len);
out:
	unlink(path);
	return ok;
}

/* RFC 5987 value: UTF-8 bytes, all but unreserved characters encoded. */
static const char *pct_encode(struct arena *a, const char *s)
{
	char *out = arena_alloc(a, strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

/* The first max characters of a UTF-8 text. */
static const char *utf8_head(struct arena *a, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;
	while (*p && chars < max) {
		p++;
		while ((*p & 0xC0) == 0x80)
			p++;
		chars++;
	}
	return arena_strndup(a, s, (size_t)((const char *)p - s));
}

void orders_export(struct http_req *r)
{
	struct orders_filter f;
	const char *format = http_query(r, "format"), *params[N_FILTER + 1], *body = NULL, *title;
	char iso[32], stamp[16];
	size_t len = 0;
	bool xlsx, ok;
	PGresult *ev, *res;
	enum db_err e;
	cJSON *sum;

	if (format == NULL || *format == '\0')
		format = "xlsx";
	xlsx = strcmp(format, "xlsx") == 0;
	if (!xlsx && strcmp(format, "csv") != 0) {
		cJSON *errors = cJSON_CreateObject();
		json_field_error(r, errors, "format", "invalid");
		json_reply_validation(r, errors);
		return;
	}
	if (!filter_or_reply(r, &f))
		return;
	if ((e = db_exec(r->arena, &q_event, f.params, &ev)) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(ev) != 1) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	memcpy(params, f.params, sizeof(f.params));
	params[N_FILTER] = db_param_i64(r->arena, ORDERS_EXPORT_MAX + 1);
	if ((e = db_exec(r->arena, &q_export, params, &res)) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) > ORDERS_EXPORT_MAX) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddObjectToObject(d, "fields");
		cJSON_AddNumberToObject(d, "rows", (double)db_rows(res));
		cJSON_AddNumberToObject(d, "max", ORDERS_EXPORT_MAX);
		http_reply_error_full(r, 422, "VALIDATION",
		                      r->lang == LANG_EN
		                          ? "Too many orders to export; narrow the filter."
		                          : "내보낼 주문이 너무 많습니다. 조건을 좁혀 주세요.",
		                      d);
		return;
	}

	ok = xlsx ? xlsx_build(r, res, &body, &len) : csv_build(r, res, &body, &len);
	if (!ok) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}

	/* Exports carry customers' data out of the system: logged like a change. */
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "format", format);
	cJSON_AddNumberToObject(sum, "rows", (double)db_rows(res));
	{
		cJSON *fl = cJSON_AddObjectToObject(sum, "filters");
		const char *names[] = {"status", "visit_date", "q", "from", "to"};
		const char *vals[] = {f.status, f.visit_date, f.q, http_query(r, "from"),
		                      http_query(r, "to")};
		for (size_t i = 0; i < TK_ARRAY_LEN(names); i++)
			if (vals[i] && *vals[i])
				cJSON_AddStringToObject(fl, names[i], vals[i]);
	}
	if ((e = db_begin()) != DB_OK ||
	    (e = audit_log(r, r->event_id, "order.export", "event", f.params[0], sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}

	tk_iso_seoul(tk_now_ms(), iso); /* 2026-11-21T10:00:00+09:00 */
	snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2s-%.2s%.2s%.2s", iso, iso + 5, iso + 8, iso + 11,
	         iso + 14, iso + 17);
	title = utf8_head(r->arena, db_str(ev, 0, "title"), TITLE_IN_FILENAME);
	http_add_header(
	    r, "Content-Disposition",
	    arena_printf(r->arena, "attachment; filename=\"orders-%s-%s.%s\"; filename*=UTF-8''%s",
	                 db_str(ev, 0, "code"), stamp, format,
	                 pct_encode(r->arena, arena_printf(r->arena, "%s-주문-%s.%s", title, stamp,
	                                                   format))));
	http_reply(r, 200,
	           xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	                : "text/csv; charset=utf-8",
	           body, len);
}
