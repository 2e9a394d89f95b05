/* router.c — pattern matching with {name} path parameters. */
#include "router.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern against a path; fills params when out is non-NULL. */
static bool match(const char *pat, const char *path, struct http_req *out)
{
	size_t np = 0;
	const char *names[TK_MAX_PATH_PARAMS], *values[TK_MAX_PATH_PARAMS];

	for (;;) {
		const char *pe = strchr(pat, '/');
		const char *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t sl = se ? (size_t)(se - path) : strlen(path);

		if (sl > TK_MAX_SEGMENT)
			return false;
		if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			if (sl == 0 || np == TK_MAX_PATH_PARAMS)
				return false;
			if (out) {
				names[np] = arena_strndup(out->arena, pat + 1, pl - 2);
				values[np] = arena_strndup(out->arena, path, sl);
			}
			np++;
		} else if (pl != sl || strncmp(pat, path, pl) != 0) {
			return false;
		}
		if ((pe == NULL) != (se == NULL))
			return false;
		if (pe == NULL)
			break;
		pat = pe + 1;
		path = se + 1;
	}
	if (out) {
		for (size_t i = 0; i < np; i++) {
			out->param_names[i] = names[i];
			out->param_values[i] = values[i];
		}
		out->n_params = np;
	}
	return true;
}

enum router_result router_match(const struct route *routes, size_t n, struct http_req *r,
                                char *allow, size_t allow_len)
{
	bool path_matched = false;
	enum http_method m = r->method == HTTP_HEAD ? HTTP_GET : r->method;

	if (allow_len)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, r->route_path, NULL))
			continue;
		if (routes[i].method == m) {
			match(routes[i].pattern, r->route_path, r);
			r->route = &routes[i];
			return ROUTER_FOUND;
		}
		path_matched = true;
		if (allow_len && !strstr(allow, http_method_name(routes[i].method))) {
			size_t used = strlen(allow);
			snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "",
			         http_method_name(routes[i].method));
		}
	}
	return path_matched ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

/* A pattern is segments of [a-z0-9_.-] or a whole {name}; no empty segment. */
static bool pattern_ok(const char *p)
{
	if (*p == '\0' || *p == '/')
		return false;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return false;
		if (p[0] == '{') {
			if (n < 3 || p[n - 1] != '}')
				return false;
			for (size_t i = 1; i + 1 < n; i++)
				if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '_'))
					return false;
		} else {
			for (size_t i = 0; i < n; i++)
				if (!((p[i] >= 'a' && p[i] <= 'z') ||
				      (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-' ||
				      p[i] == '.' || p[i] == '{' || p[i] == '}') ||
				    p[i] == '{' || p[i] == '}')
					return false;
		}
		if (e == NULL)
			return true;
		p = e + 1;
	}
}

bool router_check_table(const struct route *routes, size_t n)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		const struct route *rt = &routes[i];
		int lv = rt->level;
		if (rt->handler == NULL || rt->pattern == NULL || !pattern_ok(rt->pattern)) {
			fprintf(stderr, "route %zu: missing handler or malformed pattern\n", i);
			ok = false;
			continue;
		}
		if (lv >= PERM_VIEWER && lv < PERM_SUPER && rt->scope == SCOPE_NONE) {
			fprintf(stderr, "route %s %s: event level without a scope\n",
			        http_method_name(rt->method), rt->pattern);
			ok = false;
		}
		if (rt->scope == SCOPE_PATH_ID && strstr(rt->pattern, "{id}") == NULL) {
			fprintf(stderr, "route %s %s: SCOPE_PATH_ID without {id}\n",
			        http_method_name(rt->method), rt->pattern);
			ok = false;
		}
		for (size_t j = 0; j < i; j++)
			if (routes[j].method == rt->method &&
			    strcmp(routes[j].pattern, rt->pattern) == 0) {
				fprintf(stderr, "route %s %s: duplicate\n",
				        http_method_name(rt->method), rt->pattern);
				ok = false;
			}
	}
	return ok;
}
