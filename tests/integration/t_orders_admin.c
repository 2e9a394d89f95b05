/*
 * t_orders_admin.c — admin order management, read side: the order list
 * with its filters, search and paging, one order with everything about it,
 * who may see and export, and the exports (CSV parsed back, XLSX unzipped
 * and read back), including a customer name that is a spreadsheet formula.
 *
 * One event per process with three orders (two paid through the fake
 * Toss, one left pending), its own viewer, staff and manager.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVIL_NAME "=HYPERLINK(\"http://evil.test/x\",\"click\")"
#define OA_PASSWORD "orders-admin-pass-1"

struct oa_order {
	char number[40];
	long long id;
	char date[11];
};

struct oa_world {
	int pid;
	char code[17];
	long long ev, quota, adult, youth;
	struct oa_order o1, o2, o3; /* o3 is pending (never paid) */
	struct sess *viewer, *staff, *manager;
	char manager_user[64];
};

static struct oa_world W;

/* A reservation with its own customer; paid through the fake Toss when
 * pay. */
static void oa_make_order(struct oa_order *out, const char *date, long long product, int qty,
                          const char *name, const char *phone, const char *email, bool pay)
{
	cJSON *o = cJSON_CreateObject(), *items, *it, *c;
	resp_t *r;

	cJSON_AddStringToObject(o, "visit_date", date);
	items = cJSON_AddArrayToObject(o, "items");
	it = cJSON_CreateObject();
	cJSON_AddNumberToObject(it, "product_id", (double)product);
	cJSON_AddNumberToObject(it, "qty", qty);
	cJSON_AddItemToArray(items, it);
	c = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "phone", phone);
	if (email)
		cJSON_AddStringToObject(c, "email", email);
	r = bk_post(W.code, jbody(o));
	ASSERT_STATUS(r, 201);
	ck_assert(jstr(r, "reservation.order_id") != NULL);
	snprintf(out->number, sizeof(out->number), "%s", jstr(r, "reservation.order_id"));
	snprintf(out->date, sizeof(out->date), "%s", date);
	if (pay)
		bk_pay(r);
	resp_free(r);
	bk_flush(); /* unpaid orders may still be queued behind their holds */
	out->id = tdb_count("SELECT id FROM orders WHERE order_number = $1", out->number);
	ck_assert(out->id > 0);
}

static struct sess *oa_admin(const char *tag, int level, char *user_out, size_t len)
{
	char *user = strf("%s", uniq_user(tag));
	long long id = mk_admin(user, OA_PASSWORD);

	set_events(id, 1, W.ev, level);
	if (user_out)
		snprintf(user_out, len, "%s", user);
	return login_ok("admin", user, OA_PASSWORD);
}

/* Made once per process; tag names it (forked tests, CK_FORK=yes, each
 * make their own from the same counter, so their tags must differ). */
static void oa_world(const char *tag)
{
	if (W.pid == (int)getpid())
		return;
	memset(&W, 0, sizeof(W));
	snprintf(W.code, sizeof(W.code), "%s", uniq_code(tag));
	W.ev = bk_event(W.code, 0, 0);
	W.quota = bk_quota(W.ev, "Daily", 50, true);
	W.adult = bk_product(
	    W.ev, &(struct bk_product){
	              .name = "성인", .price = 10000, .dated = true, .quotas = {W.quota}});
	W.youth = bk_product(
	    W.ev, &(struct bk_product){
	              .name = "청소년", .price = 5000, .dated = true, .quotas = {W.quota}});
	oa_make_order(&W.o1, bk_date(1), W.adult, 2, "김철수", "010-2222-3333", "kim@example.com",
	              true);
	oa_make_order(&W.o2, bk_date(2), W.youth, 1, EVIL_NAME, "010-4444-5555", NULL, true);
	oa_make_order(&W.o3, bk_date(1), W.adult, 1, "박영희", "010-6666-7777", NULL, false);
	W.viewer = oa_admin(strf("%sv", tag), 1, NULL, 0);
	W.staff = oa_admin(strf("%ss", tag), 2, NULL, 0);
	W.manager = oa_admin(strf("%sm", tag), 3, W.manager_user, sizeof(W.manager_user));
	W.pid = (int)getpid();
}

static resp_t *oa_list(const char *query, const char *token)
{
	return req("GET",
	           strf("/fcgi/admin/events/%lld/orders%s%s", W.ev, query && *query ? "?" : "",
	                query ? query : ""),
	           NULL, token);
}

/* total of a list answer (200 asserted). */
static long long oa_total(const char *query)
{
	resp_t *r = oa_list(query, W.viewer->token);
	long long t;

	ASSERT_STATUS(r, 200);
	t = jint(r, "total");
	resp_free(r);
	return t;
}

/* The order numbers of a list answer, in order, "A B C". */
static const char *oa_numbers(const resp_t *r)
{
	const cJSON *items = jitems(r), *it;
	char out[512] = "";

	cJSON_ArrayForEach(it, items)
	{
		const char *n = jtext(it, "order_number");
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "",
		         n ? n : "?");
	}
	return strf("%s", out);
}

/* ---- list ------------------------------------------------------------------------ */

START_TEST(list_newest_first)
{
	resp_t *r;
	const cJSON *o1, *o3;

	oa_world("oal");
	r = oa_list(NULL, W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 3);
	ck_assert_int_eq(jint(r, "page"), 1);
	ck_assert_int_eq(jint(r, "limit"), 20);
	ck_assert_str_eq(oa_numbers(r), strf("%s %s %s", W.o3.number, W.o2.number, W.o1.number));

	o1 = jfind_str(jitems(r), "order_number", W.o1.number);
	ck_assert(o1 != NULL);
	ck_assert_int_eq(jnum(o1, "id"), W.o1.id);
	ck_assert_str_eq(jtext(o1, "status"), "paid");
	ck_assert_str_eq(jtext(o1, "visit_date"), W.o1.date);
	ck_assert_int_eq(jnum(o1, "amount"), 20000);
	ck_assert_int_eq(jnum(o1, "refunded_amount"), 0);
	ck_assert_int_eq(jnum(o1, "items_count"), 2);
	ck_assert_int_eq(jnum(o1, "tickets_count"), 2);
	ck_assert_str_eq(jtext(jget(o1, "customer"), "name"), "김철수");
	ck_assert_str_eq(jtext(jget(o1, "customer"), "phone"), "01022223333");
	ck_assert_str_eq(jtext(jget(o1, "customer"), "email"), "kim@example.com");
	ck_assert(jtext(o1, "paid_at") != NULL);
	ck_assert(jtext(o1, "created_at") != NULL);

	o3 = jfind_str(jitems(r), "order_number", W.o3.number);
	ck_assert(o3 != NULL);
	ck_assert_str_eq(jtext(o3, "status"), "pending");
	ck_assert_int_eq(jnum(o3, "tickets_count"), 0);
	ck_assert(cJSON_IsNull(jget(o3, "paid_at")));
	ck_assert(cJSON_IsNull(jget(jget(o3, "customer"), "email")));
	resp_free(r);

	/* paging */
	r = oa_list("limit=1&page=2", W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "total"), 3);
	ck_assert_str_eq(oa_numbers(r), W.o2.number);
	resp_free(r);
	r = oa_list("limit=0", W.viewer->token);
	ASSERT_FIELD(r, "limit");
	resp_free(r);
	r = oa_list("page=x", W.viewer->token);
	ASSERT_FIELD(r, "page");
	resp_free(r);
}
END_TEST

START_TEST(list_filters)
{
	resp_t *r;

	oa_world("oaf");
	ck_assert_int_eq(oa_total("status=paid"), 2);
	ck_assert_int_eq(oa_total("status=pending"), 1);
	ck_assert_int_eq(oa_total("status=paid,pending"), 3);
	ck_assert_int_eq(oa_total("status=refunded,partially_refunded"), 0);
	ck_assert_int_eq(oa_total(strf("visit_date=%s", W.o2.date)), 1);
	ck_assert_int_eq(oa_total(strf("visit_date=%s", W.o1.date)), 2);
	ck_assert_int_eq(oa_total(strf("visit_date=%s&status=paid", W.o1.date)), 1);
	ck_assert_int_eq(oa_total(strf("visit_date=%s", bk_date(20))), 0);
	ck_assert_int_eq(oa_total(strf("from=%s", bk_date(0))), 3);
	ck_assert_int_eq(oa_total(strf("from=%s", bk_date(1))), 0);
	ck_assert_int_eq(oa_total(strf("to=%s", bk_date(-1))), 0);
	ck_assert_int_eq(oa_total(strf("from=%s&to=%s", bk_date(0), bk_date(0))), 3);
	ck_assert_int_eq(oa_total(strf("to=%s", url_enc(bk_instant(3600)))), 3);
	ck_assert_int_eq(oa_total(strf("from=%s", url_enc(bk_instant(3600)))), 0);

	r = oa_list("status=nope", W.viewer->token);
	ASSERT_FIELD(r, "status");
	resp_free(r);
	r = oa_list("status=paid,,pending", W.viewer->token);
	ASSERT_FIELD(r, "status");
	resp_free(r);
	r = oa_list("visit_date=2026-13-01", W.viewer->token);
	ASSERT_FIELD(r, "visit_date");
	resp_free(r);
	r = oa_list("from=yesterday", W.viewer->token);
	ASSERT_FIELD(r, "from");
	resp_free(r);
	r = oa_list("to=2026-02-30", W.viewer->token);
	ASSERT_FIELD(r, "to");
	resp_free(r);
}
END_TEST

START_TEST(list_search)
{
	const char *suffix;
	char part[8];
	resp_t *r;

	oa_world("oaq");
	/* part of the order number, in lower case */
	suffix = strchr(W.o1.number, '-');
	ck_assert(suffix != NULL);
	snprintf(part, sizeof(part), "%.5s", suffix + 1);
	for (char *p = part; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	r = oa_list(strf("q=%s", url_enc(part)), W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_msg(jfind_str(jitems(r), "order_number", W.o1.number) != NULL,
	              "q=%s does not find %s: %s", part, W.o1.number, resp_snippet(r));
	resp_free(r);
	r = oa_list(strf("q=%s", url_enc(W.o2.number)), W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(oa_numbers(r), W.o2.number);
	resp_free(r);

	/* names, case ignored */
	r = oa_list(strf("q=%s", url_enc("철수")), W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(oa_numbers(r), W.o1.number);
	resp_free(r);
	r = oa_list("q=hyperlink", W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(oa_numbers(r), W.o2.number);
	resp_free(r);

	/* phones: digits, dashes allowed, partial */
	r = oa_list(strf("q=%s", url_enc("4444-55")), W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(oa_numbers(r), W.o2.number);
	resp_free(r);
	r = oa_list("q=01066667777", W.viewer->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(oa_numbers(r), W.o3.number);
	resp_free(r);
	ck_assert_int_eq(oa_total("q=010"), 3);
	ck_assert_int_eq(oa_total("q=2222&status=pending"), 0);

	/* LIKE's wildcards are literal */
	ck_assert_int_eq(oa_total(strf("q=%s", url_enc("%"))), 0);
	ck_assert_int_eq(oa_total("q=_"), 0);
	ck_assert_int_eq(oa_total("q=nobody-here"), 0);

	r = oa_list(strf("q=%s", str_repeat('a', 101)), W.viewer->token);
	ASSERT_FIELD(r, "q");
	resp_free(r);
	ck_assert_int_eq(oa_total(strf("q=%s", str_repeat('a', 100))), 0);
}
END_TEST

/* ---- detail ---------------------------------------------------------------------- */

/* A VIEWER reads the order but not its bearer credentials: ticket codes and
 * payment keys are masked below STAFF; STAFF sees them whole. */
START_TEST(viewer_sees_no_credentials)
{
	resp_t *rv, *rs;
	const cJSON *tv, *ts;
	const char *path;

	oa_world("oam");
	path = strf("/fcgi/admin/events/%lld/orders/%lld", W.ev, W.o1.id);
	rv = req("GET", path, NULL, W.viewer->token);
	rs = req("GET", path, NULL, W.staff->token);
	ASSERT_STATUS(rv, 200);
	ASSERT_STATUS(rs, 200);
	ck_assert_int_eq(cJSON_GetArraySize(jget(rv->json, "order.tickets")), 2);
	for (int i = 0; i < 2; i++) {
		const char *full, *masked;
		tv = cJSON_GetArrayItem(jget(rv->json, "order.tickets"), i);
		ts = cJSON_GetArrayItem(jget(rs->json, "order.tickets"), i);
		full = jtext(ts, "code");
		masked = jtext(tv, "code");
		ck_assert_int_eq(tdb_count("SELECT count(*) FROM tickets WHERE code = $1", full),
		                 1);
		ck_assert_msg(strncmp(masked, "****", 4) == 0 &&
		                  strcmp(masked + 4, full + strlen(full) - 4) == 0,
		              "viewer sees ticket code %s (staff: %s)", masked, full);
	}
	tv = cJSON_GetArrayItem(jget(rv->json, "order.payments"), 0);
	ts = cJSON_GetArrayItem(jget(rs->json, "order.payments"), 0);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM payments WHERE payment_key = $1",
	                           jtext(ts, "payment_key")),
	                 1);
	ck_assert_msg(strncmp(jtext(tv, "payment_key"), "****", 4) == 0 &&
	                  strlen(jtext(tv, "payment_key")) == 8,
	              "viewer sees payment key %s", jtext(tv, "payment_key"));
	resp_free(rv);
	resp_free(rs);
}
END_TEST

START_TEST(detail_has_everything)
{
	resp_t *r;
	const cJSON *o, *it, *pay, *t, *h;
	bool paid_entry = false, confirm = false;

	oa_world("oad");
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", W.ev, W.o1.id), NULL,
	        W.viewer->token);
	ASSERT_STATUS(r, 200);
	o = jget(r->json, "order");
	ck_assert(o != NULL);
	ck_assert_str_eq(jtext(o, "order_number"), W.o1.number);
	ck_assert_str_eq(jtext(o, "status"), "paid");
	ck_assert_int_eq(jnum(o, "amount"), 20000);
	ck_assert_str_eq(jtext(jget(o, "customer"), "name"), "김철수");

	ck_assert_int_eq(cJSON_GetArraySize(jget(o, "items")), 1);
	it = cJSON_GetArrayItem(jget(o, "items"), 0);
	ck_assert_str_eq(jtext(it, "product_name"), "성인");
	ck_assert_int_eq(jnum(it, "qty"), 2);
	ck_assert_int_eq(jnum(it, "unit_price"), 10000);
	ck_assert_int_eq(jnum(it, "refunded_qty"), 0);
	ck_assert_int_eq(jnum(it, "admits"), 1);

	ck_assert_int_eq(cJSON_GetArraySize(jget(o, "payments")), 1);
	pay = cJSON_GetArrayItem(jget(o, "payments"), 0);
	ck_assert(jtext(pay, "payment_key") != NULL);
	ck_assert_str_eq(jtext(pay, "status"), "DONE");
	ck_assert_int_eq(jnum(pay, "total_amount"), 20000);
	ck_assert_int_eq(jnum(pay, "balance_amount"), 20000);

	ck_assert_int_eq(cJSON_GetArraySize(jget(o, "refunds")), 0);
	ck_assert_int_eq(cJSON_GetArraySize(jget(o, "tickets")), 2);
	cJSON_ArrayForEach(t, jget(o, "tickets"))
	{
		ck_assert(jnum(t, "id") > 0);
		ck_assert(jtext(t, "code") != NULL && strlen(jtext(t, "code")) >= 8);
		ck_assert_str_eq(jtext(t, "product_name"), "성인");
		ck_assert_str_eq(jtext(t, "status"), "valid");
		ck_assert(cJSON_IsNull(jget(t, "used_at")));
		ck_assert(cJSON_IsNull(jget(t, "used_gate")));
	}
	cJSON_ArrayForEach(t, jget(o, "notifications"))
	    confirm = confirm || strcmp(jtext(t, "template_code"), "TICKET_CONFIRM") == 0;
	ck_assert_msg(confirm, "no TICKET_CONFIRM notification: %s", resp_snippet(r));
	cJSON_ArrayForEach(h, jget(o, "history"))
	    paid_entry = paid_entry || strcmp(jtext(h, "action"), "order.paid") == 0;
	ck_assert_msg(paid_entry, "history lacks order.paid");
	resp_free(r);

	/* another event's order, and ids that name nothing */
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", fx()->ev_b, W.o1.id), NULL,
	        super_tok());
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/abc", W.ev), NULL, W.viewer->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/0", W.ev), NULL, W.viewer->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/999999999999", W.ev), NULL,
	        W.viewer->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("GET", "/fcgi/admin/events/999999999/orders", NULL, super_tok());
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
}
END_TEST

/* ---- permissions ------------------------------------------------------------------ */

START_TEST(who_may_do_what)
{
	const char *refund = "{\"reason\":\"test\"}";
	char *list;
	resp_t *r;

	oa_world("oap");
	list = strf("/fcgi/admin/events/%lld/orders", W.ev);
	/* viewer: reads */
	r = req("GET", list, NULL, W.viewer->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	r = req("GET", strf("%s/%lld", list, W.o1.id), NULL, W.viewer->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	/* viewer and staff: no export, no refund */
	for (int i = 0; i < 2; i++) {
		const char *tok = i == 0 ? W.viewer->token : W.staff->token;
		r = req("GET", strf("%s/export?format=csv", list), NULL, tok);
		ASSERT_ERROR(r, 403, "FORBIDDEN");
		resp_free(r);
		r = req("POST", strf("%s/%lld/refund", list, W.o1.id), refund, tok);
		ASSERT_ERROR(r, 403, "FORBIDDEN");
		resp_free(r);
	}
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM refunds WHERE order_id = $1", strf("%lld", W.o1.id)),
	    0);
	/* manager: export */
	r = req("GET", strf("%s/export?format=csv", list), NULL, W.manager->token);
	ASSERT_STATUS(r, 200);
	resp_free(r);
	/* the fixture's viewer is not assigned to this event */
	r = req("GET", list, NULL, fx_actor(1)->s->token);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	r = req("GET", strf("%s/%lld", list, W.o1.id), NULL, fx_actor(3)->s->token);
	ASSERT_ERROR(r, 403, "EVENT_FORBIDDEN");
	resp_free(r);
	r = req("GET", list, NULL, NULL);
	ASSERT_ERROR(r, 401, "UNAUTHENTICATED");
	resp_free(r);
}
END_TEST

/* ---- exports ----------------------------------------------------------------------- */

#define CSV_MAX_ROWS 64
#define CSV_MAX_COLS 32

struct csv {
	int rows;
	int cols[CSV_MAX_ROWS];
	char *cell[CSV_MAX_ROWS][CSV_MAX_COLS];
};

/* RFC 4180 (quoted fields, doubled quotes, CRLF); false on malformed input. */
static bool csv_parse(const char *s, size_t n, struct csv *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < n) {
		int row = out->rows;
		if (row >= CSV_MAX_ROWS)
			return false;
		for (;;) {
			char *buf = malloc(n + 1);
			size_t k = 0;
			int col = out->cols[row];
			if (buf == NULL || col >= CSV_MAX_COLS) {
				free(buf);
				return false;
			}
			if (i < n && s[i] == '"') {
				i++;
				for (;;) {
					if (i >= n) {
						free(buf);
						return false;
					}
					if (s[i] == '"') {
						if (i + 1 < n && s[i + 1] == '"') {
							buf[k++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					buf[k++] = s[i++];
				}
			} else {
				while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
					if (s[i] == '"') {
						free(buf);
						return false;
					}
					buf[k++] = s[i++];
				}
			}
			buf[k] = '\0';
			out->cell[row][col] = buf;
			out->cols[row]++;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') {
				i += 2;
				break;
			}
			if (i >= n)
				break;
			return false; /* bare CR or LF, or garbage after a quote */
		}
		out->rows++;
	}
	return true;
}

static void csv_free(struct csv *c)
{
	for (int r = 0; r < c->rows; r++)
		for (int k = 0; k < c->cols[r]; k++)
			free(c->cell[r][k]);
}

static int csv_col(const struct csv *c, const char *header)
{
	for (int k = 0; k < c->cols[0]; k++)
		if (strcmp(c->cell[0][k], header) == 0)
			return k;
	ck_abort_msg("CSV has no column %s", header);
	return -1;
}

static int csv_row_of(const struct csv *c, const char *number)
{
	int col = csv_col(c, "주문번호");
	for (int r = 1; r < c->rows; r++)
		if (strcmp(c->cell[r][col], number) == 0)
			return r;
	return -1;
}

static resp_t *oa_export(const char *query)
{
	return req("GET", strf("/fcgi/admin/events/%lld/orders/export?%s", W.ev, query), NULL,
	           W.manager->token);
}

static void oa_expect_disposition(const resp_t *r, const char *ext)
{
	const char *cd = resp_header(r, "Content-Disposition");

	ck_assert_msg(cd != NULL, "no Content-Disposition");
	ck_assert_msg(strstr(cd, strf("attachment; filename=\"orders-%s-", W.code)) == cd,
	              "Content-Disposition: %s", cd);
	ck_assert_msg(strstr(cd, strf(".%s\"", ext)) != NULL, "Content-Disposition: %s", cd);
	ck_assert_msg(strstr(cd, "filename*=UTF-8''") != NULL, "Content-Disposition: %s", cd);
	for (const char *p = cd; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
		              "non-ASCII in Content-Disposition: %s", cd);
}

START_TEST(export_csv)
{
	struct csv c;
	resp_t *r;
	int row, name, phone, amount, status;

	oa_world("oac");
	r = oa_export("format=csv");
	ASSERT_STATUS(r, 200);
	ck_assert_msg(r->content_type && strncmp(r->content_type, "text/csv", 8) == 0,
	              "Content-Type %s", r->content_type ? r->content_type : "-");
	oa_expect_disposition(r, "csv");
	ck_assert_msg(r->body_len > 3 && memcmp(r->body, "\xef\xbb\xbf", 3) == 0, "no BOM");
	ck_assert_msg(csv_parse(r->body + 3, r->body_len - 3, &c), "CSV does not parse: %s",
	              resp_snippet(r));
	resp_free(r);

	ck_assert_int_eq(c.rows, 4);
	for (int i = 1; i < c.rows; i++)
		ck_assert_int_eq(c.cols[i], c.cols[0]);
	ck_assert_str_eq(c.cell[0][0], "주문번호");
	name = csv_col(&c, "주문자");
	phone = csv_col(&c, "연락처");
	amount = csv_col(&c, "결제금액");
	status = csv_col(&c, "상태");

	row = csv_row_of(&c, W.o1.number);
	ck_assert_int_ge(row, 1);
	ck_assert_str_eq(c.cell[row][name], "김철수");
	ck_assert_str_eq(c.cell[row][phone], "010-2222-3333");
	ck_assert_str_eq(c.cell[row][amount], "20000");
	ck_assert_str_eq(c.cell[row][status], "결제완료");
	ck_assert_int_ge(csv_row_of(&c, W.o3.number), 1);
	/* newest first */
	ck_assert_int_eq(csv_row_of(&c, W.o3.number), 1);

	/* the formula is text, with an apostrophe in front */
	row = csv_row_of(&c, W.o2.number);
	ck_assert_int_ge(row, 1);
	ck_assert_str_eq(c.cell[row][name], "'" EVIL_NAME);
	for (int i = 1; i < c.rows; i++)
		for (int k = 0; k < c.cols[i]; k++)
			ck_assert_msg(strchr("=+-@\t\r", c.cell[i][k][0]) == NULL ||
			                  c.cell[i][k][0] == '\0',
			              "row %d cell %d starts a formula: %s", i, k, c.cell[i][k]);
	csv_free(&c);

	/* filters apply */
	r = oa_export(strf("format=csv&status=paid&q=%s", url_enc("철수")));
	ASSERT_STATUS(r, 200);
	ck_assert(csv_parse(r->body + 3, r->body_len - 3, &c));
	ck_assert_int_eq(c.rows, 2);
	ck_assert_int_eq(csv_row_of(&c, W.o1.number), 1);
	csv_free(&c);
	resp_free(r);

	r = oa_export("format=pdf");
	ASSERT_FIELD(r, "format");
	resp_free(r);
	r = oa_export("format=csv&status=bogus");
	ASSERT_FIELD(r, "status");
	resp_free(r);

	ck_assert_int_ge(tdb_count("SELECT count(*) FROM activity_log WHERE event_id = $1"
	                           " AND action = 'order.export' AND admin_username = $2"
	                           " AND summary->>'format' = 'csv'",
	                           strf("%lld", W.ev), W.manager_user),
	                 2);
}
END_TEST

/* The text of an XML file of a workbook (unzip -p), entities decoded. */
static char *xlsx_part(const char *file, const char *part)
{
	FILE *p = popen(strf("unzip -p '%s' '%s' 2>/dev/null", file, part), "r");
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);

	ck_assert_msg(p != NULL, "popen unzip failed");
	ck_assert(out != NULL);
	for (;;) {
		size_t got;
		if (n + 4096 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			ck_assert(out != NULL);
		}
		got = fread(out + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	out[n] = '\0';
	ck_assert_msg(pclose(p) == 0 && n > 0, "unzip -p %s %s failed (is unzip installed?)", file,
	              part);
	/* &amp; &lt; &gt; &quot; &apos; */
	{
		static const char *const ent[][2] = {{"&lt;", "<"},
		                                     {"&gt;", ">"},
		                                     {"&quot;", "\""},
		                                     {"&apos;", "'"},
		                                     {"&amp;", "&"}};
		char *w = out;
		for (const char *s = out; *s;) {
			size_t k;
			for (k = 0; k < sizeof(ent) / sizeof(ent[0]); k++)
				if (strncmp(s, ent[k][0], strlen(ent[k][0])) == 0)
					break;
			if (k < sizeof(ent) / sizeof(ent[0])) {
				*w++ = ent[k][1][0];
				s += strlen(ent[k][0]);
			} else {
				*w++ = *s++;
			}
		}
		*w = '\0';
	}
	return out;
}

START_TEST(export_xlsx)
{
	char path[] = "/tmp/t_orders_xlsx_XXXXXX";
	int fd;
	resp_t *r;
	char *sheet, *book;

	oa_world("oax");
	ck_assert_msg(system("command -v unzip >/dev/null 2>&1") == 0, "unzip is not installed");
	r = oa_export("format=xlsx");
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(r->content_type,
	                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	oa_expect_disposition(r, "xlsx");
	ck_assert_msg(r->body_len > 100 && memcmp(r->body, "PK\x03\x04", 4) == 0,
	              "not a zip (%zu bytes)", r->body_len);
	fd = mkstemp(path);
	ck_assert(fd >= 0);
	ck_assert(write(fd, r->body, r->body_len) == (ssize_t)r->body_len);
	close(fd);
	resp_free(r);

	sheet = xlsx_part(path, "xl/worksheets/sheet1.xml");
	book = xlsx_part(path, "xl/workbook.xml");
	unlink(path);
	ck_assert_msg(strstr(book, "주문") != NULL, "sheet name");
	ck_assert_msg(strstr(sheet, ">주문번호<") != NULL, "no header in %.300s", sheet);
	ck_assert(strstr(sheet, strf(">%s<", W.o1.number)) != NULL);
	ck_assert(strstr(sheet, strf(">%s<", W.o2.number)) != NULL);
	ck_assert(strstr(sheet, strf(">%s<", W.o3.number)) != NULL);
	ck_assert(strstr(sheet, ">김철수<") != NULL);
	ck_assert(strstr(sheet, ">010-2222-3333<") != NULL);
	ck_assert_msg(strstr(sheet, "<v>20000</v>") != NULL, "amount not a number cell");
	/* the formula: a string cell, apostrophe in front, never a formula */
	ck_assert_msg(strstr(sheet, ">'" EVIL_NAME "<") != NULL, "name not neutralised: %s",
	              strstr(sheet, "HYPERLINK") ? strstr(sheet, "HYPERLINK") - 40 : "(absent)");
	ck_assert(strstr(sheet, ">" EVIL_NAME "<") == NULL);
	ck_assert(strstr(sheet, "<f>") == NULL && strstr(sheet, "<f ") == NULL);
	free(sheet);
	free(book);

	/* the default format is xlsx */
	r = oa_export("status=pending");
	ASSERT_STATUS(r, 200);
	ck_assert(memcmp(r->body, "PK", 2) == 0);
	resp_free(r);
}
END_TEST

static Suite *orders_admin_suite(void)
{
	Suite *s = suite_create("orders_admin");
	TCase *tc = tcase_new("orders");

	tcase_add_test(tc, list_newest_first);
	tcase_add_test(tc, list_filters);
	tcase_add_test(tc, list_search);
	tcase_add_test(tc, detail_has_everything);
	tcase_add_test(tc, viewer_sees_no_credentials);
	tcase_add_test(tc, who_may_do_what);
	tcase_add_test(tc, export_csv);
	tcase_add_test(tc, export_xlsx);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("orders_admin", orders_admin_suite, true)
