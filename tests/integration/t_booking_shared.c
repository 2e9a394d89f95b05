/*
 * t_booking_shared.c — adult and child tickets on one daily (per_day)
 * quota of 50, hammered together: single-product orders of either, and
 * orders with both, all at once. The date sells 50 units in total, never
 * more, and the other dates are untouched (still 50 for both products).
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARED_CAPACITY 50
#define SHARED_ATTEMPTS 400
#define SHARED_CONNECTIONS 100
#define SHARED_KINDS 4

struct shared_ctx {
	char *path;
	char *bodies[SHARED_KINDS];
	struct bk_tally t;
};

static void shared_make(size_t i, struct bk_call *c, void *ctx)
{
	struct shared_ctx *s = ctx;
	c->method = "POST";
	c->path = s->path;
	c->body = s->bodies[i % SHARED_KINDS];
}

static void shared_done(size_t i, const resp_t *r, void *ctx)
{
	struct shared_ctx *s = ctx;
	(void)i;
	bk_tally_add(&s->t, r);
}

START_TEST(adult_and_child_share_a_daily_quota)
{
	const char *code = uniq_code("shq");
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Daily entry", SHARED_CAPACITY, true);
	long long adult = bk_product(
	    ev,
	    &(struct bk_product){.name = "Adult", .price = 15000, .dated = true, .quotas = {q}});
	long long child = bk_product(
	    ev, &(struct bk_product){.name = "Child", .price = 9000, .dated = true, .quotas = {q}});
	char *day = strdup(bk_date(3)), *before = strdup(bk_date(2)), *after = strdup(bk_date(4));
	struct shared_ctx s = {0};
	struct bk_multi m = {SHARED_ATTEMPTS, SHARED_CONNECTIONS, shared_make, shared_done, &s};
	long long extra = 0;

	ck_assert_int_eq(bk_available(code, day, adult), SHARED_CAPACITY);
	ck_assert_int_eq(bk_available(code, day, child), SHARED_CAPACITY);

	s.path = strdup(strf("/fcgi/public/events/%s/reservations", code));
	{
		struct bk_item a2 = {adult, 2}, c1 = {child, 1}, both[] = {{adult, 1}, {child, 1}},
		               c2 = {child, 2};
		s.bodies[0] = strdup(bk_body(day, &a2, 1));
		s.bodies[1] = strdup(bk_body(day, &c1, 1));
		s.bodies[2] = strdup(bk_body(day, both, 2));
		s.bodies[3] = strdup(bk_body(day, &c2, 1));
	}
	bk_multi_run(&m);
	BK_ASSERT_CLEAN(&s.t);
	ck_assert_msg(s.t.units <= SHARED_CAPACITY, "sold %lld units of a quota of %d", s.t.units,
	              SHARED_CAPACITY);
	/* Two-unit orders may leave one unit over: take it with one-unit
	 * orders until the date is sold out. */
	for (int k = 0; k < 3; k++) {
		resp_t *r = bk_reserve(code, day, child, 1);
		if (r->status == 201) {
			extra++;
			resp_free(r);
			continue;
		}
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		resp_free(r);
		break;
	}
	ck_assert_msg(s.t.units + extra == SHARED_CAPACITY,
	              "the date sold %lld + %lld units, want exactly %d", s.t.units, extra,
	              SHARED_CAPACITY);

	/* Both products sold out on that date, in every view of the stock. */
	ck_assert_int_eq(bk_available(code, day, adult), 0);
	ck_assert_int_eq(bk_available(code, day, child), 0);
	ck_assert_int_eq(bk_counter(ev, q, day), 0);
	ck_assert_int_eq(bk_live_units(ev, day), SHARED_CAPACITY);
	ck_assert_int_eq(bk_quota_live_units(q, day), SHARED_CAPACITY);
	/* The mix really happened: both products sold, some orders with both.
	 * (bk_quota_live_units above has flushed the queued orders.) */
	ck_assert_msg(
	    tdb_count("SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id"
	              " WHERE o.event_id = $1 AND i.product_id = $2",
	              strf("%lld", ev), strf("%lld", adult)) > 0 &&
	        tdb_count("SELECT count(*) FROM order_items i JOIN orders o"
	                  " ON o.id = i.order_id WHERE o.event_id = $1"
	                  " AND i.product_id = $2",
	                  strf("%lld", ev), strf("%lld", child)) > 0,
	    "one of the products sold nothing");
	ck_assert_msg(tdb_count("SELECT count(*) FROM orders o WHERE o.event_id = $1 AND"
	                        " (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) = 2",
	                        strf("%lld", ev)) > 0,
	              "no order with both products went through");

	/* The other dates are untouched. */
	ck_assert_int_eq(bk_available(code, before, adult), SHARED_CAPACITY);
	ck_assert_int_eq(bk_available(code, before, child), SHARED_CAPACITY);
	ck_assert_int_eq(bk_available(code, after, adult), SHARED_CAPACITY);
	ck_assert_int_eq(bk_available(code, after, child), SHARED_CAPACITY);
	ck_assert_int_eq(bk_counter(ev, q, before), SHARED_CAPACITY);
	ck_assert_int_eq(bk_counter(ev, q, after), SHARED_CAPACITY);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM orders WHERE event_id = $1"
	                           " AND visit_date <> $2::date",
	                           strf("%lld", ev), day),
	                 0);
	/* And still sell there. */
	{
		resp_t *r = bk_reserve(code, after, adult, 2);
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}
	ck_assert_int_eq(bk_available(code, after, child), SHARED_CAPACITY - 2);
	ck_assert_int_eq(bk_available(code, day, child), 0);

	for (int k = 0; k < SHARED_KINDS; k++)
		free(s.bodies[k]);
	free(s.path);
	free(day);
	free(before);
	free(after);
	bk_tally_free(&s.t);
}
END_TEST

static Suite *booking_shared_suite(void)
{
	Suite *s = suite_create("booking_shared");
	TCase *tc = tcase_new("shared_quota");
	tcase_add_test(tc, adult_and_child_share_a_daily_quota);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("booking_shared", booking_shared_suite, true)
