/* notice.c — an exhibition's announcements (table notices). */
#include "notice.h"

#include "app.h"
#include "audit.h"
#include "db.h"
#include "event.h"
#include "json.h"
#include "tk.h"

#include <string.h>

/* The notice object as customers see it, and as admins do. PostgreSQL builds
 * both so the shape lives in one place per audience. */
#define PUBLIC_FIELDS \
	"'id', n.id, 'title', n.title, 'body', n.body, 'pinned', n.pinned," \
	" 'created_at', iso(n.created_at), 'updated_at', iso(n.updated_at)"
#define ADMIN_FIELDS \
	"'id', n.id, 'event_id', n.event_id, 'title', n.title, 'body', n.body," \
	" 'pinned', n.pinned, 'author', (SELECT json_build_object('id', a.id," \
	" 'username', a.username, 'name', a.name) FROM admins a WHERE a.id = n.author_id)," \
	" 'created_at', iso(n.created_at), 'updated_at', iso(n.updated_at)"
#define LIST_ORDER "n.pinned DESC, n.created_at DESC, n.id DESC"

/* A list in one round trip: no row = no such event; otherwise the live
 * notices' count and the requested page. */
#define LIST_SQL(fields, event_where) \
	"SELECT (SELECT count(*) FROM notices n WHERE n.event_id = e.id" \
	"   AND n.deleted_at IS NULL) AS total," \
	" COALESCE((SELECT json_agg(s.o ORDER BY s.pinned DESC, s.created_at DESC, s.id DESC)" \
	"   FROM (SELECT json_build_object(" fields ") AS o, n.pinned, n.created_at, n.id" \
	"     FROM notices n WHERE n.event_id = e.id AND n.deleted_at IS NULL" \
	"     ORDER BY " LIST_ORDER " LIMIT $2 OFFSET $3) s), '[]') AS items" \
	" FROM events e WHERE " event_where
/* One notice: no row = no such event; found = false when the event has no
 * live notice of that id (a NULL id never matches). */
#define GET_SQL(fields, event_where) \
	"SELECT n.id IS NOT NULL AS found, json_build_object(" fields ") AS notice" \
	" FROM events e LEFT JOIN notices n ON n.event_id = e.id AND n.id = $2" \
	"   AND n.deleted_at IS NULL" \
	" WHERE " event_where

#define PUBLIC_EVENT "e.code = $1 AND e.is_active AND e.deleted_at IS NULL"
#define ADMIN_EVENT "e.id = $1 AND e.deleted_at IS NULL"

static struct db_stmt q_public_list = DB_STMT(LIST_SQL(PUBLIC_FIELDS, PUBLIC_EVENT), 3);
static struct db_stmt q_public_get = DB_STMT(GET_SQL(PUBLIC_FIELDS, PUBLIC_EVENT), 2);
static struct db_stmt q_admin_list = DB_STMT(LIST_SQL(ADMIN_FIELDS, ADMIN_EVENT), 3);
static struct db_stmt q_admin_get = DB_STMT(GET_SQL(ADMIN_FIELDS, ADMIN_EVENT), 2);

/* Inside a change's transaction: the event must be live, and stays so (a
 * concurrent delete waits) until the change commits. */
static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO notices AS n (event_id, title, body, pinned, author_id)"
    " VALUES ($1, $2, COALESCE($3, ''), COALESCE($4::boolean, false), $5)"
    " RETURNING n.id, json_build_object(" ADMIN_FIELDS ") AS notice",
    5);

static struct db_stmt q_lock_notice = DB_STMT(
    "SELECT n.title, n.body, n.pinned, char_length(n.body) AS body_length,"
    " json_build_object(" ADMIN_FIELDS ") AS notice"
    " FROM notices n WHERE n.id = $2 AND n.event_id = $1 AND n.deleted_at IS NULL"
    " FOR UPDATE",
    2);

static struct db_stmt q_update = DB_STMT(
    "UPDATE notices AS n SET title = COALESCE($2, n.title), body = COALESCE($3, n.body),"
    " pinned = COALESCE($4::boolean, n.pinned)"
    " WHERE n.id = $1"
    " RETURNING char_length(n.body) AS body_length, json_build_object(" ADMIN_FIELDS ") AS notice",
    4);

static struct db_stmt q_delete = DB_STMT(
    "UPDATE notices AS n SET deleted_at = now()"
    " WHERE n.id = $2 AND n.event_id = $1 AND n.deleted_at IS NULL"
    " RETURNING n.title, n.pinned,"
    " json_build_object(" ADMIN_FIELDS ", 'deleted_at', iso(n.deleted_at)) AS notice",
    2);

struct notice_in {
	struct json_str title, body;
	struct json_bool pinned;
};

static const struct json_field create_fields[] = {
    JSON_STR("title", struct notice_in, title, JF_REQUIRED, 1, NOTICE_TITLE_MAX, tk_valid_line),
    JSON_STR("body", struct notice_in, body, 0, 0, NOTICE_BODY_MAX, NULL),
    JSON_BOOL("pinned", struct notice_in, pinned, 0),
};

/* PUT: every field optional; present ones obey the same rules. */
static const struct json_field update_fields[] = {
    JSON_STR("title", struct notice_in, title, 0, 1, NOTICE_TITLE_MAX, tk_valid_line),
    JSON_STR("body", struct notice_in, body, 0, 0, NOTICE_BODY_MAX, NULL),
    JSON_BOOL("pinned", struct notice_in, pinned, 0),
};

/* Replies {"notice": the JSON text PostgreSQL built}. */
static void reply_notice(struct http_req *r, int status, const char *text)
{
	cJSON *obj = cJSON_Parse(text ? text : "");

	if (obj == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, status, "notice", obj);
}

/* Runs a list statement with $1 = the event's key and answers the page. */
static void list_reply(struct http_req *r, struct db_stmt *st, const char *event_key)
{
	int64_t page, limit;
	PGresult *res;
	enum db_err e;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *params[] = {event_key, db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit)};
		if ((e = db_exec(r->arena, st, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) != 1) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	app_reply_list(r, res, page, limit);
}

/* Runs a get statement with $1 = the event's key, $2 = the path's notice id
 * (parameter name idname) and answers the notice. */
static void get_reply(struct http_req *r, struct db_stmt *st, const char *event_key,
                      const char *idname)
{
	int64_t nid;
	PGresult *res;
	/* A malformed id names no notice; the event is still checked first so
	 * an unknown event answers EVENT_NOT_FOUND whatever follows it. */
	const char *params[] = {
	    event_key, http_param_id(r, idname, &nid) ? db_param_i64(r->arena, nid) : NULL};

	if ((res = app_row_or_reply(r, st, params, "EVENT_NOT_FOUND")) == NULL)
		return;
	if (!db_bool(res, 0, "found")) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	reply_notice(r, 200, db_str(res, 0, "notice"));
}

void notice_public_list(struct http_req *r)
{
	const char *code = http_param(r, "code");

	if (code == NULL || !tk_valid_event_code(code)) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	list_reply(r, &q_public_list, code);
}

void notice_public_get(struct http_req *r)
{
	const char *code = http_param(r, "code");

	if (code == NULL || !tk_valid_event_code(code)) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	get_reply(r, &q_public_get, code, "id");
}

void notice_list(struct http_req *r)
{
	list_reply(r, &q_admin_list, db_param_i64(r->arena, r->event_id));
}

void notice_get(struct http_req *r)
{
	get_reply(r, &q_admin_get, db_param_i64(r->arena, r->event_id), "nid");
}

/* Commits after writing the activity entry; false after replying. */
static bool audit_commit_or_reply(struct http_req *r, const char *action, int64_t nid,
                                  const cJSON *summary)
{
	enum db_err e;

	if ((e = audit_log(r, r->event_id, action, "notice", db_param_i64(r->arena, nid),
	                   summary)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	return true;
}

void notice_create(struct http_req *r)
{
	struct notice_in in = {0};
	PGresult *res;
	enum db_err e;
	int64_t nid;
	cJSON *sum;

	if (!json_fields_or_reply(r, create_fields, TK_ARRAY_LEN(create_fields), &in))
		return;
	if (!event_lock_or_reply(r))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id), in.title.v,
		                        in.body.set ? in.body.v : NULL,
		                        in.pinned.set ? db_param_bool(in.pinned.v) : NULL,
		                        db_param_i64(r->arena, r->principal->admin_id)};
		if ((e = db_exec(r->arena, &q_insert, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	nid = db_i64(res, 0, "id");
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "title", in.title.v);
	cJSON_AddBoolToObject(sum, "pinned", in.pinned.set && in.pinned.v);
	cJSON_AddNumberToObject(sum, "body_length",
	                        in.body.set ? (double)tk_utf8_len(in.body.v) : 0.0);
	if (!audit_commit_or_reply(r, "notice.create", nid, sum))
		return;
	reply_notice(r, 201, db_str(res, 0, "notice"));
}

void notice_update(struct http_req *r)
{
	struct notice_in in = {0};
	PGresult *old, *res;
	enum db_err e;
	int64_t nid;
	cJSON *sum, *changes;
	bool old_pinned;
	const char *old_title, *old_body;

	if (!json_fields_or_reply(r, update_fields, TK_ARRAY_LEN(update_fields), &in))
		return;
	if (!event_lock_or_reply(r))
		return;
	if (!app_param_id_or_reply(r, "nid", &nid, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, nid)};
		if ((e = db_exec(r->arena, &q_lock_notice, params, &old)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(old) != 1) {
		db_rollback();
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	old_title = db_str(old, 0, "title");
	old_body = db_str(old, 0, "body");
	old_pinned = db_bool(old, 0, "pinned");

	/* Only real changes are written and logged; resending the same values
	 * leaves updated_at alone. */
	changes = cJSON_CreateObject();
	sum = http_own(r, cJSON_CreateObject());
	if (in.title.set && strcmp(in.title.v, old_title) != 0) {
		cJSON *c = cJSON_AddObjectToObject(changes, "title");
		cJSON_AddStringToObject(c, "before", old_title);
		cJSON_AddStringToObject(c, "after", in.title.v);
	} else {
		in.title.set = false;
	}
	if (in.body.set && strcmp(in.body.v, old_body) != 0) {
		cJSON *c = cJSON_AddObjectToObject(changes, "body");
		cJSON_AddNumberToObject(c, "before_length", (double)db_i64(old, 0, "body_length"));
		cJSON_AddNumberToObject(c, "after_length", (double)tk_utf8_len(in.body.v));
	} else {
		in.body.set = false;
	}
	if (in.pinned.set && in.pinned.v != old_pinned) {
		cJSON *c = cJSON_AddObjectToObject(changes, "pinned");
		cJSON_AddBoolToObject(c, "before", old_pinned);
		cJSON_AddBoolToObject(c, "after", in.pinned.v);
	} else {
		in.pinned.set = false;
	}
	cJSON_AddStringToObject(sum, "title", in.title.set ? in.title.v : old_title);
	cJSON_AddItemToObject(sum, "changes", changes);

	if (!in.title.set && !in.body.set && !in.pinned.set) {
		db_rollback(); /* read only: nothing to keep */
		reply_notice(r, 200, db_str(old, 0, "notice"));
		return;
	}
	{
		const char *params[] = {db_param_i64(r->arena, nid),
		                        in.title.set ? in.title.v : NULL,
		                        in.body.set ? in.body.v : NULL,
		                        in.pinned.set ? db_param_bool(in.pinned.v) : NULL};
		if ((e = db_exec(r->arena, &q_update, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (!audit_commit_or_reply(r, "notice.update", nid, sum))
		return;
	reply_notice(r, 200, db_str(res, 0, "notice"));
}

void notice_delete(struct http_req *r)
{
	PGresult *res;
	enum db_err e;
	int64_t nid;
	cJSON *sum;

	if (!event_lock_or_reply(r))
		return;
	if (!app_param_id_or_reply(r, "nid", &nid, "NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        db_param_i64(r->arena, nid)};
		if ((e = db_exec(r->arena, &q_delete, params, &res)) != DB_OK) {
			app_reply_db_error(r, e);
			return;
		}
	}
	if (db_rows(res) != 1) {
		db_rollback();
		http_reply_error(r, "NOT_FOUND", NULL);
		return;
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(sum, "title", db_str(res, 0, "title"));
	cJSON_AddBoolToObject(sum, "pinned", db_bool(res, 0, "pinned"));
	if (!audit_commit_or_reply(r, "notice.delete", nid, sum))
		return;
	reply_notice(r, 200, db_str(res, 0, "notice"));
}
