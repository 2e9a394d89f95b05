/* test_pending.c — the pending-order record the hold script stores: a JSON
 * object without its closing brace, completed with the hold's expiry. What
 * customers type (quotes, backslashes, Korean, control characters) must
 * come back unchanged from the JSON PostgreSQL parses. */
#include "unit.h"

#include "pending.h"

#include <cjson/cJSON.h>

static struct arena *A;

static void setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsString(v), "%s is not a string", k);
	return v->valuestring;
}

static double num_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", k);
	return v->valuedouble;
}

START_TEST(record_round_trip)
{
	const struct pending_item items[] = {{11, 2, 15000}, {12, 1, 0}};
	const struct pending_order o = {
	    .number = "AAA-2345ABCD",
	    .token = "tok_0123456789abcdef-_",
	    .visit_date = "2026-12-01",
	    .amount = 30000,
	    .name = "홍\"길\\동 \t'); --",
	    .phone = "01012345678",
	    .email = "a+b@example.com",
	    .access_token = "acc_0123456789abcdef",
	    .items = items,
	    .n_items = 2,
	};
	char *rec = pending_record(A, &o), *full;
	cJSON *j, *it;

	ck_assert_ptr_nonnull(rec);
	/* Open: the script adds ,"x":<expiry>} */
	ck_assert_int_ne(rec[strlen(rec) - 1], '}');
	ck_assert_ptr_null(cJSON_Parse(rec));
	full = pending_record_close(A, rec, 1795270803123LL);
	j = cJSON_Parse(full);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(str_of(j, "n"), o.number);
	ck_assert_str_eq(str_of(j, "t"), o.token);
	ck_assert_str_eq(str_of(j, "d"), o.visit_date);
	ck_assert_str_eq(str_of(j, "nm"), o.name);
	ck_assert_str_eq(str_of(j, "ph"), o.phone);
	ck_assert_str_eq(str_of(j, "em"), o.email);
	ck_assert_str_eq(str_of(j, "ac"), o.access_token);
	ck_assert(num_of(j, "a") == 30000);
	ck_assert(num_of(j, "x") == 1795270803123.0);
	it = cJSON_GetObjectItemCaseSensitive(j, "i");
	ck_assert_int_eq(cJSON_GetArraySize(it), 2);
	ck_assert(num_of(cJSON_GetArrayItem(it, 0), "p") == 11);
	ck_assert(num_of(cJSON_GetArrayItem(it, 0), "q") == 2);
	ck_assert(num_of(cJSON_GetArrayItem(it, 0), "u") == 15000);
	ck_assert(num_of(cJSON_GetArrayItem(it, 1), "p") == 12);
	ck_assert(num_of(cJSON_GetArrayItem(it, 1), "u") == 0);
	cJSON_Delete(j);
}
END_TEST

START_TEST(absent_fields_are_left_out)
{
	const struct pending_item items[] = {{7, 1, 5000}};
	const struct pending_order o = {
	    .number = "BBB-2345ABCD",
	    .token = "tok_0123456789abcdef",
	    .amount = 5000,
	    .name = "김",
	    .phone = "01099998888",
	    .access_token = "acc_0123456789abcdef",
	    .items = items,
	    .n_items = 1,
	};
	cJSON *j = cJSON_Parse(pending_record_close(A, pending_record(A, &o), 1));

	ck_assert_ptr_nonnull(j);
	/* Missing keys read as SQL NULL in json_to_recordset. */
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "d"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "em"));
	cJSON_Delete(j);
}
END_TEST

static Suite *pending_suite(void)
{
	Suite *s = suite_create("pending");
	TCase *t = tcase_create("record");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, record_round_trip);
	tcase_add_test(t, absent_fields_are_left_out);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return unit_run(pending_suite());
}
