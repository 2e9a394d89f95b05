/* fixture.c — shared events and actors, made through the super-admin API. */
#include "fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct fixture F;
static bool fx_done, fx_tried;
static char fx_err[1024];
static char run_id[8];
static unsigned counter;

const char *fx_run(void)
{
	if (run_id[0] == '\0') {
		unsigned v = 0;
		FILE *f = fopen("/dev/urandom", "rb");
		if (f == NULL || fread(&v, sizeof(v), 1, f) != 1)
			v = (unsigned)time(NULL) ^ (unsigned)getpid();
		if (f)
			fclose(f);
		snprintf(run_id, sizeof(run_id), "%06u", v % 1000000u);
	}
	return run_id;
}

char *uniq_code(const char *tag)
{
	return strf("t%s%s%u", fx_run(), tag, ++counter);
}

char *uniq_user(const char *tag)
{
	return strf("t%s_%s%u", fx_run(), tag, ++counter);
}

char *event_body(const char *code, const char *title)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "venue", "Test Hall");
	cJSON_AddStringToObject(o, "address", "1 Test-ro, Seoul");
	cJSON_AddStringToObject(o, "starts_on", date_plus(-1));
	cJSON_AddStringToObject(o, "ends_on", date_plus(60));
	cJSON_AddStringToObject(o, "open_hours", "10:00-18:00");
	return jbody(o);
}

/* ---- creation without assertions (fx_init may run outside a test) ---------- */

static bool fx_fail(char *err, size_t n, const char *what, const resp_t *r)
{
	snprintf(err, n, "%s: %s %s -> %ld%s%s %s", what, r->method, r->path, r->status,
	         r->curl_error ? " curl: " : "", r->curl_error ? r->curl_error : "",
	         resp_snippet(r));
	return false;
}

static bool try_event(const char *tok, const char *code, long long *id, char *err, size_t n)
{
	resp_t *r = req("POST", "/fcgi/super-admin/events", event_body(code, code), tok);
	bool ok = r->status == 201 && jint(r, "event.id") > 0;
	if (!ok) {
		fx_fail(err, n, "create event", r);
		resp_free(r);
		return false;
	}
	*id = jint(r, "event.id");
	resp_free(r);
	r = req("POST", strf("/fcgi/super-admin/events/%lld/activate", *id), NULL, tok);
	ok = r->status == 200;
	if (!ok)
		fx_fail(err, n, "activate event", r);
	resp_free(r);
	return ok;
}

static bool try_admin(const char *tok, struct actor *a, bool super, char *err, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	resp_t *r;

	cJSON_AddStringToObject(o, "username", a->username);
	cJSON_AddStringToObject(o, "password", a->password);
	cJSON_AddStringToObject(o, "name", a->role);
	if (super)
		cJSON_AddBoolToObject(o, "is_super", true);
	r = req("POST", "/fcgi/super-admin/admins", jbody(o), tok);
	if (r->status != 201 || jint(r, "admin.id") <= 0) {
		fx_fail(err, n, "create admin", r);
		resp_free(r);
		return false;
	}
	a->id = jint(r, "admin.id");
	resp_free(r);
	return true;
}

static bool try_assign(const char *tok, long long admin_id, long long event_id, int level,
                       char *err, size_t n)
{
	resp_t *r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", admin_id),
	                strf("[{\"event_id\":%lld,\"level\":%d}]", event_id, level), tok);
	bool ok = r->status == 200;
	if (!ok)
		fx_fail(err, n, "assign admin", r);
	resp_free(r);
	return ok;
}

static bool try_login(const char *family, struct actor *a, char *err, size_t n)
{
	resp_t *r = login_resp(family, a->username, a->password);
	a->s = sess_from(r);
	if (a->s == NULL)
		fx_fail(err, n, "login", r);
	resp_free(r);
	return a->s != NULL;
}

static void actor_init(struct actor *a, const char *role, int level)
{
	a->role = role;
	a->level = level;
	snprintf(a->username, sizeof(a->username), "t%s_fx_%s", fx_run(), role);
	snprintf(a->password, sizeof(a->password), "pw-%s-%s-x", role, fx_run());
}

bool fx_init(char *err, size_t n)
{
	const char *boot_pw = getenv("TICKET_SUPERADMIN_PASSWORD");
	const char *tok;
	struct actor *lv[3];

	if (fx_done)
		return true;
	if (fx_tried) {
		snprintf(err, n, "%s", fx_err);
		return false;
	}
	fx_tried = true;
	memset(&F, 0, sizeof(F));
	snprintf(F.run, sizeof(F.run), "%s", fx_run());

	F.boot = login("super-admin", "superadmin",
	               boot_pw && *boot_pw ? boot_pw : "superadmin-demo");
	if (F.boot == NULL) {
		snprintf(
		    fx_err, sizeof(fx_err),
		    "cannot log in as the seeded super admin at %s (TICKET_SUPERADMIN_PASSWORD?)",
		    client_base_url());
		goto out;
	}
	tok = F.boot->token;
	snprintf(F.code_a, sizeof(F.code_a), "t%sfxa", F.run);
	snprintf(F.code_b, sizeof(F.code_b), "t%sfxb", F.run);
	if (!try_event(tok, F.code_a, &F.ev_a, fx_err, sizeof(fx_err)) ||
	    !try_event(tok, F.code_b, &F.ev_b, fx_err, sizeof(fx_err)))
		goto out;

	actor_init(&F.viewer, "viewer", 1);
	actor_init(&F.staff, "staff", 2);
	actor_init(&F.manager, "manager", 3);
	actor_init(&F.super, "super", 9);
	lv[0] = &F.viewer;
	lv[1] = &F.staff;
	lv[2] = &F.manager;
	for (int i = 0; i < 3; i++) {
		if (!try_admin(tok, lv[i], false, fx_err, sizeof(fx_err)) ||
		    !try_assign(tok, lv[i]->id, F.ev_a, lv[i]->level, fx_err, sizeof(fx_err)) ||
		    !try_login("admin", lv[i], fx_err, sizeof(fx_err)))
			goto out;
	}
	if (!try_admin(tok, &F.super, true, fx_err, sizeof(fx_err)) ||
	    !try_login("super-admin", &F.super, fx_err, sizeof(fx_err)))
		goto out;
	{
		/* Is the new account really a super admin? */
		resp_t *r = req("GET", "/fcgi/admin/me", NULL, F.super.s->token);
		bool is_super = jbool(r, "admin.is_super") == 1;
		resp_free(r);
		if (!is_super) {
			/* POST admins has no "is_super" (API.md lists none): use the
			 * seeded super admin as the level-9 actor. */
			sess_free(F.super.s);
			snprintf(F.super.username, sizeof(F.super.username), "superadmin");
			snprintf(F.super.password, sizeof(F.super.password), "%s",
			         boot_pw && *boot_pw ? boot_pw : "superadmin-demo");
			F.super.id = F.boot->admin_id;
			F.super.s = login("super-admin", F.super.username, F.super.password);
			F.super_is_bootstrap = true;
			fprintf(stderr,
			        "fixture: POST admins did not make a super admin (is_super); "
			        "the seeded super admin acts as level 9\n");
			if (F.super.s == NULL) {
				snprintf(fx_err, sizeof(fx_err),
				         "second login of the seeded super admin failed");
				goto out;
			}
		}
	}
	fx_done = true;
out:
	if (!fx_done)
		snprintf(err, n, "%s", fx_err);
	return fx_done;
}

const struct fixture *fx(void)
{
	char err[1024];
	if (!fx_done && !fx_init(err, sizeof(err)))
		ck_abort_msg("fixtures unavailable: %s", err);
	return &F;
}

const struct actor *fx_actor(int level)
{
	const struct fixture *f = fx();
	switch (level) {
	case 1: return &f->viewer;
	case 2: return &f->staff;
	case 3: return &f->manager;
	default: return &f->super;
	}
}

const char *super_tok(void)
{
	return fx()->super.s->token;
}

/* ---- helpers for tests (assert) ------------------------------------------------ */

long long mk_event(const char *code, bool activate)
{
	resp_t *r = req("POST", "/fcgi/super-admin/events", event_body(code, code), super_tok());
	long long id;

	ASSERT_STATUS(r, 201);
	id = jint(r, "event.id");
	ck_assert_msg(id > 0, "POST events: no event.id in %s", resp_snippet(r));
	resp_free(r);
	if (activate) {
		r = req("POST", strf("/fcgi/super-admin/events/%lld/activate", id), NULL,
		        super_tok());
		ASSERT_STATUS(r, 200);
		resp_free(r);
	}
	return id;
}

long long mk_admin(const char *username, const char *password)
{
	cJSON *o = cJSON_CreateObject();
	resp_t *r;
	long long id;

	cJSON_AddStringToObject(o, "username", username);
	cJSON_AddStringToObject(o, "password", password);
	cJSON_AddStringToObject(o, "name", "Test Admin");
	r = req("POST", "/fcgi/super-admin/admins", jbody(o), super_tok());
	ASSERT_STATUS(r, 201);
	id = jint(r, "admin.id");
	ck_assert_msg(id > 0, "POST admins: no admin.id in %s", resp_snippet(r));
	resp_free(r);
	return id;
}

void set_events(long long admin_id, int n, ...)
{
	cJSON *arr = cJSON_CreateArray();
	va_list ap;
	resp_t *r;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		long long ev = va_arg(ap, long long);
		int level = va_arg(ap, int);
		cJSON_AddNumberToObject(e, "event_id", (double)ev);
		cJSON_AddNumberToObject(e, "level", level);
		cJSON_AddItemToArray(arr, e);
	}
	va_end(ap);
	r = req("PUT", strf("/fcgi/super-admin/admins/%lld/events", admin_id), jbody(arr),
	        super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
}

struct sess *login_ok(const char *family, const char *username, const char *password)
{
	resp_t *r = login_resp(family, username, password);
	struct sess *s;

	ASSERT_STATUS(r, 200);
	s = sess_from(r);
	ck_assert_msg(s != NULL, "login of %s: no token in %s", username, resp_snippet(r));
	resp_free(r);
	return s;
}
