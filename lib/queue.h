/*
 * queue.h — the waiting room: a fair, enforced queue in front of an event's
 * reservations when its queue is on (catalog_event.queue_enabled).
 *
 * State lives in Redis under the event's hash tag, "{ev:N}:q:…", and every
 * change is one Lua script (queue.c lists the keys). No daemon: each join
 * and poll first tries a short lock ({ev:N}:q:lk, QUEUE_LOCK_MS); the
 * worker that wins it runs the admission tick inside the same script.
 *
 * Positions. The normal lane and the VIP lane are sorted sets. A join
 * before the event's queue.opens_at gets a secret random score below every
 * later score, so at the opening the early joiners stand in a random order
 * nobody could influence by arriving first; joins after the opening get an
 * increasing sequence number (first come, first served, behind them). The
 * VIP lane is admitted before the normal lane. A position counts the VIP
 * lane, then the normal lane ahead of the waiter.
 *
 * Admission. A token bucket at queue.admit_per_second (burst: one second's
 * worth), admitting only while fewer than queue.max_active admitted buyers
 * hold live tokens (unspent, unexpired). Nothing is admitted before
 * opens_at. A spent or expired token frees its slot. After Redis lost the
 * queue every place is gone (buyers rejoin) and the bucket starts empty, so
 * a loss never opens the gate to everyone at once; tokens issued before it
 * cannot be spent either (spending needs the token's live slot).
 *
 * Dropping out. Each poll keeps the waiter's deadline at least max(60 s,
 * 2 × the poll interval it was told) ahead (moved in steps of
 * QUEUE_DEADLINE_STEP_MS, so a silent waiter drops out that much later at
 * most). A waiter past the deadline is removed by the next tick and never
 * admitted.
 *
 * Tokens. "v1.<payload>.<mac>": payload is base64url of the JSON
 * {"e":event id,"q":queue id,"u":unique id,"i":issued ms,"x":expiry ms}, mac
 * base64url HMAC-SHA256 (key TICKET_JWT_SECRET) of "tkq.v1." + payload,
 * compared in constant time. A token lives hold_seconds (the event's
 * reservation hold). The reservation spends it: SET NX on the unique id and
 * the slot released, in one script; a second use is refused.
 *
 * Polls answer from Redis alone; the event comes from the worker's catalog
 * cache (catalog.h), so a poll costs PostgreSQL nothing but the cache's
 * reload every TICKET_CATALOG_TTL_MS per worker.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include "arena.h"
#include "http.h"

#include <stdbool.h>
#include <stdint.h>

#define QUEUE_ID_BYTES 16            /* random bytes of a queue id (22 base64url characters) */
#define QUEUE_ID_LEN 22              /* its length */
#define QUEUE_TOKEN_MAX 512          /* characters of an admission token */
#define QUEUE_VIP_CODE_MAX 64        /* characters of a vip_code (event.c: 4–64) */
#define QUEUE_LOCK_MS 50             /* the tick lock: at most one tick per this long */
#define QUEUE_DROP_MIN_MS 60000      /* a waiter silent this long drops out (at least) */
#define QUEUE_DEADLINE_STEP_MS 10000 /* a poll moves the deadline only when it is nearer */
#define QUEUE_POLL_MIN_MS 1000
#define QUEUE_POLL_MAX_MS 20000
#define QUEUE_RATE_WINDOW_MS 10000 /* the measured admission rate looks this far back */
#define QUEUE_COOKIE_MAX_AGE 86400 /* seconds the place cookie is kept */

/* Public family, PERM_PUBLIC, path parameter {code}.
 *
 * POST events/{code}/queue {"vip_code"?} → 201 (a new place) or 200 (the
 * place of the request's signed cookie tkq_<code>, still held) with
 * {"queue_id","status","position","eta_seconds","poll_after_ms",…} as
 * queue_poll, and Set-Cookie tkq_<code>. 404 EVENT_NOT_FOUND; 409
 * QUEUE_DISABLED when the event's queue is off; 422 naming vip_code when it
 * is not one of the event's codes; 503 UNAVAILABLE without Redis. */
void queue_join(struct http_req *r);

/* GET events/{code}/queue/{queue_id} →
 *   waiting:  {"queue_id","status":"waiting","lane":"vip|normal","position"
 *             (1 = next),"eta_seconds" (from the admission rate measured over
 *             the last QUEUE_RATE_WINDOW_MS; null when none was measured),
 *             "opens_in_seconds" (before the opening, else absent),
 *             "poll_after_ms" (longer far back, with jitter)}
 *   admitted: {"queue_id","status":"admitted","position":0,"queue_token",
 *             "expires_at","poll_after_ms"}
 *   expired:  {"queue_id","status":"expired","reason":"unknown|expired|spent",
 *             "position":null} — dropped out, left, lost with Redis, token
 *             expired or spent: join again.
 * 404 NOT_FOUND for a malformed queue id; 409 QUEUE_DISABLED. */
void queue_poll(struct http_req *r);

/* DELETE events/{code}/queue/{queue_id} → {"queue_id","status":"left"}: the
 * place is given up (an admitted, unspent token is voided and its slot
 * freed); the cookie is cleared. */
void queue_leave(struct http_req *r);

struct queue_token; /* below */

/* The reservation's gate (booking.c), in two steps. First, before anything
 * else is looked at: token must be an admission token of event_id, genuine
 * and unexpired (filled into *out). False after answering 403
 * QUEUE_REQUIRED (details.reason: "missing", "malformed", "forged",
 * "wrong_event", "expired"). */
bool queue_token_check_or_reply(struct http_req *r, int64_t event_id, const char *token,
                                struct queue_token *out);

/* Then, once the reservation is valid and about to hold its stock: the
 * checked token is spent (once: a second spend is refused). False after
 * answering 403 QUEUE_REQUIRED ("expired", "spent") or 503 UNAVAILABLE. A
 * reservation refused for bad input therefore keeps its token; one that
 * finds its products sold out has spent it. */
bool queue_token_spend_or_reply(struct http_req *r, int64_t event_id, const struct queue_token *t);

/* ---- for analytics, metrics and tests ------------------------------------ */

struct queue_stats {
	long long waiting;     /* both lanes */
	long long vip_waiting; /* of which the VIP lane */
	long long active;      /* admitted buyers holding live, unspent tokens */
	double rate;           /* admissions per second, measured (QUEUE_RATE_WINDOW_MS) */
};

enum queue_err {
	QUEUE_OK,
	QUEUE_DOWN, /* Redis unreachable or answered an error */
};

/* The event's queue right now, from Redis only. */
enum queue_err queue_stats(struct arena *a, int64_t event_id, struct queue_stats *out);

/* Waiters of every event in ids (the realtime analytics' queue_waiting),
 * summed into *out; QUEUE_DOWN at the first event Redis does not answer. */
enum queue_err queue_waiting_total(struct arena *a, const int64_t *ids, size_t n, long long *out);

struct queue_token {
	int64_t event_id;
	char qid[QUEUE_ID_LEN + 1];
	int64_t uid, issued_ms, expires_ms;
};

enum queue_token_err {
	QUEUE_TOKEN_OK,
	QUEUE_TOKEN_MALFORMED,   /* not v1.<payload>.<mac>, or a payload that does not parse */
	QUEUE_TOKEN_FORGED,      /* the mac does not match */
	QUEUE_TOKEN_WRONG_EVENT, /* genuine, for another event */
	QUEUE_TOKEN_EXPIRED,     /* genuine, expires_ms <= now_ms */
};

/* Writes the token of t into out (cap ≥ QUEUE_TOKEN_MAX + 1); false when it
 * does not fit. */
bool queue_token_make(const struct queue_token *t, char *out, size_t cap);

/* Checks a token against event_id at now_ms and fills *out (also for
 * WRONG_EVENT and EXPIRED). */
enum queue_token_err queue_token_parse(const char *s, int64_t event_id, int64_t now_ms,
                                       struct queue_token *out);

#endif
