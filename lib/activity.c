/* activity.c — the activity log, read side; before/after summaries. */
#include "activity.h"

#include "app.h"
#include "db.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

#define ACTIVITY_MAX_ACTION 64 /* activity_log_action_format */

/*
 * One round trip: the total of the filtered rows and the page as a JSON
 * array. Exactly one of $4/$5 (from as a date / as an instant) and one of
 * $6/$7 (to) is non-NULL at most. A date means a calendar day in Seoul.
 */
static struct db_stmt q_list = DB_STMT(
    "WITH f AS (SELECT l.* FROM activity_log l"
    " WHERE ($1::bigint IS NULL OR l.admin_id = $1::bigint)"
    " AND ($2::bigint IS NULL OR l.event_id = $2::bigint)"
    " AND ($3::text IS NULL OR CASE WHEN right($3::text, 1) = '.'"
    "   THEN left(l.action, length($3::text)) = $3::text ELSE l.action = $3::text END)"
    " AND ($4::date IS NULL OR l.created_at >= ($4::date::timestamp AT TIME ZONE 'Asia/Seoul'))"
    " AND ($5::timestamptz IS NULL OR l.created_at >= $5::timestamptz)"
    " AND ($6::date IS NULL"
    "   OR l.created_at < (($6::date + 1)::timestamp AT TIME ZONE 'Asia/Seoul'))"
    " AND ($7::timestamptz IS NULL OR l.created_at <= $7::timestamptz))"
    " SELECT (SELECT count(*) FROM f) AS total,"
    " (SELECT COALESCE(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]')"
    "  FROM (SELECT json_build_object('id', l.id, 'admin_id', l.admin_id,"
    "    'admin_username', l.admin_username, 'level', l.level, 'event_id', l.event_id,"
    "    'event_code', e.code, 'action', l.action, 'target_type', l.target_type,"
    "    'target_id', l.target_id, 'summary', l.summary, 'ip', host(l.ip),"
    "    'user_agent', l.user_agent, 'request_id', l.request_id,"
    "    'created_at', iso(l.created_at)) AS j, l.created_at, l.id"
    "   FROM f l LEFT JOIN events e ON e.id = l.event_id"
    "   ORDER BY l.created_at DESC, l.id DESC LIMIT $8 OFFSET $9) x) AS items",
    9);

struct activity_filter {
	const char *admin_id, *event_id, *action;
	const char *from_date, *from_ts, *to_date, *to_ts;
};

static bool valid_action(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > ACTIVITY_MAX_ACTION)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_.:-", *p)))
			return false;
	return true;
}

/* A positive id from the query into *out (a text parameter); absent or
 * empty → NULL. */
static cJSON *id_param(struct http_req *r, cJSON *errors, const char *name, const char **out)
{
	const char *v = http_query(r, name);
	int64_t id;

	*out = NULL;
	if (v == NULL || *v == '\0')
		return errors;
	if (!tk_parse_i64(v, 1, INT64_MAX, &id))
		return json_errors_add(r, errors, name, "invalid");
	*out = db_param_i64(r->arena, id);
	return errors;
}

/* Reads the filters; false after answering 422. */
static bool filter_or_reply(struct http_req *r, struct activity_filter *f, bool with_event)
{
	cJSON *errors = NULL;
	const char *action = http_query(r, "action");

	memset(f, 0, sizeof(*f));
	errors = id_param(r, errors, "admin_id", &f->admin_id);
	if (with_event)
		errors = id_param(r, errors, "event_id", &f->event_id);
	if (action && *action) {
		if (valid_action(action))
			f->action = action;
		else
			errors = json_errors_add(r, errors, "action", "invalid");
	}
	errors = app_time_query(r, errors, "from", &f->from_date, &f->from_ts);
	errors = app_time_query(r, errors, "to", &f->to_date, &f->to_ts);
	if (errors) {
		json_reply_validation(r, errors);
		return false;
	}
	return true;
}

static void list_reply(struct http_req *r, const struct activity_filter *f)
{
	int64_t page, limit;
	PGresult *res;
	enum db_err e;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	{
		const char *params[] = {f->admin_id,
		                        f->event_id,
		                        f->action,
		                        f->from_date,
		                        f->from_ts,
		                        f->to_date,
		                        f->to_ts,
		                        db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit)};
		e = db_exec(r->arena, &q_list, params, &res);
	}
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	app_reply_list(r, res, page, limit);
}

void activity_list(struct http_req *r)
{
	struct activity_filter f;

	if (!filter_or_reply(r, &f, true))
		return;
	list_reply(r, &f);
}

void activity_list_event(struct http_req *r)
{
	struct activity_filter f;

	if (!filter_or_reply(r, &f, false))
		return;
	f.event_id = db_param_i64(r->arena, r->event_id);
	list_reply(r, &f);
}

static bool skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(key, *skip) == 0)
			return true;
	return false;
}

static void add_change(cJSON *out, const char *name, const cJSON *before, const cJSON *after)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddItemToObject(c, "before",
	                      before ? cJSON_Duplicate(before, true) : cJSON_CreateNull());
	cJSON_AddItemToObject(c, "after",
	                      after ? cJSON_Duplicate(after, true) : cJSON_CreateNull());
	cJSON_AddItemToObject(out, name, c);
}

cJSON *activity_changes(const cJSON *before, const cJSON *after, const char *const *skip)
{
	cJSON *out = cJSON_CreateObject();
	const cJSON *a;

	cJSON_ArrayForEach(a, after)
	{
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
		if (a->string == NULL || skipped(a->string, skip))
			continue;
		if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
			const cJSON *ai;
			cJSON_ArrayForEach(ai, a)
			{
				const cJSON *bi = cJSON_GetObjectItemCaseSensitive(b, ai->string);
				char name[128];
				if (bi && cJSON_Compare(ai, bi, true))
					continue;
				snprintf(name, sizeof(name), "%s.%s", a->string, ai->string);
				add_change(out, name, bi, ai);
			}
			continue;
		}
		if (b && cJSON_Compare(a, b, true))
			continue;
		add_change(out, a->string, b, a);
	}
	return out;
}
