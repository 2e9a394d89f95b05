/*
 * alimtalk.c — Alimtalk templates and the NHN Cloud Bizmessage v2.3 send
 * call. One easy handle per process, reset between calls, so the
 * connection to the provider stays open across the sender's rows.
 */
#include "alimtalk.h"

#include "config.h"
#include "log.h"
#include "tk.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIMTALK_CONNECT_TIMEOUT_MS 3000L
#define ALIMTALK_TIMEOUT_MS 5000L
#define ALIMTALK_TIMEOUT_MS_MAX 120000L
#define ALIMTALK_SENDER_KEY_DEV "ticketd0dev0sender0key000000000000000000" /* 40 */
#define ALIMTALK_RESEND_NO_DEV "0212345678"

static CURL *curl;

/* ---- templates --------------------------------------------------------- */

static bool code_ok(const char *code)
{
	size_t n = code ? strlen(code) : 0;
	if (n == 0 || n > ALIMTALK_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9') ||
		      code[i] == '_'))
			return false;
	return true;
}

enum alimtalk_err alimtalk_template(struct arena *a, const char *code, const char **text)
{
	char *buf, *path;
	size_t n;
	FILE *f;

	*text = NULL;
	if (!code_ok(code))
		return ALIMTALK_NO_TEMPLATE;
	path = arena_printf(a, "%s/templates/alimtalk/%s.txt", cfg.root, code);
	f = fopen(path, "rb");
	if (f == NULL)
		return ALIMTALK_NO_TEMPLATE;
	buf = arena_alloc(a, ALIMTALK_FILE_MAX + 1);
	n = fread(buf, 1, ALIMTALK_FILE_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > ALIMTALK_FILE_MAX || !tk_utf8_valid(buf, n)) {
		log_event(LOG_ERROR, "alimtalk_template", "msg", "empty, too large or not UTF-8",
		          "file", path, NULL);
		return ALIMTALK_NO_TEMPLATE;
	}
	if (buf[n - 1] == '\n')
		n--; /* the file's last newline is not part of the text */
	buf[n] = '\0';
	*text = buf;
	return ALIMTALK_OK;
}

/* A parameter's text: strings as they are, integers printed. */
static const char *param_text(struct arena *a, const cJSON *params, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsNumber(v))
		return arena_printf(a, "%lld", (long long)v->valuedouble);
	return NULL;
}

enum alimtalk_err alimtalk_fill(struct arena *a, const char *tmpl, const cJSON *params,
                                const char **out, const char **missing)
{
	size_t cap = strlen(tmpl) + 1, len = 0;
	char *buf;
	const char *p = tmpl;

	*out = NULL;
	*missing = NULL;
	for (const char *q = tmpl; (q = strstr(q, "#{")) != NULL; q += 2) {
		const char *end = strchr(q, '}');
		char name[ALIMTALK_VAR_MAX + 1];
		const char *v;
		if (end == NULL || (size_t)(end - q - 2) > ALIMTALK_VAR_MAX)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(end - q - 2), q + 2);
		if ((v = param_text(a, params, name)) == NULL) {
			*missing = arena_strdup(a, name);
			return ALIMTALK_MISMATCH;
		}
		cap += strlen(v);
	}
	buf = arena_alloc(a, cap);
	while (*p) {
		const char *q = strstr(p, "#{"), *end = q ? strchr(q, '}') : NULL, *v;
		char name[ALIMTALK_VAR_MAX + 1];
		if (q == NULL || end == NULL || (size_t)(end - q - 2) > ALIMTALK_VAR_MAX) {
			len += (size_t)snprintf(buf + len, cap - len, "%s", p);
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - q - 2), q + 2);
		v = param_text(a, params, name);
		len += (size_t)snprintf(buf + len, cap - len, "%.*s%s", (int)(q - p), p, v);
		p = end + 1;
	}
	buf[len] = '\0';
	if (tk_utf8_len(buf) > ALIMTALK_TEXT_MAX) {
		*missing = "(length)";
		return ALIMTALK_MISMATCH;
	}
	*out = buf;
	return ALIMTALK_OK;
}

/* ---- the send call ------------------------------------------------------ */

const char *alimtalk_outcome_name(enum alimtalk_outcome o)
{
	switch (o) {
	case ALIMTALK_SENT: return "sent";
	case ALIMTALK_RESENT: return "resent";
	case ALIMTALK_ALREADY: return "already";
	case ALIMTALK_REFUSED: return "refused";
	case ALIMTALK_TRANSIENT: return "transient";
	}
	return "?";
}

struct body {
	char *data;
	size_t len;
	bool over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	char *d;

	if (size != 1 || n > ALIMTALK_BODY_MAX - b->len) {
		b->over = true;
		return 0;
	}
	d = realloc(b->data, b->len + n + 1);
	if (d == NULL) {
		b->over = true;
		return 0;
	}
	b->data = d;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static const char *setting(const char *key, const char *dev_default)
{
	const char *v = config_get(key);
	if (v && *v)
		return v;
	return cfg.dev ? dev_default : NULL;
}

static long timeout_ms(void)
{
	const char *v = config_get("TICKET_KAKAO_TIMEOUT_MS");
	int64_t n;
	if (v && tk_parse_i64(v, 100, ALIMTALK_TIMEOUT_MS_MAX, &n))
		return (long)n;
	return ALIMTALK_TIMEOUT_MS;
}

/* The request body: one recipient, its parameters, the fallback. */
static char *request_json(const char *code, const char *recipient, const cJSON *params)
{
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "recipientList");
	cJSON *rcp = cJSON_CreateObject();
	const char *sender = setting("TICKET_KAKAO_SENDER_KEY", ALIMTALK_SENDER_KEY_DEV);
	const char *resend_no = setting("TICKET_KAKAO_RESEND_NO", ALIMTALK_RESEND_NO_DEV);
	char *s;

	cJSON_AddStringToObject(o, "senderKey", sender ? sender : "");
	cJSON_AddStringToObject(o, "templateCode", code);
	cJSON_AddItemToArray(list, rcp);
	cJSON_AddStringToObject(rcp, "recipientNo", recipient);
	cJSON_AddItemToObject(rcp, "templateParameter", cJSON_Duplicate(params, true));
	if (resend_no) {
		cJSON *rs = cJSON_AddObjectToObject(rcp, "resendParameter");
		cJSON_AddBoolToObject(rs, "isResend", true);
		cJSON_AddStringToObject(rs, "resendType", "LMS");
		cJSON_AddStringToObject(rs, "resendSendNo", resend_no);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int json_int(const cJSON *o, const char *name, int def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (int)v->valuedouble : def;
}

static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Reads the provider's envelope into *res and decides the outcome. */
static enum alimtalk_outcome answer(const char *text, struct alimtalk_result *res)
{
	cJSON *root = text ? cJSON_Parse(text) : NULL;
	const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(root, "header");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, "sendResults"),
	                                     0);
	enum alimtalk_outcome o = ALIMTALK_TRANSIENT;

	if (!cJSON_IsObject(hdr)) {
		snprintf(res->text, sizeof(res->text), "HTTP %ld: not a Bizmessage answer",
		         res->http_status);
		goto out;
	}
	res->code = json_int(hdr, "resultCode", -1);
	snprintf(res->request_id, sizeof(res->request_id), "%s", json_str(msg, "requestId"));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hdr, "isSuccessful"))) {
		snprintf(res->text, sizeof(res->text), "%d %s", res->code,
		         json_str(hdr, "resultMessage"));
		o = res->code == ALIMTALK_DUPLICATE ? ALIMTALK_ALREADY : ALIMTALK_REFUSED;
		goto out;
	}
	if (!cJSON_IsObject(r0)) {
		snprintf(res->text, sizeof(res->text), "no sendResults");
		goto out;
	}
	res->code = json_int(r0, "resultCode", -1);
	if (res->code == 0) {
		snprintf(res->text, sizeof(res->text), "0 %s", json_str(r0, "resultMessage"));
		o = ALIMTALK_SENT;
	} else if (strcmp(json_str(r0, "resendStatus"), "RSC04") == 0) {
		snprintf(res->text, sizeof(res->text), "%d %s; resent by %s", res->code,
		         json_str(r0, "resultMessage"), json_str(r0, "resendType"));
		o = ALIMTALK_RESENT;
	} else {
		snprintf(res->text, sizeof(res->text), "%d %s", res->code,
		         json_str(r0, "resultMessage"));
		o = ALIMTALK_REFUSED;
	}
out:
	cJSON_Delete(root);
	return o;
}

static struct curl_slist *headers(struct arena *a, const char *idem)
{
	const char *const lines[] = {
	    arena_printf(a, "X-Secret-Key: %s", cfg.kakao_secret ? cfg.kakao_secret : ""),
	    "Content-Type: application/json;charset=UTF-8", "Accept: application/json",
	    arena_printf(a, "X-NC-API-IDEMPOTENCY-KEY: %s", idem), "Expect:"};
	struct curl_slist *h = NULL, *t;

	for (size_t i = 0; i < TK_ARRAY_LEN(lines); i++) {
		if ((t = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

enum alimtalk_outcome alimtalk_send(struct arena *a, const char *idem, const char *code,
                                    const char *recipient, const cJSON *params,
                                    struct alimtalk_result *res)
{
	const char *base = cfg.kakao_url;
	size_t blen = strlen(base);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body b = {0};
	struct curl_slist *h = NULL;
	char *body = NULL, *url;
	enum alimtalk_outcome o = ALIMTALK_TRANSIENT;
	CURLcode cc;

	memset(res, 0, sizeof(*res));
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	url = arena_printf(a, "%.*s/alimtalk/v2.3/appkeys/%s/messages", (int)blen, base,
	                   cfg.kakao_appkey);
	if (curl == NULL && (curl = curl_easy_init()) == NULL) {
		snprintf(res->text, sizeof(res->text), "libcurl failed");
		return ALIMTALK_TRANSIENT;
	}
	curl_easy_reset(curl);
	body = request_json(code, recipient, params);
	h = headers(a, idem);
	if (body == NULL || h == NULL) {
		snprintf(res->text, sizeof(res->text), "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ALIMTALK_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms());
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ticketd/" TK_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->http_status);
	if (cc != CURLE_OK) {
		res->http_status = 0;
		snprintf(res->text, sizeof(res->text), "%.200s",
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (res->http_status >= 500 || res->http_status == 429) {
		snprintf(res->text, sizeof(res->text), "HTTP %ld", res->http_status);
	} else {
		o = answer(b.data, res);
		if (res->http_status >= 400 && o == ALIMTALK_TRANSIENT)
			o = ALIMTALK_REFUSED;
	}
	log_event(o == ALIMTALK_SENT || o == ALIMTALK_RESENT ? LOG_INFO : LOG_WARN, "alimtalk",
	          "template", code, "idem", idem, "status",
	          arena_printf(a, "%ld", res->http_status), "outcome", alimtalk_outcome_name(o),
	          "result", res->text, NULL);
out:
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(h);
	cJSON_free(body);
	free(b.data);
	return o;
}
