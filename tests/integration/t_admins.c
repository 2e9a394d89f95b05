/*
 * t_admins.c — admin accounts through the super-admin API: create, get,
 * update, list, username and password rules, duplicates, event
 * assignments as the admin family sees them, delete.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

#define PW "admin-pass-0001"

static resp_t *create(const char *username, const char *password, const char *extra)
{
	return req("POST", "/fcgi/super-admin/admins",
	           strf("{\"username\":\"%s\",\"password\":\"%s\",\"name\":\"Kim Test\"%s%s}",
	                username, password, extra ? "," : "", extra ? extra : ""),
	           super_tok());
}

static void assert_no_secret(const resp_t *r, const char *password)
{
	ck_assert_msg(strstr(r->body, "password_hash") == NULL &&
	                  strstr(r->body, "\"password\"") == NULL,
	              "%s %s leaks a password field: %s", r->method, r->path, resp_snippet(r));
	ck_assert_msg(strstr(r->body, password) == NULL, "%s %s echoes the password", r->method,
	              r->path);
	ck_assert_msg(strstr(r->body, "$y$") == NULL && strstr(r->body, "$6$") == NULL,
	              "%s %s leaks a hash", r->method, r->path);
}

START_TEST(create_get_update_list)
{
	const char *u = uniq_user("crud");
	resp_t *r = create(u, PW, "\"phone\":\"010-1234-5678\",\"email\":\"kim@example.kr\"");
	long long id;

	ASSERT_STATUS(r, 201);
	id = jint(r, "admin.id");
	ck_assert_msg(id > 0, "no admin.id: %s", resp_snippet(r));
	ck_assert_str_eq(jstr(r, "admin.username"), u);
	ck_assert_str_eq(jstr(r, "admin.name"), "Kim Test");
	ck_assert_str_eq(jstr(r, "admin.email"), "kim@example.kr");
	ck_assert_msg(jstr(r, "admin.phone") && strstr(jstr(r, "admin.phone"), "1234"), "phone: %s",
	              resp_snippet(r));
	ck_assert_int_eq(jbool(r, "admin.is_active"), 1);
	assert_no_secret(r, PW);
	resp_free(r);

	r = req("GET", strf("/fcgi/super-admin/admins/%lld", id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "admin.id"), id);
	ck_assert_str_eq(jstr(r, "admin.username"), u);
	assert_no_secret(r, PW);
	resp_free(r);

	r = req("PUT", strf("/fcgi/super-admin/admins/%lld", id), "{\"name\":\"Lee Renamed\"}",
	        super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "admin.name"), "Lee Renamed");
	ck_assert_str_eq(jstr(r, "admin.username"), u);
	ck_assert_str_eq(jstr(r, "admin.email"), "kim@example.kr");
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/admins/%lld", id), "{\"email\":\"not-an-email\"}",
	        super_tok());
	ASSERT_FIELD(r, "email");
	resp_free(r);

	r = req("GET", strf("/fcgi/super-admin/admins?q=%s", u), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 1);
	ck_assert_msg(jfind_id(jitems(r), "id", id) != NULL, "list q=%s: %s", u, resp_snippet(r));
	assert_no_secret(r, PW);
	resp_free(r);
	r = req("GET", "/fcgi/super-admin/admins?limit=101", NULL, super_tok());
	ASSERT_FIELD(r, "limit");
	resp_free(r);

	r = req("GET", "/fcgi/super-admin/admins/99999999", NULL, super_tok());
	ck_assert_msg(r->status == 404, "unknown admin: %ld", r->status);
	resp_free(r);

	/* The account works. */
	{
		struct sess *s = login_ok("admin", u, PW);
		sess_free(s);
	}
}
END_TEST

START_TEST(username_rules)
{
	static const char *const bad[] = {
	    "\"ab\"",
	    "\"Upper.case\"",
	    "\"has space\"",
	    "\"bad!char\"",
	    "\"semi;colon\"",
	    "\"dash-ed\"",
	    "\"한글이름\"",
	    "\"\"",
	    "123",
	    "null",
	    "\"abcdefghijklmnopqrstuvwxyz0123456\"" /* 33 */,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		resp_t *r = req(
		    "POST", "/fcgi/super-admin/admins",
		    strf("{\"username\":%s,\"password\":\"%s\",\"name\":\"x\"}", bad[i], PW),
		    super_tok());
		ck_assert_msg(r->status == 422 && strcmp(err_code(r), "VALIDATION") == 0 &&
		                  err_field(r, "username"),
		              "username %s: want 422 naming username, got %ld %s", bad[i],
		              r->status, resp_snippet(r));
		resp_free(r);
	}
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM admins WHERE username IN ('Upper.case',"
	                           " 'has space', 'bad!char', 'dash-ed')"),
	                 0);

	/* The edges that are fine: 3 and 32 characters of a-z 0-9 _ . */
	{
		char u32[33];
		const char *base = uniq_user("edge");
		resp_t *r;
		snprintf(u32, sizeof(u32), "%s..............................", base);
		u32[32] = '\0';
		r = create(u32, PW, NULL);
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}
}
END_TEST

START_TEST(password_rules)
{
	resp_t *r;
	const char *u = uniq_user("pw");

	r = create(u, "123456789", NULL); /* 9 */
	ASSERT_FIELD(r, "password");
	resp_free(r);
	r = create(u, "", NULL);
	ASSERT_FIELD(r, "password");
	resp_free(r);
	r = req("POST", "/fcgi/super-admin/admins", strf("{\"username\":\"%s\",\"name\":\"x\"}", u),
	        super_tok());
	ASSERT_FIELD(r, "password");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM admins WHERE username = $1", u), 0);

	r = create(u, "1234567890", NULL); /* 10 */
	ASSERT_STATUS(r, 201);
	resp_free(r);
	{
		struct sess *s = login_ok("admin", u, "1234567890");
		sess_free(s);
	}
}
END_TEST

START_TEST(duplicate_username)
{
	const char *u = uniq_user("dup");
	resp_t *r;

	mk_admin(u, PW);
	r = create(u, "another-password-1", NULL);
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM admins WHERE username = $1", u), 1);
	/* The first account still has its own password. */
	{
		struct sess *s = login_ok("admin", u, PW);
		sess_free(s);
	}
}
END_TEST

/* The events GET /fcgi/admin/events shows to token: count, and the level of
 * ev (0 when absent). */
static int my_events(const char *token, long long ev, int *level)
{
	resp_t *r = req("GET", "/fcgi/admin/events?limit=100", NULL, token);
	const cJSON *items, *e;
	int n;

	ASSERT_STATUS(r, 200);
	items = jitems(r);
	ck_assert_msg(cJSON_IsArray(items), "GET /fcgi/admin/events: no list: %s", resp_snippet(r));
	n = cJSON_GetArraySize(items);
	e = jfind_id(items, "id", ev);
	*level = e ? (int)jnum(e, "level") : 0;
	resp_free(r);
	return n;
}

START_TEST(assignments)
{
	const struct fixture *f = fx();
	const char *u = uniq_user("asg");
	long long id = mk_admin(u, PW);
	struct sess *s = login_ok("admin", u, PW);
	int level;
	resp_t *r;

	/* None yet. */
	ck_assert_int_eq(my_events(s->token, f->ev_a, &level), 0);

	r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", id),
	        strf("[{\"event_id\":%lld,\"level\":3},{\"event_id\":%lld,\"level\":1}]", f->ev_a,
	             f->ev_b),
	        super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	ck_assert_int_eq(my_events(s->token, f->ev_a, &level), 2);
	ck_assert_int_eq(level, 3);
	my_events(s->token, f->ev_b, &level);
	ck_assert_int_eq(level, 1);
	r = req("GET", "/fcgi/admin/me", NULL, s->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "admin.events")), 2);
	resp_free(r);

	/* Replaced, not merged. */
	set_events(id, 1, f->ev_a, 2);
	ck_assert_int_eq(my_events(s->token, f->ev_a, &level), 1);
	ck_assert_int_eq(level, 2);
	r = req("GET", strf("/fcgi/admin/events/%lld", f->ev_b), NULL, s->token);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	r = req("GET", strf("/fcgi/super-admin/admins/%lld", id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "admin.events")), 1);
	resp_free(r);

	/* Bad assignments change nothing. */
	{
		const char *bad[] = {
		    strf("[{\"event_id\":%lld,\"level\":0}]", f->ev_a),
		    strf("[{\"event_id\":%lld,\"level\":10}]", f->ev_a),
		    strf("[{\"event_id\":%lld,\"level\":\"3\"}]", f->ev_a),
		    strf("[{\"event_id\":%lld}]", f->ev_a),
		    "[{\"event_id\":99999999,\"level\":1}]",
		    "[{\"event_id\":-1,\"level\":1}]",
		    /* one good, one bad: nothing half-replaced */
		    strf("[{\"event_id\":%lld,\"level\":1},{\"event_id\":99999999,\"level\":1}]",
		         f->ev_b),
		    strf("[{\"event_id\":%lld,\"level\":1},{\"event_id\":%lld,\"level\":2}]",
		         f->ev_a, f->ev_a),
		    strf("{\"event_id\":%lld,\"level\":3}", f->ev_a),
		    "[1,2]",
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", id), bad[i],
			        super_tok());
			ck_assert_msg(r->status == 422 || (r->status == 400 && i >= 8),
			              "PUT events %s: want 422, got %ld %s", bad[i], r->status,
			              resp_snippet(r));
			resp_free(r);
		}
	}
	ck_assert_int_eq(my_events(s->token, f->ev_a, &level), 1);
	ck_assert_int_eq(level, 2);

	/* Emptied. */
	set_events(id, 0);
	ck_assert_int_eq(my_events(s->token, f->ev_a, &level), 0);
	r = req("GET", strf("/fcgi/admin/events/%lld", f->ev_a), NULL, s->token);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	sess_free(s);

	/* The fixture viewer sees exactly event A. */
	ck_assert_int_eq(my_events(fx_actor(1)->s->token, f->ev_a, &level), 1);
	ck_assert_int_eq(level, 1);
}
END_TEST

START_TEST(delete_admin)
{
	const char *u = uniq_user("del");
	long long id = mk_admin(u, PW);
	struct sess *s = login_ok("admin", u, PW);
	resp_t *r;

	r = req("DELETE", strf("/fcgi/super-admin/admins/%lld", id), NULL, super_tok());
	ck_assert_msg(r->status == 200 || r->status == 204, "DELETE admin: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", strf("/fcgi/super-admin/admins/%lld", id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "GET deleted admin: %ld %s", r->status, resp_snippet(r));
	resp_free(r);
	r = req("GET", "/fcgi/admin/me", NULL, s->token);
	ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
	resp_free(r);
	r = login_resp("admin", u, PW);
	ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
	resp_free(r);
	r = req("GET", strf("/fcgi/super-admin/admins?q=%s", u), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_id(jitems(r), "id", id) == NULL, "deleted admin still listed");
	resp_free(r);
	r = req("PUT", strf("/fcgi/super-admin/admins/%lld", id), "{\"is_active\":true}",
	        super_tok());
	ck_assert_msg(r->status == 404, "reactivating a deleted admin: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("DELETE", strf("/fcgi/super-admin/admins/%lld", id), NULL, super_tok());
	ck_assert_msg(r->status == 404, "DELETE twice: %ld", r->status);
	resp_free(r);
	sess_free(s);
}
END_TEST

static Suite *admins_suite(void)
{
	Suite *s = suite_create("admins");
	TCase *tc = tcase_new("admins");

	tcase_add_test(tc, create_get_update_list);
	tcase_add_test(tc, username_rules);
	tcase_add_test(tc, password_rules);
	tcase_add_test(tc, duplicate_username);
	tcase_add_test(tc, assignments);
	tcase_add_test(tc, delete_admin);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("admins", admins_suite, true)
