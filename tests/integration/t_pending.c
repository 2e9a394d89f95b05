/*
 * t_pending.c — pending orders written behind their holds (lib/pending.h).
 *
 * A 201 goes out as soon as Redis holds the units; the order reaches
 * PostgreSQL right after, written by a worker on its own. Whatever needs
 * the order before that — reading, extending, cancelling, paying, the
 * admin list — writes it first. An order PostgreSQL refuses has its hold
 * released. The test keeps the workers from writing on their own by
 * holding the event's writer lock itself.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"
#include "tk.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PD_CAPACITY 10
#define PD_PASSWORD "pending-test-pw-1"

struct pd_world {
	const char *code;
	long long ev, quota, prod;
	char *day;
};

static void pd_world(struct pd_world *w, const char *tag)
{
	w->code = strdup(uniq_code(tag));
	w->ev = bk_event(w->code, 0, 0);
	w->quota = bk_quota(w->ev, "Daily", PD_CAPACITY, true);
	w->prod = bk_product(
	    w->ev, &(struct bk_product){
	               .name = "성인", .price = 12000, .dated = true, .quotas = {w->quota}});
	w->day = strdup(bk_date(3));
}

static void pd_free(struct pd_world *w)
{
	free((char *)w->code);
	free(w->day);
}

static long long orders_with_token(const char *token)
{
	return tdb_count("SELECT count(*) FROM orders WHERE reservation_token = $1", token);
}

START_TEST(written_on_their_own)
{
	struct pd_world w;
	cJSON *o, *items, *c, *i1;
	const char *tok, *number, *expires;
	long long deadline;
	resp_t *r;

	pd_world(&w, "pdown");
	/* Characters JSON and SQL both care about, in the stored fields. */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "visit_date", w.day);
	items = cJSON_AddArrayToObject(o, "items");
	i1 = cJSON_CreateObject();
	cJSON_AddNumberToObject(i1, "product_id", (double)w.prod);
	cJSON_AddNumberToObject(i1, "qty", 3);
	cJSON_AddItemToArray(items, i1);
	c = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddStringToObject(c, "name", "홍\"길\\동 '); --");
	cJSON_AddStringToObject(c, "phone", "010-9876-5432");
	cJSON_AddStringToObject(c, "email", "hong+tag@example.com");
	r = bk_post(w.code, jbody(o));
	ASSERT_STATUS(r, 201);
	tok = strdup(jstr(r, "reservation.token"));
	number = strdup(jstr(r, "reservation.order_number"));
	expires = strdup(jstr(r, "reservation.expires_at"));
	resp_free(r);

	/* Nobody asks for it, no daemon runs: the order arrives anyway. */
	deadline = bk_now_ms() + 5000;
	while (bk_pending_orders_written(w.ev) < 1 && bk_now_ms() < deadline)
		bk_sleep_ms(10);
	ck_assert_int_eq(bk_pending_orders_written(w.ev), 1);
	ck_assert_int_eq(bk_queued(w.ev), 0);

	/* Written as it was answered. */
	ck_assert_str_eq(
	    tdb_value("SELECT order_number FROM orders WHERE reservation_token = $1", tok), number);
	ck_assert_str_eq(
	    tdb_value("SELECT toss_order_id FROM orders WHERE reservation_token = $1", tok),
	    number);
	ck_assert_str_eq(
	    tdb_value("SELECT customer_name FROM orders WHERE reservation_token = $1", tok),
	    "홍\"길\\동 '); --");
	ck_assert_str_eq(
	    tdb_value("SELECT customer_phone FROM orders WHERE reservation_token = $1", tok),
	    "01098765432");
	ck_assert_str_eq(
	    tdb_value("SELECT customer_email FROM orders WHERE reservation_token = $1", tok),
	    "hong+tag@example.com");
	ck_assert_str_eq(
	    tdb_value("SELECT visit_date::text FROM orders WHERE reservation_token = $1", tok),
	    w.day);
	ck_assert_int_eq(tdb_count("SELECT amount FROM orders WHERE reservation_token = $1", tok),
	                 36000);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM orders WHERE reservation_token = $1"
	                           " AND abs(extract(epoch FROM hold_expires_at)"
	                           "   - extract(epoch FROM $2::timestamptz)) < 1",
	                           tok, expires),
	                 1);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM order_items i JOIN orders o"
	                           " ON o.id = i.order_id WHERE o.reservation_token = $1"
	                           " AND i.product_id = $2 AND i.qty = 3 AND i.unit_price = 12000"
	                           " AND i.amount = 36000",
	                           tok, strf("%lld", w.prod)),
	                 1);
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY - 3);
	free((char *)tok);
	free((char *)number);
	free((char *)expires);
	pd_free(&w);
}
END_TEST

START_TEST(what_needs_the_order_writes_it)
{
	struct pd_world w;
	char tok[5][80], num[5][40];
	struct sess *mgr;
	char *user;
	resp_t *r, *res[5];

	pd_world(&w, "pdneed");
	bk_writer_lock(w.ev, true);
	for (int i = 0; i < 5; i++) {
		res[i] = bk_reserve(w.code, w.day, w.prod, 1);
		ASSERT_STATUS(res[i], 201);
		snprintf(tok[i], sizeof(tok[i]), "%s", jstr(res[i], "reservation.token"));
		snprintf(num[i], sizeof(num[i]), "%s", jstr(res[i], "reservation.order_number"));
	}
	/* Held in Redis, queued, not yet in PostgreSQL. */
	bk_sleep_ms(200);
	ck_assert_int_eq(bk_queued(w.ev), 5);
	ck_assert_int_eq(bk_pending_orders_written(w.ev), 0);
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY - 5);

	/* Reading it. */
	r = bk_get(w.code, tok[0]);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "held");
	ck_assert_str_eq(jstr(r, "reservation.order_number"), num[0]);
	ck_assert_int_eq(jint(r, "reservation.amount"), 12000);
	resp_free(r);
	ck_assert_int_eq(orders_with_token(tok[0]), 1);

	/* Cancelling it: the stock is back, once. */
	r = bk_cancel(w.code, tok[1]);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "canceled");
	resp_free(r);
	ck_assert_str_eq(
	    tdb_value("SELECT status FROM orders WHERE reservation_token = $1", tok[1]),
	    "canceled");
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY - 4);

	/* Extending it. */
	r = bk_extend(w.code, tok[2]);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	ck_assert_str_eq(
	    tdb_value("SELECT extended::text FROM orders WHERE reservation_token = $1", tok[2]),
	    "true");

	/* Paying for it: Toss's success redirect names the order number only. */
	bk_pay(res[3]);
	ck_assert_str_eq(
	    tdb_value("SELECT status FROM orders WHERE reservation_token = $1", tok[3]), "paid");

	/* The manager's order list shows it. */
	user = strf("%s", uniq_user("pdmgr"));
	set_events(mk_admin(user, PD_PASSWORD), 1, w.ev, 3);
	mgr = login_ok("admin", user, PD_PASSWORD);
	r = req("GET", strf("/fcgi/admin/events/%lld/orders", w.ev), NULL, mgr->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 5);
	resp_free(r);
	ck_assert_int_eq(orders_with_token(tok[4]), 1);

	ck_assert_int_eq(bk_queued(w.ev), 0);
	ck_assert_int_eq(bk_pending_orders_written(w.ev), 3);
	bk_writer_lock(w.ev, false);
	for (int i = 0; i < 5; i++)
		resp_free(res[i]);
	sess_free(mgr);
	pd_free(&w);
}
END_TEST

/* A writer (here: the test) holds the event's lock while reservations
 * come, then goes away and no request follows: the workers that left their
 * orders to it write them in their next quiet moment. */
START_TEST(written_when_the_writer_lets_go)
{
	struct pd_world w;
	long long deadline;

	pd_world(&w, "pdlet");
	bk_writer_lock(w.ev, true);
	for (int i = 0; i < 3; i++) {
		resp_t *r = bk_reserve(w.code, w.day, w.prod, 1);
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}
	bk_sleep_ms(300);
	ck_assert_int_eq(bk_pending_orders_written(w.ev), 0);
	ck_assert_int_eq(bk_queued(w.ev), 3);
	bk_writer_lock(w.ev, false);
	deadline = bk_now_ms() + 5000;
	while (bk_pending_orders_written(w.ev) < 3 && bk_now_ms() < deadline)
		bk_sleep_ms(10);
	ck_assert_int_eq(bk_pending_orders_written(w.ev), 3);
	ck_assert_int_eq(bk_queued(w.ev), 0);
	pd_free(&w);
}
END_TEST

/* Another order takes the reservation's order number before its own is
 * written (two numbers drawn alike): PostgreSQL refuses the write, the
 * hold goes back, the reservation is gone whole. */
START_TEST(refused_order_releases_its_hold)
{
	struct pd_world w;
	char tok[80], num[40];
	PGconn *pg;
	PGresult *pr;
	resp_t *r;

	pd_world(&w, "pdref");
	bk_writer_lock(w.ev, true);
	r = bk_reserve(w.code, w.day, w.prod, 2);
	ASSERT_STATUS(r, 201);
	snprintf(tok, sizeof(tok), "%s", jstr(r, "reservation.token"));
	snprintf(num, sizeof(num), "%s", jstr(r, "reservation.order_number"));
	resp_free(r);
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY - 2);

	pg = PQconnectdb(getenv("TICKET_PG") ? getenv("TICKET_PG") : "");
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
	pr = PQexecParams(pg,
	                  "INSERT INTO orders (event_id, order_number, reservation_token,"
	                  " toss_order_id, status, amount, customer_name, customer_phone,"
	                  " access_token, hold_expires_at)"
	                  " VALUES ($1, $2, 'collision-token-' || md5(random()::text),"
	                  " 'collision-' || substr(md5(random()::text), 1, 20), 'expired', 0,"
	                  " '충돌', '01000000000', 'collision-access-' || md5(random()::text),"
	                  " now())",
	                  2, NULL, (const char *[]){strf("%lld", w.ev), num}, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(pr) == PGRES_COMMAND_OK, "insert: %s", PQerrorMessage(pg));
	PQclear(pr);
	PQfinish(pg);

	/* Reading it makes the write happen, which fails: nothing is left. */
	r = bk_get(w.code, tok);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	ck_assert_int_eq(orders_with_token(tok), 0);
	ck_assert(!bk_hold_exists(w.ev, tok));
	ck_assert_int_eq(bk_queued(w.ev), 0);
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY);
	ck_assert_int_eq(bk_counter(w.ev, w.quota, w.day), PD_CAPACITY);
	bk_writer_lock(w.ev, false);
	pd_free(&w);
}
END_TEST

/* One statement on a connection of the test's own (DDL included). */
static void pd_sql(const char *sql)
{
	PGconn *pg = PQconnectdb(getenv("TICKET_PG") ? getenv("TICKET_PG") : "");
	PGresult *pr;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
	pr = PQexec(pg, sql);
	ck_assert_msg(PQresultStatus(pr) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(pg));
	PQclear(pr);
	PQfinish(pg);
}

/* Writes of this event's orders fail with SQLSTATE state (a trigger), or
 * succeed again (state NULL). */
static void pd_inject(long long ev, const char *state)
{
	if (state == NULL) {
		pd_sql(strf("DROP TRIGGER IF EXISTS pd_fail_%lld ON orders;"
		            " DROP FUNCTION IF EXISTS pd_fail_%lld()",
		            ev, ev));
		return;
	}
	pd_sql(strf("CREATE OR REPLACE FUNCTION pd_fail_%lld() RETURNS trigger LANGUAGE plpgsql"
	            " AS $f$ BEGIN RAISE EXCEPTION 'injected by t_pending' USING ERRCODE = '%s';"
	            " END $f$",
	            ev, state));
	pd_sql(strf("DROP TRIGGER IF EXISTS pd_fail_%lld ON orders;"
	            " CREATE TRIGGER pd_fail_%lld BEFORE INSERT ON orders FOR EACH ROW"
	            " WHEN (NEW.event_id = %lld) EXECUTE FUNCTION pd_fail_%lld()",
	            ev, ev, ev, ev));
}

/* A write that fails for a passing reason — a statement timeout, a lock
 * timeout, a read-only server after a failover, a full disk — takes
 * nothing back from a customer who got a 201: while it lasts the
 * reservation answers 503 and keeps its hold and its queued order; once
 * PostgreSQL takes writes again, the order is written and held as before. */
START_TEST(passing_failure_keeps_the_reservation)
{
	static const char *const states[] = {"57014", "55P03", "25006", "53100", "40001"};
	struct pd_world w;
	char tok[TK_ARRAY_LEN(states)][80];
	resp_t *r;

	pd_world(&w, "pdtmp");
	bk_writer_lock(w.ev, true);
	for (size_t i = 0; i < TK_ARRAY_LEN(states); i++) {
		pd_inject(w.ev, states[i]);
		r = bk_reserve(w.code, w.day, w.prod, 1);
		ASSERT_STATUS(r, 201);
		snprintf(tok[i], sizeof(tok[i]), "%s", jstr(r, "reservation.token"));
		resp_free(r);
		/* Reading it makes the write happen, which fails: 503, all kept. */
		r = bk_get(w.code, tok[i]);
		ck_assert_msg(r->status == 503 && strcmp(err_code(r), "UNAVAILABLE") == 0,
		              "SQLSTATE %s: want 503 UNAVAILABLE, got %ld %s", states[i], r->status,
		              resp_snippet(r));
		resp_free(r);
		ck_assert_msg(bk_hold_exists(w.ev, tok[i]), "SQLSTATE %s: the hold went back",
		              states[i]);
		ck_assert_int_eq(orders_with_token(tok[i]), 0);
	}
	ck_assert_int_eq(bk_queued(w.ev), (long long)TK_ARRAY_LEN(states));
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod),
	                 PD_CAPACITY - (long long)TK_ARRAY_LEN(states));

	pd_inject(w.ev, NULL);
	for (size_t i = 0; i < TK_ARRAY_LEN(states); i++) {
		r = bk_get(w.code, tok[i]);
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "reservation.state"), "held");
		resp_free(r);
		ck_assert_int_eq(orders_with_token(tok[i]), 1);
		ck_assert(bk_hold_exists(w.ev, tok[i]));
	}
	ck_assert_int_eq(bk_counter(w.ev, w.quota, w.day),
	                 PD_CAPACITY - (long long)TK_ARRAY_LEN(states));
	bk_writer_lock(w.ev, false);
	pd_free(&w);
}
END_TEST

/* An integrity error (class 23) is a refusal, as a taken order number is:
 * the hold goes back and the reservation is gone whole. */
START_TEST(integrity_failure_is_a_refusal)
{
	struct pd_world w;
	char tok[80];
	resp_t *r;

	pd_world(&w, "pdint");
	bk_writer_lock(w.ev, true);
	pd_inject(w.ev, "23514");
	r = bk_reserve(w.code, w.day, w.prod, 2);
	ASSERT_STATUS(r, 201);
	snprintf(tok, sizeof(tok), "%s", jstr(r, "reservation.token"));
	resp_free(r);
	r = bk_get(w.code, tok);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	pd_inject(w.ev, NULL);
	ck_assert(!bk_hold_exists(w.ev, tok));
	ck_assert_int_eq(orders_with_token(tok), 0);
	ck_assert_int_eq(bk_available(w.code, w.day, w.prod), PD_CAPACITY);
	bk_writer_lock(w.ev, false);
	pd_free(&w);
}
END_TEST

static Suite *pending_suite(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_new("pending");
	tcase_add_test(tc, written_on_their_own);
	tcase_add_test(tc, what_needs_the_order_writes_it);
	tcase_add_test(tc, written_when_the_writer_lets_go);
	tcase_add_test(tc, refused_order_releases_its_hold);
	tcase_add_test(tc, passing_failure_keeps_the_reservation);
	tcase_add_test(tc, integrity_failure_is_a_refusal);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("pending", pending_suite, true)
