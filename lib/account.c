/* account.c — login with lockout, sessions, the request principal. */
#include "account.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static struct db_stmt q_principal = DB_STMT(
    "SELECT a.id, a.username, a.name, a.is_super, a.session_version, a.is_active,"
    " (a.deleted_at IS NOT NULL) AS deleted,"
    " (s.revoked_at IS NOT NULL OR s.expires_at <= now()) AS session_dead,"
    " COALESCE((SELECT json_agg(json_build_object('event_id', e.id, 'level', ae.level,"
    "   'code', e.code, 'title', e.title) ORDER BY e.id)"
    "   FROM admin_events ae JOIN events e ON e.id = ae.event_id"
    "   WHERE ae.admin_id = a.id AND e.deleted_at IS NULL), '[]') AS events"
    " FROM admins a JOIN admin_sessions s ON s.admin_id = a.id AND s.id = $2"
    " WHERE a.id = $1",
    2);

/* Everything login needs in one round trip, lock state computed by the
 * server's clock. */
static struct db_stmt q_login_lookup = DB_STMT(
    "SELECT id, username, password_hash, is_active,"
    " (locked_until IS NOT NULL AND locked_until > now()) AS locked,"
    " to_char(locked_until AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"')"
    "   AS locked_until,"
    " GREATEST(1, CEIL(EXTRACT(EPOCH FROM (locked_until - now()))))::bigint AS retry_after"
    " FROM admins WHERE username = $1 AND deleted_at IS NULL",
    1);

/* An attempt is counted before its password is checked, in one statement
 * that also refuses it when the account is locked: parallel guesses
 * cannot all pass the check while the slow hash runs. The attempt that
 * reaches the limit locks the account at once; if its password is right,
 * q_login_ok lifts the lock again. A lock that has run out starts the count
 * anew. No row: locked (or the limit reached by attempts in flight). */
static struct db_stmt q_login_attempt = DB_STMT(
    "UPDATE admins SET"
    " failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1"
    "   ELSE failed_logins + 1 END,"
    " locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= now()"
    "   THEN 1 ELSE failed_logins + 1 END) >= COALESCE((SELECT (value #>> '{}')::int"
    "   FROM settings WHERE key = 'login_max_failures'), 5)"
    "   THEN now() + make_interval(mins => COALESCE((SELECT (value #>> '{}')::int"
    "   FROM settings WHERE key = 'login_lock_minutes'), 15))"
    "   ELSE NULL END"
    " WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())"
    " RETURNING failed_logins, (locked_until IS NOT NULL) AS locked,"
    " GREATEST(1, CEIL(EXTRACT(EPOCH FROM (locked_until - now()))))::bigint AS retry_after",
    1);

/* How long a refused attempt should wait (the account is locked). */
static struct db_stmt q_login_locked = DB_STMT(
    "SELECT GREATEST(1, CEIL(EXTRACT(EPOCH FROM (locked_until - now()))))::bigint AS retry_after"
    " FROM admins WHERE id = $1",
    1);

static struct db_stmt q_login_ok = DB_STMT(
    "UPDATE admins SET failed_logins = 0, locked_until = NULL, last_login_at = now()"
    " WHERE id = $1 RETURNING session_version",
    1);

static struct db_stmt q_session_new = DB_STMT(
    "INSERT INTO admin_sessions (admin_id, expires_at, ip, user_agent)"
    " VALUES ($1, now() + make_interval(secs => $2::int), $3::inet, COALESCE($4, ''))"
    " RETURNING id, EXTRACT(EPOCH FROM expires_at)::bigint AS exp",
    4);

static struct db_stmt q_session_revoke = DB_STMT(
    "UPDATE admin_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", 1);

static void unauthenticated(struct http_req *r)
{
	http_add_header(r, "WWW-Authenticate", "Bearer");
	http_reply_error(r, "UNAUTHENTICATED", NULL);
}

static const char *request_token(struct http_req *r, bool *via_cookie)
{
	const char *h = http_header(r, "Authorization");
	*via_cookie = false;
	if (h && strncasecmp(h, "Bearer ", 7) == 0)
		return h + 7;
	if (h)
		return NULL; /* another scheme: not ours */
	*via_cookie = true;
	return http_cookie(r, ACCOUNT_COOKIE);
}

static struct principal *principal_from_row(struct http_req *r, PGresult *res)
{
	struct principal *p = arena_alloc(r->arena, sizeof(*p));
	cJSON *evs = json_parse_owned(r, db_str(res, 0, "events"));
	int n = cJSON_GetArraySize(evs);
	const cJSON *ev;
	size_t i = 0;

	p->admin_id = db_i64(res, 0, "id");
	p->username = arena_strdup(r->arena, db_str(res, 0, "username"));
	p->name = arena_strdup(r->arena, db_str(res, 0, "name"));
	p->is_super = db_bool(res, 0, "is_super");
	p->events = arena_calloc(r->arena, (size_t)(n > 0 ? n : 1), sizeof(*p->events));
	cJSON_ArrayForEach(ev, evs)
	{
		p->events[i].event_id = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(ev, "event_id"));
		p->events[i].level = (int)cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(ev, "level"));
		p->events[i].code = arena_strdup(
		    r->arena, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "code")));
		p->events[i].title = arena_strdup(
		    r->arena, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "title")));
		i++;
	}
	p->n_events = i;
	return p;
}

bool account_principal_or_reply(struct http_req *r)
{
	bool via_cookie;
	const char *token = request_token(r, &via_cookie);
	struct auth_claims c;
	PGresult *res;
	enum db_err e;
	struct principal *p;

	if (token == NULL || *token == '\0' || strlen(token) > TK_MAX_TOKEN) {
		unauthenticated(r);
		return false;
	}
	if (auth_token_verify(token, cfg.jwt_secret, tk_now(), &c) != AUTH_OK) {
		unauthenticated(r);
		return false;
	}
	if (via_cookie && r->method != HTTP_GET && r->method != HTTP_HEAD) {
		char expect[AUTH_CSRF_LEN + 1];
		const char *got = http_header(r, "X-CSRF-Token");
		auth_csrf_for(token, cfg.jwt_secret, expect);
		if (got == NULL || !auth_equal(got, expect)) {
			http_reply_error(r, "CSRF", NULL);
			return false;
		}
	}
	{
		const char *params[] = {db_param_i64(r->arena, c.admin_id),
		                        db_param_i64(r->arena, c.session_id)};
		e = db_exec(r->arena, &q_principal, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	/* Deactivation, deletion, logout and password resets all end here. */
	if (db_rows(res) != 1 || !db_bool(res, 0, "is_active") || db_bool(res, 0, "deleted") ||
	    db_bool(res, 0, "session_dead") || db_i64(res, 0, "session_version") != c.version) {
		unauthenticated(r);
		return false;
	}
	p = principal_from_row(r, res);
	p->session_id = c.session_id;
	r->principal = p;
	return true;
}

cJSON *account_principal_json(const struct principal *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *evs;

	cJSON_AddNumberToObject(o, "id", (double)p->admin_id);
	cJSON_AddStringToObject(o, "username", p->username);
	cJSON_AddStringToObject(o, "name", p->name ? p->name : "");
	cJSON_AddBoolToObject(o, "is_super", p->is_super);
	cJSON_AddStringToObject(o, "role", p->is_super ? "SUPER_ADMIN" : "ADMIN");
	evs = cJSON_AddArrayToObject(o, "events");
	for (size_t i = 0; i < p->n_events; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)p->events[i].event_id);
		cJSON_AddStringToObject(e, "code", p->events[i].code ? p->events[i].code : "");
		cJSON_AddStringToObject(e, "title", p->events[i].title ? p->events[i].title : "");
		cJSON_AddNumberToObject(e, "level", p->events[i].level);
		cJSON_AddStringToObject(e, "level_name", perm_level_name(p->events[i].level));
		cJSON_AddItemToArray(evs, e);
	}
	return o;
}

struct login_in {
	struct json_str username, password;
};

static const struct json_field login_fields[] = {
    JSON_STR("username", struct login_in, username, JF_REQUIRED, 1, 64, NULL),
    JSON_STR("password", struct login_in, password, JF_REQUIRED, 1, AUTH_PASSWORD_MAX, NULL),
};

static void set_session_cookie(struct http_req *r, const char *token, int max_age)
{
	char *c = arena_printf(r->arena, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	                       ACCOUNT_COOKIE, token, max_age, cfg.dev ? "" : "; Secure");
	http_add_header(r, "Set-Cookie", c);
}

static void reply_locked(struct http_req *r, const char *retry_after)
{
	if (retry_after)
		http_add_header(r, "Retry-After", retry_after);
	http_reply_error(r, "LOCKED", NULL);
}

/* A failed attempt (counted already by q_login_attempt, whose row is
 * attempt): logs it, answers. */
static void login_failed(struct http_req *r, int64_t admin_id, const char *username,
                         PGresult *attempt)
{
	bool locked = db_bool(attempt, 0, "locked");
	cJSON *sum = cJSON_CreateObject();
	enum db_err e;

	cJSON_AddNumberToObject(sum, "failed_logins", (double)db_i64(attempt, 0, "failed_logins"));
	cJSON_AddBoolToObject(sum, "locked", locked);
	if ((e = db_begin()) == DB_OK)
		e = audit_log_as(r, admin_id, username, 0,
		                 locked ? "auth.locked" : "auth.login_failed", "admin",
		                 db_param_i64(r->arena, admin_id), sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (locked)
		reply_locked(r, db_str(attempt, 0, "retry_after"));
	else
		http_reply_error(r, "BAD_CREDENTIALS", NULL);
}

/* Counts the attempt before the password is checked; false after answering
 * 423 (locked) or the database error. */
static bool login_attempt_or_reply(struct http_req *r, int64_t admin_id, PGresult **attempt)
{
	const char *params[] = {db_param_i64(r->arena, admin_id)};
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_login_attempt, params, attempt);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_rows(*attempt) == 1)
		return true;
	e = db_exec(r->arena, &q_login_locked, params, &res);
	reply_locked(r, e == DB_OK && db_rows(res) == 1 ? db_str(res, 0, "retry_after") : NULL);
	return false;
}

void account_login(struct http_req *r, int min_level)
{
	struct login_in in = {0};
	PGresult *res, *sres, *attempt;
	enum db_err e;
	int64_t admin_id, version;
	struct auth_claims c;
	char token[AUTH_JWT_MAX], csrf[AUTH_CSRF_LEN + 1];
	cJSON *out;
	const char *username;

	if (!json_fields_or_reply(r, login_fields, TK_ARRAY_LEN(login_fields), &in))
		return;
	{
		const char *params[] = {in.username.v};
		if ((e = db_exec(r->arena, &q_login_lookup, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) != 1) {
		/* Same cost as a real check, so timing does not reveal usernames. */
		static char dummy[AUTH_HASH_MAX];
		if (dummy[0] == '\0' && auth_hash_password("not-a-password", dummy) != AUTH_OK)
			dummy[0] = '\0';
		auth_check_password(in.password.v, dummy);
		http_reply_error(r, "BAD_CREDENTIALS", NULL);
		return;
	}
	admin_id = db_i64(res, 0, "id");
	username = db_str(res, 0, "username");
	if (db_bool(res, 0, "locked")) {
		reply_locked(r, db_str(res, 0, "retry_after"));
		return;
	}
	if (!login_attempt_or_reply(r, admin_id, &attempt))
		return;
	if (!auth_check_password(in.password.v, db_str(res, 0, "password_hash")) ||
	    !db_bool(res, 0, "is_active")) {
		login_failed(r, admin_id, username, attempt);
		return;
	}

	if ((e = db_begin()) != DB_OK)
		goto db_fail;
	{
		const char *params[] = {db_param_i64(r->arena, admin_id)};
		if ((e = db_exec(r->arena, &q_login_ok, params, &sres)) != DB_OK)
			goto db_fail;
		version = db_i64(sres, 0, "session_version");
	}
	{
		const char *params[] = {
		    db_param_i64(r->arena, admin_id), db_param_i64(r->arena, cfg.token_ttl),
		    r->remote_addr && *r->remote_addr ? r->remote_addr : NULL, r->user_agent};
		if ((e = db_exec(r->arena, &q_session_new, params, &sres)) != DB_OK)
			goto db_fail;
	}
	c.admin_id = admin_id;
	c.session_id = db_i64(sres, 0, "id");
	c.version = version;
	c.issued_at = tk_now();
	c.expires_at = db_i64(sres, 0, "exp");
	if (auth_token_sign(&c, cfg.jwt_secret, token) != AUTH_OK) {
		db_rollback();
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}

	/* Load what the token grants, as every later request will. */
	{
		const char *params[] = {db_param_i64(r->arena, admin_id),
		                        db_param_i64(r->arena, c.session_id)};
		if ((e = db_exec(r->arena, &q_principal, params, &sres)) != DB_OK)
			goto db_fail;
		r->principal = principal_from_row(r, sres);
	}
	if (min_level > 0 && !r->principal->is_super) {
		bool ok = false;
		for (size_t i = 0; i < r->principal->n_events; i++)
			ok = ok || r->principal->events[i].level >= min_level;
		if (!ok) {
			db_rollback();
			r->principal = NULL;
			http_reply_error(r, "FORBIDDEN", NULL);
			return;
		}
	}
	if ((e = audit_log(r, 0, "auth.login", "admin", db_param_i64(r->arena, admin_id), NULL)) !=
	        DB_OK ||
	    (e = db_commit()) != DB_OK)
		goto db_fail;

	auth_csrf_for(token, cfg.jwt_secret, csrf);
	set_session_cookie(r, token, cfg.token_ttl);
	out = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(out, "token", token);
	cJSON_AddStringToObject(out, "csrf", csrf);
	cJSON_AddNumberToObject(out, "expires_in", cfg.token_ttl);
	cJSON_AddItemToObject(out, "admin", account_principal_json(r->principal));
	http_reply_json(r, 200, out);
	return;
db_fail:
	app_reply_db_error(r, e);
}

void account_logout(struct http_req *r)
{
	enum db_err e;
	const char *params[] = {db_param_i64(r->arena, r->principal->session_id)};
	cJSON *out;

	if ((e = db_begin()) != DB_OK ||
	    (e = db_exec(r->arena, &q_session_revoke, params, NULL)) != DB_OK ||
	    (e = audit_log(r, 0, "auth.logout", "admin",
	                   db_param_i64(r->arena, r->principal->admin_id), NULL)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	set_session_cookie(r, "", 0);
	out = http_own(r, cJSON_CreateObject());
	cJSON_AddBoolToObject(out, "ok", true);
	http_reply_json(r, 200, out);
}

void account_me(struct http_req *r)
{
	app_reply_object(r, 200, "admin", account_principal_json(r->principal));
}
