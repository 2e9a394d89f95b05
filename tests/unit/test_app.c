/*
 * test_app.c — the dispatcher's order of checks, driven without FastCGI:
 * limits → route (404/405) → content type (415) → authentication (401) →
 * handler; and health naming the dependency that is down (503).
 */
#include "account.h"
#include "app.h"
#include "config.h"
#include "unit.h"

static struct arena *A;
static struct http_req R;
static int handled;

static void h_ok(struct http_req *r)
{
	handled++;
	http_reply(r, 200, "text/plain", "ok", 2);
}

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "things/{id}", h_ok, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "things", h_ok, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "secret", h_ok, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "events/{id}/stuff", h_ok, PERM_MANAGER, SCOPE_PATH_ID},
};

static const struct app_family fam = {
    .name = "unit",
    .prefix = "/fcgi/unit/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .principal_or_reply = account_principal_or_reply,
};

static void setup(void)
{
	A = arena_new();
	handled = 0;
	setenv("TICKET_JWT_SECRET", "unit-test-secret-0123456789", 1);
	ck_assert_int_eq(config_load(), CONFIG_OK);
}

static void teardown(void)
{
	arena_free(A);
}

static void request_to(const struct app_family *f, const char *method, const char *uri,
                       const char *ctype, const char *body);

static void request(const char *method, const char *uri, const char *ctype, const char *body)
{
	request_to(&fam, method, uri, ctype, body);
}

static void request_to(const struct app_family *f, const char *method, const char *uri,
                       const char *ctype, const char *body)
{
	struct unit_body *b = arena_alloc(A, sizeof(*b));
	char **env = unit_env(A, arena_printf(A, "REQUEST_METHOD=%s", method),
	                      arena_printf(A, "REQUEST_URI=%s", uri),
	                      arena_printf(A, "CONTENT_LENGTH=%zu", body ? strlen(body) : 0),
	                      ctype ? arena_printf(A, "CONTENT_TYPE=%s", ctype) : "X_NONE=1", NULL);
	b->data = body ? body : "";
	b->len = body ? strlen(body) : 0;
	http_parse(&R, A, env, "/fcgi/unit/", unit_read, b);
	app_dispatch(f, &R);
}

static const char *code(void)
{
	const cJSON *j = unit_reply_json(&R);
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code"));
}

START_TEST(order_of_checks)
{
	static const struct {
		const char *method, *uri, *ctype, *body;
		int status;
		const char *code;
		int handled;
	} cases[] = {
	    {"GET", "/fcgi/unit/things/7", NULL, NULL, 200, NULL, 1},
	    {"HEAD", "/fcgi/unit/things/7", NULL, NULL, 200, NULL, 1},
	    {"GET", "/fcgi/unit/nothing", NULL, NULL, 404, "NOT_FOUND", 0},
	    {"DELETE", "/fcgi/unit/things/7", NULL, NULL, 405, "METHOD_NOT_ALLOWED", 0},
	    {"POST", "/fcgi/unit/things", "application/json", "{}", 200, NULL, 1},
	    {"POST", "/fcgi/unit/things", "text/plain", "{}", 415, "UNSUPPORTED_MEDIA_TYPE", 0},
	    {"POST", "/fcgi/unit/things", NULL, NULL, 200, NULL, 1}, /* no body, no type needed */
	    {"GET", "/fcgi/unit/things/%00", NULL, NULL, 400, "BAD_REQUEST", 0},
	    {"GET", "/fcgi/unit/secret", NULL, NULL, 401, "UNAUTHENTICATED", 0},
	    /* Authentication comes before the event id is even looked at. */
	    {"GET", "/fcgi/unit/events/1/stuff", NULL, NULL, 401, "UNAUTHENTICATED", 0},
	    {"GET", "/fcgi/unit/events/x/stuff", NULL, NULL, 401, "UNAUTHENTICATED", 0},
	};

	for (size_t i = 0; i < TK_ARRAY_LEN(cases); i++) {
		handled = 0;
		arena_reset(A);
		request(cases[i].method, cases[i].uri, cases[i].ctype, cases[i].body);
		ck_assert_msg(R.status == cases[i].status, "%s %s: status %d, want %d",
		              cases[i].method, cases[i].uri, R.status, cases[i].status);
		ck_assert_int_eq(handled, cases[i].handled);
		if (cases[i].code)
			ck_assert_str_eq(code(), cases[i].code);
	}
}
END_TEST

START_TEST(method_not_allowed_lists_allow)
{
	request("PUT", "/fcgi/unit/things", "application/json", "{}");
	ck_assert_int_eq(R.status, 405);
	ck_assert_ptr_nonnull(strstr(unit_written(&R), "Allow: POST\r\n"));
}
END_TEST

/* The dispatcher asks the family who is calling; it knows no account module. */
static int loader_calls;
static bool refuse_everyone(struct http_req *r)
{
	loader_calls++;
	http_reply_error(r, "FORBIDDEN", NULL);
	return false;
}

START_TEST(principal_comes_from_the_family)
{
	struct app_family mine = fam, none = fam;

	mine.principal_or_reply = refuse_everyone;
	none.principal_or_reply = NULL;
	loader_calls = 0;
	request_to(&mine, "GET", "/fcgi/unit/things/7", NULL, NULL);
	ck_assert_int_eq(R.status, 200);
	ck_assert_int_eq(loader_calls, 0); /* public routes never ask */
	handled = 0;
	arena_reset(A);
	request_to(&mine, "GET", "/fcgi/unit/secret", NULL, NULL);
	ck_assert_int_eq(loader_calls, 1);
	ck_assert_int_eq(R.status, 403);
	ck_assert_int_eq(handled, 0);
	/* A guarded route in a family without a loader is a table bug: never served. */
	arena_reset(A);
	request_to(&none, "GET", "/fcgi/unit/secret", NULL, NULL);
	ck_assert_int_eq(R.status, 500);
	ck_assert_str_eq(code(), "INTERNAL");
	ck_assert_int_eq(handled, 0);
}
END_TEST

/* With nothing to connect to, health answers 503 and names both parts. */
START_TEST(health_names_what_is_down)
{
	db_init("host=/nonexistent-dir dbname=none connect_timeout=1");
	kv_init("/nonexistent-dir/redis.sock");
	request("GET", "/fcgi/unit/health", NULL, NULL);
	ck_assert_int_eq(R.status, 503);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(unit_reply_json(&R), "db")),
	                 "down");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(unit_reply_json(&R), "redis")),
	                 "down");
	ck_assert_str_eq(code(), "UNAVAILABLE");
	db_close();
	kv_close();
}
END_TEST

static Suite *app_suite(void)
{
	Suite *s = suite_create("app");
	TCase *tc = tcase_create("dispatch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, order_of_checks);
	tcase_add_test(tc, method_not_allowed_lists_allow);
	tcase_add_test(tc, principal_comes_from_the_family);
	tcase_add_test(tc, health_names_what_is_down);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(app_suite());
}
