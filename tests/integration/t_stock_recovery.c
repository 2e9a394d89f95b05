/*
 * t_stock_recovery.c — Redis loses everything in the middle of a sale.
 *
 * FLUSHALL while a rush of reservations is running; then `ticketctl
 * reconcile` sets every counter to capacity − sold − live holds (read from
 * Redis and compared with PostgreSQL: quota_usage.sold and pending orders
 * whose hold_expires_at is still ahead), the holds themselves come back, and
 * selling on until sold out never passes capacity − sold. A reservation
 * whose pending order was still queued in Redis when it lost its data
 * (pending.h) is lost whole: no order, no hold, its token unknown, its
 * units back on sale — never half, never a unit lost. Without any
 * reconcile, the booking path rebuilds missing counters on its own, on the
 * availability read and on the hold. Units already sold (paid through the
 * fake Toss) stay subtracted.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_CAPACITY 200
#define REC_PHASE_A 150 /* attempts before the counters are reconciled: all fit */
#define REC_FLUSH_AT 40 /* answers into phase A when Redis loses everything */
#define REC_PHASE_B 400

static void flush_once(size_t done, void *ctx)
{
	bool *flushed = ctx;
	if (!*flushed && done >= REC_FLUSH_AT) {
		bk_flushall();
		*flushed = true;
	}
}

/* capacity − sold − live holds for a quota on a date, from PostgreSQL. */
static long long expected_counter(long long q, const char *date)
{
	return REC_CAPACITY - bk_quota_sold(q, date) - bk_quota_live_units(q, date);
}

START_TEST(flush_mid_sale_then_reconcile)
{
	const char *code = strdup(uniq_code("rcf"));
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Daily", REC_CAPACITY, true);
	long long p = bk_product(
	    ev,
	    &(struct bk_product){.name = "Adult", .price = 15000, .dated = true, .quotas = {q}});
	char *day = strdup(bk_date(4)), *other = strdup(bk_date(6)), *body;
	struct bk_tally a = {0}, b = {0};
	bool flushed = false;
	long long total, kept;

	{
		struct bk_item it = {p, 1};
		body = strdup(bk_body(day, &it, 1));
	}
	ck_assert_int_eq(bk_available(code, day, p), REC_CAPACITY);

	/* Phase A: Redis is flushed after REC_FLUSH_AT answers, the rush goes on. */
	bk_rush(code, body, REC_PHASE_A, 50, &a, flush_once, &flushed);
	ck_assert(flushed);
	BK_ASSERT_CLEAN(&a);
	ck_assert_msg(a.created == REC_PHASE_A,
	              "phase A: %zu of %d holds went through (room for %d)", a.created, REC_PHASE_A,
	              REC_CAPACITY);
	/* Which reservations survived: those whose order had reached
	 * PostgreSQL, or was queued after the loss. */
	kept = bk_pending_orders(ev);
	ck_assert_msg(kept <= REC_PHASE_A && kept >= REC_PHASE_A - REC_FLUSH_AT - 50,
	              "%lld of %d reservations kept: at most those answered before the loss and"
	              " those in flight may go",
	              kept, REC_PHASE_A);
	fprintf(stderr, "recovery: %lld of %d reservations lost whole with Redis's data\n",
	        REC_PHASE_A - kept, REC_PHASE_A);

	/* The booking path rebuilt the counter itself on the first miss (and
	 * the writer again for orders it was writing when the data went); it
	 * must already agree with PostgreSQL. */
	{
		long long want = expected_counter(q, day);
		ck_assert_msg(
		    bk_counter(ev, q, day) == want,
		    "after the flush, before reconcile: counter %lld, PostgreSQL says %lld",
		    bk_counter(ev, q, day), want);
	}

	/* The operator's reconcile. */
	ck_assert_int_eq(bk_ticketctl(strf("reconcile --event %s", code)), 0);
	ck_assert_int_eq(bk_counter(ev, q, day), expected_counter(q, day));
	ck_assert_int_eq(bk_counter(ev, q, day), REC_CAPACITY - kept);
	ck_assert_int_eq(bk_counter(ev, q, other), expected_counter(q, other));
	ck_assert_int_eq(bk_counter(ev, q, other), REC_CAPACITY);
	/* Every reservation kept is held in Redis again (so cancel and expiry
	 * can return it); every one lost is gone whole. */
	ck_assert_int_eq(bk_holds(ev), kept);
	for (size_t i = 0; i < a.n_tokens; i++) {
		bool in_pg = tdb_count("SELECT count(*) FROM orders WHERE reservation_token = $1",
		                       a.tokens[i]) == 1;
		ck_assert_msg(bk_hold_exists(ev, a.tokens[i]) == in_pg,
		              "reservation %s: order %s, hold %s", a.tokens[i],
		              in_pg ? "kept" : "lost", in_pg ? "lost" : "kept");
		if (!in_pg) {
			resp_t *r = bk_get(code, a.tokens[i]);
			ASSERT_ERROR(r, 404, "NOT_FOUND");
			resp_free(r);
		}
	}
	ck_assert_int_eq(bk_available(code, day, p), REC_CAPACITY - kept);

	/* Phase B: hammer until sold out; never past capacity − sold. */
	bk_rush(code, body, REC_PHASE_B, 100, &b, NULL, NULL);
	BK_ASSERT_CLEAN(&b);
	total = kept + (long long)b.created;
	ck_assert_msg(total <= REC_CAPACITY - bk_quota_sold(q, day),
	              "oversold: %lld holds for %lld places", total,
	              REC_CAPACITY - bk_quota_sold(q, day));
	ck_assert_msg(total == REC_CAPACITY, "sold %lld of %d: units lost in the recovery", total,
	              REC_CAPACITY);
	ck_assert_int_eq(bk_pending_orders(ev), REC_CAPACITY);
	ck_assert_int_eq(bk_quota_live_units(q, day), REC_CAPACITY);
	ck_assert_int_eq(bk_counter(ev, q, day), 0);
	ck_assert_int_eq(bk_available(code, day, p), 0);
	ck_assert_int_eq(bk_available(code, other, p), REC_CAPACITY);

	/* Losing Redis once more, sold out: the rebuilt counter stays at 0. */
	bk_flushall();
	{
		resp_t *r = bk_reserve(code, day, p, 1);
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		resp_free(r);
	}
	ck_assert_int_eq(bk_counter(ev, q, day), 0);
	ck_assert_int_eq(bk_ticketctl(strf("reconcile --event %s", code)), 0);
	ck_assert_int_eq(bk_counter(ev, q, day), expected_counter(q, day));
	ck_assert_int_eq(bk_available(code, day, p), 0);

	bk_tally_free(&a);
	bk_tally_free(&b);
	free(body);
	free(day);
	free(other);
	free((char *)code);
}
END_TEST

START_TEST(booking_path_rebuilds_counters)
{
	const char *code = strdup(uniq_code("rcb"));
	long long ev = bk_event(code, 0, 0);
	long long qd = bk_quota(ev, "Daily", 20, true);
	long long qw = bk_quota(ev, "Catalogue", 5, false);
	long long p = bk_product(
	    ev,
	    &(struct bk_product){.name = "Adult", .price = 15000, .dated = true, .quotas = {qd}});
	long long book = bk_product(
	    ev, &(struct bk_product){.name = "Catalogue", .price = 20000, .quotas = {qw}});
	char *day = strdup(bk_date(2)), *other = strdup(bk_date(3)), *ta, *tb;
	resp_t *r;

	r = bk_reserve(code, day, p, 3);
	ASSERT_STATUS(r, 201);
	ta = strdup(jstr(r, "reservation.token"));
	resp_free(r);
	{
		struct bk_item two[] = {{p, 2}, {book, 1}};
		r = bk_post(code, bk_body(day, two, 2));
		ASSERT_STATUS(r, 201);
		tb = strdup(jstr(r, "reservation.token"));
		resp_free(r);
	}
	ck_assert_int_eq(bk_available(code, day, p), 15);
	ck_assert_int_eq(bk_available(code, NULL, book), 4);

	/* Redis loses everything; the availability read rebuilds. */
	bk_flushall();
	ck_assert_int_eq(bk_counter(ev, qd, day), -1);
	ck_assert_int_eq(bk_available(code, day, p), 15);
	ck_assert_int_eq(bk_available(code, day, book), 4);
	ck_assert_int_eq(bk_counter(ev, qd, day), 15);
	ck_assert_int_eq(bk_counter(ev, qd, other), 20);
	ck_assert_int_eq(bk_counter(ev, qw, NULL), 4);
	ck_assert_int_eq(bk_holds(ev), 2);
	ck_assert(bk_hold_exists(ev, ta) && bk_hold_exists(ev, tb));

	/* Again; this time a hold is the first request. */
	bk_flushall();
	r = bk_reserve(code, day, p, 1);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(bk_counter(ev, qd, day), 14);
	ck_assert_int_eq(bk_counter(ev, qd, day),
	                 20 - bk_quota_sold(qd, day) - bk_quota_live_units(qd, day));
	ck_assert_int_eq(bk_counter(ev, qw, NULL), 4);
	ck_assert_int_eq(bk_holds(ev), 3);

	/* The rebuilt holds are real holds: cancel gives their units back. */
	r = bk_cancel(code, ta);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 17);
	r = bk_cancel(code, tb);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 19);
	ck_assert_int_eq(bk_available(code, NULL, book), 5);
	ck_assert_int_eq(bk_available(code, other, p), 20);

	free(ta);
	free(tb);
	free(day);
	free(other);
	free((char *)code);
}
END_TEST

/* With units sold (paid through the fake Toss), held and free: after the
 * loss, reconcile subtracts both, and selling on stops at capacity − sold. */
START_TEST(reconcile_counts_sold_and_held)
{
	const char *code = strdup(uniq_code("rcs"));
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Daily", 10, true);
	long long p = bk_product(
	    ev,
	    &(struct bk_product){.name = "Adult", .price = 15000, .dated = true, .quotas = {q}});
	char *day = strdup(bk_date(3)), *body;
	struct bk_tally t = {0};
	resp_t *r;

	r = bk_reserve(code, day, p, 3);
	ASSERT_STATUS(r, 201);
	bk_pay(r);
	resp_free(r);
	ck_assert_int_eq(bk_quota_sold(q, day), 3);
	r = bk_reserve(code, day, p, 2);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 5);

	bk_flushall();
	ck_assert_int_eq(bk_ticketctl(strf("reconcile --event %s", code)), 0);
	ck_assert_int_eq(bk_counter(ev, q, day),
	                 10 - bk_quota_sold(q, day) - bk_quota_live_units(q, day));
	ck_assert_int_eq(bk_counter(ev, q, day), 5);
	ck_assert_int_eq(bk_holds(ev), 1);

	{
		struct bk_item it = {p, 1};
		body = strdup(bk_body(day, &it, 1));
	}
	bk_rush(code, body, 60, 20, &t, NULL, NULL);
	BK_ASSERT_CLEAN(&t);
	ck_assert_msg(t.created == 5, "sold on %zu units after the loss, want 10 − 3 sold − 2 held",
	              t.created);
	ck_assert_int_eq(bk_quota_live_units(q, day) + bk_quota_sold(q, day), 10);
	ck_assert_int_eq(bk_counter(ev, q, day), 0);
	ck_assert_int_eq(bk_available(code, day, p), 0);

	bk_tally_free(&t);
	free(body);
	free(day);
	free((char *)code);
}
END_TEST

static Suite *stock_recovery_suite(void)
{
	Suite *s = suite_create("stock_recovery");
	TCase *tc = tcase_new("recovery");
	tcase_add_test(tc, flush_mid_sale_then_reconcile);
	tcase_add_test(tc, booking_path_rebuilds_counters);
	tcase_add_test(tc, reconcile_counts_sold_and_held);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("stock_recovery", stock_recovery_suite, true)
