/* test_toss.c — the Toss client without Toss: parsing Payment objects,
 * mapping answers and transfer failures to results, our error codes, and
 * arguments refused before anything is sent. The last case runs against
 * one-shot HTTP stubs on 127.0.0.1 forked by the test (no outside network)
 * to check what goes on the wire, timeouts and the answer size cap. */
#include "unit.h"

#include "config.h"
#include "tk.h"
#include "toss.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct arena *A;

static void setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
	toss_close();
	cfg.toss_url = NULL; /* it pointed into the arena */
	cfg.toss_secret_key = NULL;
}

/* A Payment object as Toss sends it (card payment, partly cancelled twice;
 * the cancels are listed out of time order on purpose). */
static const char payment_json[] =
    "{\"mId\":\"tosspayments\",\"lastTransactionKey\":\"B7103F204998813B889C77C043D09502\","
    "\"paymentKey\":\"5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1\","
    "\"orderId\":\"a4CWyWY5m89PNh7xJwhk1\",\"orderName\":\"성인 2매 외 1건\","
    "\"taxExemptionAmount\":0,\"status\":\"PARTIAL_CANCELED\","
    "\"requestedAt\":\"2026-11-21T10:00:00+09:00\",\"approvedAt\":\"2026-11-21T10:00:31+09:00\","
    "\"useEscrow\":false,\"cultureExpense\":false,"
    "\"card\":{\"issuerCode\":\"71\",\"acquirerCode\":\"71\",\"number\":\"12345678****000*\","
    "\"installmentPlanMonths\":0,\"isInterestFree\":false,\"interestPayer\":null,"
    "\"approveNo\":\"00000000\",\"useCardPoint\":false,\"cardType\":\"신용\","
    "\"ownerType\":\"개인\",\"acquireStatus\":\"READY\",\"amount\":45000},"
    "\"virtualAccount\":null,\"transfer\":null,\"mobilePhone\":null,\"giftCertificate\":null,"
    "\"cashReceipt\":null,\"cashReceipts\":null,\"discount\":null,"
    "\"cancels\":["
    "{\"transactionKey\":\"B7103F204998813B889C77C043D09502\",\"cancelReason\":\"환불 2\","
    "\"taxExemptionAmount\":0,\"canceledAt\":\"2026-11-22T09:10:00+09:00\","
    "\"cancelAmount\":5000,\"taxFreeAmount\":0,\"refundableAmount\":25000,"
    "\"cancelStatus\":\"DONE\",\"cancelRequestId\":null},"
    "{\"transactionKey\":\"A1000000000000000000000000000001\",\"cancelReason\":\"환불 1\","
    "\"taxExemptionAmount\":0,\"canceledAt\":\"2026-11-21T18:00:00+09:00\","
    "\"cancelAmount\":15000,\"taxFreeAmount\":0,\"refundableAmount\":30000,"
    "\"cancelStatus\":\"DONE\",\"cancelRequestId\":null}],"
    "\"secret\":null,\"type\":\"NORMAL\",\"easyPay\":{\"provider\":\"토스페이\",\"amount\":0,"
    "\"discountAmount\":0},\"country\":\"KR\",\"failure\":null,\"isPartialCancelable\":true,"
    "\"receipt\":{\"url\":\"https://dashboard.tosspayments.com/receipt/redirection?"
    "transactionId=x\"},\"checkout\":{\"url\":\"https://api.tosspayments.com/v1/payments/"
    "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1/checkout\"},"
    "\"currency\":\"KRW\",\"totalAmount\":45000,\"balanceAmount\":25000,"
    "\"suppliedAmount\":22727,\"vat\":2273,\"taxFreeAmount\":0,\"method\":\"카드\","
    "\"version\":\"2022-11-16\"}";

static void json_delete(void *p)
{
	cJSON_Delete(p);
}

static cJSON *owned(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	ck_assert_ptr_nonnull(j);
	arena_defer(A, json_delete, j);
	return j;
}

START_TEST(payment_full_sample)
{
	cJSON *j = owned(payment_json);
	struct toss_payment p;

	ck_assert(toss_payment_from_json(j, &p));
	ck_assert_str_eq(p.payment_key, "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1");
	ck_assert_str_eq(p.order_id, "a4CWyWY5m89PNh7xJwhk1");
	ck_assert_str_eq(p.status, "PARTIAL_CANCELED");
	ck_assert_str_eq(p.method, "카드");
	ck_assert_int_eq(p.total_amount, 45000);
	ck_assert_int_eq(p.balance_amount, 25000);
	ck_assert_str_eq(p.requested_at, "2026-11-21T10:00:00+09:00");
	ck_assert_str_eq(p.approved_at, "2026-11-21T10:00:31+09:00");
	ck_assert_str_eq(p.secret, "");
	ck_assert_str_eq(p.last_transaction_key, "B7103F204998813B889C77C043D09502");
	ck_assert_ptr_eq(p.raw, j);
}
END_TEST

START_TEST(payment_ready_has_nulls)
{
	cJSON *j = owned("{\"paymentKey\":\"pk_1\",\"orderId\":\"ORDER-0001\",\"status\":\"READY\","
	                 "\"method\":null,\"totalAmount\":1000,\"balanceAmount\":1000,"
	                 "\"requestedAt\":\"2026-11-21T10:00:00+09:00\",\"approvedAt\":null,"
	                 "\"cancels\":null,\"secret\":\"ps_abcdef\"}");
	struct toss_payment p;

	ck_assert(toss_payment_from_json(j, &p));
	ck_assert_str_eq(p.method, "");
	ck_assert_str_eq(p.approved_at, "");
	ck_assert_str_eq(p.last_transaction_key, "");
	ck_assert_str_eq(p.secret, "ps_abcdef");
}
END_TEST

START_TEST(payment_cancels_order)
{
	struct toss_payment p;
	/* Same time: the later entry. No times at all: the last entry. */
	ck_assert(toss_payment_from_json(
	    owned("{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"CANCELED\","
	          "\"totalAmount\":10,\"balanceAmount\":0,\"cancels\":["
	          "{\"transactionKey\":\"T1\",\"canceledAt\":\"2026-11-21T10:00:00+09:00\"},"
	          "{\"transactionKey\":\"T2\",\"canceledAt\":\"2026-11-21T10:00:00+09:00\"}]}"),
	    &p));
	ck_assert_str_eq(p.last_transaction_key, "T2");
	ck_assert(toss_payment_from_json(
	    owned("{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"CANCELED\","
	          "\"totalAmount\":10,\"balanceAmount\":0,\"cancels\":["
	          "{\"transactionKey\":\"T1\"},{\"transactionKey\":\"T2\"},"
	          "{\"transactionKey\":\"T3\"}]}"),
	    &p));
	ck_assert_str_eq(p.last_transaction_key, "T3");
	ck_assert(toss_payment_from_json(
	    owned("{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\","
	          "\"totalAmount\":10,\"balanceAmount\":10,\"cancels\":[]}"),
	    &p));
	ck_assert_str_eq(p.last_transaction_key, "");
}
END_TEST

/* Not a Payment: each is refused and leaves out zeroed. */
static const char *const not_payments[] = {
    "[]",
    "\"DONE\"",
    "{}",
    "{\"code\":\"NOT_FOUND_PAYMENT\",\"message\":\"x\"}",
    /* a required field missing */
    "{\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"status\":\"DONE\",\"totalAmount\":1,\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"totalAmount\":1,\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1}",
    /* wrong types and values */
    "{\"paymentKey\":1,\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1}",
    "{\"paymentKey\":\"\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":\"1\","
    "\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1.5,"
    "\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":-1,"
    "\"balanceAmount\":0}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1e300,"
    "\"balanceAmount\":0}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1,\"approvedAt\":5}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1,\"cancels\":{}}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1,\"cancels\":[{\"cancelAmount\":1}]}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\",\"totalAmount\":1,"
    "\"balanceAmount\":1,\"cancels\":[7]}",
    /* longer than the struct holds */
    "{\"paymentKey\":\"k\",\"orderId\":"
    "\"O12345678901234567890123456789012345678901234567890123456789012345\","
    "\"status\":\"DONE\",\"totalAmount\":1,\"balanceAmount\":1}",
    "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\","
    "\"status\":\"DONE_AND_A_STATUS_FAR_TOO_LONG_X\",\"totalAmount\":1,\"balanceAmount\":1}",
};

START_TEST(not_a_payment)
{
	struct toss_payment p;
	cJSON *j = owned(not_payments[_i]);

	memset(&p, 0x55, sizeof(p));
	ck_assert_msg(!toss_payment_from_json(j, &p), "accepted %s", not_payments[_i]);
	ck_assert_str_eq(p.payment_key, "");
	ck_assert_ptr_null(p.raw);
	ck_assert(!toss_payment_from_json(NULL, &p));
}
END_TEST

START_TEST(payment_long_method_cut_on_character)
{
	/* 30 × "가" (3 bytes) = 90 bytes: cut to whole characters under 64. */
	char json[512], method[128] = "";
	struct toss_payment p;

	for (int i = 0; i < 30; i++)
		strcat(method, "가");
	snprintf(json, sizeof(json),
	         "{\"paymentKey\":\"k\",\"orderId\":\"ORDER-0001\",\"status\":\"DONE\","
	         "\"totalAmount\":1,\"balanceAmount\":1,\"method\":\"%s\"}",
	         method);
	ck_assert(toss_payment_from_json(owned(json), &p));
	ck_assert_uint_eq(strlen(p.method), 63);
	ck_assert(tk_utf8_valid(p.method, strlen(p.method)));
}
END_TEST

/* ---- answers ----------------------------------------------------------- */

static const struct {
	long status;
	const char *body;
	enum toss_err want;
	const char *code;
	const char *ours;
} answers[] = {
    {200, NULL, TOSS_OK, "", NULL}, /* body: payment_json */
    {200, "{}", TOSS_BAD_ANSWER, "", NULL},
    {200, "<html>", TOSS_BAD_ANSWER, "", NULL},
    {200, "", TOSS_BAD_ANSWER, "", NULL},
    {400, "{\"code\":\"ALREADY_PROCESSED_PAYMENT\",\"message\":\"이미 처리된 결제 입니다.\"}",
     TOSS_FAILED, "ALREADY_PROCESSED_PAYMENT", "CONFLICT"},
    {400, "{\"code\":\"ALREADY_CANCELED_PAYMENT\",\"message\":\"x\"}", TOSS_FAILED,
     "ALREADY_CANCELED_PAYMENT", "PAYMENT_REJECTED"},
    {400, "{\"code\":\"INVALID_REQUEST\",\"message\":\"x\"}", TOSS_FAILED, "INVALID_REQUEST",
     "PAYMENT_REJECTED"},
    {400, "{\"code\":\"PROVIDER_ERROR\",\"message\":\"x\"}", TOSS_FAILED, "PROVIDER_ERROR",
     "PAYMENT_REJECTED"},
    {401, "{\"code\":\"UNAUTHORIZED_KEY\",\"message\":\"x\"}", TOSS_FAILED, "UNAUTHORIZED_KEY",
     "PAYMENT_PROVIDER_ERROR"},
    {403, "{\"code\":\"INCORRECT_BASIC_AUTH_FORMAT\",\"message\":\"x\"}", TOSS_FAILED,
     "INCORRECT_BASIC_AUTH_FORMAT", "PAYMENT_PROVIDER_ERROR"},
    {403, "{\"code\":\"REJECT_CARD_PAYMENT\",\"message\":\"한도초과\"}", TOSS_FAILED,
     "REJECT_CARD_PAYMENT", "PAYMENT_REJECTED"},
    {403, "{\"code\":\"NOT_CANCELABLE_AMOUNT\",\"message\":\"x\"}", TOSS_FAILED,
     "NOT_CANCELABLE_AMOUNT", "PAYMENT_REJECTED"},
    {404, "{\"code\":\"NOT_FOUND_PAYMENT\",\"message\":\"x\"}", TOSS_NOT_FOUND, "NOT_FOUND_PAYMENT",
     "NOT_FOUND"},
    {404, "{\"code\":\"NOT_FOUND_PAYMENT_SESSION\",\"message\":\"x\"}", TOSS_NOT_FOUND,
     "NOT_FOUND_PAYMENT_SESSION", "PAYMENT_REJECTED"},
    {404, "{\"code\":\"NOT_FOUND\",\"message\":\"x\"}", TOSS_FAILED, "NOT_FOUND",
     "PAYMENT_REJECTED"},
    {409, "{\"code\":\"IDEMPOTENT_REQUEST_PROCESSING\",\"message\":\"x\"}", TOSS_RETRY,
     "IDEMPOTENT_REQUEST_PROCESSING", "PAYMENT_PROVIDER_ERROR"},
    {500, "{\"code\":\"FAILED_INTERNAL_SYSTEM_PROCESSING\",\"message\":\"x\"}", TOSS_RETRY,
     "FAILED_INTERNAL_SYSTEM_PROCESSING", "PAYMENT_PROVIDER_ERROR"},
    {502, "<html>Bad Gateway</html>", TOSS_RETRY, "", "PAYMENT_PROVIDER_ERROR"},
    {503, "", TOSS_RETRY, "", "PAYMENT_PROVIDER_ERROR"},
    {429, "", TOSS_RETRY, "", "PAYMENT_PROVIDER_ERROR"},
    {400, "<html>Bad Request</html>", TOSS_BAD_ANSWER, "", NULL},
    {400, "{\"message\":\"no code\"}", TOSS_BAD_ANSWER, "", NULL},
    {400, "{\"code\":7}", TOSS_BAD_ANSWER, "", NULL},
    {302, "", TOSS_BAD_ANSWER, "", NULL},
    {101, "", TOSS_BAD_ANSWER, "", NULL},
};

START_TEST(answer_mapping)
{
	struct toss_payment p;
	struct toss_error e;
	const char *body = answers[_i].body ? answers[_i].body : payment_json;
	enum toss_err got = toss_answer(A, answers[_i].status, body, strlen(body), &p, &e);

	ck_assert_msg(got == answers[_i].want, "%ld %s: got %s, want %s", answers[_i].status, body,
	              toss_err_name(got), toss_err_name(answers[_i].want));
	ck_assert_int_eq(e.http_status, answers[_i].status);
	ck_assert_str_eq(e.code, answers[_i].code);
	if (got == TOSS_OK)
		ck_assert_str_eq(p.status, "PARTIAL_CANCELED");
	else
		ck_assert_ptr_null(p.raw);
	if (answers[_i].ours != NULL)
		ck_assert_str_eq(toss_error_ours(&e), answers[_i].ours);
}
END_TEST

START_TEST(answer_message_kept)
{
	struct toss_payment p;
	struct toss_error e;
	const char *body = "{\"code\":\"REJECT_CARD_PAYMENT\",\"message\":\"한도초과 혹은 잔액부족"
	                   "으로 결제에 실패했습니다.\"}";

	ck_assert_int_eq(toss_answer(A, 403, body, strlen(body), &p, &e), TOSS_FAILED);
	ck_assert_str_eq(e.message, "한도초과 혹은 잔액부족으로 결제에 실패했습니다.");
	/* Not NUL-terminated: only len bytes are read. */
	ck_assert_int_eq(toss_answer(A, 200, payment_json, strlen(payment_json) - 1, &p, &e),
	                 TOSS_BAD_ANSWER);
}
END_TEST

START_TEST(transport_mapping)
{
	ck_assert_int_eq(toss_transport(CURLE_COULDNT_CONNECT, false), TOSS_RETRY);
	ck_assert_int_eq(toss_transport(CURLE_COULDNT_RESOLVE_HOST, false), TOSS_RETRY);
	ck_assert_int_eq(toss_transport(CURLE_SSL_CONNECT_ERROR, true), TOSS_RETRY);
	ck_assert_int_eq(toss_transport(CURLE_OPERATION_TIMEDOUT, false), TOSS_RETRY);
	ck_assert_int_eq(toss_transport(CURLE_OPERATION_TIMEDOUT, true), TOSS_TIMEOUT);
	ck_assert_int_eq(toss_transport(CURLE_RECV_ERROR, true), TOSS_TIMEOUT);
	ck_assert_int_eq(toss_transport(CURLE_GOT_NOTHING, true), TOSS_TIMEOUT);
	ck_assert_int_eq(toss_transport(CURLE_SEND_ERROR, true), TOSS_TIMEOUT);
	ck_assert_int_eq(toss_transport(CURLE_WRITE_ERROR, true), TOSS_BAD_ANSWER);
}
END_TEST

START_TEST(ours_without_answer)
{
	struct toss_error e = {0};

	ck_assert_str_eq(toss_error_ours(NULL), "PAYMENT_PROVIDER_ERROR");
	ck_assert_str_eq(toss_error_ours(&e), "PAYMENT_PROVIDER_ERROR"); /* no answer */
	e.http_status = 0;
	strcpy(e.code, "INVALID_REQUEST"); /* refused before sending */
	ck_assert_str_eq(toss_error_ours(&e), "PAYMENT_REJECTED");
}
END_TEST

/* ---- arguments refused before sending ---------------------------------- */

static void refused(enum toss_err got, const struct toss_error *e)
{
	ck_assert_int_eq(got, TOSS_FAILED);
	ck_assert_int_eq(e->http_status, 0);
	ck_assert_str_eq(e->code, "INVALID_REQUEST");
	ck_assert_ptr_nonnull(strstr(e->message, "not sent"));
}

START_TEST(arguments_refused)
{
	struct toss_payment p;
	struct toss_error e;
	char long_key[TOSS_KEY_MAX + 2], long_idem[TOSS_IDEM_MAX + 2], long_reason[700];

	/* An unreachable URL: if anything were sent it would not be FAILED. */
	cfg.toss_url = "http://127.0.0.1:1";
	cfg.toss_secret_key = "test_sk_x";
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	memset(long_idem, 'i', sizeof(long_idem) - 1);
	long_idem[sizeof(long_idem) - 1] = '\0';
	long_reason[0] = '\0';
	for (int i = 0; i < TOSS_REASON_MAX + 1; i++)
		strcat(long_reason, "가");

	refused(toss_confirm(A, "", "ORDER-0001", 1000, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, NULL, "ORDER-0001", 1000, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, long_key, "ORDER-0001", 1000, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, "pk 1", "ORDER-0001", 1000, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, "pk\r\nX-Evil: 1", "ORDER-0001", 1000, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, "pk", "ORD01", 1000, "idem-1", &p, &e), &e);      /* < 6 */
	refused(toss_confirm(A, "pk", "ORDER/0001", 1000, "idem-1", &p, &e), &e); /* charset */
	refused(toss_confirm(A, "pk",
	                     "O1234567890123456789012345678901234567890123456789012345678901234",
	                     1000, "idem-1", &p, &e),
	        &e); /* 65 */
	refused(toss_confirm(A, "pk", "ORDER-0001", 0, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, "pk", "ORDER-0001", -5, "idem-1", &p, &e), &e);
	refused(toss_confirm(A, "pk", "ORDER-0001", 1000, NULL, &p, &e), &e);
	refused(toss_confirm(A, "pk", "ORDER-0001", 1000, "", &p, &e), &e);
	refused(toss_confirm(A, "pk", "ORDER-0001", 1000, long_idem, &p, &e), &e); /* 301 */
	refused(toss_confirm(A, "pk", "ORDER-0001", 1000, "a\nb", &p, &e), &e);
	refused(toss_get(A, "", &p, &e), &e);
	refused(toss_get(A, long_key, &p, &e), &e);
	refused(toss_get_by_order(A, "ORD", &p, &e), &e);
	refused(toss_get_by_order(A, "ORDER 0001", &p, &e), &e);
	refused(toss_cancel(A, "pk", "", 0, "idem-1", &p, &e), &e);
	refused(toss_cancel(A, "pk", long_reason, 0, "idem-1", &p, &e), &e);
	refused(toss_cancel(A, "pk", "\xff\xfe", 0, "idem-1", &p, &e), &e);
	refused(toss_cancel(A, "pk", "고객 요청", -1, "idem-1", &p, &e), &e);
	refused(toss_cancel(A, "pk", "고객 요청", 100, NULL, &p, &e), &e);
	/* err may be NULL. */
	ck_assert_int_eq(toss_get(A, "", &p, NULL), TOSS_FAILED);

	/* At the limits the call goes out (and finds nothing listening). */
	long_idem[TOSS_IDEM_MAX] = '\0';
	long_reason[strlen(long_reason) - 3] = '\0'; /* 200 characters */
	ck_assert_int_eq(toss_confirm(A, "pk", "ORDER-0001", 1000, long_idem, &p, &e), TOSS_RETRY);
	ck_assert_int_eq(e.http_status, 0);
	ck_assert_str_eq(e.code, "");
	ck_assert_int_eq(toss_cancel(A, "pk", long_reason, 0, "idem-1", &p, &e), TOSS_RETRY);
}
END_TEST

/* ---- one-shot HTTP stubs on 127.0.0.1 ---------------------------------- */

struct stub {
	pid_t pid;
	int port;
	char req_path[64]; /* the request as received is written here */
};

enum stub_mode { STUB_ANSWER, STUB_SILENT, STUB_HUGE, STUB_HUGE_LENGTH };

/* Reads a request (headers and Content-Length body) into f. */
static void stub_read_request(int c, FILE *f)
{
	char buf[65536];
	size_t n = 0;
	const char *end = NULL;
	long clen = 0;

	while (n < sizeof(buf) - 1) {
		ssize_t got = read(c, buf + n, sizeof(buf) - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			if (cl != NULL)
				clen = strtol(cl + 17, NULL, 10);
		}
		if (end != NULL && n >= (size_t)(end + 4 - buf) + (size_t)clen)
			break;
	}
	fwrite(buf, 1, n, f);
}

static void stub_start(struct stub *s, enum stub_mode mode, const char *answer)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), fdf;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	strcpy(s->req_path, "/tmp/test_toss_req_XXXXXX");
	fdf = mkstemp(s->req_path);
	ck_assert_int_ge(fdf, 0);
	close(fdf);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		int c;
		FILE *f;
		/* Check's own SIGTERM handler would kill the test's process group. */
		signal(SIGTERM, SIG_DFL);
		c = accept(fd, NULL, NULL);
		f = fopen(s->req_path, "w");
		if (c < 0 || f == NULL)
			_exit(1);
		stub_read_request(c, f);
		fclose(f);
		if (mode == STUB_SILENT) {
			sleep(5);
		} else if (mode == STUB_HUGE || mode == STUB_HUGE_LENGTH) {
			static char chunk[65536];
			char head[200];
			int hn = snprintf(
			    head, sizeof(head),
			    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%s\r\n",
			    mode == STUB_HUGE_LENGTH ? "Content-Length: 2097152\r\n"
			                             : "Connection: close\r\n");
			memset(chunk, ' ', sizeof(chunk));
			if (write(c, head, (size_t)hn) != hn)
				_exit(1);
			for (int i = 0; i < 32; i++)
				if (write(c, chunk, sizeof(chunk)) < 0)
					break;
		} else {
			char head[256];
			int hn = snprintf(head, sizeof(head),
			                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			                  strlen(answer));
			if (write(c, head, (size_t)hn) != hn ||
			    write(c, answer, strlen(answer)) != (ssize_t)strlen(answer))
				_exit(1);
		}
		close(c);
		_exit(0);
	}
	close(fd);
	cfg.toss_url = arena_printf(A, "http://127.0.0.1:%d/", s->port);
	cfg.toss_secret_key = "test_sk_x";
}

/* Waits for the stub and returns the request it saw (arena). */
static const char *stub_finish(struct stub *s)
{
	FILE *f;
	char *buf = arena_alloc(A, 70000);
	size_t n;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	f = fopen(s->req_path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 69999, f);
	buf[n] = '\0';
	fclose(f);
	unlink(s->req_path);
	return buf;
}

START_TEST(wire_confirm)
{
	struct stub s;
	struct toss_payment p;
	struct toss_error e;
	const char *req;

	stub_start(&s, STUB_ANSWER, payment_json);
	ck_assert_int_eq(toss_confirm(A, "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1",
	                              "a4CWyWY5m89PNh7xJwhk1", 3000000000000000, "confirm-42-1", &p,
	                              &e),
	                 TOSS_OK);
	req = stub_finish(&s);
	ck_assert_str_eq(p.order_id, "a4CWyWY5m89PNh7xJwhk1");
	ck_assert_ptr_nonnull(p.raw);
	ck_assert_msg(strncmp(req, "POST /v1/payments/confirm HTTP/1.1\r\n", 36) == 0, "%s", req);
	/* base64("test_sk_x:") */
	ck_assert_ptr_nonnull(strstr(req, "\r\nAuthorization: Basic dGVzdF9za194Og==\r\n"));
	ck_assert_ptr_nonnull(strstr(req, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(req, "\r\nIdempotency-Key: confirm-42-1\r\n"));
	/* An integer amount, never an exponent. */
	ck_assert_ptr_nonnull(strstr(req,
	                             "\r\n\r\n{\"paymentKey\":\"5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9P"
	                             "OLqKQjmAw4b0e1\",\"orderId\":\"a4CWyWY5m89PNh7xJwhk1\","
	                             "\"amount\":3000000000000000}"));
}
END_TEST

START_TEST(wire_get_and_cancel)
{
	struct stub s;
	struct toss_payment p;
	struct toss_error e;
	const char *req;

	stub_start(&s, STUB_ANSWER, payment_json);
	ck_assert_int_eq(toss_get(A, "key/with?odd#chars%", &p, &e), TOSS_OK);
	req = stub_finish(&s);
	ck_assert_msg(
	    strncmp(req, "GET /v1/payments/key%2Fwith%3Fodd%23chars%25 HTTP/1.1\r\n", 55) == 0,
	    "%s", req);
	ck_assert_ptr_null(strstr(req, "Idempotency-Key"));
	ck_assert_ptr_null(strstr(req, "Content-Type"));

	stub_start(&s, STUB_ANSWER, payment_json);
	ck_assert_int_eq(toss_get_by_order(A, "a4CWyWY5m89PNh7xJwhk1", &p, &e), TOSS_OK);
	req = stub_finish(&s);
	ck_assert_int_eq(strncmp(req, "GET /v1/payments/orders/a4CWyWY5m89PNh7xJwhk1 HTTP/1.1", 54),
	                 0);

	stub_start(&s, STUB_ANSWER, payment_json);
	ck_assert_int_eq(toss_cancel(A, "pk", "고객 \"변심\"", 0, "cancel-1", &p, &e), TOSS_OK);
	req = stub_finish(&s);
	ck_assert_int_eq(strncmp(req, "POST /v1/payments/pk/cancel HTTP/1.1\r\n", 38), 0);
	ck_assert_ptr_nonnull(strstr(req, "\r\n\r\n{\"cancelReason\":\"고객 \\\"변심\\\"\"}"));

	stub_start(&s, STUB_ANSWER, payment_json);
	ck_assert_int_eq(toss_cancel(A, "pk", "부분 환불", 15000, "cancel-2", &p, &e), TOSS_OK);
	req = stub_finish(&s);
	ck_assert_ptr_nonnull(
	    strstr(req, "{\"cancelReason\":\"부분 환불\",\"cancelAmount\":15000}"));
	ck_assert_ptr_nonnull(strstr(req, "\r\nIdempotency-Key: cancel-2\r\n"));
}
END_TEST

START_TEST(wire_timeout_after_sending)
{
	struct stub s;
	struct toss_payment p;
	struct toss_error e;
	int64_t t0;

	setenv("TICKET_TOSS_TIMEOUT_MS", "300", 1);
	stub_start(&s, STUB_SILENT, NULL);
	t0 = tk_now_ms();
	ck_assert_int_eq(toss_confirm(A, "pk", "ORDER-0001", 1000, "idem-t", &p, &e), TOSS_TIMEOUT);
	ck_assert_int_lt(tk_now_ms() - t0, 3000);
	stub_finish(&s);
	unsetenv("TICKET_TOSS_TIMEOUT_MS");
	ck_assert_int_eq(e.http_status, 0);
	ck_assert_uint_gt(strlen(e.message), 0);
}
END_TEST

START_TEST(wire_answer_over_cap)
{
	struct stub s;
	struct toss_payment p;
	struct toss_error e;

	stub_start(&s, STUB_HUGE, NULL);
	ck_assert_int_eq(toss_get(A, "pk", &p, &e), TOSS_BAD_ANSWER);
	stub_finish(&s);
	stub_start(&s, STUB_HUGE_LENGTH, NULL);
	ck_assert_int_eq(toss_get(A, "pk", &p, &e), TOSS_BAD_ANSWER);
	stub_finish(&s);
}
END_TEST

static Suite *toss_suite(void)
{
	Suite *s = suite_create("toss");
	TCase *t = tcase_create("parse");
	TCase *w = tcase_create("wire");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, payment_full_sample);
	tcase_add_test(t, payment_ready_has_nulls);
	tcase_add_test(t, payment_cancels_order);
	tcase_add_loop_test(t, not_a_payment, 0, (int)TK_ARRAY_LEN(not_payments));
	tcase_add_test(t, payment_long_method_cut_on_character);
	tcase_add_loop_test(t, answer_mapping, 0, (int)TK_ARRAY_LEN(answers));
	tcase_add_test(t, answer_message_kept);
	tcase_add_test(t, transport_mapping);
	tcase_add_test(t, ours_without_answer);
	suite_add_tcase(s, t);

	tcase_add_checked_fixture(w, setup, teardown);
	tcase_set_timeout(w, 30);
	tcase_add_test(w, arguments_refused);
	tcase_add_test(w, wire_confirm);
	tcase_add_test(w, wire_get_and_cancel);
	tcase_add_test(w, wire_timeout_after_sending);
	tcase_add_test(w, wire_answer_over_cap);
	suite_add_tcase(s, w);
	return s;
}

int main(void)
{
	return unit_run(toss_suite());
}
