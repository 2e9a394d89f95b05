/*
 * ticket.c — signed ticket codes (Ed25519 through OpenSSL EVP) and the
 * event_keys table that holds each event's key pairs.
 *
 * Private keys at rest: event_keys.private_key holds the raw 32-byte Ed25519
 * seed. Anyone who can read that table can mint tickets, so a production
 * deployment should wrap the seed with a key the database never sees (a KMS,
 * or a master key from the root-readable config file) — the column already
 * allows a longer, wrapped form, and this module refuses any length but 32
 * until such a format is defined here. Deriving the wrapping key from
 * TICKET_JWT_SECRET was considered and rejected: rotating the JWT secret
 * would then make every ticket key unreadable.
 */
#include "ticket.h"

#include "db.h"
#include "log.h"
#include "tk.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define SIG_LEN 64
#define RANDOM_LEN 4
#define DATE_LEN 2
#define VARINT_MAX 10 /* bytes of a 64-bit LEB128 varint */
/* Version, kid (32-bit), event and ticket ids, date, random, signature. */
#define BIN_MAX (1 + 5 + VARINT_MAX + VARINT_MAX + DATE_LEN + RANDOM_LEN + SIG_LEN)
#define UNDATED 0xFFFFu
#define EPOCH_2000 10957 /* days from 1970-01-01 to 2000-01-01 */

/* How long a process keeps signing with the active key it looked up before
 * asking PostgreSQL again: a rotation done by another process takes effect
 * here within this time. Codes signed meanwhile with the retired key stay
 * valid (retired keys still verify). */
#define TICKET_KEY_CACHE_MS 60000

_Static_assert(BIN_MAX * 8 / 5 + 1 <= TICKET_CODE_MAX, "codes fit TICKET_CODE_MAX");

/* ---- base32 ------------------------------------------------------------ */

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t ticket_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t need, o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (n > (SIZE_MAX - 5) / 8)
		return 0;
	need = (n * 8 + 4) / 5;
	if (cap == 0 || need > cap - 1) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

static int b32val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

long ticket_base32_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	/* 8 characters carry 5 bytes; a tail of 1, 3 or 6 characters is never
	 * produced by an encoder. */
	switch (n % 8) {
	case 1:
	case 3:
	case 6: return -1;
	default: break;
	}
	for (size_t i = 0; i < n; i++) {
		int v = b32val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)((acc >> bits) & 0xFF);
		}
		acc &= (1u << bits) - 1;
	}
	/* Canonical only: otherwise two texts would carry the same bytes, and
	 * a changed last character could still verify. */
	if (acc != 0)
		return -1;
	return (long)o;
}

/* ---- binary layout ----------------------------------------------------- */

static size_t varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Reads the shortest-form varint at p[*pos..len) that is ≤ max. */
static bool varint_get(const unsigned char *p, size_t len, size_t *pos, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char b;
		if (i >= len)
			return false;
		b = p[i++];
		if (shift == 63 && (b & 0x7e) != 0)
			return false; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			/* A zero last byte after others is a longer form of a
			 * shorter number. */
			if (b == 0 && i - *pos > 1)
				return false;
			if (v > max)
				return false;
			*pos = i;
			*out = v;
			return true;
		}
	}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, char out[11])
{
	int64_t era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* Callers pass days of years 2000–2179 only. */
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

/* The 2-byte date field of "YYYY-MM-DD" ("" or NULL: undated). */
static bool date_field(const char *s, unsigned *out)
{
	int64_t days;

	if (s == NULL || s[0] == '\0') {
		*out = UNDATED;
		return true;
	}
	if (!tk_valid_date(s))
		return false;
	days = days_from_civil(strtol(s, NULL, 10), (unsigned)strtol(s + 5, NULL, 10),
	                       (unsigned)strtol(s + 8, NULL, 10)) -
	       EPOCH_2000;
	if (days < 0 || days >= (int64_t)UNDATED)
		return false;
	*out = (unsigned)days;
	return true;
}

/* The signed part of a code: everything before the signature. */
static bool claims_encode(const struct ticket_claims *c, const unsigned char random[RANDOM_LEN],
                          unsigned char buf[BIN_MAX], size_t *len)
{
	unsigned date;
	size_t n = 0;

	if (c->event_id <= 0 || c->ticket_id <= 0 ||
	    memchr(c->visit_date, '\0', sizeof(c->visit_date)) == NULL ||
	    !date_field(c->visit_date, &date))
		return false;
	buf[n++] = TICKET_CODE_VERSION;
	n += varint_put(buf + n, c->kid);
	n += varint_put(buf + n, (uint64_t)c->event_id);
	n += varint_put(buf + n, (uint64_t)c->ticket_id);
	buf[n++] = (unsigned char)(date >> 8);
	buf[n++] = (unsigned char)(date & 0xFF);
	memcpy(buf + n, random, RANDOM_LEN);
	n += RANDOM_LEN;
	*len = n;
	return true;
}

/* Decodes a code into bin and its claims; *signed_len is where the signature
 * starts (it runs to the end). Nothing is verified. */
static enum ticket_err code_parse(const char *code, unsigned char bin[BIN_MAX], size_t *signed_len,
                                  struct ticket_claims *c)
{
	size_t n, pos = 0;
	long len;
	uint64_t kid, ev, tid;
	unsigned date;

	if (code == NULL)
		return TICKET_MALFORMED;
	n = strnlen(code, TICKET_CODE_MAX + 1);
	if (n == 0 || n > TICKET_CODE_MAX)
		return TICKET_MALFORMED;
	len = ticket_base32_decode(code, n, bin, BIN_MAX);
	if (len < 1 || bin[0] != TICKET_CODE_VERSION)
		return TICKET_MALFORMED;
	pos = 1;
	if (!varint_get(bin, (size_t)len, &pos, UINT32_MAX, &kid) ||
	    !varint_get(bin, (size_t)len, &pos, INT64_MAX, &ev) ||
	    !varint_get(bin, (size_t)len, &pos, INT64_MAX, &tid) || ev == 0 || tid == 0)
		return TICKET_MALFORMED;
	if ((size_t)len != pos + DATE_LEN + RANDOM_LEN + SIG_LEN)
		return TICKET_MALFORMED;
	date = (unsigned)bin[pos] << 8 | bin[pos + 1];
	memset(c, 0, sizeof(*c));
	c->kid = (uint32_t)kid;
	c->event_id = (int64_t)ev;
	c->ticket_id = (int64_t)tid;
	if (date != UNDATED)
		civil_from_days(EPOCH_2000 + (int64_t)date, c->visit_date);
	*signed_len = pos + DATE_LEN + RANDOM_LEN;
	return TICKET_OK;
}

/* ---- crypto ------------------------------------------------------------ */

static EVP_PKEY *key_from_private(const unsigned char priv[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (k == NULL)
		ERR_clear_error();
	return k;
}

/* Signs buf[0..len) into buf[len..len+64). */
static enum ticket_err sign_with(EVP_PKEY *key, unsigned char *buf, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = SIG_LEN;
	enum ticket_err rc = TICKET_CRYPTO;

	if (ctx == NULL)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, buf + len, &siglen, buf, len) != 1 || siglen != SIG_LEN)
		goto out;
	rc = TICKET_OK;
out:
	if (rc != TICKET_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

static enum ticket_err sign_claims(EVP_PKEY *key, const struct ticket_claims *c,
                                   const unsigned char random[RANDOM_LEN],
                                   char out[TICKET_CODE_MAX + 1])
{
	unsigned char buf[BIN_MAX];
	size_t len;
	enum ticket_err rc;

	out[0] = '\0';
	if (!claims_encode(c, random, buf, &len))
		return TICKET_MALFORMED;
	rc = sign_with(key, buf, len);
	if (rc != TICKET_OK)
		return rc;
	if (ticket_base32_encode(buf, len + SIG_LEN, out, TICKET_CODE_MAX + 1) == 0)
		return TICKET_CRYPTO; /* cannot happen: BIN_MAX fits (static assert) */
	return TICKET_OK;
}

enum ticket_err ticket_sign(const unsigned char priv[32], const struct ticket_claims *c,
                            const unsigned char random[4], char out[TICKET_CODE_MAX + 1])
{
	EVP_PKEY *key = key_from_private(priv);
	enum ticket_err rc;

	out[0] = '\0';
	if (key == NULL)
		return TICKET_CRYPTO;
	rc = sign_claims(key, c, random, out);
	EVP_PKEY_free(key);
	return rc;
}

enum ticket_err ticket_verify(const unsigned char pub[32], const char *code,
                              struct ticket_claims *out)
{
	unsigned char bin[BIN_MAX];
	struct ticket_claims c;
	size_t slen;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum ticket_err rc = code_parse(code, bin, &slen, &c);

	if (rc != TICKET_OK)
		return rc;
	rc = TICKET_CRYPTO;
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ctx = EVP_MD_CTX_new();
	if (key == NULL || ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	/* OpenSSL rejects non-canonical S (≥ L), so signatures are not
	 * malleable; any answer but 1 is a failed verification. */
	rc = EVP_DigestVerify(ctx, bin + slen, SIG_LEN, bin, slen) == 1 ? TICKET_OK : TICKET_FORGED;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	OPENSSL_cleanse(bin, sizeof(bin));
	if (rc == TICKET_OK && out != NULL)
		*out = c;
	return rc;
}

enum ticket_err ticket_peek(const char *code, struct ticket_claims *out)
{
	unsigned char bin[BIN_MAX];
	struct ticket_claims c;
	size_t slen;
	enum ticket_err rc = code_parse(code, bin, &slen, &c);

	if (rc == TICKET_OK && out != NULL)
		*out = c;
	return rc;
}

enum ticket_err ticket_keygen(unsigned char priv[32], unsigned char pub[32])
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	size_t plen = 32, qlen = 32;
	enum ticket_err rc = TICKET_CRYPTO;

	if (pctx == NULL || EVP_PKEY_keygen_init(pctx) != 1 || EVP_PKEY_keygen(pctx, &key) != 1)
		goto out;
	if (EVP_PKEY_get_raw_private_key(key, priv, &plen) != 1 || plen != 32 ||
	    EVP_PKEY_get_raw_public_key(key, pub, &qlen) != 1 || qlen != 32)
		goto out;
	rc = TICKET_OK;
out:
	if (rc != TICKET_OK) {
		ERR_clear_error();
		OPENSSL_cleanse(priv, 32);
	}
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

/* ---- per-process key caches -------------------------------------------- */

/*
 * Keys are immutable once stored (rotation adds a row with a new kid), so a
 * worker keeps what it read: the active signing key per event (re-read after
 * TICKET_KEY_CACHE_MS) and public keys per (event, kid) for verification.
 * A key row created by the current, uncommitted transaction is never cached:
 * if that transaction rolls back, the kid is free again and may be taken by
 * a different key.
 */
struct sign_slot {
	int64_t event_id; /* 0: empty */
	uint32_t kid;
	EVP_PKEY *key;
	int64_t loaded_ms;
	uint64_t used;
};

struct pub_slot {
	int64_t event_id; /* 0: empty */
	uint32_t kid;
	unsigned char pub[32];
	uint64_t used;
};

static struct sign_slot sign_cache[16];
static struct pub_slot pub_cache[128];
static uint64_t cache_tick;

void ticket_cache_clear(void)
{
	for (size_t i = 0; i < TK_ARRAY_LEN(sign_cache); i++)
		EVP_PKEY_free(sign_cache[i].key);
	memset(sign_cache, 0, sizeof(sign_cache));
	memset(pub_cache, 0, sizeof(pub_cache));
}

static struct sign_slot *sign_find(int64_t event_id)
{
	int64_t now = tk_now_ms();
	for (size_t i = 0; i < TK_ARRAY_LEN(sign_cache); i++) {
		struct sign_slot *s = &sign_cache[i];
		if (s->event_id != event_id)
			continue;
		if (now - s->loaded_ms >= TICKET_KEY_CACHE_MS || now < s->loaded_ms) {
			EVP_PKEY_free(s->key);
			memset(s, 0, sizeof(*s));
			return NULL;
		}
		s->used = ++cache_tick;
		return s;
	}
	return NULL;
}

static void sign_forget(int64_t event_id)
{
	for (size_t i = 0; i < TK_ARRAY_LEN(sign_cache); i++)
		if (sign_cache[i].event_id == event_id) {
			EVP_PKEY_free(sign_cache[i].key);
			memset(&sign_cache[i], 0, sizeof(sign_cache[i]));
		}
}

/* Takes key; returns the slot holding it. */
static struct sign_slot *sign_put(int64_t event_id, uint32_t kid, EVP_PKEY *key)
{
	struct sign_slot *s = &sign_cache[0];
	sign_forget(event_id);
	for (size_t i = 0; i < TK_ARRAY_LEN(sign_cache); i++) {
		if (sign_cache[i].event_id == 0) {
			s = &sign_cache[i];
			break;
		}
		if (sign_cache[i].used < s->used)
			s = &sign_cache[i];
	}
	EVP_PKEY_free(s->key);
	s->event_id = event_id;
	s->kid = kid;
	s->key = key;
	s->loaded_ms = tk_now_ms();
	s->used = ++cache_tick;
	return s;
}

static const struct pub_slot *pub_find(int64_t event_id, uint32_t kid)
{
	for (size_t i = 0; i < TK_ARRAY_LEN(pub_cache); i++)
		if (pub_cache[i].event_id == event_id && pub_cache[i].kid == kid) {
			pub_cache[i].used = ++cache_tick;
			return &pub_cache[i];
		}
	return NULL;
}

static void pub_put(int64_t event_id, uint32_t kid, const unsigned char pub[32])
{
	struct pub_slot *s = &pub_cache[0];
	if (pub_find(event_id, kid) != NULL)
		return;
	for (size_t i = 0; i < TK_ARRAY_LEN(pub_cache); i++) {
		if (pub_cache[i].event_id == 0) {
			s = &pub_cache[i];
			break;
		}
		if (pub_cache[i].used < s->used)
			s = &pub_cache[i];
	}
	s->event_id = event_id;
	s->kid = kid;
	memcpy(s->pub, pub, 32);
	s->used = ++cache_tick;
}

/* ---- event_keys -------------------------------------------------------- */

/* fresh: the row was written by this transaction (created_at is the
 * transaction's start), so it must not be cached. Hex keeps the bytes
 * independent of the bytea_output setting. */
static struct db_stmt q_key_active = DB_STMT(
    "SELECT kid, encode(public_key, 'hex') AS pub, encode(private_key, 'hex') AS priv,"
    " created_at = now() AS fresh"
    " FROM event_keys WHERE event_id = $1::bigint AND retired_at IS NULL",
    1);

static struct db_stmt q_key_public = DB_STMT(
    "SELECT encode(public_key, 'hex') AS pub, created_at = now() AS fresh"
    " FROM event_keys WHERE event_id = $1::bigint AND kid = $2",
    2);

/* GREATEST: a key created by a transaction that began after ours would
 * otherwise be retired "before" it was created (event_keys_retired_after). */
static struct db_stmt q_key_retire = DB_STMT(
    "UPDATE event_keys SET retired_at = GREATEST(now(), created_at)"
    " WHERE event_id = $1::bigint AND retired_at IS NULL",
    1);

/* The next kid is one more than the largest numeric kid of the event. Two
 * transactions creating a key at once: the second waits for the first and
 * then does nothing (either unique index), and reads the winner's key. */
static struct db_stmt q_key_insert = DB_STMT(
    "INSERT INTO event_keys (event_id, kid, public_key, private_key)"
    " SELECT $1::bigint,"
    "        (COALESCE(max(CASE WHEN kid ~ '^[0-9]{1,9}$' THEN kid::bigint END), 0) + 1)::text,"
    "        decode($2, 'hex'), decode($3, 'hex')"
    " FROM event_keys WHERE event_id = $1::bigint"
    " ON CONFLICT DO NOTHING RETURNING kid",
    3);

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2n lowercase hex characters into n bytes. */
static bool hex_decode(const char *s, unsigned char *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool ticket_hex_decode(const char *hex, unsigned char *out, size_t n)
{
	return hex_decode(hex, out, n);
}

static bool kid_parse(const char *s, uint32_t *out)
{
	int64_t v;
	/* Canonical decimal only: the code carries the number, and the lookup
	 * is by its text. */
	if (s == NULL || s[0] == '-' || (s[0] == '0' && s[1] != '\0') ||
	    !tk_parse_i64(s, 0, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static void key_log(const char *msg, struct arena *a, int64_t event_id, const char *kid)
{
	log_event(LOG_ERROR, "ticket_key", "msg", msg, "event_id", db_param_i64(a, event_id), "kid",
	          kid, NULL);
}

/* The event's active key. TICKET_NO_KEY when it has none; *key is a new
 * EVP_PKEY the caller owns. */
struct active_key {
	uint32_t kid;
	unsigned char pub[32];
	EVP_PKEY *key;
	bool fresh;
};

static enum ticket_err active_load(struct arena *a, int64_t event_id, struct active_key *k)
{
	const char *params[] = {db_param_i64(a, event_id)};
	unsigned char priv[32], derived[32];
	size_t dlen = sizeof(derived);
	const char *kid;
	PGresult *res;
	enum ticket_err rc = TICKET_CRYPTO;

	memset(k, 0, sizeof(*k));
	if (db_exec(a, &q_key_active, params, &res) != DB_OK)
		return TICKET_DB;
	if (db_rows(res) == 0)
		return TICKET_NO_KEY;
	kid = db_str(res, 0, "kid");
	if (!kid_parse(kid, &k->kid)) {
		key_log("active kid is not a number; rotate the key", a, event_id, kid);
		return TICKET_NO_KEY;
	}
	/* Only the raw form is known (see the top of the file). */
	if (!hex_decode(db_str(res, 0, "pub"), k->pub, 32) ||
	    !hex_decode(db_str(res, 0, "priv"), priv, 32)) {
		key_log("private key is not a raw 32-byte seed", a, event_id, kid);
		goto out;
	}
	k->fresh = db_bool(res, 0, "fresh");
	k->key = key_from_private(priv);
	if (k->key == NULL)
		goto out;
	/* A pair that does not match would sign codes nobody can verify. */
	if (EVP_PKEY_get_raw_public_key(k->key, derived, &dlen) != 1 || dlen != 32 ||
	    CRYPTO_memcmp(derived, k->pub, 32) != 0) {
		ERR_clear_error();
		key_log("public key does not match the private key", a, event_id, kid);
		EVP_PKEY_free(k->key);
		k->key = NULL;
		goto out;
	}
	rc = TICKET_OK;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

enum ticket_err ticket_key_ensure(struct arena *a, int64_t event_id, bool rotate)
{
	unsigned char priv[32], pub[32];
	char priv_hex[65], pub_hex[65];
	const char *id;
	PGresult *res;
	struct active_key k;
	enum ticket_err rc;

	if (event_id <= 0)
		return TICKET_MALFORMED;
	id = db_param_i64(a, event_id);
	if (!rotate) {
		rc = active_load(a, event_id, &k);
		EVP_PKEY_free(k.key);
		if (rc != TICKET_NO_KEY)
			return rc;
	}
	rc = ticket_keygen(priv, pub);
	if (rc != TICKET_OK)
		return rc;
	hex_encode(priv, 32, priv_hex);
	hex_encode(pub, 32, pub_hex);
	OPENSSL_cleanse(priv, sizeof(priv));
	sign_forget(event_id);
	rc = TICKET_DB;
	if (rotate && db_exec(a, &q_key_retire, (const char *[]){id}, NULL) != DB_OK)
		goto out;
	if (db_exec(a, &q_key_insert, (const char *[]){id, pub_hex, priv_hex}, &res) != DB_OK)
		goto out;
	if (db_rows(res) == 1) {
		log_event(LOG_INFO, "ticket_key", "msg", rotate ? "rotated" : "created", "event_id",
		          id, "kid", db_str(res, 0, "kid"), NULL);
		rc = TICKET_OK;
		goto out;
	}
	/* Another transaction added the active key first: use that one. */
	rc = active_load(a, event_id, &k);
	EVP_PKEY_free(k.key);
	if (rc == TICKET_NO_KEY) {
		key_log("no active key after a conflicting insert", a, event_id, NULL);
		rc = TICKET_DB;
	}
out:
	OPENSSL_cleanse(priv_hex, sizeof(priv_hex));
	return rc;
}

enum ticket_err ticket_code_for(struct arena *a, int64_t event_id, int64_t ticket_id,
                                const char *visit_date, char out[TICKET_CODE_MAX + 1])
{
	struct ticket_claims c = {.event_id = event_id, .ticket_id = ticket_id};
	unsigned char random[RANDOM_LEN];
	struct sign_slot *slot;
	struct active_key k = {0};
	enum ticket_err rc;

	out[0] = '\0';
	if (event_id <= 0 || ticket_id <= 0)
		return TICKET_MALFORMED;
	if (visit_date != NULL) {
		unsigned date;
		if (strnlen(visit_date, sizeof(c.visit_date)) >= sizeof(c.visit_date) ||
		    !date_field(visit_date, &date))
			return TICKET_MALFORMED;
		strcpy(c.visit_date, visit_date);
	}
	if (!tk_random(random, sizeof(random)))
		return TICKET_CRYPTO;
	slot = sign_find(event_id);
	if (slot != NULL) {
		c.kid = slot->kid;
		return sign_claims(slot->key, &c, random, out);
	}
	rc = active_load(a, event_id, &k);
	if (rc == TICKET_NO_KEY) {
		rc = ticket_key_ensure(a, event_id, false);
		if (rc != TICKET_OK)
			return rc;
		rc = active_load(a, event_id, &k);
	}
	if (rc != TICKET_OK)
		goto out;
	c.kid = k.kid;
	rc = sign_claims(k.key, &c, random, out);
	if (!k.fresh) {
		pub_put(event_id, k.kid, k.pub);
		sign_put(event_id, k.kid, k.key);
		k.key = NULL;
	}
out:
	EVP_PKEY_free(k.key);
	return rc;
}

enum ticket_err ticket_code_check(struct arena *a, const char *code, struct ticket_claims *out)
{
	struct ticket_claims c;
	const struct pub_slot *slot;
	unsigned char pub[32];
	PGresult *res;
	enum ticket_err rc = ticket_peek(code, &c);

	if (rc != TICKET_OK)
		return rc;
	slot = pub_find(c.event_id, c.kid);
	if (slot != NULL)
		return ticket_verify(slot->pub, code, out);
	if (db_exec(a, &q_key_public,
	            (const char *[]){db_param_i64(a, c.event_id), db_param_i64(a, c.kid)},
	            &res) != DB_OK)
		return TICKET_DB;
	if (db_rows(res) == 0)
		return TICKET_NO_KEY;
	if (!hex_decode(db_str(res, 0, "pub"), pub, 32)) {
		key_log("public key is not 32 bytes", a, c.event_id, NULL);
		return TICKET_CRYPTO;
	}
	if (!db_bool(res, 0, "fresh"))
		pub_put(c.event_id, c.kid, pub);
	return ticket_verify(pub, code, out);
}
