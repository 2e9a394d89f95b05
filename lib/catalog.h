/*
 * catalog.h — what an exhibition sells, as the booking path needs it, cached
 * in the worker.
 *
 * The rush path must not touch PostgreSQL for every attempt: a sold-out
 * answer costs one Redis call. So each worker keeps the event, its products
 * and what each product takes from which quota in memory, reloaded when
 * older than TICKET_CATALOG_TTL_MS (default 2000 ms). Admin changes to
 * products therefore reach the booking path within that time; capacity
 * changes go to Redis at once and do not depend on the cache.
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

/* A product of the event by id, or NULL. */
const struct catalog_product *catalog_product(const struct catalog_event *ev, int64_t id);

/* Drops every cached entry (tests, admin changes in this worker). */
void catalog_flush(void);

#endif
