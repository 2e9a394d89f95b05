/*
 * toss.h — Toss Payments core API v1 client (libcurl).
 *
 * Base URL, client key and secret key come from config (TICKET_TOSS_URL,
 * TICKET_TOSS_CLIENT_KEY, TICKET_TOSS_SECRET_KEY): the fake in dev/test and
 * https://api.tosspayments.com in production need no code change.
 * Authentication: "Authorization: Basic base64(secretKey + ':')". Every POST
 * carries an Idempotency-Key (≤ 300 characters). Connect timeout 3 s, whole
 * request 10 s (TICKET_TOSS_TIMEOUT_MS overrides the latter).
 */
#ifndef TOSS_H
#define TOSS_H

#include "arena.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOSS_KEY_MAX 200            /* paymentKey */
#define TOSS_ORDER_ID_MAX 64        /* orderId: 6–64 of A-Z a-z 0-9 - _ */
#define TOSS_REASON_MAX 200         /* cancelReason */
#define TOSS_IDEM_MAX 300           /* Idempotency-Key */
#define TOSS_BODY_MAX (1024 * 1024) /* largest answer read */

/* The fields of a Payment object the system uses; raw is the whole object
 * (owned by the arena). */
struct toss_payment {
	char payment_key[TOSS_KEY_MAX + 1];
	char order_id[TOSS_ORDER_ID_MAX + 1];
	char status[32]; /* READY IN_PROGRESS WAITING_FOR_DEPOSIT DONE CANCELED
	                    PARTIAL_CANCELED ABORTED EXPIRED */
	char method[64];
	int64_t total_amount;
	int64_t balance_amount;
	char requested_at[40];
	char approved_at[40];
	char secret[80];               /* virtual accounts: DEPOSIT_CALLBACK check */
	char last_transaction_key[80]; /* of the newest entry in cancels[] */
	cJSON *raw;
};

/* Toss's error answer {"code","message"} and its HTTP status. */
struct toss_error {
	long http_status;
	char code[64];
	char message[256];
};

enum toss_err {
	TOSS_OK,
	TOSS_FAILED,     /* Toss answered 4xx with an error; see toss_error */
	TOSS_NOT_FOUND,  /* 404 NOT_FOUND_PAYMENT (or _SESSION) */
	TOSS_RETRY,      /* 5xx, 409 IDEMPOTENT_REQUEST_PROCESSING, connection refused:
	                    nothing happened or it is safe to repeat with the same key */
	TOSS_TIMEOUT,    /* no answer in time: the outcome is unknown; settle by GET */
	TOSS_BAD_ANSWER, /* an answer that is not a Payment / error object */
};

/*
 * The calls below clear *out and *err first (err may be NULL). Arguments
 * that Toss would refuse (paymentKey not 1–TOSS_KEY_MAX printable ASCII,
 * orderId not 6–64 of A-Z a-z 0-9 - _, amount out of range, cancelReason
 * not 1–TOSS_REASON_MAX characters of UTF-8, Idempotency-Key not 1–300
 * printable ASCII) are not sent: TOSS_FAILED with err->http_status 0 and
 * err->code "INVALID_REQUEST". Without an HTTP answer (TOSS_RETRY,
 * TOSS_TIMEOUT) err->http_status is 0, err->code "" and err->message says
 * what libcurl saw. out->raw belongs to the arena.
 */

/* Caps the time of each following call at ms (0 lifts the cap), for
 * callers that must answer quickly whatever Toss does: the webhook answers
 * within a second and leaves what did not finish to the daemon. */
void toss_set_budget_ms(long ms);

/* POST /v1/payments/confirm {paymentKey, orderId, amount}. */
enum toss_err toss_confirm(struct arena *a, const char *payment_key, const char *order_id,
                           int64_t amount, const char *idempotency_key, struct toss_payment *out,
                           struct toss_error *err);

/* GET /v1/payments/{paymentKey}. */
enum toss_err toss_get(struct arena *a, const char *payment_key, struct toss_payment *out,
                       struct toss_error *err);

/* GET /v1/payments/orders/{orderId}. */
enum toss_err toss_get_by_order(struct arena *a, const char *order_id, struct toss_payment *out,
                                struct toss_error *err);

/* POST /v1/payments/{paymentKey}/cancel {cancelReason, cancelAmount?};
 * amount 0 cancels everything left. */
enum toss_err toss_cancel(struct arena *a, const char *payment_key, const char *reason,
                          int64_t amount, const char *idempotency_key, struct toss_payment *out,
                          struct toss_error *err);

/* Parses a Payment object (as in webhook bodies) into out; false when it is
 * not one. out->raw is set to obj (not copied). */
bool toss_payment_from_json(cJSON *obj, struct toss_payment *out);

/* Our error code for a Toss failure: "PAYMENT_REJECTED" (card refused,
 * invalid request, amount), "PAYMENT_PROVIDER_ERROR" (their side), … */
const char *toss_error_ours(const struct toss_error *err);

/* How an HTTP answer maps to a result (exposed for tests): fills out from a
 * 2xx Payment, err from {code, message}; body[0..len) need not be
 * NUL-terminated; the parsed tree belongs to the arena. */
enum toss_err toss_answer(struct arena *a, long status, const char *body, size_t len,
                          struct toss_payment *out, struct toss_error *err);

/* How a failed transfer maps to a result (exposed for tests): curl_code is a
 * CURLcode, sent whether the request may have left (a connection was made). */
enum toss_err toss_transport(int curl_code, bool sent);

/* "ok", "failed", "not_found", "retry", "timeout", "bad_answer" (logs). */
const char *toss_err_name(enum toss_err e);

/* Closes the kept connection and libcurl (at exit; valgrind). */
void toss_close(void);

#endif
