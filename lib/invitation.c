/*
 * invitation.c — partner companies' invitations (see invitation.h).
 */
#include "invitation.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "order.h"
#include "payment.h"
#include "perm.h"
#include "reconcile.h"
#include "stock.h"
#include "tk.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INV_TOKEN_BYTES 24 /* 192 bits → 32 base64url characters */
#define INV_HOLD_MS 60000  /* the claim's Redis hold, consumed at once */
#define INV_CSV_MAX (16 * 1024 * 1024)

/* ---- SQL ---------------------------------------------------------------- */

/* $1 = TICKET_BASE_URL. */
#define INV_FIELDS \
	"'id', i.id, 'company', i.company, 'quantity', i.quantity, 'claimed', i.claimed," \
	" 'remaining', CASE WHEN i.revoked_at IS NULL THEN i.quantity - i.claimed ELSE 0 END," \
	" 'product_id', i.product_id, 'product_name', p.name, 'visit_date', i.visit_date::text," \
	" 'token', i.token, 'url', $1::text || '/' || e.code || '/invitations/' || i.token," \
	" 'revoked_at', iso(i.revoked_at), 'created_at', iso(i.created_at)"
#define INV_JOIN " JOIN products p ON p.id = i.product_id JOIN events e ON e.id = i.event_id"
#define INV_FROM " FROM invitations i" INV_JOIN
#define INV_FROM_CTE " FROM i" INV_JOIN /* the row a WITH i AS (… RETURNING *) wrote */

static struct db_stmt q_list = DB_STMT(
    "SELECT (SELECT count(*) FROM invitations WHERE event_id = $2) AS total,"
    " COALESCE((SELECT json_agg(s.o ORDER BY s.id DESC) FROM (SELECT json_build_object(" INV_FIELDS
    ") AS o, i.id" INV_FROM " WHERE i.event_id = $2 ORDER BY i.id DESC LIMIT $3 OFFSET $4) s),"
    " '[]') AS items",
    4);

static struct db_stmt q_get = DB_STMT(
    "SELECT json_build_object(" INV_FIELDS ", 'claims', COALESCE((SELECT json_agg(c.o ORDER BY"
    " c.id DESC) FROM (SELECT c.id, json_build_object('id', c.id, 'name', c.name, 'phone', c.phone,"
    "   'order_number', o.order_number, 'ticket_code', t.code, 'ticket_status', t.status,"
    "   'created_at', iso(c.created_at)) AS o FROM invitation_claims c"
    "   LEFT JOIN tickets t ON t.id = c.ticket_id LEFT JOIN orders o ON o.id = t.order_id"
    "   WHERE c.invitation_id = i.id ORDER BY c.id DESC LIMIT $4) c), '[]'))::text AS obj" INV_FROM
    " WHERE i.event_id = $2 AND i.id = $3",
    4);

/* The product an invitation may give: live, of the event; whether a claim
 * needs a visit date (dated, or counted against a per-day quota). */
static struct db_stmt q_product = DB_STMT(
    "SELECT p.id, (p.dated OR EXISTS (SELECT 1 FROM product_quota_units u JOIN quotas q"
    "   ON q.id = u.quota_id WHERE u.product_id = p.id AND q.per_day)) AS needs_date,"
    " ($3::date IS NULL OR $3::date BETWEEN e.starts_on AND e.ends_on) AS date_ok"
    " FROM products p JOIN events e ON e.id = p.event_id"
    " WHERE p.event_id = $1 AND p.id = $2 AND p.deleted_at IS NULL",
    3);

static struct db_stmt q_insert = DB_STMT(
    "WITH i AS (INSERT INTO invitations (event_id, product_id, company, quantity, visit_date,"
    "   token, created_by) VALUES ($2, $3, $4, $5, $6::date, $7, $8) RETURNING *)"
    " SELECT i.id, json_build_object(" INV_FIELDS ")::text AS obj" INV_FROM_CTE,
    8);

static struct db_stmt q_revoke = DB_STMT(
    "WITH i AS (UPDATE invitations SET revoked_at = COALESCE(revoked_at, now())"
    "   WHERE event_id = $2 AND id = $3 RETURNING *)"
    " SELECT i.claimed, json_build_object(" INV_FIELDS ")::text AS obj" INV_FROM_CTE,
    3);

static struct db_stmt q_export = DB_STMT(
    "SELECT c.name, c.phone, o.order_number, t.status, iso(c.created_at) AS created_at,"
    " i.id IS NOT NULL AS found"
    " FROM invitations i LEFT JOIN invitation_claims c ON c.invitation_id = i.id"
    " LEFT JOIN tickets t ON t.id = c.ticket_id LEFT JOIN orders o ON o.id = t.order_id"
    " WHERE i.event_id = $1 AND i.id = $2 ORDER BY c.id",
    2);

static struct db_stmt q_public = DB_STMT(
    "SELECT json_build_object('company', i.company, 'visit_date', i.visit_date::text,"
    " 'remaining', i.quantity - i.claimed,"
    " 'event', json_build_object('code', e.code, 'title', e.title, 'venue', e.venue,"
    "   'starts_on', e.starts_on::text, 'ends_on', e.ends_on::text),"
    " 'product', json_build_object('id', p.id, 'name', p.name))::text AS obj"
    " FROM invitations i JOIN events e ON e.id = i.event_id JOIN products p ON p.id = i.product_id"
    " WHERE i.token = $1 AND i.revoked_at IS NULL AND e.is_active AND e.deleted_at IS NULL",
    1);

/* A claim's batch, locked: claims of one batch take turns. */
static struct db_stmt q_lock = DB_STMT(
    "SELECT i.id, i.event_id, e.code, e.title, i.product_id, i.company, i.quantity, i.claimed,"
    " i.visit_date::text AS visit_date,"
    " EXISTS (SELECT 1 FROM invitation_claims c WHERE c.invitation_id = i.id"
    "   AND c.phone = $2) AS claimed_by_phone"
    " FROM invitations i JOIN events e ON e.id = i.event_id"
    " WHERE i.token = $1 AND i.revoked_at IS NULL AND e.is_active AND e.deleted_at IS NULL"
    " FOR UPDATE OF i",
    2);

/* What one unit of the product takes, per counter (the claim's hold). */
static struct db_stmt q_units = DB_STMT(
    "SELECT u.quota_id, CASE WHEN q.per_day THEN $2 ELSE '' END AS date,"
    " sum(u.units)::bigint AS n FROM product_quota_units u JOIN quotas q ON q.id = u.quota_id"
    " WHERE u.product_id = $1 GROUP BY 1, 2 ORDER BY 1",
    2);

static struct db_stmt q_claim_insert = DB_STMT(
    "INSERT INTO invitation_claims (invitation_id, name, phone) VALUES ($1, $2, $3)"
    " RETURNING id",
    3);

static struct db_stmt q_order_insert = DB_STMT(
    "WITH o AS (INSERT INTO orders (event_id, order_number, status, visit_date, amount,"
    "   customer_name, customer_phone, access_token, paid_at, source)"
    "   VALUES ($1, $2, 'paid', $3::date, 0, $4, $5, $6, now(), 'invitation') RETURNING id)"
    " INSERT INTO order_items (order_id, product_id, qty, unit_price, amount)"
    " SELECT o.id, $7, 1, 0, 0 FROM o RETURNING order_id",
    7);

static struct db_stmt q_link = DB_STMT(
    "WITH t AS (UPDATE tickets SET invitation_claim_id = $2, holder_name = $3"
    "   WHERE order_id = $1 RETURNING id)"
    " UPDATE invitation_claims SET ticket_id = (SELECT min(id) FROM t) WHERE id = $2",
    3);

static struct db_stmt q_count = DB_STMT(
    "UPDATE invitations SET claimed = claimed + 1 WHERE id = $1 AND claimed < quantity", 1);

static struct db_stmt q_notify = DB_STMT(
    "INSERT INTO notifications (event_id, order_id, channel, template_code, recipient, params)"
    " SELECT o.event_id, o.id, 'alimtalk', 'INVITATION_ISSUED', o.customer_phone,"
    "   jsonb_build_object('name', o.customer_name, 'company', $2::text, 'event', e.title,"
    "     'orderNumber', o.order_number,"
    "     'visitDate', COALESCE(o.visit_date::text, '관람 기간 중 하루'), 'url', $3::text)"
    " FROM orders o JOIN events e ON e.id = o.event_id WHERE o.id = $1",
    3);

static struct db_stmt q_claimed_order = DB_STMT(
    "SELECT json_build_object('order_number', o.order_number, 'access', o.access_token,"
    " 'status', o.status, 'visit_date', o.visit_date::text, 'amount', o.amount,"
    " 'source', o.source, 'customer', json_build_object('name', o.customer_name),"
    " 'tickets', COALESCE((SELECT json_agg(json_build_object('code', t.code,"
    "   'product_name', p.name, 'status', t.status, 'visit_date', t.visit_date::text,"
    "   'qr_svg_url', '/fcgi/public/tickets/' || t.code || '.svg?access=' || o.access_token)"
    "   ORDER BY t.id) FROM tickets t JOIN products p ON p.id = t.product_id"
    "   WHERE t.order_id = o.id), '[]'))::text AS obj"
    " FROM orders o WHERE o.id = $1",
    1);

/* ---- helpers -------------------------------------------------------------- */

static void random_token(char *out, size_t cap)
{
	unsigned char raw[INV_TOKEN_BYTES];
	if (!tk_random(raw, sizeof(raw))) {
		log_event(LOG_ERROR, "no_entropy", NULL);
		abort(); /* no token can be safe without entropy */
	}
	auth_b64url_encode(raw, sizeof(raw), out, cap);
}

static void reply_obj_text(struct http_req *r, int status, const char *name, const char *text)
{
	cJSON *o = text ? cJSON_Parse(text) : NULL;
	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, status, name, o);
}

static const char *base_url(void)
{
	return cfg.base_url;
}

/* ---- admin ------------------------------------------------------------------- */

void invitation_list(struct http_req *r)
{
	int64_t page, limit;
	PGresult *res;
	enum db_err e;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *p[] = {base_url(), db_param_i64(r->arena, r->event_id),
		                   db_param_i64(r->arena, limit),
		                   db_param_i64(r->arena, (page - 1) * limit)};
		if ((e = db_exec(r->arena, &q_list, p, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	app_reply_list(r, res, page, limit);
}

struct create_in {
	struct json_str company, visit_date;
	struct json_int quantity, product_id;
};

static const struct json_field create_fields[] = {
    JSON_STR("company", struct create_in, company, JF_REQUIRED, 1, INVITATION_COMPANY_MAX,
             tk_valid_line),
    JSON_INT("quantity", struct create_in, quantity, JF_REQUIRED, 1, INVITATION_QUANTITY_MAX),
    JSON_INT("product_id", struct create_in, product_id, JF_REQUIRED, 1, JSON_MAX_SAFE_INT),
    JSON_DATE("visit_date", struct create_in, visit_date, JF_NULLABLE),
};

/* The product and date rules; false after answering 422 (or the error),
 * the transaction rolled back. */
static bool create_check_or_reply(struct http_req *r, const struct create_in *in, const char *date)
{
	const char *p[] = {db_param_i64(r->arena, r->event_id),
	                   db_param_i64(r->arena, in->product_id.v), date};
	PGresult *res;
	enum db_err e;

	if ((e = db_exec(r->arena, &q_product, p, &res)) != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_rows(res) != 1) {
		db_rollback();
		json_reply_field(r, "product_id", "not_found");
		return false;
	}
	if (db_bool(res, 0, "needs_date") && date == NULL) {
		db_rollback();
		json_reply_field(r, "visit_date", "required");
		return false;
	}
	if (!db_bool(res, 0, "date_ok")) {
		db_rollback();
		json_reply_field(r, "visit_date", "invalid");
		return false;
	}
	return true;
}

void invitation_create(struct http_req *r)
{
	struct create_in in = {0};
	char token[2 * INV_TOKEN_BYTES + 4];
	const char *date;
	PGresult *res;
	enum db_err e;
	cJSON *sum;

	if (!json_fields_or_reply(r, create_fields, TK_ARRAY_LEN(create_fields), &in))
		return;
	date = in.visit_date.set && !in.visit_date.null ? in.visit_date.v : NULL;
	if (!event_lock_or_reply(r))
		return;
	if (!create_check_or_reply(r, &in, date))
		return;
	random_token(token, sizeof(token));
	{
		const char *p[] = {base_url(),
		                   db_param_i64(r->arena, r->event_id),
		                   db_param_i64(r->arena, in.product_id.v),
		                   in.company.v,
		                   db_param_i64(r->arena, in.quantity.v),
		                   date,
		                   token,
		                   r->principal ? db_param_i64(r->arena, r->principal->admin_id)
		                                : NULL};
		if ((e = db_exec(r->arena, &q_insert, p, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "company", in.company.v);
	cJSON_AddNumberToObject(sum, "quantity", (double)in.quantity.v);
	cJSON_AddNumberToObject(sum, "product_id", (double)in.product_id.v);
	if ((e = audit_log(r, r->event_id, "invitation.create", "invitation", db_str(res, 0, "id"),
	                   sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	reply_obj_text(r, 201, "invitation", db_str(res, 0, "obj"));
}

void invitation_get(struct http_req *r)
{
	int64_t bid;
	PGresult *res;

	if (!app_param_id_or_reply(r, "bid", &bid, "NOT_FOUND"))
		return;
	{
		const char *p[] = {base_url(), db_param_i64(r->arena, r->event_id),
		                   db_param_i64(r->arena, bid),
		                   db_param_i64(r->arena, INVITATION_CLAIMS_SHOWN)};
		if ((res = app_row_or_reply(r, &q_get, p, "NOT_FOUND")) == NULL)
			return;
	}
	reply_obj_text(r, 200, "invitation", db_str(res, 0, "obj"));
}

void invitation_revoke(struct http_req *r)
{
	int64_t bid;
	PGresult *res;
	enum db_err e;
	cJSON *sum;

	if (!app_param_id_or_reply(r, "bid", &bid, "NOT_FOUND") || !event_lock_or_reply(r))
		return;
	{
		const char *p[] = {base_url(), db_param_i64(r->arena, r->event_id),
		                   db_param_i64(r->arena, bid)};
		if ((res = app_row_or_reply(r, &q_revoke, p, "NOT_FOUND")) == NULL)
			return;
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddNumberToObject(sum, "claimed", (double)db_i64(res, 0, "claimed"));
	if ((e = audit_log(r, r->event_id, "invitation.revoke", "invitation",
	                   db_param_i64(r->arena, bid), sum)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	reply_obj_text(r, 200, "invitation", db_str(res, 0, "obj"));
}

/* One CSV cell: quoted, quotes doubled, a leading = + - @ neutralised with
 * an apostrophe (spreadsheet formulas). */
static char *csv_cell(struct arena *a, const char *s)
{
	size_t n = 3, k = 0;
	char *out;

	if (s == NULL)
		s = "";
	for (const char *p = s; *p; p++)
		n += *p == '"' ? 2 : 1;
	out = arena_alloc(a, n + 2);
	out[k++] = '"';
	if (strchr("=+-@", *s) && *s)
		out[k++] = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			out[k++] = '"';
		out[k++] = *p;
	}
	out[k++] = '"';
	out[k] = '\0';
	return out;
}

void invitation_export(struct http_req *r)
{
	static const char *const cols[] = {"name", "phone", "order_number", "status", "created_at"};
	int64_t bid;
	PGresult *res;
	enum db_err e;
	char *csv, *p;
	size_t cap = 256, len;

	if (!app_param_id_or_reply(r, "bid", &bid, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, bid)};
		if ((e = db_exec(r->arena, &q_export, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) == 0) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	for (int i = 0; i < db_rows(res); i++)
		for (size_t c = 0; c < TK_ARRAY_LEN(cols); c++)
			cap += 2 * strlen(db_str(res, i, cols[c]) ? db_str(res, i, cols[c]) : "") +
			       8;
	if (cap > INV_CSV_MAX) {
		http_reply_error(r, "TOO_LARGE", NULL);
		return;
	}
	csv = p = arena_alloc(r->arena, cap);
	p = stpcpy(
	    p, "\xef\xbb\xbf\"이름\",\"전화번호\",\"주문번호\",\"티켓 상태\",\"받은 시각\"\r\n");
	for (int i = 0; i < db_rows(res); i++) {
		if (db_str(res, i, "name") == NULL)
			continue; /* the batch's row without claims */
		for (size_t c = 0; c < TK_ARRAY_LEN(cols); c++) {
			if (c)
				*p++ = ',';
			p = stpcpy(p, csv_cell(r->arena, db_str(res, i, cols[c])));
		}
		p = stpcpy(p, "\r\n");
	}
	len = (size_t)(p - csv);
	http_add_header(r, "Content-Disposition",
	                arena_printf(r->arena,
	                             "attachment; filename=\"invitation-%lld-claims.csv\"",
	                             (long long)bid));
	http_reply(r, 200, "text/csv; charset=utf-8", csv, len);
}

/* ---- public ---------------------------------------------------------------- */

/* The {token} path parameter, or NULL after answering 404. */
static const char *token_or_reply(struct http_req *r)
{
	const char *t = http_param(r, "token");
	size_t n = t ? strlen(t) : 0;

	if (n < 16 || n > INVITATION_TOKEN_MAX ||
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	              "qrstuvwxyz0123456789_.-") != n) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return NULL;
	}
	return t;
}

void invitation_public_get(struct http_req *r)
{
	const char *token = token_or_reply(r);
	PGresult *res;

	if (token == NULL)
		return;
	if ((res = app_row_or_reply(r, &q_public, (const char *[]){token}, "NOT_FOUND")) == NULL)
		return;
	reply_obj_text(r, 200, "invitation", db_str(res, 0, "obj"));
}

struct claim_in {
	struct json_str name, phone;
};

static const struct json_field claim_fields[] = {
    JSON_STR("name", struct claim_in, name, JF_REQUIRED, 1, INVITATION_NAME_MAX, tk_valid_line),
    JSON_STR("phone", struct claim_in, phone, JF_REQUIRED, 1, 13, tk_valid_phone),
};

/* A claim in the making. */
struct claim {
	const char *token, *name;
	char phone[12];
	char hold[2 * INV_TOKEN_BYTES + 4];
	char access[2 * INV_TOKEN_BYTES + 4];
	char number[40];
	int64_t event_id, product_id, batch_id, order_id;
	const char *event_code, *company, *visit_date;
	struct stock_line lines[STOCK_MAX_LINES];
	size_t n_lines;
	bool held; /* a Redis hold to consume or release */
};

/* Step 1, before any transaction: the batch (unlocked) and the Redis hold of
 * one unit. False after answering (404, 409 SOLD_OUT, 5xx). */
static bool claim_hold_or_reply(struct http_req *r, struct claim *c)
{
	struct stock_held held;
	PGresult *res;
	enum db_err e;
	enum stock_err se;

	if ((res = app_row_or_reply(r, &q_lock, (const char *[]){c->token, c->phone},
	                            "NOT_FOUND")) == NULL)
		return false;
	c->event_id = db_i64(res, 0, "event_id");
	c->product_id = db_i64(res, 0, "product_id");
	c->visit_date = db_str(res, 0, "visit_date");
	if (db_bool(res, 0, "claimed_by_phone")) {
		http_reply_error(r, "ALREADY_CLAIMED", NULL);
		return false;
	}
	if (db_i64(res, 0, "claimed") >= db_i64(res, 0, "quantity")) {
		http_reply_error(r, "SOLD_OUT", NULL);
		return false;
	}
	{
		const char *p[] = {db_param_i64(r->arena, c->product_id),
		                   c->visit_date ? c->visit_date : ""};
		if ((e = db_exec(r->arena, &q_units, p, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return false;
		}
	}
	for (int i = 0; i < db_rows(res) && c->n_lines < STOCK_MAX_LINES; i++, c->n_lines++) {
		c->lines[c->n_lines].quota_id = db_i64(res, i, "quota_id");
		snprintf(c->lines[c->n_lines].date, sizeof(c->lines[0].date), "%s",
		         db_str(res, i, "date"));
		c->lines[c->n_lines].qty = db_i64(res, i, "n");
	}
	if (c->n_lines == 0)
		return true; /* a product without quotas: nothing to count */
	random_token(c->hold, sizeof(c->hold));
	se = stock_hold(r->arena, c->event_id, c->hold, c->lines, c->n_lines, INV_HOLD_MS, NULL,
	                &held);
	if (se == STOCK_UNINIT) {
		/* Counters not built yet or lost: rebuild from PostgreSQL, retry once
		 * (as a reservation does). */
		if (reconcile_event(r->arena, c->event_id, NULL) != RECONCILE_OK) {
			http_reply_error(r, "UNAVAILABLE", NULL);
			return false;
		}
		se = stock_hold(r->arena, c->event_id, c->hold, c->lines, c->n_lines, INV_HOLD_MS,
		                NULL, &held);
	}
	if (se == STOCK_SOLD_OUT) {
		http_reply_error(r, "SOLD_OUT", NULL);
		return false;
	}
	if (se != STOCK_OK) {
		log_event(LOG_WARN, "invitation_hold_failed", "result", db_param_i64(r->arena, se),
		          NULL);
		http_reply_error(r, "UNAVAILABLE", NULL);
		return false;
	}
	c->held = true;
	return true;
}

enum claim_res { CLAIM_OK, CLAIM_GONE, CLAIM_ALREADY, CLAIM_SOLD_OUT, CLAIM_DB };

/* Step 2, in one transaction: the claim, its order and ticket, the count,
 * the notification. The transaction is committed on CLAIM_OK, else rolled
 * back; *err carries the database error for CLAIM_DB. */
static enum claim_res claim_write(struct http_req *r, struct claim *c, enum db_err *err)
{
	struct arena *a = r->arena;
	PGresult *res;
	const char *claim_id, *oid;
	size_t n_lines, tickets;
	struct stock_line lines[STOCK_MAX_LINES];
	enum payment_err pe;

	if ((*err = db_begin()) != DB_OK)
		return CLAIM_DB;
	/* A ticket is money: wait for the disk even in the public family. */
	if ((*err = db_exec_sql("SET LOCAL synchronous_commit = on")) != DB_OK)
		goto db;
	if ((*err = db_exec(a, &q_lock, (const char *[]){c->token, c->phone}, &res)) != DB_OK)
		goto db;
	if (db_rows(res) != 1)
		goto gone;
	if (db_bool(res, 0, "claimed_by_phone")) {
		db_rollback();
		return CLAIM_ALREADY;
	}
	if (db_i64(res, 0, "claimed") >= db_i64(res, 0, "quantity"))
		goto sold_out;
	c->batch_id = db_i64(res, 0, "id");
	c->event_code = db_str(res, 0, "code");
	c->company = db_str(res, 0, "company");
	{
		const char *p[] = {db_param_i64(a, c->batch_id), c->name, c->phone};
		if ((*err = db_exec(a, &q_claim_insert, p, &res)) != DB_OK)
			goto db;
		claim_id = db_str(res, 0, "id");
	}
	order_number_new(c->event_code, c->number, sizeof(c->number));
	random_token(c->access, sizeof(c->access));
	{
		const char *p[] = {db_param_i64(a, c->event_id),
		                   c->number,
		                   c->visit_date,
		                   c->name,
		                   c->phone,
		                   c->access,
		                   db_param_i64(a, c->product_id)};
		if ((*err = db_exec(a, &q_order_insert, p, &res)) != DB_OK)
			goto db;
		c->order_id = db_i64(res, 0, "order_id");
		oid = db_param_i64(a, c->order_id);
	}
	pe = payment_sell_free(a, c->order_id, c->event_id, c->number, lines, &n_lines, &tickets);
	if (pe == PAYMENT_SOLD_OUT)
		goto sold_out;
	if (pe != PAYMENT_OK) {
		*err = DB_ERROR;
		goto db;
	}
	{
		const char *url = arena_printf(a, "%s/%s/orders/%s?access=%s", base_url(),
		                               c->event_code, c->number, c->access);
		if ((*err = db_exec(a, &q_link, (const char *[]){oid, claim_id, c->name}, NULL)) !=
		        DB_OK ||
		    (*err = db_exec(a, &q_count, (const char *[]){db_param_i64(a, c->batch_id)},
		                    NULL)) != DB_OK ||
		    (*err = db_exec(a, &q_notify, (const char *[]){oid, c->company, url}, NULL)) !=
		        DB_OK)
			goto db;
	}
	if ((*err = db_commit()) != DB_OK)
		goto db;
	return CLAIM_OK;
gone:
	db_rollback();
	return CLAIM_GONE;
sold_out:
	db_rollback();
	return CLAIM_SOLD_OUT;
db:
	db_rollback();
	return CLAIM_DB;
}

void invitation_claim(struct http_req *r)
{
	struct claim_in in = {0};
	struct claim c = {0};
	enum claim_res cr = CLAIM_DB;
	enum db_err e = DB_OK;
	PGresult *res;
	bool was_live;

	if ((c.token = token_or_reply(r)) == NULL)
		return;
	if (!json_fields_or_reply(r, claim_fields, TK_ARRAY_LEN(claim_fields), &in))
		return;
	c.name = in.name.v;
	tk_normalize_phone(in.phone.v, c.phone);
	if (!claim_hold_or_reply(r, &c))
		return;
	/* Two claims of one phone racing: the unique key refuses the second. */
	for (int attempt = 0; attempt < 3; attempt++) {
		cr = claim_write(r, &c, &e);
		if (!(cr == CLAIM_DB && e == DB_RETRY))
			break;
	}
	if (cr == CLAIM_DB && e == DB_UNIQUE)
		cr = CLAIM_ALREADY;
	if (c.held) {
		if (cr == CLAIM_OK)
			stock_consume(r->arena, c.event_id, c.hold, c.lines, c.n_lines, &was_live);
		else
			stock_release(r->arena, c.event_id, c.hold);
	}
	switch (cr) {
	case CLAIM_OK: break;
	case CLAIM_GONE: http_reply_error(r, "NOT_FOUND", NULL); return;
	case CLAIM_ALREADY: http_reply_error(r, "ALREADY_CLAIMED", NULL); return;
	case CLAIM_SOLD_OUT: http_reply_error(r, "SOLD_OUT", NULL); return;
	case CLAIM_DB: app_reply_db_error(r, e); return;
	}
	if ((res = app_row_or_reply(r, &q_claimed_order,
	                            (const char *[]){db_param_i64(r->arena, c.order_id)},
	                            "NOT_FOUND")) == NULL)
		return;
	reply_obj_text(r, 201, "order", db_str(res, 0, "obj"));
}
