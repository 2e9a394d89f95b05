/*
 * t_health.c — every family answers health; the envelope, request ids,
 * 404/405 and the security headers every answer carries.
 */
#include "client.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const families[] = {"public", "payment", "admin", "super-admin", "entrance"};
#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

/* Headers every answer of the API carries, error or not. */
static void assert_common_headers(const resp_t *r)
{
	const char *nosniff = resp_header(r, "X-Content-Type-Options");
	const char *xfo = resp_header(r, "X-Frame-Options");
	const char *csp = resp_header(r, "Content-Security-Policy");

	ck_assert_msg(r->request_id && *r->request_id, "%s %s: no X-Request-ID", r->method,
	              r->path);
	ck_assert_msg(r->n_request_id == 1, "%s %s: %d X-Request-ID headers, want exactly one",
	              r->method, r->path, r->n_request_id);
	ck_assert_msg(nosniff && strcasecmp(nosniff, "nosniff") == 0,
	              "%s %s: X-Content-Type-Options %s", r->method, r->path,
	              nosniff ? nosniff : "missing");
	ck_assert_msg(xfo && (strcasecmp(xfo, "DENY") == 0 || strcasecmp(xfo, "SAMEORIGIN") == 0),
	              "%s %s: X-Frame-Options %s", r->method, r->path, xfo ? xfo : "missing");
	ck_assert_msg(csp && *csp, "%s %s: no Content-Security-Policy", r->method, r->path);
}

/* An error envelope whose request_id is the X-Request-ID header. */
static void assert_envelope(const resp_t *r, long status, const char *code)
{
	const char *rid = jstr(r, "request_id");
	const char *msg = jstr(r, "error.message");

	ASSERT_ERROR(r, status, code);
	ck_assert_msg(r->content_type && strncmp(r->content_type, "application/json", 16) == 0,
	              "%s %s: Content-Type %s", r->method, r->path,
	              r->content_type ? r->content_type : "missing");
	ck_assert_msg(msg && *msg, "%s %s: no error.message", r->method, r->path);
	ck_assert_msg(rid && r->request_id && strcmp(rid, r->request_id) == 0,
	              "%s %s: body request_id %s != X-Request-ID %s", r->method, r->path,
	              rid ? rid : "(none)", r->request_id ? r->request_id : "(none)");
	assert_common_headers(r);
}

START_TEST(health_every_family)
{
	for (size_t i = 0; i < N_FAMILIES; i++) {
		resp_t *r = req("GET", strf("/fcgi/%s/health", families[i]), NULL, NULL);
		const char *version = jstr(r, "version");

		ASSERT_STATUS(r, 200);
		ck_assert_msg(
		    r->content_type && strncmp(r->content_type, "application/json", 16) == 0,
		    "%s: Content-Type %s", r->path, r->content_type ? r->content_type : "none");
		ck_assert_msg(jstr(r, "status") && strcmp(jstr(r, "status"), "ok") == 0, "%s: %s",
		              r->path, resp_snippet(r));
		ck_assert_msg(jstr(r, "db") && strcmp(jstr(r, "db"), "ok") == 0, "%s: %s", r->path,
		              resp_snippet(r));
		ck_assert_msg(jstr(r, "redis") && strcmp(jstr(r, "redis"), "ok") == 0, "%s: %s",
		              r->path, resp_snippet(r));
		ck_assert_msg(version && *version, "%s: no version: %s", r->path, resp_snippet(r));
		assert_common_headers(r);
		resp_free(r);
	}
}
END_TEST

START_TEST(health_head)
{
	resp_t *r = req("HEAD", "/fcgi/public/health", NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(r->body_len == 0, "HEAD answered a body of %zu bytes", r->body_len);
	assert_common_headers(r);
	resp_free(r);
}
END_TEST

START_TEST(request_ids_unique)
{
	resp_t *a = req("GET", "/fcgi/public/health", NULL, NULL);
	resp_t *b = req("GET", "/fcgi/public/health", NULL, NULL);
	ck_assert_msg(a->request_id && b->request_id && strcmp(a->request_id, b->request_id) != 0,
	              "two requests share X-Request-ID %s",
	              a->request_id ? a->request_id : "(none)");
	resp_free(a);
	resp_free(b);
}
END_TEST

START_TEST(unknown_route_404)
{
	static const char *const paths[] = {"no-such-route", "health/extra", "events", "Health"};
	for (size_t i = 0; i < N_FAMILIES; i++) {
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
			resp_t *r = req("GET", strf("/fcgi/%s/%s", families[i], paths[j]), NULL,
			                NULL);
			/* "events" is a real route in some families (a list); skip those. */
			if (strcmp(paths[j], "events") == 0 && r->status != 404) {
				resp_free(r);
				continue;
			}
			assert_envelope(r, 404, "NOT_FOUND");
			resp_free(r);
		}
	}
}
END_TEST

START_TEST(unknown_family_404)
{
	/* Under /fcgi/ but no family: nginx answers, in the API's envelope too. */
	resp_t *r = req("GET", "/fcgi/no-such-family/health", NULL, NULL);
	ck_assert_msg(r->status == 404, "%s: %ld", r->path, r->status);
	ck_assert_msg(r->request_id && *r->request_id, "%s: no X-Request-ID", r->path);
	ck_assert_msg(strcmp(err_code(r), "NOT_FOUND") == 0,
	              "%s: want the JSON error envelope with NOT_FOUND, got %s", r->path,
	              resp_snippet(r));
	resp_free(r);
}
END_TEST

START_TEST(wrong_method_405)
{
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
	    {"DELETE", "/fcgi/public/health", "GET"},   {"POST", "/fcgi/payment/health", "GET"},
	    {"PUT", "/fcgi/admin/health", "GET"},       {"POST", "/fcgi/admin/me", "GET"},
	    {"GET", "/fcgi/admin/login", "POST"},       {"GET", "/fcgi/super-admin/login", "POST"},
	    {"DELETE", "/fcgi/entrance/login", "POST"}, {"PATCH", "/fcgi/super-admin/me", "GET"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		resp_t *r = req(cases[i].method, cases[i].path, NULL, NULL);
		assert_envelope(r, 405, "METHOD_NOT_ALLOWED");
		ck_assert_msg(r->allow && strstr(r->allow, cases[i].allow),
		              "%s %s: Allow %s, want it to list %s", r->method, r->path,
		              r->allow ? r->allow : "missing", cases[i].allow);
		resp_free(r);
	}
}
END_TEST

START_TEST(errors_carry_request_id)
{
	/* 401 from the dispatcher and 400 from the parser, too. */
	resp_t *r = req("GET", "/fcgi/admin/me", NULL, NULL);
	assert_envelope(r, 401, "UNAUTHENTICATED");
	resp_free(r);
	r = req("POST", "/fcgi/admin/login", "{not json", NULL);
	assert_envelope(r, 400, "INVALID_JSON");
	resp_free(r);
}
END_TEST

/* Whether the family log holds a line with all of needles. */
static bool log_has(const char *file, const char *const *needles, size_t n)
{
	FILE *f = fopen(file, "r");
	char line[8192];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		size_t k = 0;
		while (k < n && strstr(line, needles[k]))
			k++;
		found = k == n;
	}
	fclose(f);
	return found;
}

START_TEST(requests_logged_with_their_id)
{
	/* The X-Request-ID is how an answer is found in the logs: the worker's
	 * request line must carry it, and the method, intact. */
	const char *dir = getenv("TICKET_LOG_DIR");
	const char *file;

	if (dir == NULL || *dir == '\0')
		return; /* not against a stack of tools/stack.sh: nothing to read */
	file = strf("%s/public.log", dir);
	for (int i = 0; i < 5; i++) {
		resp_t *r = req(i % 2 ? "POST" : "GET", "/fcgi/public/health", NULL, NULL);
		const char *needles[] = {
		    strf("\"request_id\":\"%s\"", r->request_id ? r->request_id : "?"),
		    strf("\"method\":\"%s\"", r->method), "\"event\":\"request\"",
		    strf("\"status\":\"%ld\"", r->status)};
		bool found = false;
		for (int t = 0; t < 20 && !found; t++) {
			found = log_has(file, needles, sizeof(needles) / sizeof(needles[0]));
			if (!found)
				usleep(50 * 1000);
		}
		ck_assert_msg(found,
		              "%s: no request line with request_id %s, method %s, status %ld", file,
		              r->request_id ? r->request_id : "?", r->method, r->status);
		resp_free(r);
	}
}
END_TEST

static Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_new("health");

	tcase_add_test(tc, health_every_family);
	tcase_add_test(tc, health_head);
	tcase_add_test(tc, request_ids_unique);
	tcase_add_test(tc, unknown_route_404);
	tcase_add_test(tc, unknown_family_404);
	tcase_add_test(tc, wrong_method_405);
	tcase_add_test(tc, errors_carry_request_id);
	tcase_add_test(tc, requests_logged_with_their_id);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("health", health_suite, false)
