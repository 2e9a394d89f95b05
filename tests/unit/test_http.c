/* test_http.c — request parsing with limits (from an envp array and an
 * in-memory body reader) and the reply: error envelope, headers, output. */
#include "unit.h"

#include "http.h"
#include "tk.h"

#include <ctype.h>
#include <stdio.h>

static struct arena *A;
static struct http_req R;

static void setup(void)
{
	A = arena_new();
	memset(&R, 0, sizeof(R));
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

/* A GET of uri with no body. */
static void get(const char *uri)
{
	unit_parse(&R, A, NULL, 0, "REQUEST_METHOD=GET", arena_printf(A, "REQUEST_URI=%s", uri),
	           NULL);
}

static const char *pe(void)
{
	return R.parse_error ? R.parse_error : "(none)";
}

/* Path decoding and prefix stripping */

static const struct {
	const char *uri;
	const char *path; /* NULL: BAD_REQUEST */
	const char *route_path;
} path_cases[] = {
    {"/fcgi/test/events/aaa", "/fcgi/test/events/aaa", "events/aaa"},
    {"/fcgi/test/", "/fcgi/test/", ""},
    {"/fcgi/test/events/%EA%B0%80", "/fcgi/test/events/가", "events/가"},
    {"/fcgi/test/events/%ea%b0%80", "/fcgi/test/events/가", "events/가"},
    {"/fcgi/test/a%20b", "/fcgi/test/a b", "a b"},
    {"/fcgi/test/a+b", "/fcgi/test/a+b", "a+b"}, /* '+' is only a space in queries */
    {"/fcgi/test/%41%42", "/fcgi/test/AB", "AB"},
    {"/fcgi/test/x?a=1", "/fcgi/test/x", "x"},
    {"/fcgi/test/x?", "/fcgi/test/x", "x"},
    {"/other/x", "/other/x", "other/x"}, /* prefix absent: leading '/' dropped */
    {"/fcgi/testx/y", "/fcgi/testx/y", "fcgi/testx/y"},
    {"/fcgi/test/%", NULL, NULL},
    {"/fcgi/test/%4", NULL, NULL},
    {"/fcgi/test/%4?a=1", NULL, NULL},
    {"/fcgi/test/%zz", NULL, NULL},
    {"/fcgi/test/%g1", NULL, NULL},
    {"/fcgi/test/%00", NULL, NULL},
    {"/fcgi/test/a%00b", NULL, NULL},
    {"/fcgi/test/%C3%28", NULL, NULL},    /* invalid UTF-8 */
    {"/fcgi/test/%C0%AF", NULL, NULL},    /* overlong '/' */
    {"/fcgi/test/%ED%A0%80", NULL, NULL}, /* surrogate */
    {"/fcgi/test/%FF", NULL, NULL},
    {"/fcgi/test/\xff", NULL, NULL},     /* raw invalid byte */
    {"/fcgi/test/\xea\xb0", NULL, NULL}, /* raw truncated */
    /* An encoded slash would split a segment in two: refused in the path, */
    {"/fcgi/test/a%2Fb", NULL, NULL},
    {"/fcgi/test/a%2fb", NULL, NULL},
    /* but an ordinary character in the query (URLs as parameters). */
    {"/fcgi/test/x?u=http%3A%2F%2Fh%2Fp", "/fcgi/test/x", "x"},
    {"/fcgi/test/x?u=%2f", "/fcgi/test/x", "x"},
};

START_TEST(path_table)
{
	get(path_cases[_i].uri);
	if (path_cases[_i].path == NULL) {
		ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");
		ck_assert_str_eq(R.path, "/");
	} else {
		ck_assert_msg(R.parse_error == NULL, "%s: %s", path_cases[_i].uri, pe());
		ck_assert_str_eq(R.path, path_cases[_i].path);
		ck_assert_str_eq(R.route_path, path_cases[_i].route_path);
	}
}
END_TEST

START_TEST(path_limits)
{
	char *uri = arena_alloc(A, TK_MAX_PATH + 2);

	memset(uri, 'a', TK_MAX_PATH);
	uri[0] = '/';
	get(uri);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_uint_eq(strlen(R.path), TK_MAX_PATH);

	uri[TK_MAX_PATH] = 'a';
	get(uri);
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");
}
END_TEST

START_TEST(no_uri)
{
	unit_parse(&R, A, NULL, 0, NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_str_eq(R.path, "/");
	ck_assert_str_eq(R.method_name, "GET");
	ck_assert_int_eq(R.method, HTTP_GET);

	unit_parse(&R, A, NULL, 0, "DOCUMENT_URI=/fcgi/test/doc", NULL);
	ck_assert_str_eq(R.route_path, "doc");
}
END_TEST

/* Methods */

static const struct {
	const char *name;
	enum http_method m;
} method_cases[] = {
    {"GET", HTTP_GET},     {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},       {"PUT", HTTP_PUT},
    {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS}, {"get", HTTP_OTHER},
    {"TRACE", HTTP_OTHER}, {"", HTTP_OTHER},        {"GETX", HTTP_OTHER},
};

START_TEST(method_table)
{
	unit_parse(&R, A, NULL, 0, arena_printf(A, "REQUEST_METHOD=%s", method_cases[_i].name),
	           "REQUEST_URI=/fcgi/test/x", NULL);
	ck_assert_int_eq(R.method, method_cases[_i].m);
	ck_assert_str_eq(R.method_name, method_cases[_i].name);
	ck_assert_int_eq(http_method_parse(method_cases[_i].name), method_cases[_i].m);
	if (method_cases[_i].m != HTTP_OTHER)
		ck_assert_str_eq(http_method_name(method_cases[_i].m), method_cases[_i].name);
}
END_TEST

START_TEST(method_names)
{
	ck_assert_int_eq(http_method_parse(NULL), HTTP_OTHER);
	ck_assert_str_eq(http_method_name(HTTP_OTHER), "OTHER");
	ck_assert_str_eq(http_method_name(HTTP_METHOD__MAX), "OTHER");
}
END_TEST

/* Query strings */

static const struct {
	const char *query;
	bool ok;
	size_t n;          /* parameters */
	const char *key;   /* one to look up */
	const char *value; /* its (first) value; NULL: absent */
} query_cases[] = {
    {"", true, 0, "a", NULL},
    {"a=1&b=2", true, 2, "b", "2"},
    {"a=1&b=2", true, 2, "c", NULL},
    {"q=%ED%95%9C+%EA%B8%80", true, 1, "q", "한 글"},
    {"q=a%2Bb", true, 1, "q", "a+b"},
    {"q=a%26b%3Dc", true, 1, "q", "a&b=c"},
    {"my+key=v", true, 1, "my key", "v"},
    {"a=1&a=2", true, 2, "a", "1"}, /* repeated: first wins */
    {"flag", true, 1, "flag", ""},  /* missing '=' */
    {"flag&x=1", true, 2, "flag", ""},
    {"a=", true, 1, "a", ""},
    {"=v", true, 1, "", "v"},
    {"a=b=c", true, 1, "a", "b=c"},
    {"a=1&&b=2", true, 2, "b", "2"},
    {"&a=1&", true, 1, "a", "1"},
    {"a=%zz", false, 0, NULL, NULL},
    {"a=%2", false, 0, NULL, NULL},
    {"a=%", false, 0, NULL, NULL},
    {"%zz=1", false, 0, NULL, NULL},
    {"a=%00", false, 0, NULL, NULL},
    {"a%00=1", false, 0, NULL, NULL},
    {"a=%C3", false, 0, NULL, NULL},
    {"a=%ED%A0%80", false, 0, NULL, NULL},
    {"a=%F4%90%80%80", false, 0, NULL, NULL},
    {"a=\xff", false, 0, NULL, NULL},
    {"ok=1&a=%C0%80", false, 0, NULL, NULL},
};

START_TEST(query_table)
{
	get(arena_printf(A, "/fcgi/test/x?%s", query_cases[_i].query));
	if (!query_cases[_i].ok) {
		ck_assert_msg(R.parse_error && strcmp(R.parse_error, "BAD_REQUEST") == 0, "%s: %s",
		              query_cases[_i].query, pe());
		return;
	}
	ck_assert_msg(R.parse_error == NULL, "%s: %s", query_cases[_i].query, pe());
	ck_assert_uint_eq(R.n_query, query_cases[_i].n);
	ck_assert_pstr_eq(http_query(&R, query_cases[_i].key), query_cases[_i].value);
}
END_TEST

START_TEST(query_sources)
{
	/* QUERY_STRING when REQUEST_URI has none. */
	unit_parse(&R, A, NULL, 0, "REQUEST_URI=/fcgi/test/x", "QUERY_STRING=page=3", NULL);
	ck_assert_pstr_eq(http_query(&R, "page"), "3");
	/* The URI's own query wins. */
	unit_parse(&R, A, NULL, 0, "REQUEST_URI=/fcgi/test/x?page=1", "QUERY_STRING=page=3", NULL);
	ck_assert_pstr_eq(http_query(&R, "page"), "1");
	/* A fragment is not part of the query. */
	get("/fcgi/test/x?a=1#frag");
	ck_assert_pstr_eq(http_query(&R, "a"), "1");
	ck_assert_str_eq(R.query_string, "a=1");
}
END_TEST

START_TEST(query_limits)
{
	char *q = arena_alloc(A, TK_MAX_QUERY + 2);
	char *uri;

	/* Exactly TK_MAX_QUERY bytes: accepted. */
	memcpy(q, "a=", 2);
	memset(q + 2, 'x', TK_MAX_QUERY - 2);
	get(arena_printf(A, "/fcgi/test/x?%s", q));
	ck_assert_ptr_null(R.parse_error);
	ck_assert_uint_eq(strlen(http_query(&R, "a")), TK_MAX_QUERY - 2);
	/* One more: refused. */
	q[TK_MAX_QUERY] = 'x';
	get(arena_printf(A, "/fcgi/test/x?%s", q));
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");

	/* TK_MAX_QUERY_PARAMS parameters: accepted; one more: refused. */
	uri = arena_strdup(A, "/fcgi/test/x?p0=0");
	for (int i = 1; i < TK_MAX_QUERY_PARAMS; i++)
		uri = arena_printf(A, "%s&p%d=%d", uri, i, i);
	get(uri);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_uint_eq(R.n_query, TK_MAX_QUERY_PARAMS);
	ck_assert_pstr_eq(http_query(&R, "p63"), "63");
	get(arena_printf(A, "%s&extra=1", uri));
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");
}
END_TEST

/* Bodies */

START_TEST(body_exact)
{
	struct unit_body *b = unit_parse(&R, A, "hello", 5, "REQUEST_METHOD=POST",
	                                 "REQUEST_URI=/fcgi/test/x", "CONTENT_LENGTH=5", NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_str_eq(R.body, "hello");
	ck_assert_uint_eq(R.body_len, 5);
	ck_assert_uint_eq(b->pos, 5);
}
END_TEST

START_TEST(body_in_small_reads)
{
	struct unit_body *b = arena_alloc(A, sizeof(*b));
	char **env = unit_env(A, "REQUEST_METHOD=POST", "CONTENT_LENGTH=11", NULL);

	b->data = "hello world";
	b->len = 11;
	b->chunk = 1;
	http_parse(&R, A, env, "/fcgi/test/", unit_read, b);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_str_eq(R.body, "hello world");
	ck_assert_int_ge(b->calls, 11);
}
END_TEST

START_TEST(body_none)
{
	unit_parse(&R, A, "ignored", 7, "REQUEST_METHOD=POST", NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_str_eq(R.body, "");
	ck_assert_uint_eq(R.body_len, 0);
	unit_parse(&R, A, "ignored", 7, "REQUEST_METHOD=POST", "CONTENT_LENGTH=", NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_uint_eq(R.body_len, 0);
	/* No reader at all. */
	http_parse(&R, A, unit_env(A, "CONTENT_LENGTH=3", NULL), "/fcgi/test/", NULL, NULL);
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");
}
END_TEST

static const struct {
	const char *cl;
	size_t have;      /* bytes the reader can deliver */
	const char *want; /* parse_error, NULL for none */
} body_cases[] = {
    {"0", 0, NULL},
    {"5", 5, NULL},
    {"10", 5, "BAD_REQUEST"}, /* short body */
    {"65536", 65536, NULL},   /* exactly TK_MAX_BODY */
    {"65537", 65537, "TOO_LARGE"},
    {"1000000", 1000000, "TOO_LARGE"},
    {"99999999999999999999", 0, "BAD_REQUEST"},
    {"abc", 3, "BAD_REQUEST"},
    {"-1", 0, "BAD_REQUEST"},
    {"+5", 5, "BAD_REQUEST"},
    {"5 ", 5, "BAD_REQUEST"},
    {"0x10", 16, "BAD_REQUEST"},
};

START_TEST(body_table)
{
	static char big[1000001];
	struct unit_body *b;

	memset(big, 'b', sizeof(big) - 1);
	b = unit_parse(&R, A, big, body_cases[_i].have, "REQUEST_METHOD=POST",
	               "REQUEST_URI=/fcgi/test/x",
	               arena_printf(A, "CONTENT_LENGTH=%s", body_cases[_i].cl), NULL);
	ck_assert_msg((R.parse_error == NULL && body_cases[_i].want == NULL) ||
	                  (R.parse_error && body_cases[_i].want &&
	                   strcmp(R.parse_error, body_cases[_i].want) == 0),
	              "Content-Length %s: %s", body_cases[_i].cl, pe());
	ck_assert_ptr_nonnull(R.body);
	if (body_cases[_i].want == NULL) {
		ck_assert_uint_eq(R.body_len, body_cases[_i].have);
		ck_assert_uint_eq(strlen(R.body), body_cases[_i].have);
	}
	if (body_cases[_i].want && strcmp(body_cases[_i].want, "TOO_LARGE") == 0) {
		ck_assert_uint_eq(R.body_len, 0);
		/* The oversized body was read and discarded, not left in the
		 * connection. */
		ck_assert_uint_eq(b->pos, body_cases[_i].have);
	}
}
END_TEST

/* Cookies and headers */

START_TEST(cookies)
{
	unit_parse(&R, A, NULL, 0, "HTTP_COOKIE=a=1; b=2;c=3;  token=abc=def; novalue; e=", NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_pstr_eq(http_cookie(&R, "a"), "1");
	ck_assert_pstr_eq(http_cookie(&R, "b"), "2");
	ck_assert_pstr_eq(http_cookie(&R, "c"), "3");
	ck_assert_pstr_eq(http_cookie(&R, "token"), "abc=def");
	ck_assert_pstr_eq(http_cookie(&R, "e"), "");
	ck_assert_ptr_null(http_cookie(&R, "novalue"));
	ck_assert_ptr_null(http_cookie(&R, "missing"));
	ck_assert_ptr_null(http_cookie(&R, "A"));

	unit_parse(&R, A, NULL, 0, NULL);
	ck_assert_uint_eq(R.n_cookies, 0);
	ck_assert_ptr_null(http_cookie(&R, "a"));
}
END_TEST

START_TEST(cookie_limits)
{
	char *h = arena_strdup(A, "HTTP_COOKIE=c0=0");
	char *big;

	for (int i = 1; i < TK_MAX_COOKIES + 10; i++)
		h = arena_printf(A, "%s; c%d=%d", h, i, i);
	unit_parse(&R, A, NULL, 0, h, NULL);
	ck_assert_ptr_null(R.parse_error);
	ck_assert_uint_eq(R.n_cookies, TK_MAX_COOKIES); /* the rest are ignored */
	ck_assert_pstr_eq(http_cookie(&R, "c31"), "31");
	ck_assert_ptr_null(http_cookie(&R, "c32"));

	big = arena_alloc(A, TK_MAX_HEADER_VALUE + 32);
	strcpy(big, "HTTP_COOKIE=t=");
	memset(big + strlen(big), 'x', TK_MAX_HEADER_VALUE);
	unit_parse(&R, A, NULL, 0, big, NULL);
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");
}
END_TEST

START_TEST(headers)
{
	unit_parse(&R, A, NULL, 0, "HTTP_AUTHORIZATION=Bearer abc.def.ghi",
	           "HTTP_X_CSRF_TOKEN=csrf123", "CONTENT_TYPE=application/json",
	           "HTTP_USER_AGENT=test-agent/1.0", "REMOTE_ADDR=192.0.2.7", NULL);
	ck_assert_pstr_eq(http_header(&R, "Authorization"), "Bearer abc.def.ghi");
	ck_assert_pstr_eq(http_header(&R, "authorization"), "Bearer abc.def.ghi");
	ck_assert_pstr_eq(http_header(&R, "X-CSRF-Token"), "csrf123");
	ck_assert_pstr_eq(http_header(&R, "x-csrf-token"), "csrf123");
	ck_assert_pstr_eq(http_header(&R, "Content-Type"), "application/json");
	ck_assert_ptr_null(http_header(&R, "X-Missing"));
	ck_assert_pstr_eq(http_env(&R, "REMOTE_ADDR"), "192.0.2.7");
	ck_assert_ptr_null(http_env(&R, "REMOTE")); /* whole names only */
	ck_assert_ptr_null(http_env(&R, "REMOTE_ADDRX"));
	ck_assert_pstr_eq(R.remote_addr, "192.0.2.7");
	ck_assert_pstr_eq(R.user_agent, "test-agent/1.0");
	ck_assert_pstr_eq(R.content_type, "application/json");

	/* A header name too long for the lookup buffer is simply absent. */
	{
		char name[200];
		memset(name, 'X', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		ck_assert_ptr_null(http_header(&R, name));
	}
}
END_TEST

START_TEST(header_limits)
{
	char *h = arena_alloc(A, TK_MAX_HEADER_VALUE + 200);

	strcpy(h, "HTTP_X_BIG=");
	memset(h + strlen(h), 'x', TK_MAX_HEADER_VALUE);
	unit_parse(&R, A, NULL, 0, h, NULL);
	ck_assert_ptr_null(R.parse_error);
	memset(h + strlen(h), 'x', 100);
	unit_parse(&R, A, NULL, 0, h, NULL);
	ck_assert_pstr_eq(R.parse_error, "BAD_REQUEST");

	/* An unusable User-Agent is replaced, not trusted. */
	unit_parse(&R, A, NULL, 0, "HTTP_USER_AGENT=bad\xff", NULL);
	ck_assert_pstr_eq(R.user_agent, "(invalid)");
}
END_TEST

static const struct {
	const char *al;
	enum msg_lang want;
} lang_cases[] = {
    {NULL, LANG_KO},
    {"HTTP_ACCEPT_LANGUAGE=en", LANG_EN},
    {"HTTP_ACCEPT_LANGUAGE=en-US,en;q=0.9", LANG_EN},
    {"HTTP_ACCEPT_LANGUAGE=ko-KR,ko;q=0.9,en;q=0.8", LANG_KO},
    {"HTTP_ACCEPT_LANGUAGE=ko", LANG_KO},
    {"HTTP_ACCEPT_LANGUAGE=", LANG_KO},
};

START_TEST(lang_table)
{
	unit_parse(&R, A, NULL, 0, lang_cases[_i].al, NULL);
	ck_assert_int_eq(R.lang, lang_cases[_i].want);
}
END_TEST

static bool is_hex32(const char *s)
{
	if (s == NULL || strlen(s) != 32)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

START_TEST(request_id)
{
	const char *first;
	char *long_id;

	unit_parse(&R, A, NULL, 0, "REQUEST_ID=4f2a9c0e5b7d41e3a6c8d9b0e1f2a3b4", NULL);
	ck_assert_str_eq(R.request_id, "4f2a9c0e5b7d41e3a6c8d9b0e1f2a3b4");

	unit_parse(&R, A, NULL, 0, NULL);
	ck_assert_msg(is_hex32(R.request_id), "generated id %s", R.request_id);
	first = R.request_id;
	unit_parse(&R, A, NULL, 0, "REQUEST_ID=", NULL);
	ck_assert(is_hex32(R.request_id));
	ck_assert_str_ne(R.request_id, first);

	long_id = arena_alloc(A, 100);
	strcpy(long_id, "REQUEST_ID=");
	memset(long_id + strlen(long_id), 'a', 65);
	unit_parse(&R, A, NULL, 0, long_id, NULL);
	ck_assert(is_hex32(R.request_id));

	unit_parse(&R, A, NULL, 0, "REQUEST_ID=bad\xff", NULL);
	ck_assert(is_hex32(R.request_id));
}
END_TEST

static const struct {
	const char *ct;
	bool json;
} ct_cases[] = {
    {"application/json", true},
    {"application/json; charset=utf-8", true},
    {"application/json;charset=UTF-8", true},
    {"Application/JSON", true},
    {" application/json", true},
    {NULL, false},
    {"", false},
    {"text/plain", false},
    {"application/jsonx", false},
    {"application/json-patch+json", false},
    {"application/x-www-form-urlencoded", false},
    {"multipart/form-data", false},
};

START_TEST(is_json_table)
{
	R.content_type = ct_cases[_i].ct;
	ck_assert_msg(http_is_json(&R) == ct_cases[_i].json, "%s",
	              ct_cases[_i].ct ? ct_cases[_i].ct : "(null)");
}
END_TEST

START_TEST(params)
{
	int64_t id = 0;
	static const char *names[] = {"id", "nid", "code"};
	static const char *values[] = {"42", "0", "aaa"};

	for (size_t i = 0; i < 3; i++) {
		R.param_names[i] = names[i];
		R.param_values[i] = values[i];
	}
	R.n_params = 3;
	ck_assert_pstr_eq(http_param(&R, "code"), "aaa");
	ck_assert_ptr_null(http_param(&R, "missing"));
	ck_assert(http_param_id(&R, "id", &id));
	ck_assert_int_eq(id, 42);
	ck_assert(!http_param_id(&R, "nid", &id));     /* not positive */
	ck_assert(!http_param_id(&R, "code", &id));    /* not a number */
	ck_assert(!http_param_id(&R, "missing", &id)); /* absent */
}
END_TEST

/* Replies */

static void parse_lang(const char *lang)
{
	unit_parse(&R, A, NULL, 0, "REQUEST_METHOD=GET", "REQUEST_URI=/fcgi/test/x",
	           "REQUEST_ID=rid-123", arena_printf(A, "HTTP_ACCEPT_LANGUAGE=%s", lang), NULL);
}

static const struct {
	const char *code;
	const char *lang;
	int status;
	const char *message;
} error_cases[] = {
    {"SOLD_OUT", "ko-KR", 409, "매진되었습니다."},
    {"SOLD_OUT", "en", 409, "Sold out."},
    {"NOT_FOUND", "ko", 404, "찾을 수 없습니다."},
    {"NOT_FOUND", "en-US,en;q=0.9", 404, "Not found."},
    {"TOO_LARGE", "ko", 413, "요청 본문이 너무 큽니다."},
    {"BAD_REQUEST", "en", 400, "Bad request."},
    {"VALIDATION", "ko", 422, "입력값을 확인해 주세요."},
    {"NO_SUCH_CODE", "ko", 500, "일시적인 오류가 발생했습니다."},
    {"NO_SUCH_CODE", "en", 500, "Internal error."},
};

START_TEST(error_envelope_table)
{
	const cJSON *root, *err;

	parse_lang(error_cases[_i].lang);
	http_reply_error(&R, error_cases[_i].code, NULL);
	ck_assert(R.replied);
	ck_assert_int_eq(R.status, error_cases[_i].status);
	ck_assert_pstr_eq(R.error_code, error_cases[_i].code);
	ck_assert_pstr_eq(R.out_type, "application/json; charset=utf-8");
	root = unit_reply_json(&R);
	ck_assert_ptr_nonnull(root);
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	ck_assert(cJSON_IsObject(err));
	ck_assert_pstr_eq(unit_error_field(&R, "code"), error_cases[_i].code);
	ck_assert_pstr_eq(unit_error_field(&R, "message"), error_cases[_i].message);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(err, "details"));
	ck_assert_pstr_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "request_id")), "rid-123");
}
END_TEST

START_TEST(error_details_and_full)
{
	cJSON *details = cJSON_CreateObject();
	const cJSON *d;

	parse_lang("ko");
	cJSON_AddNumberToObject(details, "product_id", 7);
	http_reply_error(&R, "SOLD_OUT", details); /* taken over */
	d = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(unit_reply_json(&R), "error"), "details");
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "product_id")),
	                 7);

	parse_lang("en");
	http_reply_error_full(&R, 429, "RATE_LIMITED", "Slow down.", NULL);
	ck_assert_int_eq(R.status, 429);
	ck_assert_pstr_eq(unit_error_field(&R, "message"), "Slow down.");
}
END_TEST

START_TEST(first_reply_counts)
{
	cJSON *obj = cJSON_CreateObject();

	parse_lang("ko");
	http_reply(&R, 200, "text/plain; charset=utf-8", "first", 5);
	/* Every later attempt is ignored; details handed over are still freed
	 * (valgrind would report them otherwise). */
	http_reply_error(&R, "INTERNAL", cJSON_CreateString("dropped"));
	http_reply(&R, 201, "text/plain", "second", 6);
	http_reply_json(&R, 202, obj);
	http_redirect(&R, "/elsewhere");
	ck_assert_int_eq(R.status, 200);
	ck_assert_uint_eq(R.out_len, 5);
	ck_assert_mem_eq(R.out_body, "first", 5);
	ck_assert_ptr_null(R.error_code);
	cJSON_Delete(obj); /* http_reply_json does not take obj */
}
END_TEST

START_TEST(reply_json)
{
	cJSON *obj;

	parse_lang("ko");
	obj = http_own(&R, cJSON_CreateObject());
	cJSON_AddStringToObject(obj, "title", "전시");
	http_reply_json(&R, 201, obj);
	ck_assert_int_eq(R.status, 201);
	ck_assert_str_eq(R.out_body, "{\"title\":\"전시\"}");
	ck_assert_uint_eq(R.out_len, strlen(R.out_body));
}
END_TEST

/* Output on the wire */

static bool has_line(const char *out, const char *line)
{
	const char *head_end = strstr(out, "\r\n\r\n");
	size_t n = strlen(line);
	for (const char *p = out; p && p < head_end; p = strstr(p, "\r\n"), p = p ? p + 2 : p)
		if (strncmp(p, line, n) == 0 && p[n] == '\r')
			return true;
	return false;
}

static size_t count_prefix(const char *out, const char *prefix)
{
	const char *head_end = strstr(out, "\r\n\r\n");
	size_t n = 0;
	for (const char *p = out; p && p < head_end; p = strstr(p, "\r\n"), p = p ? p + 2 : p)
		if (strncasecmp(p, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

START_TEST(write_error_reply)
{
	const char *out, *body;

	parse_lang("ko");
	http_reply_error(&R, "SOLD_OUT", NULL);
	out = unit_written(&R);
	ck_assert_msg(strncmp(out, "Status: 409 Conflict\r\n", 22) == 0, "%s", out);
	ck_assert(has_line(out, "Content-Type: application/json; charset=utf-8"));
	ck_assert(has_line(out, arena_printf(A, "Content-Length: %zu", R.out_len)));
	ck_assert(has_line(out, "X-Request-ID: rid-123"));
	ck_assert(has_line(out, "X-Content-Type-Options: nosniff"));
	ck_assert(has_line(out, "X-Frame-Options: DENY"));
	ck_assert(has_line(out, "Referrer-Policy: strict-origin-when-cross-origin"));
	ck_assert_uint_eq(count_prefix(out, "Content-Security-Policy: "), 1);
	ck_assert(strstr(out, "Content-Security-Policy: default-src 'none'") != NULL);
	ck_assert(has_line(out, "Cache-Control: no-store"));
	body = strstr(out, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	body += 4;
	ck_assert_uint_eq(strlen(body), R.out_len);
	ck_assert_str_eq(body, R.out_body);
}
END_TEST

START_TEST(write_own_headers)
{
	const char *out;

	parse_lang("ko");
	http_add_header(&R, "Cache-Control", "public, max-age=60");
	http_add_header(&R, "Content-Security-Policy", "default-src 'self'");
	http_add_header(&R, "Set-Cookie", "t=abc; HttpOnly; SameSite=Strict");
	http_add_header(&R, "Retry-After", "30");
	/* Refused: CR/LF in the value, or a bad name. */
	http_add_header(&R, "X-Evil", "a\r\nSet-Cookie: admin=1");
	http_add_header(&R, "X-Evil2", "a\nb");
	http_add_header(&R, "X-Evil3", "a\rb");
	http_add_header(&R, "X-Bad\r\nName", "v");
	http_add_header(&R, "X-Bad:Name", "v");
	ck_assert_uint_eq(R.n_out_headers, 4);
	http_reply(&R, 200, "text/plain; charset=utf-8", "ok", 2);
	out = unit_written(&R);
	ck_assert(strncmp(out, "Status: 200 OK\r\n", 16) == 0);
	ck_assert_uint_eq(count_prefix(out, "Cache-Control:"), 1);
	ck_assert(has_line(out, "Cache-Control: public, max-age=60"));
	ck_assert_uint_eq(count_prefix(out, "Content-Security-Policy:"), 1);
	ck_assert(has_line(out, "Set-Cookie: t=abc; HttpOnly; SameSite=Strict"));
	ck_assert(has_line(out, "Retry-After: 30"));
	ck_assert(strstr(out, "admin=1") == NULL);
	ck_assert(strstr(out, "X-Evil") == NULL);
	ck_assert(strstr(out, "X-Bad") == NULL);
	ck_assert_uint_eq(count_prefix(out, "Set-Cookie:"), 1);
	ck_assert(has_line(out, "Content-Length: 2"));
	ck_assert_str_eq(strstr(out, "\r\n\r\n") + 4, "ok");
}
END_TEST

START_TEST(write_many_headers)
{
	parse_lang("ko");
	for (int i = 0; i < 40; i++)
		http_add_header(&R, arena_printf(A, "X-H%d", i), arena_printf(A, "%d", i));
	http_reply(&R, 204, NULL, NULL, 0);
	ck_assert(has_line(unit_written(&R), "X-H39: 39"));
	ck_assert(has_line(unit_written(&R), "Content-Length: 0"));
}
END_TEST

START_TEST(write_head_has_no_body)
{
	const char *out;

	unit_parse(&R, A, NULL, 0, "REQUEST_METHOD=HEAD", "REQUEST_URI=/fcgi/test/x", NULL);
	http_reply(&R, 200, "application/json", "{\"a\":1}", 7);
	out = unit_written(&R);
	ck_assert(has_line(out, "Content-Length: 7"));
	ck_assert_str_eq(strstr(out, "\r\n\r\n"), "\r\n\r\n");
}
END_TEST

START_TEST(write_without_reply_is_500)
{
	const char *out;

	parse_lang("en");
	out = unit_written(&R);
	ck_assert(strncmp(out, "Status: 500 Internal Server Error\r\n", 35) == 0);
	ck_assert_pstr_eq(unit_error_field(&R, "code"), "INTERNAL");
}
END_TEST

START_TEST(redirect)
{
	const char *out;

	parse_lang("ko");
	http_redirect(&R, "/admin/");
	out = unit_written(&R);
	ck_assert(strncmp(out, "Status: 303 See Other\r\n", 23) == 0);
	ck_assert(has_line(out, "Location: /admin/"));

	parse_lang("ko");
	http_redirect(&R, "/x\r\nSet-Cookie: a=1");
	out = unit_written(&R);
	ck_assert(strstr(out, "Set-Cookie") == NULL);
	ck_assert(strstr(out, "Location") == NULL);
}
END_TEST

static const struct {
	int status;
	const char *text;
} status_cases[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {303, "See Other"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {299, "Status"},
};

START_TEST(status_text_table)
{
	ck_assert_str_eq(http_status_text(status_cases[_i].status), status_cases[_i].text);
}
END_TEST

/* KNOWN BUG (lib/http.c, http_write): the status and Content-Type lines are
 * formatted with snprintf into a 512-byte stack buffer and the *return value*
 * (the untruncated length) is passed to write. A Content-Type longer than
 * ~495 bytes makes http_write send bytes from past the end of `line` (a stack
 * over-read) and a broken header. The type is chosen by code, not clients,
 * so it is latent. Fix: clamp n to sizeof(line) - 1 or write the type with
 * write() directly. Not run under CK_FORK=no (the over-read is undefined
 * behaviour and valgrind reports it as use of uninitialised bytes). */
START_TEST(regression_write_long_content_type)
{
	char type[600];
	const char *out;

	memset(type, 't', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	parse_lang("ko");
	http_reply(&R, 200, type, "x", 1);
	out = unit_written(&R);
	ck_assert(has_line(out, arena_printf(A, "Content-Type: %s", type)));
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *req = tcase_create("request");
	TCase *rep = tcase_create("reply");
	TCase *bugs = tcase_create("regressions");

	tcase_add_checked_fixture(req, setup, teardown);
	tcase_add_loop_test(req, path_table, 0, (int)TK_ARRAY_LEN(path_cases));
	tcase_add_test(req, path_limits);
	tcase_add_test(req, no_uri);
	tcase_add_loop_test(req, method_table, 0, (int)TK_ARRAY_LEN(method_cases));
	tcase_add_test(req, method_names);
	tcase_add_loop_test(req, query_table, 0, (int)TK_ARRAY_LEN(query_cases));
	tcase_add_test(req, query_sources);
	tcase_add_test(req, query_limits);
	tcase_add_test(req, body_exact);
	tcase_add_test(req, body_in_small_reads);
	tcase_add_test(req, body_none);
	tcase_add_loop_test(req, body_table, 0, (int)TK_ARRAY_LEN(body_cases));
	tcase_add_test(req, cookies);
	tcase_add_test(req, cookie_limits);
	tcase_add_test(req, headers);
	tcase_add_test(req, header_limits);
	tcase_add_loop_test(req, lang_table, 0, (int)TK_ARRAY_LEN(lang_cases));
	tcase_add_test(req, request_id);
	tcase_add_loop_test(req, is_json_table, 0, (int)TK_ARRAY_LEN(ct_cases));
	tcase_add_test(req, params);
	suite_add_tcase(s, req);

	tcase_add_checked_fixture(rep, setup, teardown);
	tcase_add_loop_test(rep, error_envelope_table, 0, (int)TK_ARRAY_LEN(error_cases));
	tcase_add_test(rep, error_details_and_full);
	tcase_add_test(rep, first_reply_counts);
	tcase_add_test(rep, reply_json);
	tcase_add_test(rep, write_error_reply);
	tcase_add_test(rep, write_own_headers);
	tcase_add_test(rep, write_many_headers);
	tcase_add_test(rep, write_head_has_no_body);
	tcase_add_test(rep, write_without_reply_is_500);
	tcase_add_test(rep, redirect);
	tcase_add_loop_test(rep, status_text_table, 0, (int)TK_ARRAY_LEN(status_cases));
	suite_add_tcase(s, rep);

	tcase_add_checked_fixture(bugs, setup, teardown);
	if (unit_forking())
		tcase_add_test(bugs, regression_write_long_content_type);
	suite_add_tcase(s, bugs);
	return s;
}

int main(void)
{
	return unit_run(http_suite());
}
