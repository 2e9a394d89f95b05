/*
 * t_booking_expiry.c — holds end by themselves. With hold_seconds 5 and no
 * daemon needed, an expired hold's units are taken back by the next hold
 * attempt on the event, and the reservation reads "expired" (extend and
 * cancel then answer 409 RESERVATION_EXPIRED). When a cancel and the
 * expiry of the same hold meet (DELETEs and new reservations fired together
 * right at the expiry, a dozen holds at a time, round after round), the
 * units come back exactly once: availability ends at capacity − live holds,
 * and never goes above capacity.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_SECONDS 5

static long long expiry_ms(const char *token)
{
	bk_flush();
	return tdb_count("SELECT (extract(epoch FROM hold_expires_at) * 1000)::bigint FROM orders"
	                 " WHERE reservation_token = $1",
	                 token);
}

static const char *state_of(const char *code, const char *token)
{
	resp_t *r = bk_get(code, token);
	const char *s;

	ASSERT_STATUS(r, 200);
	s = strf("%s", jstr(r, "reservation.state") ? jstr(r, "reservation.state") : "(none)");
	resp_free(r);
	return s;
}

START_TEST(expiry_needs_no_daemon)
{
	const char *code = uniq_code("bke");
	long long ev = bk_event(code, HOLD_SECONDS, 0);
	long long q = bk_quota(ev, "Hall", 3, false);
	long long p = bk_product(
	    ev, &(struct bk_product){.name = "Hall", .price = 5000, .quotas = {q}});
	char *t1, *t2;
	long long until;
	resp_t *r;

	r = bk_reserve(code, NULL, p, 2);
	ASSERT_STATUS(r, 201);
	t1 = strdup(jstr(r, "reservation.token"));
	resp_free(r);
	r = bk_reserve(code, NULL, p, 1);
	ASSERT_STATUS(r, 201);
	t2 = strdup(jstr(r, "reservation.token"));
	resp_free(r);
	r = bk_reserve(code, NULL, p, 1);
	ASSERT_ERROR(r, 409, "SOLD_OUT");
	resp_free(r);
	ck_assert_str_eq(state_of(code, t1), "held");

	/* The hold lasts hold_seconds (PostgreSQL keeps the expiry Redis set). */
	until = expiry_ms(t2);
	ck_assert_msg(until - bk_now_ms() <= HOLD_SECONDS * 1000 + 500 &&
	                  until - bk_now_ms() > (HOLD_SECONDS - 2) * 1000,
	              "hold expires %lld ms from now, want about %d s", until - bk_now_ms(),
	              HOLD_SECONDS);
	bk_sleep_ms(until - bk_now_ms() + 1000);

	ck_assert_str_eq(state_of(code, t1), "expired");
	ck_assert_str_eq(state_of(code, t2), "expired");
	r = bk_extend(code, t2);
	ASSERT_ERROR(r, 409, "RESERVATION_EXPIRED");
	resp_free(r);

	/* A buyer only looking sees the units again: reading availability gives
	 * expired holds back too, without any hold attempt or daemon. */
	ck_assert_int_eq(bk_available(code, NULL, p), 3);

	/* The next hold on the quota takes the expired units back itself. */
	r = bk_reserve(code, NULL, p, 3);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(bk_counter(ev, q, NULL), 0);
	ck_assert_int_eq(bk_holds(ev), 1);
	ck_assert(!bk_hold_exists(ev, t1));
	ck_assert(!bk_hold_exists(ev, t2));

	r = bk_cancel(code, t1);
	ASSERT_ERROR(r, 409, "RESERVATION_EXPIRED");
	resp_free(r);
	ck_assert_str_eq(state_of(code, t1), "expired");
	/* Nothing came back twice. */
	ck_assert_int_eq(bk_available(code, NULL, p), 0);
	ck_assert_int_eq(bk_counter(ev, q, NULL), 0);
	free(t1);
	free(t2);
}
END_TEST

/* ---- cancel and expiry together ------------------------------------------------ */

#define RACE_HOLDS 12 /* holds per round */
#define RACE_UNITS 2  /* units per hold */
#define RACE_CAPACITY (RACE_HOLDS * RACE_UNITS)
#define RACE_ROUNDS 3
#define RACE_LEAD_MS 10
#define RACE_PEEKS 4 /* availability reads fired with the race */

struct race {
	const char *code;
	long long product;
	char *tokens[RACE_HOLDS];
	size_t n_tokens;
	char *new_tokens[RACE_HOLDS];
	size_t n_new;
	long del_status[RACE_HOLDS];
	char del_code[RACE_HOLDS][32];
	size_t created, sold_out, odd, peek_over;
	long long peek_max;
	char first_odd[400];
	char *hold_body, *res_path, *products_path;
};

/* Requests 0 … n−1 cancel the old holds, n … 2n−1 make new ones, the last
 * RACE_PEEKS read availability; interleaved so they start together. */
static void race_make(size_t i, struct bk_call *c, void *ctx)
{
	struct race *r = ctx;
	size_t n = r->n_tokens, k = i / 2;

	if (i >= 2 * n) {
		c->method = "GET";
		c->path = r->products_path;
	} else if (i % 2 == 0) {
		c->method = "DELETE";
		c->path = strf("%s/%s", r->res_path, r->tokens[k]);
	} else {
		c->method = "POST";
		c->path = r->res_path;
		c->body = r->hold_body;
	}
}

static void race_odd(struct race *r, const resp_t *x)
{
	r->odd++;
	if (r->first_odd[0] == '\0')
		snprintf(r->first_odd, sizeof(r->first_odd), "%s %s -> %ld %s", x->method, x->path,
		         x->status, resp_snippet(x));
}

static void race_done(size_t i, const resp_t *x, void *ctx)
{
	struct race *r = ctx;
	size_t n = r->n_tokens;

	if (i >= 2 * n) {
		const cJSON *p = jfind_id(jitems(x), "id", r->product);
		long long a = jnum(p, "available");
		if (x->status != 200 || a == JINT_NONE) {
			race_odd(r, x);
			return;
		}
		if (a > r->peek_max)
			r->peek_max = a;
		if (a > RACE_CAPACITY)
			r->peek_over++;
	} else if (i % 2 == 0) {
		r->del_status[i / 2] = x->status;
		snprintf(r->del_code[i / 2], sizeof(r->del_code[0]), "%s", err_code(x));
		if (!(x->status == 200 ||
		      (x->status == 409 && strcmp(err_code(x), "RESERVATION_EXPIRED") == 0)))
			race_odd(r, x);
	} else if (x->status == 201) {
		r->created++;
		r->new_tokens[r->n_new++] = strdup(jstr(x, "reservation.token"));
	} else if (x->status == 409 && strcmp(err_code(x), "SOLD_OUT") == 0) {
		r->sold_out++;
	} else {
		race_odd(r, x);
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

START_TEST(cancel_and_expiry_return_stock_once)
{
	struct race r = {0};
	long long ev, q;
	size_t canceled_total = 0, expired_total = 0;

	r.code = strdup(uniq_code("bkr"));
	ev = bk_event(r.code, HOLD_SECONDS, 50);
	q = bk_quota(ev, "Hall", RACE_CAPACITY, false);
	r.product = bk_product(
	    ev, &(struct bk_product){
	            .name = "Hall", .price = 1000, .max_per_order = 50, .quotas = {q}});
	r.res_path = strdup(strf("/fcgi/public/events/%s/reservations", r.code));
	r.products_path = strdup(strf("/fcgi/public/events/%s/products", r.code));
	{
		struct bk_item it = {r.product, RACE_UNITS};
		r.hold_body = strdup(bk_body(NULL, &it, 1));
	}

	/* The first holds, a little apart, so the race finds some of them just
	 * expired and others just alive. */
	for (size_t k = 0; k < RACE_HOLDS; k++) {
		resp_t *x = bk_post(r.code, r.hold_body);
		ASSERT_STATUS(x, 201);
		r.tokens[r.n_tokens++] = strdup(jstr(x, "reservation.token"));
		resp_free(x);
		bk_sleep_ms(25);
	}
	ck_assert_int_eq(bk_available(r.code, NULL, r.product), 0);

	for (int round = 0; round < RACE_ROUNDS && r.n_tokens > 0; round++) {
		long long exp[RACE_HOLDS], fire, avail, live, counter;
		struct bk_multi m = {2 * r.n_tokens + RACE_PEEKS, 2 * r.n_tokens + RACE_PEEKS,
		                     race_make, race_done, &r};
		size_t n = r.n_tokens;

		for (size_t k = 0; k < n; k++)
			exp[k] = expiry_ms(r.tokens[k]);
		qsort(exp, n, sizeof(exp[0]), cmp_ll);
		/* Right at the middle hold's expiry. The holds of later rounds were
		 * made within a few ms of each other by the race before: fire a
		 * little earlier, so that their cancels meet their expiry. */
		fire = exp[n / 2] - (round > 0 ? RACE_LEAD_MS : 0);
		fprintf(stderr, "booking_expiry: round %d: expiries span %lld ms\n", round,
		        exp[n - 1] - exp[0]);
		bk_sleep_ms(fire - bk_now_ms());

		r.n_new = 0;
		r.created = r.sold_out = 0;
		bk_multi_run(&m);
		ck_assert_msg(r.odd == 0, "round %d: %zu unexpected answers, first: %s", round,
		              r.odd, r.first_odd);
		ck_assert_msg(r.peek_over == 0, "round %d: availability read %lld > capacity %d",
		              round, r.peek_max, RACE_CAPACITY);

		/* Each old hold is canceled or expired, as its DELETE said. */
		for (size_t k = 0; k < n; k++) {
			const char *st = state_of(r.code, r.tokens[k]);
			if (r.del_status[k] == 200) {
				canceled_total++;
				ck_assert_msg(strcmp(st, "canceled") == 0,
				              "round %d: canceled hold reads %s", round, st);
			} else {
				expired_total++;
				ck_assert_msg(strcmp(st, "expired") == 0,
				              "round %d: expired hold reads %s", round, st);
			}
		}

		/* Let every expired hold be taken back: a hold attempt that can
		 * never fit releases up to a batch of them each time. */
		for (int k = 0; k < RACE_HOLDS / 8 + 2; k++) {
			resp_t *x = bk_reserve(r.code, NULL, r.product, RACE_CAPACITY + 1);
			ASSERT_ERROR(x, 409, "SOLD_OUT");
			resp_free(x);
		}

		{
			size_t won = 0;
			for (size_t k = 0; k < n; k++)
				won += r.del_status[k] == 200;
			fprintf(
			    stderr,
			    "booking_expiry: round %d: %zu holds, %zu canceled in time, %zu new, "
			    "%zu sold out\n",
			    round, n, won, r.created, r.sold_out);
		}
		avail = bk_available(r.code, NULL, r.product);
		counter = bk_counter(ev, q, NULL);
		live = bk_quota_live_units(q, NULL);
		ck_assert_msg(avail <= RACE_CAPACITY, "round %d: available %lld > capacity %d",
		              round, avail, RACE_CAPACITY);
		ck_assert_msg(
		    avail == RACE_CAPACITY - live && counter == avail,
		    "round %d: available %lld, counter %lld, want capacity %d − live %lld", round,
		    avail, counter, RACE_CAPACITY, live);
		ck_assert_int_eq(live, (long long)r.created * RACE_UNITS);
		ck_assert_int_eq(bk_holds(ev), (long long)r.created);

		for (size_t k = 0; k < n; k++)
			free(r.tokens[k]);
		memcpy(r.tokens, r.new_tokens, r.n_new * sizeof(r.new_tokens[0]));
		r.n_tokens = r.n_new;
	}
	fprintf(stderr, "booking_expiry: %zu cancels won, %zu holds expired first\n",
	        canceled_total, expired_total);
	for (size_t k = 0; k < r.n_tokens; k++)
		free(r.tokens[k]);
	free(r.hold_body);
	free(r.res_path);
	free(r.products_path);
	free((char *)r.code);
}
END_TEST

static Suite *booking_expiry_suite(void)
{
	Suite *s = suite_create("booking_expiry");
	TCase *tc = tcase_new("expiry");
	tcase_add_test(tc, expiry_needs_no_daemon);
	tcase_add_test(tc, cancel_and_expiry_return_stock_once);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("booking_expiry", booking_expiry_suite, true)
