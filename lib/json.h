/*
 * json.h — JSON bodies and table-driven field validation.
 *
 * A handler declares the fields it accepts in a table and gets typed,
 * checked values in a struct; nothing unchecked reaches it:
 *
 *   struct notice_in { struct json_str title, body; struct json_bool pinned; };
 *   static const struct json_field notice_fields[] = {
 *       JSON_STR("title", struct notice_in, title, JF_REQUIRED, 1, 200, NULL),
 *       JSON_STR("body", struct notice_in, body, 0, 0, 20000, NULL),
 *       JSON_BOOL("pinned", struct notice_in, pinned, 0),
 *   };
 *   struct notice_in in;
 *   if (!json_body_or_reply(r, notice_fields, TK_ARRAY_LEN(notice_fields), &in))
 *       return;   // 400 / 415 / 422 already answered
 *
 * Unknown fields are ignored. Names may be dotted ("queue.enabled") to reach
 * into nested objects; errors name the full path ("customer.phone").
 */
#ifndef JSON_H
#define JSON_H

#include "http.h"

#include <stddef.h>

enum json_type {
	JT_STRING, /* UTF-8 text, min..max characters, optional check() */
	JT_INT,    /* integral number in min..max */
	JT_BOOL,
	JT_DATE,     /* "YYYY-MM-DD" */
	JT_DATETIME, /* ISO-8601 with offset */
	JT_OBJECT,   /* any object (the handler walks it) */
	JT_ARRAY,    /* array with min..max elements */
};

#define JF_REQUIRED 1u /* absent → "required" */
#define JF_NULLABLE 2u /* null accepted (sets .null) */

/* Out values: set says the field was present (also for null). */
struct json_str {
	bool set, null;
	const char *v;
};
struct json_int {
	bool set, null;
	int64_t v;
};
struct json_bool {
	bool set, null;
	bool v;
};
struct json_node {
	bool set, null;
	const cJSON *v;
};

struct json_field {
	const char *name;
	enum json_type type;
	unsigned flags;
	int64_t min, max;
	bool (*check)(const char *s);
	size_t offset;
};

/* clang-format off */
#define JSON_STR(name, T, m, flags, min, max, check) \
	{ (name), JT_STRING, (flags), (min), (max), (check), offsetof(T, m) }
#define JSON_INT(name, T, m, flags, min, max) \
	{ (name), JT_INT, (flags), (min), (max), NULL, offsetof(T, m) }
#define JSON_BOOL(name, T, m, flags) { (name), JT_BOOL, (flags), 0, 0, NULL, offsetof(T, m) }
#define JSON_DATE(name, T, m, flags) { (name), JT_DATE, (flags), 0, 0, NULL, offsetof(T, m) }
#define JSON_DATETIME(name, T, m, flags) \
	{ (name), JT_DATETIME, (flags), 0, 0, NULL, offsetof(T, m) }
#define JSON_OBJ(name, T, m, flags) { (name), JT_OBJECT, (flags), 0, 0, NULL, offsetof(T, m) }
#define JSON_ARR(name, T, m, flags, min, max) \
	{ (name), JT_ARRAY, (flags), (min), (max), NULL, offsetof(T, m) }
/* clang-format on */

/* Largest integer a JSON number carries exactly (2^53). */
#define JSON_MAX_SAFE_INT 9007199254740992LL

/* Validates obj against the table, filling out (a struct whose members the
 * table's offsets name: json_str for strings, dates and datetimes, json_int,
 * json_bool, json_node for objects and arrays). Each problem is added to
 * errors as "prefix+name": message. Returns true when there was none.
 * Strings are arena copies. */
bool json_validate(struct http_req *r, const cJSON *obj, const struct json_field *fields, size_t n,
                   void *out, const char *prefix, cJSON *errors);

/* The request body as parsed JSON (cached in r->json), or NULL after
 * answering 415 UNSUPPORTED_MEDIA_TYPE / 400 INVALID_JSON. An empty body is
 * treated as {} so routes without required fields accept none. */
const cJSON *json_body_or_reply(struct http_req *r);

/* json_body_or_reply + the body must be an object + json_validate; answers
 * 422 VALIDATION with details.fields on problems. */
bool json_fields_or_reply(struct http_req *r, const struct json_field *fields, size_t n, void *out);

/* The body as parsed JSON that must be an object; NULL after answering
 * 415, or 400 INVALID_JSON for malformed text or another JSON type. */
const cJSON *json_object_body_or_reply(struct http_req *r);

/* Answers 422 VALIDATION naming one field (message from msg_field(key)). */
void json_reply_field(struct http_req *r, const char *field, const char *key);

/* Building a partial-update object from validated input: each adds key only
 * when the field was present. A present null is written as null, or as ""
 * for json_put_str with null_is_empty (text columns that are NOT NULL). */
void json_put_str(cJSON *o, const char *key, const struct json_str *s, bool null_is_empty);
void json_put_int(cJSON *o, const char *key, const struct json_int *v);
void json_put_bool(cJSON *o, const char *key, const struct json_bool *v);

/* Answers 422 VALIDATION with the given errors object as details.fields
 * (taken over). */
void json_reply_validation(struct http_req *r, cJSON *errors);

/* Adds one field error (message chosen from msg_field(key)). */
void json_field_error(struct http_req *r, cJSON *errors, const char *field, const char *key);

/* json_field_error on errors, created when NULL (query parameters are
 * checked one by one, most requests have none wrong); returns errors. */
cJSON *json_errors_add(struct http_req *r, cJSON *errors, const char *field, const char *key);

/* Parses a JSON text produced by PostgreSQL (json_build_object …) into a
 * tree owned by the request; NULL on NULL input or a parse failure. */
cJSON *json_parse_owned(struct http_req *r, const char *text);

#endif
