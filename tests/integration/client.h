/*
 * client.h — the integration suite's HTTP client (libcurl), JSON getters
 * and a read-only PostgreSQL helper.
 *
 * Every request goes through nginx to the real FastCGI workers of the stack
 * named by TICKET_BASE_URL (tools/stack.sh exports it). One keep-alive
 * connection per process is reused; a forked test (CK_FORK=yes) opens its
 * own. Requests never hang: each has a hard timeout (CLIENT_TIMEOUT), and a
 * timeout or transport error is a response with status 0 and curl_error set.
 *
 * Memory: a resp_t is freed with resp_free. Strings returned by strf,
 * url_enc, jbody, resp_header … live in a ring of CLIENT_RING slots and stay
 * valid until CLIENT_RING more such strings were made (requests themselves
 * take none); a test that keeps one across hundreds of requests copies it.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <check.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define CLIENT_TIMEOUT 20 /* seconds per request, connect included */
#define CLIENT_RING 1024

typedef struct resp {
	long status; /* HTTP status; 0 when the request failed */
	char *body;  /* NUL-terminated; may hold NULs when binary */
	size_t body_len;
	cJSON *json;   /* the body parsed, or NULL */
	char *headers; /* the final response's header block, raw */
	/* Frequently asserted headers (first occurrence, NULL when absent). */
	char *content_type;
	char *request_id; /* X-Request-ID */
	int n_request_id; /* how many X-Request-ID lines came */
	char *set_cookie;
	char *location;
	char *allow;
	char *retry_after;
	char method[16];
	char path[160];         /* the request target, cut for messages */
	double seconds;         /* total time */
	const char *curl_error; /* NULL on success */
} resp_t;

/* One request. path is the request target ("/fcgi/admin/me?x=1"), sent
 * verbatim (no normalisation of "../"). A body gets Content-Type
 * application/json unless an extra header sets another. token adds
 * "Authorization: Bearer <token>". The variable part is extra header lines
 * ("Accept-Language: en"); the macro adds the terminating NULL. */
resp_t *req_(const char *method, const char *path, const char *body, const char *token, ...)
    __attribute__((sentinel));
#define req(...) req_(__VA_ARGS__, (const char *)NULL)

/* Everything adjustable: arbitrary bytes and content types. */
struct rawreq {
	const char *method;
	const char *target; /* request target, verbatim */
	const char *body;   /* may contain NUL bytes */
	size_t body_len;
	const char *content_type;   /* NULL: no Content-Type header at all */
	const char *token;          /* Bearer token or NULL */
	const char *const *headers; /* NULL-terminated extra lines, or NULL */
};
resp_t *req_raw(const struct rawreq *rq);

void resp_free(resp_t *r);

/* Any response header (case-insensitive name, first occurrence) as a ring
 * string, or NULL. */
const char *resp_header(const resp_t *r, const char *name);

/* The first 400 bytes of the body, printable, for failure messages. */
const char *resp_snippet(const resp_t *r);

/* Base URL of the stack (TICKET_BASE_URL, default http://127.0.0.1:8080). */
const char *client_base_url(void);

/* ---- sessions ---------------------------------------------------------- */

struct sess {
	char *token;
	char *csrf;
	char *cookie;     /* "tk_session=<jwt>", ready for a Cookie: header */
	char *set_cookie; /* the Set-Cookie line login sent */
	long long admin_id;
};

/* POST /fcgi/<family>/login. family: "admin", "super-admin", "entrance".
 * Returns the response (caller frees). */
resp_t *login_resp(const char *family, const char *username, const char *password);

/* The session of a login answer; NULL unless it is 200 with a token. */
struct sess *sess_from(const resp_t *r);

/* Logs in; NULL when the answer was not 200 with a token. */
struct sess *login(const char *family, const char *username, const char *password);
void sess_free(struct sess *s);

/* ---- JSON --------------------------------------------------------------- */

/* Walks a dotted path ("event.id", "items.0.code", "error.details.fields");
 * NULL when a step is missing. */
const cJSON *jget(const cJSON *root, const char *path);
const char *jstr(const resp_t *r, const char *path); /* NULL unless a string */
long long jint(const resp_t *r, const char *path);   /* JINT_NONE unless a number */
int jbool(const resp_t *r, const char *path);        /* -1 unless a boolean */
#define JINT_NONE (-999999999999LL)

/* error.code of an error envelope, "" when absent (never NULL). */
const char *err_code(const resp_t *r);

/* Whether details.fields of a 422 names field. */
bool err_field(const resp_t *r, const char *field);

/* The list of a list answer: "items", else the first array member of the
 * top-level object, else NULL. */
const cJSON *jitems(const resp_t *r);

/* The element of arr whose member key is the number id, or NULL. */
const cJSON *jfind_id(const cJSON *arr, const char *key, long long id);
/* The element of arr whose member key is the string s, or NULL. */
const cJSON *jfind_str(const cJSON *arr, const char *key, const char *s);

long long jnum(const cJSON *o, const char *key);    /* JINT_NONE unless a number */
const char *jtext(const cJSON *o, const char *key); /* NULL unless a string */

/* ---- strings ------------------------------------------------------------ */

char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A string of n copies of c. */
char *str_repeat(char c, size_t n);
/* The JSON text of obj (obj is deleted). */
char *jbody(cJSON *obj);
/* s percent-encoded for a path segment or query value. */
char *url_enc(const char *s);
/* Today's date (UTC) plus days, YYYY-MM-DD. */
char *date_plus(int days);

/* ---- assertions ----------------------------------------------------------- */

#define ASSERT_STATUS(r, want) \
	ck_assert_msg((r)->status == (want), "%s %s: want %d, got %ld%s%s %s", (r)->method, \
	              (r)->path, (int)(want), (r)->status, (r)->curl_error ? " curl: " : "", \
	              (r)->curl_error ? (r)->curl_error : "", resp_snippet(r))

#define ASSERT_ERROR(r, want, code) \
	ck_assert_msg((r)->status == (want) && strcmp(err_code(r), (code)) == 0, \
	              "%s %s: want %d %s, got %ld %s", (r)->method, (r)->path, (int)(want), \
	              (code), (r)->status, resp_snippet(r))

/* 4xx and nothing else (no 5xx, no timeout, no success). */
#define ASSERT_4XX(r) \
	ck_assert_msg((r)->status >= 400 && (r)->status < 500, \
	              "%s %s: want a 4xx, got %ld%s%s %s", (r)->method, (r)->path, (r)->status, \
	              (r)->curl_error ? " curl: " : "", (r)->curl_error ? (r)->curl_error : "", \
	              resp_snippet(r))

#define ASSERT_FIELD(r, field) \
	ck_assert_msg((r)->status == 422 && strcmp(err_code(r), "VALIDATION") == 0 && \
	                  err_field((r), (field)), \
	              "%s %s: want 422 VALIDATION naming %s, got %ld %s", (r)->method, (r)->path, \
	              (field), (r)->status, resp_snippet(r))

/* ---- PostgreSQL (read-only) --------------------------------------------- */

/* First column of the first row as a ring string, NULL when no row (or SQL
 * NULL). Parameters are text, NULL-terminated. Aborts the test on an SQL
 * error. The session is read-only. */
const char *tdb_value_(const char *sql, ...) __attribute__((sentinel));
#define tdb_value(...) tdb_value_(__VA_ARGS__, (const char *)NULL)
/* The first column as a number (count(*) …); -1 when no row. */
long long tdb_count_(const char *sql, ...) __attribute__((sentinel));
#define tdb_count(...) tdb_count_(__VA_ARGS__, (const char *)NULL)

#endif
