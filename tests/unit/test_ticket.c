/* test_ticket.c — signed ticket codes: base32, the binary layout, Ed25519
 * sign/verify, and every way a code can be altered. No database. */
#include "unit.h"

#include "ticket.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>

static unsigned char priv_a[32], pub_a[32], priv_b[32], pub_b[32];
static const unsigned char rnd[4] = {0xde, 0xad, 0xbe, 0xef};

static void setup(void)
{
	ck_assert_int_eq(ticket_keygen(priv_a, pub_a), TICKET_OK);
	ck_assert_int_eq(ticket_keygen(priv_b, pub_b), TICKET_OK);
	ck_assert_mem_ne(pub_a, pub_b, 32);
}

static void teardown(void)
{
	ticket_cache_clear();
}

/* A deterministic generator for the loops (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717u;
}

static void sign_ok(const unsigned char *priv, const struct ticket_claims *c, char *out)
{
	ck_assert_int_eq(ticket_sign(priv, c, rnd, out), TICKET_OK);
}

static void claims_eq(const struct ticket_claims *x, const struct ticket_claims *y)
{
	ck_assert_int_eq(x->event_id, y->event_id);
	ck_assert_int_eq(x->ticket_id, y->ticket_id);
	ck_assert_uint_eq(x->kid, y->kid);
	ck_assert_str_eq(x->visit_date, y->visit_date);
}

/* Signs with a raw key over arbitrary bytes, then base32: for codes that
 * carry a valid signature over a layout ticket_sign would never write. */
static void sign_raw(const unsigned char *priv, unsigned char *bin, size_t len, char *out,
                     size_t cap)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 64;

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, bin + len, &siglen, bin, len), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	ck_assert_uint_gt(ticket_base32_encode(bin, len + 64, out, cap), 0);
}

/* ---- base32 ------------------------------------------------------------ */

START_TEST(base32_rfc4648_vectors)
{
	static const char *const v[][2] = {
	    {"", ""},
	    {"f", "MY"},
	    {"fo", "MZXQ"},
	    {"foo", "MZXW6"},
	    {"foob", "MZXW6YQ"},
	    {"fooba", "MZXW6YTB"},
	    {"foobar", "MZXW6YTBOI"},
	};
	for (size_t i = 0; i < TK_ARRAY_LEN(v); i++) {
		char out[32];
		unsigned char back[32];
		size_t n = strlen(v[i][0]);
		long m;

		ck_assert_uint_eq(
		    ticket_base32_encode((const unsigned char *)v[i][0], n, out, sizeof(out)),
		    strlen(v[i][1]));
		ck_assert_str_eq(out, v[i][1]);
		m = ticket_base32_decode(v[i][1], strlen(v[i][1]), back, sizeof(back));
		ck_assert_int_eq(m, (long)n);
		ck_assert_mem_eq(back, v[i][0], n);
	}
}
END_TEST

START_TEST(base32_random_round_trips)
{
	for (int iter = 0; iter < 2000; iter++) {
		unsigned char in[120], back[120];
		char text[200];
		size_t n = (size_t)(rng() % sizeof(in)), t;

		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)rng();
		t = ticket_base32_encode(in, n, text, sizeof(text));
		ck_assert_uint_eq(t, (n * 8 + 4) / 5);
		ck_assert_uint_eq(strlen(text), t);
		ck_assert_int_eq(ticket_base32_decode(text, t, back, sizeof(back)), (long)n);
		ck_assert(n == 0 || memcmp(in, back, n) == 0);
		/* The output buffer one byte short of the NUL: refused. */
		if (t > 0)
			ck_assert_uint_eq(ticket_base32_encode(in, n, text, t), 0);
	}
}
END_TEST

START_TEST(base32_decode_rejects)
{
	unsigned char out[64];
	static const char *const bad[] = {
	    "MZXW6YTBOI======", /* padding */
	    "mzxw6ytboi",       /* lowercase */
	    "MZXW6YTBO",        /* 9 characters: 1 mod 8 */
	    "MZX",              /* 3 mod 8 */
	    "MZXW6Y",           /* 6 mod 8 */
	    "MZ",               /* non-zero trailing bits ("MY" is "f") */
	    "MZXW6YTBOJ",       /* non-zero trailing bits */
	    "MZXW 6YTB",        /* space */
	    "MZXW1YTB",         /* 1 is not in the alphabet */
	    "MZXW0YTB",         /* 0 neither */
	    "MZXW8YTB",         /* 8 neither */
	};
	for (size_t i = 0; i < TK_ARRAY_LEN(bad); i++)
		ck_assert_msg(ticket_base32_decode(bad[i], strlen(bad[i]), out, sizeof(out)) < 0,
		              "accepted %s", bad[i]);
	/* A buffer too small for the bytes. */
	ck_assert_int_lt(ticket_base32_decode("MZXW6YTBOI", 10, out, 5), 0);
	ck_assert_int_eq(ticket_base32_decode("MZXW6YTBOI", 10, out, 6), 6);
}
END_TEST

/* ---- sign / verify ----------------------------------------------------- */

START_TEST(round_trip_dated_and_undated)
{
	static const struct ticket_claims cases[] = {
	    {.event_id = 42, .ticket_id = 123456, .visit_date = "2026-11-21", .kid = 1},
	    {.event_id = 42, .ticket_id = 123457, .visit_date = "", .kid = 1},
	    {.event_id = 1, .ticket_id = 1, .visit_date = "2000-01-01", .kid = 0},
	    {.event_id = 7, .ticket_id = 9, .visit_date = "2024-02-29", .kid = 3},
	    {.event_id = 7, .ticket_id = 9, .visit_date = "2179-06-05", .kid = 3}, /* last day */
	    {.event_id = INT64_MAX, .ticket_id = INT64_MAX, .visit_date = "", .kid = UINT32_MAX},
	    {.event_id = 127, .ticket_id = 128, .visit_date = "2099-12-31", .kid = 127},
	    {.event_id = 128, .ticket_id = 16383, .visit_date = "", .kid = 128},
	};
	for (size_t i = 0; i < TK_ARRAY_LEN(cases); i++) {
		char code[TICKET_CODE_MAX + 1];
		struct ticket_claims got, peeked;

		sign_ok(priv_a, &cases[i], code);
		ck_assert_uint_le(strlen(code), TICKET_CODE_MAX);
		ck_assert_int_eq(ticket_verify(pub_a, code, &got), TICKET_OK);
		claims_eq(&got, &cases[i]);
		ck_assert_int_eq(ticket_peek(code, &peeked), TICKET_OK);
		claims_eq(&peeked, &cases[i]);
		/* Only the uppercase base32 alphabet: QR alphanumeric mode. */
		ck_assert_uint_eq(strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), strlen(code));
	}
}
END_TEST

START_TEST(typical_length)
{
	struct ticket_claims c = {
	    .event_id = 42, .ticket_id = 123456, .visit_date = "2026-11-21", .kid = 1};
	char code[TICKET_CODE_MAX + 1];

	sign_ok(priv_a, &c, code);
	/* 1 + 1 + 1 + 3 + 2 + 4 + 64 = 76 bytes → 122 characters. */
	ck_assert_uint_eq(strlen(code), 122);
	c.ticket_id = 100;
	sign_ok(priv_a, &c, code);
	ck_assert_uint_eq(strlen(code), 119);
	c = (struct ticket_claims){
	    .event_id = INT64_MAX, .ticket_id = INT64_MAX, .visit_date = "", .kid = UINT32_MAX};
	sign_ok(priv_a, &c, code);
	ck_assert_uint_eq(strlen(code), 151); /* 94 bytes: the longest there is */
}
END_TEST

START_TEST(many_random_ids)
{
	for (int iter = 0; iter < 3000; iter++) {
		struct ticket_claims c = {0}, got;
		unsigned char r[4];
		char code[TICKET_CODE_MAX + 1];
		/* Ids of every bit length, so every varint size is used. */
		c.event_id = (int64_t)(rng() >> (1 + rng() % 63));
		c.ticket_id = (int64_t)(rng() >> (1 + rng() % 63));
		c.kid = (uint32_t)(rng() >> (32 + rng() % 32));
		if (c.event_id == 0)
			c.event_id = 1;
		if (c.ticket_id == 0)
			c.ticket_id = 1;
		if (iter % 3 != 0) {
			unsigned year = 2000 + (unsigned)(rng() % 179),
			         month = 1 + (unsigned)(rng() % 12),
			         day = 1 + (unsigned)(rng() % 28);
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "%04u-%02u-%02u", year, month, day);
			memcpy(c.visit_date, tmp, sizeof(c.visit_date));
		}
		for (int i = 0; i < 4; i++)
			r[i] = (unsigned char)rng();
		ck_assert_int_eq(ticket_sign(priv_a, &c, r, code), TICKET_OK);
		ck_assert_int_eq(ticket_verify(pub_a, code, &got), TICKET_OK);
		claims_eq(&got, &c);
		ck_assert_int_eq(ticket_verify(pub_b, code, NULL), TICKET_FORGED);
	}
}
END_TEST

/* Every day from 2000-01-01 over ten years survives the day count both
 * ways (leap years, month ends). */
START_TEST(every_date_round_trips)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int y = 2000; y <= 2010; y++)
		for (int m = 1; m <= 12; m++) {
			int n = mdays[m - 1] +
			        (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
			for (int d = 1; d <= n; d++) {
				struct ticket_claims c = {.event_id = 5, .ticket_id = 6, .kid = 1},
				                     got;
				char code[TICKET_CODE_MAX + 1];
				char tmp[32];
				snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
				memcpy(c.visit_date, tmp, sizeof(c.visit_date));
				sign_ok(priv_a, &c, code);
				ck_assert_int_eq(ticket_peek(code, &got), TICKET_OK);
				ck_assert_str_eq(got.visit_date, c.visit_date);
			}
		}
}
END_TEST

START_TEST(sign_rejects_bad_claims)
{
	static const struct ticket_claims bad[] = {
	    {.event_id = 0, .ticket_id = 1, .visit_date = ""},
	    {.event_id = -1, .ticket_id = 1, .visit_date = ""},
	    {.event_id = 1, .ticket_id = 0, .visit_date = ""},
	    {.event_id = 1, .ticket_id = -5, .visit_date = ""},
	    {.event_id = 1, .ticket_id = 1, .visit_date = "1999-12-31"}, /* before the epoch */
	    {.event_id = 1, .ticket_id = 1, .visit_date = "2179-06-06"}, /* would be 0xFFFF */
	    {.event_id = 1, .ticket_id = 1, .visit_date = "2026-02-30"},
	    {.event_id = 1, .ticket_id = 1, .visit_date = "2026-1-01"},
	    {.event_id = 1, .ticket_id = 1, .visit_date = "tomorrow"},
	};
	for (size_t i = 0; i < TK_ARRAY_LEN(bad); i++) {
		char code[TICKET_CODE_MAX + 1] = "x";
		ck_assert_int_eq(ticket_sign(priv_a, &bad[i], rnd, code), TICKET_MALFORMED);
		ck_assert_str_eq(code, "");
	}
}
END_TEST

/* Every single-character change of a code, at every position, to every
 * other character of the alphabet and a few outside it, is rejected. */
START_TEST(every_single_character_change_rejected)
{
	static const char subst[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567a0189=-+ /";
	struct ticket_claims c = {
	    .event_id = 42, .ticket_id = 123456, .visit_date = "2026-11-21", .kid = 1};
	char code[TICKET_CODE_MAX + 1], bad[TICKET_CODE_MAX + 1];
	size_t n;
	long tried = 0;

	sign_ok(priv_a, &c, code);
	n = strlen(code);
	for (size_t pos = 0; pos < n; pos++)
		for (size_t s = 0; s < sizeof(subst) - 1; s++) {
			enum ticket_err e;
			if (subst[s] == code[pos])
				continue;
			memcpy(bad, code, n + 1);
			bad[pos] = subst[s];
			e = ticket_verify(pub_a, bad, NULL);
			ck_assert_msg(e == TICKET_FORGED || e == TICKET_MALFORMED,
			              "position %zu changed to '%c' gave %d", pos, subst[s], e);
			tried++;
		}
	ck_assert_int_ge(tried, (long)n * 32);
}
END_TEST

START_TEST(truncated_and_extended_rejected)
{
	struct ticket_claims c = {.event_id = 42, .ticket_id = 77, .visit_date = "", .kid = 2};
	char code[TICKET_CODE_MAX + 1], buf[TICKET_CODE_MAX + 16];
	size_t n;

	sign_ok(priv_a, &c, code);
	n = strlen(code);
	for (size_t len = 0; len < n; len++) {
		memcpy(buf, code, len);
		buf[len] = '\0';
		ck_assert_int_ne(ticket_verify(pub_a, buf, NULL), TICKET_OK);
		ck_assert_int_ne(ticket_verify(pub_a, code + (n - len), NULL),
		                 TICKET_OK); /* cut front */
	}
	for (size_t extra = 1; extra <= 8; extra++)
		for (const char *ch = "A7Q="; *ch; ch++) {
			memcpy(buf, code, n);
			memset(buf + n, *ch, extra);
			buf[n + extra] = '\0';
			ck_assert_int_ne(ticket_verify(pub_a, buf, NULL), TICKET_OK);
			ck_assert_int_ne(ticket_peek(buf, NULL), TICKET_OK);
		}
}
END_TEST

START_TEST(other_key_rejected)
{
	struct ticket_claims c = {.event_id = 42, .ticket_id = 5, .visit_date = "", .kid = 1};
	char code[TICKET_CODE_MAX + 1];
	struct ticket_claims got = {.event_id = 99};

	/* Another event's key signs a code that claims this event. */
	sign_ok(priv_b, &c, code);
	ck_assert_int_eq(ticket_verify(pub_a, code, &got), TICKET_FORGED);
	ck_assert_int_eq(got.event_id, 99); /* untouched on failure */
	ck_assert_int_eq(ticket_verify(pub_b, code, &got), TICKET_OK);
	/* peek reads it all the same: it does not verify. */
	ck_assert_int_eq(ticket_peek(code, &got), TICKET_OK);
	ck_assert_int_eq(got.ticket_id, 5);
}
END_TEST

START_TEST(signatures_differ_by_random_part)
{
	struct ticket_claims c = {.event_id = 3, .ticket_id = 4, .visit_date = "", .kid = 1};
	unsigned char r2[4] = {0xde, 0xad, 0xbe, 0xee};
	char x[TICKET_CODE_MAX + 1], y[TICKET_CODE_MAX + 1], z[TICKET_CODE_MAX + 1];

	sign_ok(priv_a, &c, x);
	sign_ok(priv_a, &c, y);
	ck_assert_str_eq(x, y); /* Ed25519 is deterministic */
	ck_assert_int_eq(ticket_sign(priv_a, &c, r2, z), TICKET_OK);
	ck_assert_str_ne(x, z);
}
END_TEST

/* Layouts with a valid signature that ticket_sign never writes. */
START_TEST(wrong_version_and_noncanonical_rejected)
{
	struct ticket_claims c = {.event_id = 42, .ticket_id = 123456, .visit_date = "", .kid = 1};
	unsigned char bin[200];
	char code[TICKET_CODE_MAX + 1], forged[TICKET_CODE_MAX + 1];
	long n;
	size_t len;

	sign_ok(priv_a, &c, code);
	n = ticket_base32_decode(code, strlen(code), bin, sizeof(bin));
	ck_assert_int_gt(n, 64);
	len = (size_t)n - 64;

	/* The same claims, signed properly, under versions 0, 2 and 255. */
	for (int v = 0; v < 256; v += (v == 0 ? 2 : 253)) {
		bin[0] = (unsigned char)v;
		sign_raw(priv_a, bin, len, forged, sizeof(forged));
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_MALFORMED);
		ck_assert_int_eq(ticket_peek(forged, NULL), TICKET_MALFORMED);
	}
	bin[0] = TICKET_CODE_VERSION;
	sign_raw(priv_a, bin, len, forged, sizeof(forged));
	ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_OK);

	/* kid 1 written as two bytes (0x81 0x00): a longer form of 1. */
	{
		unsigned char alt[200];
		alt[0] = TICKET_CODE_VERSION;
		alt[1] = 0x81;
		alt[2] = 0x00;
		memcpy(alt + 3, bin + 2, len - 2);
		sign_raw(priv_a, alt, len + 1, forged, sizeof(forged));
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_MALFORMED);
	}
	/* event id 0 and a kid over 32 bits, both signed. */
	{
		unsigned char z[200] = {TICKET_CODE_VERSION, 1, 0, 5, 0xFF, 0xFF, 1, 2, 3, 4};
		sign_raw(priv_a, z, 10, forged, sizeof(forged));
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_MALFORMED);
		unsigned char k[200] = {TICKET_CODE_VERSION,
		                        0x80,
		                        0x80,
		                        0x80,
		                        0x80,
		                        0x10,
		                        1,
		                        5,
		                        0xFF,
		                        0xFF,
		                        1,
		                        2,
		                        3,
		                        4};
		sign_raw(priv_a, k, 14, forged, sizeof(forged));
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_MALFORMED);
		k[5] = 0x0F; /* 0xF0000000: fits 32 bits */
		sign_raw(priv_a, k, 14, forged, sizeof(forged));
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_OK);
	}
	/* A trailing-bits variant of the real code (same bytes, other text). */
	{
		size_t t = strlen(code);
		int bits = (int)(t * 5 - (size_t)n * 8); /* unused low bits of the last char */
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
		int v = (int)(strchr(alpha, code[t - 1]) - alpha);
		ck_assert_int_gt(bits, 0);
		memcpy(forged, code, t + 1);
		forged[t - 1] = alpha[v | 1];
		ck_assert_int_eq(ticket_verify(pub_a, forged, NULL), TICKET_MALFORMED);
	}
}
END_TEST

START_TEST(malformed_inputs_rejected)
{
	struct ticket_claims c = {.event_id = 42, .ticket_id = 9, .visit_date = "", .kid = 1};
	char code[TICKET_CODE_MAX + 1], buf[TICKET_CODE_MAX + 16];
	static char huge[100000];
	size_t n;

	sign_ok(priv_a, &c, code);
	n = strlen(code);

	ck_assert_int_eq(ticket_verify(pub_a, NULL, NULL), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_peek(NULL, NULL), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_verify(pub_a, "", NULL), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_verify(pub_a, "A", NULL), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_verify(pub_a, "AE", NULL), TICKET_MALFORMED); /* version 1 alone */

	for (size_t i = 0; i <= n; i++)
		buf[i] = (char)((code[i] >= 'A' && code[i] <= 'Z') ? code[i] + 32 : code[i]);
	ck_assert_int_eq(ticket_verify(pub_a, buf, NULL), TICKET_MALFORMED); /* lowercase */

	snprintf(buf, sizeof(buf), "%s======", code);
	ck_assert_int_eq(ticket_verify(pub_a, buf, NULL), TICKET_MALFORMED); /* padding */
	snprintf(buf, sizeof(buf), " %s", code);
	ck_assert_int_eq(ticket_verify(pub_a, buf, NULL), TICKET_MALFORMED);
	snprintf(buf, sizeof(buf), "%s\n", code);
	ck_assert_int_eq(ticket_verify(pub_a, buf, NULL), TICKET_MALFORMED);

	memset(huge, 'A', sizeof(huge) - 1);
	ck_assert_int_eq(ticket_verify(pub_a, huge, NULL), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_peek(huge, NULL), TICKET_MALFORMED);
	/* A valid code followed by a long tail. */
	memcpy(huge, code, n);
	ck_assert_int_eq(ticket_verify(pub_a, huge, NULL), TICKET_MALFORMED);
}
END_TEST

/* What ticket_code_for refuses before it touches the database. */
START_TEST(code_for_checks_arguments_first)
{
	struct arena *a = arena_new();
	char out[TICKET_CODE_MAX + 1] = "x";

	ck_assert_int_eq(ticket_code_for(a, 0, 1, NULL, out), TICKET_MALFORMED);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ticket_code_for(a, 1, 0, NULL, out), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_code_for(a, 1, 1, "2026-13-01", out), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_code_for(a, 1, 1, "2026-11-21 ", out), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_code_for(a, 1, 1, "1999-01-01", out), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_key_ensure(a, 0, false), TICKET_MALFORMED);
	ck_assert_int_eq(ticket_code_check(a, "not a code", NULL), TICKET_MALFORMED);
	arena_free(a);
}
END_TEST

static Suite *ticket_suite(void)
{
	Suite *s = suite_create("ticket");
	TCase *b = tcase_create("base32");
	TCase *t = tcase_create("codes");

	tcase_add_test(b, base32_rfc4648_vectors);
	tcase_add_test(b, base32_random_round_trips);
	tcase_add_test(b, base32_decode_rejects);
	suite_add_tcase(s, b);

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, round_trip_dated_and_undated);
	tcase_add_test(t, typical_length);
	tcase_add_test(t, many_random_ids);
	tcase_add_test(t, every_date_round_trips);
	tcase_add_test(t, sign_rejects_bad_claims);
	tcase_add_test(t, every_single_character_change_rejected);
	tcase_add_test(t, truncated_and_extended_rejected);
	tcase_add_test(t, other_key_rejected);
	tcase_add_test(t, signatures_differ_by_random_part);
	tcase_add_test(t, wrong_version_and_noncanonical_rejected);
	tcase_add_test(t, malformed_inputs_rejected);
	tcase_add_test(t, code_for_checks_arguments_first);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return unit_run(ticket_suite());
}
