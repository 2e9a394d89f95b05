/*
 * product.h — what an exhibition sells, as its admins manage it (tables
 * products, product_quotas, package_items). The booking path reads the same
 * tables through its catalog cache (catalog.h), so changes reach it within
 * TICKET_CATALOG_TTL_MS.
 *
 * Each function here is a complete route handler of the admin family
 * (SCOPE_PATH_ID: the dispatcher has checked the level on r->event_id).
 *
 * Product JSON:
 *   {id, event_id, type, name, description, price, dated, max_per_order,
 *    sale_starts_at, sale_ends_at, admits, sort_order, is_active,
 *    quota_ids:[…], items:[{product_id, name, qty}], created_at, updated_at}
 * max_per_order null = the event's; sale_* null = the event's window.
 * quota_ids are the quotas one unit takes one from; items (PACKAGE only)
 * what one unit contains — a package also takes qty units from each
 * quota of each item (sql/0003_stock.sql, product_quota_units).
 *
 * Body (POST; PUT takes any subset and changes only what is present;
 * quota_ids and items, when present, replace the whole set):
 *   type            TICKET | MERCH | PACKAGE (required on POST)
 *   name            1–100 characters, one line, not blank (required on POST)
 *   description     ≤ 5000 characters (null = "")
 *   price           0–10,000,000 KRW (required on POST)
 *   dated           bool, default false (needs a visit date; a product
 *                   with a per_day quota needs one anyway)
 *   max_per_order   1–100 or null
 *   sale_starts_at, sale_ends_at  instants or null; ends after starts
 *                   (else 422 naming sale_ends_at)
 *   admits          0–100 persons per unit, default 1 (0 for MERCH)
 *   sort_order      −1,000,000–1,000,000, default 0 (lists go by it, then id)
 *   is_active       bool, default true (inactive products are not sold)
 *   quota_ids       ≤ PRODUCT_MAX_QUOTAS distinct quotas of this event
 *                   (unknown, deleted, another event's → 422 naming
 *                   quota_ids[i])
 *   items           PACKAGE only, ≤ PRODUCT_MAX_ITEMS of {product_id, qty
 *                   1–100}: distinct live products of this event that are
 *                   not packages (422 naming items[i].product_id)
 * One unit may draw on at most CATALOG_MAX_QUOTAS counters in all (its own
 * quotas plus its items'), also for every package containing it: more →
 * 422 naming quota_ids (or items).
 */
#ifndef PRODUCT_H
#define PRODUCT_H

#include "http.h"

#define PRODUCT_NAME_MAX 100
#define PRODUCT_DESCRIPTION_MAX 5000
#define PRODUCT_PRICE_MAX 10000000
#define PRODUCT_MAX_QUOTAS 16 /* quota_ids of one product */
#define PRODUCT_MAX_ITEMS 16  /* items of one package */
#define PRODUCT_ITEM_QTY_MAX 100
#define PRODUCT_SORT_MAX 1000000

/* GET events/{id}/products?page=&limit= → 200 paged list of the live
 * products (active or not) by sort_order, id. 404 EVENT_NOT_FOUND; 422
 * for bad paging. */
void product_list(struct http_req *r);

/* GET events/{id}/products/{pid} → 200 {"product":…}. 404
 * EVENT_NOT_FOUND; NOT_FOUND (unknown, deleted or another event's). */
void product_get(struct http_req *r);

/* POST events/{id}/products → 201 {"product":…}. 422 VALIDATION; 404
 * EVENT_NOT_FOUND. Audited as product.create. */
void product_create(struct http_req *r);

/* PUT events/{id}/products/{pid} → 200 {"product":…}; an unchanged body
 * writes nothing. Turning a product that a live package contains into a
 * PACKAGE → 409 CONFLICT {"reason":"in_package","package_ids":[…]};
 * turning a PACKAGE into something else drops its items. 404, 422 as
 * above. Audited as product.update with the changes. */
void product_update(struct http_req *r);

/* DELETE events/{id}/products/{pid} → 200 {"product":…} as it was, with
 * deleted_at and is_active false (soft delete). A product a live package
 * contains → 409 CONFLICT {"reason":"in_package","package_ids":[…]}.
 * 404 as above. Audited as product.delete. */
void product_delete(struct http_req *r);

#endif
