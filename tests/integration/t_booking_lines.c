/*
 * t_booking_lines.c — one order touching many counters. 17 products, each
 * drawing from the venue's shared quota and from a quota of its own
 * (capacity 1), are ordered together: 34 stock lines before merging, 18
 * distinct counters after. Whatever the answer (201 with every unit held,
 * or a 4xx holding nothing), no quota may end up with more units held than
 * its capacity, and every Redis counter must equal capacity − live holds
 * in PostgreSQL. A second identical order must then be sold out.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES_PRODUCTS 17
#define LINES_SHARED 1000

START_TEST(many_counters_in_one_order)
{
	const char *code = strdup(uniq_code("bkm"));
	long long ev = bk_event(code, 0, 20);
	long long shared = bk_quota(ev, "Venue", LINES_SHARED, false);
	long long own[LINES_PRODUCTS];
	struct bk_item items[LINES_PRODUCTS];
	char *body;
	resp_t *r;
	long status;

	for (int i = 0; i < LINES_PRODUCTS; i++) {
		own[i] = bk_quota(ev, strf("Room %d", i), 1, false);
		items[i].product_id = bk_product(
		    ev, &(struct bk_product){
		            .name = strf("Room %d", i), .price = 1000, .quotas = {shared, own[i]}});
		items[i].qty = 1;
	}
	body = strdup(bk_body(NULL, items, LINES_PRODUCTS));

	r = bk_post(code, body);
	status = r->status;
	ck_assert_msg(status == 201 || (status >= 400 && status < 500),
	              "an order of %d products: %ld %s", LINES_PRODUCTS, status, resp_snippet(r));
	resp_free(r);

	/* Redis and PostgreSQL agree on every counter, and none is over. */
	for (int i = 0; i < LINES_PRODUCTS; i++) {
		long long live = bk_quota_live_units(own[i], NULL);
		ck_assert_msg(live <= 1, "room %d: %lld units held of 1", i, live);
		ck_assert_msg(live == (status == 201 ? 1 : 0),
		              "room %d: %lld units held after a %ld answer", i, live, status);
		ck_assert_msg(bk_counter(ev, own[i], NULL) == 1 - live,
		              "room %d: counter %lld, PostgreSQL holds %lld of 1 (answer %ld)", i,
		              bk_counter(ev, own[i], NULL), live, status);
	}
	ck_assert_int_eq(bk_counter(ev, shared, NULL),
	                 LINES_SHARED - bk_quota_live_units(shared, NULL));

	if (status == 201) {
		/* Every room is taken: the same order again is sold out. */
		r = bk_post(code, body);
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		resp_free(r);
		for (int i = 0; i < LINES_PRODUCTS; i++)
			ck_assert_msg(bk_quota_live_units(own[i], NULL) == 1,
			              "room %d: %lld units held of 1 after a second order", i,
			              bk_quota_live_units(own[i], NULL));
		ck_assert_int_eq(bk_pending_orders(ev), 1);
	}
	free(body);
	free((char *)code);
}
END_TEST

static Suite *booking_lines_suite(void)
{
	Suite *s = suite_create("booking_lines");
	TCase *tc = tcase_new("lines");
	tcase_add_test(tc, many_counters_in_one_order);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("booking_lines", booking_lines_suite, true)
