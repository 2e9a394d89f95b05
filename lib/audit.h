/*
 * audit.h — the activity log. Every admin action that changes something
 * writes one row, in the same transaction as the change, so the log never
 * claims a change that was rolled back nor misses one that happened.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include "db.h"
#include "http.h"

/* Inserts an activity_log row for the request's principal (who, username,
 * level on event_id), event_id (0 = none), action ("event.update"), target
 * (type and id, may be NULL), a summary of the change (may be NULL; not
 * taken over), and the request's IP, user agent and id. Must run inside the
 * caller's transaction. */
enum db_err audit_log(struct http_req *r, int64_t event_id, const char *action,
                      const char *target_type, const char *target_id, const cJSON *summary);

/* As audit_log for requests without a principal (login attempts): names the
 * admin explicitly (admin_id 0 = unknown). */
enum db_err audit_log_as(struct http_req *r, int64_t admin_id, const char *username,
                         int64_t event_id, const char *action, const char *target_type,
                         const char *target_id, const cJSON *summary);

#endif
