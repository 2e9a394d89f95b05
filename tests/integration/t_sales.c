/*
 * t_sales.c — the figures: GET /fcgi/admin/events/{id}/dashboard and
 * …/stats/sales, GET /fcgi/super-admin/analytics/overview, events, revenue
 * and realtime, after known purchases (through the fake Toss), a refund of
 * one ticket, a whole-order refund and an admission.
 *
 * Every figure is checked twice: against the numbers the test bought, and
 * against a count made here from orders, refunds and tickets directly (not
 * through the summary). sales_drift() — the summary against the recount
 * from the orders (sql/0012_sales.sql) — must be empty after each change.
 * "Today" is the event's zone: one event runs in America/Los_Angeles.
 *
 * The suites run one at a time, so no other sale moves the totals between
 * two reads of this test.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL_PASSWORD "sales-manager-pass-1"

/* An event with two products (10 000 and 5 000 a unit) and its manager. */
struct sl_case {
	char code[17];
	long long ev, daily, adult, youth;
	char date[11];
	struct sess *manager, *viewer;
};

static void sl_new(struct sl_case *c, const char *tag, const char *timezone)
{
	char *user;
	long long id;

	memset(c, 0, sizeof(*c));
	snprintf(c->code, sizeof(c->code), "%s", uniq_code(tag));
	c->ev = bk_event(c->code, 0, 0);
	if (timezone) {
		resp_t *r = req("PUT", strf("/fcgi/super-admin/events/%lld", c->ev),
		                strf("{\"timezone\":\"%s\"}", timezone), super_tok());
		ASSERT_STATUS(r, 200);
		resp_free(r);
	}
	c->daily = bk_quota(c->ev, "Daily", 50, true);
	c->adult = bk_product(
	    c->ev, &(struct bk_product){
	               .name = "성인", .price = 10000, .dated = true, .quotas = {c->daily}});
	c->youth = bk_product(
	    c->ev, &(struct bk_product){
	               .name = "청소년", .price = 5000, .dated = true, .quotas = {c->daily}});
	snprintf(c->date, sizeof(c->date), "%s", bk_date(1));
	user = strf("%s", uniq_user(strf("%sm", tag)));
	id = mk_admin(user, SL_PASSWORD);
	set_events(id, 1, c->ev, 3);
	c->manager = login_ok("admin", user, SL_PASSWORD);
	user = strf("%s", uniq_user(strf("%sv", tag)));
	id = mk_admin(user, SL_PASSWORD);
	set_events(id, 1, c->ev, 1);
	c->viewer = login_ok("admin", user, SL_PASSWORD);
}

static void sl_done(struct sl_case *c)
{
	sess_free(c->manager);
	sess_free(c->viewer);
}

/* Buys qty of a product, paid; returns the order's id. */
static long long sl_buy(const struct sl_case *c, long long product, int qty)
{
	resp_t *r = bk_reserve(c->code, c->date, product, qty);
	char number[40];
	long long oid;

	ASSERT_STATUS(r, 201);
	snprintf(number, sizeof(number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	oid = tdb_count("SELECT id FROM orders WHERE order_number = $1 AND status = 'paid'",
	                number);
	ck_assert_msg(oid > 0, "order %s not paid", number);
	return oid;
}

static resp_t *sl_dashboard(const struct sl_case *c, const struct sess *s)
{
	resp_t *r = req("GET", strf("/fcgi/admin/events/%lld/dashboard", c->ev), NULL, s->token);
	ASSERT_STATUS(r, 200);
	return r;
}

static resp_t *sl_refund(const struct sl_case *c, long long oid, const char *codes_json)
{
	return req("POST", strf("/fcgi/admin/events/%lld/orders/%lld/refund", c->ev, oid),
	           codes_json ? strf("{\"reason\":\"test\",\"ticket_codes\":%s}", codes_json)
	                      : "{\"reason\":\"test\"}",
	           c->manager->token);
}

/* The summary agrees with the recount from the orders. */
static void sl_no_drift(const struct sl_case *c)
{
	const char *ev = strf("%lld", c->ev);
	long long n = tdb_count("SELECT count(*) FROM sales_drift($1)", ev);
	ck_assert_msg(n == 0, "sales summary drifts from the orders (%lld rows), first: %s", n,
	              tdb_value("SELECT source || ' ' || what FROM sales_drift($1) LIMIT 1", ev));
}

/* The dashboard's totals against counts made from the rows themselves. */
static void sl_expect_rows(const struct sl_case *c, const resp_t *d)
{
	const char *ev = strf("%lld", c->ev);

	ck_assert_int_eq(jint(d, "dashboard.sales_total"),
	                 tdb_count("SELECT COALESCE(sum(amount), 0) FROM orders WHERE event_id = $1"
	                           " AND status IN ('paid', 'partially_refunded', 'refunded')",
	                           ev) -
	                     tdb_count("SELECT COALESCE(sum(f.amount), 0) FROM refunds f"
	                               " JOIN orders o ON o.id = f.order_id"
	                               " WHERE o.event_id = $1 AND f.status = 'done'",
	                               ev));
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"),
	                 tdb_count("SELECT count(*) FROM orders WHERE event_id = $1"
	                           " AND status IN ('paid', 'partially_refunded')",
	                           ev));
	ck_assert_int_eq(jint(d, "dashboard.tickets_sold"),
	                 tdb_count("SELECT count(*) FROM tickets WHERE event_id = $1"
	                           " AND status IN ('valid', 'used')",
	                           ev));
	ck_assert_int_eq(jint(d, "dashboard.tickets_used"),
	                 tdb_count("SELECT count(*) FROM tickets WHERE event_id = $1"
	                           " AND status = 'used'",
	                           ev));
}

static const cJSON *sl_product(const resp_t *d, long long pid)
{
	const cJSON *p = jfind_id(jget(d->json, "dashboard.by_product"), "product_id", pid);
	ck_assert_msg(p != NULL, "product %lld not in by_product: %s", pid, resp_snippet(d));
	return p;
}

/* The gate's admission (one conditional update), written directly: the
 * entrance family has no scan route on this branch. */
static void sl_mark_used(long long oid)
{
	PGconn *pg = PQconnectdb(getenv("TICKET_PG") ? getenv("TICKET_PG") : "");
	const char *params[] = {strf("%lld", oid)};
	PGresult *res;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
	res = PQexecParams(pg,
	                   "UPDATE tickets SET status = 'used', used_at = now(), used_gate = 'G1'"
	                   " WHERE id = (SELECT min(id) FROM tickets WHERE order_id = $1"
	                   "   AND status = 'valid') AND used_at IS NULL",
	                   1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0,
	              "mark used: %s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

/* Three purchases, a one-ticket refund, an admission, a whole refund: the
 * dashboard after each, against what was bought and against the rows. */
START_TEST(dashboard_after_purchases_and_refunds)
{
	struct sl_case c;
	resp_t *d, *r;
	long long o1, o2, o3;
	const char *today, *code;
	const cJSON *day;

	sl_new(&c, "sdash", NULL);
	d = sl_dashboard(&c, c.viewer);
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"), 0);
	ck_assert_int_eq(jint(d, "dashboard.sales_total"), 0);
	ck_assert_int_eq(cJSON_GetArraySize(jget(d->json, "dashboard.by_day")), 0);
	ck_assert_int_eq(jnum(sl_product(d, c.adult), "sold"), 0);
	resp_free(d);

	o1 = sl_buy(&c, c.adult, 2); /* 20 000 */
	o2 = sl_buy(&c, c.youth, 3); /* 15 000 */
	o3 = sl_buy(&c, c.adult, 1); /* 10 000 */
	today = strf("%s", tdb_value("SELECT (now() AT TIME ZONE 'Asia/Seoul')::date::text"));

	d = sl_dashboard(&c, c.viewer);
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"), 3);
	ck_assert_int_eq(jint(d, "dashboard.sales_total"), 45000);
	ck_assert_int_eq(jint(d, "dashboard.sales_today"), 45000);
	ck_assert_int_eq(jint(d, "dashboard.tickets_sold"), 6);
	ck_assert_int_eq(jint(d, "dashboard.tickets_used"), 0);
	ck_assert_int_eq(jint(d, "dashboard.refunded_amount"), 0);
	ck_assert_int_eq(jnum(sl_product(d, c.adult), "sold"), 3);
	ck_assert_int_eq(jnum(sl_product(d, c.adult), "amount"), 30000);
	ck_assert_int_eq(jnum(sl_product(d, c.youth), "sold"), 3);
	ck_assert_int_eq(jnum(sl_product(d, c.youth), "amount"), 15000);
	ck_assert_str_eq(jstr(d, "dashboard.today"), today);
	ck_assert_int_eq(cJSON_GetArraySize(jget(d->json, "dashboard.by_day")), 1);
	day = jget(d->json, "dashboard.by_day.0");
	ck_assert_str_eq(jtext(day, "date"), today);
	ck_assert_int_eq(jnum(day, "orders"), 3);
	ck_assert_int_eq(jnum(day, "amount"), 45000);
	ck_assert_int_eq(jint(d, "dashboard.last_5_min.paid"), 3);
	bk_flush();
	resp_free(d);
	d = sl_dashboard(&c, c.viewer);
	ck_assert_int_eq(jint(d, "dashboard.last_5_min.reservations"), 3);
	ck_assert_int_eq(jint(d, "dashboard.last_5_min.scans"), 0);
	sl_expect_rows(&c, d);
	resp_free(d);
	sl_no_drift(&c);

	/* One ticket of the first order back. */
	code = strf("%s",
	            tdb_value("SELECT code FROM tickets WHERE order_id = $1 ORDER BY id LIMIT 1",
	                      strf("%lld", o1)));
	r = sl_refund(&c, o1, strf("[\"%s\"]", code));
	ASSERT_STATUS(r, 201);
	resp_free(r);
	d = sl_dashboard(&c, c.viewer);
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"), 3); /* partly refunded: still paid */
	ck_assert_int_eq(jint(d, "dashboard.sales_total"), 35000);
	ck_assert_int_eq(jint(d, "dashboard.sales_today"), 35000);
	ck_assert_int_eq(jint(d, "dashboard.refunded_amount"), 10000);
	ck_assert_int_eq(jint(d, "dashboard.tickets_sold"), 5);
	ck_assert_int_eq(jnum(sl_product(d, c.adult), "sold"), 2);
	ck_assert_int_eq(jnum(sl_product(d, c.adult), "amount"), 20000);
	ck_assert_int_eq(jnum(jget(d->json, "dashboard.by_day.0"), "amount"), 35000);
	sl_expect_rows(&c, d);
	resp_free(d);
	sl_no_drift(&c);

	/* An admission, then the whole second order back. */
	sl_mark_used(o3);
	r = sl_refund(&c, o2, NULL);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	d = sl_dashboard(&c, c.viewer);
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"), 2);
	ck_assert_int_eq(jint(d, "dashboard.sales_total"), 20000);
	ck_assert_int_eq(jint(d, "dashboard.refunded_amount"), 25000);
	ck_assert_int_eq(jint(d, "dashboard.tickets_sold"), 2);
	ck_assert_int_eq(jint(d, "dashboard.tickets_used"), 1);
	ck_assert_int_eq(jnum(sl_product(d, c.youth), "sold"), 0);
	ck_assert_int_eq(jnum(sl_product(d, c.youth), "amount"), 0);
	ck_assert_int_eq(jnum(jget(d->json, "dashboard.by_day.0"), "orders"), 2);
	sl_expect_rows(&c, d);
	resp_free(d);
	sl_no_drift(&c);
	sl_done(&c);
}
END_TEST

/* stats/sales by day, ISO week and month: one period each, its first day. */
START_TEST(stats_sales_periods)
{
	struct sl_case c;
	resp_t *r;
	long long o1;
	static const char *const periods[][2] = {
	    {"daily", "SELECT (now() AT TIME ZONE 'Asia/Seoul')::date::text"},
	    {"weekly", "SELECT date_trunc('week', (now() AT TIME ZONE 'Asia/Seoul'))::date::text"},
	    {"monthly",
	     "SELECT date_trunc('month', (now() AT TIME ZONE 'Asia/Seoul'))::date::text"},
	};

	sl_new(&c, "sstat", NULL);
	o1 = sl_buy(&c, c.adult, 2);
	sl_buy(&c, c.youth, 1);
	r = sl_refund(&c, o1,
	              strf("[\"%s\"]", tdb_value("SELECT code FROM tickets WHERE order_id = $1"
	                                         " ORDER BY id LIMIT 1",
	                                         strf("%lld", o1))));
	ASSERT_STATUS(r, 201);
	resp_free(r);
	for (size_t i = 0; i < 3; i++) {
		const cJSON *it;
		r = req("GET",
		        strf("/fcgi/admin/events/%lld/stats/sales?period=%s", c.ev, periods[i][0]),
		        NULL, c.viewer->token);
		ASSERT_STATUS(r, 200);
		ck_assert_int_eq(cJSON_GetArraySize(jitems(r)), 1);
		it = jget(r->json, "items.0");
		ck_assert_str_eq(jtext(it, "period"), tdb_value(periods[i][1]));
		ck_assert_int_eq(jnum(it, "orders"), 2);
		ck_assert_int_eq(jnum(it, "tickets"), 2);
		ck_assert_int_eq(jnum(it, "amount"), 15000);
		ck_assert_int_eq(jnum(it, "refunded"), 10000);
		resp_free(r);
	}
	/* A range that ends before today has nothing. */
	r = req(
	    "GET",
	    strf("/fcgi/admin/events/%lld/stats/sales?period=daily&from=2020-01-01&to=2020-12-31",
	         c.ev),
	    NULL, c.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jitems(r)), 0);
	resp_free(r);
	r = req("GET",
	        strf("/fcgi/admin/events/%lld/stats/sales?from=%s&to=%s", c.ev, c.date, c.date),
	        NULL, c.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jitems(r)), 0); /* tomorrow: not sold yet */
	resp_free(r);
	sl_done(&c);
}
END_TEST

START_TEST(stats_sales_bad_input)
{
	const struct fixture *f = fx();
	static const char *const bad[][2] = {
	    {"period=hourly", "period"},
	    {"period=", NULL},
	    {"from=2026-02-30", "from"},
	    {"to=yesterday", "to"},
	    {"from=2026-05-02&to=2026-05-01", "to"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		resp_t *r = req("GET",
		                strf("/fcgi/admin/events/%lld/stats/sales?%s", f->ev_a, bad[i][0]),
		                NULL, f->viewer.s->token);
		if (bad[i][1])
			ASSERT_FIELD(r, bad[i][1]);
		else
			ASSERT_STATUS(r, 200); /* empty period: the default, daily */
		resp_free(r);
	}
	/* An event that does not exist: 404, for the super admin too. */
	for (size_t i = 0; i < 2; i++) {
		resp_t *r = req(
		    "GET", strf("/fcgi/admin/events/999999999/%s", i ? "stats/sales" : "dashboard"),
		    NULL, super_tok());
		ASSERT_STATUS(r, 404);
		ck_assert_str_eq(err_code(r), "EVENT_NOT_FOUND");
		resp_free(r);
	}
	{
		resp_t *r = req("GET", "/fcgi/super-admin/analytics/revenue?period=hourly", NULL,
		                super_tok());
		ASSERT_FIELD(r, "period");
		resp_free(r);
	}
}
END_TEST

/* "Today" is the event's day: an event in Los Angeles files today's sale
 * under Los Angeles' date, which is not Seoul's for most of the day. */
START_TEST(today_in_event_zone)
{
	struct sl_case c;
	resp_t *d;
	const char *la;

	sl_new(&c, "stz", "America/Los_Angeles");
	sl_buy(&c, c.adult, 1);
	la = strf("%s", tdb_value("SELECT (now() AT TIME ZONE 'America/Los_Angeles')::date::text"));
	d = sl_dashboard(&c, c.manager);
	ck_assert_str_eq(jstr(d, "dashboard.today"), la);
	ck_assert_int_eq(jint(d, "dashboard.sales_today"), 10000);
	ck_assert_str_eq(jtext(jget(d->json, "dashboard.by_day.0"), "date"), la);
	resp_free(d);
	ck_assert_str_eq(
	    tdb_value("SELECT day::text FROM sales_daily WHERE event_id = $1", strf("%lld", c.ev)),
	    la);
	sl_no_drift(&c);
	sl_done(&c);
}
END_TEST

/* A manager of another event gets 403 EVENT_FORBIDDEN and no figure. */
START_TEST(other_events_figures_never_leak)
{
	struct sl_case c, other;
	static const char *const paths[] = {"dashboard", "stats/sales",
	                                    "stats/sales?period=monthly"};

	sl_new(&c, "sleak", NULL);
	sl_new(&other, "sothr", NULL);
	sl_buy(&c, c.adult, 1);
	for (size_t i = 0; i < 3; i++) {
		resp_t *r = req("GET", strf("/fcgi/admin/events/%lld/%s", c.ev, paths[i]), NULL,
		                other.manager->token);
		ASSERT_STATUS(r, 403);
		ck_assert_str_eq(err_code(r), "EVENT_FORBIDDEN");
		ck_assert_msg(strstr(r->body, "10000") == NULL &&
		                  jget(r->json, "dashboard") == NULL &&
		                  jget(r->json, "items") == NULL,
		              "figures in a refusal: %s", resp_snippet(r));
		resp_free(r);
		r = req("GET", strf("/fcgi/super-admin/analytics/%s", i ? "events" : "overview"),
		        NULL, other.manager->token);
		ASSERT_STATUS(r, 403);
		ck_assert_str_eq(err_code(r), "FORBIDDEN");
		resp_free(r);
	}
	sl_done(&c);
	sl_done(&other);
}
END_TEST

/* Overview, per event, revenue and realtime after purchases: each moves by
 * what was bought, and agrees with the others. */
START_TEST(analytics_figures)
{
	struct sl_case c;
	resp_t *before, *after, *r;
	const cJSON *item = NULL;
	long long sum_years = 0, hold_total, held;
	resp_t *hold;

	sl_new(&c, "sanly", NULL);
	before = req("GET", "/fcgi/super-admin/analytics/overview", NULL, super_tok());
	ASSERT_STATUS(before, 200);
	sl_buy(&c, c.adult, 2);
	sl_buy(&c, c.youth, 1);
	after = req("GET", "/fcgi/super-admin/analytics/overview", NULL, super_tok());
	ASSERT_STATUS(after, 200);
	ck_assert_int_eq(jint(after, "overview.sales_total") - jint(before, "overview.sales_total"),
	                 25000);
	ck_assert_int_eq(jint(after, "overview.sales_today") - jint(before, "overview.sales_today"),
	                 25000);
	ck_assert_int_eq(jint(after, "overview.paid_orders") - jint(before, "overview.paid_orders"),
	                 2);
	ck_assert_int_eq(
	    jint(after, "overview.tickets_sold") - jint(before, "overview.tickets_sold"), 3);
	ck_assert_int_eq(
	    jint(after, "overview.events_active"),
	    tdb_count("SELECT count(*) FROM events WHERE is_active AND deleted_at IS NULL"));

	/* Per event: ours carries the dashboard's totals. */
	for (int page = 1; page < 1000 && item == NULL; page++) {
		const cJSON *it;
		r = req("GET", strf("/fcgi/super-admin/analytics/events?limit=100&page=%d", page),
		        NULL, super_tok());
		ASSERT_STATUS(r, 200);
		if (cJSON_GetArraySize(jitems(r)) == 0) {
			resp_free(r);
			break;
		}
		if ((it = jfind_id(jitems(r), "event_id", c.ev)) != NULL)
			item = cJSON_Duplicate(it, true);
		resp_free(r);
	}
	ck_assert_msg(item != NULL, "event %lld not in analytics/events", c.ev);
	ck_assert_int_eq(jnum(item, "sales_total"), 25000);
	ck_assert_int_eq(jnum(item, "sales_today"), 25000);
	ck_assert_int_eq(jnum(item, "paid_orders"), 2);
	ck_assert_int_eq(jnum(item, "tickets_sold"), 3);
	ck_assert_str_eq(jtext(item, "code"), c.code);
	cJSON_Delete((cJSON *)item);

	/* Revenue by year sums to the overview's total. */
	r = req("GET", "/fcgi/super-admin/analytics/revenue?period=yearly", NULL, super_tok());
	ASSERT_STATUS(r, 200);
	{
		const cJSON *it;
		cJSON_ArrayForEach(it, jitems(r))
		{
			ck_assert_str_eq(jtext(it, "period") + 4, "-01-01");
			sum_years += jnum(it, "amount");
		}
	}
	ck_assert_int_eq(sum_years, jint(after, "overview.sales_total"));
	resp_free(r);
	r = req("GET", "/fcgi/super-admin/analytics/revenue?period=daily", NULL, super_tok());
	ASSERT_STATUS(r, 200);
	{
		const cJSON *today = jfind_str(
		    jitems(r), "period",
		    tdb_value("SELECT (now() AT TIME ZONE 'Asia/Seoul')::date::text"));
		ck_assert(today != NULL);
		ck_assert_int_ge(jnum(today, "amount"), 25000);
	}
	resp_free(r);

	/* Realtime: the two payments and a live hold of this minute. */
	hold = bk_reserve(c.code, c.date, c.adult, 1);
	ASSERT_STATUS(hold, 201);
	hold_total = bk_holds(c.ev);
	ck_assert_int_eq(hold_total, 1);
	bk_flush();
	r = req("GET", "/fcgi/super-admin/analytics/realtime", NULL, super_tok());
	ASSERT_STATUS(r, 200);
	held = jint(r, "realtime.holds_active");
	ck_assert_int_ge(held, 1);
	ck_assert_int_ge(jint(r, "realtime.reservations_last_minute"), 3);
	ck_assert_int_ge(jint(r, "realtime.paid_last_minute"), 2);
	ck_assert(jint(r, "realtime.scans_last_minute") != JINT_NONE);
	ck_assert(jint(r, "realtime.queue_waiting") != JINT_NONE);
	resp_free(r);
	/* Three buyers waiting for a queue that opens tomorrow are counted as
	 * the waiting room counts them. */
	{
		const char *qcode = strdup(uniq_code("sq"));
		long long qev = bk_event(qcode, 0, 0);
		resp_t *q = req("PUT", strf("/fcgi/super-admin/events/%lld", qev),
		                strf("{\"queue\":{\"enabled\":true,\"admit_per_second\":1,"
		                     "\"max_active\":1,\"opens_at\":\"%s\"}}",
		                     bk_instant(86400)),
		                super_tok());
		ASSERT_STATUS(q, 200);
		resp_free(q);
		for (int i = 0; i < 3; i++) {
			q = req("POST", strf("/fcgi/public/events/%s/queue", qcode), "{}", NULL,
			        strf("X-Test-Client: sales-%d", i));
			ASSERT_STATUS(q, 201);
			resp_free(q);
		}
		q = req("GET", "/fcgi/super-admin/analytics/realtime", NULL, super_tok());
		ASSERT_STATUS(q, 200);
		ck_assert_int_ge(jint(q, "realtime.queue_waiting"), 3);
		resp_free(q);
		free((char *)qcode);
	}
	/* The hold given back: one fewer live. */
	r = bk_cancel(c.code, jstr(hold, "reservation.token"));
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = req("GET", "/fcgi/super-admin/analytics/realtime", NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "realtime.holds_active"), held - 1);
	resp_free(r);
	resp_free(hold);
	resp_free(before);
	resp_free(after);
	sl_done(&c);
}
END_TEST

/* The payment window's approval of a reservation (r: its 201): the success
 * URL it redirects to, as a path (malloc'd). */
static char *sl_checkout(const resp_t *res)
{
	const char *base = client_base_url();
	resp_t *r = req(
	    "GET",
	    strf("/_fake/toss/checkout?clientKey=%s&orderId=%s&orderName=%s&amount=%lld"
	         "&successUrl=%s&failUrl=%s&action=approve",
	         url_enc(jstr(res, "payment.client_key")),
	         url_enc(jstr(res, "reservation.order_id")),
	         url_enc(jstr(res, "reservation.order_name")), jint(res, "reservation.amount"),
	         url_enc(jstr(res, "payment.success_url")), url_enc(jstr(res, "payment.fail_url"))),
	    NULL, NULL);
	char *path;

	ck_assert_msg(r->status == 302 && r->location, "checkout: %ld %s", r->status,
	              resp_snippet(r));
	path = strdup(strncmp(r->location, base, strlen(base)) == 0 ? r->location + strlen(base)
	                                                            : r->location);
	resp_free(r);
	return path;
}

#define SL_RUSH 12

struct sl_rush {
	char *paths[SL_RUSH];
	int redirected, other;
};

static void sl_rush_make(size_t i, struct bk_call *c, void *ctx)
{
	struct sl_rush *x = ctx;
	c->method = "GET";
	c->path = x->paths[i];
	c->body = NULL;
}

static void sl_rush_done(size_t i, const resp_t *r, void *ctx)
{
	struct sl_rush *x = ctx;
	(void)i;
	if (r->status == 303)
		x->redirected++;
	else
		x->other++;
}

/* Payments of one event and day committed all at once: each takes the
 * same summary rows in its commit; none fails, none is lost. */
START_TEST(concurrent_payments_counted_once_each)
{
	struct sl_case c;
	struct sl_rush x = {0};
	resp_t *d;

	sl_new(&c, "srush", NULL);
	for (int i = 0; i < SL_RUSH; i++) {
		resp_t *r = bk_reserve(c.code, c.date, i % 2 ? c.adult : c.youth, 1 + i % 2);
		ASSERT_STATUS(r, 201);
		x.paths[i] = sl_checkout(r);
		resp_free(r);
	}
	bk_multi_run(&(struct bk_multi){.total = SL_RUSH,
	                                .concurrency = SL_RUSH,
	                                .make = sl_rush_make,
	                                .done = sl_rush_done,
	                                .ctx = &x});
	ck_assert_int_eq(x.redirected, SL_RUSH);
	ck_assert_int_eq(x.other, 0);
	d = sl_dashboard(&c, c.manager);
	ck_assert_int_eq(jint(d, "dashboard.paid_orders"), SL_RUSH);
	/* six of 1 youth (5 000), six of 2 adults (20 000) */
	ck_assert_int_eq(jint(d, "dashboard.sales_total"), 6 * 5000 + 6 * 20000);
	ck_assert_int_eq(jint(d, "dashboard.tickets_sold"), 18);
	sl_expect_rows(&c, d);
	resp_free(d);
	sl_no_drift(&c);
	for (int i = 0; i < SL_RUSH; i++)
		free(x.paths[i]);
	sl_done(&c);
}
END_TEST

/* Every event of the database, after every scenario run before this suite
 * (payments through each road, late payments, refunds whole, partial, failed
 * and concurrent): the summary agrees with the recount from the orders. */
START_TEST(summary_agrees_everywhere)
{
	long long n = tdb_count("SELECT count(*) FROM events e, sales_drift(e.id) d");
	ck_assert_msg(n == 0, "%lld drifting rows, first: %s", n,
	              tdb_value("SELECT e.id || ' ' || d.source || ' ' || d.what"
	                        " FROM events e, sales_drift(e.id) d LIMIT 1"));
	ck_assert_int_gt(tdb_count("SELECT count(*) FROM sales_daily WHERE orders > 0"), 0);
}
END_TEST

static Suite *sales_suite(void)
{
	Suite *s = suite_create("sales");
	TCase *tc = tcase_new("figures");
	tcase_add_test(tc, dashboard_after_purchases_and_refunds);
	tcase_add_test(tc, stats_sales_periods);
	tcase_add_test(tc, stats_sales_bad_input);
	tcase_add_test(tc, today_in_event_zone);
	tcase_add_test(tc, other_events_figures_never_leak);
	tcase_add_test(tc, analytics_figures);
	tcase_add_test(tc, concurrent_payments_counted_once_each);
	tcase_add_test(tc, summary_agrees_everywhere);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("sales", sales_suite, true)
