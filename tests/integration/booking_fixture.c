/* booking_fixture.c — events, quotas, products, reservations, stock read
 * back, and the libcurl multi driver (see booking_fixture.h). */
#include "booking_fixture.h"

#include "fixture.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEOUL_OFFSET_S (9 * 3600)
#define BK_NOFILE_WANT 4096 /* a rush of 300 connections and room to spare */

/* ---- time ---------------------------------------------------------------- */

char *bk_date(int days)
{
	time_t t = time(NULL) + SEOUL_OFFSET_S + (time_t)days * 86400;
	struct tm tm;
	char buf[16];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return strf("%s", buf);
}

char *bk_instant(long long seconds)
{
	time_t t = time(NULL) + SEOUL_OFFSET_S + (time_t)seconds;
	struct tm tm;
	char buf[40];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+09:00", &tm);
	return strf("%s", buf);
}

long long bk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bk_sleep_ms(long long ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- events, quotas, products ----------------------------------------------- */

long long bk_event(const char *code, int hold_seconds, int max_per_order)
{
	cJSON *o = cJSON_CreateObject();
	resp_t *r;
	long long id;

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "title", strf("Booking %s", code));
	cJSON_AddStringToObject(o, "venue", "Test Hall");
	cJSON_AddStringToObject(o, "address", "1 Test-ro, Seoul");
	cJSON_AddStringToObject(o, "starts_on", bk_date(-2));
	cJSON_AddStringToObject(o, "ends_on", bk_date(30));
	cJSON_AddStringToObject(o, "open_hours", "10:00-18:00");
	if (hold_seconds > 0)
		cJSON_AddNumberToObject(o, "hold_seconds", hold_seconds);
	if (max_per_order > 0)
		cJSON_AddNumberToObject(o, "max_per_order", max_per_order);
	r = req("POST", "/fcgi/super-admin/events", jbody(o), super_tok());
	ASSERT_STATUS(r, 201);
	id = jint(r, "event.id");
	ck_assert_msg(id > 0, "POST events: no event.id in %s", resp_snippet(r));
	if (hold_seconds > 0)
		ck_assert_msg(jint(r, "event.hold_seconds") == hold_seconds,
		              "event.hold_seconds not %d: %s", hold_seconds, resp_snippet(r));
	resp_free(r);
	r = req("POST", strf("/fcgi/super-admin/events/%lld/activate", id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	return id;
}

long long bk_quota(long long ev, const char *name, int capacity, bool per_day)
{
	cJSON *o = cJSON_CreateObject();
	resp_t *r;
	long long id;

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "capacity", capacity);
	cJSON_AddBoolToObject(o, "per_day", per_day);
	r = req("POST", strf("/fcgi/admin/events/%lld/quotas", ev), jbody(o), super_tok());
	ASSERT_STATUS(r, 201);
	id = jint(r, "quota.id");
	ck_assert_msg(id > 0, "POST quotas: no quota.id in %s", resp_snippet(r));
	resp_free(r);
	return id;
}

long long bk_product(long long ev, const struct bk_product *p)
{
	cJSON *o = cJSON_CreateObject(), *q;
	resp_t *r;
	long long id;

	cJSON_AddStringToObject(o, "type", "TICKET");
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddNumberToObject(o, "price", (double)p->price);
	cJSON_AddBoolToObject(o, "dated", p->dated);
	if (p->max_per_order > 0)
		cJSON_AddNumberToObject(o, "max_per_order", p->max_per_order);
	if (p->sale_starts_at)
		cJSON_AddStringToObject(o, "sale_starts_at", p->sale_starts_at);
	if (p->sale_ends_at)
		cJSON_AddStringToObject(o, "sale_ends_at", p->sale_ends_at);
	q = cJSON_AddArrayToObject(o, "quota_ids");
	for (size_t i = 0; i < BK_MAX_QUOTAS && p->quotas[i]; i++)
		cJSON_AddItemToArray(q, cJSON_CreateNumber((double)p->quotas[i]));
	r = req("POST", strf("/fcgi/admin/events/%lld/products", ev), jbody(o), super_tok());
	ASSERT_STATUS(r, 201);
	id = jint(r, "product.id");
	ck_assert_msg(id > 0, "POST products: no product.id in %s", resp_snippet(r));
	resp_free(r);
	return id;
}

/* ---- reservations --------------------------------------------------------------- */

char *bk_body(const char *date, const struct bk_item *items, size_t n)
{
	cJSON *o = cJSON_CreateObject(), *arr, *c;

	if (date)
		cJSON_AddStringToObject(o, "visit_date", date);
	arr = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < n; i++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddNumberToObject(it, "product_id", (double)items[i].product_id);
		cJSON_AddNumberToObject(it, "qty", items[i].qty);
		cJSON_AddItemToArray(arr, it);
	}
	c = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddStringToObject(c, "name", "홍길동");
	cJSON_AddStringToObject(c, "phone", "010-1234-5678");
	return jbody(o);
}

resp_t *bk_post(const char *code, const char *body)
{
	return req("POST", strf("/fcgi/public/events/%s/reservations", code), body, NULL);
}

resp_t *bk_reserve(const char *code, const char *date, long long product_id, int qty)
{
	struct bk_item it = {product_id, qty};
	return bk_post(code, bk_body(date, &it, 1));
}

resp_t *bk_get(const char *code, const char *token)
{
	return req("GET", strf("/fcgi/public/events/%s/reservations/%s", code, token), NULL, NULL);
}

resp_t *bk_cancel(const char *code, const char *token)
{
	return req("DELETE", strf("/fcgi/public/events/%s/reservations/%s", code, token), NULL,
	           NULL);
}

resp_t *bk_extend(const char *code, const char *token)
{
	return req("POST", strf("/fcgi/public/events/%s/reservations/%s/extend", code, token), NULL,
	           NULL);
}

/* A URL as a query value: percent-encoded except ':' and '/', which a
 * query may carry as they are (the workers refuse an encoded slash). */
static char *url_value(const char *u)
{
	char *out = malloc(strlen(u) * 3 + 1), *o = out, *ring;

	ck_assert_msg(out != NULL, "out of memory");
	for (const unsigned char *c = (const unsigned char *)u; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~:/", *c))
			*o++ = (char)*c;
		else
			o += sprintf(o, "%%%02X", *c);
	}
	*o = '\0';
	ring = strf("%s", out);
	free(out);
	return ring;
}

/* The path (and query) of a URL on the stack. */
static const char *path_of(const char *url)
{
	const char *base = client_base_url();
	size_t n = strlen(base);

	ck_assert_msg(url != NULL, "no Location");
	return strncmp(url, base, n) == 0 ? url + n : url;
}

void bk_pay(const resp_t *res)
{
	const char *order_id = jstr(res, "reservation.order_id");
	const char *name = jstr(res, "reservation.order_name");
	const char *key = jstr(res, "payment.client_key");
	const char *su = jstr(res, "payment.success_url"), *fu = jstr(res, "payment.fail_url");
	long long amount = jint(res, "reservation.amount");
	char *next;
	resp_t *r;

	ck_assert_msg(order_id && name && key && su && fu && amount > 0,
	              "reservation answer lacks what the payment needs: %s", resp_snippet(res));
	r = req("GET",
	        strf("/_fake/toss/checkout?clientKey=%s&orderId=%s&orderName=%s&amount=%lld"
	             "&successUrl=%s&failUrl=%s&action=approve",
	             url_enc(key), url_enc(order_id), url_enc(name), amount, url_value(su),
	             url_value(fu)),
	        NULL, NULL);
	ck_assert_msg(r->status == 302 && r->location != NULL,
	              "fake checkout: want 302 with Location, got %ld %s", r->status,
	              resp_snippet(r));
	next = strdup(path_of(r->location));
	resp_free(r);
	ck_assert_msg(strncmp(next, "/fcgi/payment/success?", 22) == 0,
	              "the payment window went to %s, not the success URL", next);
	r = req("GET", next, NULL, NULL);
	ck_assert_msg(r->status == 303 && r->location && strstr(r->location, "/orders/"),
	              "%s: want 303 to the order page, got %ld (Location %s) %s", next, r->status,
	              r->location ? r->location : "-", resp_snippet(r));
	resp_free(r);
	free(next);
}

long long bk_available(const char *code, const char *date, long long product_id)
{
	resp_t *r = req("GET",
	                date ? strf("/fcgi/public/events/%s/products?date=%s", code, date)
	                     : strf("/fcgi/public/events/%s/products", code),
	                NULL, NULL);
	const cJSON *p;
	long long a;

	ASSERT_STATUS(r, 200);
	p = jfind_id(jitems(r), "id", product_id);
	ck_assert_msg(p != NULL, "product %lld not listed: %s", product_id, resp_snippet(r));
	a = jnum(p, "available");
	resp_free(r);
	return a;
}

/* ---- PostgreSQL --------------------------------------------------------------------- */

void bk_flush(void)
{
	ck_assert_int_eq(bk_ticketctl("flush"), 0);
}

long long bk_pending_orders_written(long long ev)
{
	return tdb_count("SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'pending'",
	                 strf("%lld", ev));
}

long long bk_pending_orders(long long ev)
{
	bk_flush();
	return tdb_count("SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'pending'",
	                 strf("%lld", ev));
}

#define LIVE_UNITS \
	"SELECT COALESCE(sum(i.qty), 0) FROM orders o JOIN order_items i ON i.order_id = o.id" \
	" WHERE o.event_id = $1 AND o.status = 'pending' AND o.hold_expires_at > now()"

long long bk_live_units(long long ev, const char *date)
{
	bk_flush();
	if (date == NULL)
		return tdb_count(LIVE_UNITS, strf("%lld", ev));
	return tdb_count(LIVE_UNITS " AND o.visit_date = $2::date", strf("%lld", ev), date);
}

#define QUOTA_LIVE_UNITS \
	"SELECT COALESCE(sum(i.qty * u.units), 0) FROM orders o" \
	" JOIN order_items i ON i.order_id = o.id" \
	" JOIN product_quota_units u ON u.product_id = i.product_id" \
	" WHERE u.quota_id = $1 AND o.status = 'pending' AND o.hold_expires_at > now()"

long long bk_quota_live_units(long long quota, const char *date)
{
	bk_flush();
	if (date == NULL)
		return tdb_count(QUOTA_LIVE_UNITS, strf("%lld", quota));
	return tdb_count(QUOTA_LIVE_UNITS " AND o.visit_date = $2::date", strf("%lld", quota),
	                 date);
}

long long bk_quota_sold(long long quota, const char *date)
{
	long long n = date ? tdb_count("SELECT sold FROM quota_usage WHERE quota_id = $1"
	                               " AND visit_date = $2::date",
	                               strf("%lld", quota), date)
	                   : tdb_count("SELECT sold FROM quota_usage WHERE quota_id = $1"
	                               " AND visit_date IS NULL",
	                               strf("%lld", quota));
	return n < 0 ? 0 : n;
}

const char *bk_order_phone(const char *token)
{
	bk_flush();
	return tdb_value("SELECT customer_phone FROM orders WHERE reservation_token = $1", token);
}

/* ---- Redis ----------------------------------------------------------------------------- */

static redisContext *rconn;
static pid_t rconn_pid;

static redisContext *redis(void)
{
	const char *path = getenv("TICKET_REDIS");

	if (rconn && rconn_pid == getpid() && rconn->err == 0)
		return rconn;
	if (rconn && rconn_pid == getpid())
		redisFree(rconn);
	ck_assert_msg(path && *path, "TICKET_REDIS is not set (source $TICKET_VAR/env)");
	rconn = redisConnectUnix(path);
	rconn_pid = getpid();
	ck_assert_msg(rconn && rconn->err == 0, "redis %s: %s", path,
	              rconn ? rconn->errstr : "no memory");
	return rconn;
}

/* One command; the reply (caller frees). */
static redisReply *rcmd(int argc, const char **argv)
{
	redisReply *rep = redisCommandArgv(redis(), argc, argv, NULL);
	ck_assert_msg(rep != NULL, "redis %s: %s", argv[0], rconn->errstr);
	ck_assert_msg(rep->type != REDIS_REPLY_ERROR, "redis %s: %s", argv[0], rep->str);
	return rep;
}

long long bk_counter(long long ev, long long quota, const char *date)
{
	const char *argv[] = {"GET", strf("{ev:%lld}:a:%lld:%s", ev, quota, date ? date : "all")};
	redisReply *rep = rcmd(2, argv);
	long long v = -1;

	if (rep->type == REDIS_REPLY_STRING)
		v = strtoll(rep->str, NULL, 10);
	else if (rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	freeReplyObject(rep);
	return v;
}

static long long zcard(const char *key)
{
	const char *argv[] = {"ZCARD", key};
	redisReply *rep = rcmd(2, argv);
	long long v = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
	freeReplyObject(rep);
	return v;
}

long long bk_holds(long long ev)
{
	return zcard(strf("{ev:%lld}:holds", ev));
}

void bk_writer_lock(long long ev, bool take)
{
	const char *set[] = {"SET", strf("{ev:%lld}:wl", ev), "test", "PX", "600000"};
	const char *del[] = {"DEL", strf("{ev:%lld}:wl", ev)};
	freeReplyObject(take ? rcmd(5, set) : rcmd(2, del));
}

long long bk_queued(long long ev)
{
	return zcard(strf("{ev:%lld}:w", ev));
}

bool bk_hold_exists(long long ev, const char *token)
{
	const char *argv[] = {"EXISTS", strf("{ev:%lld}:h:%s", ev, token)};
	redisReply *rep = rcmd(2, argv);
	bool v = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return v;
}

redisReply *bk_redis(int argc, const char **argv)
{
	return rcmd(argc, argv);
}

void bk_flushall(void)
{
	const char *argv[] = {"FLUSHALL"};
	redisReply *rep = rcmd(1, argv);
	ck_assert_msg(rep->type == REDIS_REPLY_STATUS, "FLUSHALL: reply type %d", rep->type);
	freeReplyObject(rep);
}

int bk_ticketctl(const char *args)
{
	const char *build = getenv("TICKET_BUILD");
	char *bin, *copy, *argv[16];
	int argc = 0, status;
	pid_t pid;

	ck_assert_msg(build && *build, "TICKET_BUILD is not set");
	bin = strf("%s/ticketctl", build);
	copy = strf("%s", args);
	argv[argc++] = bin;
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && argc < 15;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO); /* "N events reconciled" */
		execv(bin, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- libcurl multi --------------------------------------------------------------------- */

struct slot {
	CURL *e;
	struct curl_slist *hl;
	char *body;
	size_t len, cap;
	size_t i;
	char method[16];
	char path[160];
	char *url;
};

static size_t slot_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct slot *s = ctx;
	size_t n = size * nmemb;

	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + n + 1)
			cap *= 2;
		s->body = realloc(s->body, cap);
		ck_assert_msg(s->body != NULL, "out of memory");
		s->cap = cap;
	}
	memcpy(s->body + s->len, data, n);
	s->len += n;
	s->body[s->len] = '\0';
	return n;
}

static void raise_nofile(size_t concurrency)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(concurrency * 2 + 256);

	if (want < BK_NOFILE_WANT)
		want = BK_NOFILE_WANT;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void slot_start(CURLM *m, struct slot *s, const struct bk_multi *bm, size_t i)
{
	struct bk_call c = {0};

	bm->make(i, &c, bm->ctx);
	s->i = i;
	s->len = 0;
	if (s->body)
		s->body[0] = '\0';
	snprintf(s->method, sizeof(s->method), "%s", c.method ? c.method : "GET");
	snprintf(s->path, sizeof(s->path), "%s", c.path);
	free(s->url);
	if (asprintf(&s->url, "%s%s", client_base_url(), c.path) < 0)
		abort();
	curl_slist_free_all(s->hl);
	s->hl = curl_slist_append(NULL, "Expect:");
	s->hl = curl_slist_append(s->hl,
	                          c.body ? "Content-Type: application/json" : "Content-Type:");

	curl_easy_reset(s->e);
	curl_easy_setopt(s->e, CURLOPT_URL, s->url);
	curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->e, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT);
	curl_easy_setopt(s->e, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, slot_write);
	curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->e, CURLOPT_USERAGENT, "ticketd-itest-rush/1");
	curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, s->hl);
	if (c.body) {
		curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE, (long)strlen(c.body));
		curl_easy_setopt(s->e, CURLOPT_COPYPOSTFIELDS, c.body);
		if (strcmp(s->method, "POST") != 0)
			curl_easy_setopt(s->e, CURLOPT_CUSTOMREQUEST, s->method);
	} else if (strcmp(s->method, "POST") == 0) {
		curl_easy_setopt(s->e, CURLOPT_POST, 1L);
		curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (strcmp(s->method, "GET") != 0) {
		curl_easy_setopt(s->e, CURLOPT_CUSTOMREQUEST, s->method);
	}
	ck_assert_msg(curl_multi_add_handle(m, s->e) == CURLM_OK, "curl_multi_add_handle");
}

void bk_multi_run(const struct bk_multi *bm)
{
	size_t n = bm->concurrency < bm->total ? bm->concurrency : bm->total, next = 0, done = 0;
	struct slot *slots;
	CURLM *m;

	if (bm->total == 0)
		return;
	raise_nofile(n);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	ck_assert_msg(m != NULL, "curl_multi_init");
	/* One connection per slot, kept across the requests it carries. */
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n);
	slots = calloc(n, sizeof(*slots));
	ck_assert_msg(slots != NULL, "out of memory");
	for (size_t k = 0; k < n; k++) {
		slots[k].e = curl_easy_init();
		ck_assert_msg(slots[k].e != NULL, "curl_easy_init");
		slot_start(m, &slots[k], bm, next++);
	}
	while (done < bm->total) {
		int running = 0, left = 0;
		CURLMsg *msg;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct slot *s;
			char *priv = NULL;
			resp_t *r;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			s = (struct slot *)(void *)priv;
			r = calloc(1, sizeof(*r));
			ck_assert_msg(r != NULL, "out of memory");
			snprintf(r->method, sizeof(r->method), "%s", s->method);
			snprintf(r->path, sizeof(r->path), "%s", s->path);
			r->body = strdup(s->body ? s->body : "");
			r->body_len = s->len;
			if (msg->data.result == CURLE_OK) {
				curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &r->status);
			} else {
				r->status = 0;
				r->curl_error = curl_easy_strerror(msg->data.result);
			}
			curl_easy_getinfo(s->e, CURLINFO_TOTAL_TIME, &r->seconds);
			r->json = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
			curl_multi_remove_handle(m, s->e);
			done++;
			bm->done(s->i, r, bm->ctx);
			resp_free(r);
			if (next < bm->total)
				slot_start(m, s, bm, next++);
		}
		if (done < bm->total)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	for (size_t k = 0; k < n; k++) {
		curl_easy_cleanup(slots[k].e);
		curl_slist_free_all(slots[k].hl);
		free(slots[k].body);
		free(slots[k].url);
	}
	free(slots);
	curl_multi_cleanup(m);
}

/* ---- rush of reservations ----------------------------------------------------------- */

void bk_tally_add(struct bk_tally *t, const resp_t *r)
{
	bool odd = false;

	if (r->status == 201) {
		const char *tok = jstr(r, "reservation.token");
		const cJSON *it;
		t->created++;
		ck_assert_msg(tok != NULL, "201 without reservation.token: %s", resp_snippet(r));
		if (t->n_tokens == t->cap_tokens) {
			t->cap_tokens = t->cap_tokens ? t->cap_tokens * 2 : 64;
			t->tokens = realloc(t->tokens, t->cap_tokens * sizeof(*t->tokens));
			ck_assert_msg(t->tokens != NULL, "out of memory");
		}
		t->tokens[t->n_tokens++] = strdup(tok);
		cJSON_ArrayForEach(it, jget(r->json, "reservation.items"))
		{
			long long q = jnum(it, "qty");
			if (q > 0)
				t->units += q;
		}
	} else if (r->status == 409 && strcmp(err_code(r), "SOLD_OUT") == 0) {
		t->sold_out++;
	} else if (r->status == 0) {
		t->transport++;
		odd = true;
	} else if (r->status >= 500) {
		t->server_5xx++;
		odd = true;
	} else {
		t->other_4xx++;
		odd = true;
	}
	if (odd && t->first_odd[0] == '\0')
		snprintf(t->first_odd, sizeof(t->first_odd), "%s %s -> %ld%s%s %s", r->method,
		         r->path, r->status, r->curl_error ? " curl: " : "",
		         r->curl_error ? r->curl_error : "", resp_snippet(r));
}

void bk_tally_free(struct bk_tally *t)
{
	for (size_t i = 0; i < t->n_tokens; i++)
		free(t->tokens[i]);
	free(t->tokens);
	memset(t, 0, sizeof(*t));
}

struct rush_ctx {
	const char *path, *body;
	struct bk_tally *t;
	void (*tick)(size_t done, void *ctx);
	void *ctx;
	size_t done;
};

static void rush_make(size_t i, struct bk_call *c, void *ctx)
{
	struct rush_ctx *rc = ctx;
	(void)i;
	c->method = "POST";
	c->path = rc->path;
	c->body = rc->body;
}

static void rush_done(size_t i, const resp_t *r, void *ctx)
{
	struct rush_ctx *rc = ctx;
	(void)i;
	bk_tally_add(rc->t, r);
	rc->done++;
	if (rc->tick)
		rc->tick(rc->done, rc->ctx);
}

void bk_rush(const char *code, const char *body, size_t total, size_t concurrency,
             struct bk_tally *t, void (*tick)(size_t done, void *ctx), void *ctx)
{
	/* Copies: the ring may turn over while hundreds of answers come in. */
	char *path = strdup(strf("/fcgi/public/events/%s/reservations", code));
	char *b = strdup(body);
	struct rush_ctx rc = {path, b, t, tick, ctx, 0};
	struct bk_multi m = {total, concurrency, rush_make, rush_done, &rc};

	ck_assert_msg(path && b, "out of memory");
	bk_multi_run(&m);
	free(path);
	free(b);
}
