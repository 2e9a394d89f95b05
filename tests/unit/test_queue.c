/* test_queue.c — admission tokens of the waiting room: made, parsed, and
 * refused when edited, forged, for another event, expired or malformed. */
#include "unit.h"

#include "auth.h"
#include "config.h"
#include "queue.h"

#include <stdio.h>

#define NOW 1800000000000LL
#define QID "AAAAAAAAAAAAAAAAAAAAAA"

static struct queue_token sample(void)
{
	struct queue_token t = {
	    .event_id = 42, .uid = 7, .issued_ms = NOW, .expires_ms = NOW + 600000};
	snprintf(t.qid, sizeof(t.qid), "%s", QID);
	return t;
}

static void setup(void)
{
	cfg.jwt_secret = "unit-test-secret-0123456789abcdef";
}

START_TEST(round_trip)
{
	struct queue_token t = sample(), out;
	char tok[QUEUE_TOKEN_MAX + 1];

	ck_assert(queue_token_make(&t, tok, sizeof(tok)));
	ck_assert_msg(strncmp(tok, "v1.", 3) == 0 && strchr(tok + 3, '.'), "%s", tok);
	ck_assert_int_eq(queue_token_parse(tok, 42, NOW, &out), QUEUE_TOKEN_OK);
	ck_assert_int_eq(out.event_id, 42);
	ck_assert_str_eq(out.qid, QID);
	ck_assert_int_eq(out.uid, 7);
	ck_assert_int_eq(out.issued_ms, NOW);
	ck_assert_int_eq(out.expires_ms, NOW + 600000);
}
END_TEST

START_TEST(event_and_expiry)
{
	struct queue_token t = sample(), out;
	char tok[QUEUE_TOKEN_MAX + 1];

	ck_assert(queue_token_make(&t, tok, sizeof(tok)));
	ck_assert_int_eq(queue_token_parse(tok, 43, NOW, &out), QUEUE_TOKEN_WRONG_EVENT);
	ck_assert_int_eq(queue_token_parse(tok, 42, NOW + 600000, &out), QUEUE_TOKEN_EXPIRED);
	ck_assert_int_eq(queue_token_parse(tok, 42, NOW + 599999, &out), QUEUE_TOKEN_OK);
}
END_TEST

START_TEST(every_edit_refused)
{
	struct queue_token t = sample(), out;
	char tok[QUEUE_TOKEN_MAX + 1], bad[QUEUE_TOKEN_MAX + 1];
	static const char alt[] = "AB";

	ck_assert(queue_token_make(&t, tok, sizeof(tok)));
	for (size_t i = 3; tok[i]; i++) {
		if (tok[i] == '.')
			continue;
		strcpy(bad, tok);
		bad[i] = bad[i] == alt[0] ? alt[1] : alt[0];
		ck_assert_msg(queue_token_parse(bad, 42, NOW, &out) != QUEUE_TOKEN_OK,
		              "edit at %zu accepted", i);
	}
}
END_TEST

START_TEST(other_secret_forged)
{
	struct queue_token t = sample(), out;
	char tok[QUEUE_TOKEN_MAX + 1];

	ck_assert(queue_token_make(&t, tok, sizeof(tok)));
	cfg.jwt_secret = "another-secret-0123456789abcdef00";
	ck_assert_int_eq(queue_token_parse(tok, 42, NOW, &out), QUEUE_TOKEN_FORGED);
}
END_TEST

static const char *const malformed[] = {
    "", "v1", "v1.", "v1..", "v2.abc.def", "1893456000.abc", "v1.abc", "v1.a.b.c",
};

START_TEST(malformed_table)
{
	struct queue_token out;
	ck_assert_int_eq(queue_token_parse(malformed[_i], 42, NOW, &out), QUEUE_TOKEN_MALFORMED);
}
END_TEST

START_TEST(bad_queue_id_not_made)
{
	struct queue_token t = sample();
	char tok[QUEUE_TOKEN_MAX + 1];

	snprintf(t.qid, sizeof(t.qid), "short");
	ck_assert(!queue_token_make(&t, tok, sizeof(tok)));
	t = sample();
	ck_assert(!queue_token_make(&t, tok, 20)); /* does not fit */
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("tokens");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, event_and_expiry);
	tcase_add_test(tc, every_edit_refused);
	tcase_add_test(tc, other_secret_forged);
	tcase_add_loop_test(tc, malformed_table, 0, (int)TK_ARRAY_LEN(malformed));
	tcase_add_test(tc, bad_queue_id_not_made);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(queue_suite());
}
