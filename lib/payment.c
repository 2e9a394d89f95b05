/* payment.c — Toss payments and the commit of an order (see payment.h). */
#include "payment.h"

#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "pending.h"
#include "stock.h"
#include "ticket.h"
#include "toss.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Time a webhook may spend asking Toss, so its answer stays under a second. */
#define PAYMENT_WEBHOOK_TOSS_BUDGET_MS 700L

#define COMMIT_TRIES 3 /* a deadlock between two commits is retried */
#define WEBHOOK_ID_MAX 200
#define WEBHOOK_TYPE_MAX 64

/* ---- statements ------------------------------------------------------------ */

/* An order by the orderId handed to Toss. done_key: the payment Toss
 * confirmed for it and we recorded (paid orders; canceled ones whose
 * payment the quota could not take). */
#define ORDER_SELECT \
	"SELECT o.id, o.event_id, e.code AS event_code, o.order_number, o.status, o.amount," \
	" o.access_token, o.reservation_token, o.toss_order_id," \
	" COALESCE(o.hold_expires_at > now(), false) AS live," \
	" (SELECT p.payment_key FROM payments p WHERE p.order_id = o.id" \
	"   AND p.confirm_state = 'done' AND p.status <> 'WAITING_FOR_DEPOSIT'" \
	"   ORDER BY p.id DESC LIMIT 1) AS done_key" \
	" FROM orders o JOIN events e ON e.id = o.event_id WHERE o.toss_order_id = $1"

static struct db_stmt q_order = DB_STMT(ORDER_SELECT, 1);
static struct db_stmt q_order_lock = DB_STMT(ORDER_SELECT " FOR UPDATE OF o", 1);

/* The attempt, committed before the confirm call. A key of another order,
 * or one already settled, is left alone (no row back). */
static struct db_stmt q_attempt = DB_STMT(
    "INSERT INTO payments (order_id, payment_key, toss_order_id, status, total_amount,"
    " balance_amount, confirm_state)"
    " VALUES ($1, $2, $3, 'IN_PROGRESS', $4, $4, 'requested')"
    " ON CONFLICT ON CONSTRAINT payments_payment_key_key DO UPDATE"
    " SET confirm_state = 'requested', last_error = NULL"
    " WHERE payments.order_id = EXCLUDED.order_id AND payments.confirm_state <> 'done'"
    " RETURNING id",
    4);

static struct db_stmt q_attempt_fail = DB_STMT(
    "UPDATE payments SET confirm_state = 'failed', status = $3, last_error = $4::jsonb"
    " WHERE payment_key = $1 AND order_id = $2 AND confirm_state <> 'done'",
    4);

/* Toss's view of a payment. A row already 'done' is never set back to
 * 'requested' or 'failed'. */
static struct db_stmt q_pay_upsert = DB_STMT(
    "INSERT INTO payments (order_id, payment_key, toss_order_id, method, status, total_amount,"
    " balance_amount, requested_at, approved_at, raw, confirm_state, secret, last_error)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10::jsonb, $11,"
    "   $12, $13::jsonb)"
    " ON CONFLICT ON CONSTRAINT payments_payment_key_key DO UPDATE SET"
    " method = COALESCE(EXCLUDED.method, payments.method), status = EXCLUDED.status,"
    " total_amount = EXCLUDED.total_amount, balance_amount = EXCLUDED.balance_amount,"
    " requested_at = COALESCE(EXCLUDED.requested_at, payments.requested_at),"
    " approved_at = COALESCE(EXCLUDED.approved_at, payments.approved_at),"
    " raw = COALESCE(EXCLUDED.raw, payments.raw), confirm_state = EXCLUDED.confirm_state,"
    " secret = COALESCE(EXCLUDED.secret, payments.secret), last_error = EXCLUDED.last_error"
    " WHERE payments.order_id = EXCLUDED.order_id"
    "   AND NOT (payments.confirm_state = 'done' AND EXCLUDED.confirm_state <> 'done')"
    " RETURNING id",
    13);

/* Status and balance of a confirmed payment (cancels seen by webhook). */
static struct db_stmt q_pay_sync = DB_STMT(
    "UPDATE payments SET status = $2, balance_amount = $3, raw = COALESCE($4::jsonb, raw)"
    " WHERE payment_key = $1 AND (status <> $2 OR balance_amount <> $3) RETURNING id",
    4);

static struct db_stmt q_refund_ours = DB_STMT(
    "SELECT EXISTS (SELECT 1 FROM refunds WHERE toss_transaction_key = $1) AS ours", 1);

static struct db_stmt q_release = DB_STMT(
    "UPDATE orders SET status = 'payment_failed' WHERE id = $1 AND status = 'pending'"
    " RETURNING reservation_token",
    1);

/* No row back when another road canceled it first (or it is paid). */
static struct db_stmt q_cancel_order = DB_STMT(
    "UPDATE orders SET status = 'canceled', canceled_at = now()"
    " WHERE id = $1 AND status NOT IN ('paid', 'refunded', 'partially_refunded')"
    "   AND NOT (status = 'canceled' AND EXISTS (SELECT 1 FROM payments p"
    "     WHERE p.order_id = orders.id AND p.payment_key = $2 AND p.confirm_state = 'done'))"
    " RETURNING id",
    2);

/* What the order takes from each quota, in quota order (a fixed lock
 * order between concurrent commits). */
static struct db_stmt q_lines = DB_STMT(
    "SELECT u.quota_id, CASE WHEN q.per_day THEN o.visit_date::text ELSE '' END AS date,"
    " sum(oi.qty * u.units)::bigint AS n"
    " FROM orders o JOIN order_items oi ON oi.order_id = o.id"
    " JOIN product_quota_units u ON u.product_id = oi.product_id"
    " JOIN quotas q ON q.id = u.quota_id"
    " WHERE o.id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
    1);

static struct db_stmt q_usage_row = DB_STMT(
    "INSERT INTO quota_usage (quota_id, visit_date) VALUES ($1, NULLIF($2, '')::date)"
    " ON CONFLICT (quota_id, COALESCE(visit_date, '0001-01-01'::date)) DO NOTHING",
    2);

/* PostgreSQL's last word against overselling. */
static struct db_stmt q_usage_take = DB_STMT(
    "UPDATE quota_usage SET sold = sold + $3"
    " WHERE quota_id = $1"
    "   AND COALESCE(visit_date, '0001-01-01'::date)"
    "     = COALESCE(NULLIF($2, '')::date, '0001-01-01'::date)"
    "   AND sold + $3 <= capacity"
    " RETURNING sold",
    3);

static struct db_stmt q_paid = DB_STMT(
    "UPDATE orders SET status = 'paid', paid_at = now(), canceled_at = NULL WHERE id = $1", 1);

/* Tickets per order item: qty × admits, dated when the product is. */
static struct db_stmt q_ticket_plan = DB_STMT(
    "SELECT oi.id AS item_id, oi.product_id, (oi.qty * p.admits)::bigint AS n,"
    " CASE WHEN p.dated OR EXISTS (SELECT 1 FROM product_quota_units u"
    "     JOIN quotas q ON q.id = u.quota_id WHERE u.product_id = p.id AND q.per_day)"
    "   THEN o.visit_date::text END AS visit_date"
    " FROM order_items oi JOIN products p ON p.id = oi.product_id"
    " JOIN orders o ON o.id = oi.order_id"
    " WHERE oi.order_id = $1 ORDER BY oi.id",
    1);

static struct db_stmt q_ticket_ids = DB_STMT(
    "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id"
    " FROM generate_series(1, $1::int)",
    1);

static struct db_stmt q_ticket_insert = DB_STMT(
    "INSERT INTO tickets (id, order_id, order_item_id, event_id, product_id, code, visit_date)"
    " OVERRIDING SYSTEM VALUE"
    " SELECT x.id, $1, x.item, $2, x.product, x.code, x.d::date"
    " FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])"
    "   AS x(id, item, product, code, d)",
    7);

static struct db_stmt q_notify = DB_STMT(
    "INSERT INTO notifications (event_id, order_id, channel, template_code, recipient, params)"
    " SELECT o.event_id, o.id, 'alimtalk', 'TICKET_CONFIRM', o.customer_phone,"
    "   jsonb_build_object('name', o.customer_name, 'orderNumber', o.order_number, 'url', $2::text,"
    "     'event', e.title, 'visitDate', COALESCE(o.visit_date::text, '관람 기간 중 하루'),"
    "     'tickets', (SELECT string_agg(p.name || ' ' || oi.qty || '매', ', ' ORDER BY oi.id)"
    "       FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = o.id))"
    " FROM orders o JOIN events e ON e.id = o.event_id WHERE o.id = $1",
    2);

/* The system's own entries (admin NULL); audit_log needs an admin's request. */
static struct db_stmt q_activity = DB_STMT(
    "INSERT INTO activity_log (event_id, action, target_type, target_id, summary, ip,"
    " user_agent, request_id)"
    " VALUES ($1, $2, 'order', $3, $4::jsonb, $5::inet, '', $6)",
    6);

static struct db_stmt q_wh_insert = DB_STMT(
    "INSERT INTO webhook_deliveries (transmission_id, event_type, payload)"
    " VALUES ($1, $2, $3::jsonb)"
    " ON CONFLICT ON CONSTRAINT webhook_deliveries_transmission_id_key DO NOTHING"
    " RETURNING id",
    3);

static struct db_stmt q_wh_get = DB_STMT(
    "SELECT id, processed_at IS NOT NULL AS processed, result FROM webhook_deliveries"
    " WHERE transmission_id = $1",
    1);

static struct db_stmt q_wh_done = DB_STMT(
    "UPDATE webhook_deliveries SET result = $2,"
    " processed_at = CASE WHEN $3::boolean THEN now() END WHERE id = $1",
    3);

static struct db_stmt q_wh_stuck = DB_STMT(
    "SELECT id, payload::text AS payload FROM webhook_deliveries"
    " WHERE processed_at IS NULL AND received_at < now() - make_interval(secs => $1)"
    "   AND received_at > now() - interval '3 days'"
    " ORDER BY received_at LIMIT $2",
    2);

static struct db_stmt q_stuck = DB_STMT(
    "SELECT p.payment_key, p.toss_order_id, p.total_amount, o.id AS order_id,"
    " (p.created_at < now() - make_interval(secs => $2)) AS lapsed"
    " FROM payments p JOIN orders o ON o.id = p.order_id"
    " WHERE p.confirm_state = 'requested' AND p.payment_key IS NOT NULL"
    "   AND p.updated_at < now() - make_interval(secs => $1)"
    " ORDER BY p.updated_at LIMIT $3",
    3);

/* Payments the quota refused whose cancel Toss did not take yet. */
static struct db_stmt q_cancel_owed = DB_STMT(
    "SELECT p.payment_key, p.toss_order_id FROM payments p JOIN orders o ON o.id = p.order_id"
    " WHERE p.status = 'DONE' AND p.last_error IS NOT NULL AND o.status = 'canceled'"
    "   AND p.confirm_state = 'done' AND p.updated_at < now() - make_interval(secs => $1)"
    " ORDER BY p.updated_at LIMIT $2",
    2);

/* ---- helpers ---------------------------------------------------------------- */

struct order {
	int64_t id, event_id, amount;
	const char *event_code, *number, *status, *access, *token, *toss_order_id, *done_key;
	bool live;
};

static bool is_paid(const char *status)
{
	return strcmp(status, "paid") == 0 || strcmp(status, "refunded") == 0 ||
	       strcmp(status, "partially_refunded") == 0;
}

/* Canceled because the quota refused its confirmed payment: nothing more
 * may happen to it here. */
static bool is_final_cancel(const struct order *o)
{
	return strcmp(o->status, "canceled") == 0 && o->done_key != NULL;
}

static void free_text(void *p)
{
	cJSON_free(p);
}

static void delete_json(void *p)
{
	cJSON_Delete(p);
}

/* JSON text of a tree, owned by the arena; NULL for NULL. */
static const char *json_text(struct arena *a, const cJSON *obj)
{
	char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
	return arena_defer(a, free_text, s);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Loads the order paid with orderId; *found false when there is none. */
static enum db_err order_load(struct arena *a, const char *toss_order_id, bool lock,
                              struct order *o, bool *found)
{
	const char *params[] = {toss_order_id};
	PGresult *res;
	enum db_err e = db_exec(a, lock ? &q_order_lock : &q_order, params, &res);

	*found = false;
	memset(o, 0, sizeof(*o));
	if (e == DB_OK && db_rows(res) == 0 && !db_in_transaction()) {
		/* Perhaps still queued behind its hold (pending.h). */
		if (pending_flush_order(a, toss_order_id) == DB_OK)
			e = db_exec(a, lock ? &q_order_lock : &q_order, params, &res);
	}
	if (e != DB_OK)
		return e;
	if (db_rows(res) != 1)
		return DB_OK;
	*found = true;
	o->id = db_i64(res, 0, "id");
	o->event_id = db_i64(res, 0, "event_id");
	o->amount = db_i64(res, 0, "amount");
	o->event_code = db_str(res, 0, "event_code");
	o->number = db_str(res, 0, "order_number");
	o->status = db_str(res, 0, "status");
	o->access = db_str(res, 0, "access_token");
	o->token = db_str(res, 0, "reservation_token");
	o->toss_order_id = db_str(res, 0, "toss_order_id");
	o->done_key = db_str(res, 0, "done_key");
	o->live = db_bool(res, 0, "live");
	return DB_OK;
}

static void outcome_from(struct payment_outcome *out, const struct order *o)
{
	out->event_code = o->event_code;
	out->order_number = o->number;
	out->access_token = o->access;
	out->status = o->status;
}

static void outcome_toss(struct payment_outcome *out, const char *code, const char *message)
{
	snprintf(out->toss_code, sizeof(out->toss_code), "%s", code ? code : "");
	snprintf(out->toss_message, sizeof(out->toss_message), "%s", message ? message : "");
}

static enum db_err activity(struct arena *a, const struct payment_ctx *c, const struct order *o,
                            const char *action, cJSON *summary)
{
	const char *params[6];
	enum db_err e;

	cJSON_AddStringToObject(summary, "order_number", o->number);
	cJSON_AddStringToObject(summary, "via", c && c->via ? c->via : "");
	params[0] = db_param_i64(a, o->event_id);
	params[1] = action;
	params[2] = db_param_i64(a, o->id);
	params[3] = json_text(a, summary);
	params[4] = c ? nonempty(c->ip) : NULL;
	params[5] = c ? nonempty(c->request_id) : NULL;
	e = db_exec(a, &q_activity, params, NULL);
	cJSON_Delete(summary);
	return e;
}

/* An ISO instant PostgreSQL will take, or NULL. */
static const char *instant(const char *s)
{
	return s && tk_valid_datetime(s) ? s : NULL;
}

/* Records Toss's view of a payment for order o. last_error may be NULL.
 * DB_OK also when the row was left alone (already settled). */
static enum db_err pay_record(struct arena *a, const struct order *o, const struct toss_payment *p,
                              const char *confirm_state, const cJSON *last_error)
{
	const char *params[13];

	params[0] = db_param_i64(a, o->id);
	params[1] = p->payment_key;
	params[2] = o->toss_order_id;
	params[3] = nonempty(p->method);
	params[4] = p->status;
	params[5] = db_param_i64(a, p->total_amount);
	params[6] = db_param_i64(a, p->balance_amount);
	params[7] = instant(p->requested_at);
	params[8] = instant(p->approved_at);
	params[9] = json_text(a, p->raw);
	params[10] = confirm_state;
	params[11] = nonempty(p->secret);
	params[12] = json_text(a, last_error);
	return db_exec(a, &q_pay_upsert, params, NULL);
}

static cJSON *error_json(const char *code, const char *message)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "code", code ? code : "");
	cJSON_AddStringToObject(e, "message", message ? message : "");
	return e;
}

/* A pending order gives its hold back: payment_failed, Redis released.
 * Orders in any other status are left as they are. */
static enum db_err release_pending(struct arena *a, const struct order *o, const char *why)
{
	const char *params[] = {db_param_i64(a, o->id)};
	PGresult *res;
	enum db_err e = db_exec(a, &q_release, params, &res);

	if (e != DB_OK)
		return e;
	if (db_rows(res) == 1) {
		const char *tok = db_str(res, 0, "reservation_token");
		log_event(LOG_INFO, "payment_released", "order", o->number, "why", why, NULL);
		/* Gated in Redis: a hold that expired and went back is not
		 * released twice. If Redis is down, reconcile repairs it. */
		if (tok && stock_release(a, o->event_id, tok) == STOCK_DOWN)
			log_event(LOG_WARN, "payment_release_deferred", "order", o->number, NULL);
	}
	return DB_OK;
}

/* ---- the commit --------------------------------------------------------------- */

/* A growable text in the arena (arrays for unnest). */
struct sbuf {
	struct arena *a;
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;
		while (b->len + n + 1 > cap)
			cap *= 2;
		np = arena_alloc(b->a, cap);
		if (b->len)
			memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* One ticket per admitted person, with signed codes. Ids are drawn from
 * the identity sequence first because the code signs the ticket id. */
static enum db_err issue_tickets(struct arena *a, const struct order *o, size_t *issued)
{
	const char *params[7];
	PGresult *plan, *ids;
	struct sbuf bid = {a, NULL, 0, 0}, bitem = {a, NULL, 0, 0}, bprod = {a, NULL, 0, 0},
	            bcode = {a, NULL, 0, 0}, bdate = {a, NULL, 0, 0};
	int64_t total = 0;
	int k = 0;
	enum db_err e;

	*issued = 0;
	e = db_exec(a, &q_ticket_plan, (const char *[]){db_param_i64(a, o->id)}, &plan);
	if (e != DB_OK)
		return e;
	for (int i = 0; i < db_rows(plan); i++)
		total += db_i64(plan, i, "n");
	if (total == 0)
		return DB_OK;
	if (total < 0 || total > PAYMENT_MAX_TICKETS) {
		log_event(LOG_ERROR, "payment_too_many_tickets", "order", o->number, NULL);
		return DB_ERROR;
	}
	e = db_exec(a, &q_ticket_ids, (const char *[]){db_param_i64(a, total)}, &ids);
	if (e != DB_OK)
		return e;
	if (db_rows(ids) != total)
		return DB_ERROR;
	sb_add(&bid, "{");
	sb_add(&bitem, "{");
	sb_add(&bprod, "{");
	sb_add(&bcode, "{");
	sb_add(&bdate, "{");
	for (int i = 0; i < db_rows(plan); i++) {
		const char *item = db_str(plan, i, "item_id"),
		           *prod = db_str(plan, i, "product_id");
		const char *date = db_str(plan, i, "visit_date");
		for (int64_t n = db_i64(plan, i, "n"); n > 0; n--, k++) {
			char code[TICKET_CODE_MAX + 1];
			const char *sep = k ? "," : "";
			enum ticket_err te = ticket_code_for(a, o->event_id, db_i64(ids, k, "id"),
			                                     date, code);
			if (te != TICKET_OK) {
				log_event(LOG_ERROR, "payment_ticket_code", "order", o->number,
				          "err", db_param_i64(a, te), NULL);
				return te == TICKET_DB ? DB_DOWN : DB_ERROR;
			}
			sb_add(&bid, sep);
			sb_add(&bid, db_str(ids, k, "id"));
			sb_add(&bitem, sep);
			sb_add(&bitem, item);
			sb_add(&bprod, sep);
			sb_add(&bprod, prod);
			sb_add(&bcode, sep);
			sb_add(&bcode, "\"");
			sb_add(&bcode, code); /* base32: nothing to escape */
			sb_add(&bcode, "\"");
			sb_add(&bdate, sep);
			sb_add(&bdate, date ? date : "NULL");
		}
	}
	sb_add(&bid, "}");
	sb_add(&bitem, "}");
	sb_add(&bprod, "}");
	sb_add(&bcode, "}");
	sb_add(&bdate, "}");
	params[0] = db_param_i64(a, o->id);
	params[1] = db_param_i64(a, o->event_id);
	params[2] = bid.p;
	params[3] = bitem.p;
	params[4] = bprod.p;
	params[5] = bcode.p;
	params[6] = bdate.p;
	e = db_exec(a, &q_ticket_insert, params, NULL);
	if (e == DB_OK)
		*issued = (size_t)total;
	return e;
}

enum commit_res {
	C_PAID,      /* committed now */
	C_ALREADY,   /* it was paid before */
	C_FULL,      /* a quota refused: rolled back */
	C_FINAL,     /* canceled for good (an earlier quota refusal) */
	C_NOT_FOUND, /* no such order */
	C_MISMATCH,  /* Toss's amount is not the order's */
	C_RETRY,     /* deadlock: try again */
	C_DB,        /* PostgreSQL failed */
};

/* The quota lines of an order, for Redis after the commit. */
static size_t lines_from(const PGresult *res, struct stock_line *lines)
{
	size_t n = 0;
	for (int i = 0; i < db_rows(res) && n < STOCK_MAX_LINES; i++, n++) {
		lines[n].quota_id = db_i64(res, i, "quota_id");
		snprintf(lines[n].date, sizeof(lines[n].date), "%s", db_str(res, i, "date"));
		lines[n].qty = db_i64(res, i, "n");
	}
	return n;
}

enum payment_err payment_sell_free(struct arena *a, int64_t order_id, int64_t event_id,
                                   const char *number, struct stock_line *lines, size_t *n_lines,
                                   size_t *tickets)
{
	struct order o = {.id = order_id, .event_id = event_id, .number = number};
	const char *oid = db_param_i64(a, order_id);
	PGresult *res;
	enum db_err e;

	*n_lines = 0;
	*tickets = 0;
	if ((e = db_exec(a, &q_lines, (const char *[]){oid}, &res)) != DB_OK)
		return PAYMENT_DB;
	for (int i = 0; i < db_rows(res); i++) {
		const char *quota = db_str(res, i, "quota_id"), *date = db_str(res, i, "date");
		PGresult *t;
		if (db_exec(a, &q_usage_row, (const char *[]){quota, date}, NULL) != DB_OK ||
		    db_exec(a, &q_usage_take, (const char *[]){quota, date, db_str(res, i, "n")},
		            &t) != DB_OK)
			return PAYMENT_DB;
		if (db_rows(t) != 1)
			return PAYMENT_SOLD_OUT;
	}
	*n_lines = lines_from(res, lines);
	return issue_tickets(a, &o, tickets) == DB_OK ? PAYMENT_OK : PAYMENT_DB;
}

static enum commit_res commit_once(struct arena *a, const struct payment_ctx *c,
                                   const struct toss_payment *p, struct order *o,
                                   struct stock_line *lines, size_t *n_lines)
{
	PGresult *res;
	bool found;
	size_t tickets = 0;
	enum db_err e;
	cJSON *sum;

	*n_lines = 0;
	if ((e = db_begin()) != DB_OK)
		return C_DB;
	if ((e = order_load(a, p->order_id, true, o, &found)) != DB_OK)
		goto fail;
	if (!found) {
		db_rollback();
		return C_NOT_FOUND;
	}
	if (is_paid(o->status)) {
		db_rollback();
		return C_ALREADY;
	}
	if (is_final_cancel(o)) {
		db_rollback();
		return C_FINAL;
	}
	if (p->total_amount != o->amount) {
		db_rollback();
		log_event(LOG_ERROR, "payment_amount_differs", "order", o->number, "payment_key",
		          p->payment_key, "toss_amount", db_param_i64(a, p->total_amount), NULL);
		return C_MISMATCH;
	}
	if ((e = db_exec(a, &q_lines, (const char *[]){db_param_i64(a, o->id)}, &res)) != DB_OK)
		goto fail;
	if (db_rows(res) > STOCK_MAX_LINES)
		log_event(LOG_ERROR, "payment_too_many_lines", "order", o->number, NULL);
	for (int i = 0; i < db_rows(res); i++) {
		const char *quota = db_str(res, i, "quota_id"), *date = db_str(res, i, "date");
		PGresult *t;
		if ((e = db_exec(a, &q_usage_row, (const char *[]){quota, date}, NULL)) != DB_OK)
			goto fail;
		e = db_exec(a, &q_usage_take, (const char *[]){quota, date, db_str(res, i, "n")},
		            &t);
		if (e != DB_OK)
			goto fail;
		if (db_rows(t) != 1) {
			db_rollback();
			*n_lines = lines_from(res, lines);
			log_event(LOG_WARN, "payment_quota_full", "order", o->number, "quota",
			          quota, "date", date, NULL);
			return C_FULL;
		}
	}
	*n_lines = lines_from(res, lines);
	if ((e = db_exec(a, &q_paid, (const char *[]){db_param_i64(a, o->id)}, NULL)) != DB_OK)
		goto fail;
	if ((e = pay_record(a, o, p, "done", NULL)) != DB_OK)
		goto fail;
	if ((e = issue_tickets(a, o, &tickets)) != DB_OK)
		goto fail;
	{
		const char *url = arena_printf(a, "%s/%s/orders/%s?access=%s", cfg.base_url,
		                               o->event_code, o->number, o->access);
		if ((e = db_exec(a, &q_notify, (const char *[]){db_param_i64(a, o->id), url},
		                 NULL)) != DB_OK)
			goto fail;
	}
	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "payment_key", p->payment_key);
	cJSON_AddNumberToObject(sum, "amount", (double)o->amount);
	cJSON_AddStringToObject(sum, "method", p->method);
	cJSON_AddNumberToObject(sum, "tickets", (double)tickets);
	cJSON_AddBoolToObject(sum, "hold_expired", !(strcmp(o->status, "pending") == 0 && o->live));
	if ((e = activity(a, c, o, "order.paid", sum)) != DB_OK)
		goto fail;
	if ((e = db_commit()) != DB_OK)
		goto fail;
	o->status = "paid";
	o->done_key = p->payment_key;
	return C_PAID;
fail:
	db_rollback();
	return e == DB_RETRY ? C_RETRY : C_DB;
}

/* The quota refused a confirmed payment: cancel it at Toss in full, record
 * it, cancel the order and give its hold back. If Toss cannot be reached the
 * payment stays recorded as DONE on a canceled order, and the daemon retries
 * the cancel (payment_settle_stuck). */
static enum payment_err cancel_refused(struct arena *a, const struct payment_ctx *c,
                                       struct order *o, const struct toss_payment *p,
                                       struct payment_outcome *out)
{
	bool expired = !(strcmp(o->status, "pending") == 0 && o->live);
	char idem[TOSS_IDEM_MAX + 1];
	struct toss_payment cp, gp;
	struct toss_error err;
	const struct toss_payment *rec = p;
	cJSON *last_error = NULL, *sum;
	PGresult *res;
	bool changed;
	enum toss_err te;
	enum db_err e;

	memset(&err, 0, sizeof(err));
	snprintf(idem, sizeof(idem), "soldout-%s", p->payment_key);
	te = toss_cancel(a, p->payment_key, PAYMENT_CANCEL_REASON, 0, idem, &cp, &err);
	if (te == TOSS_RETRY)
		te = toss_cancel(a, p->payment_key, PAYMENT_CANCEL_REASON, 0, idem, &cp, &err);
	if (te == TOSS_OK) {
		rec = &cp;
	} else if (te == TOSS_FAILED && strcmp(err.code, "ALREADY_CANCELED_PAYMENT") == 0 &&
	           toss_get(a, p->payment_key, &gp, &err) == TOSS_OK) {
		rec = &gp;
	} else {
		last_error = cJSON_CreateObject();
		cJSON_AddItemToObject(last_error, "cancel", error_json(err.code, err.message));
		log_event(LOG_ERROR, "payment_cancel_failed", "order", o->number, "payment_key",
		          p->payment_key, "code", err.code, NULL);
	}
	if ((e = db_begin()) != DB_OK)
		goto fail;
	if ((e = db_exec(a, &q_cancel_order,
	                 (const char *[]){db_param_i64(a, o->id), p->payment_key}, &res)) != DB_OK)
		goto fail;
	changed = db_rows(res) == 1;
	if ((e = pay_record(a, o, rec, "done", last_error)) != DB_OK)
		goto fail;
	if (changed) { /* two roads racing here log it once */
		sum = cJSON_CreateObject();
		cJSON_AddStringToObject(sum, "payment_key", p->payment_key);
		cJSON_AddStringToObject(sum, "reason", PAYMENT_CANCEL_REASON);
		cJSON_AddBoolToObject(sum, "toss_canceled", rec != p);
		cJSON_AddBoolToObject(sum, "hold_expired", expired);
		if ((e = activity(a, c, o, "order.sold_out_canceled", sum)) != DB_OK)
			goto fail;
	}
	if ((e = db_commit()) != DB_OK)
		goto fail;
	cJSON_Delete(last_error);
	if (o->token && stock_release(a, o->event_id, o->token) == STOCK_DOWN)
		log_event(LOG_WARN, "payment_release_deferred", "order", o->number, NULL);
	o->status = "canceled";
	outcome_from(out, o);
	return expired ? PAYMENT_EXPIRED : PAYMENT_SOLD_OUT;
fail:
	db_rollback();
	cJSON_Delete(last_error);
	log_event(LOG_ERROR, "payment_cancel_record_failed", "order", o->number, "payment_key",
	          p->payment_key, NULL);
	return PAYMENT_DB;
}

/* Commits the order of a DONE payment (see payment.h). */
static enum payment_err payment_commit(struct arena *a, const struct payment_ctx *c,
                                       const struct toss_payment *p, struct payment_outcome *out)
{
	struct order o;
	struct stock_line lines[STOCK_MAX_LINES];
	size_t n = 0;
	enum commit_res cr = C_RETRY;

	for (int i = 0; i < COMMIT_TRIES && cr == C_RETRY; i++)
		cr = commit_once(a, c, p, &o, lines, &n);
	if (cr != C_NOT_FOUND && cr != C_DB && cr != C_RETRY)
		outcome_from(out, &o);
	switch (cr) {
	case C_PAID: {
		bool was_live = false;
		enum stock_err se = STOCK_OK;
		/* The sale is committed; Redis follows. A failure here is drift
		 * the reconciler repairs (capacity − sold − live holds). */
		if (o.token && n > 0)
			se = stock_consume(a, o.event_id, o.token, lines, n, &was_live);
		if (se != STOCK_OK)
			log_event(LOG_WARN, "payment_consume_deferred", "order", o.number, NULL);
		log_event(LOG_INFO, "order_paid", "order", o.number, "via", c ? c->via : NULL,
		          "hold", was_live ? "live" : "gone", NULL);
		return PAYMENT_OK;
	}
	case C_ALREADY: return PAYMENT_OK;
	case C_FULL: return cancel_refused(a, c, &o, p, out);
	case C_FINAL: return o.live ? PAYMENT_SOLD_OUT : PAYMENT_EXPIRED;
	case C_NOT_FOUND: return PAYMENT_NOT_FOUND;
	case C_MISMATCH: return PAYMENT_AMOUNT_MISMATCH;
	default: return PAYMENT_DB;
	}
}

/* ---- applying what Toss says -------------------------------------------------- */

/* Applies the status of a payment fetched from Toss (never one from a
 * webhook body) to its order, once: DONE commits, ABORTED/EXPIRED release,
 * cancels are recorded. PAYMENT_PROVIDER when the payment is not final
 * yet (READY, IN_PROGRESS). */
static enum payment_err apply(struct arena *a, const struct payment_ctx *c,
                              const struct toss_payment *p, struct payment_outcome *out)
{
	struct order o;
	bool found;
	enum db_err e = order_load(a, p->order_id, false, &o, &found);
	const char *st = p->status;

	if (e != DB_OK)
		return PAYMENT_DB;
	if (!found)
		return PAYMENT_NOT_FOUND;
	outcome_from(out, &o);

	if (strcmp(st, "DONE") == 0) {
		if (is_paid(o.status))
			return PAYMENT_OK;
		return payment_commit(a, c, p, out);
	}
	if (strcmp(st, "WAITING_FOR_DEPOSIT") == 0) {
		if (is_paid(o.status))
			return PAYMENT_OK;
		if (pay_record(a, &o, p, "done", NULL) != DB_OK)
			return PAYMENT_DB;
		return PAYMENT_WAITING;
	}
	if (strcmp(st, "ABORTED") == 0 || strcmp(st, "EXPIRED") == 0) {
		if (is_paid(o.status))
			return PAYMENT_OK; /* another payment of the order is the one that counts */
		if (pay_record(a, &o, p, "failed", NULL) != DB_OK ||
		    release_pending(a, &o, st) != DB_OK)
			return PAYMENT_DB;
		outcome_toss(out, st, NULL);
		out->status = strcmp(o.status, "pending") == 0 ? "payment_failed" : o.status;
		return PAYMENT_REJECTED;
	}
	if (strcmp(st, "CANCELED") == 0 || strcmp(st, "PARTIAL_CANCELED") == 0) {
		PGresult *res;
		if (is_paid(o.status) || is_final_cancel(&o)) {
			/* Our refunds record themselves; a cancel made elsewhere (Toss's
			 * console) is recorded and logged for the managers, not acted
			 * on: tickets and stock follow only our refund flow. */
			const char *params[] = {p->payment_key, st,
			                        db_param_i64(a, p->balance_amount),
			                        json_text(a, p->raw)};
			if (db_exec(a, &q_pay_sync, params, &res) != DB_OK)
				return PAYMENT_DB;
			if (db_rows(res) == 1 && is_paid(o.status)) {
				PGresult *ours;
				bool is_ours = false;
				if (p->last_transaction_key[0] &&
				    db_exec(a, &q_refund_ours,
				            (const char *[]){p->last_transaction_key},
				            &ours) == DB_OK)
					is_ours = db_bool(ours, 0, "ours");
				if (!is_ours) {
					cJSON *sum = cJSON_CreateObject();
					cJSON_AddStringToObject(sum, "payment_key", p->payment_key);
					cJSON_AddStringToObject(sum, "status", st);
					cJSON_AddNumberToObject(sum, "balance_amount",
					                        (double)p->balance_amount);
					log_event(LOG_WARN, "payment_canceled_outside", "order",
					          o.number, "payment_key", p->payment_key, "status",
					          st, NULL);
					if (activity(a, c, &o, "order.payment_canceled_outside",
					             sum) != DB_OK)
						return PAYMENT_DB;
				}
			}
			return is_paid(o.status) ? PAYMENT_OK : PAYMENT_SOLD_OUT;
		}
		if (pay_record(a, &o, p, "failed", NULL) != DB_OK ||
		    release_pending(a, &o, st) != DB_OK)
			return PAYMENT_DB;
		outcome_toss(out, st, NULL);
		return PAYMENT_REJECTED;
	}
	return PAYMENT_PROVIDER; /* READY, IN_PROGRESS: not confirmed (yet) */
}

/* The outcome of a confirm is unknown (timeout, 5xx twice, garbage): ask
 * Toss what became of the payment and apply that. */
static enum payment_err settle(struct arena *a, const struct payment_ctx *c,
                               const char *payment_key, const char *order_id,
                               struct payment_outcome *out)
{
	struct toss_payment g;
	struct toss_error err;
	enum toss_err te = toss_get_by_order(a, order_id, &g, &err);

	/* The order's newest payment may be another attempt: ask for ours. */
	if (te == TOSS_OK && strcmp(g.payment_key, payment_key) != 0)
		te = toss_get(a, payment_key, &g, &err);
	if (te != TOSS_OK) {
		log_event(LOG_WARN, "payment_unsettled", "order_id", order_id, "payment_key",
		          payment_key, NULL);
		return PAYMENT_PROVIDER;
	}
	return apply(a, c, &g, out);
}

/* Toss refused the confirm: the attempt failed, a pending order gives its
 * hold back. */
static enum payment_err reject(struct arena *a, const struct order *o, const char *payment_key,
                               const struct toss_error *err, bool release,
                               struct payment_outcome *out)
{
	cJSON *le = error_json(err->code, err->message);
	const char *params[] = {payment_key, db_param_i64(a, o->id), "ABORTED", json_text(a, le)};
	enum db_err e = db_exec(a, &q_attempt_fail, params, NULL);

	cJSON_Delete(le);
	if (e == DB_OK && release)
		e = release_pending(a, o, "rejected");
	outcome_toss(out, err->code[0] ? err->code : "PAYMENT_REJECTED", err->message);
	if (release && strcmp(o->status, "pending") == 0)
		out->status = "payment_failed";
	log_event(LOG_INFO, "payment_rejected", "order", o->number, "code", err->code, NULL);
	return e == DB_OK ? PAYMENT_REJECTED : PAYMENT_DB;
}

enum payment_err payment_confirm(struct arena *a, const struct payment_ctx *c,
                                 const char *payment_key, const char *order_id, int64_t amount,
                                 struct payment_outcome *out)
{
	struct order o;
	struct toss_payment p;
	struct toss_error err;
	PGresult *res;
	bool found;
	enum toss_err te;

	memset(out, 0, sizeof(*out));
	memset(&err, 0, sizeof(err));
	if (order_load(a, order_id, false, &o, &found) != DB_OK)
		return PAYMENT_DB;
	if (!found)
		return PAYMENT_NOT_FOUND;
	outcome_from(out, &o);
	if (is_paid(o.status)) {
		/* The same success URL again: the same answer. Another key must
		 * not learn the access token. */
		return o.done_key && auth_equal(o.done_key, payment_key) ? PAYMENT_OK
		                                                         : PAYMENT_CONFLICT;
	}
	if (is_final_cancel(&o))
		return o.live ? PAYMENT_SOLD_OUT : PAYMENT_EXPIRED;
	if (amount != o.amount) {
		log_event(LOG_WARN, "payment_amount_mismatch", "order", o.number, "amount",
		          db_param_i64(a, amount), NULL);
		if (release_pending(a, &o, "amount_mismatch") != DB_OK)
			return PAYMENT_DB;
		if (strcmp(o.status, "pending") == 0)
			out->status = "payment_failed";
		return PAYMENT_AMOUNT_MISMATCH;
	}

	/* The attempt is on disk before Toss hears of it: a worker that dies
	 * in the confirm leaves a row the daemon settles. */
	{
		const char *params[] = {db_param_i64(a, o.id), payment_key, o.toss_order_id,
		                        db_param_i64(a, o.amount)};
		if (db_exec(a, &q_attempt, params, &res) != DB_OK)
			return PAYMENT_DB;
		if (db_rows(res) != 1)
			return PAYMENT_CONFLICT;
	}

	te = toss_confirm(a, payment_key, order_id, amount, order_id, &p, &err);
	if (te == TOSS_RETRY)
		te = toss_confirm(a, payment_key, order_id, amount, order_id, &p, &err);
	switch (te) {
	case TOSS_OK:
		if (strcmp(p.order_id, order_id) != 0 || strcmp(p.payment_key, payment_key) != 0) {
			/* Idempotency-Key = orderId: Toss replayed its answer to an
			 * earlier attempt of this order. This one cannot be confirmed. */
			struct toss_error replay = {0, "IDEMPOTENT_REPLAY", ""};
			log_event(LOG_WARN, "payment_confirm_replayed", "order_id", order_id,
			          "payment_key", payment_key, NULL);
			if (reject(a, &o, payment_key, &replay, false, out) == PAYMENT_DB)
				return PAYMENT_DB;
			return PAYMENT_CONFLICT;
		}
		return apply(a, c, &p, out);
	case TOSS_FAILED:
		if (strcmp(err.code, "ALREADY_PROCESSED_PAYMENT") == 0)
			return settle(a, c, payment_key, order_id, out);
		if (strcmp(toss_error_ours(&err), "PAYMENT_PROVIDER_ERROR") == 0) {
			/* Our keys are wrong, or Toss's side failed: not the buyer's
			 * card. The attempt stays 'requested' for the daemon. */
			log_event(LOG_ERROR, "payment_toss_auth", "code", err.code, NULL);
			outcome_toss(out, err.code, err.message);
			return PAYMENT_PROVIDER;
		}
		/* Refused before sending (http_status 0: an argument Toss would
		 * refuse) is ours, not the buyer's: the hold stays. */
		return reject(a, &o, payment_key, &err, err.http_status != 0, out);
	case TOSS_NOT_FOUND:
		/* An unknown paymentKey (or a session past 10 minutes) says
		 * nothing about the buyer's reservation: the attempt fails, the
		 * hold stays until it expires. */
		return reject(a, &o, payment_key, &err, false, out);
	default: return settle(a, c, payment_key, order_id, out);
	}
}

enum payment_err payment_abandon(struct arena *a, const struct payment_ctx *c, const char *order_id,
                                 struct payment_outcome *out)
{
	struct order o;
	bool found;

	TK_UNUSED(c);
	memset(out, 0, sizeof(*out));
	if (order_load(a, order_id, false, &o, &found) != DB_OK)
		return PAYMENT_DB;
	if (!found)
		return PAYMENT_NOT_FOUND;
	outcome_from(out, &o);
	if (release_pending(a, &o, "fail_redirect") != DB_OK)
		return PAYMENT_DB;
	if (strcmp(o.status, "pending") == 0)
		out->status = "payment_failed";
	return PAYMENT_OK;
}

/* ---- webhooks ------------------------------------------------------------------- */

/* Handles one webhook body. *processed says whether it is done with (false:
 * Toss could not be reached or PostgreSQL failed; the daemon tries again).
 * Returns a short result for webhook_deliveries.result. */
static const char *webhook_process(struct arena *a, const struct payment_ctx *c, const cJSON *body,
                                   bool *processed)
{
	const char *type = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(body, "eventType"));
	const char *key = NULL, *oid = NULL;
	struct toss_payment p;
	struct toss_error err;
	struct payment_outcome out;
	enum toss_err te;

	*processed = true;
	memset(&out, 0, sizeof(out));
	if (type && strcmp(type, "PAYMENT_STATUS_CHANGED") == 0) {
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
		key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "paymentKey"));
		if (key == NULL || *key == '\0' || strlen(key) > TOSS_KEY_MAX)
			return "no_payment_key";
		te = toss_get(a, key, &p, &err);
	} else if (type == NULL || strcmp(type, "DEPOSIT_CALLBACK") == 0) {
		/* Deposit callbacks carry no eventType; the secret is not checked
		 * because nothing in the body is trusted anyway: the payment is
		 * fetched from Toss. */
		oid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "orderId"));
		if (oid == NULL || *oid == '\0' || strlen(oid) > TOSS_ORDER_ID_MAX)
			return "ignored";
		te = toss_get_by_order(a, oid, &p, &err);
	} else {
		return "ignored";
	}
	if (te == TOSS_NOT_FOUND)
		return "payment_not_found";
	if (te != TOSS_OK) {
		*processed = false;
		return "toss_unreachable";
	}
	switch (apply(a, c, &p, &out)) {
	case PAYMENT_OK: return "paid";
	case PAYMENT_WAITING: return "waiting_for_deposit";
	case PAYMENT_NOT_FOUND: return "unknown_order";
	case PAYMENT_REJECTED: return "released";
	case PAYMENT_SOLD_OUT:
	case PAYMENT_EXPIRED: return "sold_out_canceled";
	case PAYMENT_AMOUNT_MISMATCH: return "amount_mismatch";
	case PAYMENT_PROVIDER:
		if (strcmp(p.status, "READY") == 0 || strcmp(p.status, "IN_PROGRESS") == 0)
			return "not_final";
		*processed = false;
		return "toss_unreachable";
	case PAYMENT_CONFLICT: return "conflict";
	default: *processed = false; return "db_error";
	}
}

static bool printable_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '!' || s[i] > '~')
			return false;
	return true;
}

/* "sha256:<hex>" of the body, for deliveries without a transmission id. */
static const char *body_digest(struct arena *a, const char *body, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *out = arena_alloc(a, 7 + 2 * EVP_MAX_MD_SIZE + 1);

	memcpy(out, "sha256:", 7);
	if (EVP_Digest(body, len, md, &n, EVP_sha256(), NULL) != 1)
		n = 0;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	out[7 + 2 * n] = '\0';
	return out;
}

void payment_webhook(struct http_req *r)
{
	struct payment_ctx c = {"webhook", r->request_id, r->remote_addr, r->user_agent};
	const cJSON *body = json_body_or_reply(r);
	const char *tid, *type, *result;
	PGresult *res;
	int64_t id;
	bool processed;
	enum db_err e;
	cJSON *o;

	if (body == NULL)
		return;
	if (!cJSON_IsObject(body)) {
		http_reply_error(r, "INVALID_JSON", NULL);
		return;
	}
	tid = http_header(r, "tosspayments-webhook-transmission-id");
	if (!printable_id(tid, WEBHOOK_ID_MAX))
		tid = body_digest(r->arena, r->body ? r->body : "", r->body_len);
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "eventType"));
	if (type == NULL || strlen(type) > WEBHOOK_TYPE_MAX)
		type = cJSON_GetObjectItemCaseSensitive(body, "secret") ? "DEPOSIT_CALLBACK" : "";
	{
		const char *params[] = {tid, type, r->body_len ? r->body : "{}"};
		e = db_exec(r->arena, &q_wh_insert, params, &res);
	}
	if (e == DB_INVALID) {
		http_reply_error(r, "INVALID_JSON", NULL);
		return;
	}
	if (e != DB_OK) {
		/* Not recorded: answer an error so that Toss delivers it again. */
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) == 1) {
		id = db_i64(res, 0, "id");
	} else {
		if (db_exec(r->arena, &q_wh_get, (const char *[]){tid}, &res) != DB_OK ||
		    db_rows(res) != 1) {
			app_reply_db_error(r, DB_ERROR);
			return;
		}
		if (db_bool(res, 0, "processed")) {
			o = http_own(r, cJSON_CreateObject());
			cJSON_AddBoolToObject(o, "ok", true);
			cJSON_AddStringToObject(o, "result", "duplicate");
			http_reply_json(r, 200, o);
			return;
		}
		id = db_i64(res, 0, "id");
	}
	/* Toss wants 200 within seconds and we promise one: each call to Toss
	 * from here gets a short budget; a delivery not finished in it stays
	 * unprocessed and the daemon completes it. */
	toss_set_budget_ms(PAYMENT_WEBHOOK_TOSS_BUDGET_MS);
	result = webhook_process(r->arena, &c, body, &processed);
	toss_set_budget_ms(0);
	{
		const char *params[] = {db_param_i64(r->arena, id), result,
		                        db_param_bool(processed)};
		if (db_exec(r->arena, &q_wh_done, params, NULL) != DB_OK)
			log_event(LOG_WARN, "webhook_mark_failed", "id", params[0], NULL);
	}
	log_event(LOG_INFO, "webhook", "transmission_id", tid, "result", result, NULL);
	/* Recorded: 200 even when Toss could not be asked now — the daemon
	 * retries unprocessed deliveries within seconds, sooner than Toss's
	 * own schedule (1, 4, 16 … minutes). */
	o = http_own(r, cJSON_CreateObject());
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, "result", result);
	cJSON_AddBoolToObject(o, "processed", processed);
	http_reply_json(r, 200, o);
}

/* ---- the daemon --------------------------------------------------------------------- */

static bool final_result(enum payment_err e)
{
	return e != PAYMENT_PROVIDER && e != PAYMENT_DB;
}

enum payment_err payment_settle_stuck(struct arena *a, size_t *settled)
{
	struct payment_ctx c = {"settle", NULL, NULL, NULL};
	enum payment_err rc = PAYMENT_OK;
	PGresult *res;
	size_t done = 0;

	/* 1. Confirms nobody saw the end of. */
	{
		const char *params[] = {db_param_i64(a, PAYMENT_SETTLE_AFTER_S),
		                        db_param_i64(a, PAYMENT_SESSION_S),
		                        db_param_i64(a, PAYMENT_SETTLE_BATCH)};
		if (db_exec(a, &q_stuck, params, &res) != DB_OK)
			return PAYMENT_DB;
	}
	for (int i = 0; i < db_rows(res); i++) {
		const char *key = db_str(res, i, "payment_key"),
		           *oid = db_str(res, i, "toss_order_id");
		bool lapsed = db_bool(res, i, "lapsed");
		struct toss_payment p;
		struct toss_error err;
		struct payment_outcome out;
		enum toss_err te;
		enum payment_err pe;

		bool refused = false; /* our confirm was refused (not the look-up) */

		memset(&err, 0, sizeof(err));
		memset(&out, 0, sizeof(out));
		te = toss_get_by_order(a, oid, &p, &err);
		if (te == TOSS_OK && strcmp(p.payment_key, key) != 0)
			te = toss_get(a, key, &p, &err);
		if (te == TOSS_OK &&
		    (strcmp(p.status, "READY") == 0 || strcmp(p.status, "IN_PROGRESS") == 0)) {
			/* Toss never got (or never finished) our confirm. */
			if (!lapsed) {
				te = toss_confirm(a, key, oid, db_i64(res, i, "total_amount"), oid,
				                  &p, &err);
				if (te == TOSS_RETRY || te == TOSS_TIMEOUT ||
				    te == TOSS_BAD_ANSWER) {
					rc = PAYMENT_PROVIDER;
					continue;
				}
				if (te == TOSS_FAILED &&
				    strcmp(err.code, "ALREADY_PROCESSED_PAYMENT") == 0) {
					rc = PAYMENT_PROVIDER; /* the next look-up sees it */
					continue;
				}
				refused = te == TOSS_FAILED &&
				          strcmp(toss_error_ours(&err), "PAYMENT_PROVIDER_ERROR") !=
				              0;
			} else {
				te = TOSS_NOT_FOUND; /* the session is over: it cannot be confirmed
				                      */
			}
		}
		if (te == TOSS_OK) {
			pe = apply(a, &c, &p, &out);
		} else if (te == TOSS_NOT_FOUND || refused) {
			struct order o;
			bool found;
			if (order_load(a, oid, false, &o, &found) != DB_OK)
				return PAYMENT_DB;
			if (!found)
				continue;
			/* A refusal releases like on the success road; a payment Toss
			 * does not know leaves the hold to expire by itself. */
			pe = reject(a, &o, key, &err, refused, &out);
		} else {
			rc = PAYMENT_PROVIDER;
			continue;
		}
		if (final_result(pe))
			done++;
		else if (pe == PAYMENT_DB)
			return PAYMENT_DB;
		else
			rc = PAYMENT_PROVIDER;
		log_event(LOG_INFO, "payment_settled", "order_id", oid, "payment_key", key, NULL);
	}

	/* 2. Cancels of payments the quota refused that Toss did not take. */
	{
		const char *params[] = {db_param_i64(a, PAYMENT_SETTLE_AFTER_S),
		                        db_param_i64(a, PAYMENT_SETTLE_BATCH)};
		if (db_exec(a, &q_cancel_owed, params, &res) != DB_OK)
			return PAYMENT_DB;
	}
	for (int i = 0; i < db_rows(res); i++) {
		const char *key = db_str(res, i, "payment_key"),
		           *oid = db_str(res, i, "toss_order_id");
		char idem[TOSS_IDEM_MAX + 1];
		struct toss_payment p;
		struct toss_error err;
		struct order o;
		bool found;
		enum toss_err te;

		memset(&err, 0, sizeof(err));
		snprintf(idem, sizeof(idem), "soldout-%s", key);
		te = toss_cancel(a, key, PAYMENT_CANCEL_REASON, 0, idem, &p, &err);
		if (te == TOSS_FAILED && strcmp(err.code, "ALREADY_CANCELED_PAYMENT") == 0)
			te = toss_get(a, key, &p, &err);
		if (te != TOSS_OK) {
			rc = PAYMENT_PROVIDER;
			continue;
		}
		if (order_load(a, oid, false, &o, &found) != DB_OK)
			return PAYMENT_DB;
		if (found && pay_record(a, &o, &p, "done", NULL) != DB_OK)
			return PAYMENT_DB;
		log_event(LOG_INFO, "payment_cancel_settled", "order_id", oid, NULL);
		done++;
	}

	/* 3. Webhooks received while Toss could not be asked. */
	{
		const char *params[] = {db_param_i64(a, PAYMENT_SETTLE_AFTER_S),
		                        db_param_i64(a, PAYMENT_SETTLE_BATCH)};
		if (db_exec(a, &q_wh_stuck, params, &res) != DB_OK)
			return PAYMENT_DB;
	}
	for (int i = 0; i < db_rows(res); i++) {
		cJSON *body = cJSON_Parse(db_str(res, i, "payload"));
		const char *result;
		bool processed = true;

		arena_defer(a, delete_json, body);
		result = body ? webhook_process(a, &c, body, &processed) : "invalid_payload";
		{
			const char *params[] = {db_str(res, i, "id"), result,
			                        db_param_bool(processed)};
			if (db_exec(a, &q_wh_done, params, NULL) != DB_OK)
				return PAYMENT_DB;
		}
		if (processed)
			done++;
		else
			rc = PAYMENT_PROVIDER;
	}
	if (settled)
		*settled = done;
	return rc;
}

/* ---- routes ---------------------------------------------------------------------------- */

static bool valid_order_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 6 || n > TOSS_ORDER_ID_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static bool valid_payment_key(const char *s)
{
	return printable_id(s, TOSS_KEY_MAX) && strpbrk(s, "\"'<>\\%/?#&") == NULL;
}

/* An error code safe to put in a URL: [A-Z0-9_], else the fallback. */
static const char *url_code(const char *code, const char *fallback)
{
	size_t n = code ? strlen(code) : 0;
	if (n == 0 || n > 63 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return fallback;
	return code;
}

static const char *order_path(struct arena *a, const struct payment_outcome *out)
{
	return arena_printf(a, "/%s/orders/%s?access=%s", out->event_code, out->order_number,
	                    out->access_token);
}

static void redirect_error(struct http_req *r, const struct payment_outcome *out, const char *code)
{
	http_redirect(r, arena_printf(r->arena, "/%s/?error=%s", out->event_code, code));
}

/* The error code of a result for the event page. */
static const char *result_code(enum payment_err e, const struct payment_outcome *out)
{
	switch (e) {
	case PAYMENT_AMOUNT_MISMATCH: return "AMOUNT_MISMATCH";
	case PAYMENT_CONFLICT: return "CONFLICT";
	case PAYMENT_REJECTED: return url_code(out->toss_code, "PAYMENT_REJECTED");
	case PAYMENT_SOLD_OUT: return "SOLD_OUT";
	case PAYMENT_EXPIRED: return "RESERVATION_EXPIRED";
	case PAYMENT_PROVIDER: return "PAYMENT_PROVIDER_ERROR";
	default: return "UNAVAILABLE";
	}
}

static struct payment_ctx ctx_of(struct http_req *r, const char *via)
{
	struct payment_ctx c = {via, r->request_id, r->remote_addr, r->user_agent};
	return c;
}

void payment_success(struct http_req *r)
{
	struct payment_ctx c = ctx_of(r, "success");
	const char *key = http_query(r, "paymentKey"), *oid = http_query(r, "orderId");
	const char *amt = http_query(r, "amount");
	struct payment_outcome out;
	int64_t amount;
	enum payment_err e;

	if (!valid_order_id(oid)) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	if (!valid_payment_key(key)) {
		/* Nothing to confirm; the reservation is left as it is. */
		struct order o;
		bool found;
		if (order_load(r->arena, oid, false, &o, &found) != DB_OK) {
			http_reply_error(r, "UNAVAILABLE", NULL);
			return;
		}
		if (!found) {
			http_reply_error(r, "NOT_FOUND", NULL);
			return;
		}
		outcome_from(&out, &o);
		redirect_error(r, &out, "BAD_REQUEST");
		return;
	}
	/* A missing or non-numeric amount is a tampered amount. */
	if (!amt || !tk_parse_i64(amt, 0, INT32_MAX, &amount))
		amount = -1;
	e = payment_confirm(r->arena, &c, key, oid, amount, &out);
	if (e == PAYMENT_NOT_FOUND || (e == PAYMENT_DB && out.event_code == NULL)) {
		http_reply_error(r, e == PAYMENT_NOT_FOUND ? "NOT_FOUND" : "UNAVAILABLE", NULL);
		return;
	}
	if (e == PAYMENT_OK || e == PAYMENT_WAITING)
		http_redirect(r, order_path(r->arena, &out));
	else
		redirect_error(r, &out, result_code(e, &out));
}

void payment_fail(struct http_req *r)
{
	struct payment_ctx c = ctx_of(r, "fail");
	const char *oid = http_query(r, "orderId");
	struct payment_outcome out;
	enum payment_err e;

	if (!valid_order_id(oid)) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	e = payment_abandon(r->arena, &c, oid, &out);
	if (e == PAYMENT_NOT_FOUND) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	if (e == PAYMENT_DB) {
		http_reply_error(r, "UNAVAILABLE", NULL);
		return;
	}
	/* A paid order stays paid; the fail URL never hands out its access
	 * token (anyone may know an orderId). */
	redirect_error(r, &out, url_code(http_query(r, "code"), "PAYMENT_FAILED"));
}

struct confirm_in {
	struct json_str payment_key, order_id;
	struct json_int amount;
};

static bool check_order_id(const char *s)
{
	return valid_order_id(s);
}

static bool check_payment_key(const char *s)
{
	return valid_payment_key(s);
}

static const struct json_field confirm_fields[] = {
    JSON_STR("paymentKey", struct confirm_in, payment_key, JF_REQUIRED, 1, TOSS_KEY_MAX,
             check_payment_key),
    JSON_STR("orderId", struct confirm_in, order_id, JF_REQUIRED, 6, TOSS_ORDER_ID_MAX,
             check_order_id),
    JSON_INT("amount", struct confirm_in, amount, JF_REQUIRED, 0, INT32_MAX),
};

void payment_confirm_route(struct http_req *r)
{
	struct payment_ctx c = ctx_of(r, "confirm");
	struct confirm_in in = {0};
	struct payment_outcome out;
	enum payment_err e;
	cJSON *o, *d;

	if (!json_fields_or_reply(r, confirm_fields, TK_ARRAY_LEN(confirm_fields), &in))
		return;
	e = payment_confirm(r->arena, &c, in.payment_key.v, in.order_id.v, in.amount.v, &out);
	switch (e) {
	case PAYMENT_OK:
	case PAYMENT_WAITING:
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "order_number", out.order_number);
		cJSON_AddStringToObject(o, "status", out.status);
		cJSON_AddStringToObject(o, "access_url", order_path(r->arena, &out));
		if (e == PAYMENT_WAITING)
			cJSON_AddStringToObject(o, "payment_status", "WAITING_FOR_DEPOSIT");
		app_reply_object(r, 200, "order", o);
		return;
	case PAYMENT_NOT_FOUND: http_reply_error(r, "NOT_FOUND", NULL); return;
	case PAYMENT_AMOUNT_MISMATCH:
		d = cJSON_CreateObject();
		json_field_error(r, cJSON_AddObjectToObject(d, "fields"), "amount", "invalid");
		cJSON_AddStringToObject(d, "reason", "AMOUNT_MISMATCH");
		http_reply_error(r, "VALIDATION", d);
		return;
	case PAYMENT_CONFLICT: http_reply_error(r, "CONFLICT", NULL); return;
	case PAYMENT_REJECTED:
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "toss_code", out.toss_code);
		cJSON_AddStringToObject(d, "toss_message", out.toss_message);
		http_reply_error(r, "PAYMENT_REJECTED", d);
		return;
	case PAYMENT_SOLD_OUT: http_reply_error(r, "SOLD_OUT", NULL); return;
	case PAYMENT_EXPIRED: http_reply_error(r, "RESERVATION_EXPIRED", NULL); return;
	case PAYMENT_PROVIDER: http_reply_error(r, "PAYMENT_PROVIDER_ERROR", NULL); return;
	default: http_reply_error(r, "UNAVAILABLE", NULL); return;
	}
}
