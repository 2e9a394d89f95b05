/* event.c — exhibitions: super admin CRUD, the public and admin views. */
#include "event.h"

#include "activity.h"
#include "app.h"
#include "audit.h"
#include "catalog.h"
#include "db.h"
#include "json.h"
#include "perm.h"

#include <string.h>

#define EVENT_MAX_Q 100         /* ?q= characters */
#define EVENT_MAX_VIP_CODES 100 /* queue.vip_codes entries (0013_queue.sql) */
#define EVENT_VIP_CODE_MIN 4
#define EVENT_VIP_CODE_MAX 64

/* The event JSON, built by PostgreSQL from a row aliased e. */
#define EVENT_FIELDS \
	"'id', e.id, 'code', e.code, 'title', e.title, 'venue', e.venue, 'address', e.address," \
	" 'starts_on', to_char(e.starts_on, 'YYYY-MM-DD')," \
	" 'ends_on', to_char(e.ends_on, 'YYYY-MM-DD'), 'open_hours', e.open_hours," \
	" 'timezone', e.timezone, 'hold_seconds', e.hold_seconds," \
	" 'max_per_order', e.max_per_order, 'sale_starts_at', iso(e.sale_starts_at)," \
	" 'sale_ends_at', iso(e.sale_ends_at), 'description', e.description," \
	" 'closed_weekdays', to_json(e.closed_weekdays), 'closed_dates', to_json(e.closed_dates)," \
	" 'queue', json_build_object('enabled', e.queue_enabled," \
	"   'admit_per_second', e.queue_admit_per_second, 'max_active', e.queue_max_active," \
	"   'opens_at', iso(e.queue_opens_at), 'vip_codes', to_json(e.queue_vip_codes))," \
	" 'is_active', e.is_active, 'created_at', iso(e.created_at)," \
	" 'entry_messages', e.entry_messages," \
	" 'updated_at', iso(e.updated_at)"
#define EVENT_JSON "json_build_object(" EVENT_FIELDS ")"

/* List filters: $1 q, $2 active, $3 from, $4 to (see event_list). */
#define EVENT_FILTER \
	" e.deleted_at IS NULL" \
	" AND ($1::text IS NULL OR strpos(lower(e.code), lower($1::text)) > 0" \
	"   OR strpos(lower(e.title), lower($1::text)) > 0)" \
	" AND ($2::boolean IS NULL OR e.is_active = $2::boolean)" \
	" AND ($3::date IS NULL OR e.ends_on >= $3::date)" \
	" AND ($4::date IS NULL OR e.starts_on <= $4::date)"

/* One round trip: total and the page. */
static struct db_stmt q_list = DB_STMT(
    "WITH f AS (SELECT e.* FROM events e WHERE" EVENT_FILTER ")"
    " SELECT (SELECT count(*) FROM f) AS total,"
    " (SELECT COALESCE(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]')"
    "  FROM (SELECT " EVENT_JSON " AS j, e.created_at, e.id FROM f e"
    "   ORDER BY e.created_at DESC, e.id DESC LIMIT $5 OFFSET $6) x) AS items",
    6);

/* The same for one admin: $5 is_super, $6 admin id. */
static struct db_stmt q_list_mine = DB_STMT(
    "WITH f AS (SELECT e.*, CASE WHEN $5::boolean THEN 9 ELSE ae.level END AS lvl"
    "  FROM events e LEFT JOIN admin_events ae ON ae.event_id = e.id AND ae.admin_id = $6::bigint"
    "  WHERE" EVENT_FILTER " AND ($5::boolean OR ae.admin_id IS NOT NULL))"
    " SELECT (SELECT count(*) FROM f) AS total,"
    " (SELECT COALESCE(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]')"
    "  FROM (SELECT json_build_object(" EVENT_FIELDS ", 'level', e.lvl, 'level_name',"
    "    CASE WHEN e.lvl = 9 THEN 'SUPER_ADMIN' WHEN e.lvl >= 3 THEN 'MANAGER'"
    "    WHEN e.lvl = 2 THEN 'STAFF' ELSE 'VIEWER' END) AS j, e.created_at, e.id FROM f e"
    "   ORDER BY e.created_at DESC, e.id DESC LIMIT $7 OFFSET $8) x) AS items",
    8);

static struct db_stmt q_get = DB_STMT(
    "SELECT " EVENT_JSON " AS obj FROM events e WHERE e.id = $1 AND e.deleted_at IS NULL", 1);

static struct db_stmt q_get_lock = DB_STMT("SELECT " EVENT_JSON " AS obj, e.is_active FROM events e"
                                           " WHERE e.id = $1 AND e.deleted_at IS NULL FOR UPDATE",
                                           1);

/* A zone name PostgreSQL does not know fails with 22023 (DB_INVALID). */
static struct db_stmt q_timezone = DB_STMT("SELECT now() AT TIME ZONE $1::text AS t", 1);

/* The closed days from the patch object p (arrays of validated values), or
 * the fallback when the key is absent. */
#define CLOSED_WEEKDAYS(fallback) \
	"CASE WHEN p ? 'closed_weekdays' THEN ARRAY(SELECT DISTINCT x::smallint FROM" \
	" jsonb_array_elements_text(p->'closed_weekdays') x ORDER BY 1) ELSE " fallback " END"
#define CLOSED_DATES(fallback) \
	"CASE WHEN p ? 'closed_dates' THEN ARRAY(SELECT DISTINCT x::date FROM" \
	" jsonb_array_elements_text(p->'closed_dates') x ORDER BY 1) ELSE " fallback " END"

/* $1: a JSON object of validated values; absent keys take the defaults
 * (hold and order limits from settings). */
static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO events AS e (code, title, venue, address, starts_on, ends_on, open_hours,"
    " timezone, hold_seconds, max_per_order, sale_starts_at, sale_ends_at, queue_enabled,"
    " queue_admit_per_second, queue_max_active, queue_opens_at, queue_vip_codes, is_active,"
    " description, entry_messages, closed_weekdays, closed_dates)"
    " SELECT p->>'code', p->>'title', COALESCE(p->>'venue', ''), COALESCE(p->>'address', ''),"
    " (p->>'starts_on')::date, (p->>'ends_on')::date, COALESCE(p->>'open_hours', ''),"
    " COALESCE(p->>'timezone', 'Asia/Seoul'),"
    " COALESCE((p->>'hold_seconds')::int, (SELECT (value #>> '{}')::int FROM settings"
    "   WHERE key = 'default_hold_seconds'), 600),"
    " COALESCE((p->>'max_per_order')::int, (SELECT (value #>> '{}')::int FROM settings"
    "   WHERE key = 'default_max_per_order'), 10),"
    " (p->>'sale_starts_at')::timestamptz, (p->>'sale_ends_at')::timestamptz,"
    " COALESCE((p->>'queue_enabled')::boolean, false),"
    " COALESCE((p->>'queue_admit_per_second')::int, 50),"
    " COALESCE((p->>'queue_max_active')::int, 500), (p->>'queue_opens_at')::timestamptz,"
    " COALESCE(ARRAY(SELECT jsonb_array_elements_text(p->'queue_vip_codes')), '{}'),"
    " COALESCE((p->>'is_active')::boolean, false), COALESCE(p->>'description', ''),"
    " COALESCE((p->>'entry_messages')::boolean, false),"
    " " CLOSED_WEEKDAYS("'{}'") ", " CLOSED_DATES("'{}'") " FROM (SELECT $1::jsonb AS p) s"
                                                          " RETURNING e.id, " EVENT_JSON " AS obj",
    1);

/* $2: the same object; only the keys present change. */
static struct db_stmt q_update = DB_STMT(
    "UPDATE events e SET"
    " code = CASE WHEN p ? 'code' THEN p->>'code' ELSE e.code END,"
    " title = CASE WHEN p ? 'title' THEN p->>'title' ELSE e.title END,"
    " venue = CASE WHEN p ? 'venue' THEN p->>'venue' ELSE e.venue END,"
    " address = CASE WHEN p ? 'address' THEN p->>'address' ELSE e.address END,"
    " starts_on = CASE WHEN p ? 'starts_on' THEN (p->>'starts_on')::date ELSE e.starts_on END,"
    " ends_on = CASE WHEN p ? 'ends_on' THEN (p->>'ends_on')::date ELSE e.ends_on END,"
    " open_hours = CASE WHEN p ? 'open_hours' THEN p->>'open_hours' ELSE e.open_hours END,"
    " timezone = CASE WHEN p ? 'timezone' THEN p->>'timezone' ELSE e.timezone END,"
    " hold_seconds = CASE WHEN p ? 'hold_seconds' THEN (p->>'hold_seconds')::int"
    "   ELSE e.hold_seconds END,"
    " max_per_order = CASE WHEN p ? 'max_per_order' THEN (p->>'max_per_order')::int"
    "   ELSE e.max_per_order END,"
    " sale_starts_at = CASE WHEN p ? 'sale_starts_at' THEN (p->>'sale_starts_at')::timestamptz"
    "   ELSE e.sale_starts_at END,"
    " sale_ends_at = CASE WHEN p ? 'sale_ends_at' THEN (p->>'sale_ends_at')::timestamptz"
    "   ELSE e.sale_ends_at END,"
    " queue_enabled = CASE WHEN p ? 'queue_enabled' THEN (p->>'queue_enabled')::boolean"
    "   ELSE e.queue_enabled END,"
    " queue_admit_per_second = CASE WHEN p ? 'queue_admit_per_second'"
    "   THEN (p->>'queue_admit_per_second')::int ELSE e.queue_admit_per_second END,"
    " queue_max_active = CASE WHEN p ? 'queue_max_active'"
    "   THEN (p->>'queue_max_active')::int ELSE e.queue_max_active END,"
    " queue_opens_at = CASE WHEN p ? 'queue_opens_at'"
    "   THEN (p->>'queue_opens_at')::timestamptz ELSE e.queue_opens_at END,"
    " queue_vip_codes = CASE WHEN p ? 'queue_vip_codes'"
    "   THEN ARRAY(SELECT jsonb_array_elements_text(p->'queue_vip_codes'))"
    "   ELSE e.queue_vip_codes END,"
    " is_active = CASE WHEN p ? 'is_active' THEN (p->>'is_active')::boolean ELSE e.is_active END,"
    " description = CASE WHEN p ? 'description' THEN p->>'description' ELSE e.description END,"
    " entry_messages = CASE WHEN p ? 'entry_messages' THEN (p->>'entry_messages')::boolean"
    "   ELSE e.entry_messages END,"
    " closed_weekdays = " CLOSED_WEEKDAYS(
        "e.closed_weekdays") ","
                             " closed_dates = " CLOSED_DATES(
                                 "e.closed_dates") " FROM (SELECT $2::jsonb AS p) s"
                                                   " WHERE e.id = $1 AND e.deleted_at IS NULL"
                                                   " RETURNING " EVENT_JSON " AS obj",
    2);

static struct db_stmt q_set_active = DB_STMT(
    "UPDATE events e SET is_active = $2::boolean WHERE e.id = $1 AND e.deleted_at IS NULL"
    " RETURNING " EVENT_JSON " AS obj",
    2);

static struct db_stmt q_vip = DB_STMT(
    "SELECT $2::text = ANY(queue_vip_codes) AS ok FROM events WHERE id = $1", 2);

static struct db_stmt q_share_lock = DB_STMT(
    "SELECT id FROM events WHERE id = $1 AND deleted_at IS NULL FOR SHARE", 1);

static struct db_stmt q_delete = DB_STMT("UPDATE events e SET deleted_at = now(), is_active = false"
                                         " WHERE e.id = $1 AND e.deleted_at IS NULL"
                                         " RETURNING e.code, e.title, " EVENT_JSON " AS obj",
                                         1);

static struct db_stmt q_public = DB_STMT(
    "SELECT json_build_object('code', e.code, 'title', e.title, 'venue', e.venue,"
    " 'address', e.address, 'starts_on', to_char(e.starts_on, 'YYYY-MM-DD'),"
    " 'ends_on', to_char(e.ends_on, 'YYYY-MM-DD'), 'open_hours', e.open_hours,"
    " 'description', e.description, 'timezone', e.timezone, 'max_per_order', e.max_per_order,"
    " 'sale_starts_at', iso(e.sale_starts_at), 'sale_ends_at', iso(e.sale_ends_at),"
    " 'sale_status', CASE"
    "   WHEN e.ends_on < seoul_today() OR e.sale_ends_at < now() THEN 'closed'"
    "   WHEN e.sale_starts_at > now() THEN 'not_yet'"
    "   ELSE 'on_sale' END,"
    " 'closed_weekdays', to_json(e.closed_weekdays), 'closed_dates', to_json(e.closed_dates),"
    " 'queue', json_build_object('enabled', e.queue_enabled,"
    "   'opens_at', iso(e.queue_opens_at))) AS obj"
    " FROM events e WHERE e.code = $1 AND e.is_active AND e.deleted_at IS NULL",
    1);

/*
 * An event is served at /<code>/, so a code nginx routes elsewhere (a
 * reserved prefix or a top-level name of public/, see nginx/dev.conf.in)
 * would be unreachable: such codes are refused.
 */
static const char *const reserved_codes[] = {
    "admin",   "scanner",  "fcgi",   "metrics", "event",  "events", "index",   "openapi", "static",
    "assets",  "api",      "health", "login",   "logout", "public", "favicon", "robots",  "sitemap",
    "offline", "manifest", "sw",     "css",     "js",     "img",    "shared",  "vendor",
};

static bool valid_code(const char *s)
{
	if (!tk_valid_event_code(s))
		return false;
	for (size_t i = 0; i < TK_ARRAY_LEN(reserved_codes); i++)
		if (strcmp(s, reserved_codes[i]) == 0)
			return false;
	return true;
}

struct event_in {
	struct json_str code, title, venue, address, starts_on, ends_on, open_hours, timezone,
	    sale_starts_at, sale_ends_at, description;
	struct json_int hold_seconds, max_per_order, admit_per_second, max_active;
	struct json_bool queue_enabled, is_active;
	struct json_bool entry_messages; /* ENTRY_ADMITTED messages on admission */
	struct json_node queue, closed_weekdays, closed_dates, vip_codes;
	struct json_str opens_at;
};

#define EVENT_MAX_CLOSED_DATES 366

/* One table for POST (REQ = JF_REQUIRED) and PUT (REQ = 0). */
#define EVENT_IN_FIELDS(REQ) \
	JSON_STR("code", struct event_in, code, (REQ), 2, 16, valid_code), \
	    JSON_STR("title", struct event_in, title, (REQ), 1, 200, NULL), \
	    JSON_STR("venue", struct event_in, venue, JF_NULLABLE, 0, 200, NULL), \
	    JSON_STR("address", struct event_in, address, JF_NULLABLE, 0, 200, NULL), \
	    JSON_DATE("starts_on", struct event_in, starts_on, (REQ)), \
	    JSON_DATE("ends_on", struct event_in, ends_on, (REQ)), \
	    JSON_STR("open_hours", struct event_in, open_hours, JF_NULLABLE, 0, 200, NULL), \
	    JSON_STR("timezone", struct event_in, timezone, 0, 3, 64, tk_valid_timezone), \
	    JSON_INT("hold_seconds", struct event_in, hold_seconds, 0, 5, 3600), \
	    JSON_INT("max_per_order", struct event_in, max_per_order, 0, 1, 100), \
	    JSON_DATETIME("sale_starts_at", struct event_in, sale_starts_at, JF_NULLABLE), \
	    JSON_DATETIME("sale_ends_at", struct event_in, sale_ends_at, JF_NULLABLE), \
	    JSON_STR("description", struct event_in, description, JF_NULLABLE, 0, 20000, NULL), \
	    JSON_OBJ("queue", struct event_in, queue, 0), \
	    JSON_BOOL("queue.enabled", struct event_in, queue_enabled, 0), \
	    JSON_INT("queue.admit_per_second", struct event_in, admit_per_second, 0, 1, 10000), \
	    JSON_INT("queue.max_active", struct event_in, max_active, 0, 1, 1000000), \
	    JSON_DATETIME("queue.opens_at", struct event_in, opens_at, JF_NULLABLE), \
	    JSON_ARR("queue.vip_codes", struct event_in, vip_codes, 0, 0, EVENT_MAX_VIP_CODES), \
	    JSON_BOOL("is_active", struct event_in, is_active, 0), \
	    JSON_BOOL("entry_messages", struct event_in, entry_messages, 0), \
	    JSON_ARR("closed_weekdays", struct event_in, closed_weekdays, 0, 0, 7), \
	    JSON_ARR("closed_dates", struct event_in, closed_dates, 0, 0, EVENT_MAX_CLOSED_DATES)

static const struct json_field create_fields[] = {EVENT_IN_FIELDS(JF_REQUIRED)};
static const struct json_field update_fields[] = {EVENT_IN_FIELDS(0)};

/* The path's {id}; false after answering 404 EVENT_NOT_FOUND. */
/* Replies {"event": parsed text}, with the caller's level when level > 0. */
static void reply_event(struct http_req *r, int status, const char *text, int level)
{
	cJSON *o = cJSON_Parse(text);

	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	if (level > 0) {
		cJSON_AddNumberToObject(o, "level", level);
		cJSON_AddStringToObject(o, "level_name", perm_level_name(level));
	}
	app_reply_object(r, status, "event", o);
}

/* Database errors with a field to blame; the rest as app_reply_db_error. */
static void reply_db_error(struct http_req *r, enum db_err e)
{
	const char *c = db_last_constraint();

	if (e == DB_UNIQUE && strcmp(c, "events_code_key") == 0) {
		cJSON *d = cJSON_CreateObject();
		db_rollback();
		cJSON_AddStringToObject(d, "field", "code");
		http_reply_error(r, "CONFLICT", d);
	} else if (e == DB_CHECK && strcmp(c, "events_dates") == 0) {
		db_rollback();
		json_reply_field(r, "ends_on", "date_order");
	} else if (e == DB_CHECK && strcmp(c, "events_sale_window") == 0) {
		db_rollback();
		json_reply_field(r, "sale_ends_at", "date_order");
	} else {
		app_reply_db_error(r, e);
	}
}

/* Each closed weekday an integer 1–7, each closed date a real day. */
static void closed_days_check(struct http_req *r, const struct event_in *in, cJSON *errors)
{
	const cJSON *x;
	int i = 0;

	if (in->closed_weekdays.set)
		cJSON_ArrayForEach(x, in->closed_weekdays.v)
		{
			if (!cJSON_IsNumber(x) || x->valuedouble != (double)(int)x->valuedouble ||
			    x->valuedouble < 1 || x->valuedouble > 7)
				json_field_error(r, errors,
				                 arena_printf(r->arena, "closed_weekdays[%d]", i),
				                 "invalid");
			i++;
		}
	i = 0;
	if (in->closed_dates.set)
		cJSON_ArrayForEach(x, in->closed_dates.v)
		{
			if (!tk_valid_date(cJSON_GetStringValue(x)))
				json_field_error(r, errors,
				                 arena_printf(r->arena, "closed_dates[%d]", i),
				                 "date_format");
			i++;
		}
}

/* A VIP code: what a sponsor types or a link carries. */
static bool valid_vip_code(const char *s)
{
	size_t n = strlen(s);

	if (n < EVENT_VIP_CODE_MIN || n > EVENT_VIP_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* queue.vip_codes[i]: each a string valid_vip_code accepts. */
static void vip_codes_check(struct http_req *r, const struct event_in *in, cJSON *errors)
{
	const cJSON *it;
	int i = 0;

	if (!in->vip_codes.set || in->vip_codes.null)
		return;
	cJSON_ArrayForEach(it, in->vip_codes.v)
	{
		if (!cJSON_IsString(it) || !valid_vip_code(it->valuestring))
			json_field_error(
			    r, errors, arena_printf(r->arena, "queue.vip_codes[%d]", i), "invalid");
		i++;
	}
}

/* Validates the body against fields plus the rules between fields; false
 * after answering 400/415/422. */
static bool event_in_or_reply(struct http_req *r, const struct json_field *fields, size_t n,
                              struct event_in *in)
{
	const cJSON *body = json_object_body_or_reply(r);
	cJSON *errors;

	if (body == NULL)
		return false;
	errors = cJSON_CreateObject();
	json_validate(r, body, fields, n, in, NULL, errors);
	/* Dates are YYYY-MM-DD: text order is date order. */
	if (in->starts_on.set && in->ends_on.set && strcmp(in->ends_on.v, in->starts_on.v) < 0)
		json_field_error(r, errors, "ends_on", "date_order");
	closed_days_check(r, in, errors);
	vip_codes_check(r, in, errors);
	if (cJSON_GetArraySize(errors) > 0) {
		json_reply_validation(r, errors);
		return false;
	}
	cJSON_Delete(errors);

	if (in->timezone.set) {
		const char *params[] = {in->timezone.v};
		enum db_err e = db_exec(r->arena, &q_timezone, params, NULL);
		if (e == DB_INVALID) {
			json_reply_field(r, "timezone", "invalid");
			return false;
		}
		if (e != DB_OK) {
			app_reply_db_error(r, e);
			return false;
		}
	}
	return true;
}

/* The validated input as the JSON object q_insert / q_update read, printed
 * into the arena. Keys are column names. */
static const char *event_patch(struct http_req *r, const struct event_in *in)
{
	cJSON *p = cJSON_CreateObject();
	char *text;

	json_put_str(p, "code", &in->code, false);
	json_put_str(p, "title", &in->title, false);
	json_put_str(p, "venue", &in->venue, true);
	json_put_str(p, "address", &in->address, true);
	json_put_str(p, "starts_on", &in->starts_on, false);
	json_put_str(p, "ends_on", &in->ends_on, false);
	json_put_str(p, "open_hours", &in->open_hours, true);
	json_put_str(p, "timezone", &in->timezone, false);
	json_put_int(p, "hold_seconds", &in->hold_seconds);
	json_put_int(p, "max_per_order", &in->max_per_order);
	json_put_str(p, "sale_starts_at", &in->sale_starts_at, false);
	json_put_str(p, "sale_ends_at", &in->sale_ends_at, false);
	json_put_str(p, "description", &in->description, true);
	json_put_bool(p, "queue_enabled", &in->queue_enabled);
	json_put_int(p, "queue_admit_per_second", &in->admit_per_second);
	json_put_int(p, "queue_max_active", &in->max_active);
	json_put_str(p, "queue_opens_at", &in->opens_at, false);
	if (in->vip_codes.set && !in->vip_codes.null)
		cJSON_AddItemToObject(p, "queue_vip_codes", cJSON_Duplicate(in->vip_codes.v, true));
	json_put_bool(p, "is_active", &in->is_active);
	json_put_bool(p, "entry_messages", &in->entry_messages);
	if (in->closed_weekdays.set)
		cJSON_AddItemToObject(p, "closed_weekdays",
		                      cJSON_Duplicate(in->closed_weekdays.v, true));
	if (in->closed_dates.set)
		cJSON_AddItemToObject(p, "closed_dates", cJSON_Duplicate(in->closed_dates.v, true));
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(p));
	cJSON_Delete(p);
	return text;
}

void event_create(struct http_req *r)
{
	static const char *const summary_keys[] = {"code", "title", "starts_on", "ends_on",
	                                           "is_active"};
	struct event_in in = {0};
	PGresult *res;
	enum db_err e;
	cJSON *obj, *sum;
	const char *id;

	if (!event_in_or_reply(r, create_fields, TK_ARRAY_LEN(create_fields), &in))
		return;
	{
		const char *params[] = {event_patch(r, &in)};
		if ((e = db_begin()) != DB_OK ||
		    (e = db_exec(r->arena, &q_insert, params, &res)) != DB_OK)
			goto fail;
	}
	obj = json_parse_owned(r, db_str(res, 0, "obj"));
	id = db_str(res, 0, "id");
	sum = cJSON_CreateObject();
	for (size_t i = 0; i < TK_ARRAY_LEN(summary_keys); i++)
		cJSON_AddItemToObject(
		    sum, summary_keys[i],
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, summary_keys[i]), true));
	e = audit_log(r, db_i64(res, 0, "id"), "event.create", "event", id, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	reply_event(r, 201, db_str(res, 0, "obj"), 0);
	return;
fail:
	reply_db_error(r, e);
}

void event_get(struct http_req *r)
{
	int64_t id;
	PGresult *res;

	if (!app_param_id_or_reply(r, "id", &id, "EVENT_NOT_FOUND"))
		return;
	{
		const char *params[] = {db_param_i64(r->arena, id)};
		res = app_row_or_reply(r, &q_get, params, "EVENT_NOT_FOUND");
	}
	if (res == NULL)
		return;
	reply_event(r, 200, db_str(res, 0, "obj"), 0);
}

void event_update(struct http_req *r)
{
	static const char *const skip[] = {"updated_at", NULL};
	struct event_in in = {0};
	int64_t id;
	PGresult *old, *res;
	enum db_err e;
	const char *ids;
	cJSON *before, *after, *changes, *sum;

	if (!app_param_id_or_reply(r, "id", &id, "EVENT_NOT_FOUND") ||
	    !event_in_or_reply(r, update_fields, TK_ARRAY_LEN(update_fields), &in))
		return;
	ids = db_param_i64(r->arena, id);
	if ((old = app_begin_row_or_reply(r, &q_get_lock, &ids, "EVENT_NOT_FOUND")) == NULL)
		return;
	{
		const char *params[] = {ids, event_patch(r, &in)};
		if ((e = db_exec(r->arena, &q_update, params, &res)) != DB_OK)
			goto fail;
	}
	before = json_parse_owned(r, db_str(old, 0, "obj"));
	after = json_parse_owned(r, db_str(res, 0, "obj"));
	changes = activity_changes(before, after, skip);
	if (cJSON_GetArraySize(changes) == 0) {
		/* Nothing changed: no updated_at bump, nothing to log. */
		cJSON_Delete(changes);
		db_rollback();
		reply_event(r, 200, db_str(old, 0, "obj"), 0);
		return;
	}
	sum = cJSON_CreateObject();
	cJSON_AddItemToObject(sum, "changes", changes);
	e = audit_log(r, id, "event.update", "event", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	reply_event(r, 200, db_str(res, 0, "obj"), 0);
	return;
fail:
	reply_db_error(r, e);
}

void event_delete(struct http_req *r)
{
	int64_t id;
	PGresult *res;
	enum db_err e;
	const char *ids;
	cJSON *sum;

	if (!app_param_id_or_reply(r, "id", &id, "EVENT_NOT_FOUND"))
		return;
	ids = db_param_i64(r->arena, id);
	if ((res = app_begin_row_or_reply(r, &q_delete, &ids, "EVENT_NOT_FOUND")) == NULL)
		return;
	sum = cJSON_CreateObject();
	cJSON_AddStringToObject(sum, "code", db_str(res, 0, "code"));
	cJSON_AddStringToObject(sum, "title", db_str(res, 0, "title"));
	e = audit_log(r, id, "event.delete", "event", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	reply_event(r, 200, db_str(res, 0, "obj"), 0);
	return;
fail:
	app_reply_db_error(r, e);
}

static void set_active(struct http_req *r, bool active)
{
	int64_t id;
	PGresult *old, *res;
	enum db_err e;
	const char *ids;
	cJSON *sum, *c;

	if (!app_param_id_or_reply(r, "id", &id, "EVENT_NOT_FOUND"))
		return;
	ids = db_param_i64(r->arena, id);
	if ((old = app_begin_row_or_reply(r, &q_get_lock, &ids, "EVENT_NOT_FOUND")) == NULL)
		return;
	if (db_bool(old, 0, "is_active") == active) {
		db_rollback();
		reply_event(r, 200, db_str(old, 0, "obj"), 0);
		return;
	}
	{
		const char *params[] = {ids, db_param_bool(active)};
		if ((e = db_exec(r->arena, &q_set_active, params, &res)) != DB_OK)
			goto fail;
	}
	sum = cJSON_CreateObject();
	c = cJSON_AddObjectToObject(cJSON_AddObjectToObject(sum, "changes"), "is_active");
	cJSON_AddBoolToObject(c, "before", !active);
	cJSON_AddBoolToObject(c, "after", active);
	e = audit_log(r, id, active ? "event.activate" : "event.deactivate", "event", ids, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_commit()) != DB_OK)
		goto fail;
	catalog_changed(r->arena);
	reply_event(r, 200, db_str(res, 0, "obj"), 0);
	return;
fail:
	app_reply_db_error(r, e);
}

void event_activate(struct http_req *r)
{
	set_active(r, true);
}

void event_deactivate(struct http_req *r)
{
	set_active(r, false);
}

struct event_filter {
	const char *q, *active, *from, *to;
	int64_t page, limit;
};

static cJSON *filter_error(struct http_req *r, cJSON *errors, const char *field, const char *key)
{
	if (errors == NULL)
		errors = cJSON_CreateObject();
	json_field_error(r, errors, field, key);
	return errors;
}

/* ?q=&active=&from=&to=&page=&limit=; false after answering 422. */
static bool filter_or_reply(struct http_req *r, struct event_filter *f)
{
	const char *q = http_query(r, "q"), *active = http_query(r, "active");
	const char *from = http_query(r, "from"), *to = http_query(r, "to");
	cJSON *errors = NULL;

	memset(f, 0, sizeof(*f));
	if (q && *q) {
		if (!tk_utf8_valid(q, strlen(q)) || tk_utf8_len(q) > EVENT_MAX_Q)
			errors = filter_error(r, errors, "q", "invalid");
		else
			f->q = q;
	}
	if (active && *active) {
		if (strcmp(active, "true") == 0 || strcmp(active, "false") == 0)
			f->active = active;
		else
			errors = filter_error(r, errors, "active", "invalid");
	}
	if (from && *from) {
		if (tk_valid_date(from))
			f->from = from;
		else
			errors = filter_error(r, errors, "from", "invalid");
	}
	if (to && *to) {
		if (tk_valid_date(to))
			f->to = to;
		else
			errors = filter_error(r, errors, "to", "invalid");
	}
	if (f->from && f->to && strcmp(f->to, f->from) < 0)
		errors = filter_error(r, errors, "to", "date_order");
	if (errors) {
		json_reply_validation(r, errors);
		return false;
	}
	return app_paging_or_reply(r, &f->page, &f->limit);
}

static void reply_list(struct http_req *r, const struct event_filter *f, PGresult *res)
{
	app_reply_list(r, res, f->page, f->limit);
}

void event_list(struct http_req *r)
{
	struct event_filter f;
	PGresult *res;
	enum db_err e;

	if (!filter_or_reply(r, &f))
		return;
	{
		const char *params[] = {f.q,
		                        f.active,
		                        f.from,
		                        f.to,
		                        db_param_i64(r->arena, f.limit),
		                        db_param_i64(r->arena, (f.page - 1) * f.limit)};
		e = db_exec(r->arena, &q_list, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	reply_list(r, &f, res);
}

void event_list_mine(struct http_req *r)
{
	struct event_filter f;
	PGresult *res;
	enum db_err e;

	if (!filter_or_reply(r, &f))
		return;
	{
		const char *params[] = {f.q,
		                        f.active,
		                        f.from,
		                        f.to,
		                        db_param_bool(r->principal->is_super),
		                        db_param_i64(r->arena, r->principal->admin_id),
		                        db_param_i64(r->arena, f.limit),
		                        db_param_i64(r->arena, (f.page - 1) * f.limit)};
		e = db_exec(r->arena, &q_list_mine, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	reply_list(r, &f, res);
}

void event_get_scoped(struct http_req *r)
{
	PGresult *res;
	const char *params[] = {db_param_i64(r->arena, r->event_id)};

	if ((res = app_row_or_reply(r, &q_get, params, "EVENT_NOT_FOUND")) == NULL)
		return;
	reply_event(r, 200, db_str(res, 0, "obj"), perm_level_on(r->principal, r->event_id));
}

void event_public_get(struct http_req *r)
{
	const char *code = http_param(r, "code");
	PGresult *res;

	if (!tk_valid_event_code(code)) {
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return;
	}
	{
		const char *params[] = {code};
		res = app_row_or_reply(r, &q_public, params, "EVENT_NOT_FOUND");
	}
	if (res == NULL)
		return;
	reply_event(r, 200, db_str(res, 0, "obj"), 0);
}

bool event_lock_or_reply(struct http_req *r)
{
	const char *params[] = {db_param_i64(r->arena, r->event_id)};
	return app_begin_row_or_reply(r, &q_share_lock, params, "EVENT_NOT_FOUND") != NULL;
}

enum db_err event_queue_vip(struct arena *a, int64_t event_id, const char *code, bool *ok)
{
	const char *params[] = {arena_printf(a, "%lld", (long long)event_id), code};
	PGresult *res;
	enum db_err e = db_exec(a, &q_vip, params, &res);

	*ok = e == DB_OK && db_rows(res) == 1 && strcmp(db_str(res, 0, "ok"), "t") == 0;
	return e;
}
