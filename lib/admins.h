/*
 * admins.h — back-office accounts as the super admin manages them (tables
 * admins, admin_events). Sign-in itself is account.h. Every function is a
 * route handler of the super-admin family (PERM_SUPER, SCOPE_NONE, path
 * parameter {id}); an id that is not a positive integer, unknown or
 * soft-deleted → 404 NOT_FOUND.
 *
 * Admin JSON (never the password hash):
 *   {id, username, name, phone, email, is_active, is_super, failed_logins,
 *    locked, locked_until, last_login_at, created_at, updated_at,
 *    events:[{event_id, code, title, level, level_name}]}
 * locked is true while a lockout runs; locked_until is null otherwise.
 * events lists assignments to events that are not deleted.
 *
 * Audit actions: admin.create, admin.update, admin.delete,
 * admin.reset_password, admin.unlock, admin.assign — summaries never hold a
 * password or a hash.
 */
#ifndef ADMINS_H
#define ADMINS_H

#include "http.h"

#define ADMINS_MAX_ASSIGNMENTS 1000 /* entries of PUT admins/{id}/events */

/* GET admins?q=&is_active=true|false&event_id=&page=&limit= — q matches
 * username, name, email or phone (case-insensitive substring); event_id
 * keeps admins assigned to that event; newest first; paged list. */
void admins_list(struct http_req *r);

/* POST admins {username (3–32 of a-z 0-9 _ .), password (10+ characters,
 * ≤ 128 bytes), name (1–100), phone? (Korean mobile, stored as digits),
 * email?, is_active? (true), is_super? (false), events? [{event_id, level}]}
 * → 201 {"admin":…}; a taken username (deleted accounts keep theirs) → 409
 * CONFLICT, details {"field":"username"}. */
void admins_create(struct http_req *r);

/* GET admins/{id} → {"admin":…}. */
void admins_get(struct http_req *r);

/* PUT admins/{id} {name, phone, email, is_active, is_super — any subset;
 * phone/email null or "" clear them} → {"admin":…}. Deactivating bumps the
 * session version (every token dies). Super admins cannot deactivate
 * themselves or drop their own is_super: 409 CONFLICT. */
void admins_update(struct http_req *r);

/* DELETE admins/{id}: soft delete (deleted_at, inactive, session version +1)
 * → 200 {"admin":…}; oneself → 409 CONFLICT. */
void admins_delete(struct http_req *r);

/* POST admins/{id}/reset-password {"password"}: new hash, session version
 * +1, lockout cleared → {"admin":…}. */
void admins_reset_password(struct http_req *r);

/* POST admins/{id}/unlock: failed_logins 0, no lockout → {"admin":…}. */
void admins_unlock(struct http_req *r);

/* PUT admins/{id}/events [{"event_id","level"}] (level 1–9, distinct
 * events that exist and are not deleted, at most ADMINS_MAX_ASSIGNMENTS)
 * replaces the admin's assignments → {"admin":…}. Errors name
 * "[i].event_id" / "[i].level". */
void admins_set_events(struct http_req *r);

#endif
