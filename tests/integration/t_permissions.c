/*
 * t_permissions.c — the permission matrix of the admin, super-admin and
 * entrance families, table-driven. (Entrance routes that name their event in
 * the body carry {EVENT} in theirs.)
 *
 * Each row is one route of the contract (API.md) with the level it needs
 * and a body to send. The rows are checked against the workers' own tables
 * (`<build>/admin --routes`, `<build>/super_admin --routes`): a served route
 * without a row fails the test (the matrix must stay complete), and a row
 * whose route the worker declares at another level fails too. Rows whose
 * route is not served yet are skipped (and listed on stderr).
 *
 * Every served row is then called with no token (401 UNAUTHENTICATED unless
 * public) and by each actor — levels 1, 2, 3 on event A, and the super
 * admin — on event A and on event B, and the answer must be:
 *   allowed          anything but 401/403 (usually 200/201/404/422)
 *   FORBIDDEN        403 FORBIDDEN: assigned, level too low; or a
 *                    super-admin route and not a super admin
 *   EVENT_FORBIDDEN  403 EVENT_FORBIDDEN: not assigned to the event
 *
 * Nothing the fixtures rely on is changed: bodies are invalid where a
 * change would happen (the allowed answer is then 422), sub-resource ids
 * ({nid}, {pid} …) name nothing (404), and routes that must act on a real
 * object (activate, delete, unlock …) act on throwaway objects made here,
 * with the destructive rows last.
 */
#include "fixture.h"
#include "routes.h"
#include "suite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LV_PUBLIC 0
#define LV_SUPER 9
#define LV_LOGIN 100
#define LV_TABLE (-1) /* API.md names no level: take the table's (must be 1–8) */

/* Where {id} points. */
enum target_kind {
	T_EVENT,    /* event A or B, per call */
	T_TW_EVENT, /* the throwaway event */
	T_TW_ADMIN, /* the throwaway admin */
};

#define F_FRESH 1u    /* needs a fresh session per call (logout) */
#define F_SETTINGS 2u /* body: the current settings, echoed back */

struct row {
	const char *method;
	const char *path; /* exactly as --routes prints it */
	int level;
	const char *body; /* "{EVENT}" in it becomes the target event's id */
	enum target_kind target;
	unsigned flags;
};

#define ADM "/fcgi/admin/"
#define SUP "/fcgi/super-admin/"
#define ENT "/fcgi/entrance/"

/* The contract. Order matters only for the destructive rows (last). */
static const struct row matrix[] = {
    /* ---- admin family ---- */
    {"GET", ADM "health", LV_PUBLIC, NULL, T_EVENT, 0},
    {"POST", ADM "login", LV_PUBLIC, "{}", T_EVENT, 0},
    {"GET", ADM "me", LV_LOGIN, NULL, T_EVENT, 0},
    {"GET", ADM "events", LV_LOGIN, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}", 1, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/dashboard", 1, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/products", LV_TABLE, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/products", 2, "{}", T_EVENT, 0},
    {"GET", ADM "events/{id}/products/{pid}", LV_TABLE, NULL, T_EVENT, 0},
    {"PUT", ADM "events/{id}/products/{pid}", 2, "{\"price\":-1}", T_EVENT, 0},
    {"DELETE", ADM "events/{id}/products/{pid}", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/quotas", LV_TABLE, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/quotas", 3, "{}", T_EVENT, 0}, /* capacity is money: MANAGER */
    {"GET", ADM "events/{id}/quotas/{qid}", LV_TABLE, NULL, T_EVENT, 0},
    {"PUT", ADM "events/{id}/quotas/{qid}", 3, "{\"capacity\":-1}", T_EVENT, 0},
    {"DELETE", ADM "events/{id}/quotas/{qid}", LV_TABLE, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/orders", 1, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/orders/export", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/orders/{oid}", 1, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/orders/{oid}/refund", 3, "{\"reason\":\"\"}", T_EVENT, 0},
    {"GET", ADM "events/{id}/notices", LV_TABLE, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/notices", 3, "{}", T_EVENT, 0},
    {"GET", ADM "events/{id}/notices/{nid}", LV_TABLE, NULL, T_EVENT, 0},
    {"PUT", ADM "events/{id}/notices/{nid}", 3, "{\"title\":\"\"}", T_EVENT, 0},
    {"DELETE", ADM "events/{id}/notices/{nid}", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/invitations", LV_TABLE, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/invitations", 3, "{}", T_EVENT, 0},
    {"DELETE", ADM "events/{id}/invitations/{bid}", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/invitations/{bid}", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/invitations/{bid}/claims/export", 3, NULL, T_EVENT, 0},
    {"POST", ADM "events/{id}/orders/{oid}/notifications/{nid}/resend", 3, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/entrance/stats", LV_TABLE, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/entrance/logs", LV_TABLE, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/stats/sales", 1, NULL, T_EVENT, 0},
    {"GET", ADM "events/{id}/activity", 3, NULL, T_EVENT, 0},
    {"POST", ADM "logout", LV_LOGIN, NULL, T_EVENT, F_FRESH},

    /* ---- super-admin family ---- */
    {"GET", SUP "health", LV_PUBLIC, NULL, T_EVENT, 0},
    {"POST", SUP "login", LV_PUBLIC, "{}", T_EVENT, 0},
    {"GET", SUP "me", LV_LOGIN, NULL, T_EVENT, 0},
    {"GET", SUP "events", LV_SUPER, NULL, T_EVENT, 0},
    {"POST", SUP "events", LV_SUPER, "{}", T_EVENT, 0},
    {"GET", SUP "events/{id}", LV_SUPER, NULL, T_EVENT, 0},
    {"PUT", SUP "events/{id}", LV_SUPER, "{\"hold_seconds\":0}", T_EVENT, 0},
    {"POST", SUP "events/{id}/activate", LV_SUPER, NULL, T_TW_EVENT, 0},
    {"POST", SUP "events/{id}/deactivate", LV_SUPER, NULL, T_TW_EVENT, 0},
    {"GET", SUP "admins", LV_SUPER, NULL, T_EVENT, 0},
    {"POST", SUP "admins", LV_SUPER, "{}", T_EVENT, 0},
    {"GET", SUP "admins/{id}", LV_SUPER, NULL, T_TW_ADMIN, 0},
    {"PUT", SUP "admins/{id}", LV_SUPER, "{\"email\":\"not-an-email\"}", T_TW_ADMIN, 0},
    {"POST", SUP "admins/{id}/reset-password", LV_SUPER, "{\"password\":\"short\"}", T_TW_ADMIN, 0},
    {"POST", SUP "admins/{id}/unlock", LV_SUPER, NULL, T_TW_ADMIN, 0},
    {"PUT", SUP "admins/{id}/events", LV_SUPER, "[]", T_TW_ADMIN, 0},
    {"GET", SUP "analytics/overview", LV_SUPER, NULL, T_EVENT, 0},
    {"GET", SUP "analytics/events", LV_SUPER, NULL, T_EVENT, 0},
    {"GET", SUP "analytics/revenue", LV_SUPER, NULL, T_EVENT, 0},
    {"GET", SUP "analytics/realtime", LV_SUPER, NULL, T_EVENT, 0},
    {"GET", SUP "activity", LV_SUPER, NULL, T_EVENT, 0},
    {"GET", SUP "settings", LV_SUPER, NULL, T_EVENT, 0},
    {"PUT", SUP "settings", LV_SUPER, NULL, T_EVENT, F_SETTINGS},
    {"POST", SUP "logout", LV_LOGIN, NULL, T_EVENT, F_FRESH},
    /* destructive, last */
    {"DELETE", SUP "admins/{id}", LV_SUPER, NULL, T_TW_ADMIN, 0},
    {"DELETE", SUP "events/{id}", LV_SUPER, NULL, T_TW_EVENT, 0},

    /* ---- entrance family (event in the body for the POSTs: {EVENT}) ---- */
    {"GET", ENT "health", LV_PUBLIC, NULL, T_EVENT, 0},
    {"POST", ENT "login", LV_PUBLIC, "{}", T_EVENT, 0},
    {"GET", ENT "me", LV_LOGIN, NULL, T_EVENT, 0},
    {"POST", ENT "scan", 2, "{\"event_id\":{EVENT},\"code\":\"X\"}", T_EVENT, 0},
    {"POST", ENT "manual", 3, "{\"event_id\":{EVENT}}", T_EVENT, 0},
    {"GET", ENT "events/{id}/offline-kit", 2, NULL, T_EVENT, 0},
    {"POST", ENT "offline-scans", 2, "{\"event_id\":{EVENT},\"scans\":[]}", T_EVENT, 0},
    {"POST", ENT "logout", LV_LOGIN, NULL, T_EVENT, F_FRESH},
};
#define N_ROWS (sizeof(matrix) / sizeof(matrix[0]))

/* ---- the route tables --------------------------------------------------------- */

static struct troute *table;
static int n_table;

static void load_tables(void)
{
	static const char *const bins[] = {"admin", "super_admin", "entrance"};
	char err[1400];

	if (table)
		return;
	for (size_t b = 0; b < sizeof(bins) / sizeof(bins[0]); b++) {
		struct troute *rt;
		int n = routes_load(bins[b], &rt, err, sizeof(err));
		ck_assert_msg(n > 0, "%s", err);
		table = realloc(table, (size_t)(n_table + n) * sizeof(*table));
		ck_assert(table != NULL);
		memcpy(table + n_table, rt, (size_t)n * sizeof(*rt));
		n_table += n;
		free(rt);
	}
}

static const struct troute *served(const struct row *row)
{
	for (int i = 0; i < n_table; i++)
		if (strcmp(table[i].method, row->method) == 0 &&
		    strcmp(table[i].path, row->path) == 0)
			return &table[i];
	return NULL;
}

/* ---- failure collection ---------------------------------------------------------- */

#define REPORT_MAX 24000

struct report {
	char text[REPORT_MAX];
	size_t used;
	int n;
};

static void note(struct report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct report *rep, const char *fmt, ...)
{
	va_list ap;
	rep->n++;
	if (rep->used + 400 >= REPORT_MAX)
		return;
	rep->text[rep->used++] = '\n';
	va_start(ap, fmt);
	rep->used += (size_t)vsnprintf(rep->text + rep->used, REPORT_MAX - rep->used, fmt, ap);
	va_end(ap);
	if (rep->used >= REPORT_MAX)
		rep->used = REPORT_MAX - 1;
}

static void finish(struct report *rep, const char *what)
{
	if (rep->n)
		ck_abort_msg("%s: %d problem(s):%s", what, rep->n, rep->text);
}

/* ---- the tests -------------------------------------------------------------------- */

START_TEST(matrix_complete)
{
	struct report rep = {0};

	load_tables();
	for (int i = 0; i < n_table; i++) {
		const struct troute *t = &table[i];
		const struct row *row = NULL;
		for (size_t j = 0; j < N_ROWS; j++)
			if (strcmp(matrix[j].method, t->method) == 0 &&
			    strcmp(matrix[j].path, t->path) == 0)
				row = &matrix[j];
		if (row == NULL) {
			note(&rep, "%s %s (level %d) has no row in the permission matrix",
			     t->method, t->path, t->level);
			continue;
		}
		if (row->level == LV_TABLE) {
			if (t->level < 1 || t->level > 8)
				note(&rep, "%s %s: declared level %d, want an event level (1-3)",
				     t->method, t->path, t->level);
		} else if (row->level != t->level) {
			note(&rep, "%s %s: declared level %d, the contract says %d", t->method,
			     t->path, t->level, row->level);
		}
		if (t->level >= 1 && t->level <= 8 && strstr(t->path, "{id}") == NULL &&
		    !(row->body && strstr(row->body, "{EVENT}")))
			note(&rep, "%s %s: event level %d but no {id} in the path", t->method,
			     t->path, t->level);
	}
	finish(&rep, "route tables vs. permission matrix");
}
END_TEST

enum expect { ALLOWED, FORBIDDEN, EVENT_FORBIDDEN };

static const char *expect_name(enum expect e)
{
	return e == ALLOWED ? "allowed" : e == FORBIDDEN ? "403 FORBIDDEN" : "403 EVENT_FORBIDDEN";
}

static enum expect expected(int level, int actor, bool on_a)
{
	if (level == LV_PUBLIC || level == LV_LOGIN || actor == 9)
		return ALLOWED;
	if (level == LV_SUPER)
		return FORBIDDEN;
	if (!on_a)
		return EVENT_FORBIDDEN;
	return actor >= level ? ALLOWED : FORBIDDEN;
}

/* Throwaway objects of this test. */
static long long tw_event, tw_admin;

/* The request path of a row: {id} per target, other parameters nothing. */
static char *concrete(const struct row *row, long long event_id)
{
	char out[512];
	size_t j = 0;
	long long id = row->target == T_TW_EVENT   ? tw_event
	               : row->target == T_TW_ADMIN ? tw_admin
	                                           : event_id;

	for (const char *s = row->path; *s && j + 24 < sizeof(out); s++) {
		if (*s == '{') {
			const char *e = strchr(s, '}');
			bool is_id = e && (size_t)(e - s) == 3 && strncmp(s, "{id}", 4) == 0;
			j += (size_t)snprintf(out + j, sizeof(out) - j, "%lld",
			                      is_id ? id : 999999999LL);
			s = e ? e : s;
			continue;
		}
		out[j++] = *s;
	}
	out[j] = '\0';
	return strf("%s", out);
}

static char *concrete_body(const struct row *row, long long event_id)
{
	const char *b = row->body, *at;
	if (row->flags & F_SETTINGS) {
		/* The settings as they are: the PUT changes nothing. */
		resp_t *r = req("GET", SUP "settings", NULL, super_tok());
		const cJSON *s = jget(r->json, "settings");
		char *out = jbody(cJSON_Duplicate(s ? s : r->json, 1));
		resp_free(r);
		return out;
	}
	if (b == NULL || (at = strstr(b, "{EVENT}")) == NULL)
		return b ? strf("%s", b) : NULL;
	return strf("%.*s%lld%s", (int)(at - b), b, event_id, at + 7);
}

static const char *actor_name(int level)
{
	switch (level) {
	case 1: return "viewer(1)";
	case 2: return "staff(2)";
	case 3: return "manager(3)";
	default: return "super(9)";
	}
}

static void check_call(struct report *rep, const struct row *row, int actor, bool on_a,
                       long long ev, int level)
{
	const struct actor *a = fx_actor(actor);
	struct sess *fresh = NULL;
	const char *tok = a->s->token;
	const char *path = concrete(row, ev);
	char *body = concrete_body(row, ev);
	enum expect want = expected(level, actor, on_a);
	resp_t *r;
	const char *code;

	if (row->flags & F_FRESH) {
		fresh = login(actor == 9 ? "super-admin" : "admin", a->username, a->password);
		if (fresh == NULL) {
			note(rep, "%s %s as %s: could not log in for a fresh session", row->method,
			     path, actor_name(actor));
			return;
		}
		tok = fresh->token;
	}
	r = req(row->method, path, body, tok);
	code = err_code(r);
	if (getenv("ITEST_VERBOSE"))
		fprintf(stderr, "permissions: %-6s %-48s %-10s %s -> %ld %s\n", row->method, path,
		        actor_name(actor), on_a ? "A" : "B", r->status, code);
	switch (want) {
	case ALLOWED:
		if (r->status == 401 || r->status == 403 || r->status == 0 || r->status >= 500)
			note(rep, "%s %s as %s on %s: want allowed, got %ld %s", row->method, path,
			     actor_name(actor), on_a ? "A" : "B", r->status, code);
		break;
	case FORBIDDEN:
	case EVENT_FORBIDDEN: {
		const char *wc = want == FORBIDDEN ? "FORBIDDEN" : "EVENT_FORBIDDEN";
		if (r->status != 403 || strcmp(code, wc) != 0)
			note(rep, "%s %s as %s on %s: want %s, got %ld %s", row->method, path,
			     actor_name(actor), on_a ? "A" : "B", expect_name(want), r->status,
			     code);
		break;
	}
	}
	resp_free(r);
	sess_free(fresh);
}

START_TEST(matrix_calls)
{
	const struct fixture *f = fx();
	static const int actors[] = {1, 2, 3, 9};
	struct report rep = {0};
	char skipped[4096] = "";
	int n_skipped = 0, n_calls = 0;

	load_tables();
	tw_event = mk_event(uniq_code("tw"), false);
	tw_admin = mk_admin(uniq_user("tw"), "throwaway-pass-1");

	for (size_t i = 0; i < N_ROWS; i++) {
		const struct row *row = &matrix[i];
		const struct troute *t = served(row);
		int level;
		bool per_event;

		if (t == NULL) {
			n_skipped++;
			if (strlen(skipped) + 80 < sizeof(skipped))
				snprintf(skipped + strlen(skipped),
				         sizeof(skipped) - strlen(skipped), " %s %s;", row->method,
				         row->path);
			continue;
		}
		level = row->level == LV_TABLE ? t->level : row->level;

		/* No token: 401 on everything but the public routes. */
		if (level != LV_PUBLIC) {
			resp_t *r = req(row->method, concrete(row, f->ev_a),
			                concrete_body(row, f->ev_a), NULL);
			if (r->status != 401 || strcmp(err_code(r), "UNAUTHENTICATED") != 0)
				note(&rep,
				     "%s %s without a token: want 401 UNAUTHENTICATED, got %ld %s",
				     row->method, r->path, r->status, err_code(r));
			resp_free(r);
			n_calls++;
		}
		/* Event A and B matter where {id} is an event. */
		per_event = row->target == T_EVENT && (strstr(row->path, "{id}") != NULL ||
		                                       (row->body && strstr(row->body, "{EVENT}")));
		for (size_t k = 0; k < sizeof(actors) / sizeof(actors[0]); k++) {
			check_call(&rep, row, actors[k], true, f->ev_a, level);
			n_calls++;
			if (per_event) {
				check_call(&rep, row, actors[k], false, f->ev_b, level);
				n_calls++;
			}
		}
	}
	if (n_skipped)
		fprintf(stderr, "permissions: %d contract route(s) not served yet:%s\n", n_skipped,
		        skipped);
	ck_assert_msg(n_calls > 0, "no call made");
	finish(&rep, "permission matrix");
}
END_TEST

/* The fixtures survived the matrix. */
START_TEST(fixtures_intact)
{
	const struct fixture *f = fx();
	for (int lv = 1; lv <= 3; lv++) {
		resp_t *r = req("GET", "/fcgi/admin/me", NULL, fx_actor(lv)->s->token);
		ASSERT_STATUS(r, 200);
		ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "admin.events")), 1);
		ck_assert_int_eq(jint(r, "admin.events.0.level"), lv);
		resp_free(r);
	}
	{
		resp_t *r = req("GET", strf("/fcgi/public/events/%s", f->code_a), NULL, NULL);
		ASSERT_STATUS(r, 200);
		resp_free(r);
		r = req("GET", strf("/fcgi/public/events/%s", f->code_b), NULL, NULL);
		ASSERT_STATUS(r, 200);
		resp_free(r);
	}
}
END_TEST

static Suite *permissions_suite(void)
{
	Suite *s = suite_create("permissions");
	TCase *tc = tcase_new("permissions");

	tcase_add_test(tc, matrix_complete);
	tcase_add_test(tc, matrix_calls);
	tcase_add_test(tc, fixtures_intact);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("permissions", permissions_suite, true)
