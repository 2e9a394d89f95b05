/* stock.c — Lua scripts over the per-event counters (see stock.h). */
#include "stock.h"

#include "kv.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shared Lua prelude: the clock of the Redis server (one clock for every
 * worker host) and giving a hold's units back. Counters that no longer
 * exist are not recreated from a delta: reconcile builds them whole. */
#define LUA_PRELUDE \
	"local function now_ms()\n" \
	"  local t = redis.call('TIME')\n" \
	"  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
	"end\n" \
	"local function give_back(spec)\n" \
	"  for k, n in string.gmatch(spec, '(%S+) (%S+)') do\n" \
	"    if redis.call('EXISTS', k) == 1 then redis.call('INCRBY', k, n) end\n" \
	"  end\n" \
	"end\n" \
	"local function release_expired(holds, prefix, now, limit)\n" \
	"  local gone = redis.call('ZRANGEBYSCORE', holds, '-inf', now, 'LIMIT', 0, limit)\n" \
	"  for _, tok in ipairs(gone) do\n" \
	"    local hk = prefix .. ':h:' .. tok\n" \
	"    local spec = redis.call('GET', hk)\n" \
	"    if spec then give_back(spec); redis.call('DEL', hk) end\n" \
	"    redis.call('ZREM', holds, tok)\n" \
	"  end\n" \
	"end\n"

/* KEYS: holds, hold key, write queue, record key, writer lock, counters…
 * ARGV: token, hold ms, release batch, prefix, record ('' for none: a JSON
 * object without its closing brace, to which the expiry is added as "x"),
 * qty per counter (ARGV[i] for KEYS[i]) → {1, expires, Q…} |
 * {0, line, available, Q…} | {-1, line} (counter missing) | {-2} (token
 * exists), where Q is the write queue: length, age of its oldest record
 * (ms), whether a writer is at it. The record and its place in the queue
 * are written with the hold, so no hold is ever without its pending order
 * (pending.h). */
static struct kv_script s_hold = KV_SCRIPT(
    "stock_hold",
    LUA_PRELUDE "local now = now_ms()\n"
                "local function queue()\n"
                "  local n = redis.call('ZCARD', KEYS[3])\n"
                "  if n == 0 then return 0, 0, 0 end\n"
                "  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')\n"
                "  return n, now - tonumber(first[2]), redis.call('EXISTS', KEYS[5])\n"
                "end\n"
                "release_expired(KEYS[1], ARGV[4], now, tonumber(ARGV[3]))\n"
                "if redis.call('EXISTS', KEYS[2]) == 1 then return {-2} end\n"
                "for i = 6, #KEYS do\n"
                "  local v = redis.call('GET', KEYS[i])\n"
                "  if not v then return {-1, i - 6} end\n"
                "  if tonumber(v) < tonumber(ARGV[i]) then\n"
                "    local n, age, busy = queue()\n"
                "    return {0, i - 6, tonumber(v), n, age, busy}\n"
                "  end\n"
                "end\n"
                "local spec = {}\n"
                "for i = 6, #KEYS do\n"
                "  redis.call('DECRBY', KEYS[i], ARGV[i])\n"
                "  spec[#spec + 1] = KEYS[i] .. ' ' .. ARGV[i]\n"
                "end\n"
                "local exp = now + tonumber(ARGV[2])\n"
                "redis.call('SET', KEYS[2], table.concat(spec, ' '))\n"
                "redis.call('ZADD', KEYS[1], exp, ARGV[1])\n"
                "if ARGV[5] ~= '' then\n"
                "  redis.call('SET', KEYS[4], ARGV[5] .. ',\"x\":' .. exp .. '}', 'PX',\n"
                "             tonumber(ARGV[2]) + " STOCK_RECORD_GRACE_MS_STR ")\n"
                "  redis.call('ZADD', KEYS[3], now, ARGV[1])\n"
                "end\n"
                "local n, age, busy = queue()\n"
                "return {1, exp, n, age, busy}\n");

/* KEYS: holds, hold key. ARGV: token → 1 released | 0 already gone. */
static struct kv_script s_release = KV_SCRIPT(
    "stock_release", LUA_PRELUDE "if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
                                 "local spec = redis.call('GET', KEYS[2])\n"
                                 "if spec then give_back(spec); redis.call('DEL', KEYS[2]) end\n"
                                 "return 1\n");

/* KEYS: holds. ARGV: token, expires ms → 1 | 0 (gone or expired). */
static struct kv_script s_extend = KV_SCRIPT(
    "stock_extend", LUA_PRELUDE "local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
                                "if not cur or tonumber(cur) <= now_ms() then return 0 end\n"
                                "redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[2]), ARGV[1])\n"
                                "return 1\n");

/* KEYS: holds, hold key, counters…  ARGV: token, qty per counter…
 * → 1 the hold was live and is dropped | 0 it was gone: units taken again. */
static struct kv_script s_consume = KV_SCRIPT(
    "stock_consume", LUA_PRELUDE
    "if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then\n"
    "  redis.call('DEL', KEYS[2])\n"
    "  return 1\n"
    "end\n"
    "redis.call('DEL', KEYS[2])\n"
    "for i = 3, #KEYS do\n"
    "  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[i - 1]) end\n"
    "end\n"
    "return 0\n");

/* KEYS: holds, counters…  ARGV: prefix, release batch → counter values
 * (false for missing), after giving back a few expired holds so a read
 * never shows units of holds that ran out. */
static struct kv_script s_read = KV_SCRIPT(
    "stock_read", LUA_PRELUDE "release_expired(KEYS[1], ARGV[1], now_ms(), tonumber(ARGV[2]))\n"
                              "local out = {}\n"
                              "for i = 2, #KEYS do out[i - 1] = redis.call('GET', KEYS[i]) end\n"
                              "return out\n");

/* KEYS: counters…  ARGV: delta per counter… (refunds: always applied). */
static struct kv_script s_add = KV_SCRIPT(
    "stock_add",
    "for i = 1, #KEYS do\n"
    "  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[i]) end\n"
    "end\n"
    "return 1\n");

/* KEYS: counters…  ARGV: delta → 1 applied | {0, index} refused. */
static struct kv_script s_adjust = KV_SCRIPT(
    "stock_adjust",
    "local d = tonumber(ARGV[1])\n"
    "for i = 1, #KEYS do\n"
    "  local v = redis.call('GET', KEYS[i])\n"
    "  if v and tonumber(v) + d < 0 then return {0, i - 1} end\n"
    "end\n"
    "for i = 1, #KEYS do\n"
    "  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], d) end\n"
    "end\n"
    "return {1}\n");

/* KEYS: holds.  ARGV: prefix, JSON {"c":[[key, base]…], "h":[[token, exp, spec]…]}.
 * Expired holds are dropped (their counters are recomputed here), holds
 * PostgreSQL knows are recreated, then every counter = base − live holds. */
static struct kv_script s_rebuild = KV_SCRIPT(
    "stock_rebuild", LUA_PRELUDE "local now = now_ms()\n"
                                 "local prefix = ARGV[1]\n"
                                 "local data = cjson.decode(ARGV[2])\n"
                                 "local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)\n"
                                 "for _, tok in ipairs(gone) do\n"
                                 "  redis.call('DEL', prefix .. ':h:' .. tok)\n"
                                 "  redis.call('ZREM', KEYS[1], tok)\n"
                                 "end\n"
                                 "for _, h in ipairs(data.h) do\n"
                                 "  local hk = prefix .. ':h:' .. h[1]\n"
                                 "  if h[2] > now and redis.call('EXISTS', hk) == 0 then\n"
                                 "    redis.call('SET', hk, h[3])\n"
                                 "    redis.call('ZADD', KEYS[1], h[2], h[1])\n"
                                 "  end\n"
                                 "end\n"
                                 "local held = {}\n"
                                 "for _, tok in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
                                 "  local spec = redis.call('GET', prefix .. ':h:' .. tok)\n"
                                 "  if spec then\n"
                                 "    for k, n in string.gmatch(spec, '(%S+) (%S+)') do\n"
                                 "      held[k] = (held[k] or 0) + tonumber(n)\n"
                                 "    end\n"
                                 "  end\n"
                                 "end\n"
                                 "for _, c in ipairs(data.c) do\n"
                                 "  redis.call('SET', c[1], c[2] - (held[c[1]] or 0))\n"
                                 "end\n"
                                 "return #data.c\n");

size_t stock_merge(struct stock_line *lines, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < out; j++)
			if (lines[j].quota_id == lines[i].quota_id &&
			    strcmp(lines[j].date, lines[i].date) == 0)
				break;
		if (j < out) {
			lines[j].qty += lines[i].qty;
		} else {
			if (out != i)
				lines[out] = lines[i];
			out++;
		}
	}
	return out;
}

static void prefix_of(int64_t event_id, char *out, size_t len)
{
	snprintf(out, len, "{ev:%lld}", (long long)event_id);
}

/* v in decimal into out (≥ 21 bytes), NUL-terminated; returns the length.
 * The keys and arguments of one hold are built on every reservation
 * attempt: formatting them with printf cost more than the rest of it. */
static size_t put_i64(char *out, int64_t v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}

static char *arena_i64(struct arena *a, int64_t v)
{
	char buf[24];
	size_t n = put_i64(buf, v);
	char *out = arena_alloc(a, n + 1);
	memcpy(out, buf, n + 1);
	return out;
}

/* The n strings one after the other, in the arena. */
static char *arena_concat(struct arena *a, const char *const *parts, size_t n)
{
	size_t len[6], total = 0;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		total += len[i] = strlen(parts[i]);
	p = out = arena_alloc(a, total + 1);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, parts[i], len[i]);
		p += len[i];
	}
	*p = '\0';
	return out;
}

void stock_key(int64_t event_id, const struct stock_line *l, char *out, size_t len)
{
	snprintf(out, len, "{ev:%lld}:a:%lld:%s", (long long)event_id, (long long)l->quota_id,
	         l->date[0] ? l->date : "all");
}

static bool token_ok(const char *token)
{
	size_t n = token ? strlen(token) : 0;
	if (n == 0 || n > STOCK_TOKEN_MAX)
		return false;
	for (const char *p = token; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

static enum stock_err from_kv(enum kv_err e)
{
	return e == KV_DOWN ? STOCK_DOWN : STOCK_ERROR;
}

/* Builds holds key, hold key and counter keys plus quantities. */
struct argv_buf {
	const char *keys[STOCK_MAX_LINES + 5];
	const char *args[STOCK_MAX_LINES + 5];
	int nkeys, nargs;
};

/* The same keys as prefix_of and stock_key, without printf: holds, hold
 * key, [write queue, record key,] counters. */
static void keys_for_hold(struct arena *a, int64_t event_id, const char *token,
                          const struct stock_line *lines, size_t n, bool queue, struct argv_buf *b)
{
	char ev[24], quota[24];

	put_i64(ev, event_id);
	b->nkeys = 0;
	b->keys[b->nkeys++] = arena_concat(a, (const char *[]){"{ev:", ev, "}:holds"}, 3);
	b->keys[b->nkeys++] = arena_concat(
	    a, (const char *[]){"{ev:", ev, "}:h:", token ? token : ""}, 4);
	if (queue) {
		b->keys[b->nkeys++] = arena_concat(a, (const char *[]){"{ev:", ev, "}:w"}, 3);
		b->keys[b->nkeys++] = arena_concat(
		    a, (const char *[]){"{ev:", ev, "}:o:", token ? token : ""}, 4);
		b->keys[b->nkeys++] = arena_concat(a, (const char *[]){"{ev:", ev, "}:wl"}, 3);
	}
	for (size_t i = 0; i < n; i++) {
		put_i64(quota, lines[i].quota_id);
		b->keys[b->nkeys++] = arena_concat(
		    a,
		    (const char *[]){"{ev:", ev, "}:a:", quota, ":",
		                     lines[i].date[0] ? lines[i].date : "all"},
		    6);
	}
}

static void keys_for(struct arena *a, int64_t event_id, const char *token,
                     const struct stock_line *lines, size_t n, struct argv_buf *b)
{
	keys_for_hold(a, event_id, token, lines, n, false, b);
}

static void queue_from(const redisReply *rep, size_t at, struct stock_held *out)
{
	out->queued = rep->element[at]->integer;
	out->queue_age_ms = rep->element[at + 1]->integer;
	out->writer_busy = rep->element[at + 2]->integer != 0;
}

enum stock_err stock_hold(struct arena *a, int64_t event_id, const char *token,
                          const struct stock_line *lines, size_t n, int64_t hold_ms,
                          const char *record, struct stock_held *out)
{
	struct argv_buf b;
	char ev[24];
	redisReply *rep;
	enum kv_err e;
	long long code;

	if (!token_ok(token) || n == 0 || n > STOCK_MAX_LINES || hold_ms <= 0)
		return STOCK_ERROR;
	put_i64(ev, event_id);
	keys_for_hold(a, event_id, token, lines, n, true, &b);
	b.nargs = 0;
	b.args[b.nargs++] = token;
	b.args[b.nargs++] = arena_i64(a, hold_ms);
	b.args[b.nargs++] = arena_i64(a, STOCK_RELEASE_BATCH);
	b.args[b.nargs++] = arena_concat(a, (const char *[]){"{ev:", ev, "}"}, 3);
	b.args[b.nargs++] = record ? record : "";
	/* ARGV[i] goes with KEYS[i] from the first counter on. */
	for (size_t i = 0; i < n; i++)
		b.args[b.nargs++] = arena_i64(a, lines[i].qty);
	e = kv_eval(a, &s_hold, b.nkeys, b.keys, b.nargs, b.args, &rep);
	if (e != KV_OK)
		return from_kv(e);
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1)
		return STOCK_ERROR;
	code = rep->element[0]->integer;
	switch (code) {
	case 1:
		if (rep->elements < 5)
			return STOCK_ERROR;
		out->expires_ms = rep->element[1]->integer;
		queue_from(rep, 2, out);
		return STOCK_OK;
	case 0:
		if (rep->elements < 6)
			return STOCK_ERROR;
		out->failed_line = (size_t)rep->element[1]->integer;
		out->available = rep->element[2]->integer;
		queue_from(rep, 3, out);
		return STOCK_SOLD_OUT;
	case -1:
		if (rep->elements < 2)
			return STOCK_ERROR;
		out->failed_line = (size_t)rep->element[1]->integer;
		return STOCK_UNINIT;
	case -2: return STOCK_DUPLICATE;
	default: return STOCK_ERROR;
	}
}

enum stock_err stock_release(struct arena *a, int64_t event_id, const char *token)
{
	struct argv_buf b;
	redisReply *rep;
	enum kv_err e;

	if (!token_ok(token))
		return STOCK_GONE;
	keys_for(a, event_id, token, NULL, 0, &b);
	e = kv_eval(a, &s_release, b.nkeys, b.keys, 1, &token, &rep);
	if (e != KV_OK)
		return from_kv(e);
	return rep->type == REDIS_REPLY_INTEGER && rep->integer == 1 ? STOCK_OK : STOCK_GONE;
}

enum stock_err stock_extend(struct arena *a, int64_t event_id, const char *token,
                            int64_t expires_ms)
{
	struct argv_buf b;
	redisReply *rep;
	enum kv_err e;
	const char *args[2];

	if (!token_ok(token))
		return STOCK_GONE;
	keys_for(a, event_id, token, NULL, 0, &b);
	args[0] = token;
	args[1] = arena_printf(a, "%lld", (long long)expires_ms);
	e = kv_eval(a, &s_extend, 1, b.keys, 2, args, &rep);
	if (e != KV_OK)
		return from_kv(e);
	return rep->type == REDIS_REPLY_INTEGER && rep->integer == 1 ? STOCK_OK : STOCK_GONE;
}

enum stock_err stock_consume(struct arena *a, int64_t event_id, const char *token,
                             const struct stock_line *lines, size_t n, bool *was_live)
{
	struct argv_buf b;
	redisReply *rep;
	enum kv_err e;

	if (!token_ok(token) || n > STOCK_MAX_LINES)
		return STOCK_ERROR;
	keys_for(a, event_id, token, lines, n, &b);
	b.nargs = 0;
	b.args[b.nargs++] = token;
	for (size_t i = 0; i < n; i++)
		b.args[b.nargs++] = arena_printf(a, "%lld", (long long)lines[i].qty);
	e = kv_eval(a, &s_consume, b.nkeys, b.keys, b.nargs, b.args, &rep);
	if (e != KV_OK)
		return from_kv(e);
	*was_live = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	return STOCK_OK;
}

enum stock_err stock_add(struct arena *a, int64_t event_id, const struct stock_line *lines,
                         size_t n)
{
	struct argv_buf b;
	enum kv_err e;

	if (n == 0)
		return STOCK_OK;
	if (n > STOCK_MAX_LINES)
		return STOCK_ERROR;
	keys_for(a, event_id, "", lines, n, &b);
	for (size_t i = 0; i < n; i++)
		b.args[i] = arena_printf(a, "%lld", (long long)lines[i].qty);
	e = kv_eval(a, &s_add, (int)n, b.keys + 2, (int)n, b.args, NULL);
	return e == KV_OK ? STOCK_OK : from_kv(e);
}

enum stock_err stock_adjust(struct arena *a, int64_t event_id, const char *const *keys, size_t n,
                            int64_t delta)
{
	redisReply *rep;
	enum kv_err e;
	const char *args[1];

	(void)event_id; /* keys already carry the event's hash tag */
	if (n == 0)
		return STOCK_OK;
	args[0] = arena_printf(a, "%lld", (long long)delta);
	e = kv_eval(a, &s_adjust, (int)n, keys, 1, args, &rep);
	if (e != KV_OK)
		return from_kv(e);
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 && rep->element[0]->integer == 1)
		return STOCK_OK;
	return STOCK_SOLD_OUT;
}

enum stock_err stock_read(struct arena *a, int64_t event_id, const struct stock_line *lines,
                          size_t n, int64_t *out)
{
	const char **keys, *args[2];
	redisReply *rep;
	enum kv_err e;
	char key[96], pfx[40];

	if (n == 0)
		return STOCK_OK;
	prefix_of(event_id, pfx, sizeof(pfx));
	keys = arena_calloc(a, n + 1, sizeof(*keys));
	keys[0] = arena_printf(a, "%s:holds", pfx);
	for (size_t i = 0; i < n; i++) {
		stock_key(event_id, &lines[i], key, sizeof(key));
		keys[i + 1] = arena_strdup(a, key);
	}
	args[0] = arena_strdup(a, pfx);
	args[1] = arena_printf(a, "%d", STOCK_RELEASE_BATCH);
	e = kv_eval(a, &s_read, (int)n + 1, keys, 2, args, &rep);
	if (e != KV_OK)
		return from_kv(e);
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n)
		return STOCK_ERROR;
	for (size_t i = 0; i < n; i++)
		out[i] = rep->element[i]->type == REDIS_REPLY_STRING
		             ? strtoll(rep->element[i]->str, NULL, 10)
		             : -1;
	return STOCK_OK;
}

enum stock_err stock_rebuild(struct arena *a, int64_t event_id, const struct stock_line *lines,
                             const int64_t *base, size_t n, const struct stock_hold_rec *holds,
                             size_t n_holds)
{
	cJSON *root = cJSON_CreateObject(), *c = cJSON_AddArrayToObject(root, "c"),
	      *h = cJSON_AddArrayToObject(root, "h");
	char pfx[40], key[96];
	const char *keys[1], *args[2];
	char *json;
	enum kv_err e;

	prefix_of(event_id, pfx, sizeof(pfx));
	for (size_t i = 0; i < n; i++) {
		cJSON *pair = cJSON_CreateArray();
		stock_key(event_id, &lines[i], key, sizeof(key));
		cJSON_AddItemToArray(pair, cJSON_CreateString(key));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)base[i]));
		cJSON_AddItemToArray(c, pair);
	}
	for (size_t i = 0; i < n_holds; i++) {
		cJSON *rec;
		char *spec = arena_strdup(a, "");
		if (!token_ok(holds[i].token))
			continue;
		for (size_t j = 0; j < holds[i].n; j++) {
			stock_key(event_id, &holds[i].lines[j], key, sizeof(key));
			spec = arena_printf(a, "%s%s%s %lld", spec, j ? " " : "", key,
			                    (long long)holds[i].lines[j].qty);
		}
		rec = cJSON_CreateArray();
		cJSON_AddItemToArray(rec, cJSON_CreateString(holds[i].token));
		cJSON_AddItemToArray(rec, cJSON_CreateNumber((double)holds[i].expires_ms));
		cJSON_AddItemToArray(rec, cJSON_CreateString(spec));
		cJSON_AddItemToArray(h, rec);
	}
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (json == NULL)
		return STOCK_ERROR;
	keys[0] = arena_printf(a, "%s:holds", pfx);
	args[0] = arena_strdup(a, pfx);
	args[1] = arena_strdup(a, json);
	cJSON_free(json);
	e = kv_eval(a, &s_rebuild, 1, keys, 2, args, NULL);
	return e == KV_OK ? STOCK_OK : from_kv(e);
}
