/* order.c — the customer's order view and ticket QR images (see order.h). */
#include "order.h"

#include "app.h"
#include "auth.h"
#include "db.h"
#include "pending.h"
#include "qr.h"
#include "ticket.h"
#include "tk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct db_stmt q_order = DB_STMT(
    "SELECT o.order_number, o.status, o.visit_date::text AS visit_date, o.amount,"
    " o.customer_name, o.customer_phone, o.customer_email, o.access_token,"
    " COALESCE(o.hold_expires_at > now(), false) AS live, iso(o.paid_at) AS paid_at,"
    " iso(o.created_at) AS created_at, e.code AS event_code, e.title AS event_title,"
    " (SELECT json_agg(json_build_object('product_id', i.product_id, 'name', p.name,"
    "   'type', p.type, 'qty', i.qty, 'unit_price', i.unit_price, 'amount', i.amount,"
    "   'refunded_qty', i.refunded_qty) ORDER BY i.id)"
    "   FROM order_items i JOIN products p ON p.id = i.product_id"
    "   WHERE i.order_id = o.id) AS items,"
    " (SELECT json_agg(json_build_object('code', t.code, 'product_name', p.name,"
    "   'status', CASE t.status WHEN 'void' THEN 'refunded' ELSE t.status END,"
    "   'visit_date', t.visit_date::text, 'used_at', iso(t.used_at)) ORDER BY t.id)"
    "   FROM tickets t JOIN products p ON p.id = t.product_id"
    "   WHERE t.order_id = o.id) AS tickets"
    " FROM orders o JOIN events e ON e.id = o.event_id"
    " WHERE e.code = $1 AND o.order_number = $2 AND e.deleted_at IS NULL",
    2);

static struct db_stmt q_ticket = DB_STMT(
    "SELECT o.access_token FROM tickets t JOIN orders o ON o.id = t.order_id"
    " WHERE t.code = $1",
    1);

/* A token of the shape orders.access_token allows, or NULL. */
static const char *access_param(struct http_req *r)
{
	const char *t = http_query(r, "access");
	size_t n = t ? strlen(t) : 0;
	if (n < 16 || n > ORDER_ACCESS_MAX ||
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return NULL;
	return t;
}

/* 010-****-5678: enough for the customer to recognise, nothing more. */
static void mask_phone(const char *digits, char *out, size_t len)
{
	size_t n = strlen(digits);
	if (n < 8) {
		snprintf(out, len, "***");
		return;
	}
	snprintf(out, len, "%.3s-%.*s-%s", digits, (int)(n - 7), "********", digits + n - 4);
}

static bool order_number_ok(const char *s)
{
	const char *dash = s ? strchr(s, '-') : NULL;
	size_t n = s ? strlen(s) : 0;
	if (dash == NULL || n > 40)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n &&
	       strchr(dash + 1, '-') == NULL && dash > s && dash[1] != '\0';
}

void order_public_get(struct http_req *r)
{
	const char *code = http_param(r, "code"), *number = http_param(r, "order_number");
	const char *access = access_param(r), *phone_in = http_query(r, "phone");
	const char *params[2];
	char phone[12], masked[24];
	bool have_phone = false, ok = false;
	PGresult *res;
	enum db_err e;
	cJSON *o, *cust, *tickets, *t;

	if (phone_in && *phone_in)
		have_phone = tk_normalize_phone(phone_in, phone);
	if (!tk_valid_event_code(code) || !order_number_ok(number) || (!access && !have_phone)) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	params[0] = code;
	params[1] = number;
	e = db_exec(r->arena, &q_order, params, &res);
	if (e == DB_OK && db_rows(res) == 0) {
		/* Perhaps still queued behind its hold (pending.h). */
		e = pending_flush_order(r->arena, number);
		if (e == DB_OK)
			e = db_exec(r->arena, &q_order, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) == 1) {
		/* Either proof will do; both are compared in constant time. */
		if (access)
			ok = auth_equal(access, db_str(res, 0, "access_token"));
		if (!ok && have_phone)
			ok = auth_equal(phone, db_str(res, 0, "customer_phone"));
	}
	if (!ok) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "order_number", db_str(res, 0, "order_number"));
	/* The confirmation link's token: whoever proved the phone may see the
	 * tickets already (their QR URLs carry it), so the lookup page can
	 * hand over to the bookmarkable ?access= link. */
	cJSON_AddStringToObject(o, "access", db_str(res, 0, "access_token"));
	cJSON_AddStringToObject(o, "status",
	                        strcmp(db_str(res, 0, "status"), "pending") == 0 &&
	                                !db_bool(res, 0, "live")
	                            ? "expired"
	                            : db_str(res, 0, "status"));
	if (db_str(res, 0, "visit_date"))
		cJSON_AddStringToObject(o, "visit_date", db_str(res, 0, "visit_date"));
	else
		cJSON_AddNullToObject(o, "visit_date");
	cJSON_AddNumberToObject(o, "amount", (double)db_i64(res, 0, "amount"));
	if (db_str(res, 0, "paid_at"))
		cJSON_AddStringToObject(o, "paid_at", db_str(res, 0, "paid_at"));
	else
		cJSON_AddNullToObject(o, "paid_at");
	cJSON_AddStringToObject(o, "created_at", db_str(res, 0, "created_at"));
	{
		cJSON *ev = cJSON_AddObjectToObject(o, "event");
		cJSON_AddStringToObject(ev, "code", db_str(res, 0, "event_code"));
		cJSON_AddStringToObject(ev, "title", db_str(res, 0, "event_title"));
	}
	cust = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddStringToObject(cust, "name", db_str(res, 0, "customer_name"));
	mask_phone(db_str(res, 0, "customer_phone"), masked, sizeof(masked));
	cJSON_AddStringToObject(cust, "phone", masked);
	if (db_str(res, 0, "customer_email"))
		cJSON_AddStringToObject(cust, "email", db_str(res, 0, "customer_email"));
	else
		cJSON_AddNullToObject(cust, "email");
	{
		cJSON *items = db_str(res, 0, "items") ? cJSON_Parse(db_str(res, 0, "items"))
		                                       : NULL;
		cJSON_AddItemToObject(o, "items", items ? items : cJSON_CreateArray());
	}
	tickets = db_str(res, 0, "tickets") ? cJSON_Parse(db_str(res, 0, "tickets")) : NULL;
	if (tickets == NULL)
		tickets = cJSON_CreateArray();
	cJSON_ArrayForEach(t, tickets)
	{
		const char *tc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "code"));
		/* Codes are base32 and tokens base64url: nothing to escape. */
		cJSON_AddStringToObject(t, "qr_svg_url",
		                        arena_printf(r->arena,
		                                     "/fcgi/public/tickets/%s.svg?access=%s",
		                                     tc ? tc : "", db_str(res, 0, "access_token")));
	}
	cJSON_AddItemToObject(o, "tickets", tickets);
	app_reply_object(r, 200, "order", o);
}

void order_ticket_svg(struct http_req *r)
{
	const char *file = http_param(r, "file"), *access = access_param(r), *svg;
	size_t n = file ? strlen(file) : 0;
	char code[TICKET_CODE_MAX + 1];
	PGresult *res;
	enum db_err e;

	if (n <= 4 || n - 4 > TICKET_CODE_MAX || strcmp(file + n - 4, ".svg") != 0 ||
	    access == NULL) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	memcpy(code, file, n - 4);
	code[n - 4] = '\0';
	if (strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != n - 4) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	e = db_exec(r->arena, &q_ticket, (const char *[]){code}, &res);
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) != 1 || !auth_equal(access, db_str(res, 0, "access_token"))) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	svg = qr_svg(r->arena, code);
	if (svg == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	/* An image: nothing loads, nothing runs, even when opened directly;
	 * the URL carries the access token, so shared caches must not keep it. */
	http_add_header(r, "Content-Security-Policy",
	                "default-src 'none'; frame-ancestors 'none'; sandbox");
	http_add_header(r, "Cache-Control",
	                arena_printf(r->arena, "private, max-age=%d", ORDER_SVG_MAX_AGE));
	http_add_header(r, "Referrer-Policy", "no-referrer");
	http_reply(r, 200, "image/svg+xml", svg, strlen(svg));
}

void order_number_new(const char *code, char *out, size_t len)
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
	unsigned char raw[ORDER_SUFFIX_LEN];
	size_t o = 0;

	if (!tk_random(raw, sizeof(raw)))
		abort();
	for (const char *p = code; *p && o + 2 < len; p++)
		out[o++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	out[o++] = '-';
	for (size_t i = 0; i < sizeof(raw) && o + 1 < len; i++)
		out[o++] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	out[o] = '\0';
}
