/*
 * t_visit_date.c — a visit date that cannot be booked is refused with the
 * reason the customer can act on: a malformed date, a day in the past, a
 * day outside the exhibition and a closed day (weekday or single date) each
 * have their own details.reasons code and their own sentence, in Korean and
 * in English. The closed days are part of the event (super admin) and of
 * its public view, so the booking page can grey them out.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"
#include "tk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct date_case {
	const char *date;
	const char *reason; /* NULL: bookable */
};

/* The ISO weekday of today + days on Seoul's calendar (tk_iso_weekday has
 * its own unit test). */
static int weekday_of(int days)
{
	return tk_iso_weekday(bk_date(days));
}

static const char *reason(const resp_t *r, const char *field)
{
	return jstr(r, strf("error.details.reasons.%s", field));
}

START_TEST(each_problem_has_its_reason)
{
	const char *code = strdup(uniq_code("vd"));
	long long ev = bk_event(code, 0, 10);
	long long q = bk_quota(ev, "Daily", 100, true);
	long long pid = bk_product(
	    ev, &(struct bk_product){.name = "Adult", .price = 1000, .dated = true, .quotas = {q}});
	int closed_wd = weekday_of(3);
	const struct date_case cases[] = {
	    {"2026-13-01", "date_format"},
	    {"2026-02-30", "date_format"},
	    {strdup(bk_date(-1)), "date_past"},
	    {strdup(bk_date(40)), "date_outside_event"},
	    {strdup(bk_date(-30)), "date_outside_event"},
	    {strdup(bk_date(3)), "date_closed"},
	    {strdup(bk_date(5)), "date_closed"},
	    {strdup(bk_date(1)), NULL},
	    {strdup(bk_date(4)), NULL},
	};
	const char *ko_seen[8] = {0}, *en_seen[8] = {0};
	size_t n_seen = 0;
	resp_t *r;

	/* Closed on the weekday of today+3, and on today+5 itself. */
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev),
	        strf("{\"closed_weekdays\":[%d],\"closed_dates\":[\"%s\"]}", closed_wd, bk_date(5)),
	        super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq((long long)cJSON_GetNumberValue(
	                     cJSON_GetArrayItem(jget(r->json, "event.closed_weekdays"), 0)),
	                 closed_wd);
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetArrayItem(jget(r->json, "event.closed_dates"), 0)),
	    bk_date(5));
	resp_free(r);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *ko, *en;

		r = bk_reserve(code, cases[i].date, pid, 1);
		if (cases[i].reason == NULL) {
			ck_assert_msg(r->status == 201, "%s: want 201, got %ld %s", cases[i].date,
			              r->status, resp_snippet(r));
			resp_free(r);
			continue;
		}
		ASSERT_ERROR(r, 422, "VALIDATION");
		ck_assert_msg(reason(r, "visit_date") &&
		                  strcmp(reason(r, "visit_date"), cases[i].reason) == 0,
		              "%s: want reason %s, got %s", cases[i].date, cases[i].reason,
		              resp_snippet(r));
		ko = strdup(jstr(r, "error.details.fields.visit_date"));
		resp_free(r);

		r = req("POST", strf("/fcgi/public/events/%s/reservations", code),
		        bk_body(cases[i].date, &(struct bk_item){pid, 1}, 1), NULL,
		        "Accept-Language: en");
		ASSERT_ERROR(r, 422, "VALIDATION");
		ck_assert_str_eq(reason(r, "visit_date"), cases[i].reason);
		en = strdup(jstr(r, "error.details.fields.visit_date"));
		resp_free(r);
		ck_assert_msg(strcmp(ko, en) != 0, "%s: the same text in both languages", ko);

		/* The products list for that date says the same. */
		r = req("GET", strf("/fcgi/public/events/%s/products?date=%s", code, cases[i].date),
		        NULL, NULL);
		ASSERT_ERROR(r, 422, "VALIDATION");
		ck_assert_str_eq(reason(r, "date"), cases[i].reason);
		resp_free(r);

		/* Four problems, four sentences. */
		size_t k;
		for (k = 0; k < n_seen; k++)
			if (strcmp(ko_seen[k], ko) == 0)
				break;
		if (k == n_seen && n_seen < 8) {
			ko_seen[n_seen] = ko;
			en_seen[n_seen++] = en;
		}
	}
	ck_assert_msg(n_seen == 4, "want 4 distinct messages for 4 problems, got %zu", n_seen);
	for (size_t a = 0; a < n_seen; a++)
		for (size_t b = a + 1; b < n_seen; b++)
			ck_assert_msg(strcmp(en_seen[a], en_seen[b]) != 0, "English: %s twice",
			              en_seen[a]);
	ck_assert_int_eq(bk_pending_orders(ev), 2);
	free((char *)code);
}
END_TEST

START_TEST(closed_days_validated)
{
	const char *code = strdup(uniq_code("vd"));
	long long ev = bk_event(code, 0, 10);
	resp_t *r;

	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev), "{\"closed_weekdays\":[1,8]}",
	        super_tok());
	ASSERT_ERROR(r, 422, "VALIDATION");
	ck_assert_msg(err_field(r, "closed_weekdays[1]"), "%s", resp_snippet(r));
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev),
	        "{\"closed_dates\":[\"2026-12-25\",\"12/26\"]}", super_tok());
	ASSERT_ERROR(r, 422, "VALIDATION");
	ck_assert_msg(err_field(r, "closed_dates[1]"), "%s", resp_snippet(r));
	ck_assert_str_eq(reason(r, "closed_dates[1]"), "date_format");
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev), "{\"closed_weekdays\":\"1\"}",
	        super_tok());
	ASSERT_ERROR(r, 422, "VALIDATION");
	resp_free(r);
	/* Duplicates collapse; an empty list opens every day again. */
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev),
	        "{\"closed_weekdays\":[7,1,1],\"closed_dates\":[]}", super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "event.closed_weekdays")), 2);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "event.closed_dates")), 0);
	resp_free(r);
	free((char *)code);
}
END_TEST

static Suite *visit_date_suite(void)
{
	Suite *s = suite_create("visit_date");
	TCase *tc = tcase_new("dates");
	tcase_add_test(tc, each_problem_has_its_reason);
	tcase_add_test(tc, closed_days_validated);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("visit_date", visit_date_suite, true)
