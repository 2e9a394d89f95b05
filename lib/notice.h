/*
 * notice.h — an exhibition's announcements: the public list on its page and
 * their management by its admins. Tables: notices (owned), events (read).
 *
 * Each function here is a complete route handler: it reads the path
 * parameters, validates the body, answers success or the error envelope.
 * The dispatcher has already checked login and the route's level on
 * r->event_id (admin routes, SCOPE_PATH_ID) before they run.
 *
 * A notice as it goes out:
 *   public  {"id","title","body","pinned","created_at","updated_at"}
 *   admin   the same plus "event_id" and "author":{"id","username","name"}|null
 *           (and "deleted_at" in the answer to DELETE)
 * Lists are {"items":[…],"page","limit","total"}, pinned notices first,
 * then newest first. Deleted notices are never shown.
 */
#ifndef NOTICE_H
#define NOTICE_H

#include "http.h"

#define NOTICE_TITLE_MAX 200  /* characters; at least one that is not blank */
#define NOTICE_BODY_MAX 20000 /* characters; may be empty */

/* Public: GET events/{code}/notices?page=&limit= → 200 list. 404
 * EVENT_NOT_FOUND unless the event exists, is active and not deleted; 422
 * VALIDATION for bad paging. */
void notice_public_list(struct http_req *r);

/* Public: GET events/{code}/notices/{id} → 200 {"notice":…}. 404
 * EVENT_NOT_FOUND as above; 404 NOT_FOUND when {id} is not a positive
 * integer or names no live notice of that event. */
void notice_public_get(struct http_req *r);

/* Admin: GET events/{id}/notices?page=&limit= → 200 list. 404
 * EVENT_NOT_FOUND when the event does not exist or is deleted (only a super
 * admin gets that far for such an id); 422 for bad paging. */
void notice_list(struct http_req *r);

/* Admin: GET events/{id}/notices/{nid} → 200 {"notice":…}; 404
 * EVENT_NOT_FOUND, 404 NOT_FOUND (unknown, deleted, or another event's). */
void notice_get(struct http_req *r);

/* Admin: POST events/{id}/notices {"title","body"?,"pinned"?} → 201
 * {"notice":…}; 422 VALIDATION; 404 EVENT_NOT_FOUND. Audited as
 * notice.create. */
void notice_create(struct http_req *r);

/* Admin: PUT events/{id}/notices/{nid} with any of "title", "body",
 * "pinned" → 200 {"notice":…}; fields left out keep their value (an empty
 * object changes nothing and writes no log entry). 422, 404 as above.
 * Audited as notice.update with the changed fields. */
void notice_update(struct http_req *r);

/* Admin: DELETE events/{id}/notices/{nid} → 200 {"notice":…} as it was,
 * with "deleted_at"; soft delete. 404 as above. Audited as notice.delete. */
void notice_delete(struct http_req *r);

#endif
