/*
 * event.h — exhibitions (table events): the super admin's CRUD, the public
 * view of one event, and the admin family's views. Every function here is a
 * route handler: it validates its own input, runs the change and its
 * activity_log entry in one transaction, and answers.
 *
 * Event JSON (super admin and admin views):
 *   {id, code, title, venue, address, starts_on, ends_on, open_hours,
 *    timezone, hold_seconds, max_per_order, sale_starts_at, sale_ends_at,
 *    description, queue:{enabled, admit_per_second, max_active, opens_at,
 *    vip_codes}, is_active, created_at,
 *    updated_at}
 * Dates are "YYYY-MM-DD", instants ISO-8601 with +09:00, sale_* may be null.
 *
 * Body (POST; PUT takes any subset, changing only what is present):
 *   code            2–16 of [a-z0-9], not a reserved path name ("admin",
 *                   "scanner", "fcgi", "metrics" …: 422), unique also among
 *                   deleted events (taken → 409 CONFLICT, details
 *                   {"field":"code"})
 *   title           1–200 characters (required on POST)
 *   venue, address, open_hours   ≤ 200 characters (null = "")
 *   starts_on, ends_on           dates, ends_on ≥ starts_on (required on POST;
 *                                a reversed range → 422 naming ends_on)
 *   timezone        a zone PostgreSQL knows ("Asia/Seoul", default)
 *   hold_seconds    5–3600, default settings.default_hold_seconds (600)
 *   max_per_order   1–100, default settings.default_max_per_order (10)
 *   sale_starts_at, sale_ends_at  instants or null; ends after starts
 *                                (else 422 naming sale_ends_at)
 *   description     ≤ 20000 characters (null = "")
 *   queue.enabled   bool (default false)
 *   queue.admit_per_second  1–10000 (default 50)
 *   queue.max_active  1–1000000 (default 500): admitted buyers whose tokens
 *                   are unspent and unexpired, at most (queue.h)
 *   queue.opens_at  instant or null: joins before it are shuffled at it
 *   queue.vip_codes ≤ 100 strings of 4–64 [A-Za-z0-9_-]: the priority lane
 *   is_active       bool (default false; activate/deactivate do the same alone)
 *
 * An id that is not a positive integer, unknown or soft-deleted → 404
 * EVENT_NOT_FOUND. Audit actions: event.create, event.update (summary
 * {"changes":{field:{before,after}}}), event.delete, event.activate,
 * event.deactivate.
 */
#ifndef EVENT_H
#define EVENT_H

#include "db.h"
#include "http.h"

/* Super admin (PERM_SUPER, SCOPE_NONE), path parameter {id}. */

/* GET events?q=&active=true|false&from=&to=&page=&limit= — q matches code
 * or title (case-insensitive substring), from/to keep events whose dates
 * overlap [from, to]; newest first; paged list. Bad filters → 422. */
void event_list(struct http_req *r);
/* POST events → 201 {"event":{…}}. */
void event_create(struct http_req *r);
/* GET events/{id} → {"event":{…}}. */
void event_get(struct http_req *r);
/* PUT events/{id} → {"event":{…}}; a body that changes nothing changes
 * nothing (no updated_at bump, no log entry). */
void event_update(struct http_req *r);
/* DELETE events/{id}: soft delete (deleted_at, is_active false) → 200
 * {"event":{…}} as it was left. */
void event_delete(struct http_req *r);
/* POST events/{id}/activate, …/deactivate → {"event":{…}}; logged only when
 * the state changes. */
void event_activate(struct http_req *r);
void event_deactivate(struct http_req *r);

/* Public family: GET events/{code} (path parameter "code", PERM_PUBLIC).
 * 404 EVENT_NOT_FOUND for unknown, inactive, deleted or malformed codes;
 * else {"event":{code, title, venue, address, starts_on, ends_on,
 * open_hours, description, timezone, max_per_order, sale_starts_at,
 * sale_ends_at, sale_status, queue:{enabled, opens_at}}}. sale_status: "closed" when
 * ends_on < seoul_today() or sale_ends_at < now, else "not_yet" when
 * sale_starts_at > now, else "on_sale" (sold_out comes with stock). */
void event_public_get(struct http_req *r);

/* Admin family: GET events (PERM_LOGIN) — the events the caller may see:
 * every non-deleted event for a super admin (level 9), else the assigned
 * ones; each event JSON plus "level" and "level_name"; the filters and
 * paging of event_list. */
void event_list_mine(struct http_req *r);

/* Admin family: GET events/{id} (PERM_VIEWER, SCOPE_PATH_ID) →
 * {"event":{…, "level", "level_name"}}; 404 EVENT_NOT_FOUND if deleted. */
void event_get_scoped(struct http_req *r);

/* For a change to what an event-scoped route's event holds (products,
 * notices …): opens the transaction and locks the event (r->event_id) FOR
 * SHARE, so it cannot be deleted under the change. False after replying
 * (404 EVENT_NOT_FOUND, 503) with nothing left open. */
bool event_lock_or_reply(struct http_req *r);

/* Whether code is one of the event's queue.vip_codes: *ok, with DB_OK or
 * the database error (then *ok is false). */
enum db_err event_queue_vip(struct arena *a, int64_t event_id, const char *code, bool *ok);

#endif
