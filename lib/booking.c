/* booking.c — products with availability, and reservations (see booking.h). */
#include "booking.h"

#include "app.h"
#include "auth.h"
#include "catalog.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "order.h"
#include "pending.h"
#include "queue.h"
#include "reconcile.h"
#include "stock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOKING_TOKEN_BYTES 24    /* → 32 base64url characters */
#define BOOKING_IDLE_WAIT_MS 20   /* no request for this long: write the queue */
#define BOOKING_IDLE_RETRY_MS 100 /* again, when the writer lock was taken */

static struct db_stmt q_get = DB_STMT(
    "SELECT o.id, o.order_number, o.status, o.amount, o.visit_date::text AS visit_date,"
    " iso(o.hold_expires_at) AS expires_at, o.extended,"
    " (o.hold_expires_at > now()) AS live,"
    " (SELECT json_agg(json_build_object('product_id', i.product_id, 'name', p.name,"
    "   'qty', i.qty, 'unit_price', i.unit_price, 'amount', i.amount) ORDER BY i.id)"
    "   FROM order_items i JOIN products p ON p.id = i.product_id"
    "   WHERE i.order_id = o.id) AS items"
    " FROM orders o WHERE o.event_id = $1 AND o.reservation_token = $2",
    2);

static struct db_stmt q_extend = DB_STMT(
    "UPDATE orders SET extended = true,"
    " hold_expires_at = hold_expires_at + make_interval(secs => $3)"
    " WHERE event_id = $1 AND reservation_token = $2 AND status = 'pending'"
    "   AND NOT extended AND hold_expires_at > now()"
    " RETURNING (EXTRACT(EPOCH FROM hold_expires_at) * 1000)::bigint AS exp_ms,"
    "   iso(hold_expires_at) AS expires_at",
    3);

static struct db_stmt q_state = DB_STMT(
    "SELECT status, extended, (hold_expires_at > now()) AS live FROM orders"
    " WHERE event_id = $1 AND reservation_token = $2",
    2);

static struct db_stmt q_expire = DB_STMT(
    "UPDATE orders SET status = 'expired' WHERE event_id = $1 AND reservation_token = $2"
    "   AND status = 'pending'",
    2);

static struct db_stmt q_cancel = DB_STMT(
    "UPDATE orders SET status = 'canceled', canceled_at = now()"
    " WHERE event_id = $1 AND reservation_token = $2 AND status = 'pending'"
    "   AND hold_expires_at > now()"
    " RETURNING id",
    2);

/* ---------------------------------------------------------------------- */

static bool event_or_reply(struct http_req *r, const struct catalog_event **ev)
{
	switch (catalog_get(r->arena, http_param(r, "code"), ev)) {
	case CATALOG_OK: return true;
	case CATALOG_NOT_FOUND: http_reply_error(r, "EVENT_NOT_FOUND", NULL); return false;
	default: http_reply_error(r, "UNAVAILABLE", NULL); return false;
	}
}

/* Where a product stands in its sale window now: NULL when on sale. */
static const char *sale_state(const struct catalog_event *ev, const struct catalog_product *p,
                              int64_t now_ms)
{
	char today[11];
	int64_t starts = p->sale_starts_ms ? p->sale_starts_ms : ev->sale_starts_ms;
	int64_t ends = p->sale_ends_ms ? p->sale_ends_ms : ev->sale_ends_ms;

	tk_today_seoul(today);
	if (strcmp(today, ev->ends_on) > 0 || (ends && now_ms >= ends))
		return "closed";
	if (starts && now_ms < starts)
		return "not_yet";
	return NULL;
}

/* Stock lines for qty units of p on date. Returns how many were added. */
static size_t lines_for(const struct catalog_product *p, int64_t qty, const char *date,
                        struct stock_line *out, size_t room)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_quotas && n < room; i++) {
		out[n].quota_id = p->quotas[i].quota_id;
		snprintf(out[n].date, sizeof(out[n].date), "%s",
		         p->quotas[i].per_day && date ? date : "");
		out[n].qty = qty * p->quotas[i].units;
		n++;
	}
	return n;
}

/* Reads counters, rebuilding the event's counters once if Redis lost them. */
static enum stock_err read_counters(struct http_req *r, int64_t event_id,
                                    const struct stock_line *lines, size_t n, int64_t *out)
{
	enum stock_err e = stock_read(r->arena, event_id, lines, n, out);
	bool missing = false;

	for (size_t i = 0; e == STOCK_OK && i < n; i++)
		missing = missing || out[i] < 0;
	if (e == STOCK_OK && missing) {
		if (reconcile_event(r->arena, event_id, NULL) != RECONCILE_OK)
			return STOCK_DOWN;
		e = stock_read(r->arena, event_id, lines, n, out);
	}
	return e;
}

void booking_products(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *date = http_query(r, "date");
	struct stock_line *lines;
	int64_t *avail;
	size_t n = 0;
	cJSON *items, *root;
	int64_t now = tk_now_ms();
	const char *why;

	if (!event_or_reply(r, &ev))
		return;
	if (date && *date == '\0')
		date = NULL;
	if (date && (why = catalog_date_problem(ev, date)) != NULL) {
		json_reply_field(r, "date", why);
		return;
	}
	lines = arena_calloc(r->arena, ev->n_products * CATALOG_MAX_QUOTAS + 1, sizeof(*lines));
	avail = arena_calloc(r->arena, ev->n_products * CATALOG_MAX_QUOTAS + 1, sizeof(*avail));
	for (size_t i = 0; i < ev->n_products; i++) {
		const struct catalog_product *p = &ev->products[i];
		/* Dated products have no availability without a date. */
		if (!p->dated || date)
			n += lines_for(p, 1, date, lines + n, CATALOG_MAX_QUOTAS);
	}
	if (n > 0 && read_counters(r, ev->id, lines, n, avail) != STOCK_OK) {
		http_reply_error(r, "UNAVAILABLE", NULL);
		return;
	}
	root = http_own(r, cJSON_CreateObject());
	items = cJSON_AddArrayToObject(root, "items");
	n = 0;
	for (size_t i = 0; i < ev->n_products; i++) {
		const struct catalog_product *p = &ev->products[i];
		cJSON *it = cJSON_CreateObject();
		const char *st = sale_state(ev, p, now);
		int64_t a = -1; /* -1: unlimited or unknown (no date yet) */

		if (!p->dated || date) {
			for (size_t k = 0; k < p->n_quotas; k++, n++) {
				int64_t units = p->quotas[k].units > 0 ? p->quotas[k].units : 1;
				int64_t v = avail[n] > 0 ? avail[n] / units : 0;
				if (a < 0 || v < a)
					a = v;
			}
		}
		cJSON_AddNumberToObject(it, "id", (double)p->id);
		cJSON_AddStringToObject(it, "type", p->type);
		cJSON_AddStringToObject(it, "name", p->name);
		cJSON_AddNumberToObject(it, "price", (double)p->price);
		cJSON_AddBoolToObject(it, "dated", p->dated);
		cJSON_AddNumberToObject(it, "max_per_order", p->max_per_order);
		if (a >= 0)
			cJSON_AddNumberToObject(it, "available", (double)a);
		else
			cJSON_AddNullToObject(it, "available");
		cJSON_AddStringToObject(it, "sale_status",
		                        st ? st : (a == 0 ? "sold_out" : "on_sale"));
		cJSON_AddItemToArray(items, it);
	}
	if (date)
		cJSON_AddStringToObject(root, "date", date);
	http_reply_json(r, 200, root);
}

/* ---------------------------------------------------------------------- */

struct reserve_in {
	struct json_str visit_date;
	struct json_node items, customer;
	struct json_str name, phone, email, queue_token;
};

static const struct json_field reserve_fields[] = {
    JSON_DATE("visit_date", struct reserve_in, visit_date, JF_NULLABLE),
    JSON_ARR("items", struct reserve_in, items, JF_REQUIRED, 1, BOOKING_MAX_ITEMS),
    JSON_OBJ("customer", struct reserve_in, customer, JF_REQUIRED),
    JSON_STR("customer.name", struct reserve_in, name, JF_REQUIRED, 1, BOOKING_NAME_MAX,
             tk_valid_line),
    JSON_STR("customer.phone", struct reserve_in, phone, JF_REQUIRED, 1, 13, tk_valid_phone),
    JSON_STR("customer.email", struct reserve_in, email, JF_NULLABLE, 0, 254, tk_valid_email),
    JSON_STR("queue_token", struct reserve_in, queue_token, JF_NULLABLE, 1, 512, NULL),
};

struct item_in {
	struct json_int product_id, qty;
};

static const struct json_field item_fields[] = {
    JSON_INT("product_id", struct item_in, product_id, JF_REQUIRED, 1, JSON_MAX_SAFE_INT),
    JSON_INT("qty", struct item_in, qty, JF_REQUIRED, 1, BOOKING_MAX_ITEM_QTY),
};

static void random_token(char *out, size_t bytes)
{
	unsigned char raw[48];
	if (!tk_random(raw, bytes)) {
		/* Without entropy no token can be safe; the worker cannot go on. */
		log_event(LOG_ERROR, "no_entropy", NULL);
		abort();
	}
	auth_b64url_encode(raw, bytes, out, 2 * bytes + 4);
}

/* After a hold attempt's answer has gone: write the queued pending orders
 * if they are due (pending.h). */
static void drain_idle(struct arena *a, int64_t event_id)
{
	if (pending_drain(a, event_id, 0, 0, app_listener_idle))
		app_idle_task(drain_idle, event_id, BOOKING_IDLE_RETRY_MS);
}

static void drain_after(struct http_req *r)
{
	/* What is left is written in the first quiet moment, so a queue never
	 * waits for more reservations to come. */
	if (pending_drain(r->arena, r->after_id, r->after_arg[0], r->after_arg[1],
	                  app_listener_idle))
		app_idle_task(drain_idle, r->after_id, BOOKING_IDLE_WAIT_MS);
}

static void drain_later(struct http_req *r, int64_t event_id, const struct stock_held *h)
{
	if (h->queued <= 0)
		return;
	if (!h->writer_busy || h->queue_age_ms >= PENDING_LATE_MS) {
		r->after = drain_after;
		r->after_id = event_id;
		r->after_arg[0] = h->queued;
		r->after_arg[1] = h->queue_age_ms;
	} else {
		/* Another writer is at it (or pausing): if it goes away with
		 * orders left, this worker writes them when it is quiet. */
		app_idle_task(drain_idle, event_id, BOOKING_IDLE_RETRY_MS);
	}
}

/* The product of the first item that draws from a stock line. */
static int64_t product_of_line(const struct catalog_product *const *prods, size_t n,
                               const struct stock_line *l)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < prods[i]->n_quotas; k++)
			if (prods[i]->quotas[k].quota_id == l->quota_id)
				return prods[i]->id;
	return 0;
}

/* One reservation attempt, as it goes through the steps of booking_reserve.
 * Arena memory: every pointer lives as long as the request. */
struct reservation {
	const struct catalog_event *ev;
	struct reserve_in in;
	const struct catalog_product *prods[BOOKING_MAX_ITEMS];
	int64_t qty[BOOKING_MAX_ITEMS];
	size_t n_items;
	const char *date; /* NULL: undated */
	/* Room for every quota of every item before merging: nothing may be
	 * dropped, or an order would take units it never held. */
	struct stock_line lines[BOOKING_MAX_ITEMS * CATALOG_MAX_QUOTAS];
	size_t n_lines;
	int64_t amount, expires_ms;
	struct pending_item pitems[BOOKING_MAX_ITEMS];
	struct pending_order po;
	char phone[12], token[80], access[80], number[40];
	struct queue_token queue_token; /* checked in step 1, spent before the hold */
};

/* The items against the catalog: each typed, known, not twice, within its
 * product's limit; errors collected. Returns whether any item needs a date. */
static bool reserve_items(struct http_req *r, struct reservation *rv, const cJSON *items_in,
                          cJSON *errors)
{
	const cJSON *it;
	int64_t total_qty = 0;
	bool needs_date = false;

	cJSON_ArrayForEach(it, items_in)
	{
		struct item_in ii = {0};
		const char *prefix = arena_printf(r->arena, "items[%zu].", rv->n_items);
		const struct catalog_product *p;

		if (!cJSON_IsObject(it)) {
			json_field_error(r, errors,
			                 arena_printf(r->arena, "items[%zu]", rv->n_items),
			                 "type_object");
			rv->n_items++;
			continue;
		}
		if (!json_validate(r, it, item_fields, TK_ARRAY_LEN(item_fields), &ii, prefix,
		                   errors)) {
			rv->n_items++;
			continue;
		}
		p = catalog_product(rv->ev, ii.product_id.v);
		if (p == NULL) {
			json_field_error(r, errors, arena_printf(r->arena, "%sproduct_id", prefix),
			                 "not_found");
		} else {
			for (size_t k = 0; k < rv->n_items; k++)
				if (rv->prods[k] == p)
					json_field_error(
					    r, errors,
					    arena_printf(r->arena, "%sproduct_id", prefix),
					    "duplicate");
			if (ii.qty.v > p->max_per_order)
				json_field_error(r, errors, arena_printf(r->arena, "%sqty", prefix),
				                 "too_large");
			needs_date = needs_date || p->dated;
		}
		rv->prods[rv->n_items] = p;
		rv->qty[rv->n_items] = ii.qty.v;
		total_qty += ii.qty.v;
		rv->n_items++;
	}
	if (total_qty > rv->ev->max_per_order)
		json_field_error(r, errors, "items", "too_large");
	return needs_date;
}

/* Step 1, parse and validate: the body's fields, the waiting room's
 * admission, each item against the catalog, the visit date. Every problem
 * is reported at once; false after answering. */
static bool reserve_parse_or_reply(struct http_req *r, struct reservation *rv)
{
	const cJSON *body = json_object_body_or_reply(r);
	struct reserve_in *in = &rv->in;
	cJSON *errors;
	bool needs_date;

	if (body == NULL)
		return false;
	errors = cJSON_CreateObject();
	json_validate(r, body, reserve_fields, TK_ARRAY_LEN(reserve_fields), in, NULL, errors);
	if (rv->ev->queue_enabled &&
	    !queue_token_check_or_reply(
	        r, rv->ev->id,
	        in->queue_token.set && !in->queue_token.null ? in->queue_token.v : NULL,
	        &rv->queue_token)) {
		cJSON_Delete(errors);
		return false;
	}
	needs_date = reserve_items(r, rv, in->items.set ? in->items.v : NULL, errors);
	rv->date = in->visit_date.set && !in->visit_date.null ? in->visit_date.v : NULL;
	if (needs_date && rv->date == NULL) {
		json_field_error(r, errors, "visit_date", "required");
	} else if (rv->date) {
		const char *why = catalog_date_problem(rv->ev, rv->date);
		if (why)
			json_field_error(r, errors, "visit_date", why);
	}
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return false;
	}
	cJSON_Delete(errors);
	return true;
}

/* Step 2, decide: every product on sale now, the stock lines merged into
 * the counters one atomic hold may take, the amount. False after answering. */
static bool reserve_price_or_reply(struct http_req *r, struct reservation *rv)
{
	int64_t now = tk_now_ms();

	for (size_t i = 0; i < rv->n_items; i++) {
		const char *st = sale_state(rv->ev, rv->prods[i], now);
		if (st) {
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "sale_status", st);
			cJSON_AddNumberToObject(d, "product_id", (double)rv->prods[i]->id);
			http_reply_error_full(
			    r, 409, "CONFLICT",
			    r->lang == LANG_EN ? (st[0] == 'n' ? "Sales have not started yet."
			                                       : "Sales are closed.")
			                       : (st[0] == 'n' ? "아직 판매가 시작되지 않았습니다."
			                                       : "판매가 종료되었습니다."),
			    d);
			return false;
		}
		rv->n_lines += lines_for(rv->prods[i], rv->qty[i], rv->date,
		                         rv->lines + rv->n_lines,
		                         TK_ARRAY_LEN(rv->lines) - rv->n_lines);
		rv->amount += rv->qty[i] * rv->prods[i]->price;
	}
	rv->n_lines = stock_merge(rv->lines, rv->n_lines);
	if (rv->n_lines > STOCK_MAX_LINES) {
		/* More distinct counters than one atomic hold may take. */
		json_reply_field(r, "items", "too_long");
		return false;
	}
	if (rv->amount > INT32_MAX) {
		json_reply_field(r, "items", "too_large");
		return false;
	}
	return true;
}

/* Step 3, the order: tokens, order number and the pending order record. */
static void reserve_prepare(struct reservation *rv)
{
	struct pending_order *po = &rv->po;
	const struct reserve_in *in = &rv->in;

	tk_normalize_phone(in->phone.v, rv->phone);
	random_token(rv->token, BOOKING_TOKEN_BYTES);
	random_token(rv->access, BOOKING_TOKEN_BYTES);
	order_number_new(rv->ev->code, rv->number, sizeof(rv->number));
	for (size_t i = 0; i < rv->n_items; i++) {
		rv->pitems[i].product_id = rv->prods[i]->id;
		rv->pitems[i].qty = rv->qty[i];
		rv->pitems[i].unit_price = rv->prods[i]->price;
	}
	po->number = rv->number;
	po->token = rv->token;
	po->visit_date = rv->date;
	po->amount = rv->amount;
	po->name = in->name.v;
	po->phone = rv->phone;
	po->email = in->email.set && !in->email.null && *in->email.v ? in->email.v : NULL;
	po->access_token = rv->access;
	po->items = rv->pitems;
	po->n_items = rv->n_items;
}

/* Step 4a, hold: one atomic hold in Redis for every line, the pending
 * order riding with it and written right after the answer (pending.h). A
 * sold-out answer never reaches PostgreSQL. False after answering. */
static bool reserve_hold_or_reply(struct http_req *r, struct reservation *rv)
{
	struct stock_held held = {0};
	int64_t hold_ms = (int64_t)rv->ev->hold_seconds * 1000;
	const char *record = pending_record(r->arena, &rv->po);
	enum stock_err se;

	if (record == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return false;
	}
	se = stock_hold(r->arena, rv->ev->id, rv->token, rv->lines, rv->n_lines, hold_ms, record,
	                &held);
	if (se == STOCK_UNINIT) {
		/* Redis lost the counters (restart without data): rebuild them
		 * from PostgreSQL, then try once more. */
		if (reconcile_event(r->arena, rv->ev->id, NULL) != RECONCILE_OK) {
			http_reply_error(r, "UNAVAILABLE", NULL);
			return false;
		}
		se = stock_hold(r->arena, rv->ev->id, rv->token, rv->lines, rv->n_lines, hold_ms,
		                record, &held);
	}
	if (se == STOCK_SOLD_OUT) {
		cJSON *d = cJSON_CreateObject();
		drain_later(r, rv->ev->id, &held);
		cJSON_AddNumberToObject(
		    d, "product_id",
		    (double)product_of_line(rv->prods, rv->n_items, &rv->lines[held.failed_line]));
		cJSON_AddNumberToObject(d, "available",
		                        (double)(held.available > 0 ? held.available : 0));
		http_reply_error(r, "SOLD_OUT", d);
		return false;
	}
	if (se != STOCK_OK) {
		http_reply_error(r, "UNAVAILABLE", NULL);
		return false;
	}
	rv->expires_ms = held.expires_ms;
	drain_later(r, rv->ev->id, &held);
	return true;
}

/* Step 4b, record: nothing to hold (no product draws from a quota), so the
 * order is written now. Only a drawn order number that exists already is
 * worth a second try. False after answering. */
static bool reserve_record_or_reply(struct http_req *r, struct reservation *rv)
{
	enum db_err de = DB_ERROR;

	rv->expires_ms = tk_now_ms() + (int64_t)rv->ev->hold_seconds * 1000;
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *record = pending_record(r->arena, &rv->po);
		de = record
		         ? pending_write_one(r->arena, rv->ev->id,
		                             pending_record_close(r->arena, record, rv->expires_ms))
		         : DB_ERROR;
		if (de != DB_UNIQUE)
			break;
		order_number_new(rv->ev->code, rv->number, sizeof(rv->number));
	}
	if (de != DB_OK) {
		app_reply_db_error(r, de);
		return false;
	}
	return true;
}

/* Step 5, reply: 201 with the reservation and what the browser needs to
 * open the payment window. */
static void reserve_reply(struct http_req *r, const struct reservation *rv)
{
	cJSON *root = http_own(r, cJSON_CreateObject());
	cJSON *res = cJSON_AddObjectToObject(root, "reservation"), *items, *pay;
	char iso[32];

	tk_iso_seoul(rv->expires_ms, iso);
	cJSON_AddStringToObject(res, "token", rv->token);
	cJSON_AddStringToObject(res, "order_id", rv->number);
	cJSON_AddStringToObject(res, "order_number", rv->number);
	cJSON_AddStringToObject(res, "order_name",
	                        rv->n_items > 1 ? arena_printf(r->arena, "%s 외 %zu건",
	                                                       rv->prods[0]->name, rv->n_items - 1)
	                                        : rv->prods[0]->name);
	cJSON_AddNumberToObject(res, "amount", (double)rv->amount);
	cJSON_AddStringToObject(res, "expires_at", iso);
	if (rv->date)
		cJSON_AddStringToObject(res, "visit_date", rv->date);
	else
		cJSON_AddNullToObject(res, "visit_date");
	cJSON_AddStringToObject(res, "state", "held");
	items = cJSON_AddArrayToObject(res, "items");
	for (size_t i = 0; i < rv->n_items; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "product_id", (double)rv->prods[i]->id);
		cJSON_AddStringToObject(o, "name", rv->prods[i]->name);
		cJSON_AddNumberToObject(o, "qty", (double)rv->qty[i]);
		cJSON_AddNumberToObject(o, "unit_price", (double)rv->prods[i]->price);
		cJSON_AddNumberToObject(o, "amount", (double)(rv->qty[i] * rv->prods[i]->price));
		cJSON_AddItemToArray(items, o);
	}
	pay = cJSON_AddObjectToObject(root, "payment");
	cJSON_AddStringToObject(pay, "client_key", cfg.toss_client_key);
	cJSON_AddStringToObject(pay, "success_url",
	                        arena_printf(r->arena, "%s/fcgi/payment/success", cfg.base_url));
	cJSON_AddStringToObject(pay, "fail_url",
	                        arena_printf(r->arena, "%s/fcgi/payment/fail", cfg.base_url));
	/* The dev/test stack's stand-in has its own payment window; the page
	 * opens it instead of Toss's SDK when this is present. */
	if (cfg.dev && strstr(cfg.toss_url, "/_fake/toss") != NULL)
		cJSON_AddStringToObject(pay, "checkout_url",
		                        arena_printf(r->arena, "%s/checkout", cfg.toss_url));
	http_reply_json(r, 201, root);
}

void booking_reserve(struct http_req *r)
{
	struct reservation *rv = arena_calloc(r->arena, 1, sizeof(*rv));

	if (!event_or_reply(r, &rv->ev) || !reserve_parse_or_reply(r, rv) ||
	    !reserve_price_or_reply(r, rv))
		return;
	reserve_prepare(rv);
	if (rv->ev->queue_enabled && !queue_token_spend_or_reply(r, rv->ev->id, &rv->queue_token))
		return;
	if (rv->n_lines > 0 ? !reserve_hold_or_reply(r, rv) : !reserve_record_or_reply(r, rv))
		return;
	reserve_reply(r, rv);
}

/* ---------------------------------------------------------------------- */

/* The reservation token of the path, its pending order written first if
 * it is still queued behind its hold (pending.h). */
static bool token_param_or_reply(struct http_req *r, const struct catalog_event *ev,
                                 const char **token)
{
	const char *t = http_param(r, "token");
	size_t n = t ? strlen(t) : 0;
	if (n < 16 || n > 64 ||
	    strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return false;
	}
	switch (pending_materialize(r->arena, ev->id, t)) {
	case DB_DOWN:
	case DB_RETRY: /* still queued, not written yet: it will be */
		http_reply_error(r, "UNAVAILABLE", NULL);
		return false;
	default: break;
	}
	*token = t;
	return true;
}

static const char *state_of(const char *status, bool live)
{
	if (strcmp(status, "pending") == 0)
		return live ? "held" : "expired";
	if (strcmp(status, "paid") == 0 || strcmp(status, "refunded") == 0 ||
	    strcmp(status, "partially_refunded") == 0)
		return "paid";
	if (strcmp(status, "expired") == 0)
		return "expired";
	return "canceled";
}

void booking_get(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *token;
	PGresult *res;
	cJSON *o;

	if (!event_or_reply(r, &ev) || !token_param_or_reply(r, ev, &token))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, ev->id), token};
		res = app_row_or_reply(r, &q_get, params, "NOT_FOUND");
	}
	if (res == NULL)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", token);
	cJSON_AddStringToObject(o, "state",
	                        state_of(db_str(res, 0, "status"), db_bool(res, 0, "live")));
	cJSON_AddStringToObject(o, "order_id", db_str(res, 0, "order_number"));
	cJSON_AddStringToObject(o, "order_number", db_str(res, 0, "order_number"));
	cJSON_AddNumberToObject(o, "amount", (double)db_i64(res, 0, "amount"));
	if (db_str(res, 0, "visit_date"))
		cJSON_AddStringToObject(o, "visit_date", db_str(res, 0, "visit_date"));
	else
		cJSON_AddNullToObject(o, "visit_date");
	cJSON_AddStringToObject(o, "expires_at", db_str(res, 0, "expires_at"));
	cJSON_AddBoolToObject(o, "extended", db_bool(res, 0, "extended"));
	cJSON_AddItemToObject(o, "items", cJSON_Parse(db_str(res, 0, "items")));
	app_reply_object(r, 200, "reservation", o);
}

/* Why a pending-only change did not apply: 404, 409 RESERVATION_EXPIRED or
 * 409 CONFLICT (already paid, canceled, or extended). */
static void reply_not_pending(struct http_req *r, int64_t event_id, const char *token,
                              const char *conflict_reason)
{
	const char *params[] = {db_param_i64(r->arena, event_id), token};
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_state, params, &res);
	const char *state;
	cJSON *d;

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) != 1) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	state = state_of(db_str(res, 0, "status"), db_bool(res, 0, "live"));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "state", state);
	if (strcmp(state, "expired") == 0) {
		http_reply_error(r, "RESERVATION_EXPIRED", d);
		return;
	}
	if (strcmp(state, "held") == 0 && conflict_reason)
		cJSON_AddStringToObject(d, "reason", conflict_reason);
	http_reply_error(r, "CONFLICT", d);
}

void booking_extend(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *token;
	PGresult *res;
	enum db_err e;
	enum stock_err se;
	cJSON *o;

	if (!event_or_reply(r, &ev) || !token_param_or_reply(r, ev, &token))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, ev->id), token,
		                        db_param_i64(r->arena, BOOKING_EXTEND_SECONDS)};
		e = db_exec(r->arena, &q_extend, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) != 1) {
		reply_not_pending(r, ev->id, token, "already_extended");
		return;
	}
	/* PostgreSQL decided the new expiry; Redis follows if the hold is
	 * still there. A hold Redis lost with its data is rebuilt from the
	 * pending orders first; only a hold that really lapsed ends it. */
	se = stock_extend(r->arena, ev->id, token, db_i64(res, 0, "exp_ms"));
	if (se == STOCK_GONE && reconcile_event(r->arena, ev->id, NULL) == RECONCILE_OK)
		se = stock_extend(r->arena, ev->id, token, db_i64(res, 0, "exp_ms"));
	if (se == STOCK_DOWN || se == STOCK_ERROR) {
		/* PostgreSQL has the longer hold; Redis catches up on the next
		 * reconcile, which recreates holds from pending orders. */
		log_event(LOG_WARN, "extend_redis_deferred", "token", token, NULL);
	} else if (se == STOCK_GONE) {
		const char *params[] = {db_param_i64(r->arena, ev->id), token};
		db_exec(r->arena, &q_expire, params, NULL);
		http_reply_error(r, "RESERVATION_EXPIRED", NULL);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", token);
	cJSON_AddStringToObject(o, "state", "held");
	cJSON_AddStringToObject(o, "expires_at", db_str(res, 0, "expires_at"));
	cJSON_AddBoolToObject(o, "extended", true);
	app_reply_object(r, 200, "reservation", o);
}

void booking_cancel(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *token;
	PGresult *res;
	enum db_err e;
	cJSON *o;

	if (!event_or_reply(r, &ev) || !token_param_or_reply(r, ev, &token))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, ev->id), token};
		e = db_exec(r->arena, &q_cancel, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (db_rows(res) != 1) {
		reply_not_pending(r, ev->id, token, NULL);
		return;
	}
	/* Gated in Redis: racing with expiry, the units go back once. */
	if (stock_release(r->arena, ev->id, token) == STOCK_DOWN)
		log_event(LOG_WARN, "cancel_release_deferred", "token", token, NULL);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", token);
	cJSON_AddStringToObject(o, "state", "canceled");
	app_reply_object(r, 200, "reservation", o);
}
