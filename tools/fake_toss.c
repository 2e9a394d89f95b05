/*
 * fake_toss.c — a Toss Payments core API v1 stand-in for the dev/test stack,
 * served by nginx under /_fake/toss/ (nginx/dev.conf.in; never in
 * production). It speaks the wire format of /work/shared/EXTERNAL.md so that
 * lib/toss.c needs nothing but another base URL and keys.
 *
 * The API (Basic auth with TICKET_TOSS_SECRET_KEY, "key:" base64-encoded):
 *   POST v1/payments/confirm              {paymentKey, orderId, amount}
 *   GET  v1/payments/{paymentKey}
 *   GET  v1/payments/orders/{orderId}
 *   POST v1/payments/{paymentKey}/cancel  {cancelReason (≤200), cancelAmount?}
 * Answers are Payment objects or {"code","message"} with Toss's statuses.
 * Every POST honours Idempotency-Key (≤300): a repeat with the same key, API
 * key, URL and method gets the first answer (kept 15 days) and does nothing;
 * a repeat while the first still runs gets 409 IDEMPOTENT_REQUEST_PROCESSING
 * (the record says "in progress" before the work starts). 5xx answers are
 * not kept: a retry with the same key runs again. With a test_ key,
 * "TossPayments-Test-Code: <CODE>" answers that error (status from the code
 * table below, 400 for codes it does not know) and changes nothing.
 *
 * The payment window (no auth; the client key in the query):
 *   GET checkout?clientKey=&orderId=&orderName=&amount=&successUrl=&failUrl=
 *       [&action=approve|fail][&code=][&paymentKey=][&customerName=…]
 *   Without action: a READY payment and a Korean page whose two links repeat
 *   the query with action=approve|fail and its paymentKey. action=approve
 *   authenticates (IN_PROGRESS, the time and the amount are recorded) and
 *   answers 302 successUrl?paymentType=NORMAL&orderId=&paymentKey=&amount=;
 *   action=fail answers 302 failUrl?code=PAY_PROCESS_CANCELED (or &code=)
 *   &message=&orderId= and changes nothing. An orderId already approved
 *   goes to failUrl with DUPLICATED_ORDER_ID. Invalid parameters: 4xx JSON.
 *   GET receipt?paymentKey= is the receipt page receipt.url points to.
 *
 * Rules: confirm only within the session (600 s after authentication) and
 * only with the amount the window was opened with (else INVALID_REQUEST);
 * a second confirm is ALREADY_PROCESSED_PAYMENT, a confirm of another
 * paymentKey of an order already paid DUPLICATED_ORDER_ID. READY and
 * IN_PROGRESS payments become EXPIRED when the window (1800 s) is over.
 * Cancels may repeat until balanceAmount is 0: over the balance
 * NOT_CANCELABLE_AMOUNT, after a full cancel ALREADY_CANCELED_PAYMENT, on a
 * payment not DONE NOT_CANCELABLE_PAYMENT.
 *
 * Webhooks: PAYMENT_STATUS_CHANGED {"eventType","createdAt","data":{Payment}}
 * POSTed with tosspayments-webhook-transmission-id (same across retries),
 * -transmission-time and -transmission-retried-count, 10 s timeout. Any
 * answer but 200 is retried up to 7 times after retry_ms × 4^n (real Toss:
 * 1, 4, 16 … minutes). Deliveries run in a child process of the worker (so
 * a receiver that calls back into this fake is served meanwhile), started
 * whenever the fake handles a request and something is pending; it lives
 * while deliveries are pending and dies with the worker.
 *
 * Test-only routes (no auth; JSON errors {"code","message"}):
 *   GET  health
 *   GET  _control                 the effective settings and pending faults
 *   POST _control                 any of:
 *     {"fail_next":{"confirm":1,"status":500,"code":"…","after":false,"abort":false}}
 *        the next N calls of a kind (confirm | cancel | get) answer that
 *        error (default 500 FAILED_INTERNAL_SYSTEM_PROCESSING; a code alone
 *        takes its status from the table) and do nothing; "after":true does
 *        the work first and answers the error anyway (a lost answer);
 *        "abort":true (confirm) leaves the payment ABORTED with failure set.
 *        N = 0 clears the kind.
 *     {"delay_next":{"confirm":1,"ms":12000}}   the next N calls of a kind
 *        sleep ms (≤ 55000) before the work, after recording the
 *        idempotency key as in progress: a client timeout whose outcome is
 *        settled by a later GET. The pool has one worker by default, so a
 *        concurrent duplicate waits behind the sleeper and gets the stored
 *        answer; with TICKET_WORKERS_FAKE_TOSS=2 it gets 409.
 *     {"session_s":n,"window_s":n,"retry_ms":n,"webhook_url":"…","auto_webhook":bool}
 *        runtime overrides of the environment below (null: back to it)
 *     {"reset":true}              forget all faults and overrides
 *   POST _send-webhook {"paymentKey","url"?}  queue PAYMENT_STATUS_CHANGED
 *        with the payment as it is now, to url or the configured receiver
 *   POST _run-webhooks            make every pending delivery due now
 *        (answers {"due":n} at once; GET _webhooks shows the outcome)
 *   GET  _webhooks[?paymentKey=&limit=]  deliveries and their attempts
 *   POST _receiver[?tag=&fail=N&status=S]  a webhook receiver for tests:
 *        records the delivery, answers S (default 500) while the
 *        retried-count is below N, then 200
 *   GET  _receiver[?tag=&limit=]  what it received
 *
 * Environment (defaults in brackets; TICKET_TOSS_SECRET_KEY and
 * TICKET_TOSS_CLIENT_KEY as for the real client):
 *   TICKET_FAKE_TOSS_SESSION_S     confirm deadline after authentication [600]
 *   TICKET_FAKE_TOSS_WINDOW_S      life of an unconfirmed payment [1800]
 *   TICKET_FAKE_TOSS_RETRY_MS      first webhook retry delay [1000]
 *   TICKET_FAKE_TOSS_WEBHOOK_URL   receiver [$TICKET_BASE_URL/fcgi/payment/webhook]
 *   TICKET_FAKE_TOSS_AUTO_WEBHOOK  1: a webhook on every change to DONE,
 *                                  CANCELED, PARTIAL_CANCELED, ABORTED, EXPIRED [0]
 *
 * Persistence, under $TICKET_VAR/fake-toss/: state.json (payments and
 * idempotency records), knobs.json (faults, overrides), webhooks.json
 * (deliveries, what _receiver got). Each is rewritten whole through a
 * temporary file and rename() after a change, under flock on its .lock
 * file, which also holds a generation counter: a process reloads its cached
 * copy only when another one wrote. Locks are never nested, so any number
 * of workers may share the directory. Everything is capped (FT_MAX_*): the
 * oldest payments, keys and deliveries are dropped first.
 */
#include "app.h"
#include "config.h"
#include "fake_core.h"
#include "json.h"
#include "log.h"
#include "tk.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- limits ----------------------------------------------------------------- */

#define FT_MAX_PAYMENTS 3000  /* kept payments; the oldest go first */
#define FT_MAX_IDEM 3000      /* kept idempotency records */
#define FT_MAX_DELIVERIES 500 /* kept webhook deliveries */
#define FT_MAX_RECEIVED 200   /* kept _receiver entries */
#define FT_MAX_CANCELS 100    /* cancels[] of one payment */
#define FT_MAX_URL 2048
#define FT_MAX_KEY 200 /* paymentKey */
#define FT_MAX_ORDER_NAME 100
#define FT_MAX_CUSTOMER 100 /* customerName, customerEmail, customerMobilePhone */
#define FT_MAX_REASON 200   /* cancelReason, in characters */
#define FT_MAX_IDEM_KEY 300
#define FT_MAX_CODE 64
#define FT_MAX_TAG 64
#define FT_MAX_AUTH 1024 /* Authorization header */
#define FT_MAX_AMOUNT 1000000000LL
#define FT_MAX_DELAY_MS 55000 /* nginx's fastcgi_read_timeout is 60 s */
#define FT_MAX_FAULTS 1000
#define FT_MAX_LIST 500
#define FT_RECEIVER_BODY (64 * 1024)

#define FT_IDEM_TTL_MS (15LL * 24 * 3600 * 1000)
#define FT_IDEM_STALE_MS 120000LL /* an "in progress" older than this was abandoned */
#define FT_SWEEP_MS 5000
#define FT_WEBHOOK_RETRIES 7
#define FT_WEBHOOK_TIMEOUT_S 10L
#define FT_DELIVERER_POLL_MS 100

static const char *const kinds[] = {"confirm", "cancel", "get"};
enum kind { KIND_CONFIRM, KIND_CANCEL, KIND_GET };

/* ---- Toss error codes ------------------------------------------------------- */

static const struct toss_code {
	const char *code;
	int status;
	const char *message;
} toss_codes[] = {
    {"ALREADY_PROCESSED_PAYMENT", 400, "이미 처리된 결제 입니다."},
    {"ALREADY_CANCELED_PAYMENT", 400, "이미 취소된 결제 입니다."},
    {"INVALID_REQUEST", 400, "잘못된 요청입니다."},
    {"PROVIDER_ERROR", 400, "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."},
    {"DUPLICATED_ORDER_ID", 400,
     "이미 승인 및 취소가 진행된 중복된 주문번호 입니다. 다른 주문번호로 진행해주세요."},
    {"INVALID_CARD_NUMBER", 400, "카드번호를 다시 확인해주세요."},
    {"UNAUTHORIZED_KEY", 401, "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."},
    {"INCORRECT_BASIC_AUTH_FORMAT", 403, "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요."},
    {"REJECT_CARD_PAYMENT", 403, "한도초과 혹은 잔액부족으로 결제에 실패했습니다."},
    {"REJECT_CARD_COMPANY", 403, "결제 승인이 거절되었습니다."},
    {"FORBIDDEN_REQUEST", 403, "허용되지 않은 요청입니다."},
    {"EXCEED_MAX_DAILY_PAYMENT_COUNT", 403, "하루 결제 가능 횟수를 초과했습니다."},
    {"NOT_CANCELABLE_AMOUNT", 403, "취소 할 수 없는 금액 입니다."},
    {"NOT_CANCELABLE_PAYMENT", 403, "취소 할 수 없는 결제 입니다."},
    {"NOT_FOUND_PAYMENT", 404, "존재하지 않는 결제 정보 입니다."},
    {"NOT_FOUND_PAYMENT_SESSION", 404,
     "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다."},
    {"NOT_FOUND", 404, "존재하지 않는 정보 입니다."},
    {"IDEMPOTENT_REQUEST_PROCESSING", 409, "이전 멱등 요청이 처리중 입니다."},
    {"FAILED_INTERNAL_SYSTEM_PROCESSING", 500,
     "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요."},
    {"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500,
     "결제가 완료되지 않았어요. 다시 시도해주세요."},
    {"UNKNOWN_PAYMENT_ERROR", 500,
     "결제에 실패했어요. 같은 문제가 반복된다면 은행이나 "
     "카드사로 문의해주세요."},
    /* Payment window failures (failUrl only). */
    {"PAY_PROCESS_CANCELED", 400, "사용자에 의해 결제가 취소되었습니다."},
    {"PAY_PROCESS_ABORTED", 400, "결제 진행 중 승인에 실패하여 결제가 중단되었습니다."},
};

static const struct toss_code *code_find(const char *code)
{
	for (size_t i = 0; i < TK_ARRAY_LEN(toss_codes); i++)
		if (strcmp(toss_codes[i].code, code) == 0)
			return &toss_codes[i];
	return NULL;
}

static int code_status(const char *code)
{
	const struct toss_code *c = code_find(code);
	return c ? c->status : 400;
}

static const char *code_message(const char *code)
{
	const struct toss_code *c = code_find(code);
	return c ? c->message : "요청을 처리하지 못했습니다.";
}

/* ---- settings ------------------------------------------------------------- */

struct knobs {
	int64_t session_s, window_s, retry_ms;
	bool auto_webhook;
	char webhook_url[FT_MAX_URL + 1];
};

/* What a fault knob asks of one call. */
struct fault {
	bool fail;
	int status;
	char code[FT_MAX_CODE + 1];
	bool after, abort;
	int64_t delay_ms;
};

static struct knobs env_knobs; /* from the environment, read once */
static bool g_ready;
static int64_t g_last_sweep;

/* ---- small helpers ---------------------------------------------------------- */

static bool valid_order_id(const char *s)
{
	return s && fake_chars_ok(s, 6, 64, "-_");
}

static bool valid_payment_key(const char *s)
{
	return s && fake_chars_ok(s, 1, FT_MAX_KEY, "-_");
}

static bool valid_code(const char *s)
{
	return s && fake_chars_ok(s, 1, FT_MAX_CODE, "_");
}

/* An absolute http(s) URL of printable ASCII with a host, without a
 * fragment: what successUrl, failUrl and a webhook receiver must be. */
static bool valid_abs_url(const char *s)
{
	const char *host;
	size_t n;

	if (s == NULL || (n = strlen(s)) > FT_MAX_URL)
		return false;
	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (*host == '\0' || strchr("/?#:@", *host))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}#", c))
			return false;
	}
	return true;
}

/* "2026-11-21T10:00:00.123+09:00" (transmission-time). */
static void iso_ms(int64_t ms, char out[40])
{
	fake_seoul_ms(ms, "+09:00", out);
}

/* "2026-11-21T10:00:00.123000": a webhook's createdAt, as Toss writes it. */
static void webhook_time(int64_t ms, char out[40])
{
	fake_seoul_ms(ms, "000", out);
}

/* "tfake20261121100000" + 21 random characters: 40, like Toss's ~30–50. */
static void new_payment_key(int64_t now, char out[48])
{
	struct tm tm;
	fake_seoul_tm(now, &tm);
	snprintf(out, 48, "tfake%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	fake_random_b62(out + 19, 21);
}

/* 32 upper-case hex digits, like Toss's transactionKey. */
static void new_hex_key(char out[33])
{
	if (!tk_random_hex(out, 16))
		abort();
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (padding optional) into out (cap bytes, NUL added);
 * false on any other character or when it does not fit. */
static bool b64_decode(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), j = 0;
	unsigned acc = 0;
	int bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (j + 1 >= cap)
				return false;
			out[j++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[j] = '\0';
	return memchr(out, '\0', j) == NULL;
}

/* ---- replies ------------------------------------------------------------- */

/* A Toss answer: status and JSON text, kept for idempotent repeats. */
struct answer {
	int status;
	const char *text;
};

static void answer_error(struct http_req *r, struct answer *a, const char *code,
                         const char *message)
{
	cJSON *o = http_own(r, cJSON_CreateObject());
	char *s;

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", message ? message : code_message(code));
	s = cJSON_PrintUnformatted(o);
	a->status = code_status(code);
	a->text = s ? arena_strdup(r->arena, s) : "{}";
	cJSON_free(s);
}

static void answer_json(struct http_req *r, struct answer *a, int status, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	a->status = status;
	a->text = s ? arena_strdup(r->arena, s) : "{}";
	cJSON_free(s);
}

static void send_answer(struct http_req *r, const struct answer *a)
{
	if (a->status >= 400) {
		const cJSON *o = json_parse_owned(r, a->text);
		r->error_code = o ? fake_jstr(o, "code") : NULL;
	}
	http_reply(r, a->status, "application/json", a->text, strlen(a->text));
}

static void reply_error(struct http_req *r, const char *code, const char *message)
{
	struct answer a;
	answer_error(r, &a, code, message);
	send_answer(r, &a);
}

/* An error with a status other than the code's own (fault knobs). */
static void answer_error_status(struct http_req *r, struct answer *a, int status, const char *code)
{
	answer_error(r, a, code, NULL);
	a->status = status;
}

static void reply_found(struct http_req *r, const char *location)
{
	http_add_header(r, "Location", location);
	http_reply(r, 302, "text/plain; charset=utf-8", "", 0);
}

/* ---- persistent stores ------------------------------------------------------ */

static struct fake_store st_state = FAKE_STORE("state");
static struct fake_store st_knobs = FAKE_STORE("knobs");
static struct fake_store st_hooks = FAKE_STORE("webhooks");

/* ---- settings ------------------------------------------------------------- */

static bool ft_init(void)
{
	const char *v;

	if (g_ready)
		return true;
	if (!fake_dir_init("fake-toss"))
		return false;
	env_knobs.session_s = fake_env_i64("TICKET_FAKE_TOSS_SESSION_S", 1, 30 * 86400, 600);
	env_knobs.window_s = fake_env_i64("TICKET_FAKE_TOSS_WINDOW_S", 1, 30 * 86400, 1800);
	env_knobs.retry_ms = fake_env_i64("TICKET_FAKE_TOSS_RETRY_MS", 1, 3600000, 1000);
	v = config_get("TICKET_FAKE_TOSS_AUTO_WEBHOOK");
	env_knobs.auto_webhook = v && strcmp(v, "1") == 0;
	v = config_get("TICKET_FAKE_TOSS_WEBHOOK_URL");
	if (v && *v && !valid_abs_url(v)) {
		log_event(LOG_WARN, "fake_toss_config", "msg",
		          "ignored: not an absolute http(s) URL", "key",
		          "TICKET_FAKE_TOSS_WEBHOOK_URL", NULL);
		v = NULL;
	}
	if (v && *v)
		snprintf(env_knobs.webhook_url, sizeof(env_knobs.webhook_url), "%s", v);
	else
		snprintf(env_knobs.webhook_url, sizeof(env_knobs.webhook_url),
		         "%s/fcgi/payment/webhook", cfg.base_url);
	g_ready = true;
	return true;
}

/* The environment's settings with the runtime overrides of knobs.json. */
static bool knobs_effective(struct knobs *k)
{
	const cJSON *o;
	int64_t n;

	*k = env_knobs;
	if (!fake_store_lock(&st_knobs))
		return false;
	o = cJSON_GetObjectItemCaseSensitive(st_knobs.root, "overrides");
	if (fake_json_i64(cJSON_GetObjectItemCaseSensitive(o, "session_s"), 1, 30 * 86400, &n))
		k->session_s = n;
	if (fake_json_i64(cJSON_GetObjectItemCaseSensitive(o, "window_s"), 1, 30 * 86400, &n))
		k->window_s = n;
	if (fake_json_i64(cJSON_GetObjectItemCaseSensitive(o, "retry_ms"), 1, 3600000, &n))
		k->retry_ms = n;
	if (cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "auto_webhook")))
		k->auto_webhook = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "auto_webhook"));
	if (fake_jstr(o, "webhook_url") && valid_abs_url(fake_jstr(o, "webhook_url")))
		snprintf(k->webhook_url, sizeof(k->webhook_url), "%s", fake_jstr(o, "webhook_url"));
	fake_store_unlock(&st_knobs);
	return true;
}

/* Consumes one fail_next / delay_next of the kind, if any is pending. */
static bool knobs_take(enum kind kind, struct fault *f)
{
	cJSON *fail = fake_fault_take(&st_knobs, "fail_next", kinds[kind]);
	cJSON *delay = fake_fault_take(&st_knobs, "delay_next", kinds[kind]);

	memset(f, 0, sizeof(*f));
	if (fail) {
		const char *code = fake_jstr(fail, "code");
		f->fail = true;
		f->status = (int)fake_jnum(fail, "status", 500);
		snprintf(f->code, sizeof(f->code), "%s",
		         code ? code : "FAILED_INTERNAL_SYSTEM_PROCESSING");
		f->after = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fail, "after"));
		f->abort = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fail, "abort"));
	}
	if (delay)
		f->delay_ms = fake_jnum(delay, "ms", 0);
	cJSON_Delete(fail);
	cJSON_Delete(delay);
	if (f->fail || f->delay_ms)
		log_event(LOG_INFO, "fake_toss_fault", "kind", kinds[kind], "fail",
		          f->fail ? f->code : NULL, NULL);
	return true;
}

/* ---- payments --------------------------------------------------------------- */

/* state.json holds "payments": [{"p": Payment, "opened": amount the window
 * was opened with, "createdMs", "authMs": authentication, 0 before}] in
 * creation order, and "idem": [{"h","s":"p"|"d","t","pid","st","b"}]. */

static cJSON *payments(void)
{
	return fake_jarr(st_state.root, "payments");
}

static cJSON *rec_p(const cJSON *rec)
{
	return cJSON_GetObjectItemCaseSensitive(rec, "p");
}

static const char *rec_status(const cJSON *rec)
{
	const char *s = fake_jstr(rec_p(rec), "status");
	return s ? s : "";
}

static bool status_paid(const char *s)
{
	return strcmp(s, "DONE") == 0 || strcmp(s, "CANCELED") == 0 ||
	       strcmp(s, "PARTIAL_CANCELED") == 0;
}

static cJSON *pay_find(const char *key)
{
	cJSON *rec;
	cJSON_ArrayForEach(rec, payments())
	{
		const char *k = fake_jstr(rec_p(rec), "paymentKey");
		if (k && strcmp(k, key) == 0)
			return rec;
	}
	return NULL;
}

/* The payment an orderId names: the paid one if there is one, else the
 * newest attempt. */
static cJSON *pay_find_order(const char *order_id)
{
	cJSON *rec, *best = NULL;
	cJSON_ArrayForEach(rec, payments())
	{
		const char *o = fake_jstr(rec_p(rec), "orderId");
		if (o == NULL || strcmp(o, order_id) != 0)
			continue;
		if (status_paid(rec_status(rec)))
			return rec;
		best = rec;
	}
	return best;
}

/* balanceAmount and the supplied amount / VAT split of it. */
static void pay_set_balance(cJSON *p, int64_t balance)
{
	int64_t vat = (balance + 5) / 11;
	fake_jset_num(p, "balanceAmount", balance);
	fake_jset_num(p, "suppliedAmount", balance - vat);
	fake_jset_num(p, "vat", vat);
}

/* A new payment record (READY; IN_PROGRESS once authenticated), appended to
 * state. The Payment object carries every field of API version 2022-11-16. */
static cJSON *pay_new(struct http_req *r, const char *order_id, const char *order_name,
                      int64_t amount, int64_t now)
{
	cJSON *rec = cJSON_CreateObject(), *p = cJSON_CreateObject(), *o;
	char key[48], iso[32];
	static const char *const nulls[] = {
	    "approvedAt",      "card",        "virtualAccount", "transfer", "mobilePhone",
	    "giftCertificate", "cashReceipt", "cashReceipts",   "discount", "cancels",
	    "secret",          "easyPay",     "failure",        "method",   "lastTransactionKey"};

	new_payment_key(now, key);
	tk_iso_seoul(now, iso);
	cJSON_AddStringToObject(p, "mId", "tvivarepublica");
	cJSON_AddStringToObject(p, "paymentKey", key);
	cJSON_AddStringToObject(p, "orderId", order_id);
	cJSON_AddStringToObject(p, "orderName", order_name);
	cJSON_AddNumberToObject(p, "taxExemptionAmount", 0);
	cJSON_AddStringToObject(p, "status", "READY");
	cJSON_AddStringToObject(p, "requestedAt", iso);
	cJSON_AddFalseToObject(p, "useEscrow");
	cJSON_AddFalseToObject(p, "cultureExpense");
	for (size_t i = 0; i < TK_ARRAY_LEN(nulls); i++)
		cJSON_AddNullToObject(p, nulls[i]);
	cJSON_AddStringToObject(p, "type", "NORMAL");
	cJSON_AddStringToObject(p, "country", "KR");
	cJSON_AddTrueToObject(p, "isPartialCancelable");
	o = cJSON_AddObjectToObject(p, "receipt");
	cJSON_AddStringToObject(
	    o, "url",
	    arena_printf(r->arena, "%s/_fake/toss/receipt?paymentKey=%s", cfg.base_url, key));
	o = cJSON_AddObjectToObject(p, "checkout");
	cJSON_AddStringToObject(o, "url",
	                        arena_printf(r->arena, "%s/_fake/toss/checkout", cfg.base_url));
	cJSON_AddStringToObject(p, "currency", "KRW");
	cJSON_AddNumberToObject(p, "totalAmount", (double)amount);
	pay_set_balance(p, amount);
	cJSON_AddNumberToObject(p, "taxFreeAmount", 0);
	cJSON_AddStringToObject(p, "version", "2022-11-16");

	cJSON_AddItemToObject(rec, "p", p);
	cJSON_AddNumberToObject(rec, "opened", (double)amount);
	cJSON_AddNumberToObject(rec, "createdMs", (double)now);
	cJSON_AddNumberToObject(rec, "authMs", 0);
	cJSON_AddItemToArray(payments(), rec);
	fake_cap_array(payments(), FT_MAX_PAYMENTS);
	return rec;
}

static void pay_authenticate(cJSON *rec, int64_t now)
{
	fake_jset_str(rec_p(rec), "status", "IN_PROGRESS");
	fake_jset_str(rec_p(rec), "method", "카드");
	fake_jset_num(rec, "authMs", now);
}

static void pay_approve(cJSON *rec, int64_t now)
{
	cJSON *p = rec_p(rec), *card = cJSON_CreateObject();
	char iso[32], tx[33], mid[5], tail[4], no[9], number[24];
	int64_t total = fake_jnum(p, "totalAmount", 0);

	tk_iso_seoul(now, iso);
	new_hex_key(tx);
	fake_random_digits(mid, 4);
	fake_random_digits(tail, 3);
	fake_random_digits(no, 8);
	cJSON_AddStringToObject(card, "issuerCode", "71");
	cJSON_AddStringToObject(card, "acquirerCode", "71");
	snprintf(number, sizeof(number), "4330%s****%s*", mid, tail); /* masked, as Toss */
	cJSON_AddStringToObject(card, "number", number);
	cJSON_AddNumberToObject(card, "installmentPlanMonths", 0);
	cJSON_AddFalseToObject(card, "isInterestFree");
	cJSON_AddNullToObject(card, "interestPayer");
	cJSON_AddStringToObject(card, "approveNo", no);
	cJSON_AddFalseToObject(card, "useCardPoint");
	cJSON_AddStringToObject(card, "cardType", "신용");
	cJSON_AddStringToObject(card, "ownerType", "개인");
	cJSON_AddStringToObject(card, "acquireStatus", "READY");
	cJSON_AddNumberToObject(card, "amount", (double)total);
	fake_jset(p, "card", card);
	fake_jset_str(p, "status", "DONE");
	fake_jset_str(p, "approvedAt", iso);
	fake_jset_str(p, "lastTransactionKey", tx);
	pay_set_balance(p, total);
}

static void pay_abort(cJSON *rec, const char *code)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "code", code);
	cJSON_AddStringToObject(f, "message", code_message(code));
	fake_jset(rec_p(rec), "failure", f);
	fake_jset_str(rec_p(rec), "status", "ABORTED");
}

static void pay_cancel(cJSON *rec, const char *reason, int64_t amount, int64_t now)
{
	cJSON *p = rec_p(rec), *c = cJSON_CreateObject(), *list;
	int64_t balance = fake_jnum(p, "balanceAmount", 0) - amount;
	char iso[32], tx[33];

	tk_iso_seoul(now, iso);
	new_hex_key(tx);
	cJSON_AddStringToObject(c, "transactionKey", tx);
	cJSON_AddStringToObject(c, "cancelReason", reason);
	cJSON_AddNumberToObject(c, "taxExemptionAmount", 0);
	cJSON_AddStringToObject(c, "canceledAt", iso);
	cJSON_AddNumberToObject(c, "easyPayDiscountAmount", 0);
	cJSON_AddNullToObject(c, "receiptKey");
	cJSON_AddNumberToObject(c, "cancelAmount", (double)amount);
	cJSON_AddNumberToObject(c, "taxFreeAmount", 0);
	cJSON_AddNumberToObject(c, "refundableAmount", (double)balance);
	cJSON_AddStringToObject(c, "cancelStatus", "DONE");
	cJSON_AddNullToObject(c, "cancelRequestId");
	list = fake_jarr(p, "cancels"); /* null until the first cancel, as at Toss */
	cJSON_AddItemToArray(list, c);
	fake_jset_str(p, "status", balance == 0 ? "CANCELED" : "PARTIAL_CANCELED");
	fake_jset_str(p, "lastTransactionKey", tx);
	pay_set_balance(p, balance);
	if (balance == 0)
		fake_jset_str(cJSON_GetObjectItemCaseSensitive(p, "card"), "acquireStatus",
		              "CANCELED");
}

/* Status changes a webhook reports (when auto_webhook is on) collect here:
 * snapshots of the Payment object, queued after the state lock is released. */
static void event_add(cJSON *events, const cJSON *rec)
{
	if (events)
		cJSON_AddItemToArray(events, cJSON_Duplicate(rec_p(rec), true));
}

/* The window's end: READY and IN_PROGRESS payments older than window_s turn
 * EXPIRED (an authenticated one is a status change Toss reports). */
static bool pay_expire(cJSON *rec, const struct knobs *k, int64_t now, cJSON *events)
{
	const char *st = rec_status(rec);
	bool in_progress = strcmp(st, "IN_PROGRESS") == 0;

	if (!in_progress && strcmp(st, "READY") != 0)
		return false;
	if (now - fake_jnum(rec, "createdMs", now) <= k->window_s * 1000)
		return false;
	fake_jset_str(rec_p(rec), "status", "EXPIRED");
	if (in_progress)
		event_add(events, rec);
	return true;
}

/* ---- idempotency ------------------------------------------------------------ */

static cJSON *idem_list(void)
{
	return fake_jarr(st_state.root, "idem");
}

/* Drops records past 15 days and "in progress" ones whose worker is gone
 * (or is this process, which runs one request at a time: a leftover), and
 * returns the live record of hash, or NULL. State locked. */
static cJSON *idem_find_purge(const char *hash, int64_t now, bool *changed)
{
	cJSON *list = idem_list(), *rec = list->child, *found = NULL;

	while (rec) {
		cJSON *next = rec->next;
		const char *h = fake_jstr(rec, "h"), *s = fake_jstr(rec, "s");
		int64_t t = fake_jnum(rec, "t", 0);
		bool drop = h == NULL || s == NULL || now - t > FT_IDEM_TTL_MS;

		if (!drop && strcmp(s, "p") == 0) {
			pid_t pid = (pid_t)fake_jnum(rec, "pid", 0);
			drop = now - t > FT_IDEM_STALE_MS || pid <= 0 || pid == getpid() ||
			       (kill(pid, 0) != 0 && errno == ESRCH);
		}
		if (drop) {
			cJSON_Delete(cJSON_DetachItemViaPointer(list, rec));
			*changed = true;
		} else if (strcmp(h, hash) == 0) {
			found = rec;
		}
		rec = next;
	}
	return found;
}

enum idem_res {
	IDEM_NONE, /* no Idempotency-Key: go on */
	IDEM_NEW,  /* recorded as in progress: go on, then idem_set */
	IDEM_DONE, /* answered (the stored answer, 409, 400 or 500) */
};

/* The Idempotency-Key step of a POST. The record is keyed by a hash of the
 * API key, method, URL and the key. */
static enum idem_res idem_begin(struct http_req *r, const char *api_key, char hash[65])
{
	const char *key = http_header(r, "Idempotency-Key");
	const char *url = arena_printf(r->arena, "%s?%s", r->path, r->query_string);
	const char *parts[] = {api_key, r->method_name, url, key};
	int64_t now = tk_now_ms();
	bool changed = false;
	cJSON *rec;

	if (key == NULL)
		return IDEM_NONE;
	if (*key == '\0' || strlen(key) > FT_MAX_IDEM_KEY) {
		reply_error(r, "INVALID_REQUEST", "Idempotency-Key 는 1~300자여야 합니다.");
		return IDEM_DONE;
	}
	if (!fake_sha256_hex(parts, TK_ARRAY_LEN(parts), hash) || !fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return IDEM_DONE;
	}
	rec = idem_find_purge(hash, now, &changed);
	if (rec && strcmp(fake_jstr(rec, "s"), "d") == 0) {
		const char *b = fake_jstr(rec, "b");
		struct answer a = {(int)fake_jnum(rec, "st", 200),
		                   arena_strdup(r->arena, b ? b : "{}")};
		if (changed)
			fake_store_save(&st_state);
		fake_store_unlock(&st_state);
		send_answer(r, &a);
		return IDEM_DONE;
	}
	if (rec) {
		if (changed)
			fake_store_save(&st_state);
		fake_store_unlock(&st_state);
		reply_error(r, "IDEMPOTENT_REQUEST_PROCESSING", NULL);
		return IDEM_DONE;
	}
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "h", hash);
	cJSON_AddStringToObject(rec, "s", "p");
	cJSON_AddNumberToObject(rec, "t", (double)now);
	cJSON_AddNumberToObject(rec, "pid", (double)getpid());
	cJSON_AddItemToArray(idem_list(), rec);
	fake_cap_array(idem_list(), FT_MAX_IDEM);
	fake_store_save(&st_state);
	fake_store_unlock(&st_state);
	return IDEM_NEW;
}

/* Keeps the answer for repeats; a 5xx is forgotten, so that a retry with the
 * same key runs again. State locked. */
static void idem_set(const char *hash, const struct answer *a, int64_t now)
{
	cJSON *list = idem_list(), *rec, *found = NULL;

	cJSON_ArrayForEach(rec, list)
	{
		const char *h = fake_jstr(rec, "h");
		if (h && strcmp(h, hash) == 0)
			found = rec;
	}
	if (a->status >= 500) {
		if (found)
			cJSON_Delete(cJSON_DetachItemViaPointer(list, found));
		return;
	}
	if (found == NULL) {
		found = cJSON_CreateObject();
		cJSON_AddStringToObject(found, "h", hash);
		cJSON_AddNumberToObject(found, "t", (double)now);
		cJSON_AddItemToArray(list, found);
		fake_cap_array(list, FT_MAX_IDEM);
	}
	fake_jset_str(found, "s", "d");
	fake_jset_num(found, "st", a->status);
	fake_jset_str(found, "b", a->text);
}

/* ---- webhooks --------------------------------------------------------------- */

/* webhooks.json: "seq", "deliveries": [{"id","transmissionId","eventType",
 * "paymentKey","orderId","paymentStatus","url","body","state":
 * pending|delivered|failed,"createdAtMs","nextAttemptAtMs","attempts":[…]}],
 * "received": [what _receiver got]. */

static cJSON *deliveries(void)
{
	return fake_jarr(st_hooks.root, "deliveries");
}

static bool delivery_pending(const cJSON *d)
{
	const char *s = fake_jstr(d, "state");
	return s && strcmp(s, "pending") == 0;
}

static cJSON *delivery_find(int64_t id)
{
	cJSON *d;
	cJSON_ArrayForEach(d, deliveries())
	{
		if (fake_jnum(d, "id", 0) == id)
			return d;
	}
	return NULL;
}

/* Queues PAYMENT_STATUS_CHANGED for the Payment p to url; the delivery's
 * id, 0 when the store failed. */
static int64_t wh_enqueue(const cJSON *p, const char *url, int64_t now)
{
	cJSON *payload = cJSON_CreateObject(), *d, *list;
	char created[40], tid[40];
	char *body;
	int64_t id = 0;

	webhook_time(now, created);
	cJSON_AddStringToObject(payload, "eventType", "PAYMENT_STATUS_CHANGED");
	cJSON_AddStringToObject(payload, "createdAt", created);
	cJSON_AddItemToObject(payload, "data", cJSON_Duplicate(p, true));
	body = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	memcpy(tid, "wh_", 3);
	if (body == NULL || !tk_random_hex(tid + 3, 16) || !fake_store_lock(&st_hooks)) {
		cJSON_free(body);
		return 0;
	}
	id = fake_jnum(st_hooks.root, "seq", 0) + 1;
	fake_jset_num(st_hooks.root, "seq", id);
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "id", (double)id);
	cJSON_AddStringToObject(d, "transmissionId", tid);
	cJSON_AddStringToObject(d, "eventType", "PAYMENT_STATUS_CHANGED");
	fake_jset_str(d, "paymentKey", fake_jstr(p, "paymentKey"));
	fake_jset_str(d, "orderId", fake_jstr(p, "orderId"));
	fake_jset_str(d, "paymentStatus", fake_jstr(p, "status"));
	cJSON_AddStringToObject(d, "url", url);
	cJSON_AddStringToObject(d, "body", body);
	cJSON_AddStringToObject(d, "state", "pending");
	cJSON_AddNumberToObject(d, "createdAtMs", (double)now);
	cJSON_AddNumberToObject(d, "nextAttemptAtMs", (double)now);
	cJSON_AddArrayToObject(d, "attempts");
	list = deliveries();
	cJSON_AddItemToArray(list, d);
	/* Over the cap, finished deliveries go first, then the oldest. */
	for (cJSON *x = list->child; x && cJSON_GetArraySize(list) > FT_MAX_DELIVERIES;) {
		cJSON *next = x->next;
		if (!delivery_pending(x))
			cJSON_Delete(cJSON_DetachItemViaPointer(list, x));
		x = next;
	}
	fake_cap_array(list, FT_MAX_DELIVERIES);
	fake_store_save(&st_hooks);
	fake_store_unlock(&st_hooks);
	cJSON_free(body);
	log_event(LOG_INFO, "fake_toss_webhook_queued", "paymentKey", fake_jstr(p, "paymentKey"),
	          "status", fake_jstr(p, "status"), "url", url, NULL);
	return id;
}

static bool hooks_pending(void)
{
	bool any = false;
	cJSON *d;

	if (!fake_store_lock(&st_hooks))
		return false;
	cJSON_ArrayForEach(d, deliveries())
	{
		if (delivery_pending(d)) {
			any = true;
			break;
		}
	}
	fake_store_unlock(&st_hooks);
	return any;
}

static int deliver_lock_open(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/deliver.lock", fake_dir());
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

static size_t discard_body(char *p, size_t size, size_t n, void *ctx)
{
	TK_UNUSED(p);
	TK_UNUSED(ctx);
	return size * n;
}

/* One POST of a delivery; the receiver's HTTP status, 0 with err set when
 * there was no answer (refused, timeout). */
static long deliver_post(const char *url, const char *body, const char *tid, int64_t retried,
                         int64_t now, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char line[200], iso[40];
	long code = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return 0;
	}
	iso_ms(now, iso);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	snprintf(line, sizeof(line), "tosspayments-webhook-transmission-id: %s", tid);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "tosspayments-webhook-transmission-time: %s", iso);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "tosspayments-webhook-transmission-retried-count: %lld",
	         (long long)retried);
	h = curl_slist_append(h, line);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, FT_WEBHOOK_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "TossPayments-Webhook (ticketd fake)");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

/* Records one attempt of delivery id and schedules the next. */
static void delivery_record(int64_t id, int64_t at, int64_t retried, long status, const char *err,
                            int64_t took, const struct knobs *k)
{
	cJSON *d, *a;
	char iso[40];
	int64_t delay = 0;

	if (!fake_store_lock(&st_hooks))
		return;
	d = delivery_find(id); /* gone when evicted meanwhile */
	if (d) {
		iso_ms(at, iso);
		a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "retriedCount", (double)retried);
		cJSON_AddStringToObject(a, "at", iso);
		cJSON_AddNumberToObject(a, "atMs", (double)at);
		cJSON_AddNumberToObject(a, "httpStatus", (double)status);
		fake_jset_str(a, "error", err && *err ? err : NULL);
		cJSON_AddNumberToObject(a, "ms", (double)took);
		if (status == 200) {
			fake_jset_str(d, "state", "delivered");
		} else if (retried >= FT_WEBHOOK_RETRIES) {
			fake_jset_str(d, "state", "failed");
		} else {
			delay = k->retry_ms;
			for (int64_t i = 0; i < retried; i++)
				delay *= 4; /* ≤ 3.6e6 × 4^6: no overflow */
			fake_jset_num(d, "nextAttemptAtMs", tk_now_ms() + delay);
		}
		if (delay)
			cJSON_AddNumberToObject(a, "nextDelayMs", (double)delay);
		else
			cJSON_AddNullToObject(a, "nextDelayMs");
		cJSON_AddItemToArray(fake_jarr(d, "attempts"), a);
		fake_store_save(&st_hooks);
	}
	fake_store_unlock(&st_hooks);
	log_msg(status == 200 ? LOG_INFO : LOG_WARN, "fake_toss_webhook_attempt",
	        "delivery %lld retried %lld: %ld %s", (long long)id, (long long)retried, status,
	        err && *err ? err : "");
}

/* The delivering child: works through due deliveries until none is pending,
 * then exits. It holds deliver.lock all along, so there is one at a time
 * however many workers there are; PR_SET_PDEATHSIG ends it with its worker. */
static void __attribute__((noreturn)) deliverer_main(pid_t parent)
{
	int lock_fd, devnull;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	log_set_request_id(NULL);
	/* Neither the FastCGI listen socket (fd 0) nor the connection of the
	 * request that forked us may stay open here. */
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0 && devnull != 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	close_range(3, ~0U, 0);
	st_state.fd = st_knobs.fd = st_hooks.fd = -1;
	lock_fd = deliver_lock_open();
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
		_exit(0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (;;) {
		struct knobs k;
		char *url = NULL, *body = NULL, tid[64] = "", err[CURL_ERROR_SIZE] = "";
		int64_t id = 0, retried = 0, now, t0;
		bool pending = false;
		long status;
		cJSON *d;

		if (!knobs_effective(&k))
			k = env_knobs;
		if (!fake_store_lock(&st_hooks))
			_exit(1);
		now = tk_now_ms();
		cJSON_ArrayForEach(d, deliveries())
		{
			if (!delivery_pending(d))
				continue;
			pending = true;
			if (fake_jnum(d, "nextAttemptAtMs", 0) <= now && fake_jstr(d, "url") &&
			    fake_jstr(d, "body")) {
				id = fake_jnum(d, "id", 0);
				retried = cJSON_GetArraySize(
				    cJSON_GetObjectItemCaseSensitive(d, "attempts"));
				url = strdup(fake_jstr(d, "url"));
				body = strdup(fake_jstr(d, "body"));
				snprintf(tid, sizeof(tid), "%s",
				         fake_jstr(d, "transmissionId")
				             ? fake_jstr(d, "transmissionId")
				             : "");
				break;
			}
		}
		if (!pending) {
			/* Released before the store: a delivery queued after this
			 * look finds deliver.lock free and starts a new child. */
			close(lock_fd);
			fake_store_unlock(&st_hooks);
			_exit(0);
		}
		fake_store_unlock(&st_hooks);
		if (id == 0 || url == NULL || body == NULL) {
			free(url);
			free(body);
			fake_sleep_ms(FT_DELIVERER_POLL_MS);
			continue;
		}
		t0 = tk_now_ms();
		status = deliver_post(url, body, tid, retried, t0, err, sizeof(err));
		delivery_record(id, t0, retried, status, err, tk_now_ms() - t0, &k);
		free(url);
		free(body);
	}
}

/* Makes sure pending deliveries have a deliverer: called on every request. */
static void deliverer_kick(void)
{
	pid_t parent = getpid(), pid;
	int fd;

	while (waitpid(-1, NULL, WNOHANG) > 0) /* reap finished deliverers */
		;
	if (!hooks_pending())
		return;
	fd = deliver_lock_open();
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) { /* one runs already */
		close(fd);
		return;
	}
	close(fd);
	pid = fork();
	if (pid < 0)
		log_msg(LOG_ERROR, "fake_toss_fork", "%s", strerror(errno));
	else if (pid == 0)
		deliverer_main(parent);
}

/* Queues the collected status changes when auto_webhook is on. */
static void events_flush(const cJSON *events, const struct knobs *k)
{
	const cJSON *p;
	bool any = false;

	if (!k->auto_webhook)
		return;
	cJSON_ArrayForEach(p, events)
	{
		any = wh_enqueue(p, k->webhook_url, tk_now_ms()) > 0 || any;
	}
	if (any)
		deliverer_kick();
}

/* ---- request steps ---------------------------------------------------------- */

/* READY / IN_PROGRESS payments past their window expire; abandoned
 * idempotency records go. At most every FT_SWEEP_MS per process. */
static void sweep(struct http_req *r, const struct knobs *k)
{
	int64_t now = tk_now_ms();
	cJSON *events, *rec;
	bool changed = false;

	if (now - g_last_sweep < FT_SWEEP_MS)
		return;
	g_last_sweep = now;
	events = http_own(r, cJSON_CreateArray());
	if (!fake_store_lock(&st_state))
		return;
	cJSON_ArrayForEach(rec, payments())
	{
		changed = pay_expire(rec, k, now, events) || changed;
	}
	idem_find_purge("", now, &changed);
	if (changed)
		fake_store_save(&st_state);
	fake_store_unlock(&st_state);
	events_flush(events, k);
}

/* First step of every handler: settings, the sweep, pending webhooks. */
static bool begin_or_reply(struct http_req *r, struct knobs *k)
{
	if (!ft_init() || !knobs_effective(k)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return false;
	}
	sweep(r, k);
	deliverer_kick();
	return true;
}

/* The API key of a request with valid Basic auth ("secretKey:" in base64);
 * NULL after answering 403 INCORRECT_BASIC_AUTH_FORMAT (missing header,
 * another scheme, bad base64, no colon) or 401 UNAUTHORIZED_KEY. */
static const char *auth_or_reply(struct http_req *r)
{
	const char *h = http_header(r, "Authorization"), *cred;
	char plain[FT_MAX_AUTH];
	char *colon;
	size_t n, want = strlen(cfg.toss_secret_key);

	if (h == NULL || strlen(h) >= FT_MAX_AUTH || strncasecmp(h, "Basic ", 6) != 0)
		goto bad_format;
	for (cred = h + 6; *cred == ' ';)
		cred++;
	if (!b64_decode(cred, plain, sizeof(plain)) || (colon = strchr(plain, ':')) == NULL)
		goto bad_format;
	*colon = '\0';
	n = strlen(plain);
	if (want == 0 || n != want || CRYPTO_memcmp(plain, cfg.toss_secret_key, n) != 0) {
		reply_error(r, "UNAUTHORIZED_KEY", NULL);
		return NULL;
	}
	return cfg.toss_secret_key;
bad_format:
	reply_error(r, "INCORRECT_BASIC_AUTH_FORMAT", NULL);
	return NULL;
}

/* TossPayments-Test-Code (test keys only): true after answering that error. */
static bool test_code_replied(struct http_req *r, const char *api_key)
{
	const char *code = http_header(r, "TossPayments-Test-Code");

	if (code == NULL || strncmp(api_key, "test_", 5) != 0)
		return false;
	if (!valid_code(code))
		reply_error(r, "INVALID_REQUEST", "TossPayments-Test-Code 형식이 잘못되었습니다.");
	else
		reply_error(r, code, NULL);
	return true;
}

/* An API operation, run with the state locked: fills the answer, queues
 * status changes in events, and says whether it changed the state. */
typedef bool (*op_fn)(struct http_req *r, const cJSON *body, const struct knobs *k, int64_t now,
                      struct answer *a, cJSON *events);

static bool answer_payment(struct http_req *r, struct answer *a, const cJSON *rec)
{
	answer_json(r, a, 200, rec_p(rec));
	return true;
}

/* fail_next with "abort": the payment of a confirm ends ABORTED. */
static bool abort_payment(const cJSON *body, const char *code, cJSON *events)
{
	const char *key = fake_jstr(body, "paymentKey");
	cJSON *rec = key ? pay_find(key) : NULL;

	if (rec == NULL || strcmp(rec_status(rec), "IN_PROGRESS") != 0)
		return false;
	pay_abort(rec, code);
	event_add(events, rec);
	return true;
}

/* A POST of the API: auth, test code, idempotency, faults, then op. */
static void api_post(struct http_req *r, enum kind kind, op_fn op)
{
	struct knobs k;
	struct fault f;
	struct answer a;
	char hash[65];
	enum idem_res idem;
	const char *api_key;
	cJSON *body, *events;
	bool changed = false;
	int64_t now;

	if (!begin_or_reply(r, &k))
		return;
	if ((api_key = auth_or_reply(r)) == NULL || test_code_replied(r, api_key))
		return;
	idem = idem_begin(r, api_key, hash);
	if (idem == IDEM_DONE)
		return;
	if (!knobs_take(kind, &f))
		memset(&f, 0, sizeof(f));
	if (f.delay_ms > 0)
		fake_sleep_ms(f.delay_ms);
	body = http_own(r, r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL);
	events = http_own(r, cJSON_CreateArray());
	if (!fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return; /* the "in progress" record is dropped as abandoned later */
	}
	now = tk_now_ms();
	if (f.fail && f.abort && kind == KIND_CONFIRM) {
		changed = cJSON_IsObject(body) && abort_payment(body, f.code, events);
		answer_error_status(r, &a, f.status, f.code);
	} else if (f.fail && !f.after) {
		answer_error_status(r, &a, f.status, f.code);
	} else if (!cJSON_IsObject(body)) {
		answer_error(r, &a, "INVALID_REQUEST", "요청 본문은 JSON 객체여야 합니다.");
	} else {
		changed = op(r, body, &k, now, &a, events);
		if (f.fail) /* "after": the work is done, the answer is lost */
			answer_error_status(r, &a, f.status, f.code);
	}
	if (idem == IDEM_NEW) {
		idem_set(hash, &a, now);
		changed = true;
	}
	if (changed)
		fake_store_save(&st_state);
	fake_store_unlock(&st_state);
	events_flush(events, &k);
	send_answer(r, &a);
}

/* A GET of the API: auth, test code, faults, then op (body NULL). */
static void api_get(struct http_req *r, op_fn op)
{
	struct knobs k;
	struct fault f;
	struct answer a;
	const char *api_key;
	cJSON *events;
	bool changed = false;

	if (!begin_or_reply(r, &k))
		return;
	if ((api_key = auth_or_reply(r)) == NULL || test_code_replied(r, api_key))
		return;
	if (!knobs_take(KIND_GET, &f))
		memset(&f, 0, sizeof(f));
	if (f.delay_ms > 0)
		fake_sleep_ms(f.delay_ms);
	events = http_own(r, cJSON_CreateArray());
	if (!fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	if (f.fail && !f.after) {
		answer_error_status(r, &a, f.status, f.code);
	} else {
		changed = op(r, NULL, &k, tk_now_ms(), &a, events);
		if (f.fail)
			answer_error_status(r, &a, f.status, f.code);
	}
	if (changed)
		fake_store_save(&st_state);
	fake_store_unlock(&st_state);
	events_flush(events, &k);
	send_answer(r, &a);
}

/* ---- API operations ------------------------------------------------------- */

static bool op_confirm(struct http_req *r, const cJSON *body, const struct knobs *k, int64_t now,
                       struct answer *a, cJSON *events)
{
	const char *key = fake_jstr(body, "paymentKey"), *order_id = fake_jstr(body, "orderId");
	cJSON *rec, *paid;
	int64_t amount;
	bool changed;

	if (!valid_payment_key(key) || !valid_order_id(order_id) ||
	    !fake_json_i64(cJSON_GetObjectItemCaseSensitive(body, "amount"), 1, FT_MAX_AMOUNT,
	                   &amount)) {
		answer_error(r, a, "INVALID_REQUEST",
		             "paymentKey, orderId(6~64자), amount(양의 정수)가 필요합니다.");
		return false;
	}
	rec = pay_find(key);
	if (rec == NULL || strcmp(fake_jstr(rec_p(rec), "orderId"), order_id) != 0) {
		answer_error(r, a, "NOT_FOUND_PAYMENT", NULL);
		return false;
	}
	changed = pay_expire(rec, k, now, events);
	if (status_paid(rec_status(rec))) {
		answer_error(r, a, "ALREADY_PROCESSED_PAYMENT", NULL);
		return changed;
	}
	paid = pay_find_order(order_id);
	if (paid && status_paid(rec_status(paid))) {
		answer_error(r, a, "DUPLICATED_ORDER_ID", NULL);
		return changed;
	}
	if (strcmp(rec_status(rec), "IN_PROGRESS") != 0 ||
	    now - fake_jnum(rec, "authMs", 0) > k->session_s * 1000) {
		answer_error(r, a, "NOT_FOUND_PAYMENT_SESSION", NULL);
		return changed;
	}
	if (amount != fake_jnum(rec, "opened", -1)) {
		answer_error(r, a, "INVALID_REQUEST",
		             "결제 금액이 결제창의 금액과 일치하지 않습니다.");
		return changed;
	}
	pay_approve(rec, now);
	event_add(events, rec);
	return answer_payment(r, a, rec);
}

static bool op_cancel(struct http_req *r, const cJSON *body, const struct knobs *k, int64_t now,
                      struct answer *a, cJSON *events)
{
	const char *key = http_param(r, "payment_key"), *reason = fake_jstr(body, "cancelReason");
	const cJSON *amt = cJSON_GetObjectItemCaseSensitive(body, "cancelAmount");
	int64_t amount = 0, balance;
	cJSON *rec;
	bool changed;

	if (reason == NULL || *reason == '\0' || tk_utf8_len(reason) > FT_MAX_REASON) {
		answer_error(r, a, "INVALID_REQUEST", "cancelReason 은 1~200자여야 합니다.");
		return false;
	}
	if (amt && !cJSON_IsNull(amt) && !fake_json_i64(amt, 1, FT_MAX_AMOUNT, &amount)) {
		answer_error(r, a, "INVALID_REQUEST", "cancelAmount 는 양의 정수여야 합니다.");
		return false;
	}
	rec = valid_payment_key(key) ? pay_find(key) : NULL;
	if (rec == NULL) {
		answer_error(r, a, "NOT_FOUND_PAYMENT", NULL);
		return false;
	}
	changed = pay_expire(rec, k, now, events);
	if (strcmp(rec_status(rec), "CANCELED") == 0) {
		answer_error(r, a, "ALREADY_CANCELED_PAYMENT", NULL);
		return changed;
	}
	if (!status_paid(rec_status(rec)) || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	                                         rec_p(rec), "cancels")) >= FT_MAX_CANCELS) {
		answer_error(r, a, "NOT_CANCELABLE_PAYMENT", NULL);
		return changed;
	}
	balance = fake_jnum(rec_p(rec), "balanceAmount", 0);
	if (amount == 0)
		amount = balance; /* omitted: all that is left */
	if (amount > balance) {
		answer_error(r, a, "NOT_CANCELABLE_AMOUNT", NULL);
		return changed;
	}
	pay_cancel(rec, reason, amount, now);
	event_add(events, rec);
	return answer_payment(r, a, rec);
}

static bool op_get(struct http_req *r, const cJSON *body, const struct knobs *k, int64_t now,
                   struct answer *a, cJSON *events)
{
	const char *key = http_param(r, "payment_key");
	cJSON *rec = valid_payment_key(key) ? pay_find(key) : NULL;
	bool changed;

	TK_UNUSED(body);
	if (rec == NULL) {
		answer_error(r, a, "NOT_FOUND_PAYMENT", NULL);
		return false;
	}
	changed = pay_expire(rec, k, now, events);
	answer_payment(r, a, rec);
	return changed;
}

static bool op_get_by_order(struct http_req *r, const cJSON *body, const struct knobs *k,
                            int64_t now, struct answer *a, cJSON *events)
{
	const char *order_id = http_param(r, "order_id");
	cJSON *rec = valid_order_id(order_id) ? pay_find_order(order_id) : NULL;
	bool changed;

	TK_UNUSED(body);
	if (rec == NULL) {
		answer_error(r, a, "NOT_FOUND_PAYMENT", NULL);
		return false;
	}
	changed = pay_expire(rec, k, now, events);
	answer_payment(r, a, rec);
	return changed;
}

static void h_confirm(struct http_req *r)
{
	api_post(r, KIND_CONFIRM, op_confirm);
}

static void h_cancel(struct http_req *r)
{
	api_post(r, KIND_CANCEL, op_cancel);
}

static void h_get(struct http_req *r)
{
	api_get(r, op_get);
}

static void h_get_by_order(struct http_req *r)
{
	api_get(r, op_get_by_order);
}

/* ---- the payment window ----------------------------------------------------- */

/* Query parameters the window passes along from one step to the next. */
static const char *const checkout_params[] = {
    "clientKey",    "orderId",       "orderName",          "amount", "successUrl", "failUrl",
    "customerName", "customerEmail", "customerMobilePhone"};

/* url + "?" or "&" as its query needs. */
static const char *query_sep(const char *url)
{
	size_t n = strlen(url);
	if (strchr(url, '?') == NULL)
		return "?";
	return n && (url[n - 1] == '?' || url[n - 1] == '&') ? "" : "&";
}

static void redirect_fail(struct http_req *r, const char *fail_url, const char *code,
                          const char *order_id)
{
	reply_found(r, arena_printf(r->arena, "%s%scode=%s&message=%s&orderId=%s", fail_url,
	                            query_sep(fail_url), fake_url_enc(r->arena, code),
	                            fake_url_enc(r->arena, code_message(code)),
	                            fake_url_enc(r->arena, order_id)));
}

static void checkout_page(struct http_req *r, const cJSON *rec)
{
	const cJSON *p = rec_p(rec);
	const char *key = fake_jstr(p, "paymentKey"), *q = "";
	char amount[32];
	char *html;

	for (size_t i = 0; i < TK_ARRAY_LEN(checkout_params); i++) {
		const char *v = http_query(r, checkout_params[i]);
		if (v)
			q = arena_printf(r->arena, "%s%s=%s&", q, checkout_params[i],
			                 fake_url_enc_keep(r->arena, v, ":/@"));
	}
	q = arena_printf(r->arena, "checkout?%spaymentKey=%s", q, fake_url_enc(r->arena, key));
	fake_won(fake_jnum(p, "totalAmount", 0), amount);
	html = arena_printf(
	    r->arena,
	    "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>토스페이먼츠 결제 (테스트)</title><style>"
	    "body{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;"
	    "color:#191f28}.amount{font-size:1.6rem;font-weight:700}"
	    "a.btn{display:block;margin:.75rem 0;padding:.9rem;border-radius:.5rem;"
	    "text-align:center;text-decoration:none}#approve{background:#3182f6;color:#fff}"
	    "#fail{background:#f2f4f6;color:#4e5968}.note{color:#8b95a1;font-size:.85rem}"
	    "</style></head><body>\n<h1>결제하기</h1>\n"
	    "<p>주문명: <strong>%s</strong></p>\n<p>주문번호: %s</p>\n"
	    "<p class=\"amount\">%s원</p>\n<p>결제수단: 카드</p>\n"
	    "<a class=\"btn\" id=\"approve\" href=\"%s\">결제 승인</a>\n"
	    "<a class=\"btn\" id=\"fail\" href=\"%s\">결제 취소</a>\n"
	    "<p class=\"note\">테스트 결제창입니다. 실제로 결제되지 않습니다.</p>\n"
	    "</body></html>\n",
	    fake_html_esc(r->arena, fake_jstr(p, "orderName")),
	    fake_html_esc(r->arena, fake_jstr(p, "orderId")), amount,
	    fake_html_esc(r->arena, arena_printf(r->arena, "%s&action=approve", q)),
	    fake_html_esc(r->arena, arena_printf(r->arena, "%s&action=fail", q)));
	fake_reply_html(r, 200, html);
}

/* A checkout parameter problem: 400 INVALID_REQUEST naming it. */
static void checkout_invalid(struct http_req *r, const char *what)
{
	reply_error(r, "INVALID_REQUEST",
	            arena_printf(r->arena, "%s 값이 올바르지 않습니다.", what));
}

static bool text_ok(const char *s, size_t max)
{
	if (s == NULL)
		return true;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return tk_utf8_len(s) <= max;
}

static void h_checkout(struct http_req *r)
{
	struct knobs k;
	const char *client_key = http_query(r, "clientKey"), *order_id = http_query(r, "orderId");
	const char *order_name = http_query(r, "orderName"), *amount_s = http_query(r, "amount");
	const char *success_url = http_query(r, "successUrl"), *fail_url = http_query(r, "failUrl");
	const char *action = http_query(r, "action"), *code = http_query(r, "code");
	const char *key = http_query(r, "paymentKey");
	const char *customer[] = {"customerName", "customerEmail", "customerMobilePhone"};
	int64_t amount, now;
	cJSON *rec;
	char *pkey;

	if (!begin_or_reply(r, &k))
		return;
	if (client_key == NULL || *cfg.toss_client_key == '\0' ||
	    strcmp(client_key, cfg.toss_client_key) != 0) {
		reply_error(r, "UNAUTHORIZED_KEY", NULL);
		return;
	}
	if (!valid_order_id(order_id)) {
		checkout_invalid(r, "orderId");
		return;
	}
	if (order_name == NULL || *order_name == '\0' || !text_ok(order_name, FT_MAX_ORDER_NAME)) {
		checkout_invalid(r, "orderName");
		return;
	}
	if (amount_s == NULL || !tk_parse_i64(amount_s, 1, FT_MAX_AMOUNT, &amount)) {
		checkout_invalid(r, "amount");
		return;
	}
	if (!valid_abs_url(success_url)) {
		checkout_invalid(r, "successUrl");
		return;
	}
	if (!valid_abs_url(fail_url)) {
		checkout_invalid(r, "failUrl");
		return;
	}
	for (size_t i = 0; i < TK_ARRAY_LEN(customer); i++)
		if (!text_ok(http_query(r, customer[i]), FT_MAX_CUSTOMER)) {
			checkout_invalid(r, customer[i]);
			return;
		}
	if (action && strcmp(action, "approve") != 0 && strcmp(action, "fail") != 0) {
		checkout_invalid(r, "action");
		return;
	}
	if (code && !valid_code(code)) {
		checkout_invalid(r, "code");
		return;
	}
	if (key && !valid_payment_key(key)) {
		checkout_invalid(r, "paymentKey");
		return;
	}

	if (action && strcmp(action, "fail") == 0) /* the buyer gave up: nothing changes */
	{
		redirect_fail(r, fail_url, code ? code : "PAY_PROCESS_CANCELED", order_id);
		return;
	}
	if (r->method == HTTP_HEAD) {
		http_reply(r, 200, "text/html; charset=utf-8", "", 0);
		return;
	}
	if (!fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	now = tk_now_ms();
	rec = pay_find_order(order_id);
	if (rec && status_paid(rec_status(rec))) {
		fake_store_unlock(&st_state);
		{
			redirect_fail(r, fail_url, "DUPLICATED_ORDER_ID", order_id);
			return;
		}
	}
	if (action == NULL) {
		rec = pay_new(r, order_id, order_name, amount, now);
		fake_store_save(&st_state);
		checkout_page(r, rec);
		fake_store_unlock(&st_state);
		return;
	}
	/* approve: the page's own payment, or a new one at once */
	if (key) {
		bool changed;
		rec = pay_find(key);
		if (rec == NULL || strcmp(fake_jstr(rec_p(rec), "orderId"), order_id) != 0 ||
		    fake_jnum(rec, "opened", -1) != amount) {
			fake_store_unlock(&st_state);
			{
				checkout_invalid(r, "paymentKey");
				return;
			}
		}
		changed = pay_expire(rec, &k, now, NULL);
		if (strcmp(rec_status(rec), "READY") != 0 &&
		    strcmp(rec_status(rec), "IN_PROGRESS") != 0) {
			if (changed)
				fake_store_save(&st_state);
			fake_store_unlock(&st_state);
			{
				redirect_fail(r, fail_url, "PAY_PROCESS_ABORTED", order_id);
				return;
			}
		}
	} else {
		rec = pay_new(r, order_id, order_name, amount, now);
	}
	if (strcmp(rec_status(rec), "READY") == 0)
		pay_authenticate(rec, now);
	pkey = arena_strdup(r->arena, fake_jstr(rec_p(rec), "paymentKey"));
	fake_store_save(&st_state);
	fake_store_unlock(&st_state);
	reply_found(
	    r, arena_printf(r->arena, "%s%spaymentType=NORMAL&orderId=%s&paymentKey=%s&amount=%lld",
	                    success_url, query_sep(success_url), fake_url_enc(r->arena, order_id),
	                    fake_url_enc(r->arena, pkey), (long long)amount));
}

static void h_receipt(struct http_req *r)
{
	struct knobs k;
	const char *key = http_query(r, "paymentKey");
	cJSON *rec, *p;
	char amount[32], balance[32];

	if (!begin_or_reply(r, &k))
		return;
	if (!fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	rec = valid_payment_key(key) ? pay_find(key) : NULL;
	if (rec == NULL) {
		fake_store_unlock(&st_state);
		fake_reply_html(
		    r, 404,
		    "<!doctype html>\n<html lang=\"ko\"><meta charset=\"utf-8\">"
		    "<title>영수증</title><p>결제 정보를 찾을 수 없습니다.</p></html>\n");
		return;
	}
	p = http_own(r, cJSON_Duplicate(rec_p(rec), true));
	fake_store_unlock(&st_state);
	fake_won(fake_jnum(p, "totalAmount", 0), amount);
	fake_won(fake_jnum(p, "balanceAmount", 0), balance);
	fake_reply_html(
	    r, 200,
	    arena_printf(r->arena,
	                 "<!doctype html>\n<html lang=\"ko\"><meta charset=\"utf-8\">"
	                 "<title>카드 영수증 (테스트)</title>\n<h1>카드 영수증</h1>\n"
	                 "<p>주문명: %s</p>\n<p>주문번호: %s</p>\n<p>결제 금액: %s원</p>\n"
	                 "<p>취소 가능 금액: %s원</p>\n<p>상태: %s</p>\n</html>\n",
	                 fake_html_esc(r->arena, fake_jstr(p, "orderName")),
	                 fake_html_esc(r->arena, fake_jstr(p, "orderId")), amount, balance,
	                 fake_html_esc(r->arena, fake_jstr(p, "status"))));
}

/* ---- test controls ---------------------------------------------------------- */

static cJSON *knobs_view(const struct knobs *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "session_s", (double)k->session_s);
	cJSON_AddNumberToObject(o, "window_s", (double)k->window_s);
	cJSON_AddNumberToObject(o, "retry_ms", (double)k->retry_ms);
	cJSON_AddStringToObject(o, "webhook_url", k->webhook_url);
	cJSON_AddBoolToObject(o, "auto_webhook", k->auto_webhook);
	return o;
}

static void control_reply(struct http_req *r)
{
	struct knobs k;
	cJSON *o = cJSON_CreateObject();

	if (!knobs_effective(&k) || !fake_store_lock(&st_knobs)) {
		cJSON_Delete(o);
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	cJSON_AddItemToObject(o, "settings", knobs_view(&k));
	cJSON_AddItemToObject(o, "env", knobs_view(&env_knobs));
	cJSON_AddItemToObject(o, "overrides",
	                      cJSON_Duplicate(fake_jobj(st_knobs.root, "overrides"), true));
	cJSON_AddItemToObject(o, "fail_next",
	                      cJSON_Duplicate(fake_jobj(st_knobs.root, "fail_next"), true));
	cJSON_AddItemToObject(o, "delay_next",
	                      cJSON_Duplicate(fake_jobj(st_knobs.root, "delay_next"), true));
	fake_store_unlock(&st_knobs);
	fake_reply_obj(r, 200, o);
}

static void h_control_get(struct http_req *r)
{
	struct knobs k;
	if (begin_or_reply(r, &k))
		control_reply(r);
}

static int kind_index(const char *name)
{
	for (size_t i = 0; i < TK_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i], name) == 0)
			return (int)i;
	return -1;
}

/* The code a fault answers with when only its status was given. */
static const char *code_for_status(int64_t status)
{
	switch (status) {
	case 401: return "UNAUTHORIZED_KEY";
	case 403: return "REJECT_CARD_PAYMENT";
	case 404: return "NOT_FOUND_PAYMENT";
	case 409: return "IDEMPOTENT_REQUEST_PROCESSING";
	default: return status >= 500 ? "FAILED_INTERNAL_SYSTEM_PROCESSING" : "PROVIDER_ERROR";
	}
}

/* Applies {"fail_next":{…}} to root; NULL or the problem. */
static const char *control_fail(cJSON *root, const cJSON *spec)
{
	const cJSON *m;
	int64_t status = 0, n;
	const char *code = NULL;
	bool after = false, abort_it = false;

	if (!cJSON_IsObject(spec))
		return "fail_next 는 객체여야 합니다.";
	cJSON_ArrayForEach(m, spec)
	{
		if (strcmp(m->string, "status") == 0) {
			if (!fake_json_i64(m, 400, 599, &status))
				return "fail_next.status 는 400~599 여야 합니다.";
		} else if (strcmp(m->string, "code") == 0) {
			if (!cJSON_IsString(m) || !valid_code(m->valuestring))
				return "fail_next.code 는 A-Z, 0-9, _ 로 된 코드여야 합니다.";
			code = m->valuestring;
		} else if (strcmp(m->string, "after") == 0 || strcmp(m->string, "abort") == 0) {
			if (!cJSON_IsBool(m))
				return "fail_next.after/abort 는 true/false 여야 합니다.";
			*(strcmp(m->string, "after") == 0 ? &after : &abort_it) = cJSON_IsTrue(m);
		} else if (kind_index(m->string) < 0 || !fake_json_i64(m, 0, FT_MAX_FAULTS, &n)) {
			return "fail_next 의 항목은 confirm, cancel, get (0~1000 회), status, "
			       "code, "
			       "after, abort 입니다.";
		}
	}
	if (code == NULL)
		code = status ? code_for_status(status) : "FAILED_INTERNAL_SYSTEM_PROCESSING";
	if (status == 0)
		status = code_status(code);
	cJSON_ArrayForEach(m, spec)
	{
		cJSON *f;
		if (kind_index(m->string) < 0)
			continue;
		f = cJSON_CreateObject();
		cJSON_AddNumberToObject(f, "n", m->valuedouble);
		cJSON_AddNumberToObject(f, "status", (double)status);
		cJSON_AddStringToObject(f, "code", code);
		cJSON_AddBoolToObject(f, "after", after);
		cJSON_AddBoolToObject(f, "abort", abort_it);
		fake_jset(fake_jobj(root, "fail_next"), m->string, f);
	}
	return NULL;
}

static const char *control_delay(cJSON *root, const cJSON *spec)
{
	const cJSON *m;
	int64_t ms = -1, n;

	if (!cJSON_IsObject(spec))
		return "delay_next 는 객체여야 합니다.";
	cJSON_ArrayForEach(m, spec)
	{
		if (strcmp(m->string, "ms") == 0) {
			if (!fake_json_i64(m, 0, FT_MAX_DELAY_MS, &ms))
				return "delay_next.ms 는 0~55000 이어야 합니다.";
		} else if (kind_index(m->string) < 0 || !fake_json_i64(m, 0, FT_MAX_FAULTS, &n)) {
			return "delay_next 의 항목은 confirm, cancel, get (0~1000 회), ms 입니다.";
		}
	}
	cJSON_ArrayForEach(m, spec)
	{
		cJSON *f;
		if (kind_index(m->string) < 0)
			continue;
		if (ms < 0 && m->valuedouble > 0)
			return "delay_next.ms 가 필요합니다.";
		f = cJSON_CreateObject();
		cJSON_AddNumberToObject(f, "n", m->valuedouble);
		cJSON_AddNumberToObject(f, "ms", (double)(ms < 0 ? 0 : ms));
		fake_jset(fake_jobj(root, "delay_next"), m->string, f);
	}
	return NULL;
}

/* One runtime override; null removes it. */
static const char *control_override(cJSON *root, const cJSON *m)
{
	cJSON *o = fake_jobj(root, "overrides");
	int64_t n;

	if (cJSON_IsNull(m)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, m->string);
		return NULL;
	}
	if (strcmp(m->string, "webhook_url") == 0) {
		if (!cJSON_IsString(m) || !valid_abs_url(m->valuestring))
			return "webhook_url 은 http(s) 절대 URL 이어야 합니다.";
	} else if (strcmp(m->string, "auto_webhook") == 0) {
		if (!cJSON_IsBool(m))
			return "auto_webhook 은 true/false 여야 합니다.";
	} else if (strcmp(m->string, "retry_ms") == 0) {
		if (!fake_json_i64(m, 1, 3600000, &n))
			return "retry_ms 는 1~3600000 이어야 합니다.";
	} else if (!fake_json_i64(m, 1, 30 * 86400, &n)) {
		return "session_s / window_s 는 1~2592000 이어야 합니다.";
	}
	fake_jset(o, m->string, cJSON_Duplicate(m, true));
	return NULL;
}

static void h_control_post(struct http_req *r)
{
	struct knobs k;
	const cJSON *body, *m;
	const char *problem = NULL;
	cJSON *root;

	if (!begin_or_reply(r, &k))
		return;
	body = http_own(r, cJSON_ParseWithLength(r->body, r->body_len));
	if (!cJSON_IsObject(body)) {
		reply_error(r, "INVALID_REQUEST", "요청 본문은 JSON 객체여야 합니다.");
		return;
	}
	if (!fake_store_lock(&st_knobs)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	/* Staged on a copy: a request with one bad member changes nothing. */
	root = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "reset"))
	           ? cJSON_CreateObject()
	           : cJSON_Duplicate(st_knobs.root, true);
	cJSON_ArrayForEach(m, body)
	{
		if (problem)
			break;
		if (strcmp(m->string, "reset") == 0)
			problem = cJSON_IsBool(m) ? NULL : "reset 은 true/false 여야 합니다.";
		else if (strcmp(m->string, "fail_next") == 0)
			problem = control_fail(root, m);
		else if (strcmp(m->string, "delay_next") == 0)
			problem = control_delay(root, m);
		else if (strcmp(m->string, "session_s") == 0 ||
		         strcmp(m->string, "window_s") == 0 || strcmp(m->string, "retry_ms") == 0 ||
		         strcmp(m->string, "webhook_url") == 0 ||
		         strcmp(m->string, "auto_webhook") == 0)
			problem = control_override(root, m);
		else
			problem = arena_printf(r->arena, "알 수 없는 항목: %s", m->string);
	}
	if (problem) {
		cJSON_Delete(root);
		fake_store_unlock(&st_knobs);
		reply_error(r, "INVALID_REQUEST", problem);
		return;
	}
	cJSON_Delete(st_knobs.root);
	st_knobs.root = root;
	fake_store_save(&st_knobs);
	fake_store_unlock(&st_knobs);
	log_event(LOG_INFO, "fake_toss_control", "body", r->body, NULL);
	control_reply(r);
}

static cJSON *delivery_view(const cJSON *d)
{
	cJSON *v = cJSON_CreateObject();
	char iso[40];
	static const char *const strs[] = {"transmissionId", "eventType", "paymentKey", "orderId",
	                                   "paymentStatus",  "url",       "state"};

	cJSON_AddNumberToObject(v, "id", (double)fake_jnum(d, "id", 0));
	for (size_t i = 0; i < TK_ARRAY_LEN(strs); i++)
		fake_jset_str(v, strs[i], fake_jstr(d, strs[i]));
	iso_ms(fake_jnum(d, "createdAtMs", 0), iso);
	cJSON_AddStringToObject(v, "createdAt", iso);
	cJSON_AddNumberToObject(v, "createdAtMs", (double)fake_jnum(d, "createdAtMs", 0));
	if (delivery_pending(d))
		cJSON_AddNumberToObject(v, "nextAttemptAtMs",
		                        (double)fake_jnum(d, "nextAttemptAtMs", 0));
	else
		cJSON_AddNullToObject(v, "nextAttemptAtMs");
	cJSON_AddItemToObject(
	    v, "attempts", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(d, "attempts"), true));
	cJSON_AddItemToObject(v, "payload",
	                      fake_jstr(d, "body") ? cJSON_Parse(fake_jstr(d, "body"))
	                                           : cJSON_CreateNull());
	return v;
}

static void h_send_webhook(struct http_req *r)
{
	struct knobs k;
	const cJSON *body;
	const char *key, *url;
	cJSON *rec, *p, *o, *d;
	int64_t id;

	if (!begin_or_reply(r, &k))
		return;
	body = http_own(r, cJSON_ParseWithLength(r->body, r->body_len));
	key = fake_jstr(body, "paymentKey");
	url = fake_jstr(body, "url");
	if (!valid_payment_key(key)) {
		reply_error(r, "INVALID_REQUEST", "paymentKey 가 필요합니다.");
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(body, "url") &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(body, "url")) && !valid_abs_url(url)) {
		reply_error(r, "INVALID_REQUEST", "url 은 http(s) 절대 URL 이어야 합니다.");
		return;
	}
	if (!fake_store_lock(&st_state)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	rec = pay_find(key);
	p = rec ? http_own(r, cJSON_Duplicate(rec_p(rec), true)) : NULL;
	fake_store_unlock(&st_state);
	if (p == NULL) {
		reply_error(r, "NOT_FOUND_PAYMENT", NULL);
		return;
	}
	id = wh_enqueue(p, url ? url : k.webhook_url, tk_now_ms());
	if (id == 0 || !fake_store_lock(&st_hooks)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	d = delivery_find(id);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "delivery", d ? delivery_view(d) : cJSON_CreateNull());
	fake_store_unlock(&st_hooks);
	deliverer_kick();
	fake_reply_obj(r, 200, o);
}

static void h_run_webhooks(struct http_req *r)
{
	struct knobs k;
	int64_t now = tk_now_ms(), due = 0;
	cJSON *d, *o;

	if (!begin_or_reply(r, &k))
		return;
	if (!fake_store_lock(&st_hooks)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	cJSON_ArrayForEach(d, deliveries())
	{
		if (delivery_pending(d)) {
			fake_jset_num(d, "nextAttemptAtMs", now);
			due++;
		}
	}
	if (due)
		fake_store_save(&st_hooks);
	fake_store_unlock(&st_hooks);
	deliverer_kick();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "due", (double)due);
	fake_reply_obj(r, 200, o);
}

/* ?limit= in 1..FT_MAX_LIST (default 100); false after answering 400. */
static bool limit_or_reply(struct http_req *r, int64_t *limit)
{
	const char *l = http_query(r, "limit");
	*limit = 100;
	if (l && !tk_parse_i64(l, 1, FT_MAX_LIST, limit)) {
		reply_error(r, "INVALID_REQUEST", "limit 은 1~500 이어야 합니다.");
		return false;
	}
	return true;
}

static void h_webhooks(struct http_req *r)
{
	struct knobs k;
	const char *key = http_query(r, "paymentKey");
	int64_t limit;
	cJSON *items, *d, *o;

	if (!begin_or_reply(r, &k) || !limit_or_reply(r, &limit))
		return;
	if (!fake_store_lock(&st_hooks)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	items = cJSON_CreateArray();
	cJSON_ArrayForEach(d, deliveries())
	{
		const char *pk = fake_jstr(d, "paymentKey");
		if (key && (pk == NULL || strcmp(pk, key) != 0))
			continue;
		cJSON_AddItemToArray(items, delivery_view(d));
	}
	fake_store_unlock(&st_hooks);
	fake_cap_array(items, (int)limit); /* the newest ones */
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "items", items);
	fake_reply_obj(r, 200, o);
}

static void h_receiver_post(struct http_req *r)
{
	struct knobs k;
	const char *tag = http_query(r, "tag"), *fail = http_query(r, "fail");
	const char *st = http_query(r, "status");
	const char *retried_s = http_header(r, "tosspayments-webhook-transmission-retried-count");
	const char *tid = http_header(r, "tosspayments-webhook-transmission-id");
	const char *ttime = http_header(r, "tosspayments-webhook-transmission-time");
	int64_t fail_n = 0, status = 500, retried = -1;
	cJSON *e, *body, *o;
	int answer;

	if (!begin_or_reply(r, &k))
		return;
	if ((tag && !fake_chars_ok(tag, 0, FT_MAX_TAG, "-_")) ||
	    (fail && !tk_parse_i64(fail, 0, 100, &fail_n)) ||
	    (st && !tk_parse_i64(st, 400, 599, &status))) {
		reply_error(r, "INVALID_REQUEST", "tag(≤64), fail(0~100), status(400~599)");
		return;
	}
	if (retried_s && !tk_parse_i64(retried_s, 0, 1000, &retried))
		retried = -1;
	answer = retried >= 0 && retried < fail_n ? (int)status : 200;
	body = cJSON_ParseWithLength(r->body, r->body_len);
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "atMs", (double)tk_now_ms());
	fake_jset_str(e, "tag", tag);
	fake_jset_str(e, "transmissionId", tid && strlen(tid) <= 128 ? tid : NULL);
	fake_jset_str(e, "transmissionTime", ttime && strlen(ttime) <= 64 ? ttime : NULL);
	cJSON_AddNumberToObject(e, "retriedCount", (double)retried);
	cJSON_AddNumberToObject(e, "answered", answer);
	cJSON_AddItemToObject(e, "body", body ? body : cJSON_CreateNull());
	if (!fake_store_lock(&st_hooks)) {
		cJSON_Delete(e);
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	cJSON_AddItemToArray(fake_jarr(st_hooks.root, "received"), e);
	fake_cap_array(fake_jarr(st_hooks.root, "received"), FT_MAX_RECEIVED);
	fake_store_save(&st_hooks);
	fake_store_unlock(&st_hooks);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", answer == 200);
	fake_reply_obj(r, answer, o);
}

static void h_receiver_get(struct http_req *r)
{
	struct knobs k;
	const char *tag = http_query(r, "tag");
	int64_t limit;
	cJSON *items, *e, *o;

	if (!begin_or_reply(r, &k) || !limit_or_reply(r, &limit))
		return;
	if (!fake_store_lock(&st_hooks)) {
		reply_error(r, "FAILED_INTERNAL_SYSTEM_PROCESSING", NULL);
		return;
	}
	items = cJSON_CreateArray();
	cJSON_ArrayForEach(e, fake_jarr(st_hooks.root, "received"))
	{
		const char *t = fake_jstr(e, "tag");
		if (tag && (t == NULL || strcmp(t, tag) != 0))
			continue;
		cJSON_AddItemToArray(items, cJSON_Duplicate(e, true));
	}
	fake_store_unlock(&st_hooks);
	fake_cap_array(items, (int)limit);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "items", items);
	fake_reply_obj(r, 200, o);
}

static void h_health(struct http_req *r)
{
	struct knobs k;
	cJSON *o;

	if (!begin_or_reply(r, &k))
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "family", "fake_toss");
	cJSON_AddStringToObject(o, "version", TK_VERSION);
	fake_reply_obj(r, 200, o);
}

/* ---- routes ----------------------------------------------------------------- */

/* clang-format off */
static const struct route routes[] = {
	{HTTP_POST, "v1/payments/confirm",               h_confirm,       PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "v1/payments/orders/{order_id}",     h_get_by_order,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "v1/payments/{payment_key}",         h_get,           PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "v1/payments/{payment_key}/cancel",  h_cancel,        PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "checkout",                          h_checkout,      PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "receipt",                           h_receipt,       PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "health",                            h_health,        PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "_control",                          h_control_get,   PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_control",                          h_control_post,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_send-webhook",                     h_send_webhook,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_run-webhooks",                     h_run_webhooks,  PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "_webhooks",                         h_webhooks,      PERM_PUBLIC, SCOPE_NONE},
	{HTTP_POST, "_receiver",                         h_receiver_post, PERM_PUBLIC, SCOPE_NONE},
	{HTTP_GET,  "_receiver",                         h_receiver_get,  PERM_PUBLIC, SCOPE_NONE},
};
/* clang-format on */

static const struct app_family family = {
    .name = "fake_toss",
    .prefix = "/_fake/toss/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = false,
    .db_session_sql = NULL,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
