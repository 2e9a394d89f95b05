/* test_alimtalk.c — the Alimtalk templates: every file of
 * templates/alimtalk fills from its documented variables, a missing
 * variable or an over-long text is a mismatch, unknown or malformed codes
 * are no template. */
#include "unit.h"

#include "alimtalk.h"
#include "arena.h"
#include "config.h"

#include <string.h>

static struct arena *A;

static void setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
	cfg.root = "."; /* the tests run from the repository root */
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

static cJSON *params(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(fills_every_variable)
{
	const char *tmpl, *out, *missing;
	cJSON *p = params(
	    "{\"name\":\"홍길동\",\"productName\":\"성인\",\"gate\":\"A\","
	    "\"orderNumber\":\"AAA-7K3Q9MXD\",\"usedAt\":\"2026-12-01T10:00:00+09:00\","
	    "\"extra\":\"ignored\"}");

	ck_assert_int_eq(alimtalk_template(A, "ENTRY_ADMITTED", &tmpl), ALIMTALK_OK);
	ck_assert_ptr_nonnull(strstr(tmpl, "#{gate}"));
	ck_assert_int_eq(alimtalk_fill(A, tmpl, p, &out, &missing), ALIMTALK_OK);
	ck_assert_str_eq(out, "[입장 완료 안내]\n\n홍길동님, 입장이 확인되었습니다.\n\n"
	                      "■ 주문번호: AAA-7K3Q9MXD\n■ 티켓: 성인\n■ 입장 게이트: A\n"
	                      "■ 입장 시각: 2026-12-01T10:00:00+09:00\n\n즐거운 관람 되세요.");
	cJSON_Delete(p);
}
END_TEST

START_TEST(numbers_are_printed)
{
	const char *out, *missing;
	cJSON *p = params("{\"n\":3,\"s\":\"x\"}");

	ck_assert_int_eq(alimtalk_fill(A, "#{s}: #{n}매 #{s}", p, &out, &missing), ALIMTALK_OK);
	ck_assert_str_eq(out, "x: 3매 x");
	cJSON_Delete(p);
}
END_TEST

START_TEST(a_missing_variable_is_a_mismatch)
{
	const char *tmpl, *out, *missing;
	cJSON *p = params("{\"name\":\"홍길동\",\"productName\":\"p\",\"orderNumber\":\"o\","
	                  "\"usedAt\":\"t\"}");

	ck_assert_int_eq(alimtalk_template(A, "ENTRY_ADMITTED", &tmpl), ALIMTALK_OK);
	ck_assert_int_eq(alimtalk_fill(A, tmpl, p, &out, &missing), ALIMTALK_MISMATCH);
	ck_assert_str_eq(missing, "gate");
	ck_assert_ptr_null(out);
	cJSON_Delete(p);
}
END_TEST

START_TEST(too_long_is_a_mismatch)
{
	const char *out, *missing;
	char *big = arena_alloc(A, ALIMTALK_TEXT_MAX + 2);
	cJSON *p;

	memset(big, 'a', ALIMTALK_TEXT_MAX);
	big[ALIMTALK_TEXT_MAX] = '\0';
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "v", big);
	ck_assert_int_eq(alimtalk_fill(A, "#{v}", p, &out, &missing), ALIMTALK_OK);
	ck_assert_int_eq(alimtalk_fill(A, "#{v}!", p, &out, &missing), ALIMTALK_MISMATCH);
	ck_assert_str_eq(missing, "(length)");
	cJSON_Delete(p);
}
END_TEST

START_TEST(every_template_fills_from_its_documented_params)
{
	static const struct {
		const char *code, *params;
	} docs[] = {
	    {"TICKET_CONFIRM",
	     "{\"name\":\"a\",\"event\":\"b\",\"orderNumber\":\"c\",\"visitDate\":\"d\","
	     "\"tickets\":\"e\",\"url\":\"f\"}"},
	    {"REFUND", "{\"name\":\"a\",\"event\":\"b\",\"orderNumber\":\"c\",\"amount\":\"d\","
	               "\"url\":\"f\"}"},
	    {"REFUND_PARTIAL",
	     "{\"name\":\"a\",\"event\":\"b\",\"orderNumber\":\"c\",\"amount\":\"d\","
	     "\"tickets\":\"e\",\"url\":\"f\"}"},
	    {"INVITATION_ISSUED", "{\"name\":\"a\",\"company\":\"b\",\"event\":\"c\","
	                          "\"orderNumber\":\"d\",\"visitDate\":\"e\",\"url\":\"f\"}"},
	    {"ENTRY_ADMITTED", "{\"name\":\"a\",\"productName\":\"b\",\"orderNumber\":\"c\","
	                       "\"gate\":\"d\",\"usedAt\":\"e\"}"},
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *tmpl, *out, *missing;
		cJSON *p = params(docs[i].params);
		ck_assert_msg(alimtalk_template(A, docs[i].code, &tmpl) == ALIMTALK_OK, "%s",
		              docs[i].code);
		ck_assert_msg(alimtalk_fill(A, tmpl, p, &out, &missing) == ALIMTALK_OK, "%s: #{%s}",
		              docs[i].code, missing ? missing : "?");
		ck_assert_ptr_null(strstr(out, "#{"));
		cJSON_Delete(p);
	}
}
END_TEST

START_TEST(unknown_and_malformed_codes)
{
	const char *tmpl;

	ck_assert_int_eq(alimtalk_template(A, "NO_SUCH_TEMPLATE", &tmpl), ALIMTALK_NO_TEMPLATE);
	ck_assert_int_eq(alimtalk_template(A, "../README", &tmpl), ALIMTALK_NO_TEMPLATE);
	ck_assert_int_eq(alimtalk_template(A, "readme", &tmpl), ALIMTALK_NO_TEMPLATE);
	ck_assert_int_eq(alimtalk_template(A, "", &tmpl), ALIMTALK_NO_TEMPLATE);
	ck_assert_ptr_null(tmpl);
}
END_TEST

static Suite *alimtalk_suite(void)
{
	Suite *s = suite_create("alimtalk");
	TCase *tc = tcase_create("templates");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fills_every_variable);
	tcase_add_test(tc, numbers_are_printed);
	tcase_add_test(tc, a_missing_variable_is_a_mismatch);
	tcase_add_test(tc, too_long_is_a_mismatch);
	tcase_add_test(tc, every_template_fills_from_its_documented_params);
	tcase_add_test(tc, unknown_and_malformed_codes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(alimtalk_suite());
}
