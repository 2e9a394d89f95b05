/*
 * t_auth.c — sign-in: the three login families, bad credentials, lockout
 * and unlock, one account system across families, logout, password reset
 * and deactivation revoking tokens, cookie + CSRF, forged tokens, language.
 *
 * Tests that change an account (wrong passwords, logout, reset, deactivate)
 * make their own admin; the fixture accounts are only logged into.
 */
#include "auth.h"
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PW "correct-horse-1"

#define USER_MAX 64

/* A new admin with password PW, at `level` on event A (0: none); its name
 * goes to username (USER_MAX bytes). */
static long long new_admin(const char *tag, int level, char *username)
{
	long long id;

	snprintf(username, USER_MAX, "%s", uniq_user(tag));
	id = mk_admin(username, PW);
	if (level > 0)
		set_events(id, 1, fx()->ev_a, level);
	return id;
}

static void assert_me(const char *family, const char *token, long long want_id)
{
	resp_t *r = req("GET", strf("/fcgi/%s/me", family), NULL, token);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jint(r, "admin.id") == want_id, "GET %s: admin.id %lld, want %lld", r->path,
	              jint(r, "admin.id"), want_id);
	resp_free(r);
}

static void assert_unauth(const char *token, const char *what)
{
	resp_t *r = req("GET", "/fcgi/admin/me", NULL, token);
	ck_assert_msg(r->status == 401 && strcmp(err_code(r), "UNAUTHENTICATED") == 0,
	              "%s: GET /fcgi/admin/me want 401 UNAUTHENTICATED, got %ld %s", what,
	              r->status, resp_snippet(r));
	resp_free(r);
}

START_TEST(login_each_family)
{
	const struct fixture *f = fx();
	resp_t *r;
	const cJSON *evs, *ev;

	/* admin family: token, csrf and the admin with its events and levels */
	r = login_resp("admin", f->viewer.username, f->viewer.password);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jstr(r, "token") && strlen(jstr(r, "token")) > 20, "no token: %s",
	              resp_snippet(r));
	ck_assert_msg(jstr(r, "csrf") && *jstr(r, "csrf"), "no csrf: %s", resp_snippet(r));
	ck_assert_int_eq(jint(r, "admin.id"), f->viewer.id);
	ck_assert_str_eq(jstr(r, "admin.username"), f->viewer.username);
	evs = jget(r->json, "admin.events");
	ck_assert_msg(cJSON_IsArray(evs) && cJSON_GetArraySize(evs) == 1,
	              "viewer should have exactly event A: %s", resp_snippet(r));
	ev = jfind_id(evs, "id", f->ev_a);
	ck_assert_msg(ev != NULL, "event A missing from admin.events: %s", resp_snippet(r));
	ck_assert_int_eq(jnum(ev, "level"), 1);
	ck_assert_msg(jtext(ev, "code") && strcmp(jtext(ev, "code"), f->code_a) == 0,
	              "event A without its code: %s", resp_snippet(r));
	ck_assert_msg(jget(r->json, "admin.password") == NULL &&
	                  jget(r->json, "admin.password_hash") == NULL,
	              "login answer leaks the password (hash)");
	resp_free(r);

	/* super-admin family */
	r = login_resp("super-admin", f->super.username, f->super.password);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jstr(r, "token") && jbool(r, "admin.is_super") == 1, "%s", resp_snippet(r));
	resp_free(r);

	/* entrance: STAFF or more on some event */
	r = login_resp("entrance", f->staff.username, f->staff.password);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jstr(r, "token") != NULL, "%s", resp_snippet(r));
	resp_free(r);
	r = login_resp("entrance", f->manager.username, f->manager.password);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = login_resp("entrance", f->viewer.username, f->viewer.password);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	ck_assert_msg(jstr(r, "token") == NULL && r->set_cookie == NULL,
	              "a refused entrance login still handed out a token");
	resp_free(r);
}
END_TEST

START_TEST(bad_credentials)
{
	char user[USER_MAX];
	resp_t *a, *b;

	new_admin("badcred", 1, user);
	a = login_resp("admin", user, "wrong-password-1");
	ASSERT_ERROR(a, 401, "BAD_CREDENTIALS");
	ck_assert_msg(jstr(a, "token") == NULL && a->set_cookie == NULL, "token on a failed login");
	b = login_resp("admin", uniq_user("nobody"), "wrong-password-1");
	ASSERT_ERROR(b, 401, "BAD_CREDENTIALS");
	/* No hint whether the account exists. */
	ck_assert_str_eq(jstr(a, "error.message"), jstr(b, "error.message"));
	resp_free(a);
	resp_free(b);

	a = login_resp("super-admin", user, "wrong-password-1");
	ASSERT_ERROR(a, 401, "BAD_CREDENTIALS");
	resp_free(a);
	/* A regular admin with the right password cannot become a super admin. */
	a = login_resp("super-admin", user, PW);
	ASSERT_STATUS(a, 200);
	ck_assert_int_eq(jbool(a, "admin.is_super"), 0);
	resp_free(a);

	a = req("POST", "/fcgi/admin/login", strf("{\"username\":\"%s\"}", user), NULL);
	ASSERT_FIELD(a, "password");
	resp_free(a);
}
END_TEST

START_TEST(lockout_and_unlock)
{
	char user[USER_MAX];
	long long id = new_admin("lock", 2, user);
	resp_t *r;
	int i;
	long retry;

	for (i = 1; i <= 4; i++) {
		r = login_resp("admin", user, "wrong-password-1");
		ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
		resp_free(r);
	}
	/* The fifth failure locks: it may already say so. */
	r = login_resp("admin", user, "wrong-password-1");
	ck_assert_msg((r->status == 401 && strcmp(err_code(r), "BAD_CREDENTIALS") == 0) ||
	                  (r->status == 423 && strcmp(err_code(r), "LOCKED") == 0),
	              "5th failed login: %ld %s", r->status, resp_snippet(r));
	resp_free(r);

	/* Locked: even the right password, on every family. */
	r = login_resp("admin", user, PW);
	ASSERT_ERROR(r, 423, "LOCKED");
	ck_assert_msg(r->retry_after != NULL, "423 without Retry-After");
	retry = strtol(r->retry_after, NULL, 10);
	ck_assert_msg(retry >= 1 && retry <= 15 * 60, "Retry-After %s, want 1..900 seconds",
	              r->retry_after);
	ck_assert_msg(jstr(r, "token") == NULL, "a locked account got a token");
	resp_free(r);
	r = login_resp("entrance", user, PW);
	ASSERT_ERROR(r, 423, "LOCKED");
	resp_free(r);

	/* The super admin unlocks. */
	r = req("POST", strf("/fcgi/super-admin/admins/%lld/unlock", id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = login_resp("admin", user, PW);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	/* And the count starts again from zero. */
	r = login_resp("admin", user, "wrong-password-1");
	ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
	resp_free(r);
	r = login_resp("admin", user, PW);
	ASSERT_STATUS(r, 200);
	resp_free(r);

	/* Unlock is the super admin's: not even a manager of the event may. */
	r = req("POST", strf("/fcgi/super-admin/admins/%lld/unlock", id), NULL,
	        fx_actor(3)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);
}
END_TEST

struct guesses {
	const char *body;
	int bad, locked, other;
};

static void guess_make(size_t i, struct bk_call *c, void *ctx)
{
	(void)i;
	c->method = "POST";
	c->path = "/fcgi/admin/login";
	c->body = ((struct guesses *)ctx)->body;
}

static void guess_done(size_t i, const resp_t *r, void *ctx)
{
	struct guesses *g = ctx;
	(void)i;
	if (r->status == 401 && strcmp(err_code(r), "BAD_CREDENTIALS") == 0)
		g->bad++;
	else if (r->status == 423 && strcmp(err_code(r), "LOCKED") == 0)
		g->locked++;
	else
		g->other++;
}

/* Sixteen wrong passwords at once: the attempts are counted before the slow
 * password check, so no more than the limit (5) are ever checked — four
 * answered BAD_CREDENTIALS, the fifth locks (LOCKED), every other one
 * refused LOCKED without a check — and the count is exactly 5. */
START_TEST(parallel_guesses_stop_at_the_limit)
{
	char user[USER_MAX];
	long long id = new_admin("lockp", 2, user);
	struct guesses g = {
	    .body = strf("{\"username\":\"%s\",\"password\":\"wrong-password-1\"}", user)};
	struct bk_multi m = {16, 16, guess_make, guess_done, &g};
	resp_t *r;

	bk_multi_run(&m);
	ck_assert_msg(g.bad == 4 && g.locked == 12 && g.other == 0,
	              "16 parallel guesses: %d BAD_CREDENTIALS, %d LOCKED, %d other", g.bad,
	              g.locked, g.other);
	ck_assert_int_eq(
	    tdb_count("SELECT failed_logins FROM admins WHERE id = $1", strf("%lld", id)), 5);
	r = login_resp("admin", user, PW);
	ASSERT_ERROR(r, 423, "LOCKED");
	resp_free(r);
}
END_TEST

/* The right password on the last allowed attempt still gets in. */
START_TEST(right_password_at_the_limit)
{
	char user[USER_MAX];
	new_admin("lockr", 2, user);
	resp_t *r;

	for (int i = 1; i <= 4; i++) {
		r = login_resp("admin", user, "wrong-password-1");
		ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
		resp_free(r);
	}
	r = login_resp("admin", user, PW);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = login_resp("admin", user, "wrong-password-1");
	ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
	resp_free(r);
}
END_TEST

START_TEST(one_account_every_family)
{
	const struct fixture *f = fx();
	struct sess *s = login_ok("super-admin", f->super.username, f->super.password);
	struct sess *m = login_ok("admin", f->manager.username, f->manager.password);
	struct sess *e = login_ok("entrance", f->staff.username, f->staff.password);

	assert_me("admin", s->token, f->super.id);
	assert_me("entrance", s->token, f->super.id);
	assert_me("super-admin", m->token, f->manager.id);
	assert_me("admin", e->token, f->staff.id);
	assert_me("super-admin", e->token, f->staff.id);
	sess_free(s);
	sess_free(m);
	sess_free(e);
}
END_TEST

START_TEST(logout_revokes_one_session)
{
	char user[USER_MAX];
	long long id = new_admin("logout", 1, user);
	struct sess *s1 = login_ok("admin", user, PW);
	struct sess *s2 = login_ok("super-admin", user, PW);
	resp_t *r;

	r = req("POST", "/fcgi/admin/logout", NULL, s1->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	assert_unauth(s1->token, "token after its logout");
	assert_me("admin", s2->token, id);
	r = req("POST", "/fcgi/super-admin/logout", NULL, s1->token);
	ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
	resp_free(r);
	/* Logging out through another family works the same. */
	r = req("POST", "/fcgi/super-admin/logout", NULL, s2->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	assert_unauth(s2->token, "second token after its logout");
	sess_free(s1);
	sess_free(s2);
}
END_TEST

START_TEST(reset_password_revokes)
{
	char user[USER_MAX];
	long long id = new_admin("reset", 1, user);
	struct sess *s1 = login_ok("admin", user, PW);
	struct sess *s2 = login_ok("admin", user, PW);
	const char *newpw = "brand-new-password-9";
	resp_t *r;

	r = req("POST", strf("/fcgi/super-admin/admins/%lld/reset-password", id),
	        "{\"password\":\"short\"}", super_tok());
	ASSERT_FIELD(r, "password");
	resp_free(r);
	assert_me("admin", s1->token, id); /* a refused reset changes nothing */

	r = req("POST", strf("/fcgi/super-admin/admins/%lld/reset-password", id),
	        strf("{\"password\":\"%s\"}", newpw), super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_msg(strstr(r->body, newpw) == NULL, "the answer echoes the new password");
	resp_free(r);
	assert_unauth(s1->token, "token from before the reset");
	assert_unauth(s2->token, "second token from before the reset");
	r = login_resp("admin", user, PW);
	ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
	resp_free(r);
	{
		struct sess *s3 = login_ok("admin", user, newpw);
		assert_me("admin", s3->token, id);
		sess_free(s3);
	}
	sess_free(s1);
	sess_free(s2);
}
END_TEST

START_TEST(deactivate_revokes)
{
	char user[USER_MAX];
	long long id = new_admin("deact", 2, user);
	struct sess *s1 = login_ok("admin", user, PW);
	resp_t *r;

	r = req("PUT", strf("/fcgi/super-admin/admins/%lld", id), "{\"is_active\":false}",
	        super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jbool(r, "admin.is_active"), 0);
	resp_free(r);
	assert_unauth(s1->token, "token of a deactivated admin");
	r = login_resp("admin", user, PW);
	ASSERT_ERROR(r, 401, "BAD_CREDENTIALS");
	ck_assert_msg(jstr(r, "token") == NULL, "a deactivated admin got a token");
	resp_free(r);
	r = login_resp("entrance", user, PW);
	ck_assert_msg(r->status == 401, "entrance login of a deactivated admin: %ld %s", r->status,
	              resp_snippet(r));
	resp_free(r);

	/* Reactivated: logs in again, but the old token stays dead. */
	r = req("PUT", strf("/fcgi/super-admin/admins/%lld", id), "{\"is_active\":true}",
	        super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	assert_unauth(s1->token, "pre-deactivation token after reactivation");
	{
		struct sess *s2 = login_ok("admin", user, PW);
		assert_me("admin", s2->token, id);
		sess_free(s2);
	}
	sess_free(s1);
}
END_TEST

START_TEST(cookie_and_csrf)
{
	char user[USER_MAX];
	long long id = new_admin("cookie", 3, user);
	struct sess *s = login_ok("admin", user, PW);
	struct sess *other = login_ok("admin", user, PW);
	resp_t *r;
	const char *cookie = strf("Cookie: %s", s->cookie);

	ck_assert_msg(strncmp(s->set_cookie, "tk_session=", 11) == 0 || strchr(s->cookie, '='),
	              "Set-Cookie: %s", s->set_cookie);
	ck_assert_msg(strcasestr(s->set_cookie, "HttpOnly") != NULL, "cookie not HttpOnly: %s",
	              s->set_cookie);
	ck_assert_msg(strcasestr(s->set_cookie, "SameSite=Strict") != NULL,
	              "cookie not SameSite=Strict: %s", s->set_cookie);
	ck_assert_msg(strstr(s->cookie, s->token) != NULL, "the cookie does not carry the token");
	ck_assert_msg(strlen(s->csrf) >= 16, "csrf too short: %s", s->csrf);

	/* A read with only the cookie works. */
	r = req("GET", "/fcgi/admin/me", NULL, NULL, cookie);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "admin.id"), id);
	resp_free(r);

	/* A change with the cookie needs the session's X-CSRF-Token. */
	r = req("POST", "/fcgi/admin/logout", NULL, NULL, cookie);
	ASSERT_ERROR(r, 403, "CSRF");
	resp_free(r);
	r = req("POST", "/fcgi/admin/logout", NULL, NULL, cookie,
	        "X-CSRF-Token: wrong-token-value");
	ASSERT_ERROR(r, 403, "CSRF");
	resp_free(r);
	r = req("POST", "/fcgi/admin/logout", NULL, NULL, cookie,
	        strf("X-CSRF-Token: %s", other->csrf));
	ASSERT_ERROR(r, 403, "CSRF");
	resp_free(r);
	r = req("PUT", strf("/fcgi/admin/events/%lld/notices/1", fx()->ev_a), "{\"title\":\"x\"}",
	        NULL, cookie);
	ASSERT_ERROR(r, 403, "CSRF");
	resp_free(r);
	r = req("DELETE", strf("/fcgi/admin/events/%lld/notices/1", fx()->ev_a), NULL, NULL,
	        cookie);
	ASSERT_ERROR(r, 403, "CSRF");
	resp_free(r);
	/* Still logged in: the refused requests did nothing. */
	assert_me("admin", s->token, id);

	r = req("POST", "/fcgi/admin/logout", NULL, NULL, cookie,
	        strf("X-CSRF-Token: %s", s->csrf));
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = req("GET", "/fcgi/admin/me", NULL, NULL, cookie);
	ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
	resp_free(r);
	/* A bearer token never needs the CSRF header. */
	assert_me("admin", other->token, id);
	r = req("POST", "/fcgi/admin/logout", NULL, other->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	sess_free(s);
	sess_free(other);
}
END_TEST

/* ---- forged tokens ----------------------------------------------------------- */

static char *b64(const char *s)
{
	char out[1024];
	size_t n = auth_b64url_encode((const unsigned char *)s, strlen(s), out, sizeof(out));
	out[n] = '\0';
	return strf("%s", out);
}

/* The claims of a real token (its payload decoded). */
static bool token_claims(const char *token, struct auth_claims *c)
{
	const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	unsigned char buf[1024];
	long n;
	cJSON *p;

	if (dot2 == NULL)
		return false;
	n = auth_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	p = cJSON_Parse((const char *)buf);
	if (p == NULL)
		return false;
	c->admin_id = jnum(p, "sub");
	c->session_id = jnum(p, "sid");
	c->version = jnum(p, "sv");
	c->issued_at = jnum(p, "iat");
	c->expires_at = jnum(p, "exp");
	cJSON_Delete(p);
	return c->admin_id > 0;
}

START_TEST(forged_tokens)
{
	const struct fixture *f = fx();
	struct sess *s = login_ok("admin", f->manager.username, f->manager.password);
	const char *tok = s->token;
	const char *dot2 = strrchr(tok, '.');
	const char *dot1 = strchr(tok, '.');
	char *flipped = strf("%s", tok);
	size_t last = strlen(flipped) - 2;
	const char *secret = getenv("TICKET_JWT_SECRET");
	struct auth_claims c;

	flipped[last] = flipped[last] == 'A' ? 'B' : 'A';
	{
		const char *bad[] = {
		    "garbage",
		    "a.b.c",
		    "..",
		    flipped,
		    /* payload swapped for another admin's id, signature kept */
		    strf(
		        "%.*s.%s%s", (int)(dot1 - tok), tok,
		        b64(strf("{\"sub\":%lld,\"sid\":1,\"sv\":1,\"iat\":%lld,\"exp\":%lld}",
		                 f->super.id, (long long)time(NULL), (long long)time(NULL) + 3600)),
		        dot2),
		    /* alg none */
		    strf("%s.%s.", b64("{\"alg\":\"none\",\"typ\":\"JWT\"}"),
		         b64(strf("{\"sub\":%lld,\"sid\":1,\"sv\":1,\"iat\":%lld,\"exp\":%lld}",
		                  f->super.id, (long long)time(NULL),
		                  (long long)time(NULL) + 3600))),
		    str_repeat('x', 3000),
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			resp_t *r = req("GET", "/fcgi/admin/me", NULL, bad[i]);
			ck_assert_msg(r->status == 401 &&
			                  strcmp(err_code(r), "UNAUTHENTICATED") == 0,
			              "forged token #%zu: want 401 UNAUTHENTICATED, got %ld %s", i,
			              r->status, resp_snippet(r));
			resp_free(r);
		}
	}
	{
		/* Other schemes, an empty bearer, a token in a cookie of another name. */
		const char *hdrs[] = {
		    strf("Authorization: Basic %s", b64("superadmin:superadmin-demo")),
		    "Authorization: Bearer",
		    strf("Authorization: Token %s", tok),
		    strf("Cookie: session=%s", tok),
		};
		for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
			resp_t *r = req("GET", "/fcgi/admin/me", NULL, NULL, hdrs[i]);
			ck_assert_msg(r->status == 401 &&
			                  strcmp(err_code(r), "UNAUTHENTICATED") == 0,
			              "header %.40s: want 401 UNAUTHENTICATED, got %ld %s", hdrs[i],
			              r->status, resp_snippet(r));
			resp_free(r);
		}
	}

	/* Correctly signed, but expired / for a session that does not exist. */
	if (secret && *secret && token_claims(tok, &c)) {
		char out[AUTH_JWT_MAX];
		struct auth_claims x = c;
		resp_t *r;

		x.expires_at = (int64_t)time(NULL) + 600;
		ck_assert(auth_token_sign(&x, secret, out) == AUTH_OK);
		r = req("GET", "/fcgi/admin/me", NULL, out);
		ASSERT_STATUS(r, 200); /* control: the secret is the stack's */
		resp_free(r);

		x.issued_at = (int64_t)time(NULL) - 7200;
		x.expires_at = (int64_t)time(NULL) - 60;
		ck_assert(auth_token_sign(&x, secret, out) == AUTH_OK);
		r = req("GET", "/fcgi/admin/me", NULL, out);
		ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
		resp_free(r);

		x = c;
		x.session_id = c.session_id + 1000000;
		ck_assert(auth_token_sign(&x, secret, out) == AUTH_OK);
		r = req("GET", "/fcgi/admin/me", NULL, out);
		ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
		resp_free(r);

		x = c;
		x.version = c.version + 1;
		ck_assert(auth_token_sign(&x, secret, out) == AUTH_OK);
		r = req("GET", "/fcgi/admin/me", NULL, out);
		ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
		resp_free(r);

		x = c;
		ck_assert(auth_token_sign(&x, "not-the-secret-of-this-stack", out) == AUTH_OK);
		r = req("GET", "/fcgi/admin/me", NULL, out);
		ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
		resp_free(r);
	}
	sess_free(s);
}
END_TEST

static bool ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

START_TEST(accept_language)
{
	const char *user = uniq_user("nobody");
	resp_t *ko = login_resp("admin", user, "wrong-password-1");
	resp_t *en = req("POST", "/fcgi/admin/login",
	                 strf("{\"username\":\"%s\",\"password\":\"wrong-password-1\"}", user),
	                 NULL, "Accept-Language: en");
	resp_t *en2 = req("GET", "/fcgi/admin/me", NULL, NULL, "Accept-Language: en-US,en;q=0.9");
	const char *mko = jstr(ko, "error.message"), *men = jstr(en, "error.message");

	ASSERT_ERROR(ko, 401, "BAD_CREDENTIALS");
	ASSERT_ERROR(en, 401, "BAD_CREDENTIALS");
	ck_assert_msg(mko && !ascii_only(mko), "default message not Korean: %s", mko ? mko : "");
	ck_assert_msg(men && *men && ascii_only(men), "Accept-Language: en message not English: %s",
	              men ? men : "");
	ASSERT_ERROR(en2, 401, "UNAUTHENTICATED");
	ck_assert_msg(jstr(en2, "error.message") && ascii_only(jstr(en2, "error.message")),
	              "en-US: %s", resp_snippet(en2));
	resp_free(ko);
	resp_free(en);
	resp_free(en2);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_new("auth");

	tcase_add_test(tc, login_each_family);
	tcase_add_test(tc, bad_credentials);
	tcase_add_test(tc, lockout_and_unlock);
	tcase_add_test(tc, parallel_guesses_stop_at_the_limit);
	tcase_add_test(tc, right_password_at_the_limit);
	tcase_add_test(tc, one_account_every_family);
	tcase_add_test(tc, logout_revokes_one_session);
	tcase_add_test(tc, reset_password_revokes);
	tcase_add_test(tc, deactivate_revokes);
	tcase_add_test(tc, cookie_and_csrf);
	tcase_add_test(tc, forged_tokens);
	tcase_add_test(tc, accept_language);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("auth", auth_suite, true)
