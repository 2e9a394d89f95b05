/*
 * activity.h — reading the activity log (table activity_log, written by
 * audit.h), and the before/after summaries that domain modules write into it.
 *
 * List item: {id, admin_id, admin_username, level, event_id, event_code,
 * action, target_type, target_id, summary, ip, user_agent, request_id,
 * created_at}, newest first, in the paged list format of app_list.
 *
 * Filters (query string; a bad value answers 422 VALIDATION naming it):
 *   admin_id, event_id  positive integers
 *   action              exact action ("event.update"), or every action that
 *                       starts with it when it ends with '.' ("event.")
 *   from, to            YYYY-MM-DD (a Seoul calendar day; `to` includes the
 *                       whole day) or an ISO-8601 instant (`to` inclusive).
 *                       A '+' of an unencoded offset arrives as a space and
 *                       is accepted as '+'.
 *   page, limit         as everywhere
 */
#ifndef ACTIVITY_H
#define ACTIVITY_H

#include "http.h"

/* GET activity (super admin): the whole log. */
void activity_list(struct http_req *r);

/* GET events/{id}/activity (admin family, PERM_MANAGER, SCOPE_PATH_ID): the
 * entries of r->event_id; the same filters except event_id (ignored). */
void activity_list_event(struct http_req *r);

/* The fields that differ between two JSON objects of the same shape, as
 * {"field": {"before": x, "after": y}, ...}; nested objects are compared
 * one level down and named "outer.inner". Keys listed in skip (a
 * NULL-terminated array, may be NULL) are left out. Returns a new tree the
 * caller deletes; it is empty (cJSON_GetArraySize 0) when nothing changed. */
cJSON *activity_changes(const cJSON *before, const cJSON *after, const char *const *skip);

#endif
