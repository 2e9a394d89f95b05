/*
 * t_badinput.c — hostile and broken input on representative routes of
 * every family: malformed JSON, wrong media types, oversized bodies,
 * missing fields, non-object bodies, hostile path and query values. Every
 * answer is a 4xx with the envelope (never a 5xx, never a hang), nothing is
 * half-written, and the stack is healthy afterwards.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The POST routes under test, with who may call them. */
struct target {
	const char *name;
	const char *path;
	const char *token;
	const char *const *required; /* NULL-terminated */
};

static const char *const login_req[] = {"username", "password", NULL};
static const char *const event_req[] = {"code", "title", "starts_on", "ends_on", NULL};
static const char *const notice_req[] = {"title", NULL};
static const char *const admin_req[] = {"username", "password", NULL};

static size_t targets(struct target *t)
{
	const struct fixture *f = fx();
	static char notice_path[96]; /* outlives the ring */

	snprintf(notice_path, sizeof(notice_path), "/fcgi/admin/events/%lld/notices", f->ev_a);
	t[0] = (struct target){"login", "/fcgi/admin/login", NULL, login_req};
	t[1] = (struct target){"super-admin login", "/fcgi/super-admin/login", NULL, login_req};
	t[2] = (struct target){"entrance login", "/fcgi/entrance/login", NULL, login_req};
	t[3] = (struct target){"event create", "/fcgi/super-admin/events", super_tok(), event_req};
	t[4] = (struct target){"notice create", notice_path, fx_actor(3)->s->token, notice_req};
	t[5] = (struct target){"admin create", "/fcgi/super-admin/admins", super_tok(), admin_req};
	return 6;
}

static resp_t *post_ct(const struct target *t, const char *ct, const char *body, size_t len)
{
	struct rawreq rq = {0};
	rq.method = "POST";
	rq.target = t->path;
	rq.body = body;
	rq.body_len = len;
	rq.content_type = ct;
	rq.token = t->token;
	return req_raw(&rq);
}

/* A 4xx with the error envelope, bounded in time. */
static void assert_clean_4xx(const resp_t *r, const char *what)
{
	ck_assert_msg(r->status >= 400 && r->status < 500,
	              "%s: %s %.80s: want a 4xx, got %ld%s%s %s", what, r->method, r->path,
	              r->status, r->curl_error ? " curl: " : "", r->curl_error ? r->curl_error : "",
	              resp_snippet(r));
	ck_assert_msg(r->seconds < 5.0, "%s: %s %.80s took %.1f s", what, r->method, r->path,
	              r->seconds);
	ck_assert_msg(r->request_id != NULL, "%s: %.80s without X-Request-ID", what, r->path);
}

START_TEST(malformed_json)
{
	struct target t[8];
	size_t n = targets(t);
	static const char *const bad[] = {
	    "{\"username\":", "{'username':'x'}", "{\"a\":1}}", "nul",
	    "{\"a\":1,}",     "{\"a\" 1}",        "\x01\x02",   "{\"a\":\"unterminated}",
	    "{\"a\":NaN}",    "{\"a\":tru}",
	};
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			resp_t *r = post_ct(&t[i], "application/json", bad[j], strlen(bad[j]));
			ck_assert_msg(r->status == 400 && strcmp(err_code(r), "INVALID_JSON") == 0,
			              "%s with body %s: want 400 INVALID_JSON, got %ld %s",
			              t[i].name, bad[j], r->status, resp_snippet(r));
			resp_free(r);
		}
		{
			/* Nesting far deeper than any parser should recurse. */
			size_t depth = 30000;
			char *deep = str_repeat('[', depth);
			resp_t *r = post_ct(&t[i], "application/json", deep, depth);
			ck_assert_msg(r->status == 400 || r->status == 422,
			              "%s with %zu nested arrays: want 400/422, got %ld %s",
			              t[i].name, depth, r->status, resp_snippet(r));
			resp_free(r);
		}
		{
			/* Invalid UTF-8 inside a string. */
			static const char body[] =
			    "{\"username\":\"\xff\xfe\",\"title\":\"\xc3\x28\","
			    "\"code\":\"\xed\xa0\x80\",\"password\":\"x\"}";
			resp_t *r = post_ct(&t[i], "application/json", body, sizeof(body) - 1);
			ck_assert_msg(r->status == 400 || r->status == 422,
			              "%s with invalid UTF-8: want 400/422, got %ld %s", t[i].name,
			              r->status, resp_snippet(r));
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(wrong_content_type)
{
	struct target t[8];
	size_t n = targets(t);
	static const char *const types[] = {
	    "text/plain",
	    "application/x-www-form-urlencoded",
	    "multipart/form-data; boundary=x",
	    "application/jsonx",
	    "text/json",
	    "application/xml",
	    NULL /* none at all */,
	};
	const char *body = "{\"username\":\"someone\",\"password\":\"something-long\"}";

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			resp_t *r = post_ct(&t[i], types[j], body, strlen(body));
			ck_assert_msg(
			    r->status == 415 && strcmp(err_code(r), "UNSUPPORTED_MEDIA_TYPE") == 0,
			    "%s as %s: want 415 UNSUPPORTED_MEDIA_TYPE, got %ld %s", t[i].name,
			    types[j] ? types[j] : "(no Content-Type)", r->status, resp_snippet(r));
			resp_free(r);
		}
		{
			const char *form = "username=someone&password=something-long";
			resp_t *r = post_ct(&t[i], "application/x-www-form-urlencoded", form,
			                    strlen(form));
			ck_assert_msg(r->status == 415, "%s form body: %ld", t[i].name, r->status);
			resp_free(r);
		}
		{
			/* The JSON type with parameters and odd case is JSON. */
			resp_t *r = post_ct(&t[i], "Application/JSON; charset=utf-8", "{}", 2);
			ck_assert_msg(
			    r->status == 422,
			    "%s as Application/JSON; charset=utf-8 {}: want 422, got %ld %s",
			    t[i].name, r->status, resp_snippet(r));
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(too_large)
{
	struct target t[8];
	size_t n = targets(t);
	size_t big = 64 * 1024 + 1;
	char *body = malloc(big + 1);
	char *huge = malloc(2 * 1024 * 1024 + 1);

	ck_assert(body && huge);
	/* Valid JSON, just too long. */
	memset(body, 'x', big);
	memcpy(body, "{\"title\":\"", 10);
	memcpy(body + big - 2, "\"}", 2);
	body[big] = '\0';
	memset(huge, ' ', 2 * 1024 * 1024);
	huge[0] = '{';
	huge[2 * 1024 * 1024 - 1] = '}';
	huge[2 * 1024 * 1024] = '\0';

	for (size_t i = 0; i < n; i++) {
		resp_t *r = post_ct(&t[i], "application/json", body, big);
		ck_assert_msg(r->status == 413 && strcmp(err_code(r), "TOO_LARGE") == 0,
		              "%s with %zu bytes: want 413 TOO_LARGE, got %ld %s", t[i].name, big,
		              r->status, resp_snippet(r));
		resp_free(r);
		r = post_ct(&t[i], "application/json", huge, strlen(huge));
		ck_assert_msg(r->status == 413 && strcmp(err_code(r), "TOO_LARGE") == 0,
		              "%s with 2 MiB: want 413 TOO_LARGE, got %ld %s", t[i].name, r->status,
		              resp_snippet(r));
		resp_free(r);
	}
	/* Exactly 64 KiB is allowed in (and then refused by validation). */
	body[big - 3] = '"';
	body[big - 2] = '}';
	body[big - 1] = '\0';
	{
		resp_t *r = post_ct(&t[3], "application/json", body, big - 1);
		ck_assert_msg(r->status == 422,
		              "event create with exactly 64 KiB: want 422, got %ld %s", r->status,
		              resp_snippet(r));
		resp_free(r);
	}
	free(body);
	free(huge);
}
END_TEST

START_TEST(missing_fields)
{
	struct target t[8];
	size_t n = targets(t);

	for (size_t i = 0; i < n; i++) {
		resp_t *r = post_ct(&t[i], "application/json", "{}", 2);
		for (const char *const *f = t[i].required; *f; f++)
			ck_assert_msg(r->status == 422 && strcmp(err_code(r), "VALIDATION") == 0 &&
			                  err_field(r, *f),
			              "%s {}: want 422 VALIDATION naming %s, got %ld %s", t[i].name,
			              *f, r->status, resp_snippet(r));
		resp_free(r);
		/* Wrong types are named too. */
		r = post_ct(&t[i], "application/json",
		            "{\"username\":1,\"password\":[],\"title\":{},\"code\":true}",
		            strlen("{\"username\":1,\"password\":[],\"title\":{},\"code\":true}"));
		for (const char *const *f = t[i].required; *f; f++)
			ASSERT_FIELD(r, *f);
		resp_free(r);
	}
}
END_TEST

START_TEST(not_an_object)
{
	struct target t[8];
	size_t n = targets(t);
	static const char *const bodies[] = {
	    "[]", "[{\"username\":\"x\",\"password\":\"y\"}]", "\"string\"", "42", "null", "true"};
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++) {
			resp_t *r = post_ct(&t[i], "application/json", bodies[j],
			                    strlen(bodies[j]));
			ck_assert_msg((r->status == 400 || r->status == 422) && *err_code(r),
			              "%s with body %s: want 400/422 with a code, got %ld %s",
			              t[i].name, bodies[j], r->status, resp_snippet(r));
			resp_free(r);
		}
	}
}
END_TEST

/* Hostile values, ready for a request target (already percent-encoded
 * where the HTTP request line needs it, raw where it is the point). */
static const char *const hostile[] = {
    /* the first N_INJECTIONS are texts no test data contains */
    "%22quoted%22",
    "'",
    "%27%20OR%201%3D1--",
    "1%27%20OR%20%271%27%3D%271",
    "1;DROP%20TABLE%20events",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%25%27%20OR%20%27%25%27%3D%27",
    "%00",
    "a%00b",
    "%C3%28",
    "%FF",
    "%ED%A0%80",
    "..",
    "../",
    "..%2F..%2Fhealth",
    "%2e%2e",
    "%",
    "%zz",
    "99999999999999999999",
    "-1",
    "0",
    "1.5",
    "1e3",
    "0x10",
    "%F0%9F%8E%AB",
    "%0d%0aX-Injected:%201",
};
#define N_INJECTIONS 7

START_TEST(hostile_paths)
{
	const struct fixture *f = fx();
	char longv[10 * 1024 + 1], notice_of_a[96], put_notice_of_a[96];
	const struct {
		const char *method, *fmt, *token, *body;
	} routes[] = {
	    {"GET", "/fcgi/public/events/%s", NULL, NULL},
	    {"GET", "/fcgi/public/events/%s/notices", NULL, NULL},
	    {"GET", notice_of_a, NULL, NULL},
	    {"GET", "/fcgi/super-admin/events/%s", super_tok(), NULL},
	    {"PUT", "/fcgi/super-admin/events/%s", super_tok(), "{\"hold_seconds\":0}"},
	    {"GET", "/fcgi/super-admin/admins/%s", super_tok(), NULL},
	    {"GET", "/fcgi/admin/events/%s", super_tok(), NULL},
	    {"GET", "/fcgi/admin/events/%s/notices", super_tok(), NULL},
	    {"PUT", put_notice_of_a, fx_actor(3)->s->token, "{\"title\":\"\"}"},
	    {"GET", "/fcgi/payment/%s", NULL, NULL},
	    {"GET", "/fcgi/entrance/%s", NULL, NULL},
	};

	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(notice_of_a, sizeof(notice_of_a), "/fcgi/public/events/%s/notices/%%s", f->code_a);
	snprintf(put_notice_of_a, sizeof(put_notice_of_a), "/fcgi/admin/events/%lld/notices/%%s",
	         f->ev_a);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		for (size_t j = 0; j <= sizeof(hostile) / sizeof(hostile[0]); j++) {
			const char *v = j < sizeof(hostile) / sizeof(hostile[0]) ? hostile[j]
			                                                         : longv;
			const char *target = strf(routes[i].fmt, v);
			resp_t *r = req(routes[i].method, target, routes[i].body, routes[i].token);
			assert_clean_4xx(r, strf("path value %.40s", v));
			ck_assert_msg(resp_header(r, "X-Injected") == NULL,
			              "header injected via the path");
			resp_free(r);
		}
	}
	{
		/* Raw bytes and spaces straight in the request line. */
		static const char *const raw[] = {
		    "/fcgi/public/events/' OR 1=1--",    "/fcgi/public/events/\xff\xfe",
		    "/fcgi/public/events/a\"b",          "/fcgi/public/events/..\\..\\x",
		    "/fcgi/public/../../etc/passwd",     "/fcgi/public/events/%",
		    "/fcgi/admin/../super-admin/events",
		};
		for (size_t j = 0; j < sizeof(raw) / sizeof(raw[0]); j++) {
			resp_t *r = req("GET", raw[j], NULL, super_tok());
			assert_clean_4xx(r, "raw path");
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(hostile_queries)
{
	const struct fixture *f = fx();
	char longv[10 * 1024 + 1], notices_page[96], admin_notices_limit[96];
	/* Numeric and date parameters: every hostile value is refused. */
	const struct {
		const char *path_fmt, *token;
	} numeric[] = {
	    {"/fcgi/super-admin/events?limit=%s", super_tok()},
	    {"/fcgi/super-admin/events?page=%s", super_tok()},
	    {"/fcgi/super-admin/events?active=%s", super_tok()},
	    {"/fcgi/super-admin/admins?limit=%s", super_tok()},
	    {"/fcgi/super-admin/activity?admin_id=%s", super_tok()},
	    {"/fcgi/super-admin/activity?event_id=%s", super_tok()},
	    {"/fcgi/super-admin/activity?from=%s", super_tok()},
	    {notices_page, NULL},
	    {admin_notices_limit, fx_actor(1)->s->token},
	};
	/* Free-text parameters: searched for literally (200, nothing found) or
	 * refused (400/422), never interpreted. */
	const struct {
		const char *path_fmt, *token;
	} text[] = {
	    {"/fcgi/super-admin/events?q=%s", super_tok()},
	    {"/fcgi/super-admin/admins?q=%s", super_tok()},
	    {"/fcgi/super-admin/activity?action=%s", super_tok()},
	    {"/fcgi/admin/events?q=%s", fx_actor(3)->s->token},
	};

	memset(longv, 'q', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(notices_page, sizeof(notices_page), "/fcgi/public/events/%s/notices?page=%%s",
	         f->code_a);
	snprintf(admin_notices_limit, sizeof(admin_notices_limit),
	         "/fcgi/admin/events/%lld/notices?limit=%%s", f->ev_a);

	for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
		for (size_t j = 0; j <= sizeof(hostile) / sizeof(hostile[0]); j++) {
			const char *v = j < sizeof(hostile) / sizeof(hostile[0]) ? hostile[j]
			                                                         : longv;
			/* A boolean filter may well read "0" as false. */
			if (strcmp(v, "0") == 0 && strstr(numeric[i].path_fmt, "active="))
				continue;
			{
				resp_t *r = req("GET", strf(numeric[i].path_fmt, v), NULL,
				                numeric[i].token);
				assert_clean_4xx(r, strf("query value %.40s", v));
				resp_free(r);
			}
		}
	}
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		for (size_t j = 0; j <= sizeof(hostile) / sizeof(hostile[0]); j++) {
			const char *v = j < sizeof(hostile) / sizeof(hostile[0]) ? hostile[j]
			                                                         : longv;
			resp_t *r = req("GET", strf(text[i].path_fmt, v), NULL, text[i].token);
			/* Texts no test data contains must find nothing: an injection
			 * that widened the search would list rows. */
			bool never_matches = j < N_INJECTIONS;
			ck_assert_msg(
			    (r->status == 200 && (!never_matches || jint(r, "total") == 0)) ||
			        (r->status >= 400 && r->status < 500),
			    "%.80s: want 200%s or a 4xx; got %ld total %lld %s", r->path,
			    never_matches ? " with nothing found" : "", r->status, jint(r, "total"),
			    resp_snippet(r));
			ck_assert_msg(r->seconds < 5.0, "%.80s took %.1f s", r->path, r->seconds);
			resp_free(r);
		}
	}
	{
		/* Too many parameters, a query over the limit. */
		char *many = strf("%s", "");
		resp_t *r;
		for (int i = 0; i < 100; i++)
			many = strf("%s%sp%d=1", many, i ? "&" : "", i);
		r = req("GET", strf("/fcgi/super-admin/events?%s", many), NULL, super_tok());
		assert_clean_4xx(r, "100 query parameters");
		resp_free(r);
		r = req("GET", strf("/fcgi/public/health?x=%s", longv), NULL, NULL);
		assert_clean_4xx(r, "10 KB query on health");
		resp_free(r);
	}
}
END_TEST

START_TEST(hostile_headers)
{
	const char *big = str_repeat('h', 9000);
	const char *hdrs[] = {
	    strf("Authorization: Bearer %s", big),
	    strf("Cookie: tk_session=%s", big),
	    strf("X-CSRF-Token: %s", big),
	    strf("Accept-Language: %s", big),
	};
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		resp_t *r = req("GET", "/fcgi/admin/me", NULL, NULL, hdrs[i]);
		assert_clean_4xx(r, strf("header %.20s", hdrs[i]));
		resp_free(r);
	}
}
END_TEST

START_TEST(nothing_half_written)
{
	const struct fixture *f = fx();
	const char *code = uniq_code("half");
	const char *user = uniq_user("half");
	char *ten_kb = str_repeat('T', 10 * 1024);
	resp_t *r;

	r = req("POST", "/fcgi/super-admin/events", event_body(code, ten_kb), super_tok());
	ASSERT_FIELD(r, "title");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM events WHERE code = $1", code), 0);

	r = req("POST", "/fcgi/super-admin/admins",
	        strf("{\"username\":\"%s\",\"password\":\"long-enough-1\",\"name\":\"%s\"}", user,
	             ten_kb),
	        super_tok());
	ASSERT_FIELD(r, "name");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM admins WHERE username = $1", user), 0);

	/* An admin with an assignment to no event: either the extra member is
	 * ignored (201) or the whole creation is refused, admin row included. */
	r = req("POST", "/fcgi/super-admin/admins",
	        strf("{\"username\":\"%s\",\"password\":\"long-enough-1\",\"name\":\"x\","
	             "\"events\":[{\"event_id\":99999999,\"level\":1}]}",
	             user),
	        super_tok());
	ck_assert_msg(r->status == 201 || r->status == 422, "admin with a bad assignment: %ld %s",
	              r->status, resp_snippet(r));
	if (r->status == 422)
		ck_assert_int_eq(tdb_count("SELECT count(*) FROM admins WHERE username = $1", user),
		                 0);
	resp_free(r);

	r = req("POST", strf("/fcgi/admin/events/%lld/notices", f->ev_a),
	        strf("{\"title\":\"%s\",\"body\":\"%s\"}", ten_kb, code), fx_actor(3)->s->token);
	ASSERT_FIELD(r, "title");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM notices WHERE body = $1", code), 0);

	/* A partial update with one bad member changes none of them. */
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", f->ev_b),
	        strf("{\"venue\":\"%s\",\"title\":\"%s\"}", code, ten_kb), super_tok());
	ASSERT_FIELD(r, "title");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM events WHERE id = $1 AND venue = $2",
	                           strf("%lld", f->ev_b), code),
	                 0);
}
END_TEST

/* Last in the case: after all of the above, every family is healthy. */
START_TEST(still_healthy)
{
	static const char *const families[] = {"public", "payment", "admin", "super-admin",
	                                       "entrance"};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		resp_t *r = req("GET", strf("/fcgi/%s/health", families[i]), NULL, NULL);
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "status"), "ok");
		resp_free(r);
	}
	{
		/* And still answering real requests. */
		resp_t *r = req("GET", "/fcgi/admin/me", NULL, fx_actor(1)->s->token);
		ASSERT_STATUS(r, 200);
		resp_free(r);
	}
}
END_TEST

static Suite *badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc = tcase_new("badinput");

	tcase_add_test(tc, malformed_json);
	tcase_add_test(tc, wrong_content_type);
	tcase_add_test(tc, too_large);
	tcase_add_test(tc, missing_fields);
	tcase_add_test(tc, not_an_object);
	tcase_add_test(tc, hostile_paths);
	tcase_add_test(tc, hostile_queries);
	tcase_add_test(tc, hostile_headers);
	tcase_add_test(tc, nothing_half_written);
	tcase_add_test(tc, still_healthy);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("badinput", badinput_suite, true)
