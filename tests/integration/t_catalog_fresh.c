/*
 * t_catalog_fresh.c — an admin change is seen by the very next customer
 * request, on any worker. Every public worker caches the catalog (event,
 * products, quota uses); before each change the test warms every worker's
 * cache with reads, so a worker that answered from its old copy would show
 * up as a 422 for a product it does not know, the old price, or a sale on
 * an event that was switched off.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRESH_ROUNDS 50
/* Reads before each change: more than the public workers of any default
 * stack, so every worker holds the event (nginx spreads them). */
#define FRESH_WARM 24

static void warm(const char *code)
{
	for (int i = 0; i < FRESH_WARM; i++) {
		resp_t *r = req("GET", strf("/fcgi/public/events/%s/products", code), NULL, NULL);
		ASSERT_STATUS(r, 200);
		resp_free(r);
	}
}

START_TEST(new_product_reservable_at_once)
{
	const char *code = strdup(uniq_code("cf"));
	long long ev = bk_event(code, 0, 10);
	long long q = bk_quota(ev, "Hall", 10000, false);

	bk_product(ev, &(struct bk_product){.name = "First", .price = 1000, .quotas = {q}});
	for (int i = 0; i < FRESH_ROUNDS; i++) {
		long long pid;
		resp_t *r;

		warm(code);
		pid = bk_product(ev, &(struct bk_product){
		                         .name = strf("New %d", i), .price = 1000, .quotas = {q}});
		r = bk_reserve(code, NULL, pid, 1);
		ck_assert_msg(r->status == 201, "round %d: product %lld created, then %ld %s", i,
		              pid, r->status, resp_snippet(r));
		resp_free(r);
	}
	free((char *)code);
}
END_TEST

START_TEST(lower_price_charged_at_once)
{
	const char *code = strdup(uniq_code("cf"));
	long long ev = bk_event(code, 0, 10);
	long long q = bk_quota(ev, "Hall", 1000, false);
	long long pid = bk_product(
	    ev, &(struct bk_product){.name = "Adult", .price = 20000, .quotas = {q}});

	for (int i = 1; i <= 5; i++) {
		long long price = 20000 - 1000 * i;
		resp_t *r;

		warm(code);
		r = req("PUT", strf("/fcgi/admin/events/%lld/products/%lld", ev, pid),
		        strf("{\"price\":%lld}", price), super_tok());
		ASSERT_STATUS(r, 200);
		resp_free(r);
		r = bk_reserve(code, NULL, pid, 2);
		ASSERT_STATUS(r, 201);
		ck_assert_msg(jint(r, "reservation.amount") == 2 * price,
		              "price lowered to %lld, reservation of 2 charged %lld", price,
		              jint(r, "reservation.amount"));
		resp_free(r);
		r = req("GET", strf("/fcgi/public/events/%s/products", code), NULL, NULL);
		ASSERT_STATUS(r, 200);
		ck_assert_int_eq(jnum(jfind_id(jitems(r), "id", pid), "price"), price);
		resp_free(r);
	}
	free((char *)code);
}
END_TEST

START_TEST(event_switched_off_at_once)
{
	const char *code = strdup(uniq_code("cf"));
	long long ev = bk_event(code, 0, 10);
	long long q = bk_quota(ev, "Hall", 1000, false);
	long long pid = bk_product(
	    ev, &(struct bk_product){.name = "Adult", .price = 1000, .quotas = {q}});
	resp_t *r;

	warm(code);
	r = req("POST", strf("/fcgi/super-admin/events/%lld/deactivate", ev), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	for (int i = 0; i < FRESH_WARM; i++) {
		r = bk_reserve(code, NULL, pid, 1);
		ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
		resp_free(r);
		r = req("GET", strf("/fcgi/public/events/%s/products", code), NULL, NULL);
		ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
		resp_free(r);
	}
	ck_assert_int_eq(bk_pending_orders(ev), 0);

	/* And back on: sellable again at once. */
	r = req("POST", strf("/fcgi/super-admin/events/%lld/activate", ev), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = bk_reserve(code, NULL, pid, 1);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	free((char *)code);
}
END_TEST

static Suite *catalog_fresh_suite(void)
{
	Suite *s = suite_create("catalog_fresh");
	TCase *tc = tcase_new("fresh");
	tcase_add_test(tc, new_product_reservable_at_once);
	tcase_add_test(tc, lower_price_charged_at_once);
	tcase_add_test(tc, event_switched_off_at_once);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("catalog_fresh", catalog_fresh_suite, true)
