/*
 * t_openapi.c — public/openapi.json documents every route of every family:
 * each "METHOD /fcgi/<family>/pattern" of `<build>/<family> --routes`
 * appears under paths (parameters compared by position, not by name) with
 * that method.
 */
#include "client.h"
#include "routes.h"
#include "suite.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MISSING_MAX 16384

static cJSON *load_openapi(char *path, size_t len)
{
	const char *root = getenv("TICKET_ROOT");
	FILE *f;
	long n;
	char *text;
	cJSON *doc;

	snprintf(path, len, "%s/public/openapi.json", root && *root ? root : ".");
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: cannot open (TICKET_ROOT=%s)", path, root ? root : "");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)n + 1);
	ck_assert(text != NULL);
	ck_assert_msg(fread(text, 1, (size_t)n, f) == (size_t)n, "%s: short read", path);
	text[n] = '\0';
	fclose(f);
	doc = cJSON_ParseWithLength(text, (size_t)n);
	ck_assert_msg(doc != NULL, "%s: not valid JSON (near: %.60s)", path,
	              cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "?");
	free(text);
	return doc;
}

/* The path item of doc.paths whose shape equals the route's, or NULL. */
static const cJSON *find_path(const cJSON *paths, const char *route_path)
{
	char want[512], have[512];
	const cJSON *p;

	routes_shape(route_path, want, sizeof(want));
	cJSON_ArrayForEach(p, paths)
	{
		routes_shape(p->string, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return p;
	}
	return NULL;
}

START_TEST(document_shape)
{
	char path[1024];
	cJSON *doc = load_openapi(path, sizeof(path));
	const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "openapi"));

	ck_assert_msg(ver && strncmp(ver, "3.1", 3) == 0, "%s: openapi is %s, want 3.1.x", path,
	              ver ? ver : "(missing)");
	ck_assert_msg(cJSON_IsObject(jget(doc, "info")) &&
	                  cJSON_IsString(jget(doc, "info.title")) &&
	                  cJSON_IsString(jget(doc, "info.version")),
	              "%s: info.title and info.version are required", path);
	ck_assert_msg(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "paths")),
	              "%s: no paths", path);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(every_route_documented)
{
	char path[1024], err[1400];
	cJSON *doc = load_openapi(path, sizeof(path));
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
	char *missing = calloc(1, MISSING_MAX);
	size_t used = 0;
	int n_missing = 0, n_routes = 0;

	ck_assert(missing != NULL);
	ck_assert_msg(cJSON_IsObject(paths), "%s: no paths object", path);
	for (size_t f = 0; f < routes_n_families; f++) {
		struct troute *rt;
		int n = routes_load(routes_families[f], &rt, err, sizeof(err));
		ck_assert_msg(n > 0, "%s", err);
		for (int i = 0; i < n; i++) {
			const cJSON *item = find_path(paths, rt[i].path);
			char method[12];
			size_t k;

			for (k = 0; rt[i].method[k] && k + 1 < sizeof(method); k++)
				method[k] = (char)tolower((unsigned char)rt[i].method[k]);
			method[k] = '\0';
			n_routes++;
			if (item && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(item, method)))
				continue;
			n_missing++;
			if (used + 300 < MISSING_MAX)
				used += (size_t)snprintf(
				    missing + used, MISSING_MAX - used, "\n  %s %s%s", rt[i].method,
				    rt[i].path, item ? " (path present, method missing)" : "");
		}
		free(rt);
	}
	cJSON_Delete(doc);
	if (n_missing) {
		char msg[MISSING_MAX + 200];
		snprintf(msg, sizeof(msg), "%s: %d of %d routes undocumented:%s", path, n_missing,
		         n_routes, missing);
		free(missing);
		ck_abort_msg("%s", msg);
	}
	free(missing);
}
END_TEST

static Suite *openapi_suite(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_new("openapi");

	tcase_add_test(tc, document_shape);
	tcase_add_test(tc, every_route_documented);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("openapi", openapi_suite, false)
