/* test_msg.c — every error code of API.md has its status and a Korean and an
 * English text; Accept-Language parsing. */
#include "unit.h"

#include "msg.h"
#include "tk.h"

/* The error table of API.md ("Errors, always this envelope"), plus the
 * codes the library itself answers with. */
static const struct {
	const char *code;
	int status;
} api_codes[] = {
    {"BAD_REQUEST", 400},
    {"INVALID_JSON", 400},
    {"UNAUTHENTICATED", 401},
    {"BAD_CREDENTIALS", 401},
    {"FORBIDDEN", 403},
    {"EVENT_FORBIDDEN", 403},
    {"QUEUE_REQUIRED", 403},
    {"CSRF", 403},
    {"NOT_FOUND", 404},
    {"EVENT_NOT_FOUND", 404},
    {"METHOD_NOT_ALLOWED", 405},
    {"SOLD_OUT", 409},
    {"CONFLICT", 409},
    {"ALREADY_USED", 409},
    {"RESERVATION_EXPIRED", 409},
    {"ALREADY_REFUNDED", 409},
    {"TOO_LARGE", 413},
    {"UNSUPPORTED_MEDIA_TYPE", 415},
    {"VALIDATION", 422},
    {"LOCKED", 423},
    {"RATE_LIMITED", 429},
    {"PAYMENT_PROVIDER_ERROR", 502},
    {"UNAVAILABLE", 503},
    {"INTERNAL", 500},
};

/* True when s contains a Hangul syllable (U+AC00..U+D7A3: lead byte EA–ED). */
static bool has_hangul(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xea && *p <= 0xed)
			return true;
	return false;
}

static bool is_ascii_text(const char *s)
{
	if (*s == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

START_TEST(api_code_table)
{
	const char *code = api_codes[_i].code;
	const char *ko = msg_error(code, LANG_KO), *en = msg_error(code, LANG_EN);

	ck_assert_int_eq(msg_status(code), api_codes[_i].status);
	ck_assert_ptr_nonnull(ko);
	ck_assert_ptr_nonnull(en);
	ck_assert_msg(has_hangul(ko), "%s: Korean text \"%s\"", code, ko);
	ck_assert(tk_utf8_valid(ko, strlen(ko)));
	ck_assert_msg(is_ascii_text(en), "%s: English text \"%s\"", code, en);
	ck_assert_str_ne(ko, en);
	/* A code of its own, not the fallback for unknown codes. */
	if (strcmp(code, "INTERNAL") != 0) {
		ck_assert_str_ne(ko, msg_error("INTERNAL", LANG_KO));
		ck_assert_str_ne(en, msg_error("INTERNAL", LANG_EN));
	}
}
END_TEST

START_TEST(unknown_code)
{
	ck_assert_int_eq(msg_status("NO_SUCH_CODE"), 500);
	ck_assert_int_eq(msg_status(""), 500);
	ck_assert_int_eq(msg_status("sold_out"), 500); /* codes are case-sensitive */
	ck_assert_str_eq(msg_error("NO_SUCH_CODE", LANG_KO), msg_error("INTERNAL", LANG_KO));
	ck_assert_str_eq(msg_error("NO_SUCH_CODE", LANG_EN), msg_error("INTERNAL", LANG_EN));
}
END_TEST

/* The field keys json.c and the domain modules use. */
static const char *const field_keys[] = {
    "required",   "type_string",  "type_integer", "type_boolean", "type_object",
    "type_array", "too_short",    "too_long",     "too_small",    "too_large",
    "invalid",    "invalid_utf8", "taken",        "not_found",    "date_order",
};

START_TEST(field_key_table)
{
	const char *key = field_keys[_i];
	const char *ko = msg_field(key, LANG_KO), *en = msg_field(key, LANG_EN);

	ck_assert_msg(has_hangul(ko), "%s: \"%s\"", key, ko);
	ck_assert_msg(is_ascii_text(en), "%s: \"%s\"", key, en);
	if (strcmp(key, "invalid") != 0) {
		ck_assert_str_ne(ko, msg_field("invalid", LANG_KO));
		ck_assert_str_ne(en, msg_field("invalid", LANG_EN));
	}
}
END_TEST

START_TEST(unknown_field_key)
{
	ck_assert_str_eq(msg_field("no_such_key", LANG_KO), msg_field("invalid", LANG_KO));
	ck_assert_str_eq(msg_field("no_such_key", LANG_EN), "is not valid");
}
END_TEST

static const struct {
	const char *al;
	enum msg_lang want;
} lang_cases[] = {
    {"en", LANG_EN},       {"EN", LANG_EN},
    {"En-GB", LANG_EN},    {"en-US,en;q=0.9", LANG_EN},
    {"en;q=0.8", LANG_EN}, {"en ,ko", LANG_EN},
    {"  en-US", LANG_EN},  {NULL, LANG_KO},
    {"", LANG_KO},         {"ko", LANG_KO},
    {"ko-KR", LANG_KO},    {"ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", LANG_KO}, /* first tag decides */
    {"english", LANG_KO},  {"eng", LANG_KO},
    {"en_US", LANG_KO},    {"e", LANG_KO},
    {"*", LANG_KO},        {"fr-FR,en;q=0.5", LANG_KO},
    {"ja", LANG_KO},       {"zh-Hant", LANG_KO},
};

START_TEST(lang_table)
{
	ck_assert_msg(msg_lang_from_header(lang_cases[_i].al) == lang_cases[_i].want, "\"%s\"",
	              lang_cases[_i].al ? lang_cases[_i].al : "(null)");
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("texts");

	tcase_add_loop_test(tc, api_code_table, 0, (int)TK_ARRAY_LEN(api_codes));
	tcase_add_test(tc, unknown_code);
	tcase_add_loop_test(tc, field_key_table, 0, (int)TK_ARRAY_LEN(field_keys));
	tcase_add_test(tc, unknown_field_key);
	tcase_add_loop_test(tc, lang_table, 0, (int)TK_ARRAY_LEN(lang_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(msg_suite());
}
