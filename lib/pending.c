/* pending.c — pending orders written behind their holds (see pending.h). */
#include "pending.h"

#include "kv.h"
#include "log.h"
#include "reconcile.h"
#include "stock.h"
#include "tk.h"

#include <stdio.h>
#include <string.h>

/* Writes a JSON array of complete records; answers the tokens it inserted.
 * A record whose token is already there is left alone (another writer got
 * there first, and waited for here if still in flight); a conflict on any
 * other unique key (an order number drawn twice) skips the record too, and
 * the caller finds it missing. */
static struct db_stmt q_write = DB_STMT(
    "WITH x AS (SELECT * FROM json_to_recordset($2::json) AS x(n text, t text, d date,"
    "   a integer, nm text, ph text, em text, ac text, x bigint, i json)),"
    " o AS (INSERT INTO orders (event_id, order_number, reservation_token, toss_order_id,"
    "   status, visit_date, amount, customer_name, customer_phone, customer_email,"
    "   access_token, hold_expires_at)"
    "   SELECT $1, x.n, x.t, x.n, 'pending', x.d, x.a, x.nm, x.ph, x.em, x.ac,"
    "     to_timestamp(x.x / 1000.0) FROM x"
    "   ON CONFLICT DO NOTHING RETURNING id, reservation_token),"
    " it AS (INSERT INTO order_items (order_id, product_id, qty, unit_price, amount)"
    "   SELECT o.id, i.p, i.q, i.u, i.q * i.u FROM o JOIN x ON x.t = o.reservation_token"
    "   CROSS JOIN LATERAL ROWS FROM (json_to_recordset(x.i) AS (p bigint, q integer,"
    "     u integer)) WITH ORDINALITY AS i(p, q, u, k)"
    "   ORDER BY o.id, i.k)"
    " SELECT reservation_token AS token FROM o",
    2);

/* Of these tokens, the ones with no order. */
static struct db_stmt q_missing = DB_STMT(
    "SELECT t AS token FROM unnest($1::text[]) AS t"
    " WHERE NOT EXISTS (SELECT 1 FROM orders WHERE reservation_token = t)",
    1);

static struct db_stmt q_event_by_code = DB_STMT("SELECT id FROM events WHERE code = lower($1)", 1);

#define LUA_NOW \
	"local t = redis.call('TIME')\n" \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

/* KEYS: queue, in-flight.  ARGV: prefix, max, age, stale → flat {token,
 * record, …}: claims older than stale ms (0: every claim in flight, for a
 * flush), then queued tokens at least age ms old, oldest first, up to max.
 * Tokens whose record is gone (written, or outlived its grace) are
 * dropped. */
static struct kv_script s_claim = KV_SCRIPT(
    "pending_claim", LUA_NOW "local out = {}\n"
                             "local max = tonumber(ARGV[2])\n"
                             "local function take(tok)\n"
                             "  local rec = redis.call('GET', ARGV[1] .. ':o:' .. tok)\n"
                             "  if rec then\n"
                             "    redis.call('ZADD', KEYS[2], now, tok)\n"
                             "    out[#out + 1] = tok\n"
                             "    out[#out + 1] = rec\n"
                             "  else\n"
                             "    redis.call('ZREM', KEYS[2], tok)\n"
                             "  end\n"
                             "end\n"
                             "local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf',\n"
                             "  now - tonumber(ARGV[4]), 'LIMIT', 0, max)\n"
                             "for _, tok in ipairs(old) do take(tok) end\n"
                             "local n = max - #old\n"
                             "if n > 0 then\n"
                             "  local toks = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf',\n"
                             "    now - tonumber(ARGV[3]), 'LIMIT', 0, n)\n"
                             "  for _, tok in ipairs(toks) do\n"
                             "    redis.call('ZREM', KEYS[1], tok)\n"
                             "    take(tok)\n"
                             "  end\n"
                             "end\n"
                             "return out\n");

/* KEYS: in-flight, queue.  ARGV: prefix, tokens… → written: forgotten.
 * Answers how many of them have no hold any more: Redis lost its data
 * while they were being written (or they expired meanwhile). */
static struct kv_script s_done = KV_SCRIPT(
    "pending_done", "local gone = 0\n"
                    "for i = 2, #ARGV do\n"
                    "  redis.call('ZREM', KEYS[1], ARGV[i])\n"
                    "  redis.call('ZREM', KEYS[2], ARGV[i])\n"
                    "  redis.call('DEL', ARGV[1] .. ':o:' .. ARGV[i])\n"
                    "  if redis.call('EXISTS', ARGV[1] .. ':h:' .. ARGV[i]) == 0 then\n"
                    "    gone = gone + 1\n"
                    "  end\n"
                    "end\n"
                    "return gone\n");

static char *prefix(struct arena *a, int64_t event_id)
{
	return arena_printf(a, "{ev:%lld}", (long long)event_id);
}

/* Record builder: every piece bounded by the room computed up front. */
struct rec {
	char *p;
	size_t at, cap;
};

static void rec_raw(struct rec *r, const char *s)
{
	size_t n = strlen(s);
	memcpy(r->p + r->at, s, n);
	r->at += n;
}

static void rec_str(struct rec *r, const char *key, const char *v)
{
	rec_raw(r, key);
	r->at += tk_json_quote(r->p + r->at, r->cap - r->at, v);
}

static void rec_int(struct rec *r, const char *key, int64_t v)
{
	rec_raw(r, key);
	r->at += (size_t)snprintf(r->p + r->at, r->cap - r->at, "%lld", (long long)v);
}

/* Written by hand, not with cJSON: it is built for every reservation
 * attempt, sold out or not, and cJSON's objects and number printing cost
 * more than the rest of a sold-out answer. */
char *pending_record(struct arena *a, const struct pending_order *o)
{
	const char *strs[] = {o->number, o->token,        o->visit_date, o->name,
	                      o->phone,  o->access_token, o->email};
	struct rec r = {0};

	r.cap = 128 + o->n_items * 80;
	for (size_t i = 0; i < TK_ARRAY_LEN(strs); i++)
		r.cap += 6 * (strs[i] ? strlen(strs[i]) : 0) + 8;
	r.p = arena_alloc(a, r.cap);
	rec_str(&r, "{\"n\":", o->number);
	rec_str(&r, ",\"t\":", o->token);
	if (o->visit_date)
		rec_str(&r, ",\"d\":", o->visit_date);
	rec_int(&r, ",\"a\":", o->amount);
	rec_str(&r, ",\"nm\":", o->name);
	rec_str(&r, ",\"ph\":", o->phone);
	if (o->email)
		rec_str(&r, ",\"em\":", o->email);
	rec_str(&r, ",\"ac\":", o->access_token);
	rec_raw(&r, ",\"i\":[");
	for (size_t i = 0; i < o->n_items; i++) {
		rec_int(&r, i ? ",{\"p\":" : "{\"p\":", o->items[i].product_id);
		rec_int(&r, ",\"q\":", o->items[i].qty);
		rec_int(&r, ",\"u\":", o->items[i].unit_price);
		rec_raw(&r, "}");
	}
	rec_raw(&r, "]");
	r.p[r.at] = '\0';
	return r.p;
}

char *pending_record_close(struct arena *a, const char *record, int64_t expires_ms)
{
	return arena_printf(a, "%s,\"x\":%lld}", record, (long long)expires_ms);
}

/* The items between open and close, comma-separated: tokens as a
 * PostgreSQL text[] literal (reservation tokens are base64url, nothing in
 * them needs quoting), records as a JSON array. */
static char *join(struct arena *a, char open, char close, const char *const *items, size_t n)
{
	size_t len = 3;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(items[i]) + 1;
	p = out = arena_alloc(a, len);
	*p++ = open;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]);
		if (i)
			*p++ = ',';
		memcpy(p, items[i], l);
		p += l;
	}
	*p++ = close;
	*p = '\0';
	return out;
}

static void forget(struct arena *a, int64_t event_id, const char *const *tokens, size_t n)
{
	const char *args[PENDING_BATCH + 1];
	const char *keys[2];
	redisReply *rep;

	if (n == 0)
		return;
	keys[0] = arena_printf(a, "{ev:%lld}:wp", (long long)event_id);
	keys[1] = arena_printf(a, "{ev:%lld}:w", (long long)event_id);
	args[0] = prefix(a, event_id);
	for (size_t i = 0; i < n && i < PENDING_BATCH; i++)
		args[i + 1] = tokens[i];
	if (kv_eval(a, &s_done, 2, keys, (int)(n < PENDING_BATCH ? n : PENDING_BATCH) + 1, args,
	            &rep) != KV_OK) {
		log_event(LOG_WARN, "pending_forget_failed", NULL); /* claims go stale, rewritten */
		return;
	}
	/* Holds gone while their orders were on the way to PostgreSQL: if
	 * Redis lost its data, a rebuild that ran before this write did not
	 * count these orders. Rebuild again now that they are in. */
	if (rep->type == REDIS_REPLY_INTEGER && rep->integer > 0 && !db_in_transaction())
		reconcile_event(a, event_id, NULL);
}

/* A record PostgreSQL will not take: its hold goes back, so no hold stays
 * without an order. */
static void refused(struct arena *a, int64_t event_id, const char *token)
{
	log_event(LOG_ERROR, "pending_write_refused", "token", token, "sqlstate",
	          db_last_sqlstate(), "constraint", db_last_constraint(), NULL);
	stock_release(a, event_id, token);
}

/* Whether the last statement broke an integrity rule (SQLSTATE class 22,
 * data exception, or 23, integrity constraint violation): a record that
 * PostgreSQL will refuse however often it is sent. Anything else — a
 * deadlock, a statement or lock timeout (57014, 55P03), a read-only server
 * after a failover (25006), a full disk (53100) — passes, and the record
 * must be written again later, never dropped: its customer has a 201. */
static bool integrity_refusal(void)
{
	const char *st = db_last_sqlstate();
	return st && (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0);
}

/* Writes records (complete) for tokens, then forgets the written and the
 * refused ones (integrity_refusal: their holds go back). A failure that
 * passes keeps every claim, to be written again when it goes stale, and
 * answers DB_DOWN (no connection) or DB_RETRY (anything else). */
static enum db_err write_records(struct arena *a, int64_t event_id, const char *const *tokens,
                                 const char *const *records, size_t n)
{
	const char *ev = db_param_i64(a, event_id);
	const char *params[2];
	PGresult *res;
	enum db_err e;

	if (n == 0)
		return DB_OK;
	params[0] = ev;
	params[1] = join(a, '[', ']', records, n);
	e = db_exec(a, &q_write, params, &res);
	if (e == DB_DOWN)
		return e;
	if (e != DB_OK && !integrity_refusal()) {
		/* Not the records' fault (a deadlock with another writer of the
		 * same orders, a timeout, a read-only or full server): the claims
		 * go stale and are written again. */
		log_event(LOG_WARN, "pending_write_deferred", "sqlstate", db_last_sqlstate(), NULL);
		return DB_RETRY;
	}
	if (e != DB_OK) {
		/* One record spoils the statement: write them one by one. */
		enum db_err worst = DB_OK;
		if (n == 1) {
			refused(a, event_id, tokens[0]);
			forget(a, event_id, tokens, 1);
			return e;
		}
		for (size_t i = 0; i < n; i++) {
			enum db_err e1 = write_records(a, event_id, tokens + i, records + i, 1);
			if (e1 == DB_DOWN)
				return e1;
			if (e1 != DB_OK)
				worst = e1;
		}
		return worst;
	}
	if ((size_t)db_rows(res) < n) {
		/* Skipped by ON CONFLICT: written before (fine) or refused. */
		PGresult *mres;
		params[0] = join(a, '{', '}', tokens, n);
		e = db_exec(a, &q_missing, params, &mres);
		if (e != DB_OK)
			return e;
		for (int i = 0; i < db_rows(mres); i++) {
			refused(a, event_id, db_str(mres, i, "token"));
			e = DB_UNIQUE;
		}
	}
	forget(a, event_id, tokens, n);
	return e;
}

/* Claims up to PENDING_BATCH records (age, stale: see s_claim) and writes
 * them. *claimed says how many there were. */
static enum db_err claim_and_write(struct arena *a, int64_t event_id, int64_t age, int64_t stale,
                                   size_t *claimed)
{
	const char *keys[2], *args[4];
	const char *tokens[PENDING_BATCH], *records[PENDING_BATCH];
	redisReply *rep;
	size_t n = 0;
	enum kv_err ke;

	*claimed = 0;
	keys[0] = arena_printf(a, "{ev:%lld}:w", (long long)event_id);
	keys[1] = arena_printf(a, "{ev:%lld}:wp", (long long)event_id);
	args[0] = prefix(a, event_id);
	args[1] = db_param_i64(a, PENDING_BATCH);
	args[2] = db_param_i64(a, age);
	args[3] = db_param_i64(a, stale);
	ke = kv_eval(a, &s_claim, 2, keys, 4, args, &rep);
	if (ke != KV_OK)
		return DB_DOWN;
	if (rep->type != REDIS_REPLY_ARRAY)
		return DB_ERROR;
	for (size_t i = 0; i + 1 < rep->elements && n < PENDING_BATCH; i += 2) {
		if (rep->element[i]->type != REDIS_REPLY_STRING ||
		    rep->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		tokens[n] = rep->element[i]->str;
		records[n] = rep->element[i + 1]->str;
		n++;
	}
	*claimed = n;
	return write_records(a, event_id, tokens, records, n);
}

/* KEYS: lock.  ARGV: ms → 1 taken | 0 another writer has it. */
static struct kv_script s_lock = KV_SCRIPT(
    "pending_lock", "return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) and 1 or 0\n");

/* KEYS: lock, queue → {length, age of the oldest (ms)}, the lock given up. */
static struct kv_script s_unlock = KV_SCRIPT(
    "pending_unlock", LUA_NOW "redis.call('DEL', KEYS[1])\n"
                              "local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')\n"
                              "if #first == 0 then return {0, 0} end\n"
                              "return {redis.call('ZCARD', KEYS[2]), now - tonumber(first[2])}\n");

/* A short queue, or a worker with nothing waiting, writes at once; a burst
 * of reservations while requests wait writes what is overdue. */
static bool eager(long long queued, bool (*idle)(void))
{
	return queued < PENDING_BURST || (idle && idle());
}

static bool due(long long queued, int64_t age_ms, bool (*idle)(void))
{
	return age_ms >= PENDING_MAX_AGE_MS || eager(queued, idle);
}

bool pending_drain(struct arena *a, int64_t event_id, long long queued, int64_t oldest_age_ms,
                   bool (*idle)(void))
{
	const char *keys[2], *ms = db_param_i64(a, PENDING_STALE_MS);
	redisReply *rep;

	if (!due(queued, oldest_age_ms, idle))
		return true;
	if (oldest_age_ms >= PENDING_LATE_MS) {
		/* Falling behind a sustained stream of reservations: every worker
		 * that sees it writes a batch before its next answer, so the
		 * answers slow down to what PostgreSQL can keep up with. */
		size_t claimed;
		claim_and_write(a, event_id, PENDING_MAX_AGE_MS, PENDING_STALE_MS, &claimed);
		return true;
	}
	keys[0] = arena_printf(a, "{ev:%lld}:wl", (long long)event_id);
	keys[1] = arena_printf(a, "{ev:%lld}:w", (long long)event_id);
	/* One writer at a time: several would only make PostgreSQL contend
	 * while their workers answer nobody. Between batches the writer looks
	 * at its listen socket: with requests waiting it writes only what is
	 * overdue. After letting go of the lock it looks at the queue once
	 * more, for records queued while it held the lock by workers that
	 * left them to it. Bounded: a later hold attempt takes over. */
	for (int pass = 0; pass < 8; pass++) {
		enum db_err e = DB_OK;
		if (kv_eval(a, &s_lock, 1, keys, 1, &ms, &rep) != KV_OK ||
		    rep->type != REDIS_REPLY_INTEGER || rep->integer != 1)
			return true; /* another writer, or a pause */
		for (int round = 0; round < 64; round++) {
			size_t claimed;
			/* After a full batch the queue is a burst: only idle is eager. */
			bool quiet = round == 0 ? eager(queued, idle) : idle && idle();
			e = claim_and_write(a, event_id, quiet ? 0 : PENDING_MAX_AGE_MS,
			                    PENDING_STALE_MS, &claimed);
			if (claimed < PENDING_BATCH || e == DB_DOWN)
				break;
			if (!quiet && oldest_age_ms < PENDING_LATE_MS) {
				/* Busy, and more is overdue: the next batch after a
				 * pause, the lock kept till then, so the writing is
				 * spread thin over the rush instead of stalling it. */
				const char *argv[] = {"PEXPIRE", keys[0],
				                      db_param_i64(a, PENDING_PACE_MS)};
				kv_cmd(a, 3, argv, NULL);
				return true;
			}
		}
		if (kv_eval(a, &s_unlock, 2, keys, 0, NULL, &rep) != KV_OK ||
		    rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 || e == DB_DOWN)
			return false; /* unreachable: the daemon takes over */
		queued = rep->element[0]->integer;
		oldest_age_ms = rep->element[1]->integer;
		if (queued == 0)
			return false;
		if (!due(queued, oldest_age_ms, idle))
			return true;
	}
	return true;
}

enum db_err pending_materialize(struct arena *a, int64_t event_id, const char *token)
{
	const char *argv[2];
	redisReply *rep;

	argv[0] = "GET";
	argv[1] = arena_printf(a, "{ev:%lld}:o:%s", (long long)event_id, token);
	if (kv_cmd(a, 2, argv, &rep) != KV_OK)
		return DB_DOWN;
	if (rep->type != REDIS_REPLY_STRING)
		return DB_OK; /* written already, or never queued */
	{
		const char *rec = rep->str;
		enum db_err e = DB_RETRY;
		/* A deadlock with another writer of it: once more, by then it
		 * has committed (or we write it). */
		for (int attempt = 0; attempt < 3 && e == DB_RETRY; attempt++)
			e = write_records(a, event_id, &token, &rec, 1);
		return e;
	}
}

enum db_err pending_flush(struct arena *a, int64_t event_id)
{
	/* The first round also takes what other writers have in flight: the
	 * write waits for theirs, so afterwards every record is in. */
	enum db_err worst = DB_OK;

	for (int round = 0; round < 1000; round++) {
		size_t claimed;
		enum db_err e = claim_and_write(a, event_id, 0, round == 0 ? 0 : PENDING_STALE_MS,
		                                &claimed);
		if (e == DB_DOWN)
			return e;
		if (e == DB_RETRY)
			worst = e; /* some records stay queued: not every one is in */
		if (claimed < PENDING_BATCH)
			return worst;
	}
	return worst;
}

static struct db_stmt q_events = DB_STMT(
    "SELECT id FROM events WHERE deleted_at IS NULL ORDER BY id", 0);

enum db_err pending_flush_all(struct arena *a, size_t *events)
{
	PGresult *res;
	enum db_err e = db_exec(a, &q_events, NULL, &res), worst = DB_OK;

	*events = 0;
	if (e != DB_OK)
		return e;
	for (int i = 0; i < db_rows(res); i++) {
		e = pending_flush(a, db_i64(res, i, "id"));
		if (e == DB_DOWN)
			return e;
		if (e != DB_OK)
			worst = e;
		(*events)++;
	}
	return worst;
}

enum db_err pending_write_late(struct arena *a, size_t *written)
{
	PGresult *res;
	enum db_err e = db_exec(a, &q_events, NULL, &res);

	*written = 0;
	if (e != DB_OK)
		return e;
	for (int i = 0; i < db_rows(res); i++) {
		int64_t ev = db_i64(res, i, "id");
		const char *keys[1], *ms = db_param_i64(a, PENDING_STALE_MS);
		redisReply *rep;
		keys[0] = arena_printf(a, "{ev:%lld}:wl", (long long)ev);
		if (kv_eval(a, &s_lock, 1, keys, 1, &ms, &rep) != KV_OK)
			return DB_DOWN;
		if (rep->type != REDIS_REPLY_INTEGER || rep->integer != 1)
			continue; /* a worker is writing */
		for (int round = 0; round < 64; round++) {
			size_t claimed;
			e = claim_and_write(a, ev, PENDING_LATE_MS, PENDING_STALE_MS, &claimed);
			*written += claimed;
			if (claimed < PENDING_BATCH || e == DB_DOWN)
				break;
		}
		{
			const char *argv[] = {"DEL", keys[0]};
			kv_cmd(a, 2, argv, NULL);
		}
		if (e == DB_DOWN)
			return e;
	}
	return DB_OK;
}

enum db_err pending_flush_order(struct arena *a, const char *order_number)
{
	const char *dash = order_number ? strrchr(order_number, '-') : NULL;
	const char *params[1];
	PGresult *res;
	enum db_err e;

	if (dash == NULL || dash == order_number || dash - order_number > 64)
		return DB_OK;
	params[0] = arena_strndup(a, order_number, (size_t)(dash - order_number));
	e = db_exec(a, &q_event_by_code, params, &res);
	if (e != DB_OK)
		return e;
	if (db_rows(res) == 0)
		return DB_OK;
	return pending_flush(a, db_i64(res, 0, "id"));
}

enum db_err pending_write_one(struct arena *a, int64_t event_id, const char *record)
{
	const char *params[2];
	PGresult *res;
	enum db_err e;

	params[0] = db_param_i64(a, event_id);
	params[1] = arena_printf(a, "[%s]", record);
	e = db_exec(a, &q_write, params, &res);
	if (e != DB_OK)
		return e;
	return db_rows(res) == 1 ? DB_OK : DB_UNIQUE;
}
