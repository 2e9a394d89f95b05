/*
 * t_seed_demo.c — `ticketctl seed-demo` leaves the demo exhibition `aaa`
 * sellable: adult, youth and child tickets on one daily capacity, a
 * catalogue with its own stock, a package of the two, a pinned notice. It
 * runs at every start, so running it again (the stack ran it already)
 * changes nothing: the catalogue is seeded only while the event has never
 * had a product or a quota.
 */
#include "booking_fixture.h"
#include "client.h"
#include "suite.h"

#include <stdlib.h>
#include <string.h>

#define DEMO_COUNTS \
	"SELECT (SELECT count(*) FROM products p JOIN events e ON e.id = p.event_id" \
	"   WHERE e.code = 'aaa') * 1000000" \
	" + (SELECT count(*) FROM quotas q JOIN events e ON e.id = q.event_id WHERE e.code = " \
	"'aaa')" \
	"   * 10000" \
	" + (SELECT count(*) FROM product_quotas pq JOIN products p ON p.id = pq.product_id" \
	"    JOIN events e ON e.id = p.event_id WHERE e.code = 'aaa') * 100" \
	" + (SELECT count(*) FROM notices n JOIN events e ON e.id = n.event_id WHERE e.code = " \
	"'aaa')"

START_TEST(demo_catalogue_once)
{
	long long before = tdb_count(DEMO_COUNTS);
	char *day = strdup(bk_date(1));
	resp_t *r;
	const cJSON *it;
	int types[3] = {0, 0, 0};

	ck_assert_int_eq(bk_ticketctl("seed-demo"), 0);
	ck_assert_int_eq(bk_ticketctl("seed-demo"), 0);
	ck_assert_int_eq(tdb_count(DEMO_COUNTS), before);
	/* 5 products, 2 quotas, 4 direct quota uses (3 tickets + the catalogue), 1 notice */
	ck_assert_int_eq(before, 5 * 1000000 + 2 * 10000 + 4 * 100 + 1);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM package_items pi JOIN products p"
	                           " ON p.id = pi.package_id JOIN events e ON e.id = p.event_id"
	                           " WHERE e.code = 'aaa'"),
	                 2);

	r = req("GET", strf("/fcgi/public/events/aaa/products?date=%s", day), NULL, NULL);
	ASSERT_STATUS(r, 200);
	cJSON_ArrayForEach(it, jget(r->json, "items"))
	{
		const char *type = jtext(it, "type");
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "available");
		ck_assert_msg(cJSON_IsNumber(a) && a->valuedouble > 0, "%s: not on sale",
		              jtext(it, "name"));
		types[strcmp(type, "TICKET") == 0 ? 0 : strcmp(type, "MERCH") == 0 ? 1 : 2]++;
	}
	ck_assert_int_eq(types[0], 3);
	ck_assert_int_eq(types[1], 1);
	ck_assert_int_eq(types[2], 1);
	resp_free(r);

	r = req("GET", "/fcgi/public/events/aaa/notices", NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jbool(r, "items.0.pinned"), 1);
	resp_free(r);
	free(day);
}
END_TEST

static Suite *seed_demo_suite(void)
{
	Suite *s = suite_create("seed_demo");
	TCase *tc = tcase_new("seed_demo");
	tcase_add_test(tc, demo_catalogue_once);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("seed_demo", seed_demo_suite, false)
