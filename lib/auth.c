/* auth.c — yescrypt passwords, HS256 JWTs, CSRF tokens. */
#include "auth.h"

#include "tk.h"

#include <cjson/cJSON.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t auth_b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t rem = n - i;
		if (rem > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (rem > 2)
			v |= in[i + 2];
		if (o + (rem > 2 ? 4 : rem + 1) + 1 > cap)
			break;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (rem > 1)
			out[o++] = b64url[(v >> 6) & 63];
		if (rem > 2)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	return o;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

long auth_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)((acc >> bits) & 0xFF);
		}
	}
	/* Leftover bits must be zero for a canonical encoding. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

bool auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

enum auth_err auth_hash_password(const char *password, char out[AUTH_HASH_MAX])
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	enum auth_err rc = AUTH_FAILED;

	if (strlen(password) > AUTH_PASSWORD_MAX)
		return AUTH_FAILED;
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		return AUTH_FAILED;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return AUTH_FAILED;
	if (crypt_r(password, salt, cd) != NULL && strncmp(cd->output, "$y$", 3) == 0) {
		size_t n = strnlen(cd->output, sizeof(cd->output));
		if (n < AUTH_HASH_MAX) {
			memcpy(out, cd->output, n + 1);
			rc = AUTH_OK;
		}
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

bool auth_check_password(const char *password, const char *hash)
{
	struct crypt_data *cd;
	bool ok = false;

	/* Only yescrypt: a weaker method planted in the table is refused. */
	if (hash == NULL || strncmp(hash, "$y$", 3) != 0 || strlen(password) > AUTH_PASSWORD_MAX)
		return false;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return false;
	/* crypt_r returns "*0"/"*1" style failure tokens for bad settings,
	 * which never equal a stored hash. */
	if (crypt_r(password, hash, cd) != NULL && cd->output[0] == '$')
		ok = auth_equal(cd->output, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static bool hmac256(const char *key, const void *data, size_t n, unsigned char mac[32])
{
	unsigned int len = 32;
	return HMAC(EVP_sha256(), key, (int)strlen(key), data, n, mac, &len) != NULL && len == 32;
}

enum auth_err auth_token_sign(const struct auth_claims *c, const char *secret,
                              char out[AUTH_JWT_MAX])
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char payload[256];
	unsigned char mac[32];
	size_t o;
	int n;

	n = snprintf(payload, sizeof(payload),
	             "{\"sub\":%lld,\"sid\":%lld,\"sv\":%lld,\"iat\":%lld,\"exp\":%lld}",
	             (long long)c->admin_id, (long long)c->session_id, (long long)c->version,
	             (long long)c->issued_at, (long long)c->expires_at);
	if (n < 0 || (size_t)n >= sizeof(payload))
		return AUTH_FAILED;
	o = auth_b64url_encode((const unsigned char *)header, sizeof(header) - 1, out,
	                       AUTH_JWT_MAX);
	out[o++] = '.';
	o += auth_b64url_encode((const unsigned char *)payload, (size_t)n, out + o,
	                        AUTH_JWT_MAX - o);
	if (!hmac256(secret, out, o, mac))
		return AUTH_FAILED;
	out[o++] = '.';
	auth_b64url_encode(mac, sizeof(mac), out + o, AUTH_JWT_MAX - o);
	return AUTH_OK;
}

static bool claim_int(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

enum auth_err auth_token_verify(const char *token, const char *secret, int64_t now,
                                struct auth_claims *c)
{
	const char *d1, *d2;
	unsigned char mac[32], sig[64], buf[512];
	long n;
	cJSON *hdr = NULL, *pl = NULL;
	enum auth_err rc = AUTH_MALFORMED;
	const cJSON *alg, *typ;

	if (token == NULL || strlen(token) >= AUTH_JWT_MAX)
		return AUTH_MALFORMED;
	d1 = strchr(token, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
		return AUTH_MALFORMED;

	/* Signature first: nothing of an unsigned token is parsed further. */
	n = auth_b64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof(sig));
	if (n != 32)
		return AUTH_MALFORMED;
	if (!hmac256(secret, token, (size_t)(d2 - token), mac))
		return AUTH_FAILED;
	if (CRYPTO_memcmp(mac, sig, 32) != 0)
		return AUTH_SIGNATURE;

	n = auth_b64url_decode(token, (size_t)(d1 - token), buf, sizeof(buf) - 1);
	if (n < 0)
		goto out;
	buf[n] = '\0';
	hdr = cJSON_Parse((const char *)buf);
	alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
	typ = cJSON_GetObjectItemCaseSensitive(hdr, "typ");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0 ||
	    (typ && (!cJSON_IsString(typ) || strcmp(typ->valuestring, "JWT") != 0)))
		goto out;

	n = auth_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf) - 1);
	if (n < 0)
		goto out;
	buf[n] = '\0';
	pl = cJSON_Parse((const char *)buf);
	if (!claim_int(pl, "sub", &c->admin_id) || !claim_int(pl, "sid", &c->session_id) ||
	    !claim_int(pl, "sv", &c->version) || !claim_int(pl, "iat", &c->issued_at) ||
	    !claim_int(pl, "exp", &c->expires_at))
		goto out;
	rc = c->expires_at <= now ? AUTH_EXPIRED : AUTH_OK;
out:
	cJSON_Delete(hdr);
	cJSON_Delete(pl);
	return rc;
}

void auth_csrf_for(const char *token, const char *secret, char out[AUTH_CSRF_LEN + 1])
{
	const char *sig = strrchr(token, '.');
	unsigned char mac[32];
	char data[128], enc[64];

	snprintf(data, sizeof(data), "csrf:%s", sig ? sig + 1 : token);
	if (!hmac256(secret, data, strlen(data), mac)) {
		memset(out, 0, AUTH_CSRF_LEN + 1);
		return;
	}
	auth_b64url_encode(mac, sizeof(mac), enc, sizeof(enc));
	memcpy(out, enc, AUTH_CSRF_LEN);
	out[AUTH_CSRF_LEN] = '\0';
}
