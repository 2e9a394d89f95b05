/*
 * t_entrance.c — the gate (/fcgi/entrance/, lib/scan.c): every result of
 * POST scan on real paid tickets (bought through the fake Toss), the
 * conditional admission under 50 simultaneous scans of one ticket, a forged
 * code answered without a PostgreSQL round trip (the X-DB-Round-Trips
 * counter) and its row written afterwards, manual entry by order number and
 * by phone, the offline kit, offline uploads (a nonce twice, one ticket at
 * two gates, a late upload), the ENTRY_ADMITTED outbox row, and the
 * entrance statistics and logs of the admin family.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GT_PASSWORD "gate-test-pass-1"
#define GT_MAX_TICKETS 8

struct gt_event {
	char code[17];
	long long ev, adult, child;
	struct sess *staff, *manager;
};

struct gt_order {
	char number[40];
	long long oid;
	int n;
	char tickets[GT_MAX_TICKETS][200];
};

/* An event with a dated adult and a dated child product in one daily quota,
 * a staff and a manager of it (entrance logins). */
static void gt_event_new(struct gt_event *e, const char *tag)
{
	long long q, staff, manager;
	char *user;

	memset(e, 0, sizeof(*e));
	snprintf(e->code, sizeof(e->code), "%s", uniq_code(tag));
	e->ev = bk_event(e->code, 0, 0);
	q = bk_quota(e->ev, "Daily", 200, true);
	e->adult = bk_product(
	    e->ev,
	    &(struct bk_product){.name = "성인", .price = 10000, .dated = true, .quotas = {q}});
	e->child = bk_product(
	    e->ev,
	    &(struct bk_product){.name = "어린이", .price = 5000, .dated = true, .quotas = {q}});
	user = strf("%s", uniq_user(strf("%ss", tag)));
	staff = mk_admin(user, GT_PASSWORD);
	set_events(staff, 1, e->ev, 2);
	e->staff = login_ok("entrance", user, GT_PASSWORD);
	user = strf("%s", uniq_user(strf("%sm", tag)));
	manager = mk_admin(user, GT_PASSWORD);
	set_events(manager, 1, e->ev, 3);
	e->manager = login_ok("entrance", user, GT_PASSWORD);
}

static void gt_event_done(struct gt_event *e)
{
	sess_free(e->staff);
	sess_free(e->manager);
}

/* A paid order of qty units of product for date, bought by name / phone. */
static void gt_buy(const struct gt_event *e, long long product, int qty, const char *date,
                   const char *name, const char *phone, struct gt_order *o)
{
	resp_t *r = bk_post(e->code, strf("{\"visit_date\":\"%s\",\"items\":[{\"product_id\":%lld,"
	                                  "\"qty\":%d}],\"customer\":{\"name\":\"%s\",\"phone\":"
	                                  "\"%s\",\"email\":\"gate@example.kr\"}}",
	                                  date, product, qty, name, phone));
	const char *codes;
	char *dup, *save = NULL;

	ASSERT_STATUS(r, 201);
	memset(o, 0, sizeof(*o));
	snprintf(o->number, sizeof(o->number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	o->oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", o->number);
	ck_assert(o->oid > 0);
	codes = tdb_value(
	    "SELECT string_agg(code, ' ' ORDER BY id) FROM tickets WHERE order_id = $1",
	    strf("%lld", o->oid));
	ck_assert(codes != NULL);
	dup = strdup(codes);
	for (char *t = strtok_r(dup, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		ck_assert(o->n < GT_MAX_TICKETS);
		snprintf(o->tickets[o->n++], sizeof(o->tickets[0]), "%s", t);
	}
	free(dup);
	ck_assert_int_eq(o->n, qty);
}

static resp_t *gt_scan(const char *tok, long long ev, const char *code, const char *gate,
                       bool admit)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "event_id", (double)ev);
	cJSON_AddStringToObject(b, "code", code);
	cJSON_AddStringToObject(b, "gate", gate);
	cJSON_AddStringToObject(b, "device_id", "itest-phone");
	cJSON_AddBoolToObject(b, "admit", admit);
	return req("POST", "/fcgi/entrance/scan", jbody(b), tok);
}

/* Scans and asserts 200 with the result; the response is the caller's. */
static resp_t *gt_expect(const char *tok, long long ev, const char *code, const char *gate,
                         bool admit, const char *want)
{
	resp_t *r = gt_scan(tok, ev, code, gate, admit);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jstr(r, "result") && strcmp(jstr(r, "result"), want) == 0,
	              "scan %.12s… at %s: want %s, got %s", code, gate, want, resp_snippet(r));
	return r;
}

/* A code whose signature no longer verifies: one character of the
 * signature part changed (still canonical base32). */
static char *gt_forge(const char *code)
{
	char *f = strf("%s", code);
	size_t i = strlen(f) - 10;
	f[i] = f[i] == 'A' ? 'B' : 'A';
	return f;
}

static const char *ticket_status(const char *code)
{
	return tdb_value("SELECT status FROM tickets WHERE code = $1", code);
}

/* Rows the scan log holds for the event with result (any code). */
static long long scans_of(long long ev, const char *result)
{
	return tdb_count("SELECT count(*) FROM scans WHERE event_id = $1 AND result = $2",
	                 strf("%lld", ev), result);
}

/* The rows of result once the batched rows of forged codes are written:
 * reading the event's entrance logs writes them first. */
static long long logged_scans(long long ev, const char *result)
{
	resp_t *r = req("GET", strf("/fcgi/admin/events/%lld/entrance/logs?limit=1", ev), NULL,
	                super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	return scans_of(ev, result);
}

/* ---- every result of POST scan ------------------------------------------------------ */

START_TEST(scan_every_result)
{
	struct gt_event e, other;
	struct gt_order o, kid, later, refunded, elsewhere;
	resp_t *r;
	const char *tok;

	gt_event_new(&e, "sres");
	gt_event_new(&other, "sreo");
	tok = e.staff->token;
	gt_buy(&e, e.adult, 2, bk_date(0), "홍길동", "01055550001", &o);
	gt_buy(&e, e.child, 1, bk_date(0), "김하나", "01055550002", &kid);
	gt_buy(&e, e.adult, 1, bk_date(1), "이두리", "01055550003", &later);
	gt_buy(&e, e.adult, 2, bk_date(0), "박세나", "01055550004", &refunded);
	gt_buy(&other, other.adult, 1, bk_date(0), "최넷", "01055550005", &elsewhere);

	/* admit:false only checks: ok, and the ticket stays valid. */
	r = gt_expect(tok, e.ev, o.tickets[0], "A", false, "ok");
	ck_assert_str_eq(jstr(r, "ticket.customer_name"), "홍*동");
	ck_assert_str_eq(jstr(r, "ticket.product_name"), "성인");
	ck_assert_str_eq(jstr(r, "ticket.visit_date"), bk_date(0));
	resp_free(r);
	ck_assert_str_eq(ticket_status(o.tickets[0]), "valid");

	/* ok, then already_used naming when and where. */
	r = gt_expect(tok, e.ev, o.tickets[0], "North", true, "ok");
	ck_assert_str_eq(jstr(r, "gate"), "North");
	ck_assert(jstr(r, "used_at") != NULL);
	resp_free(r);
	ck_assert_str_eq(ticket_status(o.tickets[0]), "used");
	r = gt_expect(tok, e.ev, o.tickets[0], "South", true, "already_used");
	ck_assert_str_eq(jstr(r, "first_gate"), "North");
	ck_assert(jstr(r, "first_used_at") != NULL);
	ck_assert_str_eq(jstr(r, "first_used_at"), tdb_value("SELECT iso(used_at) FROM tickets"
	                                                     " WHERE code = $1",
	                                                     o.tickets[0]));
	resp_free(r);

	/* A child ticket says so. */
	r = gt_expect(tok, e.ev, kid.tickets[0], "North", true, "ok");
	ck_assert_str_eq(jstr(r, "ticket.age_group"), "child");
	ck_assert_str_eq(jstr(r, "ticket.customer_name"), "김*나");
	resp_free(r);

	/* wrong_date: tomorrow's ticket today, not admitted. */
	resp_free(gt_expect(tok, e.ev, later.tickets[0], "North", true, "wrong_date"));
	ck_assert_str_eq(ticket_status(later.tickets[0]), "valid");

	/* wrong_event: a genuine ticket of another event. */
	resp_free(gt_expect(super_tok(), e.ev, elsewhere.tickets[0], "North", true, "wrong_event"));
	ck_assert_str_eq(ticket_status(elsewhere.tickets[0]), "valid");

	/* refunded: a ticket refunded by a manager. */
	{
		resp_t *rf = req(
		    "POST", strf("/fcgi/admin/events/%lld/orders/%lld/refund", e.ev, refunded.oid),
		    strf("{\"reason\":\"gate test\",\"ticket_codes\":[\"%s\"]}",
		         refunded.tickets[0]),
		    e.manager->token);
		ASSERT_STATUS(rf, 201);
		resp_free(rf);
	}
	resp_free(gt_expect(tok, e.ev, refunded.tickets[0], "North", true, "refunded"));
	ck_assert_str_eq(ticket_status(refunded.tickets[0]), "refunded");

	/* invalid: forged, malformed, empty-ish. */
	resp_free(gt_expect(tok, e.ev, gt_forge(o.tickets[1]), "North", true, "invalid"));
	resp_free(gt_expect(tok, e.ev, "HELLO-WORLD", "North", true, "invalid"));
	ck_assert_str_eq(ticket_status(o.tickets[1]), "valid");

	/* Every scan is in the log: 2 ok admitted + 1 check ok, … */
	ck_assert_int_eq(scans_of(e.ev, "ok"), 3);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM scans WHERE event_id = $1 AND checked",
	                           strf("%lld", e.ev)),
	                 1);
	ck_assert_int_eq(scans_of(e.ev, "already_used"), 1);
	ck_assert_int_eq(scans_of(e.ev, "wrong_date"), 1);
	ck_assert_int_eq(scans_of(e.ev, "wrong_event"), 1);
	ck_assert_int_eq(scans_of(e.ev, "refunded"), 1);
	ck_assert_int_eq(logged_scans(e.ev, "invalid"), 2);
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM scans WHERE event_id = $1 AND gate = 'North'"
	              " AND device_id = 'itest-phone' AND admin_id IS NOT NULL",
	              strf("%lld", e.ev)),
	    7);

	/* Bad requests are 4xx, not verdicts. */
	r = req("POST", "/fcgi/entrance/scan", strf("{\"event_id\":%lld,\"code\":\"X\"}", e.ev),
	        tok);
	ASSERT_FIELD(r, "gate");
	resp_free(r);
	r = req(
	    "POST", "/fcgi/entrance/scan",
	    strf("{\"event_id\":%lld,\"gate\":\"A\",\"code\":\"%s\"}", e.ev, str_repeat('A', 1025)),
	    tok);
	ASSERT_FIELD(r, "code");
	resp_free(r);
	r = gt_scan(tok, other.ev, o.tickets[1], "A", true);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	/* A super admin may name any event id: one that does not exist is 404. */
	r = gt_scan(super_tok(), 999999999, o.tickets[1], "A", true);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
	gt_event_done(&e);
	gt_event_done(&other);
}
END_TEST

/* ---- a forged code costs no round trip ----------------------------------------------- */

START_TEST(scan_forged_no_db)
{
	struct gt_event e;
	struct gt_order o;
	int cached = 0, loaded = 0;
	char *forged;

	gt_event_new(&e, "sfrg");
	gt_buy(&e, e.adult, 1, bk_date(0), "홍길동", "01055550011", &o);
	forged = strf("%s", gt_forge(o.tickets[0]));

	/* A genuine code costs round trips (the admission). */
	{
		resp_t *r = gt_expect(e.staff->token, e.ev, o.tickets[0], "A", false, "ok");
		ck_assert(resp_header(r, "X-DB-Round-Trips") != NULL);
		ck_assert_int_ge(atoi(resp_header(r, "X-DB-Round-Trips")), 1);
		resp_free(r);
	}
	/* Forged: none, once the worker holds the event's keys (reading them
	 * is the only statement, and says so). Malformed: never any. */
	for (int i = 0; i < 30; i++) {
		resp_t *r = gt_expect(e.staff->token, e.ev, forged, "A", true, "invalid");
		const char *keys = resp_header(r, "X-Scan-Keys");
		const char *trips = resp_header(r, "X-DB-Round-Trips");
		ck_assert(keys != NULL && trips != NULL);
		if (strcmp(keys, "cached") == 0) {
			ck_assert_str_eq(trips, "0");
			cached++;
		} else {
			ck_assert_str_eq(keys, "loaded");
			ck_assert_str_eq(trips, "1");
			loaded++;
		}
		resp_free(r);
		r = gt_expect(e.staff->token, e.ev, "NOT A CODE", "A", true, "invalid");
		ck_assert_str_eq(resp_header(r, "X-DB-Round-Trips"), "0");
		resp_free(r);
	}
	/* Every worker loads the keys at most once in the run. */
	ck_assert_int_le(loaded, 16);
	ck_assert_int_ge(cached, 30 - 16);
	/* Their rows are written afterwards, all of them. */
	ck_assert_int_eq(logged_scans(e.ev, "invalid"), 60);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM scans WHERE event_id = $1 AND code = $2",
	                           strf("%lld", e.ev), forged),
	                 30);
	ck_assert_str_eq(ticket_status(o.tickets[0]), "valid");
	gt_event_done(&e);
}
END_TEST

/* ---- 50 simultaneous scans of one ticket ----------------------------------------------- */

#define RUSH_THREADS 50

struct rush_ctx {
	const char *url, *auth, *body;
	pthread_barrier_t *go;
	char answer[4096];
	size_t len;
	long status;
};

static size_t rush_write(char *p, size_t size, size_t n, void *ctx)
{
	struct rush_ctx *x = ctx;
	size_t k = size * n;
	if (x->len + k < sizeof(x->answer)) {
		memcpy(x->answer + x->len, p, k);
		x->len += k;
		x->answer[x->len] = '\0';
	}
	return k;
}

/* One thread, its own connection, released with the others at once. */
static void *rush_thread(void *arg)
{
	struct rush_ctx *x = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, x->auth);
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rush_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT);
	pthread_barrier_wait(x->go);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

START_TEST(scan_rush_one_ok)
{
	struct gt_event e;
	struct gt_order o;
	static struct rush_ctx x[RUSH_THREADS];
	pthread_t th[RUSH_THREADS];
	pthread_barrier_t go;
	size_t ok = 0, used = 0, other = 0;
	char *url, *auth;

	gt_event_new(&e, "srsh");
	gt_buy(&e, e.adult, 1, bk_date(0), "홍길동", "01055550021", &o);
	url = strdup(strf("%s/fcgi/entrance/scan", client_base_url()));
	auth = strdup(strf("Authorization: Bearer %s", e.staff->token));
	pthread_barrier_init(&go, NULL, RUSH_THREADS);
	for (size_t i = 0; i < RUSH_THREADS; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].url = url;
		x[i].auth = auth;
		x[i].go = &go;
		x[i].body = strdup(strf("{\"event_id\":%lld,\"code\":\"%s\",\"gate\":\"G%zu\","
		                        "\"admit\":true}",
		                        e.ev, o.tickets[0], i % 5));
		ck_assert(pthread_create(&th[i], NULL, rush_thread, &x[i]) == 0);
	}
	for (size_t i = 0; i < RUSH_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (x[i].status == 200 && strstr(x[i].answer, "\"result\":\"ok\""))
			ok++;
		else if (x[i].status == 200 && strstr(x[i].answer, "\"result\":\"already_used\""))
			used++;
		else
			other++;
		free((char *)x[i].body);
	}
	pthread_barrier_destroy(&go);
	free(url);
	free(auth);
	ck_assert_msg(ok == 1 && used == 49 && other == 0, "ok %zu, already_used %zu, other %zu",
	              ok, used, other);
	ck_assert_int_eq(scans_of(e.ev, "ok"), 1);
	ck_assert_int_eq(scans_of(e.ev, "already_used"), 49);
	ck_assert_str_eq(ticket_status(o.tickets[0]), "used");
	/* The winner's gate is the ticket's. */
	ck_assert_str_eq(tdb_value("SELECT used_gate FROM tickets WHERE code = $1", o.tickets[0]),
	                 tdb_value("SELECT gate FROM scans WHERE event_id = $1 AND result = 'ok'",
	                           strf("%lld", e.ev)));
	gt_event_done(&e);
}
END_TEST

/* ---- manual entry ------------------------------------------------------------------------ */

START_TEST(manual_entry)
{
	struct gt_event e;
	struct gt_order a, b, c;
	resp_t *r;

	gt_event_new(&e, "sman");
	gt_buy(&e, e.adult, 2, bk_date(0), "홍길동", "01055550031", &a);
	gt_buy(&e, e.adult, 1, bk_date(0), "홍길동", "01055550031", &b);
	gt_buy(&e, e.adult, 1, bk_date(0), "김유일", "01055550032", &c);
	resp_free(gt_expect(e.staff->token, e.ev, a.tickets[1], "A", true, "ok"));

	/* STAFF may not. */
	r = req(
	    "POST", "/fcgi/entrance/manual",
	    strf("{\"event_id\":%lld,\"order_number\":\"%s\",\"gate\":\"Desk\"}", e.ev, a.number),
	    e.staff->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);

	/* By order number: the valid ticket admitted, the used one skipped. */
	r = req(
	    "POST", "/fcgi/entrance/manual",
	    strf("{\"event_id\":%lld,\"order_number\":\"%s\",\"gate\":\"Desk\"}", e.ev, a.number),
	    e.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "admitted")), 1);
	ck_assert_str_eq(jstr(r, "admitted.0"), a.tickets[0]);
	ck_assert_str_eq(jstr(r, "skipped.0.code"), a.tickets[1]);
	ck_assert_str_eq(jstr(r, "skipped.0.result"), "already_used");
	resp_free(r);
	ck_assert_str_eq(tdb_value("SELECT used_gate FROM tickets WHERE code = $1", a.tickets[0]),
	                 "Desk");

	/* A phone with two orders: both listed, nothing admitted. */
	r = req("POST", "/fcgi/entrance/manual",
	        strf("{\"event_id\":%lld,\"phone\":\"010-5555-0031\",\"gate\":\"Desk\"}", e.ev),
	        e.manager->token);
	ASSERT_ERROR(r, 409, "MULTIPLE_ORDERS");
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "error.details.orders")), 2);
	ck_assert(jfind_str(jget(r->json, "error.details.orders"), "order_number", b.number) !=
	          NULL);
	resp_free(r);
	ck_assert_str_eq(ticket_status(b.tickets[0]), "valid");

	/* A phone with one order: admitted. */
	r = req("POST", "/fcgi/entrance/manual",
	        strf("{\"event_id\":%lld,\"phone\":\"01055550032\",\"gate\":\"Desk\"}", e.ev),
	        e.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "admitted.0"), c.tickets[0]);
	resp_free(r);

	/* Unknown order; neither or both keys. */
	r = req(
	    "POST", "/fcgi/entrance/manual",
	    strf("{\"event_id\":%lld,\"order_number\":\"ZZZ-NOPE0000\",\"gate\":\"Desk\"}", e.ev),
	    e.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("POST", "/fcgi/entrance/manual",
	        strf("{\"event_id\":%lld,\"gate\":\"Desk\"}", e.ev), e.manager->token);
	ASSERT_FIELD(r, "order_number");
	resp_free(r);
	/* The manager's action is in the activity log. */
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE event_id = $1"
	                           " AND action = 'entrance.manual'",
	                           strf("%lld", e.ev)),
	                 2);
	gt_event_done(&e);
}
END_TEST

/* ---- offline ------------------------------------------------------------------------------- */

static resp_t *gt_upload(const char *tok, long long ev, const char *scans)
{
	return req("POST", "/fcgi/entrance/offline-scans",
	           strf("{\"event_id\":%lld,\"scans\":[%s]}", ev, scans), tok);
}

static char *gt_item(const char *code, const char *at, const char *gate, const char *nonce)
{
	return strf("{\"code\":\"%s\",\"scanned_at\":\"%s\",\"gate\":\"%s\",\"device_id\":\"d-%s\","
	            "\"nonce\":\"%s\"}",
	            code, at, gate, gate, nonce);
}

START_TEST(offline_kit_and_uploads)
{
	struct gt_event e;
	struct gt_order o, rf, sw;
	resp_t *r;
	const char *tok;
	char n1[40], n2[40], n3[40], n4[40], n5[40];

	gt_event_new(&e, "soff");
	tok = e.staff->token;
	gt_buy(&e, e.adult, 3, bk_date(0), "홍길동", "01055550041", &o);
	gt_buy(&e, e.adult, 2, bk_date(0), "환불자", "01055550042", &rf);
	gt_buy(&e, e.adult, 1, bk_date(0), "순서", "01055550043", &sw);
	resp_free(gt_expect(tok, e.ev, o.tickets[2], "A", true, "ok"));
	r = req("POST", strf("/fcgi/admin/events/%lld/orders/%lld/refund", e.ev, rf.oid),
	        strf("{\"reason\":\"x\",\"ticket_codes\":[\"%s\"]}", rf.tickets[0]),
	        e.manager->token);
	ASSERT_STATUS(r, 201);
	resp_free(r);

	/* The kit: the key, the used and the revoked codes, the layout. */
	r = req("GET", strf("/fcgi/entrance/events/%lld/offline-kit", e.ev), NULL, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "event_id"), e.ev);
	ck_assert_str_eq(jstr(r, "keys.0.alg"), "Ed25519");
	ck_assert_int_eq((int)strlen(jstr(r, "keys.0.public_key")), 44);
	ck_assert_str_eq(jstr(r, "keys.0.public_key"),
	                 tdb_value("SELECT encode(public_key, 'base64') FROM event_keys"
	                           " WHERE event_id = $1",
	                           strf("%lld", e.ev)));
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "used")), 1);
	ck_assert_str_eq(jstr(r, "used.0"), o.tickets[2]);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "revoked")), 1);
	ck_assert_str_eq(jstr(r, "revoked.0"), rf.tickets[0]);
	ck_assert(strstr(jstr(r, "code_format"), "Ed25519") != NULL);
	resp_free(r);

	snprintf(n1, sizeof(n1), "n1-%s", uniq_code("x"));
	snprintf(n2, sizeof(n2), "n2-%s", uniq_code("x"));
	snprintf(n3, sizeof(n3), "n3-%s", uniq_code("x"));
	snprintf(n4, sizeof(n4), "n4-%s", uniq_code("x"));
	snprintf(n5, sizeof(n5), "n5-%s", uniq_code("x"));

	/* Gate East admitted ticket 0 offline; the upload: ok. Sent again: a
	 * duplicate, one effect. */
	r = gt_upload(tok, e.ev, gt_item(o.tickets[0], bk_instant(-60), "East", n1));
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "results.0.nonce"), n1);
	ck_assert_str_eq(jstr(r, "results.0.result"), "ok");
	resp_free(r);
	r = gt_upload(tok, e.ev, gt_item(o.tickets[0], bk_instant(-60), "East", n1));
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "results.0.result"), "duplicate");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM scans WHERE nonce = $1", n1), 1);
	ck_assert_str_eq(tdb_value("SELECT used_gate FROM tickets WHERE code = $1", o.tickets[0]),
	                 "East");

	/* Gate West admitted the same ticket offline too: already_used, a
	 * conflict in the log, still one admission. One upload with more:
	 * a forged code, a refunded one, and a late one (two hours old). */
	r = gt_upload(tok, e.ev,
	              strf("%s,%s,%s,%s", gt_item(o.tickets[0], bk_instant(-30), "West", n2),
	                   gt_item(gt_forge(o.tickets[1]), bk_instant(-30), "West", n3),
	                   gt_item(rf.tickets[0], bk_instant(-30), "West", n4),
	                   gt_item(o.tickets[1], bk_instant(-7200), "West", n5)));
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "results.0.result"), "already_used");
	ck_assert_int_eq(jbool(r, "results.0.conflict"), 1);
	ck_assert_str_eq(jstr(r, "results.0.first_gate"), "East");
	ck_assert_str_eq(jstr(r, "results.1.result"), "invalid");
	ck_assert_str_eq(jstr(r, "results.2.result"), "refunded");
	ck_assert_str_eq(jstr(r, "results.3.result"), "ok");
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM scans WHERE ticket_id = (SELECT id FROM"
	                           " tickets WHERE code = $1) AND result = 'ok'",
	                           o.tickets[0]),
	                 1);
	ck_assert_str_eq(tdb_value("SELECT conflict::text FROM scans WHERE nonce = $1", n2),
	                 "true");
	ck_assert_str_eq(tdb_value("SELECT late::text FROM scans WHERE nonce = $1", n5), "true");
	ck_assert_str_eq(tdb_value("SELECT late::text FROM scans WHERE nonce = $1", n1), "false");
	/* The admission of a late scan happened when it was scanned. */
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets WHERE code = $1"
	                           " AND used_at < now() - interval '1 hour'",
	                           o.tickets[1]),
	                 1);

	/* Uploaded in the wrong order: North scanned ticket 0 of sw at −60 s,
	 * South at −20 s, and South uploads first. The earlier scan is the
	 * admission; the later one becomes the conflict. */
	{
		char s1[40], s2[40];
		snprintf(s1, sizeof(s1), "s1-%s", uniq_code("x"));
		snprintf(s2, sizeof(s2), "s2-%s", uniq_code("x"));
		r = gt_upload(tok, e.ev, gt_item(sw.tickets[0], bk_instant(-20), "South", s1));
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "results.0.result"), "ok");
		resp_free(r);
		r = gt_upload(tok, e.ev, gt_item(sw.tickets[0], bk_instant(-60), "North", s2));
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "results.0.result"), "ok");
		resp_free(r);
		ck_assert_str_eq(
		    tdb_value("SELECT used_gate FROM tickets WHERE code = $1", sw.tickets[0]),
		    "North");
		ck_assert_str_eq(
		    tdb_value("SELECT result || ':' || conflict FROM scans WHERE nonce = $1", s1),
		    "already_used:true");
		ck_assert_str_eq(
		    tdb_value("SELECT result || ':' || conflict FROM scans WHERE nonce = $1", s2),
		    "ok:false");
	}

	/* The conflicts are visible in the logs. */
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/logs?conflict=true", e.ev), NULL,
	        e.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 2);
	ck_assert_str_eq(jstr(r, "items.0.gate"), "South");
	ck_assert_str_eq(jstr(r, "items.1.nonce"), n2);
	ck_assert_str_eq(jstr(r, "items.1.gate"), "West");
	ck_assert_int_eq(jbool(r, "items.1.offline"), 1);
	resp_free(r);

	/* Bad uploads: a missing nonce, too many scans. */
	r = gt_upload(tok, e.ev,
	              strf("{\"code\":\"%s\",\"scanned_at\":\"%s\",\"gate\":\"X\"}", o.tickets[1],
	                   bk_instant(0)));
	ASSERT_FIELD(r, "scans.0.nonce");
	resp_free(r);
	{
		char *many = malloc(1001 * 4 + 1);
		size_t k = 0;
		for (int i = 0; i < 1001; i++)
			k += (size_t)sprintf(many + k, "%s{}", i ? "," : "");
		r = gt_upload(tok, e.ev, many);
		free(many);
	}
	ASSERT_FIELD(r, "scans");
	resp_free(r);
	gt_event_done(&e);
}
END_TEST

/* ---- the entry message ----------------------------------------------------------------------- */

START_TEST(entry_message_outbox)
{
	struct gt_event e;
	struct gt_order o;
	resp_t *r;
	const char *oid;

	gt_event_new(&e, "smsg");
	gt_buy(&e, e.adult, 2, bk_date(0), "홍길동", "01055550051", &o);
	oid = strf("%lld", o.oid);
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[0], "A", true, "ok"));
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM notifications WHERE order_id = $1"
	                           " AND template_code = 'ENTRY_ADMITTED'",
	                           oid),
	                 0);
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", e.ev), "{\"entry_messages\":true}",
	        super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jbool(r, "event.entry_messages"), 1);
	resp_free(r);
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[1], "B", true, "ok"));
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[1], "B", true, "already_used"));
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM notifications WHERE order_id = $1"
	              " AND template_code = 'ENTRY_ADMITTED' AND recipient = '01055550051'"
	              " AND params->>'gate' = 'B' AND status = 'pending'",
	              oid),
	    1);
	gt_event_done(&e);
}
END_TEST

/* ---- stats and logs ---------------------------------------------------------------------------
 */

START_TEST(entrance_stats_and_logs)
{
	struct gt_event e;
	struct gt_order o;
	resp_t *r;

	gt_event_new(&e, "ssta");
	gt_buy(&e, e.adult, 3, bk_date(0), "홍길동", "01055550061", &o);
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[0], "North", true, "ok"));
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[1], "North", true, "ok"));
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[2], "South", true, "ok"));
	resp_free(gt_expect(e.staff->token, e.ev, o.tickets[2], "North", true, "already_used"));
	resp_free(gt_expect(e.staff->token, e.ev, "FORGED", "North", true, "invalid"));
	ck_assert_int_eq(logged_scans(e.ev, "invalid"), 1);

	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/stats?date=%s", e.ev, bk_date(0)),
	        NULL, e.staff->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "stats.admitted"), 3);
	ck_assert_int_eq(
	    jnum(jfind_str(jget(r->json, "stats.by_gate"), "gate", "North"), "admitted"), 2);
	ck_assert_int_eq(
	    jnum(jfind_str(jget(r->json, "stats.by_gate"), "gate", "South"), "admitted"), 1);
	ck_assert_int_eq(
	    jnum(jfind_id(jget(r->json, "stats.by_product"), "product_id", e.adult), "admitted"),
	    3);
	ck_assert_int_eq(
	    jnum(jfind_id(jget(r->json, "stats.by_product"), "product_id", e.adult), "sold"), 3);
	ck_assert_int_eq(jint(r, "stats.rejected.already_used"), 1);
	ck_assert_int_eq(jint(r, "stats.rejected.invalid"), 1);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "stats.by_hour")), 1);
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/stats?date=%s", e.ev, bk_date(1)),
	        NULL, e.staff->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "stats.admitted"), 0);
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/stats?date=tomorrow", e.ev), NULL,
	        e.staff->token);
	ASSERT_FIELD(r, "date");
	resp_free(r);

	/* Logs: newest first, filtered by gate and result. */
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/logs", e.ev), NULL, e.staff->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 5);
	ck_assert_str_eq(jstr(r, "items.0.result"), "invalid");
	ck_assert_str_eq(jstr(r, "items.1.result"), "already_used");
	ck_assert_str_eq(jstr(r, "items.1.product_name"), "성인");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/logs?gate=North&result=ok", e.ev),
	        NULL, e.staff->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 2);
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/entrance/logs?result=maybe", e.ev), NULL,
	        e.staff->token);
	ASSERT_FIELD(r, "result");
	resp_free(r);
	gt_event_done(&e);
}
END_TEST

static Suite *entrance_suite(void)
{
	Suite *s = suite_create("entrance");
	TCase *tc = tcase_new("gate");

	tcase_add_test(tc, scan_every_result);
	tcase_add_test(tc, scan_forged_no_db);
	tcase_add_test(tc, scan_rush_one_ok);
	tcase_add_test(tc, manual_entry);
	tcase_add_test(tc, offline_kit_and_uploads);
	tcase_add_test(tc, entry_message_outbox);
	tcase_add_test(tc, entrance_stats_and_logs);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("entrance", entrance_suite, true)
