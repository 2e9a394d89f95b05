/*
 * t_queue.c — the waiting room (issue 13, lib/queue.h) over HTTP: join,
 * poll, leave, the reservation's token gate, fairness, rate, cap,
 * abandonment, VIP, the place cookie, bad input and the nginx join limit.
 *
 * Each case makes its own event. Settings changed mid-case reach the
 * workers with their catalog cache (TICKET_CATALOG_TTL_MS): such cases wait
 * that long once. Admission order is read from the tokens themselves (their
 * unique id is a counter the admission script increments), admission times
 * from their issue instant (the Redis clock): nothing depends on when the
 * test saw an answer. Waiters who "stopped polling a minute ago" are staged
 * by moving their drop-out deadline into the past in Redis, as the clock
 * would. Each join sends its own X-Test-Client, which the dev nginx adds to
 * the join limit's key, so one address can stand for many buyers.
 */
#include "auth.h"
#include "booking_fixture.h"
#include "config.h"
#include "fixture.h"
#include "kv.h"
#include "queue.h"
#include "suite.h"

#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q_MAX_WAITERS 900
#define Q_POLL_ROUNDS 60

struct qev {
	long long id, quota, product;
	char code[17];
};

static void q_settings(long long id, const char *queue_json)
{
	resp_t *r = req("PUT", strf("/fcgi/super-admin/events/%lld", id),
	                strf("{\"queue\":%s}", queue_json), super_tok());
	ASSERT_STATUS(r, 200);
	resp_free(r);
}

/* An event with a quota of capacity and one undated product, then its queue. */
static void q_event_cap(struct qev *e, const char *tag, const char *queue_json, int capacity)
{
	struct bk_product p = {.name = "Adult", .price = 10000};

	snprintf(e->code, sizeof(e->code), "%s", uniq_code(tag));
	e->id = bk_event(e->code, 0, 0);
	e->quota = bk_quota(e->id, "Hall", capacity, false);
	p.quotas[0] = e->quota;
	e->product = bk_product(e->id, &p);
	q_settings(e->id, queue_json);
}

static void q_event(struct qev *e, const char *tag, const char *queue_json)
{
	q_event_cap(e, tag, queue_json, 1000);
}

static resp_t *q_join(const char *code, const char *client, const char *cookie, const char *body)
{
	const char *path = strf("/fcgi/public/events/%s/queue", code);
	const char *h = strf("X-Test-Client: %s", client);

	if (cookie)
		return req("POST", path, body ? body : "{}", NULL, h, strf("Cookie: %s", cookie));
	return req("POST", path, body ? body : "{}", NULL, h);
}

static resp_t *q_poll(const char *code, const char *qid)
{
	return req("GET", strf("/fcgi/public/events/%s/queue/%s", code, qid), NULL, NULL);
}

/* A new place (201 asserted); its queue id (malloc'd). */
static char *q_join_new(const char *code, const char *client, const char *body)
{
	resp_t *r = q_join(code, client, NULL, body);
	char *qid;

	ASSERT_STATUS(r, 201);
	ck_assert_msg(jstr(r, "queue_id") && strcmp(jstr(r, "status"), "waiting") == 0, "join: %s",
	              resp_snippet(r));
	qid = strdup(jstr(r, "queue_id"));
	resp_free(r);
	return qid;
}

/* Polls once; the token when admitted (malloc'd), else NULL. */
static char *q_poll_token(const char *code, const char *qid)
{
	resp_t *r = q_poll(code, qid);
	char *tok = NULL;

	ASSERT_STATUS(r, 200);
	if (strcmp(jstr(r, "status"), "admitted") == 0) {
		ck_assert_msg(jstr(r, "queue_token") != NULL, "admitted without a token: %s",
		              resp_snippet(r));
		tok = strdup(jstr(r, "queue_token"));
	} else {
		ck_assert_msg(strcmp(jstr(r, "status"), "waiting") == 0, "poll %s: %s", qid,
		              resp_snippet(r));
	}
	resp_free(r);
	return tok;
}

/* Polls every waiter without a token until all have one (bounded). */
static void q_admit_all(const char *code, char **qid, char **tok, size_t n)
{
	size_t left = n;

	for (int round = 0; round < Q_POLL_ROUNDS && left > 0; round++) {
		for (size_t i = 0; i < n; i++)
			if (tok[i] == NULL && (tok[i] = q_poll_token(code, qid[i])) != NULL)
				left--;
		if (left > 0)
			bk_sleep_ms(150);
	}
	ck_assert_msg(left == 0, "%zu of %zu waiters never admitted", left, n);
}

static char *q_admit_one(const char *code, const char *qid)
{
	char *q[1] = {(char *)qid}, *t[1] = {NULL};
	q_admit_all(code, q, t, 1);
	return t[0];
}

/* A token's payload field (u: unique id = admission order, i: issue ms). */
static long long tok_field(const char *tok, const char *key)
{
	const char *p = tok + 3, *dot = strchr(p, '.');
	unsigned char buf[400];
	long n;
	cJSON *j;
	long long v;

	ck_assert_msg(strncmp(tok, "v1.", 3) == 0 && dot, "token %s", tok);
	n = auth_b64url_decode(p, (size_t)(dot - p), buf, sizeof(buf) - 1);
	ck_assert_msg(n > 0, "token payload of %s", tok);
	buf[n] = '\0';
	j = cJSON_Parse((const char *)buf);
	ck_assert_msg(j && cJSON_IsNumber(cJSON_GetObjectItem(j, key)), "payload %s", buf);
	v = (long long)cJSON_GetObjectItem(j, key)->valuedouble;
	cJSON_Delete(j);
	return v;
}

static char *reserve_body(const struct qev *e, const char *tok)
{
	struct bk_item it = {e->product, 1};
	cJSON *o = cJSON_Parse(bk_body(NULL, &it, 1));
	if (tok)
		cJSON_AddStringToObject(o, "queue_token", tok);
	return jbody(o);
}

static resp_t *q_reserve(const struct qev *e, const char *tok)
{
	return bk_post(e->code, reserve_body(e, tok));
}

static void expect_refused(const struct qev *e, const char *tok, const char *reason)
{
	resp_t *r = q_reserve(e, tok);
	ASSERT_ERROR(r, 403, "QUEUE_REQUIRED");
	ck_assert_msg(jstr(r, "error.details.reason") &&
	                  strcmp(jstr(r, "error.details.reason"), reason) == 0,
	              "want reason %s: %s", reason, resp_snippet(r));
	resp_free(r);
}

static long long redis_int(int argc, const char **argv)
{
	redisReply *rep = bk_redis(argc, argv);
	long long v = rep->type == REDIS_REPLY_INTEGER  ? rep->integer
	              : rep->type == REDIS_REPLY_STRING ? atoll(rep->str)
	                                                : -1;
	freeReplyObject(rep);
	return v;
}

/* Admitted buyers holding live, unspent tokens ({ev:N}:q:a). */
static long long q_active(long long ev)
{
	const char *argv[] = {"ZCARD", strf("{ev:%lld}:q:a", ev)};
	return redis_int(2, argv);
}

static void free_all(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* ---- the gate ------------------------------------------------------------------ */

START_TEST(reserve_needs_token_and_spends_it)
{
	struct qev e;
	char *qid, *tok;
	resp_t *r;

	q_event(&e, "qgate", "{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":1000}");
	expect_refused(&e, NULL, "missing");

	qid = q_join_new(e.code, "gate1", NULL);
	tok = q_admit_one(e.code, qid);
	r = q_reserve(&e, tok);
	ASSERT_STATUS(r, 201);
	ck_assert_msg(jstr(r, "reservation.token") != NULL, "%s", resp_snippet(r));
	resp_free(r);
	expect_refused(&e, tok, "spent");

	/* The place is used up: join again. */
	r = q_poll(e.code, qid);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "expired");
	ck_assert_str_eq(jstr(r, "reason"), "spent");
	resp_free(r);
	ck_assert_int_eq(q_active(e.id), 0);
	free(qid);
	free(tok);
}
END_TEST

START_TEST(tokens_bound_signed_and_expiring)
{
	struct qev a, b;
	char *qid, *tok, *bad, made[QUEUE_TOKEN_MAX + 1];
	struct queue_token t = {0};
	size_t dot;

	q_event(&a, "qtoka", "{\"enabled\":true,\"admit_per_second\":1000}");
	q_event(&b, "qtokb", "{\"enabled\":true,\"admit_per_second\":1000}");
	qid = q_join_new(a.code, "tok1", NULL);
	tok = q_admit_one(a.code, qid);

	expect_refused(&b, tok, "wrong_event");
	bad = strdup(tok);
	bad[5] = bad[5] == 'A' ? 'B' : 'A'; /* the payload edited */
	expect_refused(&a, bad, "forged");
	strcpy(bad, tok);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A'; /* the mac edited */
	expect_refused(&a, bad, "forged");
	dot = (size_t)(strrchr(tok, '.') - tok);
	bad[dot] = '\0'; /* no mac */
	expect_refused(&a, bad, "malformed");
	expect_refused(&a, "garbage", "malformed");
	expect_refused(&a, "1893456000.c2lnbmF0dXJl", "malformed"); /* the old format */

	/* Genuine but expired, and genuine but never admitted. */
	ck_assert_msg(config_load() == CONFIG_OK, "config_load (is $TICKET_VAR/env read?)");
	t.event_id = a.id;
	snprintf(t.qid, sizeof(t.qid), "%s", qid);
	t.uid = tok_field(tok, "u");
	t.issued_ms = bk_now_ms() - 700000;
	t.expires_ms = bk_now_ms() - 100000;
	ck_assert(queue_token_make(&t, made, sizeof(made)));
	expect_refused(&a, made, "expired");
	t.uid = 999999999;
	t.expires_ms = bk_now_ms() + 600000;
	ck_assert(queue_token_make(&t, made, sizeof(made)));
	expect_refused(&a, made, "spent");

	/* None of that spent the real one. */
	{
		resp_t *r = q_reserve(&a, tok);
		ASSERT_STATUS(r, 201);
		resp_free(r);
	}
	expect_refused(&a, tok, "spent");
	free(bad);
	free(tok);
	free(qid);
}
END_TEST

/* ---- fairness ------------------------------------------------------------------ */

#define Q_FAIR_N 500
#define Q_LATE_N 100

START_TEST(fifo_after_opening)
{
	static char *qid[Q_FAIR_N], *tok[Q_FAIR_N];
	struct qev e;

	/* Slow while they join, so they are all in line, then fast. */
	q_event(&e, "qfifo", "{\"enabled\":true,\"admit_per_second\":1,\"max_active\":100000}");
	for (size_t i = 0; i < Q_FAIR_N; i++)
		qid[i] = q_join_new(e.code, strf("fifo%zu", i), NULL);
	q_settings(e.id, "{\"admit_per_second\":10000}");
	memset(tok, 0, sizeof(tok));
	q_admit_all(e.code, qid, tok, Q_FAIR_N);
	for (size_t i = 1; i < Q_FAIR_N; i++)
		ck_assert_msg(tok_field(tok[i], "u") > tok_field(tok[i - 1], "u"),
		              "join %zu admitted before join %zu", i, i - 1);
	free_all(qid, Q_FAIR_N);
	free_all(tok, Q_FAIR_N);
}
END_TEST

/* Spearman's rho between 0..n-1 and the ranks of v (distinct values). */
static double spearman(const long long *v, size_t n)
{
	double d2 = 0;

	for (size_t i = 0; i < n; i++) {
		size_t rank = 0;
		for (size_t k = 0; k < n; k++)
			rank += v[k] < v[i];
		d2 += ((double)rank - (double)i) * ((double)rank - (double)i);
	}
	return 1.0 - 6.0 * d2 / ((double)n * ((double)n * (double)n - 1.0));
}

START_TEST(shuffle_before_opening)
{
	static char *qid[Q_FAIR_N + Q_LATE_N], *tok[Q_FAIR_N + Q_LATE_N];
	static long long uid[Q_FAIR_N + Q_LATE_N];
	struct qev e;
	long long max_early = 0, min_late = -1;
	double rho;
	resp_t *r;

	q_event(&e, "qshuf",
	        strf("{\"enabled\":true,\"admit_per_second\":10000,\"max_active\":100000,"
	             "\"opens_at\":\"%s\"}",
	             bk_instant(3600)));
	for (size_t i = 0; i < Q_FAIR_N; i++)
		qid[i] = q_join_new(e.code, strf("shuf%zu", i), NULL);
	/* Nobody is admitted before the opening. */
	r = q_poll(e.code, qid[0]);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "waiting");
	ck_assert_msg(jint(r, "opens_in_seconds") > 3000, "%s", resp_snippet(r));
	resp_free(r);
	ck_assert_int_eq(q_active(e.id), 0);

	q_settings(e.id, strf("{\"opens_at\":\"%s\"}", bk_instant(-1)));
	for (size_t i = Q_FAIR_N; i < Q_FAIR_N + Q_LATE_N; i++)
		qid[i] = q_join_new(e.code, strf("late%zu", i), NULL);
	memset(tok, 0, sizeof(tok));
	q_admit_all(e.code, qid, tok, Q_FAIR_N + Q_LATE_N);
	for (size_t i = 0; i < Q_FAIR_N + Q_LATE_N; i++)
		uid[i] = tok_field(tok[i], "u");
	for (size_t i = 0; i < Q_FAIR_N; i++)
		max_early = uid[i] > max_early ? uid[i] : max_early;
	for (size_t i = Q_FAIR_N; i < Q_FAIR_N + Q_LATE_N; i++) {
		min_late = min_late < 0 || uid[i] < min_late ? uid[i] : min_late;
		if (i > Q_FAIR_N)
			ck_assert_msg(uid[i] > uid[i - 1], "late join %zu before %zu", i, i - 1);
	}
	ck_assert_msg(max_early < min_late, "an early joiner (%lld) after a late one (%lld)",
	              max_early, min_late);
	rho = spearman(uid, Q_FAIR_N);
	ck_assert_msg(fabs(rho) < 0.2, "early joiners' order follows their joins: rho %.3f", rho);
	free_all(qid, Q_FAIR_N + Q_LATE_N);
	free_all(tok, Q_FAIR_N + Q_LATE_N);
}
END_TEST

/* ---- rate and cap -------------------------------------------------------------- */

#define Q_RATE 20
#define Q_RATE_S 30
#define Q_RATE_WIN 2 /* seconds per measured window */
#define Q_RATE_N 800 /* more than Q_RATE × (Q_RATE_S + a few): the line never runs dry */

#define Q_RATE_BATCH 200
#define Q_RATE_CONC 6

struct rate_drive {
	const char *code;
	char **qid;
	size_t next, bad;
};

static void rate_make(size_t i, struct bk_call *c, void *ctx)
{
	struct rate_drive *d = ctx;
	c->method = "GET";
	c->path = strf("/fcgi/public/events/%s/queue/%s", d->code,
	               d->qid[(d->next + i) % Q_RATE_N]);
	c->body = NULL;
}

static void rate_done(size_t i, const resp_t *r, void *ctx)
{
	struct rate_drive *d = ctx;
	(void)i;
	d->bad += r->status != 200;
}

START_TEST(rate_holds_over_30_seconds)
{
	static char *qid[Q_RATE_N], *tok[Q_RATE_N];
	static long long issued[Q_RATE_N];
	struct qev e;
	long long start, first = -1, n_issued = 0;
	size_t k = 0;

	q_event(&e, "qrate",
	        strf("{\"enabled\":true,\"admit_per_second\":%d,\"max_active\":100000,"
	             "\"opens_at\":\"%s\"}",
	             Q_RATE, bk_instant(3600)));
	for (size_t i = 0; i < Q_RATE_N; i++)
		qid[i] = q_join_new(e.code, strf("rate%zu", i), NULL);
	q_settings(e.id, strf("{\"opens_at\":\"%s\"}", bk_instant(-1)));

	/* Polls keep the ticks coming (and the waiters alive): several in
	 * flight, so one slow worker does not stop the ticks. */
	memset(tok, 0, sizeof(tok));
	start = bk_now_ms();
	while (bk_now_ms() - start < (Q_RATE_S + 2) * 1000LL) {
		struct rate_drive d = {.code = e.code, .qid = qid, .next = k};
		struct bk_multi m = {.total = Q_RATE_BATCH,
		                     .concurrency = Q_RATE_CONC,
		                     .make = rate_make,
		                     .done = rate_done,
		                     .ctx = &d};
		bk_multi_run(&m);
		ck_assert_msg(d.bad == 0, "%zu polls failed while driving the ticks", d.bad);
		k = (k + Q_RATE_BATCH) % Q_RATE_N;
	}
	for (size_t i = 0; i < Q_RATE_N; i++) {
		tok[i] = q_poll_token(e.code, qid[i]);
		if (tok[i]) {
			issued[n_issued] = tok_field(tok[i], "i");
			if (first < 0 || issued[n_issued] < first)
				first = issued[n_issued];
			n_issued++;
		}
	}
	ck_assert_msg(n_issued > Q_RATE * Q_RATE_S * 9 / 10 && n_issued < Q_RATE_N, "%lld admitted",
	              n_issued);
	{
		/* Every Q_RATE_WIN-second window after the first admission holds
		 * Q_RATE × Q_RATE_WIN admissions ± 10 % (a one-second window's ±2
		 * is less than one scheduling hiccup of this shared machine: a tick
		 * 100 ms late moves two admissions into the next second, which the
		 * bucket then makes up; the counts of each second are printed). */
		long long c[Q_RATE_S] = {0}, total = 0;
		char all[Q_RATE_S * 5 + 1] = "";
		int bad = -1;
		for (long long i = 0; i < n_issued; i++)
			if (issued[i] - first < Q_RATE_S * 1000LL)
				c[(issued[i] - first) / 1000]++;
		for (int s = 0; s < Q_RATE_S; s++) {
			snprintf(all + strlen(all), sizeof(all) - strlen(all), " %lld", c[s]);
			total += c[s];
		}
		for (int s = 0; s + Q_RATE_WIN <= Q_RATE_S; s += Q_RATE_WIN) {
			long long w = 0;
			for (int x = 0; x < Q_RATE_WIN; x++)
				w += c[s + x];
			if (bad < 0 &&
			    (w < Q_RATE * Q_RATE_WIN * 9 / 10 || w > Q_RATE * Q_RATE_WIN * 11 / 10))
				bad = s;
		}
		ck_assert_msg(bad < 0,
		              "seconds %d–%d after the first admission are off %d/s ± 10 %%:%s",
		              bad, bad + Q_RATE_WIN, Q_RATE, all);
		ck_assert_msg(total >= Q_RATE * Q_RATE_S * 9 / 10 &&
		                  total <= Q_RATE * Q_RATE_S * 11 / 10,
		              "%lld admitted in %d s:%s", total, Q_RATE_S, all);
	}
	free_all(qid, Q_RATE_N);
	free_all(tok, Q_RATE_N);
}
END_TEST

#define Q_CAP 5
#define Q_CAP_N 12

/* Polls every waiter a few times; how many hold tokens. */
static int q_settle(const struct qev *e, char **qid, char **tok, size_t n)
{
	int admitted = 0;

	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < n; i++)
			if (qid[i] && tok[i] == NULL)
				tok[i] = q_poll_token(e->code, qid[i]);
		bk_sleep_ms(150);
	}
	for (size_t i = 0; i < n; i++)
		admitted += tok[i] != NULL;
	return admitted;
}

START_TEST(max_active_caps_live_tokens)
{
	char *qid[Q_CAP_N], *tok[Q_CAP_N] = {0};
	struct qev e;
	size_t spent = Q_CAP_N, left = Q_CAP_N;
	resp_t *r;

	q_event(&e, "qcap",
	        strf("{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":%d}", Q_CAP));
	for (size_t i = 0; i < Q_CAP_N; i++)
		qid[i] = q_join_new(e.code, strf("cap%zu", i), NULL);
	ck_assert_int_eq(q_settle(&e, qid, tok, Q_CAP_N), Q_CAP);
	ck_assert_int_eq(q_active(e.id), Q_CAP);
	{
		/* What analytics reads (lib/queue.h). */
		struct arena *ar;
		struct queue_stats st;
		long long total;
		int64_t ids[2];

		ck_assert_msg(config_load() == CONFIG_OK, "config_load (is $TICKET_VAR/env read?)");
		kv_init(cfg.redis);
		ar = arena_new();
		ck_assert_int_eq(queue_stats(ar, e.id, &st), QUEUE_OK);
		ck_assert_int_eq(st.waiting, Q_CAP_N - Q_CAP);
		ck_assert_int_eq(st.vip_waiting, 0);
		ck_assert_int_eq(st.active, Q_CAP);
		ck_assert_msg(st.rate > 0, "no admission rate measured");
		ids[0] = e.id;
		ids[1] = e.id;
		ck_assert_int_eq(queue_waiting_total(ar, ids, 2, &total), QUEUE_OK);
		ck_assert_int_eq(total, 2 * (Q_CAP_N - Q_CAP));
		arena_free(ar);
	}

	/* A spent token frees its slot: one more is admitted. */
	for (size_t i = 0; i < Q_CAP_N && spent == Q_CAP_N; i++)
		if (tok[i])
			spent = i;
	r = q_reserve(&e, tok[spent]);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	ck_assert_int_eq(q_settle(&e, qid, tok, Q_CAP_N), Q_CAP + 1);
	ck_assert_int_eq(q_active(e.id), Q_CAP);

	/* Leaving with an unspent token voids it and frees its slot too. */
	for (size_t i = 0; i < Q_CAP_N && left == Q_CAP_N; i++)
		if (tok[i] && i != spent)
			left = i;
	r = req("DELETE", strf("/fcgi/public/events/%s/queue/%s", e.code, qid[left]), NULL, NULL);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "left");
	resp_free(r);
	expect_refused(&e, tok[left], "spent");
	ck_assert_int_eq(q_settle(&e, qid, tok, Q_CAP_N), Q_CAP + 2);
	ck_assert_int_eq(q_active(e.id), Q_CAP);
	free_all(qid, Q_CAP_N);
	free_all(tok, Q_CAP_N);
}
END_TEST

/* ---- drop-outs, VIP, the cookie ------------------------------------------------------ */

#define Q_AB_N 10

START_TEST(abandoned_waiters_are_skipped)
{
	char *qid[Q_AB_N], *tok[Q_AB_N] = {0}, *live[Q_AB_N / 2], *ltok[Q_AB_N / 2] = {0};
	struct qev e;
	resp_t *r;
	long long deadline, now_ms;

	q_event(&e, "qaban",
	        strf("{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":1000,"
	             "\"opens_at\":\"%s\"}",
	             bk_instant(3600)));
	for (size_t i = 0; i < Q_AB_N; i++)
		qid[i] = q_join_new(e.code, strf("ab%zu", i), NULL);

	/* A poll moves the deadline a minute (at least) ahead. */
	r = q_poll(e.code, qid[1]);
	ASSERT_STATUS(r, 200);
	{
		const char *zs[] = {"ZSCORE", strf("{ev:%lld}:q:d", e.id), qid[1]};
		redisReply *t = bk_redis(1, (const char *[]){"TIME"});
		now_ms = atoll(t->element[0]->str) * 1000 + atoll(t->element[1]->str) / 1000;
		freeReplyObject(t);
		deadline = redis_int(3, zs);
		ck_assert_msg(deadline >= now_ms + 59000 &&
		                  deadline >= now_ms + 2 * jint(r, "poll_after_ms") - 1000,
		              "deadline %lld ms ahead, poll_after_ms %lld", deadline - now_ms,
		              jint(r, "poll_after_ms"));
	}
	resp_free(r);

	/* The even ones closed their tabs a minute ago. */
	for (size_t i = 0; i < Q_AB_N; i += 2) {
		const char *za[] = {"ZADD", strf("{ev:%lld}:q:d", e.id), "1", qid[i]};
		redis_int(4, za);
	}
	q_settings(e.id, strf("{\"opens_at\":\"%s\"}", bk_instant(-1)));
	for (size_t i = 0; i < Q_AB_N / 2; i++)
		live[i] = qid[2 * i + 1];
	q_admit_all(e.code, live, ltok, Q_AB_N / 2);
	for (size_t i = 0; i < Q_AB_N; i += 2) {
		r = q_poll(e.code, qid[i]);
		ASSERT_STATUS(r, 200);
		ck_assert_msg(strcmp(jstr(r, "status"), "expired") == 0 &&
		                  strcmp(jstr(r, "reason"), "unknown") == 0,
		              "an abandoned waiter: %s", resp_snippet(r));
		resp_free(r);
	}
	ck_assert_int_eq(q_active(e.id), Q_AB_N / 2);
	free_all(qid, Q_AB_N);
	free_all(ltok, Q_AB_N / 2);
	(void)tok;
}
END_TEST

START_TEST(vip_lane_first)
{
	char *qid[8], *tok[8] = {0};
	struct qev e;
	resp_t *r;
	long long max_vip = 0, min_normal = -1;

	q_event(&e, "qvip",
	        strf("{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":1000,"
	             "\"opens_at\":\"%s\",\"vip_codes\":[\"SPONSOR-01\"]}",
	             bk_instant(3600)));
	for (size_t i = 0; i < 5; i++)
		qid[i] = q_join_new(e.code, strf("nv%zu", i), NULL);
	for (size_t i = 5; i < 8; i++) {
		r = q_join(e.code, strf("v%zu", i), NULL, "{\"vip_code\":\"SPONSOR-01\"}");
		ASSERT_STATUS(r, 201);
		ck_assert_str_eq(jstr(r, "lane"), "vip");
		/* Early VIPs are shuffled among themselves, all ahead of the rest. */
		ck_assert_msg(jint(r, "position") >= 1 && jint(r, "position") <= (long long)i - 4,
		              "VIP %zu: %s", i - 4, resp_snippet(r));
		qid[i] = strdup(jstr(r, "queue_id"));
		resp_free(r);
	}
	r = q_poll(e.code, qid[0]);
	ck_assert_str_eq(jstr(r, "lane"), "normal");
	ck_assert_msg(jint(r, "position") >= 4, "a normal waiter ahead of the VIPs: %s",
	              resp_snippet(r));
	resp_free(r);
	r = q_join(e.code, "vbad", NULL, "{\"vip_code\":\"SPONSOR-02\"}");
	ASSERT_FIELD(r, "vip_code");
	resp_free(r);

	q_settings(e.id, strf("{\"opens_at\":\"%s\"}", bk_instant(-1)));
	q_admit_all(e.code, qid, tok, 8);
	for (size_t i = 0; i < 8; i++) {
		long long u = tok_field(tok[i], "u");
		if (i >= 5)
			max_vip = u > max_vip ? u : max_vip;
		else
			min_normal = min_normal < 0 || u < min_normal ? u : min_normal;
	}
	ck_assert_msg(max_vip < min_normal, "a normal waiter admitted before a VIP");
	free_all(qid, 8);
	free_all(tok, 8);
}
END_TEST

/* "tkq_<code>=<value>" of a Set-Cookie line. */
static char *cookie_of(const resp_t *r)
{
	char *c;
	ck_assert_msg(r->set_cookie && strncmp(r->set_cookie, "tkq_", 4) == 0, "Set-Cookie: %s",
	              r->set_cookie ? r->set_cookie : "(none)");
	c = strdup(r->set_cookie);
	c[strcspn(c, ";")] = '\0';
	return c;
}

START_TEST(cookie_keeps_the_place)
{
	struct qev e;
	resp_t *r;
	char *qid, *cookie, *forged;
	long long pos;

	/* One slot, held by the first waiter: the others stay in line. */
	q_event(&e, "qck", "{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":1}");
	qid = q_join_new(e.code, "ck0", NULL);
	free(q_admit_one(e.code, qid));
	free(qid);
	r = q_join(e.code, "ck1", NULL, NULL);
	ASSERT_STATUS(r, 201);
	qid = strdup(jstr(r, "queue_id"));
	pos = jint(r, "position");
	ck_assert_int_eq(pos, 1);
	cookie = cookie_of(r);
	ck_assert_msg(strstr(r->set_cookie, "HttpOnly") != NULL, "%s", r->set_cookie);
	resp_free(r);
	free(q_join_new(e.code, "ck2", NULL));

	/* A refresh or a second tab: the same place. */
	for (int k = 0; k < 2; k++) {
		r = q_join(e.code, "ck1", cookie, NULL);
		ASSERT_STATUS(r, 200);
		ck_assert_str_eq(jstr(r, "queue_id"), qid);
		ck_assert_int_eq(jint(r, "position"), pos);
		resp_free(r);
	}
	/* An edited cookie is not a place. */
	forged = strdup(cookie);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == 'A' ? 'B' : 'A';
	r = q_join(e.code, "ck3", forged, NULL);
	ASSERT_STATUS(r, 201);
	ck_assert_str_ne(jstr(r, "queue_id"), qid);
	resp_free(r);

	/* Leaving clears the cookie; the old cookie then takes a new place. */
	r = req("DELETE", strf("/fcgi/public/events/%s/queue/%s", e.code, qid), NULL, NULL,
	        strf("Cookie: %s", cookie));
	ASSERT_STATUS(r, 200);
	ck_assert_msg(r->set_cookie && strstr(r->set_cookie, "Max-Age=0"), "Set-Cookie: %s",
	              r->set_cookie ? r->set_cookie : "(none)");
	resp_free(r);
	r = q_poll(e.code, qid);
	ck_assert_str_eq(jstr(r, "status"), "expired");
	resp_free(r);
	r = q_join(e.code, "ck1", cookie, NULL);
	ASSERT_STATUS(r, 201);
	ck_assert_str_ne(jstr(r, "queue_id"), qid);
	resp_free(r);
	free(qid);
	free(cookie);
	free(forged);
}
END_TEST

/* ---- bad input, permissions, limits, loss -------------------------------------------------- */

START_TEST(bad_input_and_settings)
{
	struct qev e;
	long long off;
	char *off_code = uniq_code("qoff");
	resp_t *r;

	q_event(
	    &e, "qbad",
	    "{\"enabled\":true,\"admit_per_second\":30,\"max_active\":7,"
	    "\"opens_at\":\"2030-01-01T10:00:00+09:00\",\"vip_codes\":[\"GOLD-1\",\"gold_2\"]}");
	r = req("GET", strf("/fcgi/super-admin/events/%lld", e.id), NULL, super_tok());
	ASSERT_STATUS(r, 200);
	ck_assert_int_eq(jint(r, "event.queue.admit_per_second"), 30);
	ck_assert_int_eq(jint(r, "event.queue.max_active"), 7);
	ck_assert_str_eq(jstr(r, "event.queue.opens_at"), "2030-01-01T10:00:00+09:00");
	ck_assert_str_eq(jstr(r, "event.queue.vip_codes.1"), "gold_2");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s", e.code), NULL, NULL);
	ck_assert_int_eq(jbool(r, "event.queue.enabled"), 1);
	ck_assert_str_eq(jstr(r, "event.queue.opens_at"), "2030-01-01T10:00:00+09:00");
	ck_assert_msg(jget(r->json, "event.queue.vip_codes") == NULL, "VIP codes are not public");
	resp_free(r);

	/* Settings the super admin may not send. */
	{
		static const char *const bad[][2] = {
		    {"{\"max_active\":0}", "queue.max_active"},
		    {"{\"admit_per_second\":0}", "queue.admit_per_second"},
		    {"{\"opens_at\":\"tomorrow\"}", "queue.opens_at"},
		    {"{\"vip_codes\":\"GOLD-1\"}", "queue.vip_codes"},
		    {"{\"vip_codes\":[\"ab\"]}", "queue.vip_codes[0]"},
		    {"{\"vip_codes\":[\"GOLD-1\",\"has space\"]}", "queue.vip_codes[1]"},
		    {"{\"vip_codes\":[7]}", "queue.vip_codes[0]"},
		};
		for (size_t i = 0; i < TK_ARRAY_LEN(bad); i++) {
			r = req("PUT", strf("/fcgi/super-admin/events/%lld", e.id),
			        strf("{\"queue\":%s}", bad[i][0]), super_tok());
			ASSERT_FIELD(r, bad[i][1]);
			resp_free(r);
		}
	}
	/* Only the super admin sets them. */
	r = req("PUT", strf("/fcgi/super-admin/events/%lld", e.id),
	        "{\"queue\":{\"enabled\":false}}", fx_actor(3)->s->token);
	ASSERT_ERROR(r, 403, "FORBIDDEN");
	resp_free(r);

	/* Joins and polls. */
	r = q_join(e.code, "bad1", NULL, "[1]");
	ASSERT_ERROR(r, 400, "INVALID_JSON");
	resp_free(r);
	r = q_join(e.code, "bad2", NULL, strf("{\"vip_code\":\"%s\"}", str_repeat('A', 65)));
	ASSERT_FIELD(r, "vip_code");
	resp_free(r);
	r = q_join(e.code, "bad3", NULL, "{\"vip_code\":7}");
	ASSERT_FIELD(r, "vip_code");
	resp_free(r);
	{
		static const char *const ct[] = {"X-Test-Client: bad4", NULL};
		struct rawreq rq = {.method = "POST",
		                    .target = strf("/fcgi/public/events/%s/queue", e.code),
		                    .body = "{}",
		                    .body_len = 2,
		                    .content_type = "text/plain",
		                    .headers = ct};
		r = req_raw(&rq);
		ASSERT_ERROR(r, 415, "UNSUPPORTED_MEDIA_TYPE");
		resp_free(r);
	}
	r = q_join("nosuchqueueev", "bad5", NULL, NULL);
	ASSERT_ERROR(r, 404, "EVENT_NOT_FOUND");
	resp_free(r);
	r = q_poll(e.code, "short");
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = q_poll(e.code, "AAAAAAAAAAAAAAAAAAAA!!");
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);
	r = q_poll(e.code, "AAAAAAAAAAAAAAAAAAAAAA");
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "expired");
	ck_assert_str_eq(jstr(r, "reason"), "unknown");
	resp_free(r);
	r = req("DELETE", strf("/fcgi/public/events/%s/queue/short", e.code), NULL, NULL);
	ASSERT_ERROR(r, 404, "NOT_FOUND");
	resp_free(r);

	/* An event without a waiting room has none to join. */
	off = bk_event(off_code, 0, 0);
	ck_assert(off > 0);
	r = q_join(off_code, "bad6", NULL, NULL);
	ASSERT_ERROR(r, 409, "QUEUE_DISABLED");
	resp_free(r);
	r = q_poll(off_code, "AAAAAAAAAAAAAAAAAAAAAA");
	ASSERT_ERROR(r, 409, "QUEUE_DISABLED");
	resp_free(r);
	r = req("GET", strf("/fcgi/public/events/%s/queue/AAAAAAAAAAAAAAAAAAAAAA", e.code), NULL,
	        NULL, "Accept-Language: en");
	ASSERT_STATUS(r, 200);
	resp_free(r);
}
END_TEST

START_TEST(join_is_rate_limited)
{
	struct qev e;
	int limited = 0, created = 0;

	q_event(&e, "qlim", "{\"enabled\":true,\"admit_per_second\":1}");
	for (int i = 0; i < 40; i++) {
		resp_t *r = q_join(e.code, "one-client", NULL, NULL);
		if (r->status == 429) {
			ck_assert_str_eq(err_code(r), "RATE_LIMITED");
			ck_assert_msg(r->retry_after && atoi(r->retry_after) >= 1,
			              "429 without Retry-After");
			limited++;
		} else {
			ASSERT_STATUS(r, 201);
			created++;
		}
		resp_free(r);
	}
	ck_assert_msg(limited > 0 && created > 0, "%d created, %d limited", created, limited);
	/* Polls are not the join's limit. */
	{
		char *qid = q_join_new(e.code, "another-client", NULL);
		for (int i = 0; i < 40; i++) {
			resp_t *r = q_poll(e.code, qid);
			ASSERT_STATUS(r, 200);
			resp_free(r);
		}
		free(qid);
	}
}
END_TEST

START_TEST(redis_loss_means_rejoin)
{
	struct qev e;
	char *qid, *tok, *again;
	resp_t *r;

	q_event(&e, "qloss", "{\"enabled\":true,\"admit_per_second\":1000,\"max_active\":1000}");
	qid = q_join_new(e.code, "loss1", NULL);
	tok = q_admit_one(e.code, qid);
	bk_flushall();
	/* The token's slot went with the data: it cannot be spent. */
	expect_refused(&e, tok, "spent");
	r = q_poll(e.code, qid);
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(jstr(r, "status"), "expired");
	ck_assert_str_eq(jstr(r, "reason"), "unknown");
	resp_free(r);
	again = q_join_new(e.code, "loss1", NULL);
	ck_assert_str_ne(again, qid);
	free(tok);
	tok = q_admit_one(e.code, again);
	r = q_reserve(&e, tok);
	ASSERT_STATUS(r, 201);
	resp_free(r);
	free(qid);
	free(again);
	free(tok);
}
END_TEST

/* ---- a rush through the queue ------------------------------------------------------ */

#define Q_RUSH_STOCK 20
#define Q_RUSH_ADMITTED 60
#define Q_RUSH_BYPASS 40 /* attempts without a token, mixed in */

struct rush {
	const struct qev *e;
	char **tok;
	char *bypass_body;
	size_t created, refused, sold_out, odd, created_without;
};

/* Even requests carry a token (while there are tokens), odd ones none. */
static const char *rush_tok(const struct rush *u, size_t i)
{
	return i % 2 == 0 && i / 2 < Q_RUSH_ADMITTED ? u->tok[i / 2] : NULL;
}

static void rush_make(size_t i, struct bk_call *c, void *ctx)
{
	struct rush *u = ctx;
	const char *tok = i < 2 * Q_RUSH_BYPASS ? rush_tok(u, i) : u->tok[i - Q_RUSH_BYPASS];
	c->method = "POST";
	c->path = strf("/fcgi/public/events/%s/reservations", u->e->code);
	c->body = tok ? reserve_body(u->e, tok) : u->bypass_body;
}

static void rush_done(size_t i, const resp_t *r, void *ctx)
{
	struct rush *u = ctx;
	bool with = i < 2 * Q_RUSH_BYPASS ? rush_tok(u, i) != NULL : true;

	if (r->status == 201) {
		u->created++;
		u->created_without += !with;
	} else if (r->status == 403 && strcmp(err_code(r), "QUEUE_REQUIRED") == 0) {
		u->refused++;
	} else if (r->status == 409 && strcmp(err_code(r), "SOLD_OUT") == 0) {
		u->sold_out++;
	} else {
		u->odd++;
	}
}

START_TEST(rush_sells_exactly_the_stock)
{
	static char *qid[Q_RUSH_ADMITTED], *tok[Q_RUSH_ADMITTED];
	struct qev e;
	struct rush u = {0};
	struct bk_multi m = {.total = Q_RUSH_ADMITTED + Q_RUSH_BYPASS,
	                     .concurrency = 30,
	                     .make = rush_make,
	                     .done = rush_done,
	                     .ctx = &u};

	q_event_cap(&e, "qrush",
	            "{\"enabled\":true,\"admit_per_second\":10000,\"max_active\":1000}",
	            Q_RUSH_STOCK);
	for (size_t i = 0; i < Q_RUSH_ADMITTED; i++)
		qid[i] = q_join_new(e.code, strf("rush%zu", i), NULL);
	memset(tok, 0, sizeof(tok));
	q_admit_all(e.code, qid, tok, Q_RUSH_ADMITTED);
	u.e = &e;
	u.tok = tok;
	u.bypass_body = strdup(reserve_body(&e, NULL));
	bk_multi_run(&m);
	ck_assert_msg(u.odd == 0, "%zu answers neither 201, 403 QUEUE_REQUIRED nor 409 SOLD_OUT",
	              u.odd);
	ck_assert_int_eq(u.created, Q_RUSH_STOCK);
	ck_assert_int_eq(u.created_without, 0);
	ck_assert_int_eq(u.refused, Q_RUSH_BYPASS);
	ck_assert_int_eq(u.sold_out, Q_RUSH_ADMITTED - Q_RUSH_STOCK);
	ck_assert_int_eq(bk_pending_orders(e.id), Q_RUSH_STOCK);
	ck_assert_int_eq(q_active(e.id), 0);
	free(u.bypass_body);
	free_all(qid, Q_RUSH_ADMITTED);
	free_all(tok, Q_RUSH_ADMITTED);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_new("queue");

	tcase_add_test(tc, reserve_needs_token_and_spends_it);
	tcase_add_test(tc, tokens_bound_signed_and_expiring);
	tcase_add_test(tc, fifo_after_opening);
	tcase_add_test(tc, shuffle_before_opening);
	tcase_add_test(tc, max_active_caps_live_tokens);
	tcase_add_test(tc, abandoned_waiters_are_skipped);
	tcase_add_test(tc, vip_lane_first);
	tcase_add_test(tc, cookie_keeps_the_place);
	tcase_add_test(tc, bad_input_and_settings);
	tcase_add_test(tc, join_is_rate_limited);
	tcase_add_test(tc, rate_holds_over_30_seconds);
	tcase_add_test(tc, rush_sells_exactly_the_stock);
	tcase_add_test(tc, redis_loss_means_rejoin);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("queue", queue_suite, true)
