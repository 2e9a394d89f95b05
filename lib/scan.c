/* scan.c — the entrance (see scan.h). */
#include "scan.h"

#include "app.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "kv.h"
#include "log.h"
#include "ticket.h"
#include "tk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYSETS 32       /* events whose public keys a worker keeps */
#define KEYS_PER_EVENT 8 /* newest keys of an event kept (rotations) */

/* How a code is laid out, for offline scanners (the kit's code_format). */
static const char code_format[] =
    "base32 (RFC 4648 alphabet A-Z2-7, uppercase, no padding, zero trailing bits) of the bytes:"
    " version (1 byte, 0x01), kid, event_id, ticket_id (each an unsigned LEB128 varint,"
    " shortest form), visit date (2 bytes big-endian: days since 2000-01-01, 0xFFFF ="
    " undated), 4 random bytes, then the 64-byte Ed25519 signature (RFC 8032) over every byte"
    " before it; verify with the key whose kid is the code's kid (keys[].public_key: base64 of"
    " the raw 32-byte key). A code signed for another event_id is wrong_event.";

/* ---- public keys, cached per event --------------------------------------------- */

/*
 * A forged code must cost no round trip, so the verdict on a signature comes
 * from keys this worker holds. An event's keys are read at most once per
 * SCAN_KEYS_TTL_MS, and again only after SCAN_KEYS_MISS_MS when a code names
 * a kid the set lacks (a rotation elsewhere). An event without keys is
 * cached too (n = 0): codes for it are all forged.
 */
struct keyset {
	int64_t event_id; /* 0: empty slot */
	size_t n;
	uint32_t kid[KEYS_PER_EVENT];
	unsigned char pub[KEYS_PER_EVENT][32];
	int64_t loaded_ms;
	uint64_t used;
};

static struct keyset keysets[KEYSETS];
static uint64_t keyset_tick;

static struct db_stmt q_keys = DB_STMT(
    "SELECT kid, encode(public_key, 'hex') AS pub FROM event_keys"
    " WHERE event_id = $1::bigint AND kid ~ '^(0|[1-9][0-9]{0,8})$'"
    " ORDER BY created_at DESC, id DESC LIMIT $2",
    2);

static struct keyset *keyset_slot(int64_t event_id)
{
	struct keyset *victim = &keysets[0];

	for (size_t i = 0; i < KEYSETS; i++) {
		if (keysets[i].event_id == event_id)
			return &keysets[i];
		if (keysets[i].used < victim->used)
			victim = &keysets[i];
	}
	memset(victim, 0, sizeof(*victim));
	return victim;
}

static bool keyset_load(struct arena *a, struct keyset *ks, int64_t event_id)
{
	const char *params[] = {db_param_i64(a, event_id), db_param_i64(a, KEYS_PER_EVENT)};
	PGresult *res;
	size_t n = 0;

	if (db_exec(a, &q_keys, params, &res) != DB_OK)
		return false;
	for (int i = 0; i < db_rows(res) && n < KEYS_PER_EVENT; i++) {
		int64_t kid;
		if (!tk_parse_i64(db_str(res, i, "kid"), 0, UINT32_MAX, &kid) ||
		    !ticket_hex_decode(db_str(res, i, "pub"), ks->pub[n], 32))
			continue;
		ks->kid[n++] = (uint32_t)kid;
	}
	ks->event_id = event_id;
	ks->n = n;
	ks->loaded_ms = tk_now_ms();
	return true;
}

static const unsigned char *keyset_find(const struct keyset *ks, uint32_t kid)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->kid[i] == kid)
			return ks->pub[i];
	return NULL;
}

enum verdict {
	V_GENUINE, /* signed by the key the code names; claims filled */
	V_FORGED,  /* malformed, unknown key or bad signature */
	V_DB,      /* the keys could not be read */
};

/* The public key of (event, kid), reading the event's keys when the cache
 * says to; *loaded tells whether PostgreSQL was asked. */
static enum verdict key_for(struct arena *a, int64_t event_id, uint32_t kid,
                            const unsigned char **pub, bool *loaded)
{
	struct keyset *ks = keyset_slot(event_id);
	int64_t now = tk_now_ms();
	bool stale = ks->event_id != event_id || now - ks->loaded_ms >= SCAN_KEYS_TTL_MS ||
	             now < ks->loaded_ms;

	*pub = ks->event_id == event_id ? keyset_find(ks, kid) : NULL;
	if (*pub == NULL && !stale && now - ks->loaded_ms >= SCAN_KEYS_MISS_MS)
		stale = true;
	if (stale) {
		*loaded = true;
		if (!keyset_load(a, ks, event_id)) {
			memset(ks, 0, sizeof(*ks));
			return V_DB;
		}
		*pub = keyset_find(ks, kid);
	}
	ks->used = ++keyset_tick;
	return *pub ? V_GENUINE : V_FORGED;
}

static enum verdict verify(struct arena *a, const char *code, struct ticket_claims *c, bool *loaded)
{
	const unsigned char *pub;
	enum verdict v;

	*loaded = false;
	if (ticket_peek(code, c) != TICKET_OK)
		return V_FORGED;
	v = key_for(a, c->event_id, c->kid, &pub, loaded);
	if (v != V_GENUINE)
		return v;
	return ticket_verify(pub, code, c) == TICKET_OK ? V_GENUINE : V_FORGED;
}

/* ---- scan rows of forged codes, written in batches ------------------------------ */

/*
 * A forged code's scan row goes to a Redis list of its event ({ev:E}:scanlog,
 * one JSON row per entry; a Redis round trip, not a PostgreSQL one) and is
 * moved to scans in batches: after the answer of any scan of the event that
 * touched PostgreSQL anyway, after a forged scan that filled a batch, when
 * the worker is idle, and before the event's entrance logs or statistics
 * are read (so they are never short). Rows a failed write took are pushed
 * back. Without Redis the row is written at once (one round trip).
 */
static struct db_stmt q_log_batch = DB_STMT(
    "INSERT INTO scans (event_id, code, result, gate, device_id, admin_id, scanned_at)"
    " SELECT x.event_id, x.code, 'invalid', x.gate, x.device_id, a.id,"
    "        to_timestamp(x.at_ms / 1000.0)"
    " FROM json_to_recordset($1::json) AS x(event_id bigint, code text, gate text,"
    "      device_id text, admin_id bigint, at_ms bigint)"
    " JOIN events e ON e.id = x.event_id"
    " LEFT JOIN admins a ON a.id = x.admin_id",
    1);

static const char *scanlog_key(struct arena *a, int64_t event_id)
{
	return arena_printf(a, "{ev:%lld}:scanlog", (long long)event_id);
}

/* Moves up to SCAN_LOG_BATCH rows per round from the event's list into
 * scans, until it is empty or a write fails. */
static void scanlog_drain(struct arena *a, int64_t event_id)
{
	const char *key = scanlog_key(a, event_id);
	char count[16];

	snprintf(count, sizeof(count), "%d", SCAN_LOG_BATCH);
	for (int round = 0; round < 1000; round++) {
		redisReply *rep;
		cJSON *rows;
		char *text;
		enum db_err e;

		if (kv_cmd(a, 3, (const char *[]){"LPOP", key, count}, &rep) != KV_OK ||
		    rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
			return;
		rows = cJSON_CreateArray();
		for (size_t i = 0; i < rep->elements; i++) {
			cJSON *row = cJSON_Parse(rep->element[i]->str);
			if (row)
				cJSON_AddItemToArray(rows, row);
		}
		text = cJSON_PrintUnformatted(rows);
		cJSON_Delete(rows);
		e = text ? db_exec(a, &q_log_batch, (const char *[]){text}, NULL) : DB_ERROR;
		free(text);
		if (e != DB_OK) {
			log_event(LOG_ERROR, "scan_log", "msg",
			          "forged-code scan rows kept for later", NULL);
			for (size_t i = 0; i < rep->elements; i++)
				kv_cmd(a, 3, (const char *[]){"LPUSH", key, rep->element[i]->str},
				       NULL);
			return;
		}
		if (rep->elements < (size_t)SCAN_LOG_BATCH)
			return;
	}
}

static void scanlog_idle(struct arena *a, int64_t event_id)
{
	scanlog_drain(a, event_id);
}

static void scanlog_after(struct http_req *r)
{
	scanlog_drain(r->arena, r->event_id);
}

/* Records the scan row of a forged code without PostgreSQL. */
static void scanlog_add(struct http_req *r, const char *code, const char *gate, const char *device)
{
	cJSON *row = cJSON_CreateObject();
	char *text;
	redisReply *rep = NULL;

	cJSON_AddNumberToObject(row, "event_id", (double)r->event_id);
	cJSON_AddStringToObject(row, "code", code);
	cJSON_AddStringToObject(row, "gate", gate ? gate : "");
	cJSON_AddStringToObject(row, "device_id", device ? device : "");
	if (r->principal)
		cJSON_AddNumberToObject(row, "admin_id", (double)r->principal->admin_id);
	cJSON_AddNumberToObject(row, "at_ms", (double)tk_now_ms());
	text = arena_defer(r->arena, cJSON_free, cJSON_PrintUnformatted(row));
	cJSON_Delete(row);
	if (text == NULL ||
	    kv_cmd(r->arena, 3, (const char *[]){"RPUSH", scanlog_key(r->arena, r->event_id), text},
	           &rep) != KV_OK ||
	    rep->type != REDIS_REPLY_INTEGER) {
		const char *one = text ? arena_printf(r->arena, "[%s]", text) : NULL;
		if (one == NULL ||
		    db_exec(r->arena, &q_log_batch, (const char *[]){one}, NULL) != DB_OK)
			log_event(LOG_ERROR, "scan_log", "msg", "forged-code scan row lost", NULL);
		return;
	}
	if (rep->integer >= SCAN_LOG_BATCH)
		r->after = scanlog_after;
	else
		app_idle_task(scanlog_idle, r->event_id, SCAN_LOG_IDLE_MS);
}

/* ---- admission ----------------------------------------------------------------- */

static struct db_stmt q_admit = DB_STMT(
    "SELECT scan_admit($1::bigint, $2::bigint, $3, $4, $5, $6::bigint, $7::boolean, $8,"
    " $9::timestamptz, $10::interval) AS j",
    10);

struct scan_one {
	const char *code, *gate, *device, *nonce, *at;
	int64_t ticket_id; /* 0: the code did not verify */
	bool admit;
};

/* The answer of scan_admit, or NULL after answering the database error. */
static cJSON *admit_or_reply(struct http_req *r, const struct scan_one *s)
{
	struct arena *a = r->arena;
	const char *params[] = {db_param_i64(a, r->event_id),
	                        s->ticket_id ? db_param_i64(a, s->ticket_id) : NULL,
	                        s->code,
	                        s->gate ? s->gate : "",
	                        s->device ? s->device : "",
	                        r->principal ? db_param_i64(a, r->principal->admin_id) : NULL,
	                        db_param_bool(s->admit),
	                        s->nonce,
	                        s->at,
	                        SCAN_LATE};
	PGresult *res;
	cJSON *j;
	const char *result;
	enum db_err e = db_exec(a, &q_admit, params, &res);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return NULL;
	}
	j = json_parse_owned(r, db_str(res, 0, "j"));
	if (j == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return NULL;
	}
	result = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "result"));
	if (result != NULL && strcmp(result, "no_event") == 0) {
		db_rollback();
		http_reply_error(r, "EVENT_NOT_FOUND", NULL);
		return NULL;
	}
	return j;
}

/* ---- POST scan ----------------------------------------------------------------- */

struct scan_in {
	struct json_str code, gate, device_id;
	struct json_bool admit;
};

static const struct json_field scan_fields[] = {
    JSON_STR("code", struct scan_in, code, JF_REQUIRED, 1, SCAN_CODE_MAX, NULL),
    JSON_STR("gate", struct scan_in, gate, JF_REQUIRED, 1, SCAN_GATE_MAX, tk_valid_line),
    JSON_STR("device_id", struct scan_in, device_id, 0, 0, SCAN_DEVICE_MAX, tk_valid_line),
    JSON_BOOL("admit", struct scan_in, admit, 0),
};

static cJSON *invalid_answer(struct http_req *r, const char *gate)
{
	cJSON *o = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "result", "invalid");
	cJSON_AddNullToObject(o, "ticket");
	cJSON_AddNullToObject(o, "used_at");
	cJSON_AddStringToObject(o, "gate", gate);
	return o;
}

static void reply_counted(struct http_req *r, uint64_t trips_before, bool keys_loaded,
                          const cJSON *answer)
{
	char n[24];
	snprintf(n, sizeof(n), "%llu", (unsigned long long)(db_round_trips() - trips_before));
	http_add_header(r, "X-DB-Round-Trips", n);
	http_add_header(r, "X-Scan-Keys", keys_loaded ? "loaded" : "cached");
	http_reply_json(r, 200, answer);
}

void scan_scan(struct http_req *r)
{
	uint64_t before = db_round_trips();
	struct scan_in in = {0};
	struct ticket_claims c;
	struct scan_one s = {0};
	bool loaded;
	enum verdict v;
	cJSON *answer;

	if (!json_fields_or_reply(r, scan_fields, TK_ARRAY_LEN(scan_fields), &in))
		return;
	s.code = in.code.v;
	s.gate = in.gate.v;
	s.device = in.device_id.v;
	s.admit = !in.admit.set || in.admit.v;
	v = verify(r->arena, s.code, &c, &loaded);
	if (v == V_DB) {
		app_reply_db_error(r, DB_DOWN);
		return;
	}
	if (v == V_FORGED) {
		scanlog_add(r, s.code, s.gate, s.device);
		reply_counted(r, before, loaded, invalid_answer(r, s.gate));
		return;
	}
	s.ticket_id = c.ticket_id;
	answer = admit_or_reply(r, &s);
	if (answer == NULL)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(answer, "scan_id");
	cJSON_DeleteItemFromObjectCaseSensitive(answer, "conflict");
	reply_counted(r, before, loaded, answer);
	r->after = scanlog_after;
}

/* ---- POST manual ----------------------------------------------------------------- */

struct manual_in {
	struct json_str order_number, phone, gate, device_id;
};

static const struct json_field manual_fields[] = {
    JSON_STR("order_number", struct manual_in, order_number, 0, 1, 40, tk_valid_line),
    JSON_STR("phone", struct manual_in, phone, 0, 1, 20, tk_valid_phone),
    JSON_STR("gate", struct manual_in, gate, JF_REQUIRED, 1, SCAN_GATE_MAX, tk_valid_line),
    JSON_STR("device_id", struct manual_in, device_id, 0, 0, SCAN_DEVICE_MAX, tk_valid_line),
};

/* The event's orders with tickets matching an order number ($2) or, when
 * it is NULL, a phone ($3); newest first. */
static struct db_stmt q_manual_orders = DB_STMT(
    "SELECT o.id, o.order_number, json_build_object('order_number', o.order_number,"
    "   'status', o.status, 'visit_date', o.visit_date, 'customer_name', "
    "scan_mask(o.customer_name),"
    "   'tickets', (SELECT count(*) FROM tickets t WHERE t.order_id = o.id),"
    "   'created_at', iso(o.created_at)) AS o"
    " FROM orders o WHERE o.event_id = $1::bigint"
    "  AND (($2::text IS NOT NULL AND o.order_number = upper($2::text))"
    "    OR ($2::text IS NULL AND o.customer_phone = $3::text))"
    "  AND EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.id)"
    " ORDER BY o.created_at DESC, o.id DESC LIMIT $4",
    4);

static struct db_stmt q_order_tickets = DB_STMT(
    "SELECT id, code FROM tickets WHERE order_id = $1::bigint ORDER BY id", 1);

/* The one order a manual entry names, its id in *order_id; false after
 * answering 404 / 409 MULTIPLE_ORDERS (the orders listed) / a db error. */
static bool manual_order_or_reply(struct http_req *r, const struct manual_in *in, int64_t *order_id)
{
	char phone[12];
	const char *params[4];
	PGresult *res;
	enum db_err e;

	if (in->phone.set && !in->order_number.set && !tk_normalize_phone(in->phone.v, phone)) {
		json_reply_field(r, "phone", "invalid");
		return false;
	}
	params[0] = db_param_i64(r->arena, r->event_id);
	params[1] = in->order_number.set ? in->order_number.v : NULL;
	params[2] = in->order_number.set ? NULL : phone;
	params[3] = db_param_i64(r->arena, SCAN_MANUAL_ORDERS_MAX);
	if ((e = db_exec(r->arena, &q_manual_orders, params, &res)) != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	if (db_rows(res) == 0) {
		http_reply_error(r, "NOT_FOUND", NULL);
		return false;
	}
	if (db_rows(res) > 1) {
		cJSON *details = cJSON_CreateObject(),
		      *list = cJSON_AddArrayToObject(details, "orders");
		for (int i = 0; i < db_rows(res); i++) {
			cJSON *o = cJSON_Parse(db_str(res, i, "o"));
			if (o)
				cJSON_AddItemToArray(list, o);
		}
		http_reply_error(r, "MULTIPLE_ORDERS", details);
		return false;
	}
	*order_id = db_i64(res, 0, "id");
	return true;
}

/* Admits every ticket of the order inside the open transaction, filling
 * admitted (codes) and skipped ({code, result}); false after answering. */
static bool manual_admit_or_reply(struct http_req *r, const struct manual_in *in, int64_t order_id,
                                  cJSON *admitted, cJSON *skipped)
{
	PGresult *res;
	enum db_err e = db_exec(r->arena, &q_order_tickets,
	                        (const char *[]){db_param_i64(r->arena, order_id)}, &res);

	if (e != DB_OK) {
		app_reply_db_error(r, e);
		return false;
	}
	for (int i = 0; i < db_rows(res); i++) {
		struct scan_one s = {.code = db_str(res, i, "code"),
		                     .gate = in->gate.v,
		                     .device = in->device_id.set ? in->device_id.v : "manual",
		                     .ticket_id = db_i64(res, i, "id"),
		                     .admit = true};
		cJSON *j = admit_or_reply(r, &s);
		const char *result;
		if (j == NULL)
			return false;
		result = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "result"));
		if (result && strcmp(result, "ok") == 0) {
			cJSON_AddItemToArray(admitted, cJSON_CreateString(s.code));
		} else {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "code", s.code);
			cJSON_AddStringToObject(o, "result", result ? result : "invalid");
			cJSON_AddItemToArray(skipped, o);
		}
	}
	return true;
}

void scan_manual(struct http_req *r)
{
	struct manual_in in = {0};
	int64_t order_id = 0;
	cJSON *out, *admitted, *skipped, *summary;
	enum db_err e;

	if (!json_fields_or_reply(r, manual_fields, TK_ARRAY_LEN(manual_fields), &in))
		return;
	if (in.order_number.set == in.phone.set) {
		json_reply_field(r, in.order_number.set ? "phone" : "order_number",
		                 in.order_number.set ? "duplicate" : "required");
		return;
	}
	if ((e = db_begin()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	if (!manual_order_or_reply(r, &in, &order_id))
		goto fail;
	out = http_own(r, cJSON_CreateObject());
	admitted = cJSON_AddArrayToObject(out, "admitted");
	skipped = cJSON_AddArrayToObject(out, "skipped");
	if (!manual_admit_or_reply(r, &in, order_id, admitted, skipped))
		goto fail;
	summary = http_own(r, cJSON_CreateObject());
	cJSON_AddStringToObject(summary, "gate", in.gate.v);
	cJSON_AddItemToObject(summary, "admitted", cJSON_Duplicate(admitted, 1));
	if ((e = audit_log(r, r->event_id, "entrance.manual", "order",
	                   db_param_i64(r->arena, order_id), summary)) != DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	http_reply_json(r, 200, out);
	return;
fail:
	db_rollback();
}

/* ---- GET events/{id}/offline-kit ----------------------------------------------- */

static struct db_stmt q_kit = DB_STMT(
    "SELECT json_build_object('event_id', e.id, 'generated_at', iso(now()),"
    " 'timezone', e.timezone, 'today', (now() AT TIME ZONE e.timezone)::date,"
    " 'keys', COALESCE((SELECT json_agg(json_build_object('kid', k.kid, 'alg', 'Ed25519',"
    "     'public_key', encode(k.public_key, 'base64'), 'retired', k.retired_at IS NOT NULL)"
    "     ORDER BY k.created_at, k.id) FROM event_keys k WHERE k.event_id = e.id), '[]'),"
    " 'revoked', COALESCE((SELECT json_agg(t.code ORDER BY t.id) FROM tickets t"
    "     WHERE t.event_id = e.id AND t.status IN ('refunded', 'void')), '[]'),"
    " 'used', COALESCE((SELECT json_agg(t.code ORDER BY t.id) FROM tickets t"
    "     WHERE t.event_id = e.id AND t.used_at IS NOT NULL), '[]'),"
    " 'code_format', $2::text) AS kit"
    " FROM events e WHERE e.id = $1::bigint AND e.deleted_at IS NULL",
    2);

void scan_offline_kit(struct http_req *r)
{
	PGresult *res = app_row_or_reply(
	    r, &q_kit, (const char *[]){db_param_i64(r->arena, r->event_id), code_format},
	    "EVENT_NOT_FOUND");
	cJSON *kit;

	if (res == NULL)
		return;
	kit = json_parse_owned(r, db_str(res, 0, "kit"));
	if (kit == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	http_add_header(r, "Cache-Control", "no-store");
	http_reply_json(r, 200, kit);
}

/* ---- POST offline-scans ---------------------------------------------------------- */

struct upload_in {
	struct json_node scans;
};

static const struct json_field upload_fields[] = {
    JSON_ARR("scans", struct upload_in, scans, JF_REQUIRED, 1, SCAN_UPLOAD_MAX),
};

struct offline_in {
	struct json_str code, scanned_at, gate, device_id, nonce;
};

static const struct json_field offline_fields[] = {
    JSON_STR("code", struct offline_in, code, JF_REQUIRED, 1, SCAN_CODE_MAX, NULL),
    JSON_DATETIME("scanned_at", struct offline_in, scanned_at, JF_REQUIRED),
    JSON_STR("gate", struct offline_in, gate, JF_REQUIRED, 1, SCAN_GATE_MAX, tk_valid_line),
    JSON_STR("device_id", struct offline_in, device_id, 0, 0, SCAN_DEVICE_MAX, tk_valid_line),
    JSON_STR("nonce", struct offline_in, nonce, JF_REQUIRED, 1, SCAN_NONCE_MAX, tk_valid_line),
};

/* Every scan of the upload validated into items (n of them); false after
 * answering 422 naming scans.N.field. */
static bool upload_parse_or_reply(struct http_req *r, struct offline_in **items, size_t *n)
{
	struct upload_in in = {0};
	cJSON *errors;
	const cJSON *it;
	size_t i = 0;

	if (!json_fields_or_reply(r, upload_fields, TK_ARRAY_LEN(upload_fields), &in))
		return false;
	*n = (size_t)cJSON_GetArraySize(in.scans.v);
	*items = arena_alloc(r->arena, *n * sizeof(**items));
	if (*items == NULL || (errors = http_own(r, cJSON_CreateObject())) == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return false;
	}
	memset(*items, 0, *n * sizeof(**items));
	cJSON_ArrayForEach(it, in.scans.v)
	{
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "scans.%zu.", i);
		if (!cJSON_IsObject(it))
			json_field_error(r, errors, arena_printf(r->arena, "scans.%zu", i),
			                 "type_object");
		else
			json_validate(r, it, offline_fields, TK_ARRAY_LEN(offline_fields),
			              &(*items)[i], prefix, errors);
		i++;
	}
	if (errors->child != NULL) {
		/* errors belongs to the request; the reply takes a copy. */
		json_reply_validation(r, cJSON_Duplicate(errors, 1));
		return false;
	}
	return true;
}

/* The result of one offline scan for the answer: nonce, result, and the
 * first use of a ticket already used. */
static cJSON *offline_result(const char *nonce, const cJSON *j)
{
	cJSON *o = cJSON_CreateObject();
	const char *result = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "result"));

	cJSON_AddStringToObject(o, "nonce", nonce);
	cJSON_AddStringToObject(o, "result", result ? result : "invalid");
	if (result && strcmp(result, "already_used") == 0) {
		cJSON_AddBoolToObject(
		    o, "conflict", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "conflict")));
		cJSON_AddItemToObject(
		    o, "first_used_at",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "first_used_at"), 1));
		cJSON_AddItemToObject(
		    o, "first_gate",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "first_gate"), 1));
	}
	return o;
}

void scan_offline_upload(struct http_req *r)
{
	struct offline_in *items = NULL;
	size_t n = 0;
	cJSON *out, *results;

	if (!upload_parse_or_reply(r, &items, &n))
		return;
	out = http_own(r, cJSON_CreateObject());
	results = cJSON_AddArrayToObject(out, "results");
	for (size_t i = 0; i < n; i++) {
		struct ticket_claims c;
		bool loaded;
		struct scan_one s = {.code = items[i].code.v,
		                     .gate = items[i].gate.v,
		                     .device = items[i].device_id.v,
		                     .nonce = items[i].nonce.v,
		                     .at = items[i].scanned_at.v,
		                     .admit = true};
		enum verdict v = verify(r->arena, s.code, &c, &loaded);
		cJSON *j;

		if (v == V_DB) {
			app_reply_db_error(r, DB_DOWN);
			return;
		}
		/* A forged code is recorded with its nonce too (ticket NULL:
		 * scan_admit answers invalid), so a resend is a duplicate. */
		s.ticket_id = v == V_GENUINE ? c.ticket_id : 0;
		if ((j = admit_or_reply(r, &s)) == NULL)
			return;
		cJSON_AddItemToArray(results, offline_result(s.nonce, j));
	}
	http_reply_json(r, 200, out);
	r->after = scanlog_after;
}

/* ---- GET events/{id}/entrance/stats and …/logs ---------------------------------- */

/* $1 event, $2 the day in the event's zone. */
static struct db_stmt q_stats = DB_STMT(
    "WITH ev AS (SELECT e.id, e.timezone,"
    "   ($2::date)::timestamp AT TIME ZONE e.timezone AS t0,"
    "   ($2::date + 1)::timestamp AT TIME ZONE e.timezone AS t1"
    "   FROM events e WHERE e.id = $1::bigint AND e.deleted_at IS NULL),"
    " used AS (SELECT t.product_id, t.used_gate, t.used_at AT TIME ZONE ev.timezone AS local"
    "   FROM tickets t, ev WHERE t.event_id = ev.id AND t.used_at >= ev.t0 AND t.used_at < ev.t1),"
    " sc AS (SELECT s.result, s.conflict, s.late FROM scans s, ev"
    "   WHERE s.event_id = ev.id AND s.scanned_at >= ev.t0 AND s.scanned_at < ev.t1)"
    " SELECT json_build_object('date', $2::date, 'admitted', (SELECT count(*) FROM used),"
    " 'by_hour', COALESCE((SELECT json_agg(json_build_object('hour', h, 'admitted', n) ORDER BY h)"
    "   FROM (SELECT extract(hour FROM local)::int AS h, count(*) AS n FROM used GROUP BY 1) x),"
    "   '[]'),"
    " 'by_gate', COALESCE((SELECT json_agg(json_build_object('gate', g, 'admitted', n)"
    "   ORDER BY n DESC, g) FROM (SELECT COALESCE(used_gate, '') AS g, count(*) AS n FROM used"
    "   GROUP BY 1) x), '[]'),"
    " 'by_product', COALESCE((SELECT json_agg(json_build_object('product_id', p.id, 'name', p.name,"
    "   'admitted', (SELECT count(*) FROM used u WHERE u.product_id = p.id),"
    "   'sold', (SELECT count(*) FROM tickets t WHERE t.product_id = p.id"
    "     AND t.status IN ('valid', 'used') AND (t.visit_date IS NULL OR t.visit_date = $2::date)))"
    "   ORDER BY p.sort_order, p.id) FROM products p, ev WHERE p.event_id = ev.id"
    "   AND p.deleted_at IS NULL AND p.admits > 0), '[]'),"
    " 'rejected', COALESCE((SELECT json_object_agg(result, n) FROM (SELECT result, count(*) AS n"
    "   FROM sc WHERE result <> 'ok' GROUP BY result) x), '{}'),"
    " 'scans', (SELECT count(*) FROM sc),"
    " 'conflicts', (SELECT count(*) FROM sc WHERE conflict),"
    " 'late', (SELECT count(*) FROM sc WHERE late)) AS stats"
    " FROM ev",
    2);

static struct db_stmt q_today = DB_STMT(
    "SELECT (now() AT TIME ZONE timezone)::date::text AS d FROM events"
    " WHERE id = $1::bigint AND deleted_at IS NULL",
    1);

void scan_stats(struct http_req *r)
{
	const char *date = http_query(r, "date"), *id = db_param_i64(r->arena, r->event_id);
	PGresult *res;
	cJSON *stats;

	if (date != NULL && !tk_valid_date(date)) {
		json_reply_field(r, "date", "invalid");
		return;
	}
	scanlog_drain(r->arena, r->event_id);
	if (date == NULL) {
		if ((res = app_row_or_reply(r, &q_today, (const char *[]){id},
		                            "EVENT_NOT_FOUND")) == NULL)
			return;
		date = db_str(res, 0, "d");
	}
	if ((res = app_row_or_reply(r, &q_stats, (const char *[]){id, date}, "EVENT_NOT_FOUND")) ==
	    NULL)
		return;
	stats = cJSON_Parse(db_str(res, 0, "stats"));
	if (stats == NULL) {
		http_reply_error(r, "INTERNAL", NULL);
		return;
	}
	app_reply_object(r, 200, "stats", stats);
}

#define LOG_FILTER \
	" s.event_id = e.id AND ($2::text IS NULL OR s.gate = $2::text)" \
	" AND ($3::text IS NULL OR s.result = $3::text)" \
	" AND ($6::boolean IS NULL OR s.conflict = $6::boolean)"

static struct db_stmt q_logs = DB_STMT(
    "SELECT (SELECT count(*) FROM scans s WHERE" LOG_FILTER ") AS total,"
    " COALESCE((SELECT json_agg(x.o ORDER BY x.id DESC) FROM (SELECT s.id, json_build_object("
    "   'id', s.id, 'code', s.code, 'ticket_id', s.ticket_id, 'result', s.result,"
    "   'gate', s.gate, 'device_id', s.device_id,"
    "   'admin', (SELECT json_build_object('id', a.id, 'username', a.username) FROM admins a"
    "     WHERE a.id = s.admin_id),"
    "   'product_name', (SELECT p.name FROM tickets t JOIN products p ON p.id = t.product_id"
    "     WHERE t.id = s.ticket_id),"
    "   'scanned_at', iso(s.scanned_at), 'received_at', iso(s.received_at),"
    "   'offline', s.offline, 'nonce', s.nonce, 'checked', s.checked,"
    "   'conflict', s.conflict, 'late', s.late) AS o"
    "   FROM scans s WHERE" LOG_FILTER " ORDER BY s.id DESC LIMIT $4 OFFSET $5) x), '[]') AS items"
    " FROM events e WHERE e.id = $1::bigint AND e.deleted_at IS NULL",
    6);

static bool valid_result(const char *s)
{
	static const char *const names[] = {"ok",          "already_used", "invalid",
	                                    "wrong_event", "wrong_date",   "refunded"};
	for (size_t i = 0; i < TK_ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

void scan_logs(struct http_req *r)
{
	const char *gate = http_query(r, "gate"), *result = http_query(r, "result");
	const char *conflict = http_query(r, "conflict");
	int64_t page, limit;
	cJSON *errors = NULL;

	if (!app_paging_or_reply(r, &page, &limit))
		return;
	if (gate && (strlen(gate) > SCAN_GATE_MAX * 4 || !tk_utf8_valid(gate, strlen(gate))))
		errors = json_errors_add(r, errors, "gate", "invalid");
	if (result && !valid_result(result))
		errors = json_errors_add(r, errors, "result", "invalid");
	if (conflict && strcmp(conflict, "true") != 0 && strcmp(conflict, "false") != 0)
		errors = json_errors_add(r, errors, "conflict", "type_boolean");
	if (errors) {
		json_reply_validation(r, errors);
		return;
	}
	scanlog_drain(r->arena, r->event_id);
	{
		const char *params[] = {db_param_i64(r->arena, r->event_id),
		                        gate,
		                        result,
		                        db_param_i64(r->arena, limit),
		                        db_param_i64(r->arena, (page - 1) * limit),
		                        conflict};
		PGresult *res = app_row_or_reply(r, &q_logs, params, "EVENT_NOT_FOUND");
		if (res == NULL)
			return;
		app_reply_list(r, res, page, limit);
	}
}
