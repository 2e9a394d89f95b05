/*
 * toss.c — Toss Payments core API v1 over libcurl.
 *
 * One easy handle per process, reset between calls, so the connection to
 * Toss stays open (keep-alive) across requests of a worker. Every call is
 * bounded: 3 s to connect, 10 s in all (TICKET_TOSS_TIMEOUT_MS), at most
 * TOSS_BODY_MAX bytes of answer, no redirects, http/https only.
 *
 * What an outcome means for money is decided here once (toss_transport and
 * toss_answer) so that every caller treats "maybe charged" the same way: a
 * request that may have reached Toss and got no answer is TOSS_TIMEOUT
 * (settle by GET), one that certainly did not leave is TOSS_RETRY.
 */
#include "toss.h"

#include "config.h"
#include "log.h"
#include "tk.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOSS_DEFAULT_URL "https://api.tosspayments.com"
#define TOSS_CONNECT_TIMEOUT_MS 3000L
#define TOSS_TIMEOUT_MS 10000L
#define TOSS_TIMEOUT_MS_MAX 600000L
#define TOSS_ORDER_ID_MIN 6
#define TOSS_SECRET_MAX 256              /* secret key length we accept from config */
#define TOSS_AMOUNT_MAX 9007199254740991 /* 2^53 − 1: exact in every JSON parser */

static CURL *curl;
static bool curl_ready;

void toss_close(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

/* ---- validation of what we send ---------------------------------------- */

/* 1..max bytes of printable ASCII without space: safe in a header. */
static bool printable(const char *s, size_t max)
{
	size_t n;
	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool valid_order_id(const char *s)
{
	size_t n;
	if (s == NULL || (n = strnlen(s, TOSS_ORDER_ID_MAX + 1)) < TOSS_ORDER_ID_MIN ||
	    n > TOSS_ORDER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool valid_reason(const char *s)
{
	size_t n;
	/* 4 bytes per character at most: bound the scan first. */
	if (s == NULL || (n = strnlen(s, 4 * TOSS_REASON_MAX + 1)) == 0 ||
	    n > 4 * TOSS_REASON_MAX || !tk_utf8_valid(s, n))
		return false;
	return tk_utf8_len(s) <= TOSS_REASON_MAX;
}

/* A path segment: everything but RFC 3986 unreserved characters escaped. */
static char *path_segment(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = arena_alloc(a, 3 * n + 1), *p = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* A caller's mistake: nothing was sent. Reported like Toss would. */
static enum toss_err refuse(struct toss_error *err, const char *what)
{
	err->http_status = 0;
	snprintf(err->code, sizeof(err->code), "%s", "INVALID_REQUEST");
	snprintf(err->message, sizeof(err->message), "%s (not sent)", what);
	log_event(LOG_WARN, "toss", "msg", "request refused before sending", "reason", what, NULL);
	return TOSS_FAILED;
}

/* ---- parsing what we get ----------------------------------------------- */

static void json_delete(void *p)
{
	cJSON_Delete(p);
}

static void json_free_text(void *p)
{
	cJSON_free(p);
}

/* Copies a string member into out[cap]. Missing or null → "" (true unless
 * required); any other type, or too long → false. */
static bool get_str(const cJSON *obj, const char *name, char *out, size_t cap, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	size_t n;

	out[0] = '\0';
	if (v == NULL || cJSON_IsNull(v))
		return !required;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return false;
	n = strlen(v->valuestring);
	if (n >= cap || (required && n == 0))
		return false;
	memcpy(out, v->valuestring, n + 1);
	return true;
}

/* Like get_str but cuts a long text at a character boundary (descriptive
 * texts such as method and message must not fail the whole answer). */
static void get_text(const cJSON *obj, const char *name, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	size_t n;

	out[0] = '\0';
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return;
	n = strlen(v->valuestring);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)v->valuestring[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, v->valuestring, n);
	out[n] = '\0';
}

/* A JSON integer in [0, TOSS_AMOUNT_MAX]. */
static bool get_amount(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= 0 && d <= (double)TOSS_AMOUNT_MAX) || d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

/* p->last_transaction_key: the transactionKey of the newest cancels[] entry,
 * by canceledAt (ISO-8601 with one offset, so text order is time order); on
 * a tie or without canceledAt, the later entry. */
static bool last_cancel(const cJSON *obj, struct toss_payment *p)
{
	const cJSON *cancels = cJSON_GetObjectItemCaseSensitive(obj, "cancels");
	const cJSON *e;
	const char *best_at = NULL;

	p->last_transaction_key[0] = '\0';
	if (cancels == NULL || cJSON_IsNull(cancels))
		return true;
	if (!cJSON_IsArray(cancels))
		return false;
	cJSON_ArrayForEach(e, cancels)
	{
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "canceledAt");
		const char *s = cJSON_IsString(at) ? at->valuestring : "";
		char key[sizeof(p->last_transaction_key)];

		if (!cJSON_IsObject(e) || !get_str(e, "transactionKey", key, sizeof(key), true))
			return false;
		if (best_at == NULL || strcmp(s, best_at) >= 0) {
			best_at = s;
			memcpy(p->last_transaction_key, key, sizeof(key));
		}
	}
	return true;
}

bool toss_payment_from_json(cJSON *obj, struct toss_payment *out)
{
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj))
		return false;
	if (!get_str(obj, "paymentKey", out->payment_key, sizeof(out->payment_key), true) ||
	    !get_str(obj, "orderId", out->order_id, sizeof(out->order_id), true) ||
	    !get_str(obj, "status", out->status, sizeof(out->status), true) ||
	    !get_amount(obj, "totalAmount", &out->total_amount) ||
	    !get_amount(obj, "balanceAmount", &out->balance_amount) ||
	    !get_str(obj, "requestedAt", out->requested_at, sizeof(out->requested_at), false) ||
	    !get_str(obj, "approvedAt", out->approved_at, sizeof(out->approved_at), false) ||
	    !get_str(obj, "secret", out->secret, sizeof(out->secret), false) ||
	    !last_cancel(obj, out))
		goto bad;
	get_text(obj, "method", out->method, sizeof(out->method));
	out->raw = obj;
	return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}

enum toss_err toss_answer(struct arena *a, long status, const char *body, size_t len,
                          struct toss_payment *out, struct toss_error *err)
{
	cJSON *json = NULL;
	bool has_code;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	err->http_status = status;
	if (body != NULL && len > 0)
		json = arena_defer(a, json_delete, cJSON_ParseWithLength(body, len));
	if (status >= 200 && status <= 299)
		return toss_payment_from_json(json, out) ? TOSS_OK : TOSS_BAD_ANSWER;
	has_code = cJSON_IsObject(json) &&
	           get_str(json, "code", err->code, sizeof(err->code), true);
	if (has_code)
		get_text(json, "message", err->message, sizeof(err->message));
	else
		err->code[0] = '\0';
	if (status >= 500 && status <= 599)
		return TOSS_RETRY;
	if (status == 429)
		return TOSS_RETRY; /* rate limited: nothing was done */
	if (status < 400 || status > 499 || !has_code)
		return TOSS_BAD_ANSWER;
	if (status == 404 && (strcmp(err->code, "NOT_FOUND_PAYMENT") == 0 ||
	                      strcmp(err->code, "NOT_FOUND_PAYMENT_SESSION") == 0))
		return TOSS_NOT_FOUND;
	if (status == 409 && strcmp(err->code, "IDEMPOTENT_REQUEST_PROCESSING") == 0)
		return TOSS_RETRY;
	return TOSS_FAILED;
}

enum toss_err toss_transport(int curl_code, bool sent)
{
	switch (curl_code) {
	case CURLE_OK: return TOSS_OK;
	/* Our write callback refused an answer over TOSS_BODY_MAX. */
	case CURLE_WRITE_ERROR: return TOSS_BAD_ANSWER;
	/* Nothing reached Toss. */
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR: return TOSS_RETRY;
	/* Timeouts, resets, an empty answer: once the request may have left,
	 * the outcome is unknown. */
	default: return sent ? TOSS_TIMEOUT : TOSS_RETRY;
	}
}

const char *toss_err_name(enum toss_err e)
{
	switch (e) {
	case TOSS_OK: return "ok";
	case TOSS_FAILED: return "failed";
	case TOSS_NOT_FOUND: return "not_found";
	case TOSS_RETRY: return "retry";
	case TOSS_TIMEOUT: return "timeout";
	case TOSS_BAD_ANSWER: return "bad_answer";
	}
	return "?";
}

/* ---- the transfer ------------------------------------------------------ */

struct body {
	char *data;
	size_t len, cap;
	bool over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;

	if (size != 1 || n > TOSS_BODY_MAX - b->len) {
		b->over = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;
		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (d == NULL) {
			b->over = true;
			return 0;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static long budget_ms; /* toss_set_budget_ms: 0 = none */

void toss_set_budget_ms(long ms)
{
	budget_ms = ms > 0 ? ms : 0;
}

static long timeout_ms(void)
{
	const char *s = config_get("TICKET_TOSS_TIMEOUT_MS");
	int64_t v;
	long t = TOSS_TIMEOUT_MS;
	if (s != NULL && tk_parse_i64(s, 1, TOSS_TIMEOUT_MS_MAX, &v))
		t = (long)v;
	return budget_ms && budget_ms < t ? budget_ms : t;
}

/* "Authorization: Basic base64(secret:)" in the arena; NULL without a key. */
static const char *auth_header(struct arena *a)
{
	const char *secret = cfg.toss_secret_key;
	size_t n;
	char *plain, *out;

	if (secret == NULL || (n = strnlen(secret, TOSS_SECRET_MAX + 1)) == 0 ||
	    n > TOSS_SECRET_MAX)
		return NULL;
	plain = arena_printf(a, "%s:", secret);
	out = arena_alloc(a, sizeof("Authorization: Basic ") + 4 * ((n + 1 + 2) / 3) + 1);
	strcpy(out, "Authorization: Basic ");
	EVP_EncodeBlock((unsigned char *)out + strlen(out), (const unsigned char *)plain,
	                (int)(n + 1));
	explicit_bzero(plain, n + 1);
	return out;
}

static bool handle_ready(void)
{
	if (curl != NULL) {
		curl_easy_reset(curl); /* options only: the connection cache stays */
		return true;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return false;
		curl_ready = true;
	}
	curl = curl_easy_init();
	return curl != NULL;
}

/* Runs one call. body is the JSON text of a POST (NULL: GET). */
static enum toss_err toss_call(struct arena *a, const char *path, const char *body,
                               const char *idem, struct toss_payment *out, struct toss_error *err)
{
	const char *base = cfg.toss_url && *cfg.toss_url ? cfg.toss_url : TOSS_DEFAULT_URL;
	size_t blen = strlen(base);
	const char *auth = auth_header(a);
	struct curl_slist *h = NULL, *t;
	struct body b = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_off_t pre = 0;
	long status = 0;
	int64_t t0 = tk_now_ms();
	CURLcode cc;
	enum toss_err rc = TOSS_RETRY;
	char *url;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	url = arena_printf(a, "%.*s%s", (int)blen, base, path);
	if (auth == NULL) {
		log_event(LOG_ERROR, "toss", "msg", "TICKET_TOSS_SECRET_KEY is not set", NULL);
		snprintf(err->message, sizeof(err->message), "no secret key configured");
		return TOSS_RETRY;
	}
	if (!handle_ready()) {
		log_event(LOG_ERROR, "toss", "msg", "curl_easy_init failed", NULL);
		snprintf(err->message, sizeof(err->message), "libcurl failed");
		return TOSS_RETRY;
	}
	/* Each append either extends the list or fails; build then check. */
	h = curl_slist_append(h, auth);
	if (h && (t = curl_slist_append(h, "Accept: application/json")) != NULL)
		h = t;
	if (h && body && (t = curl_slist_append(h, "Content-Type: application/json")) != NULL)
		h = t;
	if (h && body && (t = curl_slist_append(h, arena_printf(a, "Idempotency-Key: %s", idem))))
		h = t;
	if (h && (t = curl_slist_append(h, "Expect:")) != NULL)
		h = t;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	/* CURLOPT_NOSIGNAL stays 0: the resolver is threaded (no alarm()), and
	 * libcurl then ignores SIGPIPE during the transfer itself, so a peer
	 * closing a TLS connection cannot kill a process that did not. */
	curl_easy_setopt(
	    curl, CURLOPT_CONNECTTIMEOUT_MS,
	    budget_ms && budget_ms < TOSS_CONNECT_TIMEOUT_MS ? budget_ms : TOSS_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms());
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ticketd/" TK_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TOSS_BODY_MAX);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}

	cc = h == NULL ? CURLE_OUT_OF_MEMORY : curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
	if (cc == CURLE_OK) {
		rc = toss_answer(a, status, b.data, b.len, out, err);
	} else {
		/* An answer over the cap fails as a write error, or (when Toss
		 * announced its length) as CURLE_FILESIZE_EXCEEDED. */
		if (b.over || cc == CURLE_FILESIZE_EXCEEDED)
			cc = CURLE_WRITE_ERROR;
		rc = toss_transport((int)cc, pre > 0);
		memset(out, 0, sizeof(*out));
		err->http_status = 0;
		snprintf(err->message, sizeof(err->message), "%s",
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	log_event(rc == TOSS_OK ? LOG_INFO : LOG_WARN, "toss", "method", body ? "POST" : "GET",
	          "path", path, "status", arena_printf(a, "%ld", status), "result",
	          toss_err_name(rc), "code", err->code[0] ? err->code : NULL, "curl",
	          cc == CURLE_OK ? NULL : curl_easy_strerror(cc), "ms",
	          arena_printf(a, "%lld", (long long)(tk_now_ms() - t0)), NULL);
	/* The handle keeps pointers to these until the next reset. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(h);
	free(b.data);
	return rc;
}

/* The JSON text of a body, owned by the arena. */
static const char *json_text(struct arena *a, cJSON *obj)
{
	char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	return arena_defer(a, json_free_text, s);
}

/* Adds an integer as JSON digits (cJSON would print doubles ≥ 1e15 with an
 * exponent). */
static void add_int(struct arena *a, cJSON *obj, const char *name, int64_t v)
{
	cJSON_AddRawToObject(obj, name, arena_printf(a, "%lld", (long long)v));
}

/* Clears the outputs; err may be NULL (the details go to *scratch). */
static struct toss_error *outputs(struct toss_payment *out, struct toss_error *err,
                                  struct toss_error *scratch)
{
	if (err == NULL)
		err = scratch;
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	return err;
}

enum toss_err toss_confirm(struct arena *a, const char *payment_key, const char *order_id,
                           int64_t amount, const char *idempotency_key, struct toss_payment *out,
                           struct toss_error *err)
{
	struct toss_error scratch;
	cJSON *obj;
	const char *body;

	err = outputs(out, err, &scratch);
	if (!printable(payment_key, TOSS_KEY_MAX))
		return refuse(err, "paymentKey");
	if (!valid_order_id(order_id))
		return refuse(err, "orderId");
	if (amount <= 0 || amount > TOSS_AMOUNT_MAX)
		return refuse(err, "amount");
	if (!printable(idempotency_key, TOSS_IDEM_MAX))
		return refuse(err, "Idempotency-Key");
	obj = cJSON_CreateObject();
	if (obj != NULL) {
		cJSON_AddStringToObject(obj, "paymentKey", payment_key);
		cJSON_AddStringToObject(obj, "orderId", order_id);
		add_int(a, obj, "amount", amount);
	}
	body = json_text(a, obj);
	if (body == NULL)
		return TOSS_RETRY;
	return toss_call(a, "/v1/payments/confirm", body, idempotency_key, out, err);
}

enum toss_err toss_get(struct arena *a, const char *payment_key, struct toss_payment *out,
                       struct toss_error *err)
{
	struct toss_error scratch;

	err = outputs(out, err, &scratch);
	if (!printable(payment_key, TOSS_KEY_MAX))
		return refuse(err, "paymentKey");
	return toss_call(a, arena_printf(a, "/v1/payments/%s", path_segment(a, payment_key)), NULL,
	                 NULL, out, err);
}

enum toss_err toss_get_by_order(struct arena *a, const char *order_id, struct toss_payment *out,
                                struct toss_error *err)
{
	struct toss_error scratch;

	err = outputs(out, err, &scratch);
	if (!valid_order_id(order_id))
		return refuse(err, "orderId");
	return toss_call(a, arena_printf(a, "/v1/payments/orders/%s", path_segment(a, order_id)),
	                 NULL, NULL, out, err);
}

enum toss_err toss_cancel(struct arena *a, const char *payment_key, const char *reason,
                          int64_t amount, const char *idempotency_key, struct toss_payment *out,
                          struct toss_error *err)
{
	struct toss_error scratch;
	cJSON *obj;
	const char *body;

	err = outputs(out, err, &scratch);
	if (!printable(payment_key, TOSS_KEY_MAX))
		return refuse(err, "paymentKey");
	if (!valid_reason(reason))
		return refuse(err, "cancelReason");
	if (amount < 0 || amount > TOSS_AMOUNT_MAX)
		return refuse(err, "cancelAmount");
	if (!printable(idempotency_key, TOSS_IDEM_MAX))
		return refuse(err, "Idempotency-Key");
	obj = cJSON_CreateObject();
	if (obj != NULL) {
		cJSON_AddStringToObject(obj, "cancelReason", reason);
		if (amount > 0)
			add_int(a, obj, "cancelAmount", amount);
	}
	body = json_text(a, obj);
	if (body == NULL)
		return TOSS_RETRY;
	return toss_call(a, arena_printf(a, "/v1/payments/%s/cancel", path_segment(a, payment_key)),
	                 body, idempotency_key, out, err);
}

/* ---- our error codes --------------------------------------------------- */

/* Toss codes that mean our setup or their system failed, not the buyer. */
static const char *const provider_codes[] = {
    "UNAUTHORIZED_KEY",
    "INCORRECT_BASIC_AUTH_FORMAT",
    "FAILED_INTERNAL_SYSTEM_PROCESSING",
    "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING",
    "IDEMPOTENT_REQUEST_PROCESSING",
};

const char *toss_error_ours(const struct toss_error *err)
{
	if (err == NULL)
		return "PAYMENT_PROVIDER_ERROR";
	for (size_t i = 0; i < TK_ARRAY_LEN(provider_codes); i++)
		if (strcmp(err->code, provider_codes[i]) == 0)
			return "PAYMENT_PROVIDER_ERROR";
	if (err->http_status >= 500 || err->http_status == 429 || err->code[0] == '\0')
		return "PAYMENT_PROVIDER_ERROR";
	if (strcmp(err->code, "NOT_FOUND_PAYMENT") == 0)
		return "NOT_FOUND";
	if (strcmp(err->code, "ALREADY_PROCESSED_PAYMENT") == 0)
		return "CONFLICT";
	/* 4xx from Toss (card refused, invalid request or amount, bank side,
	 * already cancelled, payment window expired), or refused before
	 * sending (http_status 0 with INVALID_REQUEST). */
	return "PAYMENT_REJECTED";
}
