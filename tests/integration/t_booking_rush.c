/*
 * t_booking_rush.c — the rush: 3 000 reservation attempts from 300
 * concurrent connections (one process, libcurl multi) for a quota of 100.
 * Exactly 100 succeed, every other answer is 409 SOLD_OUT, nothing is a
 * 5xx; PostgreSQL holds exactly those 100 pending orders, and the
 * availability the public sees, like the Redis counter, ends at 0.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUSH_CAPACITY 100
#define RUSH_ATTEMPTS 3000
#define RUSH_CONNECTIONS 300

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "{tok1,tok2,…}": a text[] literal (tokens are base64url). */
static char *token_array(const struct bk_tally *t)
{
	size_t len = 3;
	char *s, *p;

	for (size_t i = 0; i < t->n_tokens; i++)
		len += strlen(t->tokens[i]) + 1;
	s = malloc(len);
	ck_assert_msg(s != NULL, "out of memory");
	p = s;
	*p++ = '{';
	for (size_t i = 0; i < t->n_tokens; i++)
		p += sprintf(p, "%s%s", i ? "," : "", t->tokens[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

START_TEST(rush_sells_exactly_capacity)
{
	const char *code = uniq_code("rush");
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Hall", RUSH_CAPACITY, false);
	long long p = bk_product(
	    ev, &(struct bk_product){.name = "General", .price = 15000, .quotas = {q}});
	struct bk_item it = {p, 1};
	struct bk_tally t = {0};
	long long t0;
	char *arr;

	ck_assert_int_eq(bk_available(code, NULL, p), RUSH_CAPACITY);

	t0 = bk_now_ms();
	bk_rush(code, bk_body(NULL, &it, 1), RUSH_ATTEMPTS, RUSH_CONNECTIONS, &t, NULL, NULL);
	fprintf(stderr, "booking_rush: %d attempts over %d connections in %lld ms\n", RUSH_ATTEMPTS,
	        RUSH_CONNECTIONS, bk_now_ms() - t0);

	BK_ASSERT_CLEAN(&t);
	ck_assert_msg(t.created == RUSH_CAPACITY && t.sold_out == RUSH_ATTEMPTS - RUSH_CAPACITY,
	              "want %d created and %d sold out, got %zu and %zu", RUSH_CAPACITY,
	              RUSH_ATTEMPTS - RUSH_CAPACITY, t.created, t.sold_out);
	ck_assert_int_eq(t.units, RUSH_CAPACITY);

	/* 100 different reservations … */
	qsort(t.tokens, t.n_tokens, sizeof(*t.tokens), cmp_str);
	for (size_t i = 1; i < t.n_tokens; i++)
		ck_assert_msg(strcmp(t.tokens[i - 1], t.tokens[i]) != 0, "token %s given twice",
		              t.tokens[i]);
	/* … are exactly the pending orders PostgreSQL has for the event: the
	 * workers write them behind the answers on their own, nobody asking
	 * (no flush, no daemon) … */
	{
		long long deadline = bk_now_ms() + 10000, n;
		while ((n = bk_pending_orders_written(ev)) < RUSH_CAPACITY &&
		       bk_now_ms() < deadline)
			bk_sleep_ms(20);
		fprintf(stderr,
		        "booking_rush: pending orders all written %lld ms after the last answer\n",
		        bk_now_ms() - (deadline - 10000));
		ck_assert_int_eq(n, RUSH_CAPACITY);
	}
	/* … and a flush finds nothing more to write. */
	ck_assert_int_eq(bk_pending_orders(ev), RUSH_CAPACITY);
	arr = token_array(&t);
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM orders WHERE event_id = $1"
	              " AND status = 'pending' AND reservation_token = ANY($2::text[])",
	              strf("%lld", ev), arr),
	    RUSH_CAPACITY);
	free(arr);
	ck_assert_int_eq(bk_live_units(ev, NULL), RUSH_CAPACITY);

	/* Sold out everywhere one looks (a whole-event quota: any date too). */
	ck_assert_int_eq(bk_available(code, NULL, p), 0);
	ck_assert_int_eq(bk_available(code, bk_date(1), p), 0);
	ck_assert_int_eq(bk_counter(ev, q, NULL), 0);
	ck_assert_int_eq(bk_holds(ev), RUSH_CAPACITY);
	{
		resp_t *r = bk_reserve(code, NULL, p, 1);
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		ck_assert_int_eq(jint(r, "error.details.product_id"), p);
		resp_free(r);
	}
	bk_tally_free(&t);
}
END_TEST

static Suite *booking_rush_suite(void)
{
	Suite *s = suite_create("booking_rush");
	TCase *tc = tcase_new("rush");
	tcase_add_test(tc, rush_sells_exactly_capacity);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("booking_rush", booking_rush_suite, true)
