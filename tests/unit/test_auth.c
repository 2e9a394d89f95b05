/* test_auth.c — yescrypt passwords, HS256 tokens, CSRF derivation, base64url. */
#include "unit.h"

#include "auth.h"
#include "tk.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>

#define SECRET "unit-test-secret-0123456789abcdef"
#define NOW 1800000000

/* Passwords (yescrypt is slow on purpose: few hashes per test) */

START_TEST(password_hash_verify)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];

	ck_assert_int_eq(auth_hash_password("correct horse battery", h1), AUTH_OK);
	ck_assert_msg(strncmp(h1, "$y$", 3) == 0, "not yescrypt: %s", h1);
	ck_assert(auth_check_password("correct horse battery", h1));
	ck_assert(!auth_check_password("correct horse batterY", h1));
	ck_assert(!auth_check_password("correct horse battery ", h1));
	ck_assert(!auth_check_password("", h1));

	/* A fresh salt every time. */
	ck_assert_int_eq(auth_hash_password("correct horse battery", h2), AUTH_OK);
	ck_assert_str_ne(h1, h2);
	ck_assert(auth_check_password("correct horse battery", h2));
}
END_TEST

START_TEST(password_korean)
{
	char h[AUTH_HASH_MAX];

	ck_assert_int_eq(auth_hash_password("전시회비밀번호2026", h), AUTH_OK);
	ck_assert(auth_check_password("전시회비밀번호2026", h));
	ck_assert(!auth_check_password("전시회비밀번호2025", h));
}
END_TEST

START_TEST(password_length_limit)
{
	char pw[AUTH_PASSWORD_MAX + 2], h[AUTH_HASH_MAX];

	memset(pw, 'p', AUTH_PASSWORD_MAX);
	pw[AUTH_PASSWORD_MAX] = '\0';
	ck_assert_int_eq(auth_hash_password(pw, h), AUTH_OK); /* exactly the maximum */
	ck_assert(auth_check_password(pw, h));
	/* One byte more is refused, not cut: it never matches the hash of its
	 * first 128 bytes. */
	pw[AUTH_PASSWORD_MAX] = 'p';
	pw[AUTH_PASSWORD_MAX + 1] = '\0';
	ck_assert_int_eq(auth_hash_password(pw, h), AUTH_FAILED);
	ck_assert(!auth_check_password(pw, h));
}
END_TEST

static const char *const bad_hashes[] = {
    "",
    "x",
    "*0",
    "*",
    "$",
    "$y$",
    "$y$j9T$",
    "$y$garbage",
    "$y$j9T$abc$def$ghi",
    "$9$unknown$method",
    "plain-password",
};

START_TEST(password_malformed_hash)
{
	ck_assert(!auth_check_password("whatever", bad_hashes[_i]));
	ck_assert(!auth_check_password("", bad_hashes[_i]));
}
END_TEST

START_TEST(password_null_hash)
{
	ck_assert(!auth_check_password("whatever", NULL));
}
END_TEST

/* Tokens */

static const struct auth_claims claims = {
    .admin_id = 42,
    .session_id = 7001,
    .version = 3,
    .issued_at = NOW - 60,
    .expires_at = NOW + 3600,
};

static void sign(const struct auth_claims *c, char out[AUTH_JWT_MAX])
{
	ck_assert_int_eq(auth_token_sign(c, SECRET, out), AUTH_OK);
}

START_TEST(token_round_trip)
{
	char t[AUTH_JWT_MAX];
	struct auth_claims got;
	const char *d1, *d2;
	unsigned char hdr[128];
	long n;

	sign(&claims, t);
	d1 = strchr(t, '.');
	ck_assert_ptr_nonnull(d1);
	d2 = strchr(d1 + 1, '.');
	ck_assert_ptr_nonnull(d2);
	ck_assert_ptr_null(strchr(d2 + 1, '.'));
	ck_assert_uint_eq(strlen(d2 + 1), 43); /* 32 bytes, no padding */
	ck_assert(strchr(t, '=') == NULL && strchr(t, '+') == NULL && strchr(t, '/') == NULL);
	n = auth_b64url_decode(t, (size_t)(d1 - t), hdr, sizeof(hdr) - 1);
	ck_assert_int_gt(n, 0);
	hdr[n] = '\0';
	ck_assert_str_eq((const char *)hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_OK);
	ck_assert_int_eq(got.admin_id, 42);
	ck_assert_int_eq(got.session_id, 7001);
	ck_assert_int_eq(got.version, 3);
	ck_assert_int_eq(got.issued_at, NOW - 60);
	ck_assert_int_eq(got.expires_at, NOW + 3600);
}
END_TEST

START_TEST(token_big_numbers)
{
	struct auth_claims c = claims, got;
	char t[AUTH_JWT_MAX];

	c.admin_id = 9007199254740991LL; /* 2^53 - 1 */
	c.session_id = 1;
	sign(&c, t);
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_OK);
	ck_assert_int_eq(got.admin_id, 9007199254740991LL);

	c.admin_id = -1; /* negative claims are refused */
	sign(&c, t);
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_MALFORMED);
}
END_TEST

static const struct {
	int64_t exp_offset;
	enum auth_err want;
} expiry_cases[] = {
    {3600, AUTH_OK}, {1, AUTH_OK}, {0, AUTH_EXPIRED}, {-1, AUTH_EXPIRED}, {-86400, AUTH_EXPIRED},
};

START_TEST(token_expiry_table)
{
	struct auth_claims c = claims, got;
	char t[AUTH_JWT_MAX];

	c.expires_at = NOW + expiry_cases[_i].exp_offset;
	sign(&c, t);
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), expiry_cases[_i].want);
}
END_TEST

START_TEST(token_wrong_secret)
{
	char t[AUTH_JWT_MAX];
	struct auth_claims got;

	sign(&claims, t);
	ck_assert_int_eq(auth_token_verify(t, "another-secret-0123456789abcdef", NOW, &got),
	                 AUTH_SIGNATURE);
	ck_assert_int_eq(auth_token_verify(t, SECRET "x", NOW, &got), AUTH_SIGNATURE);
}
END_TEST

/* Changing any single character of a valid token never yields AUTH_OK
 * (payload and header changes break the signature; signature changes break
 * the comparison or the base64url). Row _i: the position changed. */
START_TEST(token_flip_every_char)
{
	char t[AUTH_JWT_MAX];
	struct auth_claims got;
	size_t len;

	sign(&claims, t);
	len = strlen(t);
	for (size_t i = 0; i < len; i++) {
		char saved = t[i];
		for (const char *repl = "A_.0"; *repl; repl++) {
			if (*repl == saved)
				continue;
			t[i] = *repl;
			ck_assert_msg(auth_token_verify(t, SECRET, NOW, &got) != AUTH_OK,
			              "flipping position %zu to '%c' still verifies", i, *repl);
		}
		t[i] = saved;
	}
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_OK);
}
END_TEST

START_TEST(token_tampered_payload_and_signature)
{
	char t[AUTH_JWT_MAX];
	struct auth_claims got;
	char *d1, *d2;

	sign(&claims, t);
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	/* Payload: one character in the middle. */
	d1[5] = d1[5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_SIGNATURE);
	d1[5] = d1[5] == 'A' ? 'B' : 'A';
	sign(&claims, t);
	/* Signature: a middle character (all 6 bits are data). */
	d2[10] = d2[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_SIGNATURE);
}
END_TEST

/* Builds header.payload.signature with an HMAC-SHA256 over the first two
 * parts under SECRET: a "valid-looking" token for any header. sig_b64 NULL
 * computes it; "" gives an empty signature. */
static void forge(char *out, size_t cap, const char *header, const char *payload,
                  const char *sig_b64)
{
	char h[256], p[512];
	unsigned char mac[32];
	unsigned int mlen = 32;
	size_t o;

	auth_b64url_encode((const unsigned char *)header, strlen(header), h, sizeof(h));
	auth_b64url_encode((const unsigned char *)payload, strlen(payload), p, sizeof(p));
	o = (size_t)snprintf(out, cap, "%s.%s", h, p);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	                           (const unsigned char *)out, o, mac, &mlen));
	if (sig_b64) {
		snprintf(out + o, cap - o, ".%s", sig_b64);
	} else {
		out[o++] = '.';
		auth_b64url_encode(mac, 32, out + o, cap - o);
	}
}

#define PAYLOAD "{\"sub\":42,\"sid\":7001,\"sv\":3,\"iat\":1799999940,\"exp\":1800003600}"

static const struct {
	const char *header;
	const char *payload;
	const char *sig; /* NULL: a correct HMAC-SHA256 */
	enum auth_err want;
	const char *what;
} forged_cases[] = {
    {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_OK, "control: same as signed"},
    {"{\"alg\":\"HS256\"}", PAYLOAD, NULL, AUTH_OK, "typ is optional"},
    {"{\"alg\":\"none\",\"typ\":\"JWT\"}", PAYLOAD, "", AUTH_MALFORMED, "alg none, no signature"},
    {"{\"alg\":\"none\",\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED,
     "alg none with a valid-looking signature"},
    {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED,
     "alg HS512 with an HS256 signature"},
    {"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED, "alg RS256"},
    {"{\"alg\":\"hs256\",\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED, "alg lowercase"},
    {"{\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED, "no alg"},
    {"{\"alg\":256,\"typ\":\"JWT\"}", PAYLOAD, NULL, AUTH_MALFORMED, "alg not a string"},
    {"{\"alg\":\"HS256\",\"typ\":\"JWS\"}", PAYLOAD, NULL, AUTH_MALFORMED, "typ JWS"},
    {"{\"alg\":\"HS256\",\"typ\":1}", PAYLOAD, NULL, AUTH_MALFORMED, "typ not a string"},
    {"not json", PAYLOAD, NULL, AUTH_MALFORMED, "header not JSON"},
    {"{\"alg\":\"HS256\"}", "{\"sub\":42,\"sid\":7001,\"sv\":3,\"iat\":1}", NULL, AUTH_MALFORMED,
     "exp missing"},
    {"{\"alg\":\"HS256\"}", "{\"sub\":\"42\",\"sid\":7001,\"sv\":3,\"iat\":1,\"exp\":1800003600}",
     NULL, AUTH_MALFORMED, "sub a string"},
    {"{\"alg\":\"HS256\"}", "not json", NULL, AUTH_MALFORMED, "payload not JSON"},
    {"{\"alg\":\"HS256\"}", PAYLOAD, "AAAA", AUTH_MALFORMED, "short signature"},
    {"{\"alg\":\"HS256\"}", PAYLOAD, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AUTH_SIGNATURE,
     "zero signature"},
};

START_TEST(token_forged_table)
{
	char t[AUTH_JWT_MAX];
	struct auth_claims got;

	forge(t, sizeof(t), forged_cases[_i].header, forged_cases[_i].payload,
	      forged_cases[_i].sig);
	ck_assert_msg(auth_token_verify(t, SECRET, NOW, &got) == forged_cases[_i].want, "%s",
	              forged_cases[_i].what);
}
END_TEST

static const char *const shape_cases[] = {
    "",
    ".",
    "..",
    "...",
    "a",
    "a.b",
    "a.b.c.d",
    "eyJhbGciOiJIUzI1NiJ9.e30",
    "eyJhbGciOiJIUzI1NiJ9.e30.",
    "eyJhbGciOiJIUzI1NiJ9.e30.!!!",
    "eyJhbGciOiJIUzI1NiJ9.e30.abc=",
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.e30",
};

START_TEST(token_shape_table)
{
	struct auth_claims got;
	ck_assert_int_eq(auth_token_verify(shape_cases[_i], SECRET, NOW, &got), AUTH_MALFORMED);
}
END_TEST

START_TEST(token_extra_parts_and_length)
{
	char t[AUTH_JWT_MAX + 8], big[AUTH_JWT_MAX + 10];
	struct auth_claims got;

	ck_assert_int_eq(auth_token_verify(NULL, SECRET, NOW, &got), AUTH_MALFORMED);
	sign(&claims, t);
	strcat(t, ".x"); /* two dots required, three refused */
	ck_assert_int_eq(auth_token_verify(t, SECRET, NOW, &got), AUTH_MALFORMED);

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '.';
	big[20] = '.';
	ck_assert_int_eq(auth_token_verify(big, SECRET, NOW, &got), AUTH_MALFORMED);
}
END_TEST

/* CSRF */

START_TEST(csrf)
{
	char t1[AUTH_JWT_MAX], t2[AUTH_JWT_MAX];
	char c1[AUTH_CSRF_LEN + 1], c1b[AUTH_CSRF_LEN + 1], c2[AUTH_CSRF_LEN + 1];
	char c3[AUTH_CSRF_LEN + 1];
	struct auth_claims other = claims;

	sign(&claims, t1);
	other.session_id++;
	sign(&other, t2);
	auth_csrf_for(t1, SECRET, c1);
	auth_csrf_for(t1, SECRET, c1b);
	auth_csrf_for(t2, SECRET, c2);
	auth_csrf_for(t1, "another-secret-0123456789abcdef", c3);
	ck_assert_uint_eq(strlen(c1), AUTH_CSRF_LEN);
	ck_assert_str_eq(c1, c1b); /* stable per token */
	ck_assert_str_ne(c1, c2);  /* different per token */
	ck_assert_str_ne(c1, c3);  /* depends on the secret */
	for (const char *p = c1; *p; p++)
		ck_assert_msg(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		           *p) != NULL,
		    "not base64url: %s", c1);
	/* The token itself is not the CSRF value and does not contain it. */
	ck_assert(strstr(t1, c1) == NULL);
	ck_assert(auth_equal(c1, c1b));
	ck_assert(!auth_equal(c1, c2));
}
END_TEST

static const struct {
	const char *a, *b;
	bool eq;
} equal_cases[] = {
    {"", "", true},         {"abc", "abc", true},   {"abc", "abd", false},
    {"abc", "abcd", false}, {"abcd", "abc", false}, {"", "a", false},
};

START_TEST(equal_table)
{
	ck_assert(auth_equal(equal_cases[_i].a, equal_cases[_i].b) == equal_cases[_i].eq);
}
END_TEST

/* base64url */

static const struct {
	const char *plain;
	size_t len;
	const char *enc;
} b64_cases[] = {
    {"", 0, ""},
    {"f", 1, "Zg"},
    {"fo", 2, "Zm8"},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy"},
    {"\xfb\xff", 2, "-_8"}, /* "+/8=" in standard base64 */
    {"\xff\xff\xff", 3, "____"},
    {"\x00\x00\x00", 3, "AAAA"},
    {"\x00", 1, "AA"},
    {"한", 3, "7ZWc"},
};

START_TEST(b64_vectors_table)
{
	char enc[64];
	unsigned char dec[64];
	long n;

	ck_assert_uint_eq(auth_b64url_encode((const unsigned char *)b64_cases[_i].plain,
	                                     b64_cases[_i].len, enc, sizeof(enc)),
	                  strlen(b64_cases[_i].enc));
	ck_assert_str_eq(enc, b64_cases[_i].enc);
	n = auth_b64url_decode(b64_cases[_i].enc, strlen(b64_cases[_i].enc), dec, sizeof(dec));
	ck_assert_int_eq(n, (long)b64_cases[_i].len);
	ck_assert_mem_eq(dec, b64_cases[_i].plain, b64_cases[_i].len);
}
END_TEST

START_TEST(b64_round_trip)
{
	unsigned char in[200], dec[200];
	char enc[300];

	for (size_t n = 0; n <= sizeof(in); n++) {
		size_t el;
		long dl;
		ck_assert(tk_random(in, sizeof(in)));
		el = auth_b64url_encode(in, n, enc, sizeof(enc));
		ck_assert_uint_eq(el, (n * 4 + 2) / 3);
		dl = auth_b64url_decode(enc, el, dec, sizeof(dec));
		ck_assert_int_eq(dl, (long)n);
		ck_assert_mem_eq(dec, in, n);
	}
}
END_TEST

static const char *const b64_bad[] = {
    "Z",      /* length % 4 == 1 */
    "Zm9vY",  /* length % 4 == 1 */
    "Zg==",   /* padding */
    "Zg=",    /* padding */
    "Zm9v+",  /* standard alphabet */
    "Zm9v/A", /* standard alphabet */
    "Zm 9v",  /* space */
    "Zm9v\n", /* newline */
    "Zh",     /* non-zero leftover bits: not canonical */
    "Zm9",    /* non-zero leftover bits */
    "7ZWc7",  /* length % 4 == 1 */
    "한글",
};

START_TEST(b64_bad_table)
{
	unsigned char dec[64];
	ck_assert_int_eq(auth_b64url_decode(b64_bad[_i], strlen(b64_bad[_i]), dec, sizeof(dec)),
	                 -1);
}
END_TEST

START_TEST(b64_caps)
{
	unsigned char dec[3];
	char enc[5];

	/* Decode: the output must fit. */
	ck_assert_int_eq(auth_b64url_decode("Zm9v", 4, dec, 3), 3);
	ck_assert_int_eq(auth_b64url_decode("Zm9vYg", 6, dec, 3), -1);
	ck_assert_int_eq(auth_b64url_decode("Zm9v", 4, dec, 2), -1);
	/* NUL inside the given length is bad input. */
	ck_assert_int_eq(auth_b64url_decode("Zm\0v", 4, dec, 3), -1);
	/* Encode: stops at the cap, always NUL-terminated. */
	ck_assert_uint_eq(auth_b64url_encode((const unsigned char *)"foo", 3, enc, sizeof(enc)), 4);
	ck_assert_str_eq(enc, "Zm9v");
	ck_assert_uint_le(auth_b64url_encode((const unsigned char *)"foobar", 6, enc, sizeof(enc)),
	                  4);
	ck_assert_uint_lt(strlen(enc), sizeof(enc));
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *pw = tcase_create("password");
	TCase *tok = tcase_create("token");
	TCase *b64 = tcase_create("base64url");

	/* yescrypt under valgrind takes seconds per hash. */
	tcase_set_timeout(pw, 300);
	tcase_add_test(pw, password_hash_verify);
	tcase_add_test(pw, password_korean);
	tcase_add_test(pw, password_length_limit);
	tcase_add_loop_test(pw, password_malformed_hash, 0, (int)TK_ARRAY_LEN(bad_hashes));
	tcase_add_test(pw, password_null_hash);
	suite_add_tcase(s, pw);

	tcase_set_timeout(tok, 60);
	tcase_add_test(tok, token_round_trip);
	tcase_add_test(tok, token_big_numbers);
	tcase_add_loop_test(tok, token_expiry_table, 0, (int)TK_ARRAY_LEN(expiry_cases));
	tcase_add_test(tok, token_wrong_secret);
	tcase_add_test(tok, token_flip_every_char);
	tcase_add_test(tok, token_tampered_payload_and_signature);
	tcase_add_loop_test(tok, token_forged_table, 0, (int)TK_ARRAY_LEN(forged_cases));
	tcase_add_loop_test(tok, token_shape_table, 0, (int)TK_ARRAY_LEN(shape_cases));
	tcase_add_test(tok, token_extra_parts_and_length);
	tcase_add_test(tok, csrf);
	tcase_add_loop_test(tok, equal_table, 0, (int)TK_ARRAY_LEN(equal_cases));
	suite_add_tcase(s, tok);

	tcase_add_loop_test(b64, b64_vectors_table, 0, (int)TK_ARRAY_LEN(b64_cases));
	tcase_add_test(b64, b64_round_trip);
	tcase_add_loop_test(b64, b64_bad_table, 0, (int)TK_ARRAY_LEN(b64_bad));
	tcase_add_test(b64, b64_caps);
	suite_add_tcase(s, b64);
	return s;
}

int main(void)
{
	return unit_run(auth_suite());
}
