/*
 * fake_kakao.c — an NHN Cloud KakaoTalk Bizmessage (Alimtalk, API v2.3)
 * stand-in for the dev/test stack, served by nginx under /_fake/kakao/
 * (nginx/dev.conf.in; never in production). It speaks the wire format of
 * /work/shared/EXTERNAL.md so that lib/alimtalk.c needs nothing but another
 * base URL and keys.
 *
 * The API:
 *   POST alimtalk/v2.3/appkeys/{appkey}/messages
 *     headers X-Secret-Key (TICKET_KAKAO_SECRET), optional
 *     X-NC-API-IDEMPOTENCY-KEY; body {"senderKey","templateCode",
 *     "recipientList":[{"recipientNo","templateParameter":{…},
 *     "resendParameter":{"isResend","resendType":"SMS|LMS","resendSendNo"}}]}
 *     (1–1000 recipients). Answer, HTTP 200:
 *     {"header":{"resultCode":0,"resultMessage":"SUCCESS","isSuccessful":true},
 *      "message":{"requestId","senderGroupingKey":null,"sendResults":[{"recipientSeq",
 *        "recipientNo","resultCode","resultMessage","resendStatus","resendType"}]}}
 *     Header failures (isSuccessful false, message null): -1000 wrong appkey,
 *     -1001 wrong secret key, -2000 invalid body or fields, -3003 no such
 *     template, -1005 an idempotency key seen in the last 10 minutes.
 *   The template is the file $TICKET_ROOT/templates/alimtalk/<code>.txt the
 *   sender reads too (lib/alimtalk.c fills it). Per recipient: a variable
 *   without a value → resultCode 3016 (nothing delivered); a forced code
 *   (see _fail) → that code, and with resendParameter.isResend the text is
 *   delivered by SMS (≤ 90 bytes and resendType not LMS) or LMS, with
 *   resendStatus RSC04 (else RSC01: no fallback); otherwise delivered by
 *   alimtalk, resultCode 0.
 *
 * Test-only routes (no auth):
 *   GET  health
 *   GET  _inbox?recipientNo=   {"items":[{"templateCode","content","channel":
 *        "alimtalk|sms|lms","requestedAt","requestId","idempotencyKey"}],
 *        "calls":N} — what was delivered to the number, oldest first, and how
 *        many send requests named it (failed ones too): a retry is visible.
 *   POST _fail {"recipientNo","resultCode"?,"count"?,"delayMs"?}
 *        the next count (1) sends naming the number: resultCode ≥ 500 answers
 *        the whole request HTTP resultCode without doing anything (its
 *        idempotency key is not kept, so a retry goes through); another
 *        code fails that recipient with it (3018 → the SMS/LMS fallback);
 *        delayMs (≤ 55000) sleeps after the idempotency key is recorded
 *        and before delivering, like a provider slower than the sender's
 *        timeout.
 *   POST _reset   forget deliveries, keys and faults.
 *
 * Persistence, under $TICKET_VAR/fake-kakao/ (tools/fake_core.h): knobs.json
 * (faults), the append-only inbox.jsonl (deliveries) and calls.jsonl (one
 * line per number a send named), and idem/ (one file per idempotency key);
 * all survive restarts, and none costs more per request as it fills. The
 * logs rotate (FK_*_BYTES): the oldest entries go first.
 */
#include "alimtalk.h"
#include "app.h"
#include "config.h"
#include "fake_core.h"
#include "log.h"
#include "tk.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- limits ----------------------------------------------------------------- */

#define FK_INBOX_BYTES (8L << 20) /* inbox.jsonl rotates past this (kept: up to twice) */
#define FK_LOG_BYTES (4L << 20)   /* calls.jsonl likewise */
#define FK_MAX_RECIPIENTS 1000    /* recipientList of one call */
#define FK_MAX_IDEM_KEY 200
#define FK_MAX_SENDER_KEY 40
#define FK_MAX_FAULTS 1000
#define FK_MAX_DELAY_MS 55000 /* nginx's fastcgi_read_timeout is 60 s */
#define FK_IDEM_TTL_MS (10LL * 60 * 1000)
#define FK_SMS_BYTES 90 /* longer fallbacks go as LMS */

static struct fake_store st_knobs = FAKE_STORE("knobs");

/* ---- replies ---------------------------------------------------------------- */

static cJSON *header(int code, const char *message)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddNumberToObject(h, "resultCode", code);
	cJSON_AddStringToObject(h, "resultMessage", message);
	cJSON_AddBoolToObject(h, "isSuccessful", code == 0);
	return h;
}

/* The provider's envelope with a failed header and no message. */
static void reply_header(struct http_req *r, int status, int code, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "header", header(code, message));
	cJSON_AddNullToObject(o, "message");
	fake_reply_obj(r, status, o);
}

static bool valid_number(const char *s)
{
	return s && fake_chars_ok(s, 8, 15, "") && strspn(s, "0123456789") == strlen(s);
}

static bool begin_or_reply(struct http_req *r)
{
	if (fake_dir_init("fake-kakao"))
		return true;
	reply_header(r, 500, -9999, "state directory unusable");
	return false;
}

/* ---- the send call: steps ----------------------------------------------------- */

/* A checked request: the body and the idempotency key ("" without one). */
struct send_req {
	const cJSON *body;
	const char *code;
	const cJSON *list;
	const char *idem;
};

/* Auth and shape; false after answering the header failure. */
static bool send_parse_or_reply(struct http_req *r, struct send_req *s)
{
	const char *appkey = http_param(r, "appkey"), *secret = http_header(r, "X-Secret-Key");
	const char *sender;
	const cJSON *rcp;
	size_t want = strlen(cfg.kakao_secret);

	if (appkey == NULL || strcmp(appkey, cfg.kakao_appkey) != 0 || !*cfg.kakao_appkey) {
		reply_header(r, 200, -1000, "Invalid appkey");
		return false;
	}
	if (secret == NULL || want == 0 || strlen(secret) != want ||
	    CRYPTO_memcmp(secret, cfg.kakao_secret, want) != 0) {
		reply_header(r, 200, -1001, "Invalid secret key");
		return false;
	}
	s->idem = http_header(r, "X-NC-API-IDEMPOTENCY-KEY");
	if (s->idem == NULL)
		s->idem = "";
	if (strlen(s->idem) > FK_MAX_IDEM_KEY ||
	    !fake_chars_ok(s->idem, 0, FK_MAX_IDEM_KEY, "-_:")) {
		reply_header(r, 200, -2000, "Invalid X-NC-API-IDEMPOTENCY-KEY");
		return false;
	}
	s->body = http_own(r, cJSON_ParseWithLength(r->body, r->body_len));
	s->code = fake_jstr(s->body, "templateCode");
	s->list = cJSON_GetObjectItemCaseSensitive(s->body, "recipientList");
	sender = fake_jstr(s->body, "senderKey");
	if (!cJSON_IsObject(s->body) || s->code == NULL || !cJSON_IsArray(s->list) ||
	    cJSON_GetArraySize(s->list) < 1 || cJSON_GetArraySize(s->list) > FK_MAX_RECIPIENTS ||
	    sender == NULL || !fake_chars_ok(sender, 1, FK_MAX_SENDER_KEY, "")) {
		reply_header(r, 200, -2000, "Invalid request body");
		return false;
	}
	cJSON_ArrayForEach(rcp, s->list)
	{
		const cJSON *tp = cJSON_GetObjectItemCaseSensitive(rcp, "templateParameter");
		if (!valid_number(fake_jstr(rcp, "recipientNo")) || (tp && !cJSON_IsObject(tp))) {
			reply_header(r, 200, -2000, "Invalid recipientNo or templateParameter");
			return false;
		}
	}
	return true;
}

/* The faults for each recipient, in list order (an array of objects or
 * nulls). */
static cJSON *send_faults(const struct send_req *s)
{
	cJSON *faults = cJSON_CreateArray();
	const cJSON *rcp;

	cJSON_ArrayForEach(rcp, s->list)
	{
		cJSON *f = fake_fault_take(&st_knobs, "fail", fake_jstr(rcp, "recipientNo"));
		cJSON_AddItemToArray(faults, f ? f : cJSON_CreateNull());
	}
	return faults;
}

/* Counts the call against each number it names (calls.jsonl). */
static void count_calls(const struct send_req *s)
{
	const cJSON *rcp;

	cJSON_ArrayForEach(rcp, s->list)
	{
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "recipientNo", fake_jstr(rcp, "recipientNo"));
		fake_log_append("calls", c, FK_LOG_BYTES);
		cJSON_Delete(c);
	}
}

/* "20261121100000" + 10 random characters, like NHN's request ids. */
static void new_request_id(int64_t now, char out[32])
{
	struct tm tm;
	fake_seoul_tm(now, &tm);
	snprintf(out, 32, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec);
	fake_random_b62(out + 14, 10);
}

/* Adds one delivery to the inbox. */
static void inbox_add(const char *no, const char *code, const char *content, const char *channel,
                      const char *request_id, const char *idem, int64_t now)
{
	cJSON *m = cJSON_CreateObject();
	char at[40];

	fake_seoul_ms(now, "+09:00", at);
	cJSON_AddStringToObject(m, "recipientNo", no);
	cJSON_AddStringToObject(m, "templateCode", code);
	cJSON_AddStringToObject(m, "content", content);
	cJSON_AddStringToObject(m, "channel", channel);
	cJSON_AddStringToObject(m, "requestedAt", at);
	cJSON_AddStringToObject(m, "requestId", request_id);
	cJSON_AddStringToObject(m, "idempotencyKey", idem);
	fake_log_append("inbox", m, FK_INBOX_BYTES);
	cJSON_Delete(m);
}

/* One recipient's result: delivers unless the text does not
 * match or a forced code stops it. */
static cJSON *send_one(struct http_req *r, const struct send_req *s, const char *tmpl,
                       const cJSON *rcp, const cJSON *fault, int seq, const char *request_id,
                       int64_t now)
{
	const char *no = fake_jstr(rcp, "recipientNo"), *text = NULL, *missing = NULL;
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(rcp, "resendParameter");
	const char *rtype = fake_jstr(rs, "resendType");
	int forced = (int)fake_jnum(fault, "resultCode", 0);
	cJSON *res = cJSON_CreateObject();
	int code = 0;
	const char *msg = "SUCCESS", *resend = "RSC01", *channel = NULL;

	if (alimtalk_fill(r->arena, tmpl,
	                  cJSON_GetObjectItemCaseSensitive(rcp, "templateParameter"), &text,
	                  &missing) != ALIMTALK_OK) {
		code = ALIMTALK_RESULT_MISMATCH;
		msg = arena_printf(r->arena, "Message does not match the template (#{%s})",
		                   missing);
		log_event(LOG_WARN, "fake_kakao_mismatch", "template", s->code, "variable", missing,
		          NULL);
	} else if (forced) {
		code = forced;
		msg = "Failed to send by KakaoTalk (forced)";
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rs, "isResend"))) {
			bool lms = (rtype && strcmp(rtype, "LMS") == 0) ||
			           strlen(text) > FK_SMS_BYTES;
			channel = lms ? "lms" : "sms";
			resend = "RSC04";
		}
	} else {
		channel = "alimtalk";
	}
	if (channel)
		inbox_add(no, s->code, text, channel, request_id, s->idem, now);
	cJSON_AddNumberToObject(res, "recipientSeq", seq);
	cJSON_AddStringToObject(res, "recipientNo", no);
	cJSON_AddNumberToObject(res, "resultCode", code);
	cJSON_AddStringToObject(res, "resultMessage", msg);
	cJSON_AddStringToObject(res, "resendStatus", code == 0 ? "RSC01" : resend);
	if (strcmp(resend, "RSC04") == 0)
		cJSON_AddStringToObject(res, "resendType",
		                        strcmp(channel, "lms") == 0 ? "LMS" : "SMS");
	return res;
}

static void h_send(struct http_req *r)
{
	struct send_req s;
	const char *tmpl = NULL;
	cJSON *faults, *o, *msg, *results;
	const cJSON *rcp, *f0;
	char request_id[32];
	int64_t delay, status, now = tk_now_ms();
	int seq = 0;

	if (!begin_or_reply(r) || !send_parse_or_reply(r, &s))
		return;
	faults = http_own(r, send_faults(&s));
	f0 = cJSON_GetArrayItem(faults, 0);
	status = fake_jnum(f0, "resultCode", 0);
	count_calls(&s);
	/* A forced 5xx keeps no key: the retry goes through. */
	if (status >= 500 && status <= 599) {
		reply_header(r, (int)status, -9999, "Internal server error (forced)");
		return;
	}
	switch (*s.idem ? fake_once("idem", s.idem, FK_IDEM_TTL_MS) : FAKE_ONCE_NEW) {
	case FAKE_ONCE_NEW: break;
	case FAKE_ONCE_SEEN:
		reply_header(r, 200, ALIMTALK_DUPLICATE, "Duplicated request (idempotency key)");
		return;
	case FAKE_ONCE_ERROR: reply_header(r, 500, -9999, "state unusable"); return;
	}
	if ((delay = fake_jnum(f0, "delayMs", 0)) > 0)
		fake_sleep_ms(delay);
	if (alimtalk_template(r->arena, s.code, &tmpl) != ALIMTALK_OK) {
		reply_header(r, 200, -3003, "Template not found");
		return;
	}
	now = tk_now_ms();
	new_request_id(now, request_id);
	o = http_own(r, cJSON_CreateObject());
	cJSON_AddItemToObject(o, "header", header(0, "SUCCESS"));
	msg = cJSON_AddObjectToObject(o, "message");
	cJSON_AddStringToObject(msg, "requestId", request_id);
	cJSON_AddNullToObject(msg, "senderGroupingKey");
	results = cJSON_AddArrayToObject(msg, "sendResults");
	cJSON_ArrayForEach(rcp, s.list)
	{
		cJSON *f = cJSON_GetArrayItem(faults, seq);
		seq++;
		cJSON_AddItemToArray(
		    results,
		    send_one(r, &s, tmpl, rcp, cJSON_IsObject(f) ? f : NULL, seq, request_id, now));
	}
	http_reply_json(r, 200, o);
}

/* ---- test controls -------------------------------------------------------------- */

struct inbox_filter {
	const char *no;
	cJSON *items;
	int64_t calls;
};

static void inbox_pick(const cJSON *m, void *ctx)
{
	struct inbox_filter *f = ctx;
	const char *no = fake_jstr(m, "recipientNo");
	if (no && strcmp(no, f->no) == 0)
		cJSON_AddItemToArray(f->items, cJSON_Duplicate(m, true));
}

static void calls_pick(const cJSON *c, void *ctx)
{
	struct inbox_filter *f = ctx;
	const char *no = fake_jstr(c, "recipientNo");
	if (no && strcmp(no, f->no) == 0)
		f->calls++;
}

static void h_inbox(struct http_req *r)
{
	struct inbox_filter f = {http_query(r, "recipientNo"), NULL, 0};
	cJSON *o;

	if (!begin_or_reply(r))
		return;
	if (!valid_number(f.no)) {
		reply_header(r, 400, -2000, "recipientNo: 8-15 digits");
		return;
	}
	o = http_own(r, cJSON_CreateObject());
	f.items = cJSON_AddArrayToObject(o, "items");
	fake_log_each("inbox", inbox_pick, &f);
	fake_log_each("calls", calls_pick, &f);
	cJSON_AddNumberToObject(o, "calls", (double)f.calls);
	http_reply_json(r, 200, o);
}

/* {"recipientNo","resultCode"?,"count"?,"delayMs"?}: NULL or the problem. */
static const char *fail_spec(const cJSON *b, cJSON **out)
{
	const char *no = fake_jstr(b, "recipientNo");
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(b, "resultCode");
	const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(b, "count");
	const cJSON *dl = cJSON_GetObjectItemCaseSensitive(b, "delayMs");
	int64_t code = 0, n = 1, delay = 0;

	if (!valid_number(no))
		return "recipientNo: 8-15 digits";
	if (rc && !fake_json_i64(rc, -99999, 99999, &code))
		return "resultCode: an integer";
	if (cnt && !fake_json_i64(cnt, 0, FK_MAX_FAULTS, &n))
		return "count: 0-1000";
	if (dl && !fake_json_i64(dl, 0, FK_MAX_DELAY_MS, &delay))
		return "delayMs: 0-55000";
	if (code == 0 && delay == 0 && n > 0)
		return "resultCode or delayMs is required";
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "n", (double)n);
	cJSON_AddNumberToObject(*out, "resultCode", (double)code);
	cJSON_AddNumberToObject(*out, "delayMs", (double)delay);
	return NULL;
}

static void h_fail(struct http_req *r)
{
	const cJSON *b;
	const char *problem;
	cJSON *f = NULL, *o;

	if (!begin_or_reply(r))
		return;
	b = http_own(r, cJSON_ParseWithLength(r->body, r->body_len));
	if ((problem = fail_spec(b, &f)) != NULL) {
		reply_header(r, 400, -2000, problem);
		return;
	}
	if (!fake_store_lock(&st_knobs)) {
		cJSON_Delete(f);
		reply_header(r, 500, -9999, "state unusable");
		return;
	}
	fake_jset(fake_jobj(st_knobs.root, "fail"), fake_jstr(b, "recipientNo"), f);
	fake_store_save(&st_knobs);
	o = cJSON_Duplicate(fake_jobj(st_knobs.root, "fail"), true);
	fake_store_unlock(&st_knobs);
	log_event(LOG_INFO, "fake_kakao_fail", "body", r->body, NULL);
	fake_reply_obj(r, 200, o);
}

static void reset_store(struct fake_store *s)
{
	if (!fake_store_lock(s))
		return;
	cJSON_Delete(s->root);
	s->root = cJSON_CreateObject();
	fake_store_save(s);
	fake_store_unlock(s);
}

static void h_reset(struct http_req *r)
{
	if (!begin_or_reply(r))
		return;
	reset_store(&st_knobs);
	fake_log_clear("inbox");
	fake_log_clear("calls");
	fake_once_clear("idem");
	reply_header(r, 200, 0, "SUCCESS");
}

static void h_health(struct http_req *r)
{
	cJSON *o;

	if (!begin_or_reply(r))
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "family", "fake_kakao");
	cJSON_AddStringToObject(o, "version", TK_VERSION);
	fake_reply_obj(r, 200, o);
}

/* ---- routes ----------------------------------------------------------------- */

/* clang-format off */
static const struct route routes[] = {
	{HTTP_POST, "alimtalk/v2.3/appkeys/{appkey}/messages", h_send,   PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "_inbox",                                  h_inbox,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_fail",                                   h_fail,   PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_reset",                                  h_reset,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "health",                                  h_health, PERM_PUBLIC, SCOPE_NONE},
};
/* clang-format on */

static const struct app_family family = {
    .name = "fake_kakao",
    .prefix = "/_fake/kakao/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = false,
    .db_session_sql = NULL,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
