/*
 * stock.h — the Redis side of "never oversell".
 *
 * Each quota has one counter per visit date (per_day quotas) or one for the
 * whole event, holding capacity − sold − held. Keys of one event share the
 * hash tag {ev:<id>} so every script touches one Redis Cluster slot:
 *
 *   {ev:E}:a:<quota>:<YYYY-MM-DD|all>   available units
 *   {ev:E}:holds                        zset: hold token → expiry (ms)
 *   {ev:E}:h:<token>                    the hold: "counterkey qty counterkey qty …"
 *   {ev:E}:o:<token>, {ev:E}:w, :wp     its pending order until written (pending.h)
 *
 * A hold takes every counter it needs or none (one Lua script). The same
 * script first releases a few expired holds of the event, so expiry is
 * correct without a daemon. Release and consume are gated by removing the
 * token from the zset, so cancel and expiry racing return stock exactly once.
 * PostgreSQL's quota_usage.sold (checked against capacity on commit) has the
 * last word; stock_reconcile rebuilds the counters from it.
 */
#ifndef STOCK_H
#define STOCK_H

#include "arena.h"

#include <stdbool.h>
#include <stdint.h>

#define STOCK_MAX_LINES 32 /* distinct counters one hold may touch */
#define STOCK_TOKEN_MAX 64
#define STOCK_RELEASE_BATCH 8 /* expired holds released per hold call */
/* A queued pending-order record outlives its hold by this much, so a write
 * delayed by a PostgreSQL outage still lands (as an expired order). */
#define STOCK_RECORD_GRACE_MS 3600000
#define STOCK_RECORD_GRACE_MS_STR "3600000"

/* One counter and how many units of it. */
struct stock_line {
	int64_t quota_id;
	char date[11]; /* "YYYY-MM-DD", or "" for a whole-event quota */
	int64_t qty;
};

enum stock_err {
	STOCK_OK,
	STOCK_SOLD_OUT,  /* a counter has fewer units than asked; *failed_line says which */
	STOCK_UNINIT,    /* a counter does not exist (Redis lost its data): reconcile, retry */
	STOCK_GONE,      /* the hold no longer exists (expired, released or consumed) */
	STOCK_DUPLICATE, /* a hold with this token exists already */
	STOCK_DOWN,      /* Redis unreachable */
	STOCK_ERROR,     /* Redis refused the script: a bug, logged */
};

/* Merges lines with the same counter (adult and child on one daily quota)
 * in place; returns the new count. */
size_t stock_merge(struct stock_line *lines, size_t n);

/* The counter key of a line into out (≥ 64 bytes). */
void stock_key(int64_t event_id, const struct stock_line *l, char *out, size_t len);

/* What a hold call found. */
struct stock_held {
	int64_t expires_ms; /* STOCK_OK: the hold's expiry (Redis clock) */
	size_t failed_line; /* SOLD_OUT / UNINIT: the offending line */
	int64_t available;  /* SOLD_OUT: what that counter had */
	/* OK and SOLD_OUT: the event's queue of pending orders to write
	 * (pending.h) — its length, the age of its oldest record, and whether
	 * a writer holds the event's writer lock. */
	long long queued;
	int64_t queue_age_ms;
	bool writer_busy;
};

/* Holds all lines for hold_ms under token, or nothing. With a record (see
 * pending.h: its pending order, a JSON object without the closing brace),
 * the same script stores it as {ev:E}:o:<token> and queues the token on
 * {ev:E}:w for writing to PostgreSQL. */
enum stock_err stock_hold(struct arena *a, int64_t event_id, const char *token,
                          const struct stock_line *lines, size_t n, int64_t hold_ms,
                          const char *record, struct stock_held *out);

/* Gives a hold's units back. STOCK_OK when this call released it,
 * STOCK_GONE when it was already gone (nothing changes). */
enum stock_err stock_release(struct arena *a, int64_t event_id, const char *token);

/* Sets a live hold's expiry to expires_ms (absolute, ms). STOCK_GONE when
 * the hold has expired or is gone. */
enum stock_err stock_extend(struct arena *a, int64_t event_id, const char *token,
                            int64_t expires_ms);

/* After the sale is committed in PostgreSQL: the hold's units are sold, so
 * drop the hold without giving anything back. If the hold had already been
 * released (it expired and its units went back), takes the lines' units
 * from the counters again so Redis agrees with what was sold. Sets
 * *was_live accordingly. */
enum stock_err stock_consume(struct arena *a, int64_t event_id, const char *token,
                             const struct stock_line *lines, size_t n, bool *was_live);

/* Gives units back to counters (refunds). Counters that do not exist are
 * left alone (reconcile will build them). */
enum stock_err stock_add(struct arena *a, int64_t event_id, const struct stock_line *lines,
                         size_t n);

/* Adds delta to every listed counter if none would go below zero (capacity
 * changes); STOCK_SOLD_OUT when one would. Missing counters are skipped. */
enum stock_err stock_adjust(struct arena *a, int64_t event_id, const char *const *keys, size_t n,
                            int64_t delta);

/* Reads counters, after giving back a few expired holds of the event so
 * the figures never include holds that ran out; missing ones come back as
 * -1. */
enum stock_err stock_read(struct arena *a, int64_t event_id, const struct stock_line *lines,
                          size_t n, int64_t *out);

/* A hold PostgreSQL knows (a pending order) for stock_rebuild. */
struct stock_hold_rec {
	const char *token;
	int64_t expires_ms;
	const struct stock_line *lines;
	size_t n;
};

/* Sets each counter to base − (units of live holds on it), atomically:
 * base[i] is capacity − sold from PostgreSQL for lines[i] (qty ignored).
 * Holds PostgreSQL knows but Redis lost are recreated first; expired holds
 * are dropped. Safe while sales go on. */
enum stock_err stock_rebuild(struct arena *a, int64_t event_id, const struct stock_line *lines,
                             const int64_t *base, size_t n, const struct stock_hold_rec *holds,
                             size_t n_holds);

#endif
