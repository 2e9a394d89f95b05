/*
 * pending.h — pending orders written behind their holds.
 *
 * A successful hold answers 201 as soon as Redis has taken the units: the
 * pending order goes to PostgreSQL right after the answer, batched. The hold
 * script (stock_hold) stores the order's record and queues its token in the
 * same atomic step as the hold, so no hold exists without its order:
 *
 *   {ev:E}:o:<token>   the record: the order as JSON (pending_record)
 *   {ev:E}:w           zset: tokens waiting to be written → when queued (ms)
 *   {ev:E}:wp          zset: tokens being written → when claimed (ms)
 *   {ev:E}:wl          the writer lock (one writer per event at a time)
 *
 * Who writes:
 *   - a public worker, after the answer to a hold attempt has gone, when the
 *     hold script said the queue is waiting and nobody is writing it: at
 *     once if no request is waiting for the worker, else only records
 *     PENDING_MAX_AGE_MS old (pending_drain). One statement writes up to
 *     PENDING_BATCH orders. Under normal load an order is in PostgreSQL a
 *     few milliseconds after its 201. At the opening of a sale, when
 *     thousands of buyers are waiting, the first wave is answered before
 *     its orders are written (one insert per reservation, before the
 *     answer, kept every worker waiting on PostgreSQL while everybody else
 *     queued behind them);
 *   - anything that needs the row first writes it: reading, extending or
 *     cancelling a reservation (pending_materialize), paying for it or
 *     looking it up by order number (pending_flush_order), the admin order
 *     list and reconcile (pending_flush);
 *   - the worker daemon, through reconcile, every few seconds.
 * Writes are idempotent (ON CONFLICT DO NOTHING, which waits for a
 * concurrent writer of the same row), so two writers of one record are
 * harmless. A record whose write PostgreSQL refuses (a constraint) has its
 * hold released: no hold stays without an order. While PostgreSQL is
 * unreachable records wait in Redis and are written when it is back (a
 * claim older than PENDING_STALE_MS is taken over by the next writer).
 *
 * The price: a reservation whose order is still queued lives only in Redis.
 * If Redis loses its data at that moment the reservation is lost whole —
 * no hold, no order, its token unknown, its units back on sale — never
 * half. Under normal load that window is milliseconds; while every
 * worker is busy, one to a few seconds (PENDING_MAX_AGE_MS to
 * PENDING_LATE_MS and a batch). Nothing paid can be lost this way: Toss is
 * asked to confirm a payment only for an order found in PostgreSQL.
 */
#ifndef PENDING_H
#define PENDING_H

#include "arena.h"
#include "db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PENDING_BATCH 256      /* records one statement writes at most */
#define PENDING_STALE_MS 10000 /* a claim this old is taken over */
/* A queue shorter than this is written at once whatever the load … */
#define PENDING_BURST 32
/* … a longer one, while requests wait for the worker (the opening of a
 * sale), only once its records are this old: the writes wait for the first
 * wave of buyers to be answered instead of making every one of them wait
 * longer … */
#define PENDING_MAX_AGE_MS 1000
/* … one batch per PENDING_PACE_MS (up to 2 560 orders a second per event),
 * unless the queue's oldest record is PENDING_LATE_MS old: then every
 * worker that sees it writes a batch before its next answer, whatever it
 * costs the answers (the queue must not grow without end under a sustained
 * stream of reservations: the answers slow down to what PostgreSQL keeps
 * up with). */
#define PENDING_PACE_MS 100
#define PENDING_LATE_MS 3000

struct pending_item {
	int64_t product_id;
	int64_t qty;
	int64_t unit_price;
};

struct pending_order {
	const char *number;     /* order number, also the Toss order id */
	const char *token;      /* reservation token */
	const char *visit_date; /* NULL for undated orders */
	int64_t amount;
	const char *name, *phone, *email; /* email NULL when none */
	const char *access_token;
	const struct pending_item *items;
	size_t n_items;
};

/* The order as the hold script stores it: a JSON object without its closing
 * brace (the script adds the hold's expiry as "x"). */
char *pending_record(struct arena *a, const struct pending_order *o);

/* The record completed with an expiry (ms), for a write with no hold. */
char *pending_record_close(struct arena *a, const char *record, int64_t expires_ms);

/* Writes one complete record now (orders without stock lines). DB_OK when
 * the row is there afterwards; DB_UNIQUE when another order holds its
 * number or tokens. */
enum db_err pending_write_one(struct arena *a, int64_t event_id, const char *record);

/* After a hold attempt that saw the event's queue holding `queued` records,
 * the oldest oldest_age_ms old, and no writer at it (or the queue late):
 * writes the queue if it is short (PENDING_BURST), if this worker is idle
 * (idle(): nothing waiting on its listen socket) or if the oldest record is
 * PENDING_MAX_AGE_MS old, one writer at a time; a late queue
 * (PENDING_LATE_MS) gets a batch from every worker. */
/* True when records may be left that this call did not write (the caller
 * tries again when it is idle: app_idle_task). */
bool pending_drain(struct arena *a, int64_t event_id, long long queued, int64_t oldest_age_ms,
                   bool (*idle)(void));

/* Makes sure the reservation's order is in PostgreSQL: writes its record
 * if it is still queued. DB_OK when there was nothing to do or the write
 * landed; DB_DOWN when PostgreSQL or Redis cannot be reached; DB_RETRY when
 * the write failed for a reason that passes (a timeout, a read-only or full
 * server: the record stays queued and is written later); an integrity
 * error (DB_UNIQUE, DB_CHECK, DB_INVALID) when PostgreSQL refused it for
 * good (its hold is released, the reservation is gone whole). */
enum db_err pending_materialize(struct arena *a, int64_t event_id, const char *token);

/* Writes everything the event has queued or in flight. DB_RETRY when some
 * records could not be written for a passing reason (still queued). */
enum db_err pending_flush(struct arena *a, int64_t event_id);

/* pending_flush for every event; *events says how many were looked at. */
enum db_err pending_flush_all(struct arena *a, size_t *events);

/* The daemon's safety net, every event: writes records PENDING_LATE_MS old
 * (left behind when hold attempts stopped coming, or by a writer that died)
 * and nothing younger, so it never does the workers' paced writing in
 * their stead. */
enum db_err pending_write_late(struct arena *a, size_t *written);

/* pending_flush for the event an order number belongs to (its prefix is
 * the event code); DB_OK when the number names no event. */
enum db_err pending_flush_order(struct arena *a, const char *order_number);

#endif
