/*
 * orders.h — admin order management (admin family, event-scoped): the
 * order list and its search, one order with everything that happened to
 * it, refunds (whole or by ticket, cancelled at Toss), and exports (CSV,
 * XLSX). The customer's own view of an order is order.h.
 *
 * Tables: orders, order_items, tickets, refunds, notifications (written by
 * the refund), payments (read; balance and status updated by the refund),
 * quota_usage (sold lowered by the refund), activity_log (read as an
 * order's history; written through audit.h).
 *
 * Each function here is a complete route handler; the dispatcher has
 * checked login and the route's level on r->event_id (SCOPE_PATH_ID).
 *
 * Filters of the list and the export (query string; a bad value answers
 * 422 VALIDATION naming it):
 *   status      one order status, or several separated by commas
 *               (pending paid expired canceled refunded partially_refunded
 *               payment_failed)
 *   visit_date  YYYY-MM-DD
 *   q           1–ORDERS_Q_MAX characters: part of the order number (case
 *               ignored), of the customer's name (case ignored), or — when
 *               q has ORDERS_Q_PHONE_MIN or more digits and nothing but
 *               digits, dashes and spaces — of the phone number
 *   from, to    the order's creation: YYYY-MM-DD (a Seoul calendar day,
 *               `to` includes the whole day) or an ISO-8601 instant
 *               (inclusive); a '+' of an unencoded offset arriving as a
 *               space is accepted
 * Orders come newest first (created_at, then id, descending).
 */
#ifndef ORDERS_H
#define ORDERS_H

#include "http.h"

#include <stddef.h>

#define ORDERS_Q_MAX 100          /* characters of ?q= */
#define ORDERS_Q_PHONE_MIN 3      /* digits before q also searches phones */
#define ORDERS_STATUS_MAX 7       /* statuses in one ?status= */
#define ORDERS_REASON_MAX 200     /* refund reason, characters (Toss's cancelReason) */
#define ORDERS_REFUND_CODES 10000 /* ticket_codes of one refund (100 units × 100 admits) */
#define ORDERS_EXPORT_MAX 50000   /* rows of one export; more → 422, narrow the filter */
#define ORDERS_EXPORT_BYTES (256u * 1024 * 1024) /* an export file larger than this → 500 */
#define ORDERS_LOCK_TIMEOUT "15s" /* a refund waits this long for another on the order */

/* GET events/{id}/orders?status=&visit_date=&q=&from=&to=&page=&limit= →
 * 200 {"items":[{id, order_number, status, source, visit_date, amount,
 * refunded_amount, customer:{name, phone (digits), email}, items_count (units
 * ordered: the sum of the items' qty), tickets_count (tickets issued, any
 * status), paid_at, created_at}], page, limit, total}. 404
 * EVENT_NOT_FOUND, 422 VALIDATION. */
void orders_list(struct http_req *r);

/* GET events/{id}/orders/{oid} → 200 {"order":{the list item's fields,
 * toss_order_id, hold_expires_at, canceled_at, updated_at,
 * items:[{id, product_id, product_name, type, admits, qty, unit_price, amount,
 *         refunded_qty}],
 * payments:[{id, payment_key, method, status, total_amount, balance_amount,
 *            confirm_state, requested_at, approved_at, receipt_url, last_error,
 *            created_at, updated_at}],
 * refunds:[{id, payment_id, amount, reason, ticket_ids, ticket_codes,
 *           toss_transaction_key, status, admin:{id, username, name}|null,
 *           created_at}],
 * tickets:[{id, code, order_item_id, product_id, product_name, status
 *           (valid|used|refunded|void), visit_date, used_at, used_gate,
 *           refunded_at}],
 * notifications:[{id, channel, template_code, recipient, status
 *                 (pending|sent|resent_sms|failed), attempts, last_error,
 *                 provider_request_id, provider_result_code, provider_result,
 *                 next_attempt_at, resends, sent_at, created_at}],
 * history:[activity entries about the order (target "order", id), oldest
 *          first: {id, admin_id, admin_username, level, action, summary, ip,
 *          request_id, created_at}]}}.
 * 404 EVENT_NOT_FOUND; 404 NOT_FOUND when {oid} is not a positive integer
 * or names no order of this event. */
void orders_get(struct http_req *r);

/*
 * POST events/{id}/orders/{oid}/refund {"reason": 1–ORDERS_REASON_MAX
 * characters, "ticket_codes": [codes] (optional; absent or null = the whole
 * rest of the order)} → 201 {"refund":{id, order_id, order_number, amount,
 * reason, ticket_ids, ticket_codes, items:[{order_item_id, product_id,
 * product_name, units, amount}], toss_transaction_key, payment:{id, status,
 * balance_amount}|null, order_status, created_at}}.
 *
 * What is refunded. A ticket admits one person and belongs to an order
 * item; an item of qty n of a product that admits k issued n × k tickets,
 * and the unit (what was paid unit_price for, and what took stock) is k
 * tickets. Refunds are made of whole units: of an item whose product
 * admits k > 1 a refund lists a multiple of k of its tickets (any of them;
 * each k is one unit), else 422 naming ticket_codes. The amount is
 * Σ unit_price × units. Without ticket_codes: every item's remaining
 * units — for ticket products as many whole units as its valid tickets
 * make (a unit with a used ticket stays; with k = 1 that is every valid
 * ticket), for products that issue no ticket (admits 0) every unit not yet
 * refunded.
 *
 * Checks, in this order: the order is paid or partially_refunded (refunded
 * → 409 ALREADY_REFUNDED, any other status → 409 CONFLICT with
 * details.status); every code is a ticket of this order (422 naming
 * ticket_codes, details.unknown_codes); none is used (409 ALREADY_USED,
 * details.ticket_codes) or refunded/void (409 ALREADY_REFUNDED); whole
 * units; something is left to refund (409 ALREADY_USED when what is left
 * was used, else ALREADY_REFUNDED); the amount fits the payment's balance
 * (409 CONFLICT).
 *
 * Money. An order with a Toss payment is cancelled at Toss for the amount
 * (0 = "all that is left" when the amount is the whole balance) with
 * Idempotency-Key "refund-<order id>-<sha256 of the sorted ticket ids, the
 * refunded units and the number of refusals recorded for the order>", so a
 * repeated request (a lost answer, a worker that died, PostgreSQL failing
 * after Toss cancelled) gets Toss's first answer back and cannot refund
 * twice. A refusal (Toss's definite 4xx) is recorded as a refunds row with
 * status 'failed' and the activity entry "order.refund_failed", in its own
 * transaction: the next attempt gets a new key instead of the refusal
 * replayed. Orders without a payment (invitations,
 * manual issues) and refunds of amount 0 make no Toss call. Toss refusing
 * → 402 PAYMENT_REJECTED (details.toss_code, toss_message); Toss failing or
 * not answering → 502 PAYMENT_PROVIDER_ERROR (details.retry_safe: the same
 * request may be sent again); nothing is changed then. An answer that says
 * nothing (5xx, timeout) is settled by fetching the payment: its balance
 * down by the amount = done (recorded as usual), unchanged after a 5xx =
 * nothing happened (the cancel is sent once more), anything else → 502.
 *
 * Locking. One transaction, opened before Toss is called: it locks the
 * order (SELECT … FOR UPDATE), the tickets being refunded and the payment
 * row, re-checks everything under the lock, calls Toss while holding the
 * locks, then writes and commits. A second refund of the same order waits
 * (at most ORDERS_LOCK_TIMEOUT, then 409 CONFLICT) and sees the first one's
 * result, so two concurrent requests never cancel twice at Toss; a gate
 * admitting one of the tickets meanwhile waits too and then finds it
 * refunded; a Toss webhook about the cancel waits for the refund row it
 * recognises. Refunds are rare and Toss answers within its timeout (10 s),
 * so holding a row lock that long is acceptable; an advisory lock would
 * not survive PgBouncer's transaction pooling.
 *
 * Writes, in that transaction: the refunds row (amount, ticket_ids, Toss's
 * transaction key, status done, admin), tickets → refunded (refunded_at),
 * order_items.refunded_qty, quota_usage.sold lowered by units ×
 * product_quota_units for each (quota, visit date of per_day quotas), the
 * order → refunded (every unit refunded) or partially_refunded, the payment's
 * status and balance as Toss reports them, a notification (template REFUND,
 * or REFUND_PARTIAL while part of the order stays)
 * and the activity entry "order.refund". After COMMIT the units go back to
 * the Redis counters (stock_add; a failure there is drift that reconcile
 * repairs). If PostgreSQL fails after Toss cancelled, the answer is 500/503
 * with details.toss_canceled and details.retry_safe, and it is logged.
 */
void orders_refund(struct http_req *r);

/*
 * GET events/{id}/orders/export?format=xlsx|csv (default xlsx) and the
 * list's filters → 200 with the file as an attachment (Content-Disposition
 * with an ASCII filename and filename*=UTF-8''…), one row per order, newest
 * first, Korean headers. CSV is UTF-8 with a BOM (for Excel), RFC 4180
 * quoting, CRLF line ends; XLSX is one sheet written with libxlsxwriter
 * through a temporary file in $TMPDIR (removed before answering). In both,
 * a text cell whose first character could start a formula (= + - @, tab,
 * CR, LF or their full-width forms) gets an apostrophe in front: it shows
 * as text and never runs. More than ORDERS_EXPORT_MAX orders → 422
 * VALIDATION (details.rows, details.max); 404 EVENT_NOT_FOUND; 422 for bad
 * filters or format. Audited as order.export (format, filters, rows).
 */
void orders_export(struct http_req *r);

/* The export's cell rule: true when s must be neutralised (starts with
 * = + - @ tab CR LF or a full-width = + - @). */
bool orders_cell_risky(const char *s);

#endif
