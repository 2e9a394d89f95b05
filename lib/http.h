/*
 * http.h — one HTTP request as a FastCGI worker sees it, and its reply.
 *
 * The request is parsed from the FastCGI parameters (an envp-style array of
 * "NAME=value" strings) and a body reader, so tests can build requests
 * without a FastCGI connection. Every size from outside is checked against
 * the limits of tk.h; a violation is recorded in parse_error and the
 * dispatcher answers it (400/413) before any handler runs.
 *
 * Everything a request allocates lives in its arena. The reply is buffered
 * in the request and written once at the end (http_write).
 */
#ifndef HTTP_H
#define HTTP_H

#include "arena.h"
#include "msg.h"
#include "tk.h"

#include <cjson/cJSON.h>

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_OTHER,
	HTTP_METHOD__MAX
};

struct http_pair {
	const char *name;
	const char *value;
};

struct route;
struct principal;

struct http_req {
	struct arena *arena;
	char **env; /* FastCGI parameters, NAME=value */

	enum http_method method;
	const char *method_name;
	const char *path;       /* decoded, e.g. /fcgi/public/events/aaa */
	const char *route_path; /* path after the family prefix: events/aaa */
	const char *query_string;
	struct http_pair *query;
	size_t n_query;
	struct http_pair *cookies;
	size_t n_cookies;
	const char *content_type;
	const char *body; /* NUL-terminated copy, body_len bytes */
	size_t body_len;
	const char *remote_addr;
	const char *user_agent;
	const char *request_id;
	enum msg_lang lang;
	int64_t started_ms;

	/* Set by http_parse when the request broke a limit or is malformed:
	 * an error code of msg.h ("TOO_LARGE", "BAD_REQUEST") or NULL. */
	const char *parse_error;
	const char *parse_error_detail;

	/* Routing. */
	const struct route *route;
	const char *param_names[TK_MAX_PATH_PARAMS];
	const char *param_values[TK_MAX_PATH_PARAMS];
	size_t n_params;

	/* Authentication (set by the dispatcher for routes that need it). */
	const struct principal *principal;
	int64_t event_id; /* the event an event-scoped route is about, else 0 */

	/* Parsed JSON body, owned by the arena; NULL until json_body(). */
	cJSON *json;
	/* The stable reason code of each field error reported so far
	 * (json_field_error), sent as details.reasons beside details.fields;
	 * owned by the arena, NULL until the first. */
	cJSON *field_reasons;

	/* The reply. */
	int status;
	bool replied;
	const char *error_code; /* for the log when an error was answered */
	struct http_pair *out_headers;
	size_t n_out_headers, cap_out_headers;
	const char *out_type;
	const char *out_body;
	size_t out_len;

	/* Work a handler leaves for after the reply has gone (the worker runs
	 * it before taking the next request), with its arguments. */
	void (*after)(struct http_req *r);
	int64_t after_id, after_arg[2];
};

/* Reads up to len bytes of body into buf; returns bytes read, 0 at end,
 * negative on error. */
typedef long (*http_read_fn)(void *ctx, char *buf, size_t len);
/* Writes len bytes of the reply. */
typedef void (*http_write_fn)(void *ctx, const char *data, size_t len);

/* Parses the request from env (NULL-terminated) and the body reader. The
 * prefix (e.g. "/fcgi/public/") is stripped to give route_path. Never fails:
 * limit violations are recorded in r->parse_error. */
void http_parse(struct http_req *r, struct arena *a, char **env, const char *prefix,
                http_read_fn read, void *read_ctx);

/* A FastCGI parameter by name ("HTTP_AUTHORIZATION", "CONTENT_TYPE"); NULL
 * when absent. */
const char *http_env(const struct http_req *r, const char *name);

/* A request header by its HTTP name ("Authorization", "X-CSRF-Token"). */
const char *http_header(const struct http_req *r, const char *name);

/* A decoded query parameter (first occurrence) or NULL. */
const char *http_query(const struct http_req *r, const char *name);

/* A cookie value or NULL. */
const char *http_cookie(const struct http_req *r, const char *name);

/* A path parameter of the matched route ({name}) or NULL. */
const char *http_param(const struct http_req *r, const char *name);

/* The path parameter as a positive id; false when it is not one. */
bool http_param_id(const struct http_req *r, const char *name, int64_t *out);

/* Name of a method, and a method from its name. */
const char *http_method_name(enum http_method m);
enum http_method http_method_parse(const char *s);

/* True when the request's Content-Type is application/json (any charset). */
bool http_is_json(const struct http_req *r);

/* Adds a reply header; name and value are copied. Values with CR or LF are
 * refused (dropped and logged): header injection is impossible. */
void http_add_header(struct http_req *r, const char *name, const char *value);

/* Sets the reply (status, type, body copied). Only the first reply counts;
 * later calls are ignored so a handler can never answer twice. */
void http_reply(struct http_req *r, int status, const char *type, const char *body, size_t len);

/* Replies with the JSON serialisation of obj (not freed). */
void http_reply_json(struct http_req *r, int status, const cJSON *obj);

/* Replies {"error":{"code","message","details"},"request_id"} with the code's
 * default status (msg.h) and message in the request's language. details may
 * be NULL; it is taken over (freed with the request). */
void http_reply_error(struct http_req *r, const char *code, cJSON *details);

/* As http_reply_error with an explicit status and message (NULL = default). */
void http_reply_error_full(struct http_req *r, int status, const char *code, const char *message,
                           cJSON *details);

/* 303 See Other to location (which must be a path or an absolute URL). */
void http_redirect(struct http_req *r, const char *location);

/* Writes status line, headers (security headers, X-Request-ID, the reply's
 * own) and body through write. */
void http_write(struct http_req *r, http_write_fn write, void *ctx);

/* The reason phrase of a status code. */
const char *http_status_text(int status);

/* Takes ownership of a cJSON tree: it is deleted when the request ends.
 * Returns obj. */
cJSON *http_own(struct http_req *r, cJSON *obj);

#endif
