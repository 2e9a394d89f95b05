/*
 * auth.h — passwords and admin tokens.
 *
 * Passwords: crypt(3) with yescrypt ("$y$…" hashes from libxcrypt).
 * Tokens: HS256 JWTs (HMAC-SHA256 via OpenSSL) carrying the admin id, the
 * session id, the admin's session version and the expiry. Verification here
 * is only cryptographic; the caller checks the session and version against
 * the database so that logout, deactivation and password resets revoke.
 * CSRF: the token for a session is derived from its JWT, so nothing extra
 * is stored: HMAC(secret, "csrf:" + signature), base64url, 32 characters.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX 256 /* a crypt(3) hash string with NUL */
#define AUTH_JWT_MAX 1024
#define AUTH_CSRF_LEN 32
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 128 /* bytes; longer inputs are refused, not cut */

enum auth_err {
	AUTH_OK,
	AUTH_MALFORMED, /* not three base64url parts, bad JSON, wrong alg/typ */
	AUTH_SIGNATURE, /* signature does not match */
	AUTH_EXPIRED,   /* exp is in the past */
	AUTH_FAILED,    /* the crypto library failed (out of memory, no entropy) */
};

struct auth_claims {
	int64_t admin_id;   /* sub */
	int64_t session_id; /* sid */
	int64_t version;    /* sv: admins.session_version when issued */
	int64_t issued_at;  /* iat */
	int64_t expires_at; /* exp */
};

/* Hashes a password with a fresh salt into out. AUTH_FAILED on error. */
enum auth_err auth_hash_password(const char *password, char out[AUTH_HASH_MAX]);

/* True when password matches hash (constant-time compare). False for a
 * malformed hash. */
bool auth_check_password(const char *password, const char *hash);

/* Signs claims with secret into out (NUL-terminated). */
enum auth_err auth_token_sign(const struct auth_claims *c, const char *secret,
                              char out[AUTH_JWT_MAX]);

/* Verifies token against secret at time now and fills *c. Returns
 * AUTH_MALFORMED, AUTH_SIGNATURE or AUTH_EXPIRED on failure. */
enum auth_err auth_token_verify(const char *token, const char *secret, int64_t now,
                                struct auth_claims *c);

/* The CSRF token belonging to a JWT. */
void auth_csrf_for(const char *token, const char *secret, char out[AUTH_CSRF_LEN + 1]);

/* Constant-time string equality. */
bool auth_equal(const char *a, const char *b);

/* base64url without padding. Returns the output length; decode returns -1
 * on bad input or when out (size cap) is too small. */
size_t auth_b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap);
long auth_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
