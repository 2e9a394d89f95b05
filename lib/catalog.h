/*
 * catalog.h — what an exhibition sells, as the booking path needs it, cached
 * in the worker.
 *
 * The rush path must not touch PostgreSQL for every attempt. So each worker
 * keeps the event, its products and what each product takes from which
 * quota in memory. An entry is used only while it carries the current
 * catalog version, a counter in Redis that every committed admin change
 * to events, products or quotas raises (catalog_changed) before it
 * answers: the very next customer request, on any worker, sees the change.
 * The check costs one Redis GET. When Redis cannot answer, entries live at
 * most TICKET_CATALOG_TTL_MS (default 2000 ms), which also bounds changes
 * made behind the API's back (SQL by hand). Capacity changes go to Redis
 * at once and do not depend on the cache.
 *
 * Entries are worker-lifetime memory (not the request arena); a pointer
 * returned by catalog_get stays valid until the next catalog_get.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include "arena.h"

#include <stdbool.h>
#include <stdint.h>

#define CATALOG_MAX_PRODUCTS 200 /* per event, for the booking path */
#define CATALOG_MAX_QUOTAS 16    /* quotas one product draws from */

struct catalog_quota_use {
	int64_t quota_id;
	int64_t units; /* per unit of the product */
	bool per_day;
};

struct catalog_product {
	int64_t id;
	char type[8]; /* TICKET, MERCH, PACKAGE */
	char *name;
	int64_t price;
	bool dated; /* needs a visit date (also when any quota is per_day) */
	int max_per_order;
	int admits;
	int64_t sale_starts_ms, sale_ends_ms; /* 0 = open */
	size_t n_quotas;
	struct catalog_quota_use quotas[CATALOG_MAX_QUOTAS];
};

struct catalog_event {
	int64_t id;
	char code[17];
	char *title;
	char starts_on[11], ends_on[11];
	int hold_seconds;
	int max_per_order;
	int64_t sale_starts_ms, sale_ends_ms;
	bool queue_enabled;
	uint8_t closed_weekdays; /* bit d set: closed on ISO weekday d (1 Monday … 7 Sunday) */
	size_t n_closed_dates;
	char (*closed_dates)[11]; /* YYYY-MM-DD, sorted */
	/* The waiting room's settings (queue.h): admissions per second, admitted
	 * buyers holding live tokens at most, the opening (0 = open). */
	int queue_rate, queue_max_active;
	int64_t queue_opens_ms;
	size_t n_products;
	struct catalog_product *products;
	int64_t loaded_ms;
};

enum catalog_err {
	CATALOG_OK,
	CATALOG_NOT_FOUND, /* unknown, inactive or deleted event */
	CATALOG_DOWN,      /* PostgreSQL unreachable and nothing cached */
};

/* The active event with this code, from the cache or PostgreSQL. */
enum catalog_err catalog_get(struct arena *a, const char *code, const struct catalog_event **out);

/* Why a visit date cannot be booked, as a field reason code of msg.c:
 * "date_format" (not a real YYYY-MM-DD day), "date_outside_event" (before
 * the exhibition opens or after it ends), "date_past" (before today in
 * Seoul), "date_closed" (a closed weekday or closed date); NULL when it can.
 * A past day outside the exhibition is "date_outside_event". */
const char *catalog_date_problem(const struct catalog_event *ev, const char *date);

/* A product of the event by id, or NULL. */
const struct catalog_product *catalog_product(const struct catalog_event *ev, int64_t id);

/* Drops every cached entry (tests, admin changes in this worker). */
void catalog_flush(void);

/* After a committed change to an event, its products or its quotas: raises
 * the catalog version so no worker's cache answers with the old data.
 * Call after db_commit and before replying. A Redis failure is logged; the
 * TTL then bounds the staleness. */
void catalog_changed(struct arena *a);

#endif
