/* json.c — body parsing and table-driven validation. */
#include "json.h"

#include <math.h>
#include <string.h>

void json_field_error(struct http_req *r, cJSON *errors, const char *field, const char *key)
{
	if (cJSON_GetObjectItemCaseSensitive(errors, field) != NULL)
		return;
	cJSON_AddStringToObject(errors, field, msg_field(key, r->lang));
	if (r->field_reasons == NULL)
		r->field_reasons = http_own(r, cJSON_CreateObject());
	if (r->field_reasons && cJSON_GetObjectItemCaseSensitive(r->field_reasons, field) == NULL)
		cJSON_AddStringToObject(r->field_reasons, field, key);
}

/* Follows a dotted name into nested objects. When a parent is present but
 * is not an object, sets *bad_parent to the length of its dotted name. */
static const cJSON *lookup(const cJSON *obj, const char *name, size_t *bad_parent)
{
	const char *dot, *full = name;
	char part[128];

	*bad_parent = 0;
	while ((dot = strchr(name, '.')) != NULL) {
		size_t n = (size_t)(dot - name);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, name, n);
		part[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, part);
		if (obj != NULL && !cJSON_IsNull(obj) && !cJSON_IsObject(obj))
			*bad_parent = (size_t)(dot - full);
		if (!cJSON_IsObject(obj))
			return NULL;
		name = dot + 1;
	}
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static bool check_string(struct http_req *r, const struct json_field *f, const cJSON *v,
                         const char *path, cJSON *errors, struct json_str *out)
{
	const char *s;
	size_t len;

	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		json_field_error(r, errors, path, "type_string");
		return false;
	}
	s = v->valuestring;
	if (!tk_utf8_valid(s, strlen(s))) {
		json_field_error(r, errors, path, "invalid_utf8");
		return false;
	}
	switch (f->type) {
	case JT_DATE:
		if (!tk_valid_date(s)) {
			json_field_error(r, errors, path, "date_format");
			return false;
		}
		break;
	case JT_DATETIME:
		if (!tk_valid_datetime(s)) {
			json_field_error(r, errors, path, "invalid");
			return false;
		}
		break;
	default:
		len = tk_utf8_len(s);
		if (f->min > 0 && len < (size_t)f->min) {
			json_field_error(r, errors, path, len == 0 ? "required" : "too_short");
			return false;
		}
		if (f->max > 0 && len > (size_t)f->max) {
			json_field_error(r, errors, path, "too_long");
			return false;
		}
		if (f->check && !f->check(s)) {
			json_field_error(r, errors, path, "invalid");
			return false;
		}
	}
	out->v = arena_strdup(r->arena, s);
	return true;
}

bool json_validate(struct http_req *r, const cJSON *obj, const struct json_field *fields, size_t n,
                   void *out, const char *prefix, cJSON *errors)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const struct json_field *f = &fields[i];
		char *slot = (char *)out + f->offset;
		const char *path = prefix ? arena_printf(r->arena, "%s%s", prefix, f->name)
		                          : f->name;
		size_t bad_parent;
		const cJSON *v = lookup(obj, f->name, &bad_parent);

		if (bad_parent) {
			const char *pp = arena_printf(r->arena, "%s%.*s", prefix ? prefix : "",
			                              (int)bad_parent, f->name);
			json_field_error(r, errors, pp, "type_object");
			ok = false;
			continue;
		}
		if (v == NULL) {
			if (f->flags & JF_REQUIRED) {
				json_field_error(r, errors, path, "required");
				ok = false;
			}
			continue;
		}
		if (cJSON_IsNull(v)) {
			if (f->flags & JF_NULLABLE) {
				/* Every out type starts with the set and null flags. */
				struct json_str *s = (struct json_str *)(void *)slot;
				s->set = true;
				s->null = true;
			} else {
				json_field_error(r, errors, path,
				                 (f->flags & JF_REQUIRED) ? "required" : "invalid");
				ok = false;
			}
			continue;
		}
		switch (f->type) {
		case JT_STRING:
		case JT_DATE:
		case JT_DATETIME: {
			struct json_str *s = (struct json_str *)(void *)slot;
			if (check_string(r, f, v, path, errors, s))
				s->set = true;
			else
				ok = false;
			break;
		}
		case JT_INT: {
			struct json_int *iv = (struct json_int *)(void *)slot;
			double d = v->valuedouble;
			if (!cJSON_IsNumber(v) || d != floor(d) ||
			    fabs(d) > (double)JSON_MAX_SAFE_INT) {
				json_field_error(r, errors, path, "type_integer");
				ok = false;
			} else if ((int64_t)d < f->min) {
				json_field_error(r, errors, path, "too_small");
				ok = false;
			} else if ((int64_t)d > f->max) {
				json_field_error(r, errors, path, "too_large");
				ok = false;
			} else {
				iv->set = true;
				iv->v = (int64_t)d;
			}
			break;
		}
		case JT_BOOL: {
			struct json_bool *b = (struct json_bool *)(void *)slot;
			if (!cJSON_IsBool(v)) {
				json_field_error(r, errors, path, "type_boolean");
				ok = false;
			} else {
				b->set = true;
				b->v = cJSON_IsTrue(v);
			}
			break;
		}
		case JT_OBJECT: {
			struct json_node *o = (struct json_node *)(void *)slot;
			if (!cJSON_IsObject(v)) {
				json_field_error(r, errors, path, "type_object");
				ok = false;
			} else {
				o->set = true;
				o->v = v;
			}
			break;
		}
		case JT_ARRAY: {
			struct json_node *a = (struct json_node *)(void *)slot;
			int count;
			if (!cJSON_IsArray(v)) {
				json_field_error(r, errors, path, "type_array");
				ok = false;
				break;
			}
			count = cJSON_GetArraySize(v);
			if (count < f->min) {
				json_field_error(r, errors, path,
				                 count == 0 ? "required" : "too_short");
				ok = false;
			} else if (f->max > 0 && count > f->max) {
				json_field_error(r, errors, path, "too_long");
				ok = false;
			} else {
				a->set = true;
				a->v = v;
			}
			break;
		}
		}
	}
	return ok;
}

const cJSON *json_body_or_reply(struct http_req *r)
{
	const char *end = NULL;

	if (r->json)
		return r->json;
	if (r->body_len == 0) {
		r->json = http_own(r, cJSON_CreateObject());
		return r->json;
	}
	if (!http_is_json(r)) {
		http_reply_error(r, "UNSUPPORTED_MEDIA_TYPE", NULL);
		return NULL;
	}
	/* RFC 8259 text is UTF-8; cJSON would silently truncate strings at an
	 * escaped NUL, so both are refused before parsing. */
	if (!tk_utf8_valid(r->body, r->body_len) || strstr(r->body, "\\u0000") ||
	    strstr(r->body, "\\U0000")) {
		http_reply_error(r, "INVALID_JSON", NULL);
		return NULL;
	}
	r->json = http_own(r, cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, false));
	if (r->json == NULL) {
		http_reply_error(r, "INVALID_JSON", NULL);
		return NULL;
	}
	while (end && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (end && end < r->body + r->body_len) {
		http_reply_error(r, "INVALID_JSON", NULL);
		return NULL;
	}
	return r->json;
}

void json_reply_validation(struct http_req *r, cJSON *errors)
{
	cJSON *details = cJSON_CreateObject(),
	      *reasons = cJSON_AddObjectToObject(details, "reasons");
	const cJSON *f;

	/* The reason code of each field answered (a client maps codes, not
	 * the message texts); "invalid" for an error made without one. */
	cJSON_ArrayForEach(f, errors)
	{
		const char *key = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r->field_reasons, f->string));
		cJSON_AddStringToObject(reasons, f->string, key ? key : "invalid");
	}
	cJSON_AddItemToObject(details, "fields", errors);
	http_reply_error(r, "VALIDATION", details);
}

const cJSON *json_object_body_or_reply(struct http_req *r)
{
	const cJSON *body = json_body_or_reply(r);

	if (body != NULL && !cJSON_IsObject(body)) {
		http_reply_error_full(r, 400, "INVALID_JSON",
		                      r->lang == LANG_EN ? "The body must be a JSON object."
		                                         : "본문은 JSON 객체여야 합니다.",
		                      NULL);
		return NULL;
	}
	return body;
}

void json_reply_field(struct http_req *r, const char *field, const char *key)
{
	cJSON *errors = cJSON_CreateObject();
	json_field_error(r, errors, field, key);
	json_reply_validation(r, errors);
}

void json_put_str(cJSON *o, const char *key, const struct json_str *s, bool null_is_empty)
{
	if (!s->set)
		return;
	if (s->null && !null_is_empty)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, s->null ? "" : s->v);
}

void json_put_int(cJSON *o, const char *key, const struct json_int *v)
{
	if (v->set && !v->null)
		cJSON_AddNumberToObject(o, key, (double)v->v);
}

void json_put_bool(cJSON *o, const char *key, const struct json_bool *v)
{
	if (v->set && !v->null)
		cJSON_AddBoolToObject(o, key, v->v);
}

bool json_fields_or_reply(struct http_req *r, const struct json_field *fields, size_t n, void *out)
{
	const cJSON *body = json_object_body_or_reply(r);
	cJSON *errors;

	if (body == NULL)
		return false;
	errors = cJSON_CreateObject();
	if (!json_validate(r, body, fields, n, out, NULL, errors)) {
		json_reply_validation(r, errors);
		return false;
	}
	cJSON_Delete(errors);
	return true;
}

cJSON *json_parse_owned(struct http_req *r, const char *text)
{
	if (text == NULL)
		return NULL;
	return http_own(r, cJSON_Parse(text));
}

cJSON *json_errors_add(struct http_req *r, cJSON *errors, const char *field, const char *key)
{
	if (errors == NULL)
		errors = cJSON_CreateObject();
	json_field_error(r, errors, field, key);
	return errors;
}
