/* settings.c — system settings (super admin). */
#include "settings.h"

#include "activity.h"
#include "app.h"
#include "audit.h"
#include "db.h"
#include "json.h"

static struct db_stmt q_all = DB_STMT(
    "SELECT COALESCE(json_object_agg(key, value ORDER BY key), '{}') AS obj FROM settings", 0);

/* Taken FOR UPDATE so two concurrent PUTs log a consistent before/after. */
static struct db_stmt q_all_lock = DB_STMT(
    "SELECT COALESCE(json_object_agg(s.key, s.value ORDER BY s.key), '{}') AS obj"
    " FROM (SELECT key, value FROM settings ORDER BY key FOR UPDATE) s",
    0);

/* $1: {key: value} of the changed keys; $2 the admin. */
static struct db_stmt q_upsert = DB_STMT(
    "INSERT INTO settings (key, value, updated_by)"
    " SELECT j.key, j.value, $2::bigint FROM jsonb_each($1::jsonb) j"
    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by",
    2);

struct settings_in {
	struct json_int default_hold_seconds, default_max_per_order, login_max_failures,
	    login_lock_minutes;
	struct json_str site_name;
};

static const struct json_field settings_fields[] = {
    JSON_INT("default_hold_seconds", struct settings_in, default_hold_seconds, 0, 5, 3600),
    JSON_INT("default_max_per_order", struct settings_in, default_max_per_order, 0, 1, 100),
    JSON_INT("login_max_failures", struct settings_in, login_max_failures, 0, 3, 20),
    JSON_INT("login_lock_minutes", struct settings_in, login_lock_minutes, 0, 1, 1440),
    JSON_STR("site_name", struct settings_in, site_name, 0, 1, 100, NULL),
};

static void reply_settings(struct http_req *r, const char *text)
{
	cJSON *o = cJSON_Parse(text);

	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, 200, "settings", o);
}

void settings_get(struct http_req *r)
{
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_all, NULL, &res);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	reply_settings(r, db_str(res, 0, "obj"));
}

void settings_put(struct http_req *r)
{
	struct settings_in in = {0};
	cJSON *wanted, *before, *changes, *patch, *sum;
	const cJSON *c;
	PGresult *res;
	enum db_err e;
	const char *text;

	if (!json_fields_or_reply(r, settings_fields, TK_ARRAY_LEN(settings_fields), &in))
		return;
	wanted = http_own(r, cJSON_CreateObject());
	json_put_int(wanted, "default_hold_seconds", &in.default_hold_seconds);
	json_put_int(wanted, "default_max_per_order", &in.default_max_per_order);
	json_put_int(wanted, "login_max_failures", &in.login_max_failures);
	json_put_int(wanted, "login_lock_minutes", &in.login_lock_minutes);
	if (in.site_name.set)
		cJSON_AddStringToObject(wanted, "site_name", in.site_name.v);

	if ((e = db_begin()) != DB_OK || (e = db_exec(r->arena, &q_all_lock, NULL, &res)) != DB_OK)
		goto fail;
	before = json_parse_owned(r, db_str(res, 0, "obj"));
	changes = activity_changes(before, wanted, NULL);
	if (cJSON_GetArraySize(changes) == 0) {
		cJSON_Delete(changes);
		db_rollback();
		reply_settings(r, db_str(res, 0, "obj"));
		return;
	}
	patch = cJSON_CreateObject();
	cJSON_ArrayForEach(c, changes)
	{
		cJSON_AddItemToObject(
		    patch, c->string,
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(wanted, c->string), true));
	}
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(patch));
	cJSON_Delete(patch);
	sum = cJSON_CreateObject();
	cJSON_AddItemToObject(sum, "changes", changes);
	{
		const char *params[] = {text, db_param_i64(r->arena, r->principal->admin_id)};
		e = db_exec(r->arena, &q_upsert, params, NULL);
	}
	if (e == DB_OK)
		e = audit_log(r, 0, "settings.update", "settings", NULL, sum);
	cJSON_Delete(sum);
	if (e != DB_OK || (e = db_exec(r->arena, &q_all, NULL, &res)) != DB_OK ||
	    (e = db_commit()) != DB_OK)
		goto fail;
	reply_settings(r, db_str(res, 0, "obj"));
	return;
fail:
	app_reply_db_error(r, e);
}
