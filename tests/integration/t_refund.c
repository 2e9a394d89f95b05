/*
 * t_refund.c — POST /fcgi/admin/events/{id}/orders/{oid}/refund, end to
 * end through the fake Toss: a partial refund by ticket and then the rest,
 * with the Toss payment's balance, quota_usage.sold, the Redis counters and
 * the public availability moving by exactly the refunded units; second
 * refunds of the same tickets (409 ALREADY_REFUNDED), used tickets (409
 * ALREADY_USED), bad input; Toss failing (502, 402, answers lost and
 * settled by GET: one cancel at Toss); products admitting two people per
 * unit (whole units only) and free products (no Toss call); two refunds of
 * one order at once (one wins, Toss cancels once).
 *
 * A ticket being "used" is written straight into PostgreSQL with the
 * admission's own conditional update (the entrance family has no scan
 * route yet).
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RF_PASSWORD "refund-manager-pass-1"
#define RF_MAX_TICKETS 16

/* One paid order and what the tests need of it. */
struct rf_case {
	char code[17];
	long long ev, daily, total, prod;
	char date[11];
	char number[40];
	long long oid;
	char payment_key[220];
	int n_tickets;
	char tickets[RF_MAX_TICKETS][200];
	struct sess *manager;
	long long manager_id;
};

static void rf_setup(void)
{
	resp_t *r = req("POST", "/_fake/toss/_control", "{\"reset\":true}", NULL);
	ck_assert_msg(r->status == 200, "fake _control reset: %ld", r->status);
	resp_free(r);
}

static void rf_control(const char *json)
{
	resp_t *r = req("POST", "/_fake/toss/_control", json, NULL);
	ck_assert_msg(r->status == 200, "fake _control %s: %ld %s", json, r->status,
	              resp_snippet(r));
	resp_free(r);
}

/* A manager of the case's event only. */
static void rf_manager(struct rf_case *c, const char *tag)
{
	/* Tags differ per test: forked tests (CK_FORK=yes) share the counter. */
	char *user = strf("%s", uniq_user(strf("%sm", tag)));

	c->manager_id = mk_admin(user, RF_PASSWORD);
	set_events(c->manager_id, 1, c->ev, 3);
	c->manager = login_ok("admin", user, RF_PASSWORD);
}

/* The manager's session, at the end of a test. */
static void rf_done(struct rf_case *c)
{
	sess_free(c->manager);
	c->manager = NULL;
}

/* Reads the order's id, payment key and ticket codes (in id order). */
static void rf_load(struct rf_case *c)
{
	resp_t *r;
	const cJSON *t;
	const char *key;

	c->oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", c->number);
	ck_assert(c->oid > 0);
	key = tdb_value("SELECT payment_key FROM payments WHERE order_id = $1"
	                " AND confirm_state = 'done'",
	                strf("%lld", c->oid));
	snprintf(c->payment_key, sizeof(c->payment_key), "%s", key ? key : "");
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", c->ev, c->oid), NULL,
	        c->manager->token);
	ASSERT_STATUS(r, 200);
	c->n_tickets = 0;
	cJSON_ArrayForEach(t, jget(r->json, "order.tickets"))
	{
		ck_assert(c->n_tickets < RF_MAX_TICKETS);
		snprintf(c->tickets[c->n_tickets++], sizeof(c->tickets[0]), "%s", jtext(t, "code"));
	}
	resp_free(r);
}

/* An event with a daily quota (10 per day) and a whole-event one (100), a
 * dated product of price 10000 in both, and a paid order of qty units. */
static void rf_case_new(struct rf_case *c, const char *tag, int qty)
{
	resp_t *r;

	memset(c, 0, sizeof(*c));
	snprintf(c->code, sizeof(c->code), "%s", uniq_code(tag));
	c->ev = bk_event(c->code, 0, 0);
	c->daily = bk_quota(c->ev, "Daily", 10, true);
	c->total = bk_quota(c->ev, "Season", 100, false);
	c->prod = bk_product(c->ev, &(struct bk_product){.name = "성인",
	                                                 .price = 10000,
	                                                 .dated = true,
	                                                 .quotas = {c->daily, c->total}});
	snprintf(c->date, sizeof(c->date), "%s", bk_date(1));
	rf_manager(c, tag);
	r = bk_reserve(c->code, c->date, c->prod, qty);
	ASSERT_STATUS(r, 201);
	snprintf(c->number, sizeof(c->number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	rf_load(c);
	ck_assert_int_eq(c->n_tickets, qty);
}

static resp_t *rf_refund(const struct rf_case *c, const char *body)
{
	return req("POST", strf("/fcgi/admin/events/%lld/orders/%lld/refund", c->ev, c->oid), body,
	           c->manager->token);
}

/* {"reason":…,"ticket_codes":[the case's tickets i, j …]}; -1 ends. */
static char *rf_body(const struct rf_case *c, const char *reason, ...)
{
	cJSON *o = cJSON_CreateObject(), *arr = NULL;
	va_list ap;
	int i;

	cJSON_AddStringToObject(o, "reason", reason);
	va_start(ap, reason);
	while ((i = va_arg(ap, int)) >= 0) {
		if (arr == NULL)
			arr = cJSON_AddArrayToObject(o, "ticket_codes");
		cJSON_AddItemToArray(arr, cJSON_CreateString(c->tickets[i]));
	}
	va_end(ap);
	return jbody(o);
}

/* ---- the fake Toss's view --------------------------------------------------------- */

static char *b64(const char *s)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	ck_assert(out != NULL);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

struct toss_view {
	char status[32];
	long long balance;
	int cancels;
	char last_tx[80];
};

/* GET /_fake/toss/v1/payments/{key} with the secret key, as Toss's API. */
static void toss_view(const struct rf_case *c, struct toss_view *v)
{
	const char *secret = getenv("TICKET_TOSS_SECRET_KEY");
	char *auth;
	resp_t *r;
	const cJSON *cancels, *last;

	ck_assert_msg(secret && *secret, "TICKET_TOSS_SECRET_KEY is not set");
	auth = b64(strf("%s:", secret));
	r = req("GET", strf("/_fake/toss/v1/payments/%s", c->payment_key), NULL, NULL,
	        strf("Authorization: Basic %s", auth));
	free(auth);
	ASSERT_STATUS(r, 200);
	memset(v, 0, sizeof(*v));
	snprintf(v->status, sizeof(v->status), "%s", jstr(r, "status") ? jstr(r, "status") : "");
	v->balance = jint(r, "balanceAmount");
	cancels = jget(r->json, "cancels");
	v->cancels = cJSON_IsArray(cancels) ? cJSON_GetArraySize(cancels) : 0;
	last = v->cancels ? cJSON_GetArrayItem(cancels, v->cancels - 1) : NULL;
	if (last && jtext(last, "transactionKey"))
		snprintf(v->last_tx, sizeof(v->last_tx), "%s", jtext(last, "transactionKey"));
	resp_free(r);
}

/* ---- PostgreSQL ------------------------------------------------------------------ */

static const char *rf_oid(const struct rf_case *c)
{
	return strf("%lld", c->oid);
}

static const char *ticket_status(const char *code)
{
	return tdb_value("SELECT status FROM tickets WHERE code = $1", code);
}

static long long refunds_of(const struct rf_case *c)
{
	return tdb_count("SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'done'",
	                 rf_oid(c));
}

/* The gate's admission (DESIGN: one conditional update), written directly. */
static void mark_used(const char *code)
{
	PGconn *pg = PQconnectdb(getenv("TICKET_PG") ? getenv("TICKET_PG") : "");
	const char *params[] = {code};
	PGresult *res;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
	res = PQexecParams(pg,
	                   "UPDATE tickets SET status = 'used', used_at = now(), used_gate = 'G1'"
	                   " WHERE code = $1 AND status = 'valid' AND used_at IS NULL",
	                   1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0,
	              "mark used: %s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

/* Stock of the case's product on its date: quota_usage.sold of both quotas,
 * the daily counter in Redis and the public availability. */
static void expect_stock(const struct rf_case *c, int sold)
{
	ck_assert_int_eq(bk_quota_sold(c->daily, c->date), sold);
	ck_assert_int_eq(bk_quota_sold(c->total, NULL), sold);
	ck_assert_int_eq(bk_counter(c->ev, c->daily, c->date), 10 - sold);
	ck_assert_int_eq(bk_counter(c->ev, c->total, NULL), 100 - sold);
	ck_assert_int_eq(bk_available(c->code, c->date, c->prod), 10 - sold);
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(partial_then_the_rest)
{
	struct rf_case c;
	struct toss_view v;
	resp_t *r;
	const cJSON *o;
	bool hist = false;

	rf_case_new(&c, "rfp", 3);
	expect_stock(&c, 3);

	/* ticket 0 */
	r = rf_refund(&c, rf_body(&c, "고객 요청 (일부)", 0, -1));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 10000);
	ck_assert_str_eq(jstr(r, "refund.order_status"), "partially_refunded");
	ck_assert_str_eq(jstr(r, "refund.payment.status"), "PARTIAL_CANCELED");
	ck_assert_int_eq(jint(r, "refund.payment.balance_amount"), 20000);
	ck_assert_str_eq(jstr(r, "refund.ticket_codes.0"), c.tickets[0]);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "refund.ticket_codes")), 1);
	ck_assert_int_eq(jint(r, "refund.items.0.units"), 1);
	toss_view(&c, &v);
	ck_assert_str_eq(v.status, "PARTIAL_CANCELED");
	ck_assert_int_eq(v.balance, 20000);
	ck_assert_int_eq(v.cancels, 1);
	ck_assert_str_eq(jstr(r, "refund.toss_transaction_key"), v.last_tx);
	resp_free(r);

	ck_assert_str_eq(ticket_status(c.tickets[0]), "refunded");
	ck_assert_str_eq(ticket_status(c.tickets[1]), "valid");
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets WHERE code = $1"
	                           " AND refunded_at IS NOT NULL",
	                           c.tickets[0]),
	                 1);
	ck_assert_int_eq(
	    tdb_count("SELECT refunded_qty FROM order_items WHERE order_id = $1", rf_oid(&c)), 1);
	ck_assert_str_eq(tdb_value("SELECT status FROM orders WHERE id = $1", rf_oid(&c)),
	                 "partially_refunded");
	ck_assert_str_eq(tdb_value("SELECT status || ':' || balance_amount FROM payments"
	                           " WHERE order_id = $1",
	                           rf_oid(&c)),
	                 "PARTIAL_CANCELED:20000");
	ck_assert_str_eq(tdb_value("SELECT amount || ':' || status || ':' || toss_transaction_key"
	                           " || ':' || admin_id || ':' || array_length(ticket_ids, 1)"
	                           " FROM refunds WHERE order_id = $1",
	                           rf_oid(&c)),
	                 strf("10000:done:%s:%lld:1", v.last_tx, c.manager_id));
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM notifications WHERE order_id = $1"
	                           " AND template_code = 'REFUND_PARTIAL'",
	                           rf_oid(&c)),
	                 1);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE target_type = 'order'"
	                           " AND target_id = $1 AND action = 'order.refund'"
	                           " AND admin_id = $2 AND (summary->>'amount')::int = 10000",
	                           rf_oid(&c), strf("%lld", c.manager_id)),
	                 1);
	expect_stock(&c, 2);

	/* the detail shows it */
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", c.ev, c.oid), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	o = jget(r->json, "order");
	ck_assert_int_eq(jnum(o, "refunded_amount"), 10000);
	ck_assert_int_eq(cJSON_GetArraySize(jget(o, "refunds")), 1);
	ck_assert_str_eq(jstr(r, "order.refunds.0.ticket_codes.0"), c.tickets[0]);
	ck_assert_str_eq(jstr(r, "order.refunds.0.reason"), "고객 요청 (일부)");
	ck_assert_str_eq(jtext(jfind_str(jget(o, "tickets"), "code", c.tickets[0]), "status"),
	                 "refunded");
	{
		const cJSON *h;
		cJSON_ArrayForEach(h, jget(o, "history"))
		    hist = hist || strcmp(jtext(h, "action"), "order.refund") == 0;
	}
	ck_assert(hist);
	resp_free(r);

	/* the same ticket again, alone or with another: nothing happens */
	r = rf_refund(&c, rf_body(&c, "again", 0, -1));
	ASSERT_ERROR(r, 409, "ALREADY_REFUNDED");
	ck_assert_str_eq(jstr(r, "error.details.ticket_codes.0"), c.tickets[0]);
	resp_free(r);
	r = rf_refund(&c, rf_body(&c, "again", 1, 0, -1));
	ASSERT_ERROR(r, 409, "ALREADY_REFUNDED");
	resp_free(r);
	ck_assert_str_eq(ticket_status(c.tickets[1]), "valid");
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 1);
	ck_assert_int_eq(v.balance, 20000);
	ck_assert_int_eq(refunds_of(&c), 1);
	expect_stock(&c, 2);

	/* the rest of the order */
	r = rf_refund(&c, "{\"reason\":\"전체 환불\"}");
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 20000);
	ck_assert_str_eq(jstr(r, "refund.order_status"), "refunded");
	ck_assert_str_eq(jstr(r, "refund.payment.status"), "CANCELED");
	ck_assert_int_eq(jint(r, "refund.payment.balance_amount"), 0);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "refund.ticket_codes")), 2);
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_str_eq(v.status, "CANCELED");
	ck_assert_int_eq(v.balance, 0);
	ck_assert_int_eq(v.cancels, 2);
	ck_assert_str_eq(tdb_value("SELECT status FROM orders WHERE id = $1", rf_oid(&c)),
	                 "refunded");
	ck_assert_str_eq(tdb_value("SELECT status || ':' || balance_amount FROM payments"
	                           " WHERE order_id = $1",
	                           rf_oid(&c)),
	                 "CANCELED:0");
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets WHERE order_id = $1"
	                           " AND status = 'refunded'",
	                           rf_oid(&c)),
	                 3);
	ck_assert_int_eq(
	    tdb_count("SELECT refunded_qty FROM order_items WHERE order_id = $1", rf_oid(&c)), 3);
	expect_stock(&c, 0);

	/* nothing left */
	r = rf_refund(&c, "{\"reason\":\"again\"}");
	ASSERT_ERROR(r, 409, "ALREADY_REFUNDED");
	resp_free(r);
	r = rf_refund(&c, rf_body(&c, "again", 2, -1));
	ASSERT_ERROR(r, 409, "ALREADY_REFUNDED");
	resp_free(r);
	ck_assert_int_eq(refunds_of(&c), 2);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 2);

	/* the list shows it */
	r = req("GET", strf("/fcgi/admin/events/%lld/orders?status=refunded&q=%s", c.ev, c.number),
	        NULL, c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 1);
	ck_assert_int_eq(jint(r, "items.0.refunded_amount"), 30000);
	resp_free(r);
	rf_done(&c);
}
END_TEST

START_TEST(used_tickets_stay)
{
	struct rf_case c;
	resp_t *r;

	rf_case_new(&c, "rfu", 2);
	mark_used(c.tickets[0]);
	r = rf_refund(&c, rf_body(&c, "used", 0, -1));
	ASSERT_ERROR(r, 409, "ALREADY_USED");
	ck_assert_str_eq(jstr(r, "error.details.ticket_codes.0"), c.tickets[0]);
	resp_free(r);
	r = rf_refund(&c, rf_body(&c, "used", 1, 0, -1));
	ASSERT_ERROR(r, 409, "ALREADY_USED");
	resp_free(r);
	ck_assert_str_eq(ticket_status(c.tickets[1]), "valid");
	ck_assert_int_eq(refunds_of(&c), 0);

	/* the whole rest: the unused ticket only */
	r = rf_refund(&c, "{\"reason\":\"rest\"}");
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 10000);
	ck_assert_str_eq(jstr(r, "refund.ticket_codes.0"), c.tickets[1]);
	ck_assert_str_eq(jstr(r, "refund.order_status"), "partially_refunded");
	resp_free(r);
	ck_assert_str_eq(ticket_status(c.tickets[0]), "used");
	expect_stock(&c, 1);
	r = rf_refund(&c, "{\"reason\":\"rest\"}");
	ASSERT_ERROR(r, 409, "ALREADY_USED");
	resp_free(r);
	rf_done(&c);
}
END_TEST

START_TEST(bad_requests_change_nothing)
{
	struct rf_case c, other;
	struct toss_view v;
	resp_t *r;
	const char *base;

	rf_case_new(&c, "rfb", 2);
	rf_case_new(&other, "rfo", 1);

	r = rf_refund(&c, "{}");
	ASSERT_FIELD(r, "reason");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"\"}");
	ASSERT_FIELD(r, "reason");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"   \"}");
	ASSERT_FIELD(r, "reason");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"two\\nlines\"}");
	ASSERT_FIELD(r, "reason");
	resp_free(r);
	r = rf_refund(&c, strf("{\"reason\":\"%s\"}", str_repeat('x', 201)));
	ASSERT_FIELD(r, "reason");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"x\",\"ticket_codes\":[]}");
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"x\",\"ticket_codes\":\"ABC\"}");
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"x\",\"ticket_codes\":[\"not-a-code\"]}");
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"x\",\"ticket_codes\":[12345678]}");
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);
	r = rf_refund(&c, rf_body(&c, "dup", 0, 0, -1));
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);
	/* another order's ticket */
	r = rf_refund(&c, strf("{\"reason\":\"x\",\"ticket_codes\":[\"%s\",\"%s\"]}", c.tickets[0],
	                       other.tickets[0]));
	ASSERT_FIELD(r, "ticket_codes");
	ck_assert_str_eq(jstr(r, "error.details.unknown_codes.0"), other.tickets[0]);
	resp_free(r);
	r = rf_refund(&c, "{\"reason\":\"x\",\"ticket_codes\":[\"AAAAAAAAAAAAAAAA\"]}");
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);

	base = strf("/fcgi/admin/events/%lld/orders", c.ev);
	r = req("POST", strf("%s/abc/refund", base), "{\"reason\":\"x\"}", c.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("POST", strf("%s/%lld/refund", base, other.oid), "{\"reason\":\"x\"}",
	        c.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("POST", strf("%s/%lld/refund", base, c.oid), "not json", c.manager->token);
	ASSERT_ERROR(r, 400, "INVALID_JSON");
	resp_free(r);

	/* an order that is not paid */
	{
		resp_t *res = bk_reserve(c.code, c.date, c.prod, 1);
		long long pending;
		ASSERT_STATUS(res, 201);
		bk_flush();
		pending = tdb_count("SELECT id FROM orders WHERE order_number = $1",
		                    jstr(res, "reservation.order_id"));
		resp_free(res);
		r = req("POST", strf("%s/%lld/refund", base, pending), "{\"reason\":\"x\"}",
		        c.manager->token);
		ASSERT_ERROR(r, 409, "CONFLICT");
		ck_assert_str_eq(jstr(r, "error.details.status"), "pending");
		resp_free(r);
	}

	ck_assert_int_eq(refunds_of(&c), 0);
	ck_assert_str_eq(ticket_status(c.tickets[0]), "valid");
	ck_assert_str_eq(ticket_status(other.tickets[0]), "valid");
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 0);
	ck_assert_int_eq(v.balance, 20000);
	ck_assert_int_eq(bk_quota_sold(c.daily, c.date), 2); /* a hold is not sold */
	rf_done(&c);
	rf_done(&other);
}
END_TEST

START_TEST(toss_failures)
{
	struct rf_case c;
	struct toss_view v;
	resp_t *r;

	rf_case_new(&c, "rft", 3);

	/* Toss down twice: 502, nothing changed, safe to repeat */
	rf_control("{\"fail_next\":{\"cancel\":2,\"status\":500}}");
	r = rf_refund(&c, rf_body(&c, "down", 0, -1));
	ASSERT_ERROR(r, 502, "PAYMENT_PROVIDER_ERROR");
	ck_assert_int_eq(jbool(r, "error.details.retry_safe"), 1);
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 0);
	ck_assert_str_eq(ticket_status(c.tickets[0]), "valid");
	ck_assert_int_eq(refunds_of(&c), 0);
	expect_stock(&c, 3);

	/* Toss refuses: 402 naming its code */
	rf_control("{\"fail_next\":{\"cancel\":1,\"code\":\"NOT_CANCELABLE_PAYMENT\"}}");
	r = rf_refund(&c, rf_body(&c, "refused", 0, -1));
	ASSERT_ERROR(r, 402, "PAYMENT_REJECTED");
	ck_assert_str_eq(jstr(r, "error.details.toss_code"), "NOT_CANCELABLE_PAYMENT");
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 0);
	ck_assert_int_eq(refunds_of(&c), 0);
	/* the refusal is on record; the next attempt is not answered with it */
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM refunds WHERE order_id = $1"
	                           " AND status = 'failed' AND amount = 10000",
	                           rf_oid(&c)),
	                 1);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE target_type = 'order'"
	                           " AND target_id = $1 AND action = 'order.refund_failed'"
	                           " AND summary->>'toss_code' = 'NOT_CANCELABLE_PAYMENT'",
	                           rf_oid(&c)),
	                 1);
	ck_assert_str_eq(ticket_status(c.tickets[0]), "valid");

	/* Toss cancels and the answer is lost: settled by GET, cancelled once */
	rf_control("{\"fail_next\":{\"cancel\":1,\"status\":500,\"after\":true}}");
	r = rf_refund(&c, rf_body(&c, "lost answer", 0, -1));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.payment.balance_amount"), 20000);
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 1);
	ck_assert_int_eq(v.balance, 20000);
	ck_assert_int_eq(refunds_of(&c), 1);
	ck_assert_str_eq(tdb_value("SELECT toss_transaction_key FROM refunds WHERE order_id = $1"
	                           " AND status = 'done'",
	                           rf_oid(&c)),
	                 v.last_tx);
	expect_stock(&c, 2);

	/* one 500 with nothing done: the cancel is sent again and goes through */
	rf_control("{\"fail_next\":{\"cancel\":1,\"status\":500}}");
	r = rf_refund(&c, rf_body(&c, "retry", 1, -1));
	ASSERT_STATUS(r, 201);
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 2);
	ck_assert_int_eq(v.balance, 10000);
	ck_assert_int_eq(refunds_of(&c), 2);
	expect_stock(&c, 1);
	rf_done(&c);
}
END_TEST

/* A product admitting two people per unit, a free one, both in one order. */
START_TEST(whole_units_and_free_products)
{
	struct rf_case c;
	struct toss_view v;
	long long q, family, guide;
	struct bk_item items[2];
	resp_t *r;
	cJSON *o, *ids;
	int fam[4], nf = 0, free_t = -1;

	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", uniq_code("rfa"));
	c.ev = bk_event(c.code, 0, 0);
	q = bk_quota(c.ev, "Hall", 50, false);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "TICKET");
	cJSON_AddStringToObject(o, "name", "가족(2인)");
	cJSON_AddNumberToObject(o, "price", 18000);
	cJSON_AddNumberToObject(o, "admits", 2);
	ids = cJSON_AddArrayToObject(o, "quota_ids");
	cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)q));
	r = req("POST", strf("/fcgi/admin/events/%lld/products", c.ev), jbody(o), super_tok());
	ASSERT_STATUS(r, 201);
	family = jint(r, "product.id");
	resp_free(r);
	guide = bk_product(c.ev,
	                   &(struct bk_product){.name = "무료 안내서", .price = 0, .quotas = {q}});
	rf_manager(&c, "rfa");
	items[0] = (struct bk_item){family, 2};
	items[1] = (struct bk_item){guide, 1};
	r = bk_post(c.code, bk_body(NULL, items, 2));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "reservation.amount"), 36000);
	snprintf(c.number, sizeof(c.number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	rf_load(&c);
	ck_assert_int_eq(c.n_tickets, 5);
	ck_assert_int_eq(bk_quota_sold(q, NULL), 3);
	for (int i = 0; i < c.n_tickets; i++) {
		const char *pid = tdb_value("SELECT product_id FROM tickets WHERE code = $1",
		                            c.tickets[i]);
		if (atoll(pid) == family)
			fam[nf++] = i;
		else
			free_t = i;
	}
	ck_assert_int_eq(nf, 4);
	ck_assert_int_ge(free_t, 0);

	/* half a unit: 422 naming the item */
	r = rf_refund(&c, rf_body(&c, "half", fam[0], -1));
	ASSERT_FIELD(r, "ticket_codes");
	ck_assert_str_eq(jstr(r, "error.details.reason"), "WHOLE_UNITS");
	ck_assert_int_eq(jint(r, "error.details.tickets_per_unit"), 2);
	resp_free(r);
	r = rf_refund(&c, rf_body(&c, "one and a half", fam[0], fam[1], fam[2], -1));
	ASSERT_FIELD(r, "ticket_codes");
	resp_free(r);

	/* one unit = two tickets, any two */
	r = rf_refund(&c, rf_body(&c, "one family unit", fam[0], fam[3], -1));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 18000);
	ck_assert_int_eq(jint(r, "refund.items.0.units"), 1);
	ck_assert_str_eq(jstr(r, "refund.order_status"), "partially_refunded");
	resp_free(r);
	ck_assert_int_eq(bk_quota_sold(q, NULL), 2);
	ck_assert_int_eq(bk_counter(c.ev, q, NULL), 48);
	toss_view(&c, &v);
	ck_assert_int_eq(v.balance, 18000);
	ck_assert_int_eq(v.cancels, 1);

	/* the free product: amount 0, no Toss call */
	r = rf_refund(&c, rf_body(&c, "free", free_t, -1));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 0);
	ck_assert(cJSON_IsNull(jget(r->json, "refund.payment")));
	ck_assert(cJSON_IsNull(jget(r->json, "refund.toss_transaction_key")));
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 1);
	ck_assert_int_eq(bk_quota_sold(q, NULL), 1);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM refunds WHERE order_id = $1"
	                           " AND amount = 0 AND payment_id IS NULL",
	                           rf_oid(&c)),
	                 1);

	/* the rest: the other family unit, all that is left at Toss */
	r = rf_refund(&c, "{\"reason\":\"rest\"}");
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "refund.amount"), 18000);
	ck_assert_str_eq(jstr(r, "refund.order_status"), "refunded");
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_str_eq(v.status, "CANCELED");
	ck_assert_int_eq(v.balance, 0);
	ck_assert_int_eq(bk_quota_sold(q, NULL), 0);
	ck_assert_int_eq(bk_counter(c.ev, q, NULL), 50);
	rf_done(&c);
}
END_TEST

/* Two refunds of the whole order at once, the first held up at Toss: one
 * wins, the other waits for the order's lock and finds nothing left. */
START_TEST(concurrent_refunds_cancel_once)
{
	struct rf_case c;
	struct toss_view v;
	int fds[2], status;
	long long child_status = 0;
	char child_code[64] = "";
	pid_t pid;
	resp_t *r;

	rf_case_new(&c, "rfc", 2);
	rf_control("{\"delay_next\":{\"cancel\":1,\"ms\":1500}}");
	ck_assert(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		resp_t *cr;
		char line[128];
		close(fds[0]);
		cr = rf_refund(&c, "{\"reason\":\"first\"}");
		snprintf(line, sizeof(line), "%ld %s\n", cr->status, err_code(cr));
		if (write(fds[1], line, strlen(line)) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	bk_sleep_ms(400);
	r = rf_refund(&c, "{\"reason\":\"second\"}");
	{
		char buf[128] = "";
		ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			sscanf(buf, "%lld %63s", &child_status, child_code);
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ck_assert_msg((r->status == 201 && child_status == 409 &&
	               strcmp(child_code, "ALREADY_REFUNDED") == 0) ||
	                  (child_status == 201 && r->status == 409 &&
	                   strcmp(err_code(r), "ALREADY_REFUNDED") == 0),
	              "want one 201 and one 409 ALREADY_REFUNDED; got %lld %s and %ld %s",
	              child_status, child_code, r->status, err_code(r));
	/* The loser waited for the winner's lock (Toss held it 1.5 s). */
	if (r->status == 409)
		ck_assert_msg(r->seconds >= 0.8, "the second refund answered after %.2f s: no wait",
		              r->seconds);
	resp_free(r);
	toss_view(&c, &v);
	ck_assert_int_eq(v.cancels, 1);
	ck_assert_int_eq(v.balance, 0);
	ck_assert_int_eq(refunds_of(&c), 1);
	expect_stock(&c, 0);
	rf_done(&c);
}
END_TEST

static Suite *refund_suite(void)
{
	Suite *s = suite_create("refund");
	TCase *tc = tcase_new("refund");

	tcase_add_checked_fixture(tc, rf_setup, rf_setup);
	tcase_add_test(tc, partial_then_the_rest);
	tcase_add_test(tc, used_tickets_stay);
	tcase_add_test(tc, bad_requests_change_nothing);
	tcase_add_test(tc, toss_failures);
	tcase_add_test(tc, whole_units_and_free_products);
	tcase_add_test(tc, concurrent_refunds_cancel_once);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("refund", refund_suite, true)
