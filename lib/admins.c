/* admins.c — admin accounts and their event assignments (super admin). */
#include "admins.h"

#include "activity.h"
#include "app.h"
#include "audit.h"
#include "auth.h"
#include "db.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

#define ADMINS_MAX_Q 100    /* ?q= characters */
#define ADMINS_MAX_PHONE 20 /* input, before normalising */

/* The admin JSON, built by PostgreSQL from a row aliased a. */
#define ADMIN_JSON \
	"json_build_object('id', a.id, 'username', a.username, 'name', a.name," \
	" 'phone', a.phone, 'email', a.email, 'is_active', a.is_active, 'is_super', a.is_super," \
	" 'failed_logins', a.failed_logins," \
	" 'locked', COALESCE(a.locked_until > now(), false)," \
	" 'locked_until', CASE WHEN a.locked_until > now() THEN iso(a.locked_until) END," \
	" 'last_login_at', iso(a.last_login_at), 'created_at', iso(a.created_at)," \
	" 'updated_at', iso(a.updated_at)," \
	" 'events', COALESCE((SELECT json_agg(json_build_object('event_id', e.id," \
	"   'code', e.code, 'title', e.title, 'level', ae.level, 'level_name'," \
	"   CASE WHEN ae.level = 9 THEN 'SUPER_ADMIN' WHEN ae.level >= 3 THEN 'MANAGER'" \
	"   WHEN ae.level = 2 THEN 'STAFF' ELSE 'VIEWER' END) ORDER BY e.id)" \
	"   FROM admin_events ae JOIN events e ON e.id = ae.event_id" \
	"   WHERE ae.admin_id = a.id AND e.deleted_at IS NULL), '[]'::json))"

static struct db_stmt q_list = DB_STMT(
    "WITH f AS (SELECT a.* FROM admins a WHERE a.deleted_at IS NULL"
    " AND ($1::text IS NULL OR strpos(lower(a.username), lower($1::text)) > 0"
    "   OR strpos(lower(a.name), lower($1::text)) > 0"
    "   OR strpos(lower(COALESCE(a.email, '')), lower($1::text)) > 0"
    "   OR (replace($1::text, '-', '') <> ''"
    "     AND strpos(COALESCE(a.phone, ''), replace($1::text, '-', '')) > 0))"
    " AND ($2::boolean IS NULL OR a.is_active = $2::boolean)"
    " AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM admin_events ae"
    "   WHERE ae.admin_id = a.id AND ae.event_id = $3::bigint)))"
    " SELECT (SELECT count(*) FROM f) AS total,"
    " (SELECT COALESCE(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]')"
    "  FROM (SELECT " ADMIN_JSON " AS j, a.created_at, a.id FROM f a"
    "   ORDER BY a.created_at DESC, a.id DESC LIMIT $4 OFFSET $5) x) AS items",
    5);

static struct db_stmt q_get = DB_STMT(
    "SELECT " ADMIN_JSON " AS obj FROM admins a WHERE a.id = $1 AND a.deleted_at IS NULL", 1);

static struct db_stmt q_get_lock = DB_STMT(
    "SELECT " ADMIN_JSON " AS obj, a.username FROM admins a"
    " WHERE a.id = $1 AND a.deleted_at IS NULL FOR UPDATE OF a",
    1);

static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO admins (username, password_hash, name, phone, email, is_active, is_super)"
    " VALUES ($1, $2, $3, $4, $5, $6::boolean, $7::boolean) RETURNING id",
    7);

/* $2: validated values keyed by column; only the keys present change.
 * Deactivation bumps session_version so every token of the admin dies. */
static struct db_stmt q_update = DB_STMT(
    "UPDATE admins a SET"
    " name = CASE WHEN p ? 'name' THEN p->>'name' ELSE a.name END,"
    " phone = CASE WHEN p ? 'phone' THEN p->>'phone' ELSE a.phone END,"
    " email = CASE WHEN p ? 'email' THEN p->>'email' ELSE a.email END,"
    " is_super = CASE WHEN p ? 'is_super' THEN (p->>'is_super')::boolean ELSE a.is_super END,"
    " is_active = CASE WHEN p ? 'is_active' THEN (p->>'is_active')::boolean ELSE a.is_active END,"
    " session_version = a.session_version + CASE WHEN a.is_active AND p ? 'is_active'"
    "   AND NOT (p->>'is_active')::boolean THEN 1 ELSE 0 END"
    " FROM (SELECT $2::jsonb AS p) s"
    " WHERE a.id = $1 AND a.deleted_at IS NULL"
    " RETURNING " ADMIN_JSON " AS obj",
    2);

static struct db_stmt q_delete = DB_STMT(
    "UPDATE admins a SET deleted_at = now(), is_active = false,"
    " session_version = a.session_version + 1"
    " WHERE a.id = $1 AND a.deleted_at IS NULL"
    " RETURNING a.username, " ADMIN_JSON " AS obj",
    1);

static struct db_stmt q_password = DB_STMT(
    "UPDATE admins a SET password_hash = $2, session_version = a.session_version + 1,"
    " failed_logins = 0, locked_until = NULL"
    " WHERE a.id = $1 AND a.deleted_at IS NULL"
    " RETURNING a.username, " ADMIN_JSON " AS obj",
    2);

static struct db_stmt q_unlock = DB_STMT(
    "WITH old AS (SELECT id, failed_logins, locked_until FROM admins"
    "   WHERE id = $1 AND deleted_at IS NULL FOR UPDATE)"
    " UPDATE admins a SET failed_logins = 0, locked_until = NULL FROM old"
    " WHERE a.id = old.id"
    " RETURNING a.username, old.failed_logins AS old_failed_logins,"
    " CASE WHEN old.locked_until > now() THEN iso(old.locked_until) END AS old_locked_until,"
    " " ADMIN_JSON " AS obj",
    1);

/* Which of the ids ($1, a bigint[] literal) name live events; locks them
 * against deletion until the transaction ends. */
static struct db_stmt q_events_exist = DB_STMT(
    "SELECT id FROM events WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL FOR SHARE", 1);

static struct db_stmt q_assign_current = DB_STMT(
    "SELECT COALESCE(json_agg(json_build_object('event_id', ae.event_id, 'code', e.code,"
    " 'level', ae.level) ORDER BY ae.event_id), '[]') AS list"
    " FROM admin_events ae JOIN events e ON e.id = ae.event_id"
    " WHERE ae.admin_id = $1 AND e.deleted_at IS NULL",
    1);

static struct db_stmt q_assign_prune = DB_STMT(
    "DELETE FROM admin_events WHERE admin_id = $1 AND NOT (event_id = ANY($2::bigint[]))", 2);

/* $2: [{"event_id","level"}]; unchanged rows keep their created_at. */
static struct db_stmt q_assign_upsert = DB_STMT(
    "INSERT INTO admin_events (admin_id, event_id, level)"
    " SELECT $1, x.event_id, x.level FROM jsonb_to_recordset($2::jsonb) AS x(event_id bigint,"
    " level smallint)"
    " ON CONFLICT (admin_id, event_id) DO UPDATE SET level = EXCLUDED.level"
    " WHERE admin_events.level <> EXCLUDED.level",
    2);

/* ---- input ------------------------------------------------------------ */

struct assignment {
	int64_t event_id;
	int level;
};

struct assign_in {
	struct json_int event_id, level;
};

static const struct json_field assign_fields[] = {
    JSON_INT("event_id", struct assign_in, event_id, JF_REQUIRED, 1, JSON_MAX_SAFE_INT),
    JSON_INT("level", struct assign_in, level, JF_REQUIRED, 1, 9),
};

struct admin_in {
	struct json_str username, password, name, phone, email;
	struct json_bool is_active, is_super;
	struct json_node events;
};

static const struct json_field create_fields[] = {
    JSON_STR("username", struct admin_in, username, JF_REQUIRED, 3, 32, tk_valid_username),
    JSON_STR("password", struct admin_in, password, JF_REQUIRED, AUTH_PASSWORD_MIN,
             AUTH_PASSWORD_MAX, NULL),
    JSON_STR("name", struct admin_in, name, JF_REQUIRED, 1, 100, NULL),
    JSON_STR("phone", struct admin_in, phone, JF_NULLABLE, 0, ADMINS_MAX_PHONE, NULL),
    JSON_STR("email", struct admin_in, email, JF_NULLABLE, 0, 254, NULL),
    JSON_BOOL("is_active", struct admin_in, is_active, 0),
    JSON_BOOL("is_super", struct admin_in, is_super, 0),
    JSON_ARR("events", struct admin_in, events, JF_NULLABLE, 0, ADMINS_MAX_ASSIGNMENTS),
};

static const struct json_field update_fields[] = {
    JSON_STR("name", struct admin_in, name, 0, 1, 100, NULL),
    JSON_STR("phone", struct admin_in, phone, JF_NULLABLE, 0, ADMINS_MAX_PHONE, NULL),
    JSON_STR("email", struct admin_in, email, JF_NULLABLE, 0, 254, NULL),
    JSON_BOOL("is_active", struct admin_in, is_active, 0),
    JSON_BOOL("is_super", struct admin_in, is_super, 0),
};

static const struct json_field password_fields[] = {
    JSON_STR("password", struct admin_in, password, JF_REQUIRED, AUTH_PASSWORD_MIN,
             AUTH_PASSWORD_MAX, NULL),
};

/* ---- helpers ---------------------------------------------------------- */

/* The path's {id}; false after answering 404 NOT_FOUND. */
static void reply_admin(struct http_req *r, int status, const char *text)
{
	cJSON *o = cJSON_Parse(text);

	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, status, "admin", o);
}

static void reply_self_conflict(struct http_req *r, const char *field)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", "self");
	if (field)
		cJSON_AddStringToObject(d, "field", field);
	http_reply_error(r, "CONFLICT", d);
}

static void reply_db_error(struct http_req *r, enum db_err e)
{
	if (e == DB_UNIQUE && strcmp(db_last_constraint(), "admins_username_key") == 0) {
		cJSON *d = cJSON_CreateObject();
		db_rollback();
		cJSON_AddStringToObject(d, "field", "username");
		http_reply_error(r, "CONFLICT", d);
		return;
	}
	app_reply_db_error(r, e);
}

/* Checks password bytes, phone and email beyond the table, normalising
 * phone to digits and "" to null. */
static void check_admin_in(struct http_req *r, struct admin_in *in, cJSON *errors)
{
	if (in->password.set && strlen(in->password.v) > AUTH_PASSWORD_MAX)
		json_field_error(r, errors, "password", "too_long");
	if (in->phone.set && !in->phone.null) {
		char digits[12];
		if (in->phone.v[0] == '\0')
			in->phone.null = true;
		else if (tk_normalize_phone(in->phone.v, digits))
			in->phone.v = arena_strdup(r->arena, digits);
		else
			json_field_error(r, errors, "phone", "invalid");
	}
	if (in->email.set && !in->email.null) {
		if (in->email.v[0] == '\0')
			in->email.null = true;
		else if (!tk_valid_email(in->email.v))
			json_field_error(r, errors, "email", "invalid");
	}
}

/* Validates an array of {event_id, level} into an arena array. Errors are
 * named prefix "[i].event_id" ("events[0].level" …). */
static void assignments_parse(struct http_req *r, const cJSON *arr, const char *prefix,
                              cJSON *errors, struct assignment **out, size_t *n)
{
	int count = cJSON_GetArraySize(arr), i = 0;
	const cJSON *item;

	*n = 0;
	*out = arena_calloc(r->arena, count > 0 ? (size_t)count : 1, sizeof(**out));
	cJSON_ArrayForEach(item, arr)
	{
		struct assign_in in = {0};
		const char *at = arena_printf(r->arena, "%s[%d]", prefix, i);
		i++;
		if (!cJSON_IsObject(item)) {
			json_field_error(r, errors, at, "type_object");
			continue;
		}
		if (!json_validate(r, item, assign_fields, TK_ARRAY_LEN(assign_fields), &in,
		                   arena_printf(r->arena, "%s.", at), errors))
			continue;
		for (size_t j = 0; j < *n; j++) {
			if ((*out)[j].event_id == in.event_id.v) {
				/* No text for "duplicate" in msg.c yet: falls back to "invalid". */
				json_field_error(r, errors,
				                 arena_printf(r->arena, "%s.event_id", at),
				                 "duplicate");
				goto next;
			}
		}
		(*out)[*n].event_id = in.event_id.v;
		(*out)[*n].level = (int)in.level.v;
		(*n)++;
	next:;
	}
}

/* "{1,2,3}" for a bigint[] parameter. */
static const char *id_array(struct http_req *r, const struct assignment *as, size_t n)
{
	char *s = arena_alloc(r->arena, n * 21 + 3), *p = s;

	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%lld", i ? "," : "", (long long)as[i].event_id);
	*p++ = '}';
	*p = '\0';
	return s;
}

/* Marks assignments whose event does not exist (or is deleted) as errors
 * "prefix[i].event_id". Inside the caller's transaction. Only valid
 * entries are in as[], so i is recovered from the array. */
static enum db_err assignments_check(struct http_req *r, const cJSON *arr, const char *prefix,
                                     const struct assignment *as, size_t n, cJSON *errors)
{
	PGresult *res;
	enum db_err e;
	const char *params[] = {id_array(r, as, n)};
	const cJSON *item;
	int i = 0;

	if (n == 0)
		return DB_OK;
	if ((e = db_exec(r->arena, &q_events_exist, params, &res)) != DB_OK)
		return e;
	cJSON_ArrayForEach(item, arr)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "event_id");
		bool found = false;
		int64_t want;
		if (!cJSON_IsNumber(id)) {
			i++;
			continue;
		}
		want = (int64_t)id->valuedouble;
		for (int k = 0; k < db_rows(res) && !found; k++)
			found = db_i64(res, k, "id") == want;
		if (!found)
			json_field_error(r, errors,
			                 arena_printf(r->arena, "%s[%d].event_id", prefix, i),
			                 "not_found");
		i++;
	}
	return DB_OK;
}

/* Replaces the assignments of admin_id with as[0..n). */
static enum db_err assignments_store(struct http_req *r, const char *admin_id,
                                     const struct assignment *as, size_t n)
{
	cJSON *list = cJSON_CreateArray();
	const char *text;
	enum db_err e;

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "event_id", (double)as[i].event_id);
		cJSON_AddNumberToObject(o, "level", as[i].level);
		cJSON_AddItemToArray(list, o);
	}
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(list));
	cJSON_Delete(list);
	{
		const char *params[] = {admin_id, id_array(r, as, n)};
		if ((e = db_exec(r->arena, &q_assign_prune, params, NULL)) != DB_OK)
			return e;
	}
	{
		const char *params[] = {admin_id, text};
		e = db_exec(r->arena, &q_assign_upsert, params, NULL);
	}
	return e;
}

static enum db_err assignments_current(struct http_req *r, const char *admin_id, cJSON **out)
{
	PGresult *res;
	const char *params[] = {admin_id};
	enum db_err e = db_exec(r->arena, &q_assign_current, params, &res);

	*out = e == DB_OK ? json_parse_owned(r, db_str(res, 0, "list")) : NULL;
	return e;
}

/* ---- handlers --------------------------------------------------------- */

void admins_list(struct http_req *r)
{
	const char *q = http_query(r, "q"), *active = http_query(r, "is_active");
	const char *ev = http_query(r, "event_id");
	const char *pq = NULL, *pactive = NULL, *pev = NULL;
	cJSON *errors = cJSON_CreateObject();
	int64_t page, limit, id;
	PGresult *res;
	enum db_err e;

	if (q && *q) {
		if (!tk_utf8_valid(q, strlen(q)) || tk_utf8_len(q) > ADMINS_MAX_Q)
			json_field_error(r, errors, "q", "invalid");
		else
			pq = q;
	}
	if (active && *active) {
		if (strcmp(active, "true") == 0 || strcmp(active, "false") == 0)
			pactive = active;
		else
			json_field_error(r, errors, "is_active", "invalid");
	}
	if (ev && *ev) {
		if (tk_parse_i64(ev, 1, INT64_MAX, &id))
			pev = db_param_i64(r->arena, id);
		else
			json_field_error(r, errors, "event_id", "invalid");
	}
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return;
	}
	cJSON_Delete(errors);
	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *params[] = {pq, pactive, pev, db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit)};
		e = db_exec(r->arena, &q_list, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	app_reply_list(r, res, page, limit);
}

void admins_create(struct http_req *r)
{
	struct admin_in in = {0};
	const cJSON *body = json_object_body_or_reply(r);
	struct assignment *as = NULL;
	size_t n = 0;
	cJSON *errors, *sum, *evs;
	char hash[AUTH_HASH_MAX];
	PGresult *res;
	enum db_err e;
	const char *ids;

	if (body == NULL)
		return;
	errors = cJSON_CreateObject();
	json_validate(r, body, create_fields, TK_ARRAY_LEN(create_fields), &in, NULL, errors);
	check_admin_in(r, &in, errors);
	if (in.events.set && !in.events.null)
		assignments_parse(r, in.events.v, "events", errors, &as, &n);
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return;
	}
	if (auth_hash_password(in.password.v, hash) != AUTH_OK) {
		cJSON_Delete(errors);
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}

	if ((e = db_begin()) != DB_OK)
		goto fail;
	if (n > 0) {
		if ((e = assignments_check(r, in.events.v, "events", as, n, errors)) != DB_OK)
			goto fail;
		if (cJSON_GetArraySize(errors) > 0) {
			db_rollback();
			json_reply_validation(r, errors);
			return;
		}
	}
	{
		const char *params[] = {in.username.v,
		                        hash,
		                        in.name.v,
		                        in.phone.set && !in.phone.null ? in.phone.v : NULL,
		                        in.email.set && !in.email.null ? in.email.v : NULL,
		                        db_param_bool(in.is_active.set ? in.is_active.v : true),
		                        db_param_bool(in.is_super.set && in.is_super.v)};
		if ((e = db_exec(r->arena, &q_insert, params, &res)) != DB_OK)
			goto fail;
	}
	ids = db_str(res, 0, "id");
	if (n > 0 && (e = assignments_store(r, ids, as, n)) != DB_OK)
		goto fail;

	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "username", in.username.v);
	cJSON_AddStringToObject(sum, "name", in.name.v);
	cJSON_AddBoolToObject(sum, "is_active", in.is_active.set ? in.is_active.v : true);
	cJSON_AddBoolToObject(sum, "is_super", in.is_super.set && in.is_super.v);
	evs = cJSON_AddArrayToObject(sum, "events");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "event_id", (double)as[i].event_id);
		cJSON_AddNumberToObject(o, "level", as[i].level);
		cJSON_AddItemToArray(evs, o);
	}
	e = audit_log(r, 0, "admin.create", "admin", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK)
		goto fail;
	{
		const char *params[] = {ids};
		if ((e = db_exec(r->arena, &q_get, params, &res)) != DB_OK ||
		    (e = db_commit()) != DB_OK)
			goto fail;
	}
	cJSON_Delete(errors);
	reply_admin(r, 201, db_str(res, 0, "obj"));
	return;
fail:
	cJSON_Delete(errors);
	reply_db_error(r, e);
}

void admins_get(struct http_req *r)
{
	int64_t id;
	PGresult *res;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, id)};
		res = app_row_or_reply(r, &q_get, params, "NOT_FOUND");
	}
	if (res == NULL)
		return;
	reply_admin(r, 200, db_str(res, 0, "obj"));
}

void admins_update(struct http_req *r)
{
	static const char *const skip[] = {"updated_at", "events",       "failed_logins",
	                                   "locked",     "locked_until", "last_login_at",
	                                   NULL};
	struct admin_in in = {0};
	const cJSON *body;
	cJSON *errors, *patch, *changes, *sum, *before, *after;
	int64_t id;
	PGresult *old, *res;
	enum db_err e;
	const char *ids, *text;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND") ||
	    (body = json_object_body_or_reply(r)) == NULL)
		return;
	errors = cJSON_CreateObject();
	json_validate(r, body, update_fields, TK_ARRAY_LEN(update_fields), &in, NULL, errors);
	check_admin_in(r, &in, errors);
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return;
	}
	cJSON_Delete(errors);

	patch = cJSON_CreateObject();
	if (in.name.set)
		cJSON_AddStringToObject(patch, "name", in.name.v);
	if (in.phone.set) {
		if (in.phone.null)
			cJSON_AddNullToObject(patch, "phone");
		else
			cJSON_AddStringToObject(patch, "phone", in.phone.v);
	}
	if (in.email.set) {
		if (in.email.null)
			cJSON_AddNullToObject(patch, "email");
		else
			cJSON_AddStringToObject(patch, "email", in.email.v);
	}
	if (in.is_active.set)
		cJSON_AddBoolToObject(patch, "is_active", in.is_active.v);
	if (in.is_super.set)
		cJSON_AddBoolToObject(patch, "is_super", in.is_super.v);
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(patch));
	cJSON_Delete(patch);

	/* A super admin never locks themself out of the super-admin role. */
	if (id == r->principal->admin_id && in.is_active.set && !in.is_active.v) {
		reply_self_conflict(r, "is_active");
		return;
	}
	if (id == r->principal->admin_id && in.is_super.set && !in.is_super.v) {
		reply_self_conflict(r, "is_super");
		return;
	}

	ids = db_param_i64(r->arena, id);
	if ((old = app_begin_row_or_reply(r, &q_get_lock, &ids, "NOT_FOUND")) == NULL)
		return;
	{
		const char *params[] = {ids, text};
		if ((e = db_exec(r->arena, &q_update, params, &res)) != DB_OK)
			goto fail;
	}
	before = json_parse_owned(r, db_str(old, 0, "obj"));
	after = json_parse_owned(r, db_str(res, 0, "obj"));
	changes = activity_changes(before, after, skip);
	if (cJSON_GetArraySize(changes) == 0) {
		cJSON_Delete(changes);
		db_rollback();
		reply_admin(r, 200, db_str(old, 0, "obj"));
		return;
	}
	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "username", db_str(old, 0, "username"));
	cJSON_AddItemToObject(sum, "changes", changes);
	e = audit_log(r, 0, "admin.update", "admin", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	reply_admin(r, 200, db_str(res, 0, "obj"));
	return;
fail:
	app_reply_db_error(r, e);
}

/* Runs one UPDATE … RETURNING username, obj on the admin of the path, logs
 * action with summary (taken over; "username" added), commits, answers. */
static void change_and_reply(struct http_req *r, int64_t id, struct db_stmt *st,
                             const char *const *params, const char *action, cJSON *sum)
{
	PGresult *res;
	enum db_err e;

	if ((res = app_begin_row_or_reply(r, st, params, "NOT_FOUND")) == NULL) {
		cJSON_Delete(sum);
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(sum, "username") == NULL)
		cJSON_AddStringToObject(sum, "username", db_str(res, 0, "username"));
	if (st == &q_unlock) {
		/* What the unlock undid. */
		cJSON_AddNumberToObject(sum, "failed_logins",
		                        (double)db_i64(res, 0, "old_failed_logins"));
		if (db_is_null(res, 0, "old_locked_until"))
			cJSON_AddNullToObject(sum, "locked_until");
		else
			cJSON_AddStringToObject(sum, "locked_until",
			                        db_str(res, 0, "old_locked_until"));
	}
	e = audit_log(r, 0, action, "admin", db_param_i64(r->arena, id), sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	cJSON_Delete(sum);
	reply_admin(r, 200, db_str(res, 0, "obj"));
	return;
fail:
	cJSON_Delete(sum);
	app_reply_db_error(r, e);
}

void admins_delete(struct http_req *r)
{
	int64_t id;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND"))
		return;
	if (id == r->principal->admin_id) {
		reply_self_conflict(r, NULL);
		return;
	}
	{
		const char *params[] = {db_param_i64(r->arena, id)};
		change_and_reply(r, id, &q_delete, params, "admin.delete", cJSON_CreateObject());
	}
}

void admins_reset_password(struct http_req *r)
{
	struct admin_in in = {0};
	char hash[AUTH_HASH_MAX];
	int64_t id;
	cJSON *sum;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND") ||
	    !json_fields_or_reply(r, password_fields, TK_ARRAY_LEN(password_fields), &in))
		return;
	if (strlen(in.password.v) > AUTH_PASSWORD_MAX) {
		cJSON *errors = cJSON_CreateObject();
		json_field_error(r, errors, "password", "too_long");
		json_reply_validation(r, errors);
		return;
	}
	if (auth_hash_password(in.password.v, hash) != AUTH_OK) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	sum = cJSON_CreateObject();
	cJSON_AddBoolToObject(sum, "sessions_revoked", true);
	{
		const char *params[] = {db_param_i64(r->arena, id), hash};
		change_and_reply(r, id, &q_password, params, "admin.reset_password", sum);
	}
}

void admins_unlock(struct http_req *r)
{
	int64_t id;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, id)};
		change_and_reply(r, id, &q_unlock, params, "admin.unlock", cJSON_CreateObject());
	}
}

void admins_set_events(struct http_req *r)
{
	const cJSON *body, *arr;
	const char *prefix = "", *ids;
	struct assignment *as;
	size_t n;
	int64_t id;
	cJSON *errors, *before, *after, *sum;
	PGresult *res, *old;
	enum db_err e;

	if (!app_param_id_or_reply(r, "id", &id, "NOT_FOUND") ||
	    (body = json_body_or_reply(r)) == NULL)
		return;
	/* The contract's body is the array itself; {"events":[…]} is accepted
	 * too, for forms that can only send objects. */
	arr = body;
	if (cJSON_IsObject(body) &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(body, "events"))) {
		arr = cJSON_GetObjectItemCaseSensitive(body, "events");
		prefix = "events";
	}
	if (!cJSON_IsArray(arr)) {
		http_reply_error_full(r, 400, "INVALID_JSON",
		                      r->lang == LANG_EN ? "The body must be a JSON array."
		                                         : "본문은 JSON 배열이어야 합니다.",
		                      NULL);
		return;
	}
	errors = cJSON_CreateObject();
	if (cJSON_GetArraySize(arr) > ADMINS_MAX_ASSIGNMENTS) {
		json_field_error(r, errors, "events", "too_long");
		json_reply_validation(r, errors);
		return;
	}
	assignments_parse(r, arr, prefix, errors, &as, &n);
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return;
	}

	ids = db_param_i64(r->arena, id);
	if ((old = app_begin_row_or_reply(r, &q_get_lock, &ids, "NOT_FOUND")) == NULL) {
		cJSON_Delete(errors);
		return;
	}
	if ((e = assignments_check(r, arr, prefix, as, n, errors)) != DB_OK)
		goto fail;
	if (cJSON_GetArraySize(errors) > 0) {
		db_rollback();
		json_reply_validation(r, errors);
		return;
	}
	cJSON_Delete(errors);
	errors = NULL;
	if ((e = assignments_current(r, ids, &before)) != DB_OK ||
	    (e = assignments_store(r, ids, as, n)) != DB_OK ||
	    (e = assignments_current(r, ids, &after)) != DB_OK)
		goto fail;
	if (cJSON_Compare(before, after, true)) {
		db_rollback();
		reply_admin(r, 200, db_str(old, 0, "obj"));
		return;
	}
	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "username", db_str(old, 0, "username"));
	cJSON_AddItemToObject(sum, "before", cJSON_Duplicate(before, true));
	cJSON_AddItemToObject(sum, "after", cJSON_Duplicate(after, true));
	e = audit_log(r, 0, "admin.assign", "admin", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK)
		goto fail;
	{
		const char *params[] = {ids};
		if ((e = db_exec(r->arena, &q_get, params, &res)) != DB_OK ||
		    (e = db_commit()) != DB_OK)
			goto fail;
	}
	reply_admin(r, 200, db_str(res, 0, "obj"));
	return;
fail:
	cJSON_Delete(errors);
	app_reply_db_error(r, e);
}
