/* client.c — libcurl client, JSON getters and string helpers for the suite. */
#include "client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- ring of short-lived strings ------------------------------------------ */

static char *ring[CLIENT_RING];
static size_t ring_next;

/* Takes over s (malloc'd) and returns it; frees the oldest slot. */
static char *ring_keep(char *s)
{
	free(ring[ring_next]);
	ring[ring_next] = s;
	ring_next = (ring_next + 1) % CLIENT_RING;
	return s;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "client: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *d = xmalloc(n + 1);
	memcpy(d, s, n + 1);
	return d;
}

char *strf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return ring_keep(s);
}

char *str_repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return ring_keep(s);
}

char *jbody(cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	char *d = xstrdup(s ? s : "null");
	cJSON_free(s);
	cJSON_Delete(obj);
	return ring_keep(d);
}

char *url_enc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *d = xmalloc(n * 3 + 1), *p = d;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return ring_keep(d);
}

char *date_plus(int days)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	char buf[16];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return ring_keep(xstrdup(buf));
}

/* ---- transport -------------------------------------------------------------- */

static CURL *curl;
static pid_t curl_pid;

const char *client_base_url(void)
{
	const char *b = getenv("TICKET_BASE_URL");
	return b && *b ? b : "http://127.0.0.1:8080";
}

/* The process's handle. A forked child must not share its parent's
 * connection, so it starts its own (the parent's copy is left alone). */
static CURL *handle(void)
{
	if (curl == NULL || curl_pid != getpid()) {
		static bool global;
		if (!global) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			global = true;
		}
		curl = curl_easy_init();
		curl_pid = getpid();
		if (curl == NULL) {
			fprintf(stderr, "client: curl_easy_init failed\n");
			abort();
		}
	}
	return curl;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	buf_add(ctx, data, size * nmemb);
	return size * nmemb;
}

/* Keeps the header block of the last response only (a 100 Continue or a
 * redirect's block is dropped when the next status line arrives). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		b->n = 0;
	buf_add(b, data, n);
	return n;
}

/* The value of header `name` in a raw block (index-th occurrence), malloc'd;
 * NULL when absent. */
static char *header_value(const char *block, const char *name, int index, int *count)
{
	size_t nl = strlen(name);
	char *found = NULL;
	int seen = 0;

	for (const char *line = block; line && *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			if (seen == index && found == NULL) {
				const char *v = line + nl + 1;
				size_t vl = len - nl - 1;
				while (vl && (*v == ' ' || *v == '\t')) {
					v++;
					vl--;
				}
				while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
					vl--;
				found = xmalloc(vl + 1);
				memcpy(found, v, vl);
				found[vl] = '\0';
			}
			seen++;
		}
		line = end ? end + 2 : NULL;
	}
	if (count)
		*count = seen;
	return found;
}

const char *resp_header(const resp_t *r, const char *name)
{
	char *v = r->headers ? header_value(r->headers, name, 0, NULL) : NULL;
	return v ? ring_keep(v) : NULL;
}

const char *resp_snippet(const resp_t *r)
{
	size_t n = r->body_len < 400 ? r->body_len : 400;
	char *s = xmalloc(n + 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r->body[i];
		s[i] = (c == 0 || c == '\r' || c == '\n') ? ' ' : (char)c;
	}
	strcpy(s + n, r->body_len > n ? "..." : "");
	return ring_keep(s);
}

resp_t *req_raw(const struct rawreq *rq)
{
	CURL *c = handle();
	struct curl_slist *hl = NULL;
	struct buf body = {0}, head = {0};
	resp_t *r = calloc(1, sizeof(*r));
	const char *method = rq->method ? rq->method : "GET";
	char url[1024], *ct_line = NULL, *auth_line = NULL;
	CURLcode rc;

	if (r == NULL)
		abort();
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", rq->target);

	snprintf(url, sizeof(url), "%s/", client_base_url());
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* The target goes out exactly as given: hostile paths stay hostile. */
	curl_easy_setopt(c, CURLOPT_REQUEST_TARGET, rq->target);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ticketd-itest/1");

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (rq->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	           strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(rq->body ? rq->body_len : 0));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}

	hl = curl_slist_append(hl, "Expect:");
	/* Built here, not in the ring: a request must not evict the caller's
	 * strings. */
	if (rq->content_type && asprintf(&ct_line, "Content-Type: %s", rq->content_type) < 0)
		abort();
	hl = curl_slist_append(hl,
	                       ct_line ? ct_line : "Content-Type:"); /* none: not curl's default */
	if (rq->token) {
		if (asprintf(&auth_line, "Authorization: Bearer %s", rq->token) < 0)
			abort();
		hl = curl_slist_append(hl, auth_line);
	}
	for (const char *const *h = rq->headers; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	free(ct_line);
	free(auth_line);
	buf_add(&body, "", 0);
	buf_add(&head, "", 0);
	r->body = body.p;
	r->body_len = body.n;
	r->headers = head.p;
	if (rc != CURLE_OK) {
		r->curl_error = curl_easy_strerror(rc);
		r->status = 0;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	}
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
	r->json = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	r->content_type = header_value(r->headers, "Content-Type", 0, NULL);
	r->request_id = header_value(r->headers, "X-Request-ID", 0, &r->n_request_id);
	r->set_cookie = header_value(r->headers, "Set-Cookie", 0, NULL);
	r->location = header_value(r->headers, "Location", 0, NULL);
	r->allow = header_value(r->headers, "Allow", 0, NULL);
	r->retry_after = header_value(r->headers, "Retry-After", 0, NULL);
	return r;
}

resp_t *req_(const char *method, const char *path, const char *body, const char *token, ...)
{
	const char *extra[32];
	size_t n = 0;
	const char *ct = body ? "application/json" : NULL;
	va_list ap;
	struct rawreq rq = {0};

	va_start(ap, token);
	for (const char *h; (h = va_arg(ap, const char *)) != NULL;) {
		if (strncasecmp(h, "Content-Type:", 13) == 0) {
			ct = h + 13;
			while (*ct == ' ')
				ct++;
			continue;
		}
		if (n + 1 < sizeof(extra) / sizeof(extra[0]))
			extra[n++] = h;
	}
	va_end(ap);
	extra[n] = NULL;

	rq.method = method;
	rq.target = path;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.content_type = ct;
	rq.token = token;
	rq.headers = extra;
	return req_raw(&rq);
}

void resp_free(resp_t *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->json);
	free(r->body);
	free(r->headers);
	free(r->content_type);
	free(r->request_id);
	free(r->set_cookie);
	free(r->location);
	free(r->allow);
	free(r->retry_after);
	free(r);
}

/* ---- sessions ------------------------------------------------------------------ */

resp_t *login_resp(const char *family, const char *username, const char *password)
{
	cJSON *o = cJSON_CreateObject();
	char path[128], *body;
	resp_t *r;

	cJSON_AddStringToObject(o, "username", username);
	cJSON_AddStringToObject(o, "password", password);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/fcgi/%s/login", family);
	r = req("POST", path, body, NULL);
	cJSON_free(body);
	return r;
}

struct sess *sess_from(const resp_t *r)
{
	struct sess *s = NULL;
	const char *tok = jstr(r, "token");

	if (r->status == 200 && tok && *tok) {
		const char *csrf = jstr(r, "csrf");
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			abort();
		s->token = xstrdup(tok);
		s->csrf = xstrdup(csrf ? csrf : "");
		s->set_cookie = xstrdup(r->set_cookie ? r->set_cookie : "");
		{
			/* The cookie itself: the Set-Cookie value up to the first ';'. */
			const char *sc = s->set_cookie;
			size_t n = strcspn(sc, ";");
			s->cookie = xmalloc(n + 1);
			memcpy(s->cookie, sc, n);
			s->cookie[n] = '\0';
		}
		s->admin_id = jint(r, "admin.id");
	}
	return s;
}

struct sess *login(const char *family, const char *username, const char *password)
{
	resp_t *r = login_resp(family, username, password);
	struct sess *s = sess_from(r);
	resp_free(r);
	return s;
}

void sess_free(struct sess *s)
{
	if (s == NULL)
		return;
	free(s->token);
	free(s->csrf);
	free(s->cookie);
	free(s->set_cookie);
	free(s);
}

/* ---- JSON ------------------------------------------------------------------------- */

const cJSON *jget(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	char key[128];

	while (cur && path && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (cJSON_IsArray(cur)) {
			char *end;
			long i = strtol(key, &end, 10);
			if (*end != '\0' || i < 0)
				return NULL;
			cur = cJSON_GetArrayItem(cur, (int)i);
		} else if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		} else {
			return NULL;
		}
		path += n;
		if (*path == '.')
			path++;
	}
	return cur;
}

const char *jstr(const resp_t *r, const char *path)
{
	const cJSON *v = jget(r->json, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long jint(const resp_t *r, const char *path)
{
	const cJSON *v = jget(r->json, path);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : JINT_NONE;
}

int jbool(const resp_t *r, const char *path)
{
	const cJSON *v = jget(r->json, path);
	if (!cJSON_IsBool(v))
		return -1;
	return cJSON_IsTrue(v) ? 1 : 0;
}

const char *err_code(const resp_t *r)
{
	const char *c = jstr(r, "error.code");
	return c ? c : "";
}

bool err_field(const resp_t *r, const char *field)
{
	const cJSON *fields = jget(r->json, "error.details.fields");
	if (!cJSON_IsObject(fields))
		return false;
	return cJSON_GetObjectItemCaseSensitive(fields, field) != NULL;
}

const cJSON *jitems(const resp_t *r)
{
	const cJSON *it = jget(r->json, "items"), *m;
	if (cJSON_IsArray(it))
		return it;
	if (!cJSON_IsObject(r->json))
		return NULL;
	cJSON_ArrayForEach(m, r->json)
	{
		if (cJSON_IsArray(m))
			return m;
	}
	return NULL;
}

long long jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : JINT_NONE;
}

const char *jtext(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *jfind_id(const cJSON *arr, const char *key, long long id)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		if (jnum(e, key) == id)
			return e;
	}
	return NULL;
}

const cJSON *jfind_str(const cJSON *arr, const char *key, const char *s)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		const char *v = jtext(e, key);
		if (v && strcmp(v, s) == 0)
			return e;
	}
	return NULL;
}
