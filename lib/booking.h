/*
 * booking.h — the customer's booking routes (public family): products with
 * live availability, and reservations that hold stock.
 *
 * A reservation holds every unit it needs in Redis in one script, all or
 * nothing, then writes a pending order to PostgreSQL; when that write fails
 * the hold is released. A sold-out answer touches Redis only.
 */
#ifndef BOOKING_H
#define BOOKING_H

#include "http.h"

#define BOOKING_MAX_ITEMS 20     /* lines in one reservation */
#define BOOKING_MAX_ITEM_QTY 100 /* upper bound before per-product limits */
#define BOOKING_EXTEND_SECONDS 300
#define BOOKING_NAME_MAX 50

/* GET events/{code}/products?date=YYYY-MM-DD */
void booking_products(struct http_req *r);

/* POST events/{code}/reservations → 201 reservation + payment settings. */
void booking_reserve(struct http_req *r);

/* GET events/{code}/reservations/{token} → state held|paid|expired|canceled. */
void booking_get(struct http_req *r);

/* POST events/{code}/reservations/{token}/extend → +5 minutes, once. */
void booking_extend(struct http_req *r);

/* DELETE events/{code}/reservations/{token} → stock back at once. */
void booking_cancel(struct http_req *r);

#endif
