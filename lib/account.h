/*
 * account.h — admin sign-in and sessions: login, logout, the principal of
 * a request, and the "me" view. Tables: admins (read, lockout columns),
 * admin_sessions, admin_events (read).
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include "http.h"
#include "perm.h"

#define ACCOUNT_COOKIE "tk_session"

/* Authenticates the request from "Authorization: Bearer <jwt>" or the
 * session cookie, checks the session and the admin's session version in
 * PostgreSQL, and sets r->principal. A cookie-authenticated request that
 * changes state must carry X-CSRF-Token. Returns false after answering 401
 * UNAUTHENTICATED, 403 CSRF or 503. */
bool account_principal_or_reply(struct http_req *r);

/* POST login {"username","password"}. min_level > 0 additionally demands an
 * assignment of at least that level on some event (or super admin); the
 * entrance family uses PERM_STAFF. Answers 200 {token, csrf, admin}, 401
 * BAD_CREDENTIALS, 423 LOCKED. */
void account_login(struct http_req *r, int min_level);

/* POST logout: revokes the request's session, clears the cookie. */
void account_logout(struct http_req *r);

/* GET me: {"admin":{id, username, name, is_super, events:[…]}}. */
void account_me(struct http_req *r);

/* The admin object of a principal, as login and me return it. */
cJSON *account_principal_json(const struct principal *p);

#endif
