/*
 * t_fake_toss.c — the Toss Payments stand-in (tools/fake_toss.c) speaks
 * Toss's v1 wire format: the payment window's redirects, confirm (amount
 * check, session, second confirm), Basic auth errors, Idempotency-Key
 * repeats, TossPayments-Test-Code, lookups by key and order, partial and
 * full cancels, the fault knobs the payment tests use, and webhook delivery
 * with retries (to the fake's own _receiver, which fails on request).
 *
 * Every test starts and ends with POST _control {"reset":true}.
 *
 * Query values here keep ':' and '/' unencoded (legal in a query): the
 * framework refuses %2F anywhere in the request target (lib/http.c);
 * checkout_accepts_encoded_slashes shows it with a browser's encoding.
 */
#include "client.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FT "/_fake/toss/"

/* ---- helpers ------------------------------------------------------------ */

struct pay {
	char order_id[80];
	char key[256];
	long long amount;
};

static long long ft_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ft_sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static const char *secret_key(void)
{
	const char *k = getenv("TICKET_TOSS_SECRET_KEY");
	return k && *k ? k : "test_sk_ticketd_dev";
}

static const char *client_key(void)
{
	const char *k = getenv("TICKET_TOSS_CLIENT_KEY");
	return k && *k ? k : "test_ck_ticketd_dev";
}

/* A ring copy of s (malloc'd), which is freed. */
static const char *keep(char *s)
{
	const char *k = strf("%s", s);
	free(s);
	return k;
}

static const char *b64(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), j = 0;
	char *out = malloc(4 * (n / 3 + 1) + 1);

	ck_assert(out != NULL);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[j++] = tab[(v >> 18) & 63];
		out[j++] = tab[(v >> 12) & 63];
		out[j++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[j++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[j] = '\0';
	return keep(out);
}

/* "Authorization: Basic base64(user)" — user as given (the colon is the
 * caller's). */
static const char *basic(const char *user)
{
	return strf("Authorization: Basic %s", b64(user));
}

static const char *auth(void)
{
	return basic(strf("%s:", secret_key()));
}

/* A query value: percent-encoded except unreserved characters and ":/". */
static const char *qv(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), j = 0;
	char *d = malloc(3 * n + 1);

	ck_assert(d != NULL);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~:/", c)) {
			d[j++] = (char)c;
		} else {
			d[j++] = '%';
			d[j++] = hex[c >> 4];
			d[j++] = hex[c & 15];
		}
	}
	d[j] = '\0';
	return keep(d);
}

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

/* The decoded value of query parameter name in url, or NULL. */
static const char *qparam(const char *url, const char *name)
{
	const char *q = url ? strchr(url, '?') : NULL;
	size_t nl = strlen(name);

	while (q) {
		q++;
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t len = strcspn(v, "&#"), j = 0;
			char *d = malloc(len + 1);
			ck_assert(d != NULL);
			for (size_t i = 0; i < len; i++) {
				if (v[i] == '%' && i + 2 < len) {
					d[j++] = (char)(hexv(v[i + 1]) * 16 + hexv(v[i + 2]));
					i += 2;
				} else {
					d[j++] = v[i] == '+' ? ' ' : v[i];
				}
			}
			d[j] = '\0';
			return keep(d);
		}
		q = strchr(q, '&');
	}
	return NULL;
}

static const char *new_order_id(void)
{
	static int n;
	return strf("ft-%lld-%d", ft_now_ms(), ++n);
}

static const char *success_url(void)
{
	return strf("%s/fcgi/payment/success?from=ft", client_base_url());
}

static const char *fail_url(void)
{
	return strf("%s/fcgi/payment/fail", client_base_url());
}

/* GET checkout for order/amount; action NULL, "approve" or "fail"; extra is
 * appended to the query verbatim. */
static resp_t *checkout(const char *order_id, long long amount, const char *action,
                        const char *extra)
{
	return req("GET",
	           strf(FT "checkout?clientKey=%s&orderId=%s&orderName=%s&amount=%lld"
	                   "&successUrl=%s&failUrl=%s%s%s%s",
	                qv(client_key()), qv(order_id), qv("전시 입장권 & 굿즈"), amount,
	                qv(success_url()), qv(fail_url()), action ? "&action=" : "",
	                action ? action : "", extra ? extra : ""),
	           NULL, NULL);
}

/* A new order through the window, authenticated: p->key set. */
static void approve(struct pay *p, long long amount)
{
	resp_t *r;
	const char *key;

	snprintf(p->order_id, sizeof(p->order_id), "%s", new_order_id());
	p->amount = amount;
	r = checkout(p->order_id, amount, "approve", NULL);
	ck_assert_msg(r->status == 302 && r->location, "approve: want 302, got %ld %s", r->status,
	              resp_snippet(r));
	key = qparam(r->location, "paymentKey");
	ck_assert_msg(key && *key, "no paymentKey in %s", r->location);
	snprintf(p->key, sizeof(p->key), "%s", key);
	resp_free(r);
}

static resp_t *confirm_(const struct pay *p, long long amount, const char *idem,
                        const char *test_code)
{
	const char *body = strf("{\"paymentKey\":\"%s\",\"orderId\":\"%s\",\"amount\":%lld}",
	                        p->key, p->order_id, amount);
	return req("POST", FT "v1/payments/confirm", body, NULL, auth(),
	           idem ? strf("Idempotency-Key: %s", idem) : "X-None: 1",
	           test_code ? strf("TossPayments-Test-Code: %s", test_code) : "X-None: 2");
}

static resp_t *confirm(const struct pay *p, const char *idem)
{
	return confirm_(p, p->amount, idem, NULL);
}

/* amount < 0: cancelAmount omitted (cancel all that is left). */
static resp_t *cancel(const char *key, const char *reason, long long amount, const char *idem)
{
	const char *body = amount < 0 ? strf("{\"cancelReason\":\"%s\"}", reason)
	                              : strf("{\"cancelReason\":\"%s\",\"cancelAmount\":%lld}",
	                                     reason, amount);
	return req("POST", strf(FT "v1/payments/%s/cancel", key), body, NULL, auth(),
	           idem ? strf("Idempotency-Key: %s", idem) : "X-None: 1");
}

static resp_t *get_key(const char *key)
{
	return req("GET", strf(FT "v1/payments/%s", key), NULL, NULL, auth());
}

static resp_t *get_order(const char *order_id)
{
	return req("GET", strf(FT "v1/payments/orders/%s", order_id), NULL, NULL, auth());
}

static void control(const char *json)
{
	resp_t *r = req("POST", FT "_control", json, NULL);
	ck_assert_msg(r->status == 200, "_control %s: %ld %s", json, r->status, resp_snippet(r));
	resp_free(r);
}

/* Toss's error shape: {"code","message"} and nothing else. */
#define ASSERT_TOSS_ERROR(r, want, code_) \
	do { \
		ck_assert_msg((r)->status == (want) && jstr((r), "code") && \
		                  strcmp(jstr((r), "code"), (code_)) == 0, \
		              "%s %s: want %d %s, got %ld %s", (r)->method, (r)->path, \
		              (int)(want), (code_), (r)->status, resp_snippet(r)); \
		ck_assert_msg(jstr((r), "message") && *jstr((r), "message") && \
		                  cJSON_GetArraySize((r)->json) == 2, \
		              "%s: not {code,message}: %s", (r)->path, resp_snippet(r)); \
	} while (0)

static void assert_status(const char *key, const char *want)
{
	resp_t *r = get_key(key);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jstr(r, "status") && strcmp(jstr(r, "status"), want) == 0,
	              "payment %s: status %s, want %s", key, jstr(r, "status"), want);
	resp_free(r);
}

/* ISO-8601 with seconds and +09:00, as Toss writes instants. */
static void assert_kst(const char *s, const char *what)
{
	ck_assert_msg(s && strlen(s) == 25 && s[10] == 'T' && strcmp(s + 19, "+09:00") == 0,
	              "%s: %s is not YYYY-MM-DDTHH:MM:SS+09:00", what, s ? s : "(null)");
}

static void reset(void)
{
	control("{\"reset\":true}");
}

/* ---- the payment window -------------------------------------------------- */

START_TEST(checkout_approve_redirect)
{
	const char *order_id = new_order_id(), *loc, *key, *want;
	resp_t *r = checkout(order_id, 15000, "approve",
	                     "&customerName=%ED%99%8D%EA%B8%B8%EB%8F%99");

	ck_assert_msg(r->status == 302, "want 302, got %ld %s", r->status, resp_snippet(r));
	loc = strf("%s", r->location ? r->location : "");
	resp_free(r);
	/* successUrl's own query is kept, Toss's parameters are appended. */
	want = strf("%s&paymentType=NORMAL&orderId=%s&paymentKey=", success_url(), order_id);
	ck_assert_msg(strncmp(loc, want, strlen(want)) == 0, "Location %s, want %s…", loc, want);
	ck_assert_str_eq(qparam(loc, "from"), "ft");
	ck_assert_str_eq(qparam(loc, "paymentType"), "NORMAL");
	ck_assert_str_eq(qparam(loc, "orderId"), order_id);
	ck_assert_str_eq(qparam(loc, "amount"), "15000");
	key = qparam(loc, "paymentKey");
	ck_assert_msg(key && strlen(key) >= 30 && strlen(key) <= 50, "paymentKey %s", key);

	/* Authenticated, not approved. */
	r = get_key(key);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "IN_PROGRESS");
	ck_assert_str_eq(jstr(r, "orderId"), order_id);
	ck_assert_str_eq(jstr(r, "orderName"), "전시 입장권 & 굿즈");
	ck_assert_str_eq(jstr(r, "method"), "카드");
	ck_assert_int_eq(jint(r, "totalAmount"), 15000);
	ck_assert(cJSON_IsNull(jget(r->json, "approvedAt")));
	assert_kst(jstr(r, "requestedAt"), "requestedAt");
	resp_free(r);
}
END_TEST

START_TEST(checkout_fail_redirect)
{
	const char *order_id = new_order_id(), *loc;
	resp_t *r = checkout(order_id, 5000, "fail", NULL);

	ck_assert_msg(r->status == 302 && r->location, "want 302, got %ld", r->status);
	loc = strf("%s", r->location);
	resp_free(r);
	ck_assert_msg(strncmp(loc, strf("%s?code=", fail_url()), strlen(fail_url()) + 6) == 0,
	              "Location %s", loc);
	ck_assert_str_eq(qparam(loc, "code"), "PAY_PROCESS_CANCELED");
	ck_assert_str_eq(qparam(loc, "orderId"), order_id);
	ck_assert_msg(qparam(loc, "message") && strlen(qparam(loc, "message")) > 0, "no message");
	/* Nothing was created. */
	r = get_order(order_id);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);

	r = checkout(order_id, 5000, "fail", "&code=REJECT_CARD_COMPANY");
	ck_assert_str_eq(qparam(r->location, "code"), "REJECT_CARD_COMPANY");
	resp_free(r);
}
END_TEST

START_TEST(checkout_page_links)
{
	const char *order_id = new_order_id(), *href, *key, *loc;
	resp_t *r = checkout(order_id, 12000, NULL, NULL);
	const char *start, *end;
	char *link;

	ASSERT_STATUS(r, 200);
	ck_assert_msg(r->content_type && strncmp(r->content_type, "text/html", 9) == 0, "type %s",
	              r->content_type);
	ck_assert_msg(strstr(r->body, "결제하기") && strstr(r->body, "12,000원") &&
	                  strstr(r->body, "전시 입장권 &amp; 굿즈"),
	              "page: %s", resp_snippet(r));
	start = strstr(r->body, "id=\"approve\" href=\"");
	ck_assert(start != NULL);
	start += strlen("id=\"approve\" href=\"");
	end = strchr(start, '"');
	link = strndup(start, (size_t)(end - start));
	resp_free(r);
	/* Unescape &amp; and follow the link (relative to checkout). */
	for (char *a; (a = strstr(link, "&amp;")) != NULL;)
		memmove(a + 1, a + 5, strlen(a + 5) + 1);
	href = strf("%s", link);
	free(link);
	key = qparam(href, "paymentKey");
	ck_assert_msg(key && *key, "no paymentKey in %s", href);
	r = get_key(key);
	ck_assert_str_eq(jstr(r, "status"), "READY");
	resp_free(r);

	r = req("GET", strf(FT "%s", href), NULL, NULL);
	ck_assert_msg(r->status == 302 && r->location, "approve link: %ld %s", r->status,
	              resp_snippet(r));
	loc = strf("%s", r->location);
	resp_free(r);
	ck_assert_str_eq(qparam(loc, "paymentKey"), key);
	ck_assert_str_eq(qparam(loc, "amount"), "12000");
	assert_status(key, "IN_PROGRESS");
}
END_TEST

START_TEST(checkout_rejects_bad_input)
{
	static const struct {
		const char *what, *query;
		long status;
	} cases[] = {
	    {"client key",
	     "clientKey=test_ck_wrong&orderId=ft-bad-001&orderName=x&amount=1"
	     "&successUrl=http://a.b/s&failUrl=http://a.b/f",
	     401},
	    {"orderId short",
	     "orderId=abc12&orderName=x&amount=1&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"orderId chars",
	     "orderId=ft-bad!001&orderName=x&amount=1&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"orderId long", NULL, 400},
	    {"amount 0",
	     "orderId=ft-bad-001&orderName=x&amount=0&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"amount -1",
	     "orderId=ft-bad-001&orderName=x&amount=-1&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"amount 1.5",
	     "orderId=ft-bad-001&orderName=x&amount=1.5&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"no orderName",
	     "orderId=ft-bad-001&amount=1&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"relative successUrl",
	     "orderId=ft-bad-001&orderName=x&amount=1&successUrl=/s"
	     "&failUrl=http://a.b/f",
	     400},
	    {"javascript failUrl",
	     "orderId=ft-bad-001&orderName=x&amount=1"
	     "&successUrl=http://a.b/s&failUrl=javascript:alert(1)",
	     400},
	    {"action",
	     "orderId=ft-bad-001&orderName=x&amount=1&successUrl=http://a.b/s"
	     "&failUrl=http://a.b/f&action=steal",
	     400},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *q = cases[i].query
		                    ? cases[i].query
		                    : strf("orderId=%s&orderName=x&amount=1&successUrl=http://a.b/s"
		                           "&failUrl=http://a.b/f",
		                           str_repeat('a', 65));
		resp_t *r;
		if (strncmp(q, "clientKey=", 10) != 0)
			q = strf("clientKey=%s&%s", client_key(), q);
		r = req("GET", strf(FT "checkout?%s&action=approve", q), NULL, NULL);
		ck_assert_msg(r->status == cases[i].status && jstr(r, "code"),
		              "%s: want %ld, got %ld %s", cases[i].what, cases[i].status, r->status,
		              resp_snippet(r));
		resp_free(r);
	}
}
END_TEST

/* What a browser sends (URLSearchParams encodes '/' as %2F). Fails while
 * lib/http.c refuses %2F in the query string, not just in the path. */
START_TEST(checkout_accepts_encoded_slashes)
{
	resp_t *r = req("GET",
	                strf(FT "checkout?clientKey=%s&orderId=%s&orderName=x&amount=1000"
	                        "&successUrl=%s&failUrl=%s&action=approve",
	                     url_enc(client_key()), url_enc(new_order_id()), url_enc(success_url()),
	                     url_enc(fail_url())),
	                NULL, NULL);
	ck_assert_msg(r->status == 302, "%%2F in the query: want 302, got %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
}
END_TEST

/* ---- confirm ----------------------------------------------------------------- */

START_TEST(confirm_ok)
{
	struct pay p;
	resp_t *r;
	const char *number;

	approve(&p, 23000);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "paymentKey"), p.key);
	ck_assert_str_eq(jstr(r, "orderId"), p.order_id);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	ck_assert_str_eq(jstr(r, "method"), "카드");
	ck_assert_str_eq(jstr(r, "currency"), "KRW");
	ck_assert_int_eq(jint(r, "totalAmount"), 23000);
	ck_assert_int_eq(jint(r, "balanceAmount"), 23000);
	assert_kst(jstr(r, "approvedAt"), "approvedAt");
	number = jstr(r, "card.number");
	ck_assert_msg(number && strchr(number, '*'), "card.number not masked: %s", number);
	ck_assert_msg(jstr(r, "card.approveNo") && *jstr(r, "card.approveNo"), "no approveNo");
	ck_assert_msg(jstr(r, "card.issuerCode") != NULL, "no issuerCode");
	ck_assert_int_eq(jint(r, "card.installmentPlanMonths"), 0);
	ck_assert_msg(jstr(r, "receipt.url") && strncmp(jstr(r, "receipt.url"), "http", 4) == 0,
	              "receipt.url");
	ck_assert_msg(jstr(r, "lastTransactionKey") != NULL, "no lastTransactionKey");
	ck_assert(cJSON_IsNull(jget(r->json, "cancels")));
	ck_assert(cJSON_IsNull(jget(r->json, "failure")));
	resp_free(r);
	assert_status(p.key, "DONE");
}
END_TEST

START_TEST(confirm_amount_mismatch)
{
	struct pay p;
	resp_t *r;

	approve(&p, 10000);
	r = confirm_(&p, 9000, NULL, NULL);
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = confirm_(&p, 10001, NULL, NULL);
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	assert_status(p.key, "IN_PROGRESS");
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
}
END_TEST

START_TEST(confirm_twice)
{
	struct pay p;
	resp_t *r;

	approve(&p, 7000);
	r = confirm(&p, strf("first-%s", p.order_id));
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = confirm(&p, strf("second-%s", p.order_id));
	ASSERT_TOSS_ERROR(r, 400, "ALREADY_PROCESSED_PAYMENT");
	resp_free(r);
	r = confirm(&p, NULL);
	ASSERT_TOSS_ERROR(r, 400, "ALREADY_PROCESSED_PAYMENT");
	resp_free(r);

	/* The window again for the paid order: DUPLICATED_ORDER_ID. */
	r = checkout(p.order_id, 7000, "approve", NULL);
	ck_assert_msg(r->status == 302 && r->location, "%ld", r->status);
	ck_assert_str_eq(qparam(r->location, "code"), "DUPLICATED_ORDER_ID");
	resp_free(r);
}
END_TEST

START_TEST(confirm_bad_body)
{
	struct pay p;
	resp_t *r;

	approve(&p, 1000);
	r = req("POST", FT "v1/payments/confirm", "{\"paymentKey\":1}", NULL, auth());
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = req("POST", FT "v1/payments/confirm", "[1,2]", NULL, auth());
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = req("POST", FT "v1/payments/confirm",
	        strf("{\"paymentKey\":\"%s\",\"orderId\":\"%s\",\"amount\":\"1000\"}", p.key,
	             p.order_id),
	        NULL, auth());
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = req(
	    "POST", FT "v1/payments/confirm",
	    strf("{\"paymentKey\":\"nosuchkey\",\"orderId\":\"%s\",\"amount\":1000}", p.order_id),
	    NULL, auth());
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
	assert_status(p.key, "IN_PROGRESS");
}
END_TEST

START_TEST(idempotent_repeat)
{
	struct pay p;
	resp_t *a, *b;
	const char *idem;

	approve(&p, 20000);
	idem = strf("idem-confirm-%s", p.order_id);
	a = confirm(&p, idem);
	ASSERT_STATUS(a, 200);
	b = confirm(&p, idem);
	ASSERT_STATUS(b, 200);
	ck_assert_msg(a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0,
	              "the repeat differs:\n%s\n%s", a->body, b->body);
	resp_free(a);
	resp_free(b);

	/* A repeated cancel does nothing the second time. */
	idem = strf("idem-cancel-%s", p.order_id);
	a = cancel(p.key, "부분 환불", 3000, idem);
	ASSERT_STATUS(a, 200);
	b = cancel(p.key, "부분 환불", 3000, idem);
	ASSERT_STATUS(b, 200);
	ck_assert_msg(a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0,
	              "the repeated cancel differs");
	resp_free(a);
	resp_free(b);
	a = get_key(p.key);
	ck_assert_int_eq(jint(a, "balanceAmount"), 17000);
	ck_assert_int_eq(cJSON_GetArraySize(jget(a->json, "cancels")), 1);
	resp_free(a);

	/* The same key on another URL is another request. */
	a = cancel(p.key, "또 부분 환불", 1000, strf("idem-confirm-%s", p.order_id));
	ASSERT_STATUS(a, 200);
	ck_assert_int_eq(jint(a, "balanceAmount"), 16000);
	resp_free(a);

	/* Errors are kept too (not 5xx). */
	idem = strf("idem-over-%s", p.order_id);
	a = cancel(p.key, "too much", 99999, idem);
	ASSERT_TOSS_ERROR(a, 403, "NOT_CANCELABLE_AMOUNT");
	resp_free(a);
	a = cancel(p.key, "too much", 99999, idem);
	ASSERT_TOSS_ERROR(a, 403, "NOT_CANCELABLE_AMOUNT");
	resp_free(a);

	/* At most 300 characters. */
	a = cancel(p.key, "x", 1, str_repeat('k', 300));
	ASSERT_STATUS(a, 200);
	resp_free(a);
	a = cancel(p.key, "x", 1, str_repeat('k', 301));
	ASSERT_TOSS_ERROR(a, 400, "INVALID_REQUEST");
	resp_free(a);
}
END_TEST

START_TEST(auth_errors)
{
	struct pay p;
	resp_t *r;
	const char *path;

	approve(&p, 1000);
	path = strf(FT "v1/payments/%s", p.key);
	r = req("GET", path, NULL, NULL, basic("test_sk_somebody_else:"));
	ASSERT_TOSS_ERROR(r, 401, "UNAUTHORIZED_KEY");
	resp_free(r);
	r = req("GET", path, NULL, NULL, basic(client_key())); /* no colon comes first */
	ASSERT_TOSS_ERROR(r, 403, "INCORRECT_BASIC_AUTH_FORMAT");
	resp_free(r);
	r = req("GET", path, NULL, NULL, basic(strf("%s:", client_key())));
	ASSERT_TOSS_ERROR(r, 401, "UNAUTHORIZED_KEY");
	resp_free(r);
	r = req("GET", path, NULL, NULL, basic(secret_key())); /* no colon */
	ASSERT_TOSS_ERROR(r, 403, "INCORRECT_BASIC_AUTH_FORMAT");
	resp_free(r);
	r = req("GET", path, NULL, NULL);
	ASSERT_TOSS_ERROR(r, 403, "INCORRECT_BASIC_AUTH_FORMAT");
	resp_free(r);
	r = req("GET", path, NULL, NULL, "Authorization: Basic !!!not-base64!!!");
	ASSERT_TOSS_ERROR(r, 403, "INCORRECT_BASIC_AUTH_FORMAT");
	resp_free(r);
	r = req("GET", path, NULL, strf("%s", secret_key())); /* Bearer */
	ASSERT_TOSS_ERROR(r, 403, "INCORRECT_BASIC_AUTH_FORMAT");
	resp_free(r);
	/* A POST with a wrong key does nothing. */
	r = req(
	    "POST", FT "v1/payments/confirm",
	    strf("{\"paymentKey\":\"%s\",\"orderId\":\"%s\",\"amount\":1000}", p.key, p.order_id),
	    NULL, basic("test_sk_somebody_else:"));
	ASSERT_TOSS_ERROR(r, 401, "UNAUTHORIZED_KEY");
	resp_free(r);
	assert_status(p.key, "IN_PROGRESS");
}
END_TEST

START_TEST(test_code_forces_errors)
{
	static const struct {
		const char *code;
		long status;
	} cases[] = {
	    {"REJECT_CARD_PAYMENT", 403},
	    {"PROVIDER_ERROR", 400},
	    {"FAILED_INTERNAL_SYSTEM_PROCESSING", 500},
	    {"NOT_FOUND_PAYMENT_SESSION", 404},
	    {"IDEMPOTENT_REQUEST_PROCESSING", 409},
	    {"ALREADY_PROCESSED_PAYMENT", 400},
	};
	struct pay p;
	resp_t *r;

	approve(&p, 3000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = confirm_(&p, p.amount, strf("tc-%zu-%s", i, p.order_id), cases[i].code);
		ASSERT_TOSS_ERROR(r, cases[i].status, cases[i].code);
		resp_free(r);
	}
	r = req("GET", strf(FT "v1/payments/%s", p.key), NULL, NULL, auth(),
	        "TossPayments-Test-Code: NOT_FOUND_PAYMENT");
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
	/* Nothing happened: the confirm still works, also with a key used above. */
	assert_status(p.key, "IN_PROGRESS");
	r = confirm(&p, strf("tc-0-%s", p.order_id));
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	resp_free(r);
}
END_TEST

/* ---- lookups and cancels -------------------------------------------------------- */

START_TEST(get_by_key_and_order)
{
	struct pay p;
	resp_t *r;

	approve(&p, 8000);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = get_key(p.key);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	ck_assert_str_eq(jstr(r, "orderId"), p.order_id);
	resp_free(r);
	r = get_order(p.order_id);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "paymentKey"), p.key);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	resp_free(r);
	r = get_key("tfakeNoSuchPaymentKey000000000000000000");
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
	r = get_order(strf("%s-none", p.order_id));
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
}
END_TEST

START_TEST(cancel_partial_then_full)
{
	struct pay p;
	resp_t *r;
	const cJSON *c;

	approve(&p, 10000);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);

	r = cancel(p.key, "일부 환불", 3000, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "PARTIAL_CANCELED");
	ck_assert_int_eq(jint(r, "totalAmount"), 10000);
	ck_assert_int_eq(jint(r, "balanceAmount"), 7000);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "cancels")), 1);
	c = jget(r->json, "cancels.0");
	ck_assert_int_eq(jnum(c, "cancelAmount"), 3000);
	ck_assert_str_eq(jtext(c, "cancelReason"), "일부 환불");
	ck_assert_str_eq(jtext(c, "cancelStatus"), "DONE");
	ck_assert_msg(jtext(c, "transactionKey") && strlen(jtext(c, "transactionKey")) >= 16,
	              "transactionKey");
	assert_kst(jtext(c, "canceledAt"), "canceledAt");
	ck_assert_str_eq(jstr(r, "lastTransactionKey"), jtext(c, "transactionKey"));
	resp_free(r);

	r = cancel(p.key, "나머지 환불", -1, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "CANCELED");
	ck_assert_int_eq(jint(r, "balanceAmount"), 0);
	ck_assert_int_eq(jint(r, "totalAmount"), 10000);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "cancels")), 2);
	ck_assert_int_eq(jnum(jget(r->json, "cancels.1"), "cancelAmount"), 7000);
	ck_assert_str_ne(jtext(jget(r->json, "cancels.0"), "transactionKey"),
	                 jtext(jget(r->json, "cancels.1"), "transactionKey"));
	resp_free(r);

	r = cancel(p.key, "또", -1, NULL);
	ASSERT_TOSS_ERROR(r, 400, "ALREADY_CANCELED_PAYMENT");
	resp_free(r);
	r = cancel(p.key, "또", 1, NULL);
	ASSERT_TOSS_ERROR(r, 400, "ALREADY_CANCELED_PAYMENT");
	resp_free(r);
	assert_status(p.key, "CANCELED");
}
END_TEST

START_TEST(cancel_refusals)
{
	struct pay p;
	resp_t *r;

	approve(&p, 10000);
	r = cancel(p.key, "not paid yet", -1, NULL);
	ASSERT_TOSS_ERROR(r, 403, "NOT_CANCELABLE_PAYMENT");
	resp_free(r);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);

	r = cancel(p.key, "over", 10001, NULL);
	ASSERT_TOSS_ERROR(r, 403, "NOT_CANCELABLE_AMOUNT");
	resp_free(r);
	r = cancel(p.key, "part", 4000, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = cancel(p.key, "over", 6001, NULL);
	ASSERT_TOSS_ERROR(r, 403, "NOT_CANCELABLE_AMOUNT");
	resp_free(r);

	r = req("POST", strf(FT "v1/payments/%s/cancel", p.key), "{}", NULL, auth());
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = cancel(p.key, str_repeat('r', 201), 1, NULL);
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = cancel(p.key, "zero", 0, NULL);
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
	r = cancel(p.key, str_repeat('r', 200), 1, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "balanceAmount"), 5999);
	resp_free(r);
	r = cancel("tfakeNoSuchPaymentKey000000000000000000", "x", -1, NULL);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
}
END_TEST

/* ---- time limits -------------------------------------------------------------- */

START_TEST(session_expires)
{
	struct pay p;
	resp_t *r;

	control("{\"session_s\":1}");
	approve(&p, 4000);
	ft_sleep_ms(2100);
	r = confirm(&p, NULL);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT_SESSION");
	resp_free(r);
	assert_status(p.key, "IN_PROGRESS");
}
END_TEST

START_TEST(window_expires)
{
	struct pay p;
	resp_t *r;

	control("{\"window_s\":1}");
	approve(&p, 4000);
	ft_sleep_ms(2100);
	assert_status(p.key, "EXPIRED");
	r = confirm(&p, NULL);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT_SESSION");
	resp_free(r);
}
END_TEST

/* ---- fault knobs ---------------------------------------------------------------- */

START_TEST(fail_next_then_success)
{
	struct pay p;
	resp_t *r;
	const char *idem;

	approve(&p, 9000);
	idem = strf("fail-%s", p.order_id);
	control("{\"fail_next\":{\"confirm\":1,\"status\":500}}");
	r = confirm(&p, idem);
	ASSERT_TOSS_ERROR(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING");
	resp_free(r);
	assert_status(p.key, "IN_PROGRESS");
	r = confirm(&p, idem); /* 5xx is not kept: the retry runs */
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	resp_free(r);

	/* "after": the work is done and the answer lost. */
	approve(&p, 9000);
	control("{\"fail_next\":{\"confirm\":1,\"after\":true}}");
	r = confirm(&p, strf("after-%s", p.order_id));
	ASSERT_TOSS_ERROR(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING");
	resp_free(r);
	assert_status(p.key, "DONE");
	r = confirm(&p, strf("after-%s", p.order_id));
	ASSERT_TOSS_ERROR(r, 400, "ALREADY_PROCESSED_PAYMENT");
	resp_free(r);

	/* A code alone takes its status; gets and cancels have their own. */
	control("{\"fail_next\":{\"get\":2,\"cancel\":1,\"code\":\"PROVIDER_ERROR\"}}");
	r = get_key(p.key);
	ASSERT_TOSS_ERROR(r, 400, "PROVIDER_ERROR");
	resp_free(r);
	r = get_order(p.order_id);
	ASSERT_TOSS_ERROR(r, 400, "PROVIDER_ERROR");
	resp_free(r);
	r = cancel(p.key, "x", -1, NULL);
	ASSERT_TOSS_ERROR(r, 400, "PROVIDER_ERROR");
	resp_free(r);
	assert_status(p.key, "DONE");
}
END_TEST

START_TEST(fail_next_abort)
{
	struct pay p;
	resp_t *r;

	approve(&p, 9000);
	control("{\"fail_next\":{\"confirm\":1,\"code\":\"REJECT_CARD_PAYMENT\",\"abort\":true}}");
	r = confirm(&p, NULL);
	ASSERT_TOSS_ERROR(r, 403, "REJECT_CARD_PAYMENT");
	resp_free(r);
	r = get_key(p.key);
	ck_assert_str_eq(jstr(r, "status"), "ABORTED");
	ck_assert_str_eq(jstr(r, "failure.code"), "REJECT_CARD_PAYMENT");
	resp_free(r);
	r = confirm(&p, NULL);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT_SESSION");
	resp_free(r);
}
END_TEST

/* A slow confirm and its duplicate: with one worker (the default pool) the
 * duplicate waits and gets the stored answer; with more it gets 409. Either
 * way the payment is confirmed once. */
START_TEST(delay_and_duplicate)
{
	struct pay p;
	resp_t *r;
	const char *idem;
	int fds[2];
	pid_t pid;
	long long t0;
	char buf[65536];
	size_t got = 0;
	ssize_t k;
	int st;

	approve(&p, 6000);
	idem = strf("slow-%s", p.order_id);
	control("{\"delay_next\":{\"confirm\":1,\"ms\":1500}}");
	ck_assert(pipe(fds) == 0);
	t0 = ft_now_ms();
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		resp_t *c = confirm(&p, idem);
		FILE *f = fdopen(fds[1], "w");
		close(fds[0]);
		fprintf(f, "%ld\n%s", c->status, c->body);
		fclose(f);
		_exit(0);
	}
	close(fds[1]);
	ft_sleep_ms(400);
	r = confirm(&p, idem);
	while ((k = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	ck_assert_msg(strncmp(buf, "200\n", 4) == 0, "the slow confirm: %s", buf);
	ck_assert_msg(ft_now_ms() - t0 >= 1400, "the delay did not happen");
	if (r->status == 409) {
		ASSERT_TOSS_ERROR(r, 409, "IDEMPOTENT_REQUEST_PROCESSING");
	} else {
		ASSERT_STATUS(r, 200);
		ck_assert_msg(strcmp(r->body, buf + 4) == 0, "the duplicate got another answer");
	}
	resp_free(r);
	r = get_key(p.key);
	ck_assert_str_eq(jstr(r, "status"), "DONE");
	resp_free(r);
}
END_TEST

START_TEST(control_rejects_bad_input)
{
	static const char *const bad[] = {
	    "{\"fail_next\":{\"refund\":1}}",
	    "{\"fail_next\":{\"confirm\":-1}}",
	    "{\"fail_next\":{\"confirm\":1,\"status\":200}}",
	    "{\"fail_next\":{\"confirm\":1,\"code\":\"bad code\"}}",
	    "{\"delay_next\":{\"confirm\":1}}",
	    "{\"delay_next\":{\"confirm\":1,\"ms\":600000}}",
	    "{\"session_s\":0}",
	    "{\"webhook_url\":\"ftp://x/y\"}",
	    "{\"no_such_knob\":1}",
	    "[]",
	};
	resp_t *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = req("POST", FT "_control", bad[i], NULL);
		ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
		resp_free(r);
	}
	r = req("GET", FT "_control", NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jint(r, "settings.session_s") > 0 && jint(r, "settings.retry_ms") > 0, "%s",
	              resp_snippet(r));
	resp_free(r);
}
END_TEST

/* ---- webhooks ------------------------------------------------------------------- */

/* The delivery id of a payment once it has n attempts (polls ≤ 15 s);
 * a copy of its JSON. */
static cJSON *wait_attempts(const char *key, long long id, int n)
{
	long long deadline = ft_now_ms() + 15000;

	for (;;) {
		resp_t *r = req("GET", strf(FT "_webhooks?paymentKey=%s", key), NULL, NULL);
		const cJSON *d = jfind_id(jget(r->json, "items"), "id", id);
		if (d && cJSON_GetArraySize(jget(d, "attempts")) >= n) {
			cJSON *copy = cJSON_Duplicate(d, true);
			resp_free(r);
			return copy;
		}
		resp_free(r);
		ck_assert_msg(ft_now_ms() < deadline, "delivery %lld of %s: no attempt %d in 15 s",
		              id, key, n);
		ft_sleep_ms(50);
	}
}

START_TEST(webhook_retries_until_200)
{
	struct pay p;
	resp_t *r;
	const char *tag, *url, *tid;
	long long id, retry_ms;
	cJSON *d;
	const cJSON *items, *e;

	r = req("GET", FT "_control", NULL, NULL);
	retry_ms = jint(r, "settings.retry_ms");
	resp_free(r);
	approve(&p, 11000);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);

	/* A receiver that answers 500 twice, then 200. */
	tag = strf("wh%lld", ft_now_ms());
	url = strf("%s" FT "_receiver?tag=%s&fail=2", client_base_url(), tag);
	r = req("POST", FT "_send-webhook",
	        strf("{\"paymentKey\":\"%s\",\"url\":\"%s\"}", p.key, url), NULL);
	ASSERT_STATUS(r, 200);
	id = jint(r, "delivery.id");
	ck_assert_msg(id > 0, "%s", resp_snippet(r));
	tid = strf("%s", jstr(r, "delivery.transmissionId"));
	resp_free(r);

	d = wait_attempts(p.key, id, 1);
	ck_assert_int_eq(jnum(jget(d, "attempts.0"), "httpStatus"), 500);
	ck_assert_int_eq(jnum(jget(d, "attempts.0"), "nextDelayMs"), retry_ms);
	cJSON_Delete(d);
	/* Due now instead of after retry_ms (or it comes by itself). */
	r = req("POST", FT "_run-webhooks", "{}", NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	d = wait_attempts(p.key, id, 2);
	ck_assert_int_eq(jnum(jget(d, "attempts.1"), "httpStatus"), 500);
	ck_assert_int_eq(jnum(jget(d, "attempts.1"), "nextDelayMs"), 4 * retry_ms);
	cJSON_Delete(d);
	r = req("POST", FT "_run-webhooks", "{}", NULL);
	resp_free(r);
	d = wait_attempts(p.key, id, 3);
	ck_assert_int_eq(jnum(jget(d, "attempts.2"), "httpStatus"), 200);
	ck_assert_str_eq(jtext(d, "state"), "delivered");
	cJSON_Delete(d);

	/* What the receiver saw: one transmission id, retried-count 0, 1, 2,
	 * the event with the payment in it. */
	r = req("GET", strf(FT "_receiver?tag=%s", tag), NULL, NULL);
	ASSERT_STATUS(r, 200);
	items = jget(r->json, "items");
	ck_assert_int_eq(cJSON_GetArraySize(items), 3);
	for (int i = 0; i < 3; i++) {
		const char *created;
		e = cJSON_GetArrayItem(items, i);
		ck_assert_str_eq(jtext(e, "transmissionId"), tid);
		ck_assert_int_eq(jnum(e, "retriedCount"), i);
		ck_assert_int_eq(jnum(e, "answered"), i < 2 ? 500 : 200);
		ck_assert_msg(jtext(e, "transmissionTime") && *jtext(e, "transmissionTime"),
		              "no transmission-time");
		ck_assert_str_eq(jtext(jget(e, "body"), "eventType"), "PAYMENT_STATUS_CHANGED");
		created = jtext(jget(e, "body"), "createdAt");
		ck_assert_msg(created && strlen(created) == 26 && created[10] == 'T' &&
		                  created[19] == '.',
		              "createdAt %s: want 2026-11-21T10:00:00.000000", created);
		ck_assert_str_eq(jtext(jget(jget(e, "body"), "data"), "paymentKey"), p.key);
		ck_assert_str_eq(jtext(jget(jget(e, "body"), "data"), "status"), "DONE");
	}
	resp_free(r);

	/* Unknown payment, bad URL. */
	r = req("POST", FT "_send-webhook", "{\"paymentKey\":\"tfakeNoSuchPaymentKey0000000\"}",
	        NULL);
	ASSERT_TOSS_ERROR(r, 404, "NOT_FOUND_PAYMENT");
	resp_free(r);
	r = req("POST", FT "_send-webhook",
	        strf("{\"paymentKey\":\"%s\",\"url\":\"file:///etc/passwd\"}", p.key), NULL);
	ASSERT_TOSS_ERROR(r, 400, "INVALID_REQUEST");
	resp_free(r);
}
END_TEST

START_TEST(auto_webhook_on_changes)
{
	struct pay p;
	resp_t *r;
	const char *tag = strf("auto%lld", ft_now_ms());
	const cJSON *items;
	long long deadline;

	control(strf("{\"auto_webhook\":true,\"webhook_url\":\"%s" FT "_receiver?tag=%s\"}",
	             client_base_url(), tag));
	approve(&p, 5000);
	r = confirm(&p, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = cancel(p.key, "부분", 1000, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = cancel(p.key, "전부", -1, NULL);
	ASSERT_STATUS(r, 200);
	resp_free(r);

	deadline = ft_now_ms() + 15000;
	for (;;) {
		r = req("GET", strf(FT "_receiver?tag=%s", tag), NULL, NULL);
		items = jget(r->json, "items");
		if (cJSON_GetArraySize(items) >= 3)
			break;
		resp_free(r);
		ck_assert_msg(ft_now_ms() < deadline, "3 webhooks not received in 15 s");
		ft_sleep_ms(50);
	}
	ck_assert_int_eq(cJSON_GetArraySize(items), 3);
	ck_assert_str_eq(jtext(jget(cJSON_GetArrayItem(items, 0), "body.data"), "status"), "DONE");
	ck_assert_str_eq(jtext(jget(cJSON_GetArrayItem(items, 1), "body.data"), "status"),
	                 "PARTIAL_CANCELED");
	ck_assert_str_eq(jtext(jget(cJSON_GetArrayItem(items, 2), "body.data"), "status"),
	                 "CANCELED");
	resp_free(r);
}
END_TEST

static Suite *fake_toss_suite(void)
{
	Suite *s = suite_create("fake_toss");
	TCase *tc = tcase_new("fake_toss");

	tcase_add_checked_fixture(tc, reset, reset);
	tcase_add_test(tc, checkout_approve_redirect);
	tcase_add_test(tc, checkout_fail_redirect);
	tcase_add_test(tc, checkout_page_links);
	tcase_add_test(tc, checkout_rejects_bad_input);
	tcase_add_test(tc, checkout_accepts_encoded_slashes);
	tcase_add_test(tc, confirm_ok);
	tcase_add_test(tc, confirm_amount_mismatch);
	tcase_add_test(tc, confirm_twice);
	tcase_add_test(tc, confirm_bad_body);
	tcase_add_test(tc, idempotent_repeat);
	tcase_add_test(tc, auth_errors);
	tcase_add_test(tc, test_code_forces_errors);
	tcase_add_test(tc, get_by_key_and_order);
	tcase_add_test(tc, cancel_partial_then_full);
	tcase_add_test(tc, cancel_refusals);
	tcase_add_test(tc, session_expires);
	tcase_add_test(tc, window_expires);
	tcase_add_test(tc, fail_next_then_success);
	tcase_add_test(tc, fail_next_abort);
	tcase_add_test(tc, delay_and_duplicate);
	tcase_add_test(tc, control_rejects_bad_input);
	tcase_add_test(tc, webhook_retries_until_200);
	tcase_add_test(tc, auto_webhook_on_changes);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("fake_toss", fake_toss_suite, false)
