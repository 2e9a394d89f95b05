/*
 * t_activity.c — the activity log: every change leaves exactly one row
 * naming who (admin, username, level), where (event), from where (ip) and
 * which request (X-Request-ID); the super admin's filters; the event-scoped
 * view for managers only; refused changes leave nothing.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

/* The item of GET <list_path>?<query> whose request_id is rid, looked for on
 * the first pages (newest first); a copy the caller deletes, or NULL. */
static cJSON *find_row(const char *list_path, const char *query, const char *token, const char *rid)
{
	for (int page = 1; page <= 5; page++) {
		resp_t *r = req(
		    "GET",
		    strf("%s?%s%slimit=100&page=%d", list_path, query, *query ? "&" : "", page),
		    NULL, token);
		const cJSON *items, *hit;
		int n;

		ASSERT_STATUS(r, 200);
		items = jitems(r);
		ck_assert_msg(cJSON_IsArray(items), "%s: no items: %s", r->path, resp_snippet(r));
		hit = jfind_str(items, "request_id", rid);
		n = cJSON_GetArraySize(items);
		if (hit) {
			cJSON *copy = cJSON_Duplicate(hit, 1);
			resp_free(r);
			return copy;
		}
		resp_free(r);
		if (n < 100)
			break;
	}
	return NULL;
}

/* The change answered with want_status; its row is found with the action
 * filter and the acting admin, and carries what it must. event_id 0: none. */
static void assert_logged(resp_t *change, int want_status, const char *action,
                          const struct actor *who, int level, long long event_id)
{
	const char *rid = change->request_id;
	cJSON *row;

	ASSERT_STATUS(change, want_status);
	ck_assert_msg(rid && *rid, "%s %s: no X-Request-ID", change->method, change->path);
	{
		long long n = tdb_count("SELECT count(*) FROM activity_log WHERE request_id = $1",
		                        rid);
		ck_assert_msg(
		    n == 1,
		    "%s %s (request %s, %s): %lld activity rows with its request_id, want 1",
		    change->method, change->path, rid, action, n);
	}

	row = find_row("/fcgi/super-admin/activity",
	               strf("action=%s&admin_id=%lld", action, who->id), super_tok(), rid);
	ck_assert_msg(row != NULL,
	              "%s %s (request %s): no activity row with action=%s admin_id=%lld",
	              change->method, change->path, rid, action, who->id);
	ck_assert_msg(jtext(row, "action") && strcmp(jtext(row, "action"), action) == 0,
	              "row action %s, want %s",
	              jtext(row, "action") ? jtext(row, "action") : "(none)", action);
	ck_assert_int_eq(jnum(row, "admin_id"), who->id);
	ck_assert_msg(jtext(row, "admin_username") &&
	                  strcmp(jtext(row, "admin_username"), who->username) == 0,
	              "%s: admin_username %s, want %s", action,
	              jtext(row, "admin_username") ? jtext(row, "admin_username") : "(none)",
	              who->username);
	ck_assert_msg(jnum(row, "level") == level, "%s: level %lld, want %d", action,
	              jnum(row, "level"), level);
	if (event_id)
		ck_assert_msg(jnum(row, "event_id") == event_id, "%s: event_id %lld, want %lld",
		              action, jnum(row, "event_id"), event_id);
	else
		ck_assert_msg(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "event_id")) ||
		                  cJSON_GetObjectItemCaseSensitive(row, "event_id") == NULL,
		              "%s: event_id should be null, got %lld", action,
		              jnum(row, "event_id"));
	ck_assert_msg(jtext(row, "ip") && strcmp(jtext(row, "ip"), "127.0.0.1") == 0, "%s: ip %s",
	              action, jtext(row, "ip") ? jtext(row, "ip") : "(none)");
	ck_assert_str_eq(jtext(row, "request_id"), rid);
	cJSON_Delete(row);
}

START_TEST(changes_are_logged)
{
	const struct fixture *f = fx();
	const struct actor *su = &f->super;
	const char *code = uniq_code("act");
	resp_t *r;
	long long ev, adm;

	r = req("POST", "/fcgi/super-admin/events", event_body(code, "Logged"), super_tok());
	ev = jint(r, "event.id");
	assert_logged(r, 201, "event.create", su, 9, ev);
	resp_free(r);

	r = req("PUT", strf("/fcgi/super-admin/events/%lld", ev), "{\"title\":\"Logged again\"}",
	        super_tok());
	assert_logged(r, 200, "event.update", su, 9, ev);
	resp_free(r);

	r = req("POST", strf("/fcgi/super-admin/events/%lld/activate", ev), NULL, super_tok());
	assert_logged(r, 200, "event.activate", su, 9, ev);
	resp_free(r);

	r = req("POST", "/fcgi/super-admin/admins",
	        strf("{\"username\":\"%s\",\"password\":\"logged-pass-1\",\"name\":\"L\"}",
	             uniq_user("act")),
	        super_tok());
	adm = jint(r, "admin.id");
	assert_logged(r, 201, "admin.create", su, 9, 0);
	{
		const char *sum = tdb_value(
		    "SELECT summary::text FROM activity_log WHERE request_id = $1", r->request_id);
		ck_assert_msg(sum == NULL || strstr(sum, "logged-pass-1") == NULL,
		              "the activity summary holds the password: %s", sum);
	}
	resp_free(r);

	r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", adm),
	        strf("[{\"event_id\":%lld,\"level\":3}]", ev), super_tok());
	assert_logged(r, 200, "admin.assign", su, 9, 0);
	resp_free(r);

	r = req("POST", strf("/fcgi/admin/events/%lld/notices", ev),
	        "{\"title\":\"Logged notice\",\"body\":\"b\"}", super_tok());
	assert_logged(r, 201, "notice.create", su, 9, ev);
	resp_free(r);

	r = req("POST", strf("/fcgi/super-admin/events/%lld/deactivate", ev), NULL, super_tok());
	assert_logged(r, 200, "event.deactivate", su, 9, ev);
	resp_free(r);

	r = req("DELETE", strf("/fcgi/super-admin/events/%lld", ev), NULL, super_tok());
	ck_assert_msg(r->status == 200 || r->status == 204, "DELETE: %ld", r->status);
	assert_logged(r, (int)r->status, "event.delete", su, 9, ev);
	resp_free(r);

	/* A manager's change carries the manager's level on the event. */
	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_a),
	        "{\"title\":\"By the manager\"}", fx_actor(3)->s->token);
	assert_logged(r, 201, "notice.create", fx_actor(3), 3, f->ev_a);
	resp_free(r);
}
END_TEST

START_TEST(filters)
{
	const struct fixture *f = fx();
	resp_t *r;
	const cJSON *items, *it;

	r = req("GET",
	        strf("/fcgi/super-admin/activity?action=event.create&admin_id=%lld&limit=100",
	             f->super.id),
	        NULL, super_tok());
	ASSERT_STATUS(r, 200);
	items = jitems(r);
	ck_assert_msg(cJSON_GetArraySize(items) > 0,
	              "no event.create rows of the fixture super admin");
	cJSON_ArrayForEach(it, items)
	{
		ck_assert_str_eq(jtext(it, "action"), "event.create");
		ck_assert_int_eq(jnum(it, "admin_id"), f->super.id);
	}
	ck_assert_msg(jint(r, "total") >= cJSON_GetArraySize(items), "total below the page size");
	resp_free(r);

	r = req("GET", strf("/fcgi/super-admin/activity?event_id=%lld&limit=100", f->ev_b), NULL,
	        super_tok());
	ASSERT_STATUS(r, 200);
	items = jitems(r);
	ck_assert_msg(cJSON_GetArraySize(items) > 0, "no rows of event B (its creation at least)");
	cJSON_ArrayForEach(it, items)
	{
		ck_assert_int_eq(jnum(it, "event_id"), f->ev_b);
	}
	resp_free(r);

	r = req("GET", strf("/fcgi/super-admin/activity?from=%s&limit=5", date_plus(-1)), NULL,
	        super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_msg(cJSON_GetArraySize(jitems(r)) > 0, "from=yesterday finds nothing");
	resp_free(r);

	{
		static const char *const bad[] = {"admin_id=abc", "event_id=-3", "from=yesterday",
		                                  "limit=101", "page=0"};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char field[16];
			snprintf(field, sizeof(field), "%.*s", (int)strcspn(bad[i], "="), bad[i]);
			r = req("GET", strf("/fcgi/super-admin/activity?%s", bad[i]), NULL,
			        super_tok());
			ASSERT_FIELD(r, field);
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(event_activity_for_managers)
{
	const struct fixture *f = fx();
	const char *path = strf("/fcgi/admin/events/%lld/activity", f->ev_a);
	char rid_a[80], rid_b[80];
	resp_t *r;
	const cJSON *it;
	cJSON *row;

	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_a), "{\"title\":\"On A\"}",
	        fx_actor(3)->s->token);
	ASSERT_STATUS(r, 201);
	snprintf(rid_a, sizeof(rid_a), "%s", r->request_id);
	resp_free(r);
	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_b), "{\"title\":\"On B\"}",
	        super_tok());
	ASSERT_STATUS(r, 201);
	snprintf(rid_b, sizeof(rid_b), "%s", r->request_id);
	resp_free(r);

	r = req("GET", strf("%s?limit=100", path), NULL, fx_actor(3)->s->token);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(cJSON_GetArraySize(jitems(r)) > 0, "manager sees no rows of event A");
	cJSON_ArrayForEach(it, jitems(r))
	{
		ck_assert_msg(jnum(it, "event_id") == f->ev_a,
		              "event A's activity shows a row of event %lld (action %s)",
		              jnum(it, "event_id"), jtext(it, "action") ? jtext(it, "action") : "");
	}
	ck_assert_msg(jfind_str(jitems(r), "request_id", rid_b) == NULL,
	              "event B's row shown on A");
	resp_free(r);
	row = find_row(path, "", fx_actor(3)->s->token, rid_a);
	ck_assert_msg(row != NULL, "the manager's own change is missing from event A's activity");
	ck_assert_str_eq(jtext(row, "admin_username"), fx_actor(3)->username);
	cJSON_Delete(row);
	/* The super admin may read it too. */
	row = find_row(path, "", super_tok(), rid_a);
	ck_assert_msg(row != NULL, "super admin: row missing from event A's activity");
	cJSON_Delete(row);

	r = req("GET", path, NULL, fx_actor(1)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
	r = req("GET", path, NULL, fx_actor(2)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/activity", f->ev_b), NULL,
	        fx_actor(3)->s->token);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	/* The whole log is the super admin's alone. */
	r = req("GET", "/fcgi/super-admin/activity", NULL, fx_actor(3)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
}
END_TEST

static void assert_not_logged(resp_t *r, long want_status)
{
	ck_assert_msg(r->status == want_status, "%s %s: want %ld, got %ld %s", r->method, r->path,
	              want_status, r->status, resp_snippet(r));
	ck_assert_msg(r->request_id && *r->request_id, "no X-Request-ID");
	ck_assert_msg(tdb_count("SELECT count(*) FROM activity_log WHERE request_id = $1",
	                        r->request_id) == 0,
	              "%s %s answered %ld but left an activity row", r->method, r->path, r->status);
}

START_TEST(refused_changes_not_logged)
{
	const struct fixture *f = fx();
	const char *user = uniq_user("nolog");
	resp_t *r;

	r = req("POST", "/fcgi/super-admin/events", event_body("BAD CODE", "x"), super_tok());
	assert_not_logged(r, 422);
	resp_free(r);
	r = req("POST", "/fcgi/super-admin/events", event_body(f->code_a, "dup"), super_tok());
	assert_not_logged(r, 409);
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", f->ev_b), "{\"hold_seconds\":0}",
	        super_tok());
	assert_not_logged(r, 422);
	resp_free(r);
	r = req("POST", "/fcgi/super-admin/admins",
	        strf("{\"username\":\"%s\",\"password\":\"short\",\"name\":\"x\"}", user),
	        super_tok());
	assert_not_logged(r, 422);
	resp_free(r);
	r = req("POST", "/fcgi/super-admin/admins",
	        strf("{\"username\":\"%s\",\"password\":\"long-enough-1\",\"name\":\"x\"}",
	             f->viewer.username),
	        super_tok());
	assert_not_logged(r, 409);
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", f->viewer.id),
	        "[{\"event_id\":99999999,\"level\":1}]", super_tok());
	assert_not_logged(r, 422);
	resp_free(r);
	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_a), "{\"title\":\"\"}",
	        fx_actor(3)->s->token);
	assert_not_logged(r, 422);
	resp_free(r);
	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_a), "{\"title\":\"no\"}",
	        fx_actor(1)->s->token);
	assert_not_logged(r, 403);
	resp_free(r);
	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_b), "{\"title\":\"no\"}",
	        fx_actor(3)->s->token);
	assert_not_logged(r, 403);
	resp_free(r);
	r = req("POST", "/fcgi/super-admin/events", event_body(uniq_code("no"), "x"),
	        fx_actor(3)->s->token);
	assert_not_logged(r, 403);
	resp_free(r);
	/* The viewer's assignment survived the refused change. */
	{
		resp_t *me = req("GET", "/fcgi/admin/me", NULL, fx_actor(1)->s->token);
		ASSERT_STATUS(me, 200);
		ck_assert_int_eq(cJSON_GetArraySize(jget(me->json, "admin.events")), 1);
		resp_free(me);
	}
}
END_TEST

static Suite *activity_suite(void)
{
	Suite *s = suite_create("activity");
	TCase *tc = tcase_new("activity");

	tcase_add_test(tc, changes_are_logged);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, event_activity_for_managers);
	tcase_add_test(tc, refused_changes_not_logged);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("activity", activity_suite, true)
