/*
 * t_notices.c — an exhibition's notices: a manager's CRUD, who may not,
 * other events' notices out of reach, the public list and detail, and
 * deleted notices gone everywhere.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <string.h>

static const char *npath(long long ev, long long nid)
{
	return nid ? strf("/fcgi/admin/events/%lld/notices/%lld", ev, nid)
	           : strf("/fcgi/admin/events/%lld/notices", ev);
}

START_TEST(manager_crud_and_public)
{
	const struct fixture *f = fx();
	const char *tok = fx_actor(3)->s->token;
	const char *title = strf("Opening hours %s", fx_run());
	resp_t *r;
	long long nid;

	r = req("POST", npath(f->ev_a, 0),
	        strf("{\"title\":\"%s\",\"body\":\"월요일 휴관\",\"pinned\":true}", title), tok);
	ASSERT_STATUS(r, 201);
	nid = jint(r, "notice.id");
	ck_assert_msg(nid > 0, "no notice.id: %s", resp_snippet(r));
	ck_assert_str_eq(jstr(r, "notice.title"), title);
	ck_assert_str_eq(jstr(r, "notice.body"), "월요일 휴관");
	ck_assert_int_eq(jbool(r, "notice.pinned"), 1);
	resp_free(r);

	r = req("GET", npath(f->ev_a, 0), NULL, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_id(jitems(r), "id", nid) != NULL, "new notice not listed: %s",
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", npath(f->ev_a, nid), NULL, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "notice.id"), nid);
	resp_free(r);

	r = req("PUT", npath(f->ev_a, nid), "{\"title\":\"Updated title\",\"pinned\":false}", tok);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "notice.title"), "Updated title");
	ck_assert_str_eq(jstr(r, "notice.body"), "월요일 휴관");
	ck_assert_int_eq(jbool(r, "notice.pinned"), 0);
	resp_free(r);

	/* The public sees it on the event's page. */
	r = req("GET", strf("/fcgi/public/events/%s/notices", f->code_a), NULL, NULL);
	ASSERT_STATUS(r, 200);
	{
		const cJSON *n = jfind_id(jitems(r), "id", nid);
		ck_assert_msg(n != NULL, "public list misses notice %lld: %s", nid,
		              resp_snippet(r));
		ck_assert_str_eq(jtext(n, "title"), "Updated title");
	}
	ck_assert_msg(jint(r, "total") >= 1 && jint(r, "page") == 1, "list envelope: %s",
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices/%lld", f->code_a, nid), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "notice.title"), "Updated title");
	ck_assert_str_eq(jstr(r, "notice.body"), "월요일 휴관");
	resp_free(r);
	/* Not under another event's code. */
	r = req("GET", strf("/fcgi/public/events/%s/notices/%lld", f->code_b, nid), NULL, NULL);
	ck_assert_msg(r->status == 404, "notice of A under B's code: %ld", r->status);
	resp_free(r);

	r = req("DELETE", npath(f->ev_a, nid), NULL, tok);
	ck_assert_msg(r->status == 200 || r->status == 204, "DELETE: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", npath(f->ev_a, nid), NULL, tok);
	ck_assert_msg(r->status == 404, "GET deleted: %ld", r->status);
	resp_free(r);
	r = req("PUT", npath(f->ev_a, nid), "{\"title\":\"zombie\"}", tok);
	ck_assert_msg(r->status == 404, "PUT deleted: %ld", r->status);
	resp_free(r);
	r = req("DELETE", npath(f->ev_a, nid), NULL, tok);
	ck_assert_msg(r->status == 404, "DELETE twice: %ld", r->status);
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices/%lld", f->code_a, nid), NULL, NULL);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices?limit=100", f->code_a), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_id(jitems(r), "id", nid) == NULL, "deleted notice still public");
	resp_free(r);
	r = req("GET", npath(f->ev_a, 0), NULL, tok);
	ck_assert_msg(jfind_id(jitems(r), "id", nid) == NULL, "deleted notice still listed");
	resp_free(r);
}
END_TEST

START_TEST(who_may_not)
{
	const struct fixture *f = fx();
	const char *mgr = fx_actor(3)->s->token;
	resp_t *r;
	long long nid_b, nid_a;

	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"viewer\"}", fx_actor(1)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"staff\"}", fx_actor(2)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
	r = req("POST", npath(f->ev_b, 0), "{\"title\":\"other event\"}", mgr);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	r = req("GET", npath(f->ev_b, 0), NULL, mgr);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);

	/* A notice of event B, by the super admin. */
	r = req("POST", npath(f->ev_b, 0), "{\"title\":\"B only\"}", super_tok());
	ASSERT_STATUS(r, 201);
	nid_b = jint(r, "notice.id");
	resp_free(r);
	r = req("PUT", npath(f->ev_b, nid_b), "{\"title\":\"hijacked\"}", mgr);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	r = req("DELETE", npath(f->ev_b, nid_b), NULL, mgr);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	/* Through event A's path: no such notice there. */
	r = req("GET", npath(f->ev_a, nid_b), NULL, mgr);
	ck_assert_msg(r->status == 404, "B's notice via A's path: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("PUT", npath(f->ev_a, nid_b), "{\"title\":\"hijacked\"}", mgr);
	ck_assert_msg(r->status == 404, "PUT B's notice via A's path: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("DELETE", npath(f->ev_a, nid_b), NULL, mgr);
	ck_assert_msg(r->status == 404, "DELETE B's notice via A's path: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);
	r = req("GET", npath(f->ev_b, nid_b), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "notice.title"), "B only");
	resp_free(r);

	/* Viewer and staff cannot change a notice of their own event either. */
	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"keep\"}", mgr);
	ASSERT_STATUS(r, 201);
	nid_a = jint(r, "notice.id");
	resp_free(r);
	for (int level = 1; level <= 2; level++) {
		r = req("PUT", npath(f->ev_a, nid_a), "{\"title\":\"changed\"}",
		        fx_actor(level)->s->token);
		ASSERT_ERROR(r, 403, "FORBIDDEN");
		resp_free(r);
		r = req("DELETE", npath(f->ev_a, nid_a), NULL, fx_actor(level)->s->token);
		ASSERT_ERROR(r, 403, "FORBIDDEN");
		resp_free(r);
	}
	r = req("GET", npath(f->ev_a, nid_a), NULL, mgr);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "notice.title"), "keep");
	resp_free(r);

	/* No token at all. */
	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"anon\"}", NULL);
	ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
	resp_free(r);
}
END_TEST

START_TEST(validation)
{
	const struct fixture *f = fx();
	const char *mgr = fx_actor(3)->s->token;
	const char *marker = strf("nv%s", fx_run());
	static const struct {
		const char *body_fmt, *field;
	} bad[] = {
	    {"{\"body\":\"%s\"}", "title"},
	    {"{\"title\":\"\",\"body\":\"%s\"}", "title"},
	    {"{\"title\":\"   \",\"body\":\"%s\"}", "title"},
	    {"{\"title\":null,\"body\":\"%s\"}", "title"},
	    {"{\"title\":42,\"body\":\"%s\"}", "title"},
	    {"{\"title\":\"t\",\"pinned\":\"yes\",\"body\":\"%s\"}", "pinned"},
	    {"{\"title\":\"t\",\"body\":[\"%s\"]}", "body"},
	};
	resp_t *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = req("POST", npath(f->ev_a, 0), strf(bad[i].body_fmt, marker), mgr);
		ASSERT_FIELD(r, bad[i].field);
		resp_free(r);
	}
	r = req("POST", npath(f->ev_a, 0),
	        strf("{\"title\":\"%s\",\"body\":\"%s\"}", str_repeat('x', 201), marker), mgr);
	ASSERT_FIELD(r, "title");
	resp_free(r);
	r = req("POST", npath(f->ev_a, 0),
	        strf("{\"title\":\"%s\",\"body\":\"%s\"}", marker, str_repeat('y', 20001)), mgr);
	ASSERT_FIELD(r, "body");
	resp_free(r);
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM notices WHERE body = $1 OR title = $1", marker), 0);

	/* 200 characters of Korean is fine (characters, not bytes). */
	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"가나다라마바사아자차\"}", mgr);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	{
		char title[601 * 3];
		title[0] = '\0';
		for (int i = 0; i < 200; i++)
			strcat(title, "한");
		r = req("POST", npath(f->ev_a, 0), strf("{\"title\":\"%s\"}", title), mgr);
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}

	/* An empty update changes nothing; a bad one is refused. */
	r = req("POST", npath(f->ev_a, 0), "{\"title\":\"stable\",\"body\":\"b\"}", mgr);
	ASSERT_STATUS(r, 201);
	{
		long long nid = jint(r, "notice.id");
		resp_free(r);
		r = req("PUT", npath(f->ev_a, nid), "{}", mgr);
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "notice.title"), "stable");
		resp_free(r);
		r = req("PUT", npath(f->ev_a, nid), "{\"title\":\"\"}", mgr);
		ASSERT_FIELD(r, "title");
		resp_free(r);
	}

	/* Public routes of unknown events and ids. */
	r = req("GET", "/fcgi/public/events/nosuchevent99/notices", NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices/abc", f->code_a), NULL, NULL);
	ck_assert_msg(r->status == 404, "notice id abc: %ld", r->status);
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices/99999999", f->code_a), NULL, NULL);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/notices?limit=101", f->code_a), NULL, NULL);
	ASSERT_FIELD(r, "limit");
	resp_free(r);
}
END_TEST

static Suite *notices_suite(void)
{
	Suite *s = suite_create("notices");
	TCase *tc = tcase_new("notices");

	tcase_add_test(tc, manager_crud_and_public);
	tcase_add_test(tc, who_may_not);
	tcase_add_test(tc, validation);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("notices", notices_suite, true)
