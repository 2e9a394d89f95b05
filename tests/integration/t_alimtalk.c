/*
 * t_alimtalk.c — the Alimtalk outbox end to end: an order paid through the
 * fake Toss, `ticketctl send-outbox` (one sender pass until nothing is due;
 * the test stack runs no daemon) or the `ticketctl worker` daemon started by
 * the test, and the fake Kakao's inbox for the customer's phone.
 *
 * Proven by state, never by time: the inbox holds exactly the template
 * filled with the order's values, and its link opens the order; a forced
 * 3018 is delivered by LMS and the row says resent_sms; a forced 500 is
 * retried (the fake counts two calls) and delivered once; a daemon killed
 * with SIGKILL while the provider is still answering, then restarted,
 * leaves one delivery (the idempotency key); a row whose params do not fill
 * its template ends failed with 3016 and delivers nothing; an admission at
 * the gate (the entrance's own outbox row) arrives as the entry text; retries that
 * never succeed end failed; a partial refund sends REFUND_PARTIAL with the
 * amount; a manager resends a message (a new delivery), a viewer may not.
 *
 * Every test uses its own phone number, so inboxes do not mix.
 */
#include "booking_fixture.h"
#include "fixture.h"
#include "suite.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define AT_PASSWORD "alimtalk-manager-pass"
#define AT_WAIT_MS 20000 /* bound of every wait for a state */

struct at_case {
	char code[17];
	char phone[12];
	char date[11];
	long long ev, quota, prod, oid;
	char number[40];
	char access[200];
	struct sess *manager;
};

/* A phone number of this run, process and call: 010 + 8 digits hashed
 * from them, so inboxes of reruns on one stack do not mix. */
static void at_phone(char out[12])
{
	static unsigned n;
	const char *seed = strf("a%s-%d-%u", fx_run(), (int)getpid(), ++n);
	unsigned long h = 2166136261u;

	for (const char *p = seed; *p; p++)
		h = ((h ^ (unsigned char)*p) * 16777619u) & 0xffffffffu;
	snprintf(out, 12, "010%08lu", h % 100000000ul);
}

/* Days from today (Seoul) of the cases' visit date: tomorrow, unless a test
 * needs today's (a gate admits only on the visit date). */
static int at_visit_days = 1;

/* s with the first occurrence of from replaced by to (ring string). */
static char *replace1(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	ck_assert_msg(p != NULL, "%s not in %s", from, s);
	return strf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

/* An event, a daily quota of 10, a dated product "성인" (10000) in it, a
 * manager of the event, and (qty > 0) a paid order of qty units by a
 * customer with the case's own phone. */
static void at_case_new(struct at_case *c, const char *tag, int qty)
{
	char *user;
	resp_t *r;

	memset(c, 0, sizeof(*c));
	at_phone(c->phone);
	snprintf(c->code, sizeof(c->code), "%s", uniq_code(tag));
	c->ev = bk_event(c->code, 0, 0);
	c->quota = bk_quota(c->ev, "Daily", 10, true);
	c->prod = bk_product(
	    c->ev, &(struct bk_product){
	               .name = "성인", .price = 10000, .dated = true, .quotas = {c->quota}});
	snprintf(c->date, sizeof(c->date), "%s", bk_date(at_visit_days));
	user = strf("%s", uniq_user(strf("%sm", tag)));
	set_events(mk_admin(user, AT_PASSWORD), 1, c->ev, 3);
	c->manager = login_ok("admin", user, AT_PASSWORD);
	if (qty == 0)
		return;
	r = bk_post(c->code, replace1(bk_body(c->date, &(struct bk_item){c->prod, qty}, 1),
	                              "010-1234-5678", c->phone));
	ASSERT_STATUS(r, 201);
	snprintf(c->number, sizeof(c->number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	c->oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", c->number);
	ck_assert(c->oid > 0);
	snprintf(c->access, sizeof(c->access), "%s",
	         tdb_value("SELECT access_token FROM orders WHERE id = $1", strf("%lld", c->oid)));
}

static void at_done(struct at_case *c)
{
	sess_free(c->manager);
}

/* The fake Kakao's inbox for a phone (200 asserted; caller frees). */
static resp_t *inbox(const char *phone)
{
	resp_t *r = req("GET", strf("/_fake/kakao/_inbox?recipientNo=%s", phone), NULL, NULL);
	ASSERT_STATUS(r, 200);
	return r;
}

static long long inbox_count(const char *phone)
{
	resp_t *r = inbox(phone);
	long long n = cJSON_GetArraySize(jget(r->json, "items"));
	resp_free(r);
	return n;
}

static void fake_fail(const char *json)
{
	resp_t *r = req("POST", "/_fake/kakao/_fail", json, NULL);
	ck_assert_msg(r->status == 200, "_fail %s: %ld %s", json, r->status, resp_snippet(r));
	resp_free(r);
}

/* The order's notification of a template: "status|attempts|code|result". */
static const char *row_state(long long oid, const char *tmpl)
{
	return tdb_value("SELECT status || '|' || attempts || '|' ||"
	                 " COALESCE(provider_result_code::text, '') || '|' ||"
	                 " COALESCE(provider_result, '') FROM notifications"
	                 " WHERE order_id = $1 AND template_code = $2 ORDER BY id DESC LIMIT 1",
	                 strf("%lld", oid), tmpl);
}

static const char *row_status(long long oid, const char *tmpl)
{
	return tdb_value("SELECT status FROM notifications WHERE order_id = $1"
	                 " AND template_code = $2 ORDER BY id DESC LIMIT 1",
	                 strf("%lld", oid), tmpl);
}

/* Sender passes until the row leaves pending/sending or the bound passes. */
static void send_until_settled(long long oid, const char *tmpl)
{
	long long end = bk_now_ms() + AT_WAIT_MS;
	const char *st;

	for (;;) {
		ck_assert_int_eq(bk_ticketctl("send-outbox"), 0);
		st = row_status(oid, tmpl);
		if (st && strcmp(st, "pending") != 0 && strcmp(st, "sending") != 0)
			return;
		ck_assert_msg(bk_now_ms() < end, "notification %s of order %lld still %s", tmpl,
		              oid, st ? st : "missing");
		bk_sleep_ms(20);
	}
}

/* The template file's text filled with vars (name, value, …, NULL). */
static char *filled(const char *code, ...)
{
	const char *root = getenv("TICKET_ROOT");
	char buf[8192];
	size_t n;
	FILE *f = fopen(strf("%s/templates/alimtalk/%s.txt", root ? root : ".", code), "rb");
	char *text;
	va_list ap;
	const char *name;

	ck_assert_msg(f != NULL, "template %s not readable", code);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	text = strf("%s", buf);
	va_start(ap, code);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		const char *var = strf("#{%s}", name);
		while (strstr(text, var))
			text = replace1(text, var, value);
	}
	va_end(ap);
	ck_assert_msg(strstr(text, "#{") == NULL, "unfilled variable in %s", text);
	return text;
}

/* A PostgreSQL connection that may write (the producer side of tests). */
static void pg_exec(const char *sql, const char *p1, const char *p2)
{
	PGconn *pg = PQconnectdb(getenv("TICKET_PG") ? getenv("TICKET_PG") : "");
	const char *params[] = {p1, p2};
	PGresult *res;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(pg));
	res = PQexecParams(pg, sql, 2, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

/* ---- the scenarios ----------------------------------------------------------- */

START_TEST(paid_order_arrives_with_its_link)
{
	struct at_case c;
	const char *title, *content, *url, *base = client_base_url();
	resp_t *r;
	const cJSON *items;

	at_case_new(&c, "atok", 2);
	ck_assert_str_eq(row_status(c.oid, "TICKET_CONFIRM"), "pending");
	send_until_settled(c.oid, "TICKET_CONFIRM");
	ck_assert_str_eq(row_state(c.oid, "TICKET_CONFIRM"), "sent|1|0|0 SUCCESS");
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM notifications WHERE order_id = $1"
	                           " AND provider_request_id IS NOT NULL AND sent_at IS NOT NULL",
	                           strf("%lld", c.oid)),
	                 1);

	title = tdb_value("SELECT title FROM events WHERE id = $1", strf("%lld", c.ev));
	url = strf("%s/%s/orders/%s?access=%s", base, c.code, c.number, c.access);
	r = inbox(c.phone);
	items = jget(r->json, "items");
	ck_assert_int_eq(cJSON_GetArraySize(items), 1);
	ck_assert_str_eq(jtext(cJSON_GetArrayItem(items, 0), "templateCode"), "TICKET_CONFIRM");
	ck_assert_str_eq(jtext(cJSON_GetArrayItem(items, 0), "channel"), "alimtalk");
	content = jtext(cJSON_GetArrayItem(items, 0), "content");
	ck_assert_str_eq(content, filled("TICKET_CONFIRM", "event", title, "name", "홍길동",
	                                 "orderNumber", c.number, "visitDate", c.date, "tickets",
	                                 "성인 2매", "url", url, NULL));
	ck_assert_int_eq(jint(r, "calls"), 1);
	url = strf("%s", strstr(content, base) + strlen(base));
	resp_free(r);

	/* the link is the order page; the API behind it opens the order */
	ck_assert_int_eq(strncmp(url, strf("/%s/orders/%s?access=", c.code, c.number),
	                         strlen(strf("/%s/orders/%s?access=", c.code, c.number))),
	                 0);
	r = req("GET",
	        strf("/fcgi/public/events/%s/orders/%s?access=%s", c.code, c.number,
	             strchr(url, '=') + 1),
	        NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "order.order_number"), c.number);
	ck_assert_str_eq(jstr(r, "order.status"), "paid");
	resp_free(r);

	/* another pass sends nothing again */
	ck_assert_int_eq(bk_ticketctl("send-outbox"), 0);
	ck_assert_int_eq(inbox_count(c.phone), 1);

	/* the order detail shows it with the provider's result */
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", c.ev, c.oid), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "order.notifications.0.status"), "sent");
	ck_assert_int_eq(jint(r, "order.notifications.0.provider_result_code"), 0);
	ck_assert_ptr_nonnull(jstr(r, "order.notifications.0.provider_request_id"));
	resp_free(r);
	at_done(&c);
}
END_TEST

START_TEST(kakao_unreachable_goes_by_lms)
{
	struct at_case c;
	resp_t *r;

	at_case_new(&c, "atlms", 0);
	fake_fail(strf("{\"recipientNo\":\"%s\",\"resultCode\":3018}", c.phone));
	r = bk_post(c.code, replace1(bk_body(c.date, &(struct bk_item){c.prod, 1}, 1),
	                             "010-1234-5678", c.phone));
	ASSERT_STATUS(r, 201);
	snprintf(c.number, sizeof(c.number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	c.oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", c.number);

	send_until_settled(c.oid, "TICKET_CONFIRM");
	ck_assert_str_eq(row_status(c.oid, "TICKET_CONFIRM"), "resent_sms");
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 1);
	ck_assert_str_eq(jstr(r, "items.0.channel"), "lms");
	ck_assert_str_eq(jstr(r, "items.0.templateCode"), "TICKET_CONFIRM");
	resp_free(r);
	r = req("GET", strf("/fcgi/admin/events/%lld/orders/%lld", c.ev, c.oid), NULL,
	        c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "order.notifications.0.status"), "resent_sms");
	ck_assert_int_eq(jint(r, "order.notifications.0.provider_result_code"), 3018);
	ck_assert_ptr_nonnull(strstr(jstr(r, "order.notifications.0.provider_result"), "LMS"));
	resp_free(r);
	at_done(&c);
}
END_TEST

START_TEST(server_error_is_retried_and_delivered_once)
{
	struct at_case c;
	resp_t *r;

	setenv("TICKET_OUTBOX_BACKOFF_MS", "1,1,1", 1);
	at_case_new(&c, "at5xx", 0);
	fake_fail(strf("{\"recipientNo\":\"%s\",\"resultCode\":500}", c.phone));
	r = bk_post(c.code, replace1(bk_body(c.date, &(struct bk_item){c.prod, 1}, 1),
	                             "010-1234-5678", c.phone));
	ASSERT_STATUS(r, 201);
	snprintf(c.number, sizeof(c.number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	c.oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", c.number);

	send_until_settled(c.oid, "TICKET_CONFIRM");
	ck_assert_str_eq(row_state(c.oid, "TICKET_CONFIRM"), "sent|2|0|0 SUCCESS");
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 1);
	ck_assert_int_eq(jint(r, "calls"), 2);
	resp_free(r);

	/* failing every time: failed after the last retry, with the reason */
	fake_fail(strf("{\"recipientNo\":\"%s\",\"resultCode\":503,\"count\":10}", c.phone));
	pg_exec("INSERT INTO notifications (event_id, order_id, template_code, recipient, params)"
	        " SELECT event_id, id, 'TICKET_CONFIRM', customer_phone, $2::jsonb"
	        " FROM orders WHERE id = $1::bigint",
	        strf("%lld", c.oid),
	        "{\"name\":\"a\",\"event\":\"b\",\"orderNumber\":\"c\",\"visitDate\":\"d\","
	        "\"tickets\":\"e\",\"url\":\"f\"}");
	send_until_settled(c.oid, "TICKET_CONFIRM");
	ck_assert_str_eq(row_status(c.oid, "TICKET_CONFIRM"), "failed");
	ck_assert_int_eq(tdb_count("SELECT attempts FROM notifications WHERE order_id = $1"
	                           " ORDER BY id DESC LIMIT 1",
	                           strf("%lld", c.oid)),
	                 4);
	ck_assert_ptr_nonnull(strstr(tdb_value("SELECT last_error FROM notifications"
	                                       " WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
	                                       strf("%lld", c.oid)),
	                             "gave up after 4 attempts"));
	ck_assert_int_eq(inbox_count(c.phone), 1);
	fake_fail(strf("{\"recipientNo\":\"%s\",\"count\":0}", c.phone));
	unsetenv("TICKET_OUTBOX_BACKOFF_MS");
	at_done(&c);
}
END_TEST

/* `ticketctl worker` as a child with the outbox settings of the test. */
static pid_t daemon_start(void)
{
	const char *build = getenv("TICKET_BUILD");
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		setenv("TICKET_OUTBOX_INTERVAL_MS", "50", 1);
		setenv("TICKET_OUTBOX_LEASE_MS", "1500", 1);
		execl(strf("%s/ticketctl", build), "ticketctl", "worker", (char *)NULL);
		_exit(127);
	}
	return pid;
}

START_TEST(daemon_killed_mid_send_sends_once)
{
	struct at_case c;
	long long end;
	pid_t pid;
	resp_t *r;
	int status;

	at_case_new(&c, "atkil", 0);
	/* the provider takes 4 s to answer the first send to this number */
	fake_fail(strf("{\"recipientNo\":\"%s\",\"delayMs\":4000}", c.phone));
	r = bk_post(c.code, replace1(bk_body(c.date, &(struct bk_item){c.prod, 1}, 1),
	                             "010-1234-5678", c.phone));
	ASSERT_STATUS(r, 201);
	snprintf(c.number, sizeof(c.number), "%s", jstr(r, "reservation.order_id"));
	bk_pay(r);
	resp_free(r);
	c.oid = tdb_count("SELECT id FROM orders WHERE order_number = $1", c.number);

	pid = daemon_start();
	/* mid-send: the row is claimed and the fake has the request */
	for (end = bk_now_ms() + AT_WAIT_MS;; bk_sleep_ms(20)) {
		const char *st = row_status(c.oid, "TICKET_CONFIRM");
		r = inbox(c.phone);
		if (st && strcmp(st, "sending") == 0 && jint(r, "calls") == 1) {
			resp_free(r);
			break;
		}
		resp_free(r);
		ck_assert_msg(bk_now_ms() < end, "the daemon never started sending (%s)", st);
	}
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_str_eq(row_status(c.oid, "TICKET_CONFIRM"), "sending");

	/* restarted: the lease passes, the row is sent again with its key */
	pid = daemon_start();
	for (end = bk_now_ms() + AT_WAIT_MS;; bk_sleep_ms(50)) {
		const char *st = row_status(c.oid, "TICKET_CONFIRM");
		if (st && strcmp(st, "sent") == 0)
			break;
		ck_assert_msg(bk_now_ms() < end, "not sent after the restart (%s)", st);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	/* the first request is delivered when the slow provider finishes it */
	for (end = bk_now_ms() + AT_WAIT_MS; inbox_count(c.phone) == 0; bk_sleep_ms(50))
		ck_assert_msg(bk_now_ms() < end, "the first send never completed");
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 1);
	ck_assert_int_eq(jint(r, "calls"), 2);
	ck_assert_str_eq(jstr(r, "items.0.idempotencyKey"),
	                 tdb_value("SELECT id::text FROM notifications WHERE order_id = $1",
	                           strf("%lld", c.oid)));
	resp_free(r);
	ck_assert_ptr_nonnull(strstr(row_state(c.oid, "TICKET_CONFIRM"), "-1005"));
	at_done(&c);
}
END_TEST

START_TEST(template_mismatch_fails_without_retry)
{
	struct at_case c;
	char phone[12];

	at_case_new(&c, "atmis", 1);
	send_until_settled(c.oid, "TICKET_CONFIRM");
	at_phone(phone);
	/* an entry row as the entrance writes it, but without its gate */
	pg_exec("INSERT INTO notifications (event_id, order_id, template_code, recipient, params)"
	        " SELECT event_id, id, 'ENTRY_ADMITTED', $2, jsonb_build_object('name', '홍길동',"
	        " 'productName', '성인', 'orderNumber', order_number, 'usedAt', iso(now()))"
	        " FROM orders WHERE id = $1::bigint",
	        strf("%lld", c.oid), phone);
	send_until_settled(c.oid, "ENTRY_ADMITTED");
	ck_assert_str_eq(row_status(c.oid, "ENTRY_ADMITTED"), "failed");
	ck_assert_ptr_nonnull(strstr(row_state(c.oid, "ENTRY_ADMITTED"), "failed|1|3016|"));
	ck_assert_int_eq(inbox_count(phone), 0);
	/* not retried: another pass does not touch it */
	ck_assert_int_eq(bk_ticketctl("send-outbox"), 0);
	ck_assert_ptr_nonnull(strstr(row_state(c.oid, "ENTRY_ADMITTED"), "failed|1|3016|"));
	at_done(&c);
}
END_TEST

/* The entrance's own row (sql/0011_gate.sql) fills the entry template. */
START_TEST(admission_at_the_gate_arrives)
{
	struct at_case c;
	const char *code, *used_at;
	cJSON *b = cJSON_CreateObject();
	resp_t *r;

	at_visit_days = 0;
	at_case_new(&c, "atgat", 1);
	at_visit_days = 1;
	send_until_settled(c.oid, "TICKET_CONFIRM");
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", c.ev), "{\"entry_messages\":true}",
	        super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
	code = tdb_value("SELECT code FROM tickets WHERE order_id = $1", strf("%lld", c.oid));
	cJSON_AddNumberToObject(b, "event_id", (double)c.ev);
	cJSON_AddStringToObject(b, "code", code);
	cJSON_AddStringToObject(b, "gate", "동문");
	cJSON_AddStringToObject(b, "device_id", "itest-alimtalk");
	cJSON_AddBoolToObject(b, "admit", true);
	r = req("POST", "/fcgi/entrance/scan", jbody(b), c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "result"), "ok");
	resp_free(r);
	send_until_settled(c.oid, "ENTRY_ADMITTED");
	ck_assert_str_eq(row_status(c.oid, "ENTRY_ADMITTED"), "sent");
	used_at = tdb_value("SELECT params->>'usedAt' FROM notifications WHERE order_id = $1"
	                    " AND template_code = 'ENTRY_ADMITTED'",
	                    strf("%lld", c.oid));
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 2);
	ck_assert_str_eq(jstr(r, "items.1.templateCode"), "ENTRY_ADMITTED");
	ck_assert_str_eq(jstr(r, "items.1.content"),
	                 filled("ENTRY_ADMITTED", "name", "홍길동", "productName", "성인",
	                        "orderNumber", c.number, "gate", "동문", "usedAt", used_at, NULL));
	resp_free(r);
	at_done(&c);
}
END_TEST

START_TEST(partial_refund_sends_the_refund_text)
{
	struct at_case c;
	const char *code, *title;
	resp_t *r;

	at_case_new(&c, "atref", 2);
	send_until_settled(c.oid, "TICKET_CONFIRM");
	code = tdb_value("SELECT code FROM tickets WHERE order_id = $1 ORDER BY id LIMIT 1",
	                 strf("%lld", c.oid));
	r = req("POST", strf("/fcgi/admin/events/%lld/orders/%lld/refund", c.ev, c.oid),
	        strf("{\"reason\":\"일정 변경\",\"ticket_codes\":[\"%s\"]}", code),
	        c.manager->token);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	send_until_settled(c.oid, "REFUND_PARTIAL");
	ck_assert_str_eq(row_status(c.oid, "REFUND_PARTIAL"), "sent");
	title = tdb_value("SELECT title FROM events WHERE id = $1", strf("%lld", c.ev));
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 2);
	ck_assert_str_eq(jstr(r, "items.1.templateCode"), "REFUND_PARTIAL");
	ck_assert_str_eq(
	    jstr(r, "items.1.content"),
	    filled("REFUND_PARTIAL", "event", title, "name", "홍길동", "orderNumber", c.number,
	           "tickets", "1", "amount", "10,000", "url",
	           strf("%s/%s/orders/%s?access=%s", client_base_url(), c.code, c.number, c.access),
	           NULL));
	resp_free(r);
	at_done(&c);
}
END_TEST

START_TEST(manager_resends)
{
	struct at_case c;
	long long nid;
	const char *path;
	resp_t *r;

	at_case_new(&c, "atres", 1);
	send_until_settled(c.oid, "TICKET_CONFIRM");
	nid = tdb_count("SELECT id FROM notifications WHERE order_id = $1", strf("%lld", c.oid));
	path = strf("/fcgi/admin/events/%lld/orders/%lld/notifications/%lld/resend", c.ev, c.oid,
	            nid);
	r = req("POST", path, NULL, c.manager->token);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "notification.status"), "pending");
	ck_assert_int_eq(jint(r, "notification.resends"), 1);
	resp_free(r);
	/* queued already: a second resend is a conflict until it is sent */
	r = req("POST", path, NULL, c.manager->token);
	ASSERT_ERROR(r, 409, "CONFLICT");
	resp_free(r);
	send_until_settled(c.oid, "TICKET_CONFIRM");
	ck_assert_str_eq(row_status(c.oid, "TICKET_CONFIRM"), "sent");
	r = inbox(c.phone);
	ck_assert_int_eq(cJSON_GetArraySize(jget(r->json, "items")), 2);
	ck_assert_str_eq(jstr(r, "items.1.idempotencyKey"), strf("%lld-r1", nid));
	resp_free(r);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM activity_log WHERE action ="
	                           " 'notification.resend' AND target_id = $1",
	                           strf("%lld", nid)),
	                 1);
	/* another order's notification, or a malformed id: 404 */
	r = req("POST",
	        strf("/fcgi/admin/events/%lld/orders/%lld/notifications/%lld/resend", c.ev,
	             c.oid + 100000, nid),
	        NULL, c.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = req("POST",
	        strf("/fcgi/admin/events/%lld/orders/%lld/notifications/x/resend", c.ev, c.oid),
	        NULL, c.manager->token);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	at_done(&c);
}
END_TEST

START_TEST(fake_checks_the_wire)
{
	const char *path = strf("/_fake/kakao/alimtalk/v2.3/appkeys/%s/messages",
	                        getenv("TICKET_KAKAO_APPKEY"));
	const char *secret = strf("X-Secret-Key: %s", getenv("TICKET_KAKAO_SECRET"));
	const char *body = "{\"senderKey\":\"k\",\"templateCode\":\"ENTRY_ADMITTED\","
	                   "\"recipientList\":[{\"recipientNo\":\"01000000001\","
	                   "\"templateParameter\":{\"name\":\"a\",\"productName\":\"b\","
	                   "\"orderNumber\":\"o\",\"gate\":\"c\",\"usedAt\":\"d\"}}]}";
	char key[40];
	resp_t *r;

	snprintf(key, sizeof(key), "X-NC-API-IDEMPOTENCY-KEY: t%s%d", fx_run(), (int)getpid());
	r = req("POST", path, body, NULL, "X-Secret-Key: wrong");
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "header.resultCode"), -1001);
	ck_assert_int_eq(jbool(r, "header.isSuccessful"), 0);
	resp_free(r);
	r = req("POST", "/_fake/kakao/alimtalk/v2.3/appkeys/nope/messages", body, NULL, secret);
	ck_assert_int_eq(jint(r, "header.resultCode"), -1000);
	resp_free(r);
	r = req("POST", path, body, NULL, secret, key);
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "header.resultCode"), 0);
	ck_assert_int_eq(jint(r, "message.sendResults.0.resultCode"), 0);
	ck_assert_ptr_nonnull(jstr(r, "message.requestId"));
	resp_free(r);
	/* the same key again within 10 minutes: refused */
	r = req("POST", path, body, NULL, secret, key);
	ck_assert_int_eq(jint(r, "header.resultCode"), -1005);
	resp_free(r);
	r = req("POST", path, replace1(body, "ENTRY_ADMITTED", "NO_SUCH"), NULL, secret);
	ck_assert_int_eq(jint(r, "header.resultCode"), -3003);
	resp_free(r);
	r = req("POST", path, replace1(body, "\"gate\":\"c\",", ""), NULL, secret);
	ck_assert_int_eq(jint(r, "message.sendResults.0.resultCode"), 3016);
	resp_free(r);
	r = req("GET", "/_fake/kakao/_inbox?recipientNo=x", NULL, NULL);
	ASSERT_STATUS(r, 400);
	resp_free(r);
}
END_TEST

static Suite *alimtalk_suite(void)
{
	Suite *s = suite_create("alimtalk");
	TCase *tc = tcase_new("alimtalk");

	tcase_add_test(tc, paid_order_arrives_with_its_link);
	tcase_add_test(tc, kakao_unreachable_goes_by_lms);
	tcase_add_test(tc, server_error_is_retried_and_delivered_once);
	tcase_add_test(tc, daemon_killed_mid_send_sends_once);
	tcase_add_test(tc, template_mismatch_fails_without_retry);
	tcase_add_test(tc, admission_at_the_gate_arrives);
	tcase_add_test(tc, partial_refund_sends_the_refund_text);
	tcase_add_test(tc, manager_resends);
	tcase_add_test(tc, fake_checks_the_wire);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("alimtalk", alimtalk_suite, true)
