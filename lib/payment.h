/*
 * payment.h — paying for a reservation with Toss Payments, and the commit
 * that turns a pending order into a paid one.
 *
 * Every road reaches the same commit (payment_commit in payment.c): the
 * success redirect, POST confirm, the webhook and the daemon. It is one
 * PostgreSQL transaction that locks the order (FOR UPDATE), raises each
 * quota's sold with "… AND sold + n <= capacity", marks the order paid,
 * records the payment, issues one signed ticket per admitted person, and
 * queues the Alimtalk notification and the activity entry. An order that
 * is already paid commits nothing a second time. When a quota refuses, the
 * transaction is rolled back and the payment is cancelled at Toss in full
 * ("재고 부족 자동 취소"); the order is then canceled with its payment
 * recorded. After COMMIT the Redis hold is consumed (stock_consume), which
 * takes the units again if the hold had expired meanwhile.
 *
 * Order statuses this module sets: pending → paid (commit);
 * pending → payment_failed (buyer gave up, card rejected, amount tampered,
 * Toss reports ABORTED/EXPIRED; the hold is released); any unpaid status →
 * canceled (a confirmed payment the quota could not take: cancelled at
 * Toss). A payment confirmed for an order whose hold expired (status
 * pending past its expiry, expired, payment_failed, canceled by the buyer)
 * still commits when the quotas have room.
 *
 * payments.confirm_state: 'requested' is written (and committed) before
 * the confirm call, so a worker dying mid-confirm leaves a row the daemon
 * settles (payment_settle_stuck); 'done' once Toss's DONE (or the cancel
 * of it) is recorded; 'failed' when Toss refused or the payment ended.
 */
#ifndef PAYMENT_H
#define PAYMENT_H

#include "arena.h"
#include "http.h"

#include <stddef.h>
#include <stdint.h>

#define PAYMENT_SETTLE_AFTER_S 30 /* 'requested' rows older than this are stuck */
#define PAYMENT_SESSION_S 600     /* Toss refuses a confirm this long after auth */
#define PAYMENT_SETTLE_BATCH 100  /* rows one settle round looks at, per kind */
#define PAYMENT_MAX_TICKETS 10000 /* max_per_order (100) × admits (100) */
#define PAYMENT_CANCEL_REASON "재고 부족 자동 취소"

enum payment_err {
	PAYMENT_OK,              /* the order is paid (now or before) */
	PAYMENT_WAITING,         /* a virtual account awaits the deposit; order pending */
	PAYMENT_NOT_FOUND,       /* no such order (orderId unknown) */
	PAYMENT_AMOUNT_MISMATCH, /* amount ≠ the order's: nothing confirmed, hold released */
	PAYMENT_CONFLICT,        /* paid already with another paymentKey; or the key is
	                            another order's */
	PAYMENT_REJECTED,        /* Toss refused (card…): order payment_failed */
	PAYMENT_SOLD_OUT,        /* quota full at commit: cancelled at Toss, order canceled */
	PAYMENT_EXPIRED,         /* as SOLD_OUT, and the hold had expired before */
	PAYMENT_PROVIDER,        /* Toss unreachable or the outcome unknown: left
	                            'requested' for the daemon */
	PAYMENT_DB,              /* PostgreSQL failed (logged) */
};

/* Who is acting, for the activity log ("success", "confirm", "webhook",
 * "settle") and the request it came with (all may be NULL). */
struct payment_ctx {
	const char *via;
	const char *request_id;
	const char *ip;
	const char *user_agent;
};

/* What became of an order, for the answer. Strings live in the arena. */
struct payment_outcome {
	const char *event_code; /* NULL when the order is unknown */
	const char *order_number;
	const char *access_token;
	const char *status; /* the order's status afterwards */
	char toss_code[64]; /* Toss's error code when it refused */
	char toss_message[256];
};

/* Inside the caller's transaction, for an order written with its items and
 * no payment (an invitation claim, amount 0): takes its units from
 * quota_usage with the commit's guard (sold + qty <= capacity, in quota
 * order) and issues its signed tickets. PAYMENT_OK (lines: what it took,
 * for Redis; tickets: how many), PAYMENT_SOLD_OUT when a quota refused, or
 * PAYMENT_DB; on either failure the caller rolls back. */
struct stock_line;
enum payment_err payment_sell_free(struct arena *a, int64_t order_id, int64_t event_id,
                                   const char *number, struct stock_line *lines, size_t *n_lines,
                                   size_t *tickets);

/* The success redirect's and POST confirm's work: checks amount against
 * the order, records the attempt, confirms with Toss (Idempotency-Key =
 * orderId; once more on a retryable answer; settled by GET when the answer
 * is unknown), and applies what Toss says. Any status of enum payment_err. */
enum payment_err payment_confirm(struct arena *a, const struct payment_ctx *c,
                                 const char *payment_key, const char *order_id, int64_t amount,
                                 struct payment_outcome *out);

/* The buyer gave up or Toss failed in the window: a pending order becomes
 * payment_failed and its hold is released. PAYMENT_OK (also when the order
 * was no longer pending: nothing changes), PAYMENT_NOT_FOUND, PAYMENT_DB. */
enum payment_err payment_abandon(struct arena *a, const struct payment_ctx *c, const char *order_id,
                                 struct payment_outcome *out);

/* The daemon's part, every few seconds: settles payments left 'requested'
 * for PAYMENT_SETTLE_AFTER_S (worker died or Toss did not answer) by asking
 * Toss and applying its answer, retries cancels of payments the quota
 * refused that Toss did not take, and reprocesses webhook deliveries
 * recorded while Toss could not be reached. *settled (may be NULL) gets
 * how many rows reached a final state. PAYMENT_OK, PAYMENT_PROVIDER (Toss
 * unreachable for some: they wait for the next round), PAYMENT_DB. */
enum payment_err payment_settle_stuck(struct arena *a, size_t *settled);

/* Route handlers of the payment family (PERM_PUBLIC). */

/* GET success?paymentKey=&orderId=&amount= → 303 to
 * /{code}/orders/{order_number}?access=… or /{code}/?error=CODE. */
void payment_success(struct http_req *r);

/* GET fail?code=&message=&orderId= → 303 to /{code}/?error=CODE. */
void payment_fail(struct http_req *r);

/* POST confirm {"paymentKey","orderId","amount"} → 200
 * {"order":{order_number,status,access_url}} or the error envelope. */
void payment_confirm_route(struct http_req *r);

/* POST webhook (Toss PAYMENT_STATUS_CHANGED / DEPOSIT_CALLBACK) → 200. */
void payment_webhook(struct http_req *r);

#endif
