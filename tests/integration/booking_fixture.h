/*
 * booking_fixture.h — what the booking scenarios share: events with quotas
 * and products made through the API, reservations, reading the stock back
 * (availability over HTTP, counters in Redis, orders in PostgreSQL), and a
 * libcurl multi driver for rushes.
 *
 * Events are made by the super admin (POST /fcgi/super-admin/events, then
 * activate); quotas and products through the admin family
 * (POST /fcgi/admin/events/{id}/quotas and …/products), as the super admin,
 * who may do everything on every event. Each scenario makes its own event
 * with a unique code, so nothing is shared between tests and a rerun on the
 * same database starts clean. The booking path caches an event's products
 * per worker (TICKET_CATALOG_TTL_MS, default 2 s) from the first public
 * request on: make every quota and product before the first reservation.
 *
 * Dates are the service's (Asia/Seoul): bk_date(0) is today in Seoul, which
 * is not UTC's today in the evening UTC.
 */
#ifndef BOOKING_FIXTURE_H
#define BOOKING_FIXTURE_H

#include "client.h"

#include <stdbool.h>
#include <stddef.h>

/* Seoul's today plus days, YYYY-MM-DD (ring string). */
char *bk_date(int days);
/* The instant now plus seconds, ISO-8601 with +09:00 (ring string). */
char *bk_instant(long long seconds);

/* An event over [today − 2, today + 30] (Seoul), activated; 0 for
 * hold_seconds or max_per_order leaves the server's default. Returns its
 * id; the code is the caller's (uniq_code). */
long long bk_event(const char *code, int hold_seconds, int max_per_order);

/* A quota (201 asserted); returns its id. */
long long bk_quota(long long ev, const char *name, int capacity, bool per_day);

#define BK_MAX_QUOTAS 4

/* A product to make; zero values are "not sent" (max_per_order 0: the
 * event's; NULL sale instants: open). quotas ends at the first 0. */
struct bk_product {
	const char *name;
	long long price;
	bool dated;
	int max_per_order;
	const char *sale_starts_at, *sale_ends_at;
	long long quotas[BK_MAX_QUOTAS];
};

/* A TICKET product (201 asserted); returns its id. */
long long bk_product(long long ev, const struct bk_product *p);

/* ---- reservations ------------------------------------------------------- */

struct bk_item {
	long long product_id;
	int qty;
};

/* The body of a reservation with the standard customer (홍길동,
 * 010-1234-5678); date NULL leaves visit_date out. Ring string. */
char *bk_body(const char *date, const struct bk_item *items, size_t n);

/* POST events/{code}/reservations with body. */
resp_t *bk_post(const char *code, const char *body);
/* One product, qty units, standard customer. */
resp_t *bk_reserve(const char *code, const char *date, long long product_id, int qty);
/* GET / DELETE / POST …/extend of a reservation. */
resp_t *bk_get(const char *code, const char *token);
resp_t *bk_cancel(const char *code, const char *token);
resp_t *bk_extend(const char *code, const char *token);

/* Pays a reservation (r: its 201 answer) through the fake Toss: the
 * payment window approves, its redirect to the success URL is followed,
 * and the 303 to the order page is asserted. The units become sold
 * (quota_usage.sold). */
void bk_pay(const resp_t *r);

/* `available` of a product on GET events/{code}/products?date= (200
 * asserted); date NULL sends no date. JINT_NONE when null or missing. */
long long bk_available(const char *code, const char *date, long long product_id);

/* ---- PostgreSQL (read-only) ---------------------------------------------- */

/* `ticketctl flush`: every pending order still queued behind its hold is
 * written (pending.h). The helpers below that read orders call it first;
 * call it before reading orders with SQL of your own. */
void bk_flush(void);
/* Pending orders of the event (all, live or not), after bk_flush. */
long long bk_pending_orders(long long ev);
/* The same without flushing: what the workers have written on their own. */
long long bk_pending_orders_written(long long ev);
/* Units (order_items.qty, every product) of the event's pending orders
 * whose hold is still live (hold_expires_at > now()); date NULL: every
 * visit date, else that one only. */
long long bk_live_units(long long ev, const char *date);
/* Units a quota holds in live pending orders (through product_quota_units),
 * for one visit date or, date NULL, all. */
long long bk_quota_live_units(long long quota, const char *date);
/* quota_usage.sold of a quota on a date (NULL: the whole-event row); 0
 * when there is no row. */
long long bk_quota_sold(long long quota, const char *date);
/* The order's stored customer_phone. */
const char *bk_order_phone(const char *token);

/* ---- Redis (TICKET_REDIS, read and FLUSHALL only) ------------------------- */

/* The counter {ev:E}:a:<quota>:<date|all>; -1 when the key is missing. */
long long bk_counter(long long ev, long long quota, const char *date);
/* Members of {ev:E}:holds. */
long long bk_holds(long long ev);
/* Whether the hold record {ev:E}:h:<token> exists. */
bool bk_hold_exists(long long ev, const char *token);
/* Takes (for 10 minutes) or gives up the event's writer lock {ev:E}:wl:
 * while the test has it, no worker writes the event's queued pending
 * orders on its own (pending.h), so what needs them must write them. */
void bk_writer_lock(long long ev, bool take);
/* Pending orders queued for writing ({ev:E}:w). */
long long bk_queued(long long ev);
/* Any other command, for a scenario that reads or stages its own keys
 * (the waiting room's, t_queue.c); error replies fail the test. The
 * caller frees the reply (freeReplyObject). */
struct redisReply;
struct redisReply *bk_redis(int argc, const char **argv);
/* FLUSHALL (asserted OK). */
void bk_flushall(void);

/* Runs $TICKET_BUILD/ticketctl with args (one string, split on spaces);
 * returns its exit status (-1 when it could not run). */
int bk_ticketctl(const char *args);

/* ---- many requests at once (libcurl multi) -------------------------------- */

/* One request of a batch; the driver copies every string at once. */
struct bk_call {
	const char *method; /* "GET", "POST", "DELETE" */
	const char *path;
	const char *body; /* NULL: none */
};

/* total requests, at most concurrency in flight at any moment, over
 * concurrency connections of one process (no fork). make(i) describes
 * request i, done(i, r) sees its answer (r is freed afterwards; status 0
 * on a transport error or timeout). Requests are started in order of i.
 * Raises RLIMIT_NOFILE when the soft limit is too low. */
struct bk_multi {
	size_t total, concurrency;
	void (*make)(size_t i, struct bk_call *c, void *ctx);
	void (*done)(size_t i, const resp_t *r, void *ctx);
	void *ctx;
};
void bk_multi_run(const struct bk_multi *m);

/* Tally of a rush of reservations: every answer counted by kind, the
 * tokens of the 201s kept (malloc'd; bk_tally_free). */
struct bk_tally {
	size_t created, sold_out, other_4xx, server_5xx, transport;
	size_t n_tokens, cap_tokens;
	char **tokens;
	long long units;     /* qty of the 201s, as the reservation's items said */
	char first_odd[512]; /* the first answer that was neither 201 nor 409 SOLD_OUT */
};
/* Counts one answer of a reservation POST. */
void bk_tally_add(struct bk_tally *t, const resp_t *r);
void bk_tally_free(struct bk_tally *t);

/* A rush of reservations: total POSTs of body at concurrency; after each
 * answer, tick(done_so_far, ctx) runs if given (FLUSHALL in the middle …). */
void bk_rush(const char *code, const char *body, size_t total, size_t concurrency,
             struct bk_tally *t, void (*tick)(size_t done, void *ctx), void *ctx);

/* Asserts a tally has no 5xx, no transport failure and nothing but 201 and
 * 409 SOLD_OUT. */
#define BK_ASSERT_CLEAN(t) \
	ck_assert_msg((t)->server_5xx == 0 && (t)->transport == 0 && (t)->other_4xx == 0, \
	              "rush: %zu 5xx, %zu transport failures, %zu other 4xx; first: %s", \
	              (t)->server_5xx, (t)->transport, (t)->other_4xx, (t)->first_odd)

/* Sleeps ms milliseconds; the wall clock in ms. */
void bk_sleep_ms(long long ms);
long long bk_now_ms(void);

#endif
