/*
 * quota.h — an exhibition's stock counters as its admins manage them
 * (table quotas; quota_usage and the Redis counters of stock.h follow).
 *
 * A quota caps what its products sell together: for the whole event, or
 * for each visit date when per_day. Each function here is a complete route
 * handler of the admin family (SCOPE_PATH_ID: the dispatcher has checked
 * the level on r->event_id).
 *
 * Quota JSON:
 *   {id, event_id, name, capacity, per_day, sold, created_at, updated_at,
 *    stock}
 * sold is the total sold over every date. stock is the live state of one
 * counter, {date, sold, held, available}: the whole event's for a quota that
 * is not per_day (date null), the date's for a per_day quota when the
 * request names ?date=YYYY-MM-DD, null otherwise. held and available are
 * null when Redis cannot be read.
 *
 * Capacity changes reach Redis before the change commits (see
 * quota_update); a new quota's counters are built right after it commits.
 */
#ifndef QUOTA_H
#define QUOTA_H

#include "http.h"

#define QUOTA_NAME_MAX 100         /* characters, one line, not blank */
#define QUOTA_CAPACITY_MAX 1000000 /* units per counter */

/* GET events/{id}/quotas?date=&page=&limit= → 200 paged list, oldest
 * first. 404 EVENT_NOT_FOUND; 422 naming date (not a day of the event),
 * page or limit. */
void quota_list(struct http_req *r);

/* GET events/{id}/quotas/{qid}?date= → 200 {"quota":…}. 404
 * EVENT_NOT_FOUND, NOT_FOUND (unknown, deleted or another event's); 422
 * naming date. */
void quota_get(struct http_req *r);

/* POST events/{id}/quotas {"name","capacity","per_day"?} → 201
 * {"quota":…}. 422 VALIDATION; 404 EVENT_NOT_FOUND. Audited as
 * quota.create. */
void quota_create(struct http_req *r);

/* PUT events/{id}/quotas/{qid} with any of "name", "capacity", "per_day"
 * → 200 {"quota":…}; an unchanged body writes nothing. In one transaction:
 * the row, quota_usage (its trigger) and, before COMMIT, the Redis
 * counters by the capacity's delta. Answers
 *   409 CONFLICT {"reason":"below_sold","min_capacity":n}  lower than sold
 *   409 CONFLICT {"reason":"below_held","min_capacity":n}  lower than sold
 *                                                         + held (Redis)
 *   409 CONFLICT {"reason":"sold"|"held","field":"per_day"} per_day may
 *                                                         change only
 *                                                         while nothing is
 *   503 UNAVAILABLE  Redis (or PostgreSQL) unreachable; nothing changed
 *   404, 422 as above.
 * Audited as quota.update with the changes (capacity before/after). */
void quota_update(struct http_req *r);

#endif
