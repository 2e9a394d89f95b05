/* http.c — request parsing with limits, and buffered replies. */
#include "http.h"

#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of an over-long body we read and discard so the connection stays
 * usable; past this the worker just stops reading. */
#define HTTP_DRAIN_MAX (2 * 1024 * 1024)

static const char *const method_names[HTTP_METHOD__MAX] = {"GET",   "HEAD",   "POST",    "PUT",
                                                           "PATCH", "DELETE", "OPTIONS", "OTHER"};

const char *http_method_name(enum http_method m)
{
	return m < HTTP_METHOD__MAX ? method_names[m] : "OTHER";
}

enum http_method http_method_parse(const char *s)
{
	for (int i = 0; i < HTTP_OTHER; i++)
		if (s && strcmp(s, method_names[i]) == 0)
			return (enum http_method)i;
	return HTTP_OTHER;
}

const char *http_env(const struct http_req *r, const char *name)
{
	size_t n = strlen(name);
	if (r->env == NULL)
		return NULL;
	for (char **e = r->env; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *http_header(const struct http_req *r, const char *name)
{
	char key[128] = "HTTP_";
	size_t n = strlen(name);
	if (n + 6 > sizeof(key))
		return NULL;
	for (size_t i = 0; i < n; i++)
		key[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[5 + n] = '\0';
	if (strcmp(key, "HTTP_CONTENT_TYPE") == 0)
		return http_env(r, "CONTENT_TYPE");
	if (strcmp(key, "HTTP_CONTENT_LENGTH") == 0)
		return http_env(r, "CONTENT_LENGTH");
	return http_env(r, key);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into the arena; '+' is a space when plus_space.
 * Returns NULL for a malformed escape, an embedded NUL or invalid UTF-8. */
static char *url_decode(struct arena *a, const char *s, size_t n, bool plus_space)
{
	char *out = arena_alloc(a, n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return NULL;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			out[j++] = ' ';
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	if (!tk_utf8_valid(out, j))
		return NULL;
	return out;
}

static void fail(struct http_req *r, const char *code, const char *detail)
{
	if (r->parse_error == NULL) {
		r->parse_error = code;
		r->parse_error_detail = detail;
	}
}

static void parse_query(struct http_req *r)
{
	const char *qs = r->query_string;
	size_t len = strlen(qs), cap = 0;

	if (len == 0)
		return;
	if (len > TK_MAX_QUERY) {
		fail(r, "BAD_REQUEST", "query string too long");
		return;
	}
	for (const char *p = qs; *p; p++)
		if (*p == '&')
			cap++;
	cap++;
	if (cap > TK_MAX_QUERY_PARAMS) {
		fail(r, "BAD_REQUEST", "too many query parameters");
		return;
	}
	r->query = arena_calloc(r->arena, cap, sizeof(*r->query));
	for (const char *p = qs; *p;) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		size_t kl = eq ? (size_t)(eq - p) : seg;
		if (seg > 0) {
			char *k = url_decode(r->arena, p, kl, true);
			char *v = eq ? url_decode(r->arena, eq + 1, seg - kl - 1, true)
			             : arena_strdup(r->arena, "");
			if (k == NULL || v == NULL) {
				fail(r, "BAD_REQUEST", "malformed query parameter");
				return;
			}
			r->query[r->n_query].name = k;
			r->query[r->n_query].value = v;
			r->n_query++;
		}
		p += seg;
		if (*p == '&')
			p++;
	}
}

static void parse_cookies(struct http_req *r)
{
	const char *h = http_env(r, "HTTP_COOKIE");
	size_t cap = 0;

	if (h == NULL)
		return;
	if (strlen(h) > TK_MAX_HEADER_VALUE) {
		fail(r, "BAD_REQUEST", "cookie header too long");
		return;
	}
	r->cookies = arena_calloc(r->arena, TK_MAX_COOKIES, sizeof(*r->cookies));
	for (const char *p = h; *p && cap < TK_MAX_COOKIES;) {
		const char *semi = strchr(p, ';');
		size_t seg = semi ? (size_t)(semi - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		while (seg > 0 && *p == ' ') {
			p++;
			seg--;
			eq = memchr(p, '=', seg);
		}
		if (eq) {
			r->cookies[cap].name = arena_strndup(r->arena, p, (size_t)(eq - p));
			r->cookies[cap].value = arena_strndup(r->arena, eq + 1,
			                                      seg - (size_t)(eq - p) - 1);
			cap++;
		}
		p += seg;
		if (*p == ';')
			p++;
	}
	r->n_cookies = cap;
}

static void read_body(struct http_req *r, http_read_fn read, void *ctx)
{
	const char *cl = http_env(r, "CONTENT_LENGTH");
	int64_t n = 0;
	char *buf;
	size_t got = 0;

	if (cl == NULL || *cl == '\0') {
		r->body = "";
		return;
	}
	if (!tk_parse_i64(cl, 0, INT64_MAX, &n)) {
		fail(r, "BAD_REQUEST", "bad Content-Length");
		r->body = "";
		return;
	}
	if (n > TK_MAX_BODY) {
		char sink[4096];
		int64_t left = n < HTTP_DRAIN_MAX ? n : HTTP_DRAIN_MAX;
		fail(r, "TOO_LARGE", "body over 64 KiB");
		while (left > 0 && read) {
			long k = read(ctx, sink,
			              left < (int64_t)sizeof(sink) ? (size_t)left : sizeof(sink));
			if (k <= 0)
				break;
			left -= k;
		}
		r->body = "";
		return;
	}
	buf = arena_alloc(r->arena, (size_t)n + 1);
	while (read && got < (size_t)n) {
		long k = read(ctx, buf + got, (size_t)n - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got != (size_t)n)
		fail(r, "BAD_REQUEST", "body shorter than Content-Length");
	buf[got] = '\0';
	r->body = buf;
	r->body_len = got;
}

void http_parse(struct http_req *r, struct arena *a, char **env, const char *prefix,
                http_read_fn read, void *read_ctx)
{
	const char *uri, *q, *rid, *v;
	size_t plen;

	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->env = env;
	r->started_ms = tk_now_ms();
	r->status = 0;

	/* FastCGI frees the parameters when the request finishes, before the
	 * request is logged: what outlives the handler is copied. */
	v = http_env(r, "REQUEST_METHOD");
	r->method_name = v ? arena_strndup(a, v, strnlen(v, 16)) : "GET";
	r->method = http_method_parse(r->method_name);

	rid = http_env(r, "REQUEST_ID");
	if (rid && *rid && strlen(rid) <= 64 &&
	    strspn(rid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	        strlen(rid)) {
		r->request_id = arena_strdup(a, rid);
	} else {
		char *id = arena_alloc(a, 33);
		tk_random_hex(id, 16);
		r->request_id = id;
	}

	r->lang = msg_lang_from_header(http_env(r, "HTTP_ACCEPT_LANGUAGE"));
	r->remote_addr = http_env(r, "REMOTE_ADDR");
	v = http_env(r, "HTTP_USER_AGENT");
	r->user_agent = (v && strlen(v) <= 512 && tk_utf8_valid(v, strlen(v)))
	                    ? v
	                    : (v ? arena_strndup(a, "(invalid)", 9) : NULL);
	r->content_type = http_env(r, "CONTENT_TYPE");

	/* The path: REQUEST_URI without its query, percent-decoded. */
	uri = http_env(r, "REQUEST_URI");
	if (uri == NULL)
		uri = http_env(r, "DOCUMENT_URI");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	r->query_string = q ? q + 1
	                    : (http_env(r, "QUERY_STRING") ? http_env(r, "QUERY_STRING") : "");
	if (q && strchr(q + 1, '#'))
		r->query_string = arena_strndup(a, q + 1, (size_t)(strchr(q + 1, '#') - q - 1));
	if (plen > TK_MAX_PATH) {
		fail(r, "BAD_REQUEST", "path too long");
		r->path = "/";
	} else {
		char *p = url_decode(a, uri, plen, false);
		/* An encoded slash in the path would change its segments once decoded;
		 * in the query it is an ordinary character (URLs as parameters). */
		if (p != NULL && (memmem(uri, plen, "%2F", 3) || memmem(uri, plen, "%2f", 3)))
			p = NULL;
		if (p == NULL) {
			fail(r, "BAD_REQUEST", "malformed path");
			p = arena_strdup(a, "/");
		}
		r->path = p;
	}
	if (prefix && strncmp(r->path, prefix, strlen(prefix)) == 0)
		r->route_path = r->path + strlen(prefix);
	else
		r->route_path = r->path[0] == '/' ? r->path + 1 : r->path;

	parse_query(r);
	parse_cookies(r);
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, "HTTP_", 5) == 0 && strlen(*e) > TK_MAX_HEADER_VALUE + 64)
			fail(r, "BAD_REQUEST", "header too long");
	read_body(r, read, read_ctx);
}

const char *http_query(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_query; i++)
		if (strcmp(r->query[i].name, name) == 0)
			return r->query[i].value;
	return NULL;
}

const char *http_cookie(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_cookies; i++)
		if (strcmp(r->cookies[i].name, name) == 0)
			return r->cookies[i].value;
	return NULL;
}

const char *http_param(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->param_names[i], name) == 0)
			return r->param_values[i];
	return NULL;
}

bool http_param_id(const struct http_req *r, const char *name, int64_t *out)
{
	return tk_parse_i64(http_param(r, name), 1, INT64_MAX, out);
}

bool http_is_json(const struct http_req *r)
{
	const char *ct = r->content_type;
	size_t n = strlen("application/json");
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
		log_event(LOG_ERROR, "header_refused", "name", name, NULL);
		return;
	}
	if (r->n_out_headers == r->cap_out_headers) {
		size_t cap = r->cap_out_headers ? r->cap_out_headers * 2 : 8;
		struct http_pair *h = arena_calloc(r->arena, cap, sizeof(*h));
		if (r->n_out_headers)
			memcpy(h, r->out_headers, r->n_out_headers * sizeof(*h));
		r->out_headers = h;
		r->cap_out_headers = cap;
	}
	r->out_headers[r->n_out_headers].name = arena_strdup(r->arena, name);
	r->out_headers[r->n_out_headers].value = arena_strdup(r->arena, value);
	r->n_out_headers++;
}

void http_reply(struct http_req *r, int status, const char *type, const char *body, size_t len)
{
	if (r->replied)
		return;
	r->replied = true;
	r->status = status;
	r->out_type = type ? arena_strdup(r->arena, type) : NULL;
	r->out_body = body ? arena_strndup(r->arena, body, len) : "";
	r->out_len = body ? len : 0;
}

static void free_str(void *p)
{
	cJSON_free(p);
}

void http_reply_json(struct http_req *r, int status, const cJSON *obj)
{
	char *s;
	if (r->replied)
		return;
	s = cJSON_PrintUnformatted(obj);
	if (s == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	arena_defer(r->arena, free_str, s);
	r->replied = true;
	r->status = status;
	r->out_type = "application/json; charset=utf-8";
	r->out_body = s;
	r->out_len = strlen(s);
}

static void delete_json(void *p)
{
	cJSON_Delete(p);
}

cJSON *http_own(struct http_req *r, cJSON *obj)
{
	return arena_defer(r->arena, delete_json, obj);
}

void http_reply_error_full(struct http_req *r, int status, const char *code, const char *message,
                           cJSON *details)
{
	cJSON *root, *err;

	if (r->replied) {
		cJSON_Delete(details);
		return;
	}
	root = http_own(r, cJSON_CreateObject());
	err = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", message ? message : msg_error(code, r->lang));
	if (details)
		cJSON_AddItemToObject(err, "details", details);
	cJSON_AddStringToObject(root, "request_id", r->request_id ? r->request_id : "");
	r->error_code = code;
	http_reply_json(r, status, root);
}

void http_reply_error(struct http_req *r, const char *code, cJSON *details)
{
	http_reply_error_full(r, msg_status(code), code, NULL, details);
}

void http_redirect(struct http_req *r, const char *location)
{
	if (r->replied)
		return;
	http_add_header(r, "Location", location);
	http_reply(r, 303, "text/plain; charset=utf-8", "", 0);
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 402: return "Payment Required";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Headers every reply carries. JSON answers forbid framing and any active
 * content; HTML-producing routes may replace the CSP with their own. Each
 * is kept as its name and its whole header line, written as it is. */
#define SECURITY_HEADER(name, value) \
	{ \
		name, name ": " value "\r\n", sizeof(name ": " value "\r\n") - 1 \
	}
static const struct {
	const char *name, *line;
	size_t len;
} security_headers[] = {
    SECURITY_HEADER("X-Content-Type-Options", "nosniff"),
    SECURITY_HEADER("X-Frame-Options", "DENY"),
    SECURITY_HEADER("Referrer-Policy", "strict-origin-when-cross-origin"),
    SECURITY_HEADER("Cross-Origin-Opener-Policy", "same-origin"),
    SECURITY_HEADER("Cross-Origin-Resource-Policy", "same-origin"),
    SECURITY_HEADER("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
};

/* Writes a formatted line; a line longer than the buffer is cut, never
 * over-read. */
static void write_line(http_write_fn write, void *ctx, char *buf, size_t cap, int n)
{
	if (n < 0)
		return;
	write(ctx, buf, (size_t)n < cap ? (size_t)n : cap - 1);
}

static bool has_header(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_out_headers; i++)
		if (strcasecmp(r->out_headers[i].name, name) == 0)
			return true;
	return false;
}

void http_write(struct http_req *r, http_write_fn write, void *ctx)
{
	char line[512];
	int n;

	if (!r->replied)
		http_reply_error(r, "INTERNAL", NULL);
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", r->status,
	             http_status_text(r->status));
	write_line(write, ctx, line, sizeof(line), n);
	if (r->out_type) {
		write(ctx, "Content-Type: ", 14);
		write(ctx, r->out_type, strlen(r->out_type));
		write(ctx, "\r\n", 2);
	}
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\nX-Request-ID: %s\r\n", r->out_len,
	             r->request_id);
	write_line(write, ctx, line, sizeof(line), n);
	for (size_t i = 0; i < TK_ARRAY_LEN(security_headers); i++) {
		if (has_header(r, security_headers[i].name))
			continue;
		write(ctx, security_headers[i].line, security_headers[i].len);
	}
	if (!has_header(r, "Content-Security-Policy")) {
		static const char csp[] =
		    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n";
		write(ctx, csp, sizeof(csp) - 1);
	}
	if (!has_header(r, "Cache-Control")) {
		static const char cc[] = "Cache-Control: no-store\r\n";
		write(ctx, cc, sizeof(cc) - 1);
	}
	for (size_t i = 0; i < r->n_out_headers; i++) {
		write(ctx, r->out_headers[i].name, strlen(r->out_headers[i].name));
		write(ctx, ": ", 2);
		write(ctx, r->out_headers[i].value, strlen(r->out_headers[i].value));
		write(ctx, "\r\n", 2);
	}
	write(ctx, "\r\n", 2);
	if (r->method != HTTP_HEAD && r->out_len)
		write(ctx, r->out_body, r->out_len);
}
