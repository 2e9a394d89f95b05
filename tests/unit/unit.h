/*
 * unit.h — helpers shared by the Check unit tests (tests/unit/test_*.c).
 *
 * Requests are built the way the worker builds them: an envp array of
 * FastCGI parameters and a body reader, both living in the test's arena.
 *
 * Tests named known_bug_* assert what lib/ documents but does not do yet;
 * each carries a comment naming the function and the fix. They fail until
 * lib/ is fixed.
 */
#ifndef UNIT_H
#define UNIT_H

#include "arena.h"
#include "http.h"
#include "log.h"

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Runs a suite; the exit status of the test binary. CK_FORK=no (valgrind)
 * runs every test in this process. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	log_init("unit");
	log_set_level(LOG_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* True unless CK_FORK=no: tests that end in a signal (abort on a broken
 * rule) can only run in a child process. */
static inline bool unit_forking(void)
{
	const char *e = getenv("CK_FORK");
	return e == NULL || strcmp(e, "no") != 0;
}

/* A NULL-terminated envp array of the NULL-terminated list of "NAME=value"
 * strings, copied into a. */
static inline char **unit_envv(struct arena *a, va_list ap)
{
	va_list ap2;
	size_t n = 0, i = 0;
	char **env;

	va_copy(ap2, ap);
	while (va_arg(ap2, const char *) != NULL)
		n++;
	va_end(ap2);
	env = arena_calloc(a, n + 1, sizeof(*env));
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		env[i++] = arena_strdup(a, s);
	return env;
}

static inline __attribute__((sentinel)) char **unit_env(struct arena *a, ...)
{
	va_list ap;
	char **env;

	va_start(ap, a);
	env = unit_envv(a, ap);
	va_end(ap);
	return env;
}

/* A body reader over data[0..len) handing out at most chunk bytes per call
 * (0: all that is asked for); calls counts the reads. */
struct unit_body {
	const char *data;
	size_t len, pos, chunk;
	long calls;
};

static inline long unit_read(void *ctx, char *buf, size_t len)
{
	struct unit_body *b = ctx;
	size_t n = b->len - b->pos;

	b->calls++;
	if (n > len)
		n = len;
	if (b->chunk && n > b->chunk)
		n = b->chunk;
	memcpy(buf, b->data + b->pos, n);
	b->pos += n;
	return (long)n;
}

/* Parses a request with prefix "/fcgi/test/", body data[0..len) (the
 * CONTENT_LENGTH parameter is whatever the env list says) and the env list.
 * Returns the body reader so tests can see how much was consumed. */
static inline __attribute__((sentinel)) struct unit_body *
unit_parse(struct http_req *r, struct arena *a, const char *data, size_t len, ...)
{
	struct unit_body *b = arena_alloc(a, sizeof(*b));
	va_list ap;
	char **env;

	va_start(ap, len);
	env = unit_envv(a, ap);
	va_end(ap);
	b->data = data ? data : "";
	b->len = data ? len : 0;
	http_parse(r, a, env, "/fcgi/test/", unit_read, b);
	return b;
}

/* A POST of a JSON text (Content-Type application/json, the right
 * Content-Length), parsed. */
static inline void unit_json_request(struct http_req *r, struct arena *a, const char *json,
                                     const char *lang)
{
	size_t len = strlen(json);
	unit_parse(r, a, json, len, "REQUEST_METHOD=POST", "REQUEST_URI=/fcgi/test/x",
	           "CONTENT_TYPE=application/json", arena_printf(a, "CONTENT_LENGTH=%zu", len),
	           arena_printf(a, "HTTP_ACCEPT_LANGUAGE=%s", lang ? lang : "ko"), NULL);
}

/* Collects what http_write writes, NUL-terminated, in an arena. */
struct unit_out {
	struct arena *a;
	char *data;
	size_t len, cap;
};

static inline void unit_write(void *ctx, const char *data, size_t len)
{
	struct unit_out *o = ctx;
	if (o->len + len + 1 > o->cap) {
		size_t cap = (o->len + len + 1) * 2;
		char *p = arena_alloc(o->a, cap);
		if (o->len)
			memcpy(p, o->data, o->len);
		o->data = p;
		o->cap = cap;
	}
	memcpy(o->data + o->len, data, len);
	o->len += len;
	o->data[o->len] = '\0';
}

/* The reply as written on the wire. */
static inline const char *unit_written(struct http_req *r)
{
	struct unit_out *o = arena_alloc(r->arena, sizeof(*o));
	o->a = r->arena;
	http_write(r, unit_write, o);
	return o->data ? o->data : "";
}

/* The reply body parsed as JSON (owned by the request), or NULL. */
static inline const cJSON *unit_reply_json(struct http_req *r)
{
	if (r->out_body == NULL)
		return NULL;
	return http_own(r, cJSON_ParseWithLength(r->out_body, r->out_len));
}

/* error.code / error.message of an error reply, or NULL. */
static inline const char *unit_error_field(struct http_req *r, const char *name)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(unit_reply_json(r), "error");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(err, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#endif
