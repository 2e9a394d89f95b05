/*
 * t_events.c — exhibitions through the super-admin API: create with
 * defaults, conflicts and validation, get, partial update, list filters
 * and paging, activate/deactivate as the public sees it, soft delete.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

static const char *const SA = "/fcgi/super-admin";

static resp_t *create(const char *body)
{
	return req("POST", "/fcgi/super-admin/events", body, super_tok());
}

/* An event body with one member replaced (value is JSON text). */
static char *body_with(const char *code, const char *member, const char *json_value)
{
	cJSON *o = cJSON_Parse(event_body(code, "Validation"));
	cJSON *v = cJSON_Parse(json_value);
	ck_assert_msg(o && v, "bad test JSON %s", json_value);
	cJSON_DeleteItemFromObjectCaseSensitive(o, member);
	cJSON_AddItemToObject(o, member, v);
	return jbody(o);
}

static char *body_without(const char *code, const char *member)
{
	cJSON *o = cJSON_Parse(event_body(code, "Validation"));
	cJSON_DeleteItemFromObjectCaseSensitive(o, member);
	return jbody(o);
}

START_TEST(create_echo_defaults)
{
	const char *code = uniq_code("ev");
	cJSON *o = cJSON_CreateObject();
	resp_t *r;
	long long id;

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "title", "서울 현대미술전 2026");
	cJSON_AddStringToObject(o, "venue", "Hall B");
	cJSON_AddStringToObject(o, "address", "서울특별시 종로구 1");
	cJSON_AddStringToObject(o, "starts_on", "2026-12-01");
	cJSON_AddStringToObject(o, "ends_on", "2027-02-28");
	cJSON_AddStringToObject(o, "open_hours", "10:00-20:00");
	cJSON_AddStringToObject(o, "unknown_field", "ignored");
	r = create(jbody(o));
	ASSERT_STATUS(r, 201);
	id = jint(r, "event.id");
	ck_assert_msg(id > 0, "no event.id: %s", resp_snippet(r));
	ck_assert_str_eq(jstr(r, "event.code"), code);
	ck_assert_str_eq(jstr(r, "event.title"), "서울 현대미술전 2026");
	ck_assert_str_eq(jstr(r, "event.venue"), "Hall B");
	ck_assert_str_eq(jstr(r, "event.address"), "서울특별시 종로구 1");
	ck_assert_str_eq(jstr(r, "event.starts_on"), "2026-12-01");
	ck_assert_str_eq(jstr(r, "event.ends_on"), "2027-02-28");
	ck_assert_str_eq(jstr(r, "event.open_hours"), "10:00-20:00");
	ck_assert_int_eq(jint(r, "event.hold_seconds"), 600);
	ck_assert_int_eq(jint(r, "event.max_per_order"), 10);
	ck_assert_msg(jstr(r, "event.timezone") &&
	                  strcmp(jstr(r, "event.timezone"), "Asia/Seoul") == 0,
	              "timezone default: %s", resp_snippet(r));
	ck_assert_int_eq(jbool(r, "event.queue.enabled"), 0);
	ck_assert_msg(jget(r->json, "unknown_field") == NULL &&
	                  jget(r->json, "event.unknown_field") == NULL,
	              "unknown field echoed");
	resp_free(r);

	/* Explicit values are kept. */
	r = create(
	    strf("{\"code\":\"%s\",\"title\":\"T\",\"starts_on\":\"2026-12-01\","
	         "\"ends_on\":\"2026-12-01\",\"hold_seconds\":5,\"max_per_order\":4,"
	         "\"timezone\":\"Asia/Tokyo\",\"queue\":{\"enabled\":true,\"admit_per_second\":7}}",
	         uniq_code("ev")));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "event.hold_seconds"), 5);
	ck_assert_int_eq(jint(r, "event.max_per_order"), 4);
	ck_assert_str_eq(jstr(r, "event.timezone"), "Asia/Tokyo");
	ck_assert_int_eq(jbool(r, "event.queue.enabled"), 1);
	resp_free(r);

	/* Not public until activated. */
	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);

	r = req("GET", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "event.id"), id);
	ck_assert_str_eq(jstr(r, "event.code"), code);
	ck_assert_str_eq(jstr(r, "event.venue"), "Hall B");
	resp_free(r);
}
END_TEST

START_TEST(reserved_codes)
{
	/* An event lives at /<code>/: a code that nginx serves as something
	 * else (nginx/dev.conf.in: "the event validator must refuse those")
	 * would be unreachable. */
	static const char *const reserved[] = {"admin", "scanner", "fcgi", "metrics"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		resp_t *r = create(event_body(reserved[i], "Shadowed"));
		ck_assert_msg(r->status == 422 && err_field(r, "code"),
		              "code %s: want 422 naming code (reserved path), got %ld %s",
		              reserved[i], r->status, resp_snippet(r));
		resp_free(r);
	}
}
END_TEST

START_TEST(duplicate_code)
{
	const char *code = uniq_code("dup");
	resp_t *r;

	mk_event(code, false);
	r = create(event_body(code, "again"));
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM events WHERE code = $1", code), 1);
}
END_TEST

START_TEST(validation)
{
	static const struct {
		const char *member, *value, *field;
	} bad[] = {
	    {"code", "\"A1\"", "code"},
	    {"code", "\"a\"", "code"},
	    {"code", "\"abcdefghijklmnopq\"", "code"},
	    {"code", "\"ab-c\"", "code"},
	    {"code", "\"ab c\"", "code"},
	    {"code", "\"\"", "code"},
	    {"code", "12", "code"},
	    {"title", "\"\"", "title"},
	    {"title", "123", "title"},
	    {"starts_on", "\"2026-13-01\"", "starts_on"},
	    {"starts_on", "\"2026-02-30\"", "starts_on"},
	    {"starts_on", "\"yesterday\"", "starts_on"},
	    {"ends_on", "\"2026/12/31\"", "ends_on"},
	    {"hold_seconds", "4", "hold_seconds"},
	    {"hold_seconds", "3601", "hold_seconds"},
	    {"hold_seconds", "\"600\"", "hold_seconds"},
	    {"hold_seconds", "60.5", "hold_seconds"},
	    {"max_per_order", "0", "max_per_order"},
	    {"max_per_order", "99999999999999999999", "max_per_order"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *code = uniq_code("val");
		const char *body = strcmp(bad[i].member, "code") == 0
		                       ? body_with("zz", "code", bad[i].value)
		                       : body_with(code, bad[i].member, bad[i].value);
		resp_t *r = create(body);
		ck_assert_msg(r->status == 422 && strcmp(err_code(r), "VALIDATION") == 0 &&
		                  err_field(r, bad[i].field),
		              "%s=%s: want 422 VALIDATION naming %s, got %ld %s", bad[i].member,
		              bad[i].value, bad[i].field, r->status, resp_snippet(r));
		resp_free(r);
		if (strcmp(bad[i].member, "code") != 0)
			ck_assert_int_eq(
			    tdb_count("SELECT count(*) FROM events WHERE code = $1", code), 0);
	}

	/* ends_on before starts_on names ends_on. */
	{
		const char *code = uniq_code("val");
		cJSON *o = cJSON_Parse(event_body(code, "Reversed"));
		resp_t *r;
		cJSON_ReplaceItemInObject(o, "starts_on", cJSON_CreateString("2026-12-10"));
		cJSON_ReplaceItemInObject(o, "ends_on", cJSON_CreateString("2026-12-09"));
		r = create(jbody(o));
		ASSERT_FIELD(r, "ends_on");
		resp_free(r);
		ck_assert_int_eq(tdb_count("SELECT count(*) FROM events WHERE code = $1", code), 0);
	}

	/* Each missing required member is named, all at once. */
	{
		static const char *const required[] = {"code", "title", "starts_on", "ends_on"};
		resp_t *r = create("{}");
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			ASSERT_FIELD(r, required[i]);
		resp_free(r);
		for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
			r = create(body_without(uniq_code("val"), required[i]));
			ASSERT_FIELD(r, required[i]);
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(partial_update)
{
	const char *code = uniq_code("upd");
	long long id = mk_event(code, false);
	resp_t *r;

	r = req("PUT", strf("%s/events/%lld", SA, id),
	        "{\"title\":\"Renamed\",\"hold_seconds\":900}", super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "event.title"), "Renamed");
	ck_assert_int_eq(jint(r, "event.hold_seconds"), 900);
	/* Untouched fields keep their values. */
	ck_assert_str_eq(jstr(r, "event.code"), code);
	ck_assert_str_eq(jstr(r, "event.venue"), "Test Hall");
	ck_assert_int_eq(jint(r, "event.max_per_order"), 10);
	resp_free(r);

	r = req("GET", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "event.title"), "Renamed");
	ck_assert_str_eq(jstr(r, "event.address"), "1 Test-ro, Seoul");
	resp_free(r);

	/* A bad update changes nothing. */
	r = req("PUT", strf("%s/events/%lld", SA, id), "{\"title\":\"Other\",\"hold_seconds\":1}",
	        super_tok());
	ASSERT_FIELD(r, "hold_seconds");
	resp_free(r);
	r = req("PUT", strf("%s/events/%lld", SA, id), strf("{\"ends_on\":\"%s\"}", date_plus(-30)),
	        super_tok());
	ASSERT_FIELD(r, "ends_on");
	resp_free(r);
	r = req("GET", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ck_assert_str_eq(jstr(r, "event.title"), "Renamed");
	ck_assert_int_eq(jint(r, "event.hold_seconds"), 900);
	resp_free(r);

	/* Taking another event's code. */
	r = req("PUT", strf("%s/events/%lld", SA, id), strf("{\"code\":\"%s\"}", fx()->code_b),
	        super_tok());
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);

	/* Unknown ids. */
	r = req("PUT", strf("%s/events/99999999", SA), "{\"title\":\"x\"}", super_tok());
	ck_assert_msg(r->status == 404, "PUT unknown event: %ld", r->status);
	resp_free(r);
	r = req("GET", strf("%s/events/99999999", SA), NULL, super_tok());
	ck_assert_msg(r->status == 404 && (strcmp(err_code(r), "EVENT_NOT_FOUND") == 0 ||
	                                   strcmp(err_code(r), "NOT_FOUND") == 0),
	              "GET unknown event: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
}
END_TEST

START_TEST(list_filters_paging)
{
	const char *tag = strf("lst%s", fx_run()); /* title marker of this test */
	long long ids[3];
	resp_t *r;
	const cJSON *items;

	for (int i = 0; i < 3; i++) {
		const char *code = uniq_code("lst");
		resp_t *c = create(event_body(code, strf("%s list %d", tag, i)));
		ASSERT_STATUS(c, 201);
		ids[i] = jint(c, "event.id");
		resp_free(c);
	}
	r = req("POST", strf("%s/events/%lld/activate", SA, ids[1]), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);

	r = req("GET", strf("%s/events?q=%s&limit=100", SA, tag), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	items = jitems(r);
	ck_assert_msg(cJSON_IsArray(items), "no items: %s", resp_snippet(r));
	ck_assert_int_eq(jint(r, "total"), 3);
	ck_assert_int_eq(jint(r, "page"), 1);
	ck_assert_int_eq(jint(r, "limit"), 100);
	ck_assert_int_eq(cJSON_GetArraySize(items), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(jfind_id(items, "id", ids[i]), "event %lld missing from q=%s", ids[i],
		              tag);
	resp_free(r);

	/* q also matches the code. */
	r = req("GET", strf("%s/events?q=%s", SA, fx()->code_a), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_id(jitems(r), "id", fx()->ev_a) != NULL, "q=<code> misses event A");
	resp_free(r);

	r = req("GET", strf("%s/events?q=%s&active=true", SA, tag), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 1);
	ck_assert_msg(jfind_id(jitems(r), "id", ids[1]) != NULL, "active=true: %s",
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", strf("%s/events?q=%s&active=false", SA, tag), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 2);
	ck_assert_msg(jfind_id(jitems(r), "id", ids[1]) == NULL,
	              "active=false lists the active one");
	resp_free(r);

	/* Paging: one per page, three pages, no overlap, then an empty page. */
	{
		long long seen[3] = {0};
		for (int p = 1; p <= 3; p++) {
			r = req("GET", strf("%s/events?q=%s&limit=1&page=%d", SA, tag, p), NULL,
			        super_tok());
			ASSERT_STATUS(r, 200);
			ck_assert_int_eq(jint(r, "page"), p);
			ck_assert_int_eq(jint(r, "limit"), 1);
			ck_assert_int_eq(jint(r, "total"), 3);
			ck_assert_int_eq(cJSON_GetArraySize(jitems(r)), 1);
			seen[p - 1] = jint(r, "items.0.id");
			resp_free(r);
		}
		ck_assert_msg(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2],
		              "pages overlap: %lld %lld %lld", seen[0], seen[1], seen[2]);
		r = req("GET", strf("%s/events?q=%s&limit=1&page=4", SA, tag), NULL, super_tok());
		ASSERT_STATUS(r, 200);
		ck_assert_int_eq(cJSON_GetArraySize(jitems(r)), 0);
		ck_assert_int_eq(jint(r, "total"), 3);
		resp_free(r);
	}

	/* Defaults and limits. */
	r = req("GET", strf("%s/events", SA), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "page"), 1);
	ck_assert_int_eq(jint(r, "limit"), 20);
	ck_assert_msg(cJSON_GetArraySize(jitems(r)) <= 20, "default page over 20 items");
	resp_free(r);
	r = req("GET", strf("%s/events?limit=100", SA), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	{
		static const char *const bad[] = {"limit=101",   "limit=0", "limit=-1",
		                                  "limit=abc",   "page=0",  "page=x",
		                                  "active=maybe"};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char field[16];
			snprintf(field, sizeof(field), "%.*s", (int)strcspn(bad[i], "="), bad[i]);
			r = req("GET", strf("%s/events?%s", SA, bad[i]), NULL, super_tok());
			ASSERT_FIELD(r, field);
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(activate_deactivate_public)
{
	const char *code = uniq_code("pub");
	long long id = mk_event(code, false);
	resp_t *r;
	const char *st;

	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);

	r = req("POST", strf("%s/events/%lld/activate", SA, id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jbool(r, "event.is_active"), 1);
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "event.code"), code);
	ck_assert_str_eq(jstr(r, "event.title"), code);
	ck_assert_str_eq(jstr(r, "event.venue"), "Test Hall");
	ck_assert_str_eq(jstr(r, "event.address"), "1 Test-ro, Seoul");
	ck_assert_str_eq(jstr(r, "event.starts_on"), date_plus(-1));
	ck_assert_str_eq(jstr(r, "event.ends_on"), date_plus(60));
	ck_assert_str_eq(jstr(r, "event.open_hours"), "10:00-18:00");
	st = jstr(r, "event.sale_status");
	ck_assert_msg(st && (strcmp(st, "on_sale") == 0 || strcmp(st, "not_yet") == 0 ||
	                     strcmp(st, "closed") == 0 || strcmp(st, "sold_out") == 0),
	              "sale_status: %s", resp_snippet(r));
	ck_assert_msg(jbool(r, "event.queue.enabled") == 0, "queue.enabled: %s", resp_snippet(r));
	resp_free(r);

	/* Activating twice is fine. */
	r = req("POST", strf("%s/events/%lld/activate", SA, id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);

	r = req("POST", strf("%s/events/%lld/deactivate", SA, id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jbool(r, "event.is_active"), 0);
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices", code), NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);

	/* An event that ended is closed. */
	{
		const char *old = uniq_code("old");
		cJSON *o = cJSON_Parse(event_body(old, "Ended"));
		resp_t *c;
		long long oid;
		cJSON_ReplaceItemInObject(o, "starts_on", cJSON_CreateString(date_plus(-30)));
		cJSON_ReplaceItemInObject(o, "ends_on", cJSON_CreateString(date_plus(-3)));
		c = create(jbody(o));
		ASSERT_STATUS(c, 201);
		oid = jint(c, "event.id");
		resp_free(c);
		c = req("POST", strf("%s/events/%lld/activate", SA, oid), NULL, super_tok());
		ASSERT_STATUS(c, 200);
		resp_free(c);
		c = req("GET", strf("/fcgi/public/events/%s", old), NULL, NULL);
		ASSERT_STATUS(c, 200);
		ck_assert_str_eq(jstr(c, "event.sale_status"), "closed");
		resp_free(c);
	}
}
END_TEST

START_TEST(soft_delete)
{
	const char *code = uniq_code("del");
	long long id = mk_event(code, true);
	resp_t *r;

	r = req("DELETE", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ck_assert_msg(r->status == 200 || r->status == 204, "DELETE: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);

	r = req("GET", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "GET deleted: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld", id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "admin GET deleted: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s", code), NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
	r = req("PUT", strf("%s/events/%lld", SA, id), "{\"title\":\"zombie\"}", super_tok());
	ck_assert_msg(r->status == 404, "PUT deleted: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
	r = req("POST", strf("%s/events/%lld/activate", SA, id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "activate deleted: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
	r = req("DELETE", strf("%s/events/%lld", SA, id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "DELETE twice: %ld %s", r->status, resp_snippet(r));
	resp_free(r);

	/* Gone from the lists (super admin's and the admin family's). */
	r = req("GET", strf("%s/events?q=%s", SA, code), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 0);
	ck_assert_msg(jfind_id(jitems(r), "id", id) == NULL, "deleted event listed");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events?q=%s", code), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_id(jitems(r), "id", id) == NULL, "deleted event listed for admins");
	resp_free(r);

	/* The row stays (soft delete) and keeps its code taken. */
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM events WHERE id = $1 AND deleted_at IS NOT NULL",
	              strf("%lld", id)),
	    1);
	r = create(event_body(code, "reuse"));
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_new("events");

	tcase_add_test(tc, create_echo_defaults);
	tcase_add_test(tc, duplicate_code);
	tcase_add_test(tc, reserved_codes);
	tcase_add_test(tc, validation);
	tcase_add_test(tc, partial_update);
	tcase_add_test(tc, list_filters_paging);
	tcase_add_test(tc, activate_deactivate_public);
	tcase_add_test(tc, soft_delete);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("events", events_suite, true)
