/*
 * t_booking.c — the reservation contract, one request at a time: every
 * validation rule with valid and invalid inputs side by side (table), all
 * or nothing when one item is sold out, a reservation's life (held,
 * extended once, canceled with its stock back at once, unknown tokens), and
 * the product sale window (not yet / closed).
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation, table-driven ----------------------------------------------- */

enum vdate {
	D_OMIT,  /* no visit_date member */
	D_NULL,  /* "visit_date": null */
	D_TODAY, /* Seoul's today */
	D_TOMORROW,
	D_LAST,      /* the event's last day */
	D_FIRST,     /* the event's first day: inside, but in the past */
	D_YESTERDAY, /* inside the event, in the past */
	D_BEFORE,    /* before the event */
	D_AFTER,     /* after the event */
	D_BAD,       /* not a calendar date */
	D_TEXT,      /* not a date at all */
};

enum vprod { P_ADULT = 1, P_CHILD, P_GUIDE, P_UNKNOWN, P_OTHER, P_ZERO };

#define ADULT_PRICE 15000
#define CHILD_PRICE 9000
#define GUIDE_PRICE 3000

struct vcase {
	const char *what;
	enum vdate date;
	struct {
		enum vprod p;
		int qty;
	} items[3];
	const char *name;  /* NULL: 홍길동; "<KO50>" … generated */
	const char *phone; /* NULL: 010-1234-5678 */
	const char *email; /* NULL: left out; "<NULL>": JSON null */
	int want;          /* 201 or 422 */
	const char *field; /* the field a 422 names */
};

/* One row per case, kept on one line each (table layout, not clang-format's). */
// clang-format off
static const struct vcase vcases[] = {
    /* visit date: required for dated products, inside the event, not past */
    {"dated, tomorrow", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, NULL, 201, NULL},
    {"dated, no date", D_OMIT, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"dated, null date", D_NULL, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"undated, no date", D_OMIT, {{P_GUIDE, 1}}, NULL, NULL, NULL, 201, NULL},
    {"undated + dated, no date", D_OMIT, {{P_GUIDE, 1}, {P_ADULT, 1}}, NULL, NULL, NULL, 422,
     "visit_date"},
    {"today", D_TODAY, {{P_ADULT, 1}}, NULL, NULL, NULL, 201, NULL},
    {"yesterday (inside the event)", D_YESTERDAY, {{P_ADULT, 1}}, NULL, NULL, NULL, 422,
     "visit_date"},
    {"first day, past", D_FIRST, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"last day", D_LAST, {{P_ADULT, 1}}, NULL, NULL, NULL, 201, NULL},
    {"after the last day", D_AFTER, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"before the first day", D_BEFORE, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"February 30th", D_BAD, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    {"date as words", D_TEXT, {{P_ADULT, 1}}, NULL, NULL, NULL, 422, "visit_date"},
    /* qty: 1 … product max, else the event's (10) */
    {"qty 1", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, NULL, 201, NULL},
    {"qty 0", D_TOMORROW, {{P_ADULT, 0}}, NULL, NULL, NULL, 422, "items[0].qty"},
    {"qty -1", D_TOMORROW, {{P_ADULT, -1}}, NULL, NULL, NULL, 422, "items[0].qty"},
    {"qty 10 = event max", D_TOMORROW, {{P_ADULT, 10}}, NULL, NULL, NULL, 201, NULL},
    {"qty 11 > event max", D_TOMORROW, {{P_ADULT, 11}}, NULL, NULL, NULL, 422, "items[0].qty"},
    {"qty 4 = product max", D_TOMORROW, {{P_CHILD, 4}}, NULL, NULL, NULL, 201, NULL},
    {"qty 5 > product max", D_TOMORROW, {{P_CHILD, 5}}, NULL, NULL, NULL, 422, "items[0].qty"},
    {"second item over its max", D_TOMORROW, {{P_ADULT, 1}, {P_CHILD, 5}}, NULL, NULL, NULL, 422,
     "items[1].qty"},
    /* total per order ≤ the event's max_per_order (10) */
    {"total 10", D_TOMORROW, {{P_ADULT, 6}, {P_CHILD, 4}}, NULL, NULL, NULL, 201, NULL},
    {"total 11", D_TOMORROW, {{P_ADULT, 7}, {P_CHILD, 4}}, NULL, NULL, NULL, 422, "items"},
    {"total 10, three items", D_TOMORROW, {{P_ADULT, 3}, {P_CHILD, 2}, {P_GUIDE, 5}}, NULL, NULL,
     NULL, 201, NULL},
    {"total 11, three items", D_TOMORROW, {{P_ADULT, 4}, {P_CHILD, 2}, {P_GUIDE, 5}}, NULL, NULL,
     NULL, 422, "items"},
    /* products */
    {"no items", D_TOMORROW, {{0, 0}}, NULL, NULL, NULL, 422, "items"},
    {"unknown product", D_TOMORROW, {{P_UNKNOWN, 1}}, NULL, NULL, NULL, 422,
     "items[0].product_id"},
    {"another event's product", D_TOMORROW, {{P_OTHER, 1}}, NULL, NULL, NULL, 422,
     "items[0].product_id"},
    {"product id 0", D_TOMORROW, {{P_ZERO, 1}}, NULL, NULL, NULL, 422, "items[0].product_id"},
    {"two products", D_TOMORROW, {{P_ADULT, 1}, {P_CHILD, 1}}, NULL, NULL, NULL, 201, NULL},
    {"one product twice", D_TOMORROW, {{P_ADULT, 1}, {P_ADULT, 1}}, NULL, NULL, NULL, 422,
     "items[1].product_id"},
    /* customer name: 1–50 characters, Korean counted as characters */
    {"name of 1", D_TOMORROW, {{P_ADULT, 1}}, "김", NULL, NULL, 201, NULL},
    {"name empty", D_TOMORROW, {{P_ADULT, 1}}, "", NULL, NULL, 422, "customer.name"},
    {"name of 50 Korean", D_TOMORROW, {{P_ADULT, 1}}, "<KO50>", NULL, NULL, 201, NULL},
    {"name of 51 Korean", D_TOMORROW, {{P_ADULT, 1}}, "<KO51>", NULL, NULL, 422,
     "customer.name"},
    {"name of 50 Latin", D_TOMORROW, {{P_ADULT, 1}}, "<A50>", NULL, NULL, 201, NULL},
    {"name of 51 Latin", D_TOMORROW, {{P_ADULT, 1}}, "<A51>", NULL, NULL, 422, "customer.name"},
    /* one visible line: no control, separator or bidi-override character */
    {"name with CR LF and ESC", D_TOMORROW, {{P_ADULT, 1}}, "A\r\n\x1b[2J", NULL, NULL, 422,
     "customer.name"},
    {"name with RLO", D_TOMORROW, {{P_ADULT, 1}}, "\xe2\x80\xae" "evil", NULL, NULL, 422,
     "customer.name"},
    {"name of spaces", D_TOMORROW, {{P_ADULT, 1}}, "   ", NULL, NULL, 422, "customer.name"},
    /* phone: 010 + 8 digits, dashes optional (stored without) */
    {"phone digits", D_TOMORROW, {{P_ADULT, 1}}, NULL, "01098765432", NULL, 201, NULL},
    {"phone with dashes", D_TOMORROW, {{P_ADULT, 1}}, NULL, "010-9876-5432", NULL, 201, NULL},
    {"phone 011 with dashes", D_TOMORROW, {{P_ADULT, 1}}, NULL, "011-9876-5432", NULL, 422,
     "customer.phone"},
    {"phone 011 digits", D_TOMORROW, {{P_ADULT, 1}}, NULL, "01198765432", NULL, 422,
     "customer.phone"},
    {"phone 016", D_TOMORROW, {{P_ADULT, 1}}, NULL, "01698765432", NULL, 422, "customer.phone"},
    {"phone 7 digits after 010", D_TOMORROW, {{P_ADULT, 1}}, NULL, "0101234567", NULL, 422,
     "customer.phone"},
    {"phone 9 digits after 010", D_TOMORROW, {{P_ADULT, 1}}, NULL, "010123456789", NULL, 422,
     "customer.phone"},
    {"phone dashes misplaced", D_TOMORROW, {{P_ADULT, 1}}, NULL, "010-12-345678", NULL, 422,
     "customer.phone"},
    {"phone letters", D_TOMORROW, {{P_ADULT, 1}}, NULL, "010-abcd-5678", NULL, 422,
     "customer.phone"},
    {"phone empty", D_TOMORROW, {{P_ADULT, 1}}, NULL, "", NULL, 422, "customer.phone"},
    /* optional email */
    {"email given", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, "visitor@example.kr", 201, NULL},
    {"email null", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, "<NULL>", 201, NULL},
    {"email without @", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, "visitor.example.kr", 422,
     "customer.email"},
    {"email without domain dot", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, "visitor@example", 422,
     "customer.email"},
    {"email with a space", D_TOMORROW, {{P_ADULT, 1}}, NULL, NULL, "visi tor@example.kr", 422,
     "customer.email"},
};
// clang-format on

struct vworld {
	const char *code;
	long long ev, adult, child, guide, other;
	char *dates[D_TEXT + 1];
};

static const char *korean(size_t n)
{
	char *s = strf("%s", "");
	for (size_t i = 0; i < n; i++)
		s = strf("%s가", s);
	return s;
}

static const char *vname(const char *n)
{
	if (n == NULL)
		return "홍길동";
	if (strcmp(n, "<KO50>") == 0)
		return korean(50);
	if (strcmp(n, "<KO51>") == 0)
		return korean(51);
	if (strcmp(n, "<A50>") == 0)
		return str_repeat('a', 50);
	if (strcmp(n, "<A51>") == 0)
		return str_repeat('a', 51);
	return n;
}

static long long vproduct(const struct vworld *w, enum vprod p)
{
	switch (p) {
	case P_ADULT: return w->adult;
	case P_CHILD: return w->child;
	case P_GUIDE: return w->guide;
	case P_UNKNOWN: return 900000000000LL;
	case P_OTHER: return w->other;
	default: return 0;
	}
}

static long long vprice(enum vprod p)
{
	return p == P_ADULT ? ADULT_PRICE : p == P_CHILD ? CHILD_PRICE : GUIDE_PRICE;
}

static char *vbody(const struct vworld *w, const struct vcase *c)
{
	cJSON *o = cJSON_CreateObject(), *items, *cust;

	if (c->date == D_NULL)
		cJSON_AddNullToObject(o, "visit_date");
	else if (c->date != D_OMIT)
		cJSON_AddStringToObject(o, "visit_date", w->dates[c->date]);
	items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < 3 && c->items[i].p; i++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddNumberToObject(it, "product_id", (double)vproduct(w, c->items[i].p));
		cJSON_AddNumberToObject(it, "qty", c->items[i].qty);
		cJSON_AddItemToArray(items, it);
	}
	cust = cJSON_AddObjectToObject(o, "customer");
	cJSON_AddStringToObject(cust, "name", vname(c->name));
	cJSON_AddStringToObject(cust, "phone", c->phone ? c->phone : "010-1234-5678");
	if (c->email && strcmp(c->email, "<NULL>") == 0)
		cJSON_AddNullToObject(cust, "email");
	else if (c->email)
		cJSON_AddStringToObject(cust, "email", c->email);
	return jbody(o);
}

START_TEST(validation_rules_side_by_side)
{
	struct vworld w = {0};
	long long qd, qw, accepted = 0;

	w.code = strdup(uniq_code("bkv"));
	w.ev = bk_event(w.code, 0, 0); /* max_per_order: the default, 10 */
	qd = bk_quota(w.ev, "Daily", 1000, true);
	qw = bk_quota(w.ev, "Guides", 1000, false);
	w.adult = bk_product(
	    w.ev, &(struct bk_product){
	              .name = "Adult", .price = ADULT_PRICE, .dated = true, .quotas = {qd}});
	w.child = bk_product(w.ev, &(struct bk_product){.name = "Child",
	                                                .price = CHILD_PRICE,
	                                                .dated = true,
	                                                .max_per_order = 4,
	                                                .quotas = {qd}});
	w.guide = bk_product(
	    w.ev,
	    &(struct bk_product){.name = "Audio guide", .price = GUIDE_PRICE, .quotas = {qw}});
	{
		const char *oc = uniq_code("bko");
		long long oev = bk_event(oc, 0, 0), oq = bk_quota(oev, "Other", 10, false);
		w.other = bk_product(
		    oev, &(struct bk_product){.name = "Other", .price = 1000, .quotas = {oq}});
	}
	w.dates[D_TODAY] = strdup(bk_date(0));
	w.dates[D_TOMORROW] = strdup(bk_date(1));
	w.dates[D_LAST] = strdup(bk_date(30));
	w.dates[D_FIRST] = strdup(bk_date(-2));
	w.dates[D_YESTERDAY] = strdup(bk_date(-1));
	w.dates[D_BEFORE] = strdup(bk_date(-3));
	w.dates[D_AFTER] = strdup(bk_date(31));
	w.dates[D_BAD] = strdup("2027-02-30");
	w.dates[D_TEXT] = strdup("tomorrow");

	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		resp_t *r = bk_post(w.code, vbody(&w, c));

		if (c->want == 201) {
			long long amount = 0;
			const char *tok;
			ck_assert_msg(r->status == 201, "[%s] want 201, got %ld %s", c->what,
			              r->status, resp_snippet(r));
			for (size_t k = 0; k < 3 && c->items[k].p; k++)
				amount += vprice(c->items[k].p) * c->items[k].qty;
			ck_assert_msg(jint(r, "reservation.amount") == amount,
			              "[%s] amount %lld, want %lld", c->what,
			              jint(r, "reservation.amount"), amount);
			tok = jstr(r, "reservation.token");
			ck_assert_msg(tok != NULL, "[%s] no token: %s", c->what, resp_snippet(r));
			tok = strf("%s", tok);
			/* Phones are stored as digits only, whatever the dashes. */
			ck_assert_msg(strcmp(bk_order_phone(tok),
			                     c->phone ? "01098765432" : "01012345678") == 0,
			              "[%s] stored phone %s", c->what, bk_order_phone(tok));
			if (c->email && strcmp(c->email, "<NULL>") != 0)
				ck_assert_str_eq(tdb_value("SELECT customer_email FROM orders"
				                           " WHERE reservation_token = $1",
				                           tok),
				                 c->email);
			if (c->name)
				ck_assert_str_eq(tdb_value("SELECT customer_name FROM orders"
				                           " WHERE reservation_token = $1",
				                           tok),
				                 vname(c->name));
			resp_free(r);
			accepted++;
			/* Give the units back so the table does not run the quota down. */
			r = bk_cancel(w.code, tok);
			ck_assert_msg(r->status == 200, "[%s] cancel: %ld %s", c->what, r->status,
			              resp_snippet(r));
		} else {
			ck_assert_msg(r->status == 422 && strcmp(err_code(r), "VALIDATION") == 0 &&
			                  err_field(r, c->field),
			              "[%s] want 422 VALIDATION naming %s, got %ld %s", c->what,
			              c->field, r->status, resp_snippet(r));
		}
		resp_free(r);
	}

	/* Refused requests wrote nothing and held nothing. */
	bk_flush();
	ck_assert_int_eq(
	    tdb_count("SELECT count(*) FROM orders WHERE event_id = $1", strf("%lld", w.ev)),
	    accepted);
	ck_assert_int_eq(bk_pending_orders(w.ev), 0);
	ck_assert_int_eq(bk_available(w.code, w.dates[D_TOMORROW], w.adult), 1000);
	ck_assert_int_eq(bk_available(w.code, w.dates[D_TOMORROW], w.child), 1000);
	ck_assert_int_eq(bk_available(w.code, NULL, w.guide), 1000);
	ck_assert_int_eq(bk_counter(w.ev, qd, w.dates[D_TOMORROW]), 1000);
	ck_assert_int_eq(bk_counter(w.ev, qw, NULL), 1000);

	for (size_t k = 0; k <= D_TEXT; k++)
		free(w.dates[k]);
	free((char *)w.code);
}
END_TEST

/* ---- all or nothing ------------------------------------------------------------ */

START_TEST(all_or_nothing)
{
	const char *code = uniq_code("bka");
	long long ev = bk_event(code, 0, 0);
	long long qa = bk_quota(ev, "Main hall", 10, false);
	long long qb = bk_quota(ev, "Workshop", 1, false);
	long long qs = bk_quota(ev, "Shared", 5, false);
	long long a = bk_product(
	    ev, &(struct bk_product){.name = "Hall", .price = 10000, .quotas = {qa}});
	long long b = bk_product(
	    ev, &(struct bk_product){.name = "Workshop", .price = 20000, .quotas = {qb}});
	long long c = bk_product(
	    ev, &(struct bk_product){.name = "Adult", .price = 1000, .quotas = {qs}});
	long long d = bk_product(
	    ev, &(struct bk_product){.name = "Child", .price = 500, .quotas = {qs}});
	resp_t *r;

	/* The workshop's only place goes. */
	r = bk_reserve(code, NULL, b, 1);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(bk_available(code, NULL, a), 10);
	ck_assert_int_eq(bk_available(code, NULL, b), 0);

	/* Hall ×2 + workshop ×1: the second is sold out, so neither is held,
	 * whichever comes first in the order. */
	{
		struct bk_item two[] = {{a, 2}, {b, 1}}, rev[] = {{b, 1}, {a, 2}};
		r = bk_post(code, bk_body(NULL, two, 2));
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		ck_assert_int_eq(jint(r, "error.details.product_id"), b);
		resp_free(r);
		r = bk_post(code, bk_body(NULL, rev, 2));
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		ck_assert_int_eq(jint(r, "error.details.product_id"), b);
		resp_free(r);
	}
	ck_assert_int_eq(bk_available(code, NULL, a), 10);
	ck_assert_int_eq(bk_counter(ev, qa, NULL), 10);
	ck_assert_int_eq(bk_counter(ev, qb, NULL), 0);
	ck_assert_int_eq(bk_pending_orders(ev), 1);
	ck_assert_int_eq(bk_holds(ev), 1);

	/* Two products on one quota of 5: 3 + 3 does not fit (and takes
	 * nothing), 3 + 2 does. */
	{
		struct bk_item over[] = {{c, 3}, {d, 3}}, fit[] = {{c, 3}, {d, 2}};
		r = bk_post(code, bk_body(NULL, over, 2));
		ASSERT_ERROR(r, 409, "SOLD_OUT");
		resp_free(r);
		ck_assert_int_eq(bk_available(code, NULL, c), 5);
		ck_assert_int_eq(bk_available(code, NULL, d), 5);
		ck_assert_int_eq(bk_counter(ev, qs, NULL), 5);
		ck_assert_int_eq(bk_pending_orders(ev), 1);
		r = bk_post(code, bk_body(NULL, fit, 2));
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}
	ck_assert_int_eq(bk_available(code, NULL, c), 0);
	ck_assert_int_eq(bk_available(code, NULL, d), 0);
	ck_assert_int_eq(bk_available(code, NULL, a), 10);
	ck_assert_int_eq(bk_pending_orders(ev), 2);
}
END_TEST

/* ---- a reservation's life --------------------------------------------------------- */

START_TEST(reservation_lifecycle)
{
	const char *code = strdup(uniq_code("bkl"));
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Daily", 10, true);
	long long p = bk_product(
	    ev,
	    &(struct bk_product){.name = "Adult", .price = 12000, .dated = true, .quotas = {q}});
	const char *other = strdup(uniq_code("bkx"));
	char *day = strdup(bk_date(5)), *tok;
	long long exp0, exp1;
	resp_t *r;

	bk_event(other, 0, 0);
	ck_assert_int_eq(bk_available(code, day, p), 10);

	r = bk_reserve(code, day, p, 3);
	ASSERT_STATUS(r, 201);
	ck_assert_msg(jstr(r, "reservation.token") && jstr(r, "reservation.order_id") &&
	                  jstr(r, "reservation.expires_at") && jstr(r, "payment.client_key"),
	              "reservation answer lacks fields: %s", resp_snippet(r));
	ck_assert_int_eq(jint(r, "reservation.amount"), 36000);
	ck_assert_int_eq(jint(r, "reservation.items.0.product_id"), p);
	ck_assert_int_eq(jint(r, "reservation.items.0.qty"), 3);
	/* The dev/test stack pays through the fake's window, and says where. */
	ck_assert_str_eq(jstr(r, "payment.checkout_url"),
	                 strf("%s/checkout", getenv("TICKET_TOSS_URL")));
	tok = strdup(jstr(r, "reservation.token"));
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 7);
	ck_assert(bk_hold_exists(ev, tok));

	r = bk_get(code, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "held");
	ck_assert_int_eq(jint(r, "reservation.amount"), 36000);
	resp_free(r);

	/* Extend: +5 minutes, once. */
	exp0 = tdb_count("SELECT (extract(epoch FROM hold_expires_at) * 1000)::bigint FROM orders"
	                 " WHERE reservation_token = $1",
	                 tok);
	r = bk_extend(code, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "held");
	resp_free(r);
	exp1 = tdb_count("SELECT (extract(epoch FROM hold_expires_at) * 1000)::bigint FROM orders"
	                 " WHERE reservation_token = $1",
	                 tok);
	ck_assert_msg(exp1 - exp0 == 300000, "extend moved the expiry by %lld ms", exp1 - exp0);
	r = bk_extend(code, tok);
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 7);

	/* Cancel: the stock is back at once, once. */
	r = bk_cancel(code, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "canceled");
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 10);
	ck_assert_int_eq(bk_counter(ev, q, day), 10);
	ck_assert(!bk_hold_exists(ev, tok));
	r = bk_get(code, tok);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "reservation.state"), "canceled");
	resp_free(r);
	r = bk_cancel(code, tok);
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	r = bk_extend(code, tok);
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	ck_assert_int_eq(bk_available(code, day, p), 10);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM orders WHERE reservation_token = $1"
	                           " AND status = 'canceled'",
	                           tok),
	                 1);

	/* Unknown tokens, malformed ones, and a token under another event. */
	{
		const char *unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
		r = bk_get(code, unknown);
		ASSERT_ERROR(r, 404, "NOT_FOUND");
		resp_free(r);
		r = bk_cancel(code, unknown);
		ASSERT_ERROR(r, 404, "NOT_FOUND");
		resp_free(r);
		r = bk_extend(code, unknown);
		ASSERT_ERROR(r, 404, "NOT_FOUND");
		resp_free(r);
		r = bk_get(code, "short");
		ck_assert_msg(r->status == 404, "malformed token: %ld", r->status);
		resp_free(r);
		r = bk_reserve(code, day, p, 1);
		ASSERT_STATUS(r, 201);
		free(tok);
		tok = strdup(jstr(r, "reservation.token"));
		resp_free(r);
		r = bk_get(other, tok);
		ck_assert_msg(r->status == 404, "another event's token: %ld %s", r->status,
		              resp_snippet(r));
		resp_free(r);
		r = bk_cancel(other, tok);
		ck_assert_msg(r->status == 404, "cancel under another event: %ld %s", r->status,
		              resp_snippet(r));
		resp_free(r);
		ck_assert_int_eq(bk_available(code, day, p), 9);
		r = bk_reserve("zz00unknown", day, p, 1);
		ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
		resp_free(r);
	}
	free(tok);
	free(day);
	free((char *)code);
	free((char *)other);
}
END_TEST

/* ---- sale window ------------------------------------------------------------------ */

START_TEST(sale_window)
{
	const char *code = uniq_code("bks");
	long long ev = bk_event(code, 0, 0);
	long long q = bk_quota(ev, "Hall", 100, false);
	long long early = bk_product(ev, &(struct bk_product){.name = "Not yet",
	                                                      .price = 1000,
	                                                      .sale_starts_at = bk_instant(86400),
	                                                      .quotas = {q}});
	long long late = bk_product(ev,
	                            &(struct bk_product){.name = "Closed",
	                                                 .price = 1000,
	                                                 .sale_starts_at = bk_instant(-2 * 86400),
	                                                 .sale_ends_at = bk_instant(-3600),
	                                                 .quotas = {q}});
	long long open = bk_product(ev, &(struct bk_product){.name = "On sale",
	                                                     .price = 1000,
	                                                     .sale_starts_at = bk_instant(-3600),
	                                                     .sale_ends_at = bk_instant(86400),
	                                                     .quotas = {q}});
	resp_t *r;

	r = bk_reserve(code, NULL, early, 1);
	ASSERT_ERROR(r, 409, "CONFLICT");
	ck_assert_msg(jstr(r, "error.details.sale_status") &&
	                  strcmp(jstr(r, "error.details.sale_status"), "not_yet") == 0,
	              "want sale_status not_yet: %s", resp_snippet(r));
	resp_free(r);

	r = bk_reserve(code, NULL, late, 1);
	ASSERT_ERROR(r, 409, "CONFLICT");
	ck_assert_msg(jstr(r, "error.details.sale_status") &&
	                  strcmp(jstr(r, "error.details.sale_status"), "closed") == 0,
	              "want sale_status closed: %s", resp_snippet(r));
	resp_free(r);

	/* One item outside its window spoils the order: nothing held. */
	{
		struct bk_item mix[] = {{open, 1}, {early, 1}};
		r = bk_post(code, bk_body(NULL, mix, 2));
		ASSERT_ERROR(r, 409, "CONFLICT");
		ck_assert_str_eq(jstr(r, "error.details.sale_status"), "not_yet");
		resp_free(r);
	}
	ck_assert_int_eq(bk_available(code, NULL, open), 100);
	ck_assert_int_eq(bk_pending_orders(ev), 0);

	r = bk_reserve(code, NULL, open, 2);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(bk_available(code, NULL, open), 98);
	ck_assert_int_eq(bk_pending_orders(ev), 1);
}
END_TEST

static Suite *booking_suite(void)
{
	Suite *s = suite_create("booking");
	TCase *tc = tcase_new("reservations");
	tcase_add_test(tc, validation_rules_side_by_side);
	tcase_add_test(tc, all_or_nothing);
	tcase_add_test(tc, reservation_lifecycle);
	tcase_add_test(tc, sale_window);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("booking", booking_suite, true)
