/* queue.c — the waiting room (see queue.h). */
#include "queue.h"

#include "app.h"
#include "auth.h"
#include "catalog.h"
#include "config.h"
#include "event.h"
#include "json.h"
#include "kv.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_EARLY_BITS 50   /* early joiners' random scores: [0, 2^50); later: 2^50 + n */
#define QUEUE_SWEEP_BATCH 500 /* drop-outs removed per tick */
#define QUEUE_COOKIE_PREFIX "tkq_"
#define QUEUE_MAC_B64 44 /* base64url of 32 bytes, NUL included */
/* The same numbers as Lua text. */
#define QUEUE_RATE_WINDOW_STR "10000"          /* QUEUE_RATE_WINDOW_MS */
#define QUEUE_SWEEP_BATCH_STR "500"            /* QUEUE_SWEEP_BATCH */
#define QUEUE_LOCK_STR "50"                    /* QUEUE_LOCK_MS */
#define QUEUE_DEADLINE_STEP_STR "10000"        /* QUEUE_DEADLINE_STEP_MS */
#define QUEUE_POLL_MIN_STR "1000"              /* QUEUE_POLL_MIN_MS */
#define QUEUE_POLL_MAX_STR "20000"             /* QUEUE_POLL_MAX_MS */
#define QUEUE_LATE_BASE_STR "1125899906842624" /* 2^QUEUE_EARLY_BITS */

/*
 * Keys, all "{ev:N}:q" (P) + suffix, so every script stays on one Redis
 * Cluster slot:
 *   P:n  normal lane, sorted set queue id → score (see queue.h)
 *   P:v  VIP lane, the same
 *   P:d  drop-out deadlines, queue id → ms
 *   P:m:<qid>  the waiter: hash l (lane n|v), st (a admitted | s spent),
 *        u (unique id), i (issued ms), x (expiry ms)
 *   P:a  live admissions, unique id → expiry ms (the max_active count)
 *   P:s:<uid>  spent marker (SET NX)
 *   P:ar admissions of the last minute, unique id → ms (the measured rate)
 *   P:b  the token bucket: t (tokens), ts (ms of the last refill), mr (the
 *        rate measured at that tick, milli-admissions per second)
 *   P:lk the tick lock; P:seq join sequence; P:uid unique ids
 * Every script takes KEYS[1] = P:n (the slot) and ARGV[1] = P.
 */
#define LUA_QUEUE_PRELUDE \
	"local P = ARGV[1]\n" \
	"local function now_ms()\n" \
	"  local t = redis.call('TIME')\n" \
	"  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
	"end\n" \
	"local function measured(now)\n" \
	"  local from = now - " QUEUE_RATE_WINDOW_STR "\n" \
	"  local c = redis.call('ZCOUNT', P .. ':ar', from, '+inf')\n" \
	"  if c == 0 then return 0 end\n" \
	"  local first = redis.call('ZRANGEBYSCORE', P .. ':ar', from, '+inf', 'WITHSCORES',\n" \
	"                           'LIMIT', 0, 1)\n" \
	"  local span = math.max(1000, now - tonumber(first[2]))\n" \
	"  return math.floor(c * 1000000 / span)\n" \
	"end\n"

/* tick(now, rate, max_active, opens, ttl): drop-outs removed, expired
 * admissions forgotten, then (from the opening on) the bucket refilled and
 * as many waiters admitted as it holds, the VIP lane first, while fewer
 * than max_active admissions are live. */
#define LUA_QUEUE_TICK \
	"local function tick(now, rate, maxa, opens, ttl)\n" \
	"  local gone = redis.call('ZRANGEBYSCORE', P .. ':d', '-inf', now, 'LIMIT', " \
	"0, " QUEUE_SWEEP_BATCH_STR ")\n" \
	"  for _, q in ipairs(gone) do\n" \
	"    redis.call('ZREM', P .. ':n', q)\n" \
	"    redis.call('ZREM', P .. ':v', q)\n" \
	"    redis.call('ZREM', P .. ':d', q)\n" \
	"    redis.call('DEL', P .. ':m:' .. q)\n" \
	"  end\n" \
	"  redis.call('ZREMRANGEBYSCORE', P .. ':a', '-inf', now)\n" \
	"  redis.call('ZREMRANGEBYSCORE', P .. ':ar', '-inf', now - 60000)\n" \
	"  if opens > 0 and now < opens then return end\n" \
	"  local b = redis.call('HMGET', P .. ':b', 't', 'ts')\n" \
	"  local t, ts = tonumber(b[1]) or 0, tonumber(b[2]) or now\n" \
	"  if now > ts then t = math.min(rate, t + rate * (now - ts) / 1000) end\n" \
	"  local room = maxa - redis.call('ZCARD', P .. ':a')\n" \
	"  local n = 0\n" \
	"  while n < math.floor(t) and n < room do\n" \
	"    local q = redis.call('ZPOPMIN', P .. ':v')\n" \
	"    if #q == 0 then q = redis.call('ZPOPMIN', P .. ':n') end\n" \
	"    if #q == 0 then break end\n" \
	"    q = q[1]\n" \
	"    redis.call('ZREM', P .. ':d', q)\n" \
	"    local mk = P .. ':m:' .. q\n" \
	"    if redis.call('EXISTS', mk) == 1 then\n" \
	"      local uid = redis.call('INCR', P .. ':uid')\n" \
	"      redis.call('HSET', mk, 'st', 'a', 'u', uid, 'i', now, 'x', now + ttl)\n" \
	"      redis.call('PEXPIRE', mk, ttl + 60000)\n" \
	"      redis.call('ZADD', P .. ':a', now + ttl, uid)\n" \
	"      redis.call('ZADD', P .. ':ar', now, uid)\n" \
	"      n = n + 1\n" \
	"    end\n" \
	"  end\n" \
	"  redis.call('HSET', P .. ':b', 't', tostring(t - n), 'ts', now, 'mr', measured(now))\n" \
	"  redis.call('PEXPIRE', P .. ':b', 3600000)\n" \
	"end\n" \
	"local function try_tick(now, rate, maxa, opens, ttl)\n" \
	"  if redis.call('SET', P .. ':lk', '1', 'NX', 'PX', " QUEUE_LOCK_STR ") then\n" \
	"    tick(now, rate, maxa, opens, ttl)\n" \
	"  end\n" \
	"end\n"

/* status(q, now, rate, opens, drop_min) → {0} unknown | {1, position,
 * measured rate (milli per second), poll interval ms, lane (1 = VIP), now}
 * | {2, uid, issued, expiry} admitted | {3, reason} (1 expired, 2 spent).
 * A waiting answer keeps the waiter's drop-out deadline at least
 * max(drop_min, 2 × the interval) ahead, moving it in steps of
 * QUEUE_DEADLINE_STEP_MS so that most polls write nothing (a write is also
 * an AOF append). The rate is the one the last tick measured. */
#define LUA_QUEUE_STATUS \
	"local function status(q, now, rate, opens, drop_min)\n" \
	"  local mk = P .. ':m:' .. q\n" \
	"  local m = redis.call('HMGET', mk, 'st', 'l', 'u', 'i', 'x')\n" \
	"  if not m[2] then return {0} end\n" \
	"  if m[1] == 's' then return {3, 2} end\n" \
	"  if m[1] == 'a' then\n" \
	"    if tonumber(m[5]) <= now then return {3, 1} end\n" \
	"    return {2, tonumber(m[3]), tonumber(m[4]), tonumber(m[5])}\n" \
	"  end\n" \
	"  local rank\n" \
	"  if m[2] == 'v' then\n" \
	"    rank = redis.call('ZRANK', P .. ':v', q)\n" \
	"  else\n" \
	"    rank = redis.call('ZRANK', P .. ':n', q)\n" \
	"    if rank then rank = rank + redis.call('ZCARD', P .. ':v') end\n" \
	"  end\n" \
	"  if not rank then return {0} end\n" \
	"  local pos = rank + 1\n" \
	"  local mr = tonumber(redis.call('HGET', P .. ':b', 'mr')) or 0\n" \
	"  local r = rate\n" \
	"  if mr > 0 then r = mr / 1000 end\n" \
	"  local wait = pos * 1000 / r\n" \
	"  if opens > now then wait = wait + opens - now end\n" \
	"  local pa = math.max(" QUEUE_POLL_MIN_STR ", math.min(" QUEUE_POLL_MAX_STR \
	", math.floor(wait / 5)))\n" \
	"  local want = now + math.max(drop_min, 2 * pa)\n" \
	"  local dl = tonumber(redis.call('ZSCORE', P .. ':d', q))\n" \
	"  if not dl or dl < want then\n" \
	"    dl = want + " QUEUE_DEADLINE_STEP_STR "\n" \
	"    redis.call('ZADD', P .. ':d', dl, q)\n" \
	"    redis.call('PEXPIRE', mk, dl - now + 60000)\n" \
	"  end\n" \
	"  local vip = 0\n" \
	"  if m[2] == 'v' then vip = 1 end\n" \
	"  return {1, pos, mr, pa, vip, now}\n" \
	"end\n"

/* The settings every tick needs, ARGV[2..6] of join and poll. */
#define LUA_QUEUE_ARGS \
	"local rate, maxa = tonumber(ARGV[2]), tonumber(ARGV[3])\n" \
	"local opens, ttl, drop_min = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n" \
	"local now = now_ms()\n" \
	"try_tick(now, rate, maxa, opens, ttl)\n"

/* ARGV: P, settings (5), queue id → status. */
static struct kv_script s_poll = KV_SCRIPT(
    "queue_poll", LUA_QUEUE_PRELUDE LUA_QUEUE_TICK LUA_QUEUE_STATUS LUA_QUEUE_ARGS
    "return status(ARGV[7], now, rate, opens, drop_min)\n");

/* ARGV: P, settings (5), new queue id, lane (n|v), early score, the
 * cookie's queue id ('' for none) → {1 new | 0 the cookie's place, queue
 * id, status…}. A cookie's place counts while the waiter is known (waiting
 * or admitted). */
static struct kv_script s_join = KV_SCRIPT(
    "queue_join", LUA_QUEUE_PRELUDE LUA_QUEUE_TICK LUA_QUEUE_STATUS LUA_QUEUE_ARGS
    "local old = ARGV[10]\n"
    "if old ~= '' then\n"
    "  local st = status(old, now, rate, opens, drop_min)\n"
    "  if st[1] == 1 or st[1] == 2 then\n"
    "    table.insert(st, 1, old)\n"
    "    table.insert(st, 1, 0)\n"
    "    return st\n"
    "  end\n"
    "end\n"
    "local q, lane = ARGV[7], ARGV[8]\n"
    "local seq = redis.call('INCR', P .. ':seq')\n"
    "local score = " QUEUE_LATE_BASE_STR " + seq\n"
    "if opens > 0 and now < opens then score = tonumber(ARGV[9]) end\n"
    "redis.call('HSET', P .. ':m:' .. q, 'l', lane, 'j', now)\n"
    "redis.call('PEXPIRE', P .. ':m:' .. q, drop_min + 60000)\n"
    "redis.call('ZADD', P .. ':' .. lane, score, q)\n"
    "redis.call('ZADD', P .. ':d', now + drop_min, q)\n"
    "local st = status(q, now, rate, opens, drop_min)\n"
    "table.insert(st, 1, q)\n"
    "table.insert(st, 1, 1)\n"
    "return st\n");

/* ARGV: P, queue id, spent marker ms → 1 left | 0 unknown. An admitted,
 * unspent token is voided (its slot freed). */
static struct kv_script s_leave = KV_SCRIPT(
    "queue_leave", "local P = ARGV[1]\n"
                   "local q = ARGV[2]\n"
                   "local mk = P .. ':m:' .. q\n"
                   "local m = redis.call('HMGET', mk, 'st', 'u', 'l')\n"
                   "redis.call('ZREM', P .. ':n', q)\n"
                   "redis.call('ZREM', P .. ':v', q)\n"
                   "redis.call('ZREM', P .. ':d', q)\n"
                   "if m[1] == 'a' then\n"
                   "  redis.call('SET', P .. ':s:' .. m[2], '1', 'PX', tonumber(ARGV[3]))\n"
                   "  redis.call('ZREM', P .. ':a', m[2])\n"
                   "end\n"
                   "redis.call('DEL', mk)\n"
                   "if m[3] then return 1 end\n"
                   "return 0\n");

/* ARGV: P, unique id, expiry ms, queue id → 1 spent now | 0 already spent,
 * voided or lost with Redis | -1 expired. Only a live admission can be
 * spent, so tokens from before a loss of Redis data cannot. */
static struct kv_script s_spend = KV_SCRIPT(
    "queue_spend", "local P = ARGV[1]\n"
                   "local t = redis.call('TIME')\n"
                   "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
                   "local exp = tonumber(ARGV[3])\n"
                   "if exp <= now then return -1 end\n"
                   "if not redis.call('ZSCORE', P .. ':a', ARGV[2]) then return 0 end\n"
                   "if not redis.call('SET', P .. ':s:' .. ARGV[2], '1', 'NX', 'PX',\n"
                   "                  exp - now + 60000) then return 0 end\n"
                   "redis.call('ZREM', P .. ':a', ARGV[2])\n"
                   "local mk = P .. ':m:' .. ARGV[4]\n"
                   "if redis.call('HGET', mk, 'u') == ARGV[2] then redis.call('HSET', mk, 'st', "
                   "'s') end\n"
                   "return 1\n");

/* ARGV: P → {normal, vip, live admissions, measured rate (milli per s)}. */
static struct kv_script s_stats = KV_SCRIPT(
    "queue_stats", LUA_QUEUE_PRELUDE "local now = now_ms()\n"
                                     "return {redis.call('ZCARD', P .. ':n'),\n"
                                     "        redis.call('ZCARD', P .. ':v'),\n"
                                     "        redis.call('ZCOUNT', P .. ':a', now, '+inf'),\n"
                                     "        measured(now)}\n");

/* ---- tokens -------------------------------------------------------------- */

static bool mac_b64(const char *data, char out[QUEUE_MAC_B64])
{
	unsigned char mac[32];
	unsigned int len = sizeof(mac);

	if (HMAC(EVP_sha256(), cfg.jwt_secret, (int)strlen(cfg.jwt_secret),
	         (const unsigned char *)data, strlen(data), mac, &len) == NULL)
		return false;
	auth_b64url_encode(mac, len, out, QUEUE_MAC_B64);
	return true;
}

static bool valid_qid(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
			return false;
	return n == QUEUE_ID_LEN;
}

bool queue_token_make(const struct queue_token *t, char *out, size_t cap)
{
	char payload[256], b64[360], signed_part[400], mac[QUEUE_MAC_B64];
	int n = snprintf(payload, sizeof(payload),
	                 "{\"e\":%lld,\"q\":\"%s\",\"u\":%lld,\"i\":%lld,\"x\":%lld}",
	                 (long long)t->event_id, t->qid, (long long)t->uid, (long long)t->issued_ms,
	                 (long long)t->expires_ms);

	if (n < 0 || (size_t)n >= sizeof(payload) || !valid_qid(t->qid))
		return false;
	auth_b64url_encode((const unsigned char *)payload, (size_t)n, b64, sizeof(b64));
	snprintf(signed_part, sizeof(signed_part), "tkq.v1.%s", b64);
	if (!mac_b64(signed_part, mac))
		return false;
	n = snprintf(out, cap, "v1.%s.%s", b64, mac);
	return n > 0 && (size_t)n < cap && (size_t)n <= QUEUE_TOKEN_MAX;
}

static bool json_i64(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > (double)JSON_MAX_SAFE_INT || v->valuedouble != floor(v->valuedouble))
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

enum queue_token_err queue_token_parse(const char *s, int64_t event_id, int64_t now_ms,
                                       struct queue_token *out)
{
	const char *p, *dot;
	char b64[400], signed_part[420], mac[QUEUE_MAC_B64];
	unsigned char payload[300];
	long plen;
	size_t blen;
	cJSON *j;
	const char *qid;
	enum queue_token_err rc = QUEUE_TOKEN_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) > QUEUE_TOKEN_MAX || strncmp(s, "v1.", 3) != 0)
		return QUEUE_TOKEN_MALFORMED;
	p = s + 3;
	dot = strchr(p, '.');
	if (dot == NULL || (blen = (size_t)(dot - p)) == 0 || blen >= sizeof(b64) ||
	    strchr(dot + 1, '.') != NULL)
		return QUEUE_TOKEN_MALFORMED;
	memcpy(b64, p, blen);
	b64[blen] = '\0';
	snprintf(signed_part, sizeof(signed_part), "tkq.v1.%s", b64);
	if (!mac_b64(signed_part, mac) || !auth_equal(dot + 1, mac))
		return QUEUE_TOKEN_FORGED;
	plen = auth_b64url_decode(b64, blen, payload, sizeof(payload) - 1);
	if (plen <= 0)
		return QUEUE_TOKEN_MALFORMED;
	payload[plen] = '\0';
	j = cJSON_Parse((const char *)payload);
	qid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "q"));
	if (j == NULL || !valid_qid(qid) || !json_i64(j, "e", &out->event_id) ||
	    !json_i64(j, "u", &out->uid) || !json_i64(j, "i", &out->issued_ms) ||
	    !json_i64(j, "x", &out->expires_ms))
		goto out;
	snprintf(out->qid, sizeof(out->qid), "%s", qid);
	if (out->event_id != event_id)
		rc = QUEUE_TOKEN_WRONG_EVENT;
	else if (out->expires_ms <= now_ms)
		rc = QUEUE_TOKEN_EXPIRED;
	else
		rc = QUEUE_TOKEN_OK;
out:
	cJSON_Delete(j);
	return rc;
}

/* ---- the request path ------------------------------------------------------- */

static const char *prefix_of(struct arena *a, int64_t event_id)
{
	return arena_printf(a, "{ev:%lld}:q", (long long)event_id);
}

/* The event of {code} with its queue on; false after answering 404 / 409 /
 * 503. */
static bool queue_event_or_reply(struct http_req *r, const struct catalog_event **ev)
{
	switch (catalog_get(r->arena, http_param(r, "code"), ev)) {
	case CATALOG_OK: break;
	case CATALOG_NOT_FOUND: http_reply_error(r, "EVENT_NOT_FOUND", NULL); return false;
	default: http_reply_error(r, "UNAVAILABLE", NULL); return false;
	}
	if (!(*ev)->queue_enabled) {
		http_reply_error(r, "QUEUE_DISABLED", NULL);
		return false;
	}
	return true;
}

/* ARGV[1..6] of join and poll: P and the settings. */
static void settings_args(struct http_req *r, const struct catalog_event *ev, const char **argv)
{
	int64_t ttl = (int64_t)(ev->hold_seconds > 0 ? ev->hold_seconds : 600) * 1000;

	argv[0] = prefix_of(r->arena, ev->id);
	argv[1] = arena_printf(r->arena, "%d", ev->queue_rate > 0 ? ev->queue_rate : 1);
	argv[2] = arena_printf(r->arena, "%d", ev->queue_max_active > 0 ? ev->queue_max_active : 1);
	argv[3] = arena_printf(r->arena, "%lld", (long long)ev->queue_opens_ms);
	argv[4] = arena_printf(r->arena, "%lld", (long long)ttl);
	argv[5] = arena_printf(r->arena, "%d", QUEUE_DROP_MIN_MS);
}

static long long el_int(const redisReply *rep, size_t i)
{
	if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements)
		return 0;
	return rep->element[i]->type == REDIS_REPLY_INTEGER ? rep->element[i]->integer : 0;
}

/* A jittered share (80–100 %) of the interval: polls of many waiters told
 * the same interval do not arrive together. Never longer than told, so the
 * drop-out deadline (2 × the interval) holds. */
static long long jitter(long long ms)
{
	unsigned char b;

	if (!tk_random(&b, 1))
		return ms;
	return ms - ms * (long long)b / (255 * 5);
}

/* The answer of a status array from rep at index at (the layout of
 * LUA_QUEUE_STATUS). */
static cJSON *status_json(struct http_req *r, const struct catalog_event *ev, const char *qid,
                          const redisReply *rep, size_t at)
{
	cJSON *o = http_own(r, cJSON_CreateObject());
	long long kind = el_int(rep, at);

	cJSON_AddStringToObject(o, "queue_id", qid);
	if (kind == 1) {
		long long pos = el_int(rep, at + 1), mr = el_int(rep, at + 2);
		long long now = el_int(rep, at + 5);
		long long wait_opening = ev->queue_opens_ms > now ? ev->queue_opens_ms - now : 0;

		cJSON_AddStringToObject(o, "status", "waiting");
		cJSON_AddStringToObject(o, "lane", el_int(rep, at + 4) ? "vip" : "normal");
		cJSON_AddNumberToObject(o, "position", (double)pos);
		if (mr > 0)
			cJSON_AddNumberToObject(o, "eta_seconds",
			                        ceil((double)wait_opening / 1000.0 +
			                             (double)pos * 1000.0 / (double)mr));
		else
			cJSON_AddNullToObject(o, "eta_seconds");
		if (wait_opening > 0)
			cJSON_AddNumberToObject(o, "opens_in_seconds",
			                        ceil((double)wait_opening / 1000.0));
		cJSON_AddNumberToObject(o, "poll_after_ms", (double)jitter(el_int(rep, at + 3)));
	} else if (kind == 2) {
		struct queue_token t = {.event_id = ev->id,
		                        .uid = el_int(rep, at + 1),
		                        .issued_ms = el_int(rep, at + 2),
		                        .expires_ms = el_int(rep, at + 3)};
		char tok[QUEUE_TOKEN_MAX + 1], iso[32];

		snprintf(t.qid, sizeof(t.qid), "%s", qid);
		if (!queue_token_make(&t, tok, sizeof(tok)))
			return NULL;
		tk_iso_seoul(t.expires_ms, iso);
		cJSON_AddStringToObject(o, "status", "admitted");
		cJSON_AddNumberToObject(o, "position", 0);
		cJSON_AddStringToObject(o, "queue_token", tok);
		cJSON_AddStringToObject(o, "expires_at", iso);
		cJSON_AddNullToObject(o, "eta_seconds");
		cJSON_AddNumberToObject(o, "poll_after_ms", QUEUE_POLL_MAX_MS);
	} else {
		cJSON_AddStringToObject(o, "status", "expired");
		cJSON_AddStringToObject(o, "reason",
		                        kind == 0                  ? "unknown"
		                        : el_int(rep, at + 1) == 2 ? "spent"
		                                                   : "expired");
		cJSON_AddNullToObject(o, "position");
		cJSON_AddNullToObject(o, "eta_seconds");
		cJSON_AddNumberToObject(o, "poll_after_ms", 0);
	}
	return o;
}

static const char *cookie_name(struct http_req *r, const struct catalog_event *ev)
{
	return arena_printf(r->arena, QUEUE_COOKIE_PREFIX "%s", ev->code);
}

/* The queue id of the request's place cookie when its signature holds,
 * else "". */
static const char *cookie_qid(struct http_req *r, const struct catalog_event *ev)
{
	const char *c = http_cookie(r, cookie_name(r, ev));
	const char *dot = c ? strchr(c, '.') : NULL;
	char qid[QUEUE_ID_LEN + 1], mac[QUEUE_MAC_B64];

	if (dot == NULL || dot - c != QUEUE_ID_LEN)
		return "";
	memcpy(qid, c, QUEUE_ID_LEN);
	qid[QUEUE_ID_LEN] = '\0';
	if (!valid_qid(qid) ||
	    !mac_b64(arena_printf(r->arena, "tkqc:%lld:%s", (long long)ev->id, qid), mac) ||
	    !auth_equal(dot + 1, mac))
		return "";
	return arena_printf(r->arena, "%s", qid);
}

static void set_cookie(struct http_req *r, const struct catalog_event *ev, const char *qid)
{
	char mac[QUEUE_MAC_B64] = "";

	if (qid != NULL &&
	    !mac_b64(arena_printf(r->arena, "tkqc:%lld:%s", (long long)ev->id, qid), mac))
		return;
	http_add_header(r, "Set-Cookie",
	                arena_printf(r->arena,
	                             "%s=%s%s%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
	                             cookie_name(r, ev), qid ? qid : "", qid ? "." : "", mac,
	                             qid ? QUEUE_COOKIE_MAX_AGE : 0, cfg.dev ? "" : "; Secure"));
}

static void reply_kv_error(struct http_req *r, enum kv_err e)
{
	log_event(LOG_ERROR, "queue_kv", "err", e == KV_DOWN ? "down" : "reply", NULL);
	http_reply_error(r, "UNAVAILABLE", NULL);
}

struct join_in {
	struct json_str vip_code;
};

static const struct json_field join_fields[] = {
    JSON_STR("vip_code", struct join_in, vip_code, JF_NULLABLE, 0, QUEUE_VIP_CODE_MAX, NULL),
};

/* The lane a join asks for: "v" for a valid vip_code, "n" without one;
 * NULL after answering 422 (not the event's) or a database error. */
static const char *lane_or_reply(struct http_req *r, const struct catalog_event *ev,
                                 const struct join_in *in)
{
	bool ok = false;
	enum db_err e;

	if (!in->vip_code.set || in->vip_code.null || in->vip_code.v[0] == '\0')
		return "n";
	e = event_queue_vip(r->arena, ev->id, in->vip_code.v, &ok);
	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return NULL;
	}
	if (!ok) {
		json_reply_field(r, "vip_code", "invalid");
		return NULL;
	}
	return "v";
}

void queue_join(struct http_req *r)
{
	const struct catalog_event *ev;
	struct join_in in = {0};
	const char *argv[10], *keys[1], *lane, *qid;
	unsigned char raw[QUEUE_ID_BYTES];
	uint64_t early;
	char id[QUEUE_ID_LEN + 4];
	redisReply *rep;
	enum kv_err e;
	cJSON *o;

	if (!queue_event_or_reply(r, &ev) ||
	    !json_fields_or_reply(r, join_fields, TK_ARRAY_LEN(join_fields), &in) ||
	    (lane = lane_or_reply(r, ev, &in)) == NULL)
		return;
	if (!tk_random(raw, sizeof(raw)) || !tk_random(&early, sizeof(early))) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	auth_b64url_encode(raw, sizeof(raw), id, sizeof(id));
	settings_args(r, ev, argv);
	argv[6] = id;
	argv[7] = lane;
	argv[8] = arena_printf(r->arena, "%llu",
	                       (unsigned long long)(early >> (64 - QUEUE_EARLY_BITS)));
	argv[9] = cookie_qid(r, ev);
	keys[0] = arena_printf(r->arena, "%s:n", argv[0]);
	e = kv_eval(r->arena, &s_join, 1, keys, 10, argv, &rep);
	if (e != KV_OK || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
	    rep->element[1]->type != REDIS_REPLY_STRING) {
		reply_kv_error(r, e == KV_OK ? KV_REPLY : e);
		return;
	}
	qid = arena_printf(r->arena, "%s", rep->element[1]->str);
	o = status_json(r, ev, qid, rep, 2);
	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	set_cookie(r, ev, qid);
	http_reply_json(r, el_int(rep, 0) == 1 ? 201 : 200, o);
}

/* The {queue_id} of the path; NULL after answering 404. */
static const char *qid_or_reply(struct http_req *r)
{
	const char *q = http_param(r, "queue_id");

	if (!valid_qid(q)) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return NULL;
	}
	return q;
}

void queue_poll(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *argv[7], *keys[1], *qid;
	redisReply *rep;
	enum kv_err e;
	cJSON *o;

	if (!queue_event_or_reply(r, &ev) || (qid = qid_or_reply(r)) == NULL)
		return;
	settings_args(r, ev, argv);
	argv[6] = qid;
	keys[0] = arena_printf(r->arena, "%s:n", argv[0]);
	e = kv_eval(r->arena, &s_poll, 1, keys, 7, argv, &rep);
	if (e != KV_OK || rep->type != REDIS_REPLY_ARRAY || rep->elements < 1) {
		reply_kv_error(r, e == KV_OK ? KV_REPLY : e);
		return;
	}
	o = status_json(r, ev, qid, rep, 0);
	if (o == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	http_add_header(r, "Cache-Control", "no-store");
	http_reply_json(r, 200, o);
}

void queue_leave(struct http_req *r)
{
	const struct catalog_event *ev;
	const char *argv[3], *keys[1], *qid;
	redisReply *rep;
	enum kv_err e;
	cJSON *o;

	if (!queue_event_or_reply(r, &ev) || (qid = qid_or_reply(r)) == NULL)
		return;
	argv[0] = prefix_of(r->arena, ev->id);
	argv[1] = qid;
	argv[2] = arena_printf(r->arena, "%lld",
	                       (long long)(ev->hold_seconds > 0 ? ev->hold_seconds : 600) * 1000 +
	                           QUEUE_DROP_MIN_MS);
	keys[0] = arena_printf(r->arena, "%s:n", argv[0]);
	e = kv_eval(r->arena, &s_leave, 1, keys, 3, argv, &rep);
	if (e != KV_OK) {
		reply_kv_error(r, e);
		return;
	}
	o = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "queue_id", qid);
	cJSON_AddStringToObject(o, "status", "left");
	if (strcmp(cookie_qid(r, ev), qid) == 0)
		set_cookie(r, ev, NULL);
	http_reply_json(r, 200, o);
}

static void reply_required(struct http_req *r, const char *reason)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", reason);
	http_reply_error(r, "QUEUE_REQUIRED", d);
}

bool queue_token_check_or_reply(struct http_req *r, int64_t event_id, const char *token,
                                struct queue_token *out)
{
	static const char *const reasons[] = {
	    [QUEUE_TOKEN_MALFORMED] = "malformed",
	    [QUEUE_TOKEN_FORGED] = "forged",
	    [QUEUE_TOKEN_WRONG_EVENT] = "wrong_event",
	    [QUEUE_TOKEN_EXPIRED] = "expired",
	};
	enum queue_token_err te;

	if (token == NULL || *token == '\0') {
		reply_required(r, "missing");
		return false;
	}
	te = queue_token_parse(token, event_id, tk_now_ms(), out);
	if (te != QUEUE_TOKEN_OK) {
		reply_required(r, reasons[te]);
		return false;
	}
	return true;
}

bool queue_token_spend_or_reply(struct http_req *r, int64_t event_id, const struct queue_token *t)
{
	const char *argv[4], *keys[1];
	redisReply *rep;
	enum kv_err e;

	argv[0] = prefix_of(r->arena, event_id);
	argv[1] = arena_printf(r->arena, "%lld", (long long)t->uid);
	argv[2] = arena_printf(r->arena, "%lld", (long long)t->expires_ms);
	argv[3] = t->qid;
	keys[0] = arena_printf(r->arena, "%s:n", argv[0]);
	e = kv_eval(r->arena, &s_spend, 1, keys, 4, argv, &rep);
	if (e != KV_OK || rep->type != REDIS_REPLY_INTEGER) {
		reply_kv_error(r, e == KV_OK ? KV_REPLY : e);
		return false;
	}
	if (rep->integer == 1)
		return true;
	reply_required(r, rep->integer < 0 ? "expired" : "spent");
	return false;
}

enum queue_err queue_stats(struct arena *a, int64_t event_id, struct queue_stats *out)
{
	const char *argv[1] = {prefix_of(a, event_id)};
	const char *keys[1] = {arena_printf(a, "%s:n", argv[0])};
	redisReply *rep;

	memset(out, 0, sizeof(*out));
	if (kv_eval(a, &s_stats, 1, keys, 1, argv, &rep) != KV_OK ||
	    rep->type != REDIS_REPLY_ARRAY || rep->elements != 4)
		return QUEUE_DOWN;
	out->vip_waiting = el_int(rep, 1);
	out->waiting = el_int(rep, 0) + out->vip_waiting;
	out->active = el_int(rep, 2);
	out->rate = (double)el_int(rep, 3) / 1000.0;
	return QUEUE_OK;
}

enum queue_err queue_waiting_total(struct arena *a, const int64_t *ids, size_t n, long long *out)
{
	struct queue_stats st;

	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (queue_stats(a, ids[i], &st) != QUEUE_OK)
			return QUEUE_DOWN;
		*out += st.waiting;
	}
	return QUEUE_OK;
}
