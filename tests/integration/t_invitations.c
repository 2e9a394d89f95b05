/*
 * t_invitations.c — invitations for partner companies: the admin routes
 * (create, list, detail with claims, revoke, CSV export) and the public
 * ones (GET invitations/{token}, POST …/claims), against the real stack.
 *
 * A claim is a real sale of amount 0: its signed ticket is in the order,
 * the order is listed as an invitation, quota_usage.sold and the Redis
 * counter move by one, and the Alimtalk text arrives at the fake Kakao.
 * Twenty concurrent claims on a batch of five issue exactly five tickets;
 * a batch larger than its quota stops at the quota (the commit's guard);
 * a phone claims once; a revoked link is 404 while its tickets stay valid;
 * bad input is 422 naming the field.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IV_PASSWORD "invitation-manager-pass"

struct iv_case {
	char code[17];
	char date[11];
	long long ev, quota, prod;
	struct sess *manager;
};

static void iv_case_new(struct iv_case *c, const char *tag, int capacity)
{
	char *user;

	memset(c, 0, sizeof(*c));
	snprintf(c->code, sizeof(c->code), "%s", uniq_code(tag));
	c->ev = bk_event(c->code, 0, 0);
	c->quota = bk_quota(c->ev, "Daily", capacity, true);
	c->prod = bk_product(
	    c->ev, &(struct bk_product){
	               .name = "성인", .price = 15000, .dated = true, .quotas = {c->quota}});
	snprintf(c->date, sizeof(c->date), "%s", bk_date(2));
	user = strf("%s", uniq_user(strf("%sm", tag)));
	set_events(mk_admin(user, IV_PASSWORD), 1, c->ev, 3);
	c->manager = login_ok("admin", user, IV_PASSWORD);
}

static resp_t *iv_create(const struct iv_case *c, const char *body)
{
	return req("POST", strf("/fcgi/admin/events/%lld/invitations", c->ev), body,
	           c->manager->token);
}

/* A batch of quantity places (201 asserted); its token into token. */
static long long iv_batch(const struct iv_case *c, int quantity, char token[80])
{
	resp_t *r = iv_create(c, strf("{\"company\":\"(주)파트너\",\"quantity\":%d,"
	                              "\"product_id\":%lld,\"visit_date\":\"%s\"}",
	                              quantity, c->prod, c->date));
	long long id;

	ASSERT_STATUS(r, 201);
	id = jint(r, "invitation.id");
	snprintf(token, 80, "%s", jstr(r, "invitation.token"));
	resp_free(r);
	return id;
}

static resp_t *iv_claim(const char *token, const char *name, const char *phone)
{
	return req("POST", strf("/fcgi/public/invitations/%s/claims", token),
	           strf("{\"name\":\"%s\",\"phone\":\"%s\"}", name, phone), NULL);
}

/* Phone number n of this run and process: 010 + 8 digits hashed from them,
 * so claims of reruns on one stack do not collide. */
static char *iv_phone(unsigned n)
{
	const char *seed = strf("i%s-%d-%u", fx_run(), (int)getpid(), n);
	unsigned long h = 2166136261u;

	for (const char *p = seed; *p; p++)
		h = ((h ^ (unsigned char)*p) * 16777619u) & 0xffffffffu;
	return strf("010%08lu", h % 100000000ul);
}

START_TEST(create_and_validate)
{
	struct iv_case c, other;
	char token[80];
	long long id;
	const char *url;
	resp_t *r;

	iv_case_new(&c, "ivcr", 10);
	iv_case_new(&other, "ivcro", 10);
	r = iv_create(&c, strf("{\"company\":\"(주)파트너\",\"quantity\":3,\"product_id\":%lld,"
	                       "\"visit_date\":\"%s\"}",
	                       c.prod, c.date));
	ASSERT_STATUS(r, 201);
	id = jint(r, "invitation.id");
	ck_assert_str_eq(jstr(r, "invitation.company"), "(주)파트너");
	ck_assert_int_eq(jint(r, "invitation.quantity"), 3);
	ck_assert_int_eq(jint(r, "invitation.claimed"), 0);
	ck_assert_int_eq(jint(r, "invitation.product_id"), c.prod);
	ck_assert_str_eq(jstr(r, "invitation.visit_date"), c.date);
	snprintf(token, sizeof(token), "%s", jstr(r, "invitation.token"));
	/* ≥ 128 bits: 32 base64url characters carry 192 */
	ck_assert_int_ge(strlen(token), 32);
	url = jstr(r, "invitation.url");
	ck_assert_str_eq(url, strf("%s/%s/invitations/%s", client_base_url(), c.code, token));
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE action ="
	                           " 'invitation.create' AND target_id = $1",
	                           strf("%lld", id)),
	                 1);

	r = req("GET", strf("/fcgi/admin/events/%lld/invitations", c.ev), NULL, c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 1);
	ck_assert_int_eq(jint(r, "items.0.id"), id);
	resp_free(r);

	r = req("GET", strf("/fcgi/public/invitations/%s", token), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "invitation.company"), "(주)파트너");
	ck_assert_str_eq(jstr(r, "invitation.event.code"), c.code);
	ck_assert_str_eq(jstr(r, "invitation.visit_date"), c.date);
	ck_assert_int_eq(jint(r, "invitation.remaining"), 3);
	ck_assert_ptr_null(jstr(r, "invitation.token"));
	resp_free(r);

	/* bad input: 422 naming the field, nothing made */
	r = iv_create(&c, strf("{\"company\":\"A\",\"quantity\":0,\"product_id\":%lld,"
	                       "\"visit_date\":\"%s\"}",
	                       c.prod, c.date));
	ASSERT_FIELD(r, "quantity");
	resp_free(r);
	r = iv_create(
	    &c, strf("{\"quantity\":1,\"product_id\":%lld,\"visit_date\":\"%s\"}", c.prod, c.date));
	ASSERT_FIELD(r, "company");
	resp_free(r);
	r = iv_create(&c, strf("{\"company\":\"A\",\"quantity\":1,\"product_id\":%lld,"
	                       "\"visit_date\":\"%s\"}",
	                       other.prod, c.date));
	ASSERT_FIELD(r, "product_id");
	resp_free(r);
	r = iv_create(&c, strf("{\"company\":\"A\",\"quantity\":1,\"product_id\":%lld}", c.prod));
	ASSERT_FIELD(r, "visit_date");
	resp_free(r);
	r = iv_create(&c, strf("{\"company\":\"A\",\"quantity\":1,\"product_id\":%lld,"
	                       "\"visit_date\":\"%s\"}",
	                       c.prod, bk_date(400)));
	ASSERT_FIELD(r, "visit_date");
	resp_free(r);
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM invitations WHERE event_id = $1", strf("%lld", c.ev)),
	    1);

	/* unknown and malformed tokens */
	r = req("GET", "/fcgi/public/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = iv_claim("short", "홍길동", "01012345678");
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	sess_free(c.manager);
	sess_free(other.manager);
}
END_TEST

START_TEST(claim_issues_a_real_ticket)
{
	struct iv_case c;
	char token[80], number[40], access[80];
	const char *phone = iv_phone(1), *csv;
	long long bid, oid;
	resp_t *r;

	iv_case_new(&c, "ivcl", 10);
	bid = iv_batch(&c, 2, token);
	ck_assert_int_eq(
	    bk_counter(c.ev, c.quota, c.date) == -1 || bk_counter(c.ev, c.quota, c.date) == 10, 1);

	r = iv_claim(token, "김초대", strf("%.3s-%.4s-%.4s", phone, phone + 3, phone + 7));
	ASSERT_STATUS(r, 201);
	ck_assert_int_eq(jint(r, "order.amount"), 0);
	ck_assert_str_eq(jstr(r, "order.status"), "paid");
	ck_assert_str_eq(jstr(r, "order.source"), "invitation");
	ck_assert_str_eq(jstr(r, "order.visit_date"), c.date);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "order.tickets")), 1);
	ck_assert_str_eq(jstr(r, "order.tickets.0.status"), "valid");
	snprintf(number, sizeof(number), "%s", jstr(r, "order.order_number"));
	snprintf(access, sizeof(access), "%s", jstr(r, "order.access"));
	resp_free(r);

	/* the same PostgreSQL and Redis bookkeeping as a sale */
	ck_assert_int_eq(bk_quota_sold(c.quota, c.date), 1);
	ck_assert_int_eq(bk_counter(c.ev, c.quota, c.date), 9);
	ck_assert_int_eq(bk_available(c.code, c.date, c.prod), 9);
	oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", number);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets t JOIN invitation_claims c"
	                           " ON c.ticket_id = t.id AND t.invitation_claim_id = c.id"
	                           " WHERE t.order_id = $1 AND c.invitation_id = $2",
	                           strf("%lld", oid), strf("%lld", bid)),
	                 1);

	/* the customer's order page opens with the access token */
	r = req("GET", strf("/fcgi/public/events/%s/orders/%s?access=%s", c.code, number, access),
	        NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "order.tickets.0.status"), "valid");
	resp_free(r);

	/* listed as an invitation among the event's orders */
	r = req("GET", strf("/fcgi/admin/events/%lld/orders?q=%s", c.ev, phone), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 1);
	ck_assert_str_eq(jstr(r, "items.0.source"), "invitation");
	ck_assert_int_eq(jint(r, "items.0.amount"), 0);
	resp_free(r);

	/* the Alimtalk message */
	ck_assert_int_eq(bk_ticketctl("send-outbox"), 0);
	ck_assert_str_eq(tdb_value("SELECT status FROM notifications WHERE order_id = $1"
	                           " AND template_code = 'INVITATION_ISSUED'",
	                           strf("%lld", oid)),
	                 "sent");
	r = req("GET", strf("/_fake/kakao/_inbox?recipientNo=%s", phone), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 1);
	ck_assert_str_eq(jstr(r, "items.0.templateCode"), "INVITATION_ISSUED");
	ck_assert_ptr_nonnull(strstr(jstr(r, "items.0.content"), "(주)파트너"));
	ck_assert_ptr_nonnull(strstr(jstr(r, "items.0.content"), number));
	ck_assert_ptr_nonnull(strstr(jstr(r, "items.0.content"), access));
	resp_free(r);

	/* one claim per phone */
	r = iv_claim(token, "김초대", phone);
	ASSERT_ERROR(r, 409, "ALREADY_CLAIMED");
	resp_free(r);

	/* bad input names the field */
	r = req("POST", strf("/fcgi/public/invitations/%s/claims", token),
	        "{\"name\":\"\",\"phone\":\"12345\"}", NULL);
	ASSERT_FIELD(r, "name");
	ck_assert(err_field(r, "phone"));
	resp_free(r);

	/* the detail lists the claim; the export carries it */
	r = req("GET", strf("/fcgi/admin/events/%lld/invitations/%lld", c.ev, bid), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "invitation.claimed"), 1);
	ck_assert_int_eq(jint(r, "invitation.remaining"), 1);
	ck_assert_str_eq(jstr(r, "invitation.claims.0.phone"), phone);
	ck_assert_str_eq(jstr(r, "invitation.claims.0.order_number"), number);
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/invitations/%lld/claims/export", c.ev, bid),
	        NULL, c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(strstr(r->content_type, "text/csv"));
	csv = r->body;
	ck_assert_ptr_nonnull(strstr(csv, "전화번호"));
	ck_assert_ptr_nonnull(
	    strstr(csv, strf("\"김초대\",\"%s\",\"%s\",\"valid\"", phone, number)));
	resp_free(r);

	/* the last place, then the batch is used up */
	r = iv_claim(token, "이초대", iv_phone(2));
	ASSERT_STATUS(r, 201);
	resp_free(r);
	r = iv_claim(token, "박초대", iv_phone(3));
	ASSERT_ERROR(r, 409, "SOLD_OUT");
	resp_free(r);
	ck_assert_int_eq(bk_quota_sold(c.quota, c.date), 2);
	ck_assert_int_eq(bk_counter(c.ev, c.quota, c.date), 8);
	sess_free(c.manager);
}
END_TEST

START_TEST(revoke_stops_the_link_keeps_the_tickets)
{
	struct iv_case c;
	char token[80], number[40], access[80];
	long long bid;
	resp_t *r;

	iv_case_new(&c, "ivrv", 10);
	bid = iv_batch(&c, 5, token);
	r = iv_claim(token, "김초대", iv_phone(11));
	ASSERT_STATUS(r, 201);
	snprintf(number, sizeof(number), "%s", jstr(r, "order.order_number"));
	snprintf(access, sizeof(access), "%s", jstr(r, "order.access"));
	resp_free(r);

	r = req("DELETE", strf("/fcgi/admin/events/%lld/invitations/%lld", c.ev, bid), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(jstr(r, "invitation.revoked_at"));
	ck_assert_int_eq(jint(r, "invitation.remaining"), 0);
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE action ="
	                           " 'invitation.revoke' AND target_id = $1",
	                           strf("%lld", bid)),
	                 1);

	r = req("GET", strf("/fcgi/public/invitations/%s", token), NULL, NULL);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = iv_claim(token, "이초대", iv_phone(12));
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	ck_assert_int_eq(bk_quota_sold(c.quota, c.date), 1);

	r = req("GET", strf("/fcgi/public/events/%s/orders/%s?access=%s", c.code, number, access),
	        NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "order.tickets.0.status"), "valid");
	resp_free(r);

	r = req("DELETE", strf("/fcgi/admin/events/%lld/invitations/%lld", c.ev, bid + 100000),
	        NULL, c.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	sess_free(c.manager);
}
END_TEST

struct iv_rush {
	const char *token;
	size_t created, sold_out, other;
	char first_odd[300];
};

static void rush_make(size_t i, struct bk_call *call, void *ctx)
{
	struct iv_rush *t = ctx;
	call->method = "POST";
	call->path = strf("/fcgi/public/invitations/%s/claims", t->token);
	call->body = strf("{\"name\":\"직원%zu\",\"phone\":\"%s\"}", i,
	                  iv_phone(100 + (unsigned)i));
}

static void rush_done(size_t i, const resp_t *r, void *ctx)
{
	struct iv_rush *t = ctx;
	(void)i;
	if (r->status == 201)
		t->created++;
	else if (r->status == 409 && strcmp(err_code(r), "SOLD_OUT") == 0)
		t->sold_out++;
	else if (t->other++ == 0)
		snprintf(t->first_odd, sizeof(t->first_odd), "%ld %s", r->status, resp_snippet(r));
}

START_TEST(twenty_at_once_get_exactly_the_batch)
{
	struct iv_case c;
	char token[80];
	struct iv_rush t = {0};
	long long bid;

	iv_case_new(&c, "ivru", 50);
	bid = iv_batch(&c, 5, token);
	t.token = token;
	bk_multi_run(&(struct bk_multi){20, 20, rush_make, rush_done, &t});
	ck_assert_msg(t.other == 0, "unexpected answers: %s", t.first_odd);
	ck_assert_int_eq(t.created, 5);
	ck_assert_int_eq(t.sold_out, 15);
	ck_assert_int_eq(
	    tdb_count("SELECT claimed FROM invitations WHERE id = $1", strf("%lld", bid)), 5);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets t JOIN invitation_claims c"
	                           " ON c.id = t.invitation_claim_id WHERE c.invitation_id = $1",
	                           strf("%lld", bid)),
	                 5);
	ck_assert_int_eq(bk_quota_sold(c.quota, c.date), 5);
	ck_assert_int_eq(bk_counter(c.ev, c.quota, c.date), 45);
	ck_assert_int_eq(bk_holds(c.ev), 0);
	sess_free(c.manager);
}
END_TEST

START_TEST(the_quota_caps_a_larger_batch)
{
	struct iv_case c;
	char token[80];
	struct iv_rush t = {0};

	iv_case_new(&c, "ivqt", 3);
	iv_batch(&c, 10, token);
	t.token = token;
	bk_multi_run(&(struct bk_multi){20, 20, rush_make, rush_done, &t});
	ck_assert_msg(t.other == 0, "unexpected answers: %s", t.first_odd);
	ck_assert_int_eq(t.created, 3);
	ck_assert_int_eq(t.sold_out, 17);
	ck_assert_int_eq(bk_quota_sold(c.quota, c.date), 3);
	ck_assert_int_eq(bk_counter(c.ev, c.quota, c.date), 0);
	ck_assert_int_eq(bk_available(c.code, c.date, c.prod), 0);
	sess_free(c.manager);
}
END_TEST

struct iv_flood {
	size_t limited, other;
	char first_odd[300];
};

static void flood_make(size_t i, struct bk_call *call, void *ctx)
{
	(void)ctx;
	call->method = "POST";
	call->path = "/fcgi/public/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/claims";
	call->body = strf("{\"name\":\"x\",\"phone\":\"%s\"}", iv_phone(5000 + (unsigned)i));
}

static void flood_done(size_t i, const resp_t *r, void *ctx)
{
	struct iv_flood *f = ctx;
	(void)i;
	if (r->status == 429 && strcmp(err_code(r), "RATE_LIMITED") == 0)
		f->limited++;
	else if (!(r->status == 404 && strcmp(err_code(r), "NOT_FOUND") == 0) && f->other++ == 0)
		snprintf(f->first_odd, sizeof(f->first_odd), "%ld %s", r->status, resp_snippet(r));
}

/* Last: it spends this address's claim allowance for a few seconds. */
START_TEST(claims_are_rate_limited)
{
	struct iv_flood f = {0};

	bk_multi_run(&(struct bk_multi){400, 20, flood_make, flood_done, &f});
	ck_assert_msg(f.other == 0, "unexpected answers: %s", f.first_odd);
	ck_assert_msg(f.limited > 0, "400 claims at once, none answered 429 RATE_LIMITED");
}
END_TEST

static Suite *invitations_suite(void)
{
	Suite *s = suite_create("invitations");
	TCase *tc = tcase_new("invitations");

	tcase_add_test(tc, create_and_validate);
	tcase_add_test(tc, claim_issues_a_real_ticket);
	tcase_add_test(tc, revoke_stops_the_link_keeps_the_tickets);
	tcase_add_test(tc, twenty_at_once_get_exactly_the_batch);
	tcase_add_test(tc, the_quota_caps_a_larger_batch);
	tcase_add_test(tc, claims_are_rate_limited);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("invitations", invitations_suite, true)
