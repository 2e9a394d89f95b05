/*
 * reconcile.h — PostgreSQL is the system of record for stock; these put
 * Redis back in line with it.
 *
 * reconcile_event sets every counter of an event to capacity − sold − live
 * holds (recreating holds Redis lost from pending orders). It is safe at any
 * time, also during sales, and is what the booking path runs when it finds a
 * counter missing (Redis restarted empty). reconcile_sweep marks pending
 * orders whose hold ran out as expired and releases their holds (a no-op for
 * holds the hold script already released lazily).
 */
#ifndef RECONCILE_H
#define RECONCILE_H

#include "arena.h"
#include "stock.h"

#include <stdint.h>

#define RECONCILE_MAX_COUNTERS 20000 /* counters of one event (quotas × days) */
#define RECONCILE_SWEEP_BATCH 1000

enum reconcile_err {
	RECONCILE_OK,
	RECONCILE_DB,    /* PostgreSQL failed (logged) */
	RECONCILE_STOCK, /* Redis failed (logged) */
};

/* Rebuilds the counters of one event. *counters (may be NULL) gets how many
 * were set. */
enum reconcile_err reconcile_event(struct arena *a, int64_t event_id, size_t *counters);

/* Rebuilds every active event's counters; *events gets how many. */
enum reconcile_err reconcile_all(struct arena *a, size_t *events);

/* Expires overdue pending orders and releases their holds; *expired gets
 * how many orders changed. */
enum reconcile_err reconcile_sweep(struct arena *a, size_t *expired);

#endif
