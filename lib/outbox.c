/*
 * outbox.c — the Alimtalk sender (see outbox.h).
 */
#include "outbox.h"

#include "alimtalk.h"
#include "config.h"
#include "log.h"
#include "tk.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBOX_LEASE_MS 60000
#define OUTBOX_BATCH 100
#define OUTBOX_INTERVAL_MS 1000
#define OUTBOX_BUDGET_MS 2000
#define OUTBOX_REASON_MAX 900 /* characters of last_error (the column allows 1000) */

static const int64_t default_backoff[] = {10000, 60000, 300000, 1800000, 7200000};

/* Claims due rows for a lease; attempts counts this attempt. */
static struct db_stmt q_claim = DB_STMT(
    "UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1,"
    "   next_attempt_at = now() + $2::bigint * interval '1 millisecond'"
    " WHERE n.id IN (SELECT id FROM notifications"
    "   WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()"
    "   ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " RETURNING n.id, n.template_code, n.recipient, n.params::text AS params, n.attempts,"
    " n.resends",
    2);

/* Claimed rows a pass had no time left for: due again at once. */
static struct db_stmt q_unclaim = DB_STMT(
    "UPDATE notifications SET status = 'pending', attempts = attempts - 1, next_attempt_at = now()"
    " WHERE id = ANY($1::bigint[]) AND status = 'sending'",
    1);

/* The outcome of an attempt; only a row still 'sending' (ours) changes. */
static struct db_stmt q_done = DB_STMT(
    "UPDATE notifications SET status = $2, provider_request_id = NULLIF($3, ''),"
    "   provider_result_code = $4::int, provider_result = $5, last_error = $6,"
    "   sent_at = CASE WHEN $2 IN ('sent', 'resent_sms') THEN now() END,"
    "   next_attempt_at = now() + COALESCE($7::bigint, 0) * interval '1 millisecond'"
    " WHERE id = $1 AND status = 'sending'",
    7);

static int64_t setting_i64(const char *key, int64_t min, int64_t max, int64_t def)
{
	const char *v = config_get(key);
	int64_t n;
	return v && tk_parse_i64(v, min, max, &n) ? n : def;
}

/* The retry delays; *n of them. */
static const int64_t *backoff(size_t *n)
{
	static int64_t parsed[OUTBOX_MAX_BACKOFF];
	static size_t n_parsed;
	static bool done;
	const char *v;

	if (!done) {
		done = true;
		v = config_get("TICKET_OUTBOX_BACKOFF_MS");
		while (v && *v && n_parsed < OUTBOX_MAX_BACKOFF) {
			char item[24];
			size_t len = strcspn(v, ",");
			int64_t ms;
			snprintf(item, sizeof(item), "%.*s", (int)(len < 23 ? len : 23), v);
			if (!tk_parse_i64(item, 1, 7 * 86400000LL, &ms)) {
				log_event(LOG_WARN, "outbox_config", "msg",
				          "ignored: not a list of ms", "key",
				          "TICKET_OUTBOX_BACKOFF_MS", NULL);
				n_parsed = 0;
				break;
			}
			parsed[n_parsed++] = ms;
			v += len;
			if (*v == ',')
				v++;
		}
	}
	if (n_parsed > 0) {
		*n = n_parsed;
		return parsed;
	}
	*n = TK_ARRAY_LEN(default_backoff);
	return default_backoff;
}

int64_t outbox_budget_ms(void)
{
	return setting_i64("TICKET_OUTBOX_BUDGET_MS", 100, 3600000, OUTBOX_BUDGET_MS);
}

int64_t outbox_interval_ms(void)
{
	return setting_i64("TICKET_OUTBOX_INTERVAL_MS", 10, 3600000, OUTBOX_INTERVAL_MS);
}

/* What the row becomes after an attempt. */
struct verdict {
	const char *status;
	const char *error;    /* last_error, or NULL */
	const char *retry_ms; /* delay before the next attempt, or NULL */
};

static struct verdict decide(struct arena *a, enum alimtalk_outcome o,
                             const struct alimtalk_result *res, int64_t attempts)
{
	struct verdict v = {"failed", NULL, NULL};
	size_t n;
	const int64_t *delays = backoff(&n);

	switch (o) {
	case ALIMTALK_SENT:
	case ALIMTALK_ALREADY: v.status = "sent"; break;
	case ALIMTALK_RESENT: v.status = "resent_sms"; break;
	case ALIMTALK_REFUSED: v.error = arena_printf(a, "refused: %s", res->text); break;
	case ALIMTALK_TRANSIENT:
		if (attempts >= 1 && (size_t)attempts <= n) {
			v.status = "pending";
			v.error = arena_printf(a, "attempt %lld: %s", (long long)attempts,
			                       res->text);
			v.retry_ms = db_param_i64(a, delays[attempts - 1]);
		} else {
			v.error = arena_printf(a, "gave up after %lld attempts: %s",
			                       (long long)attempts, res->text);
		}
		break;
	}
	return v;
}

/* Sends one claimed row and records what came of it. */
static enum db_err send_row(struct arena *a, const PGresult *rows, int i, struct outbox_stats *st)
{
	const char *id = db_str(rows, i, "id"), *code = db_str(rows, i, "template_code");
	const char *to = db_str(rows, i, "recipient");
	int64_t attempts = db_i64(rows, i, "attempts"), resends = db_i64(rows, i, "resends");
	/* A manager's resend is a new message: a key of its own. */
	const char *key = resends ? arena_printf(a, "%s-r%lld", id, (long long)resends) : id;
	cJSON *params = cJSON_Parse(db_str(rows, i, "params"));
	struct alimtalk_result res;
	enum alimtalk_outcome o;
	struct verdict v;
	enum db_err e;

	o = alimtalk_send(a, key, code, to, params, &res);
	cJSON_Delete(params);
	if (o == ALIMTALK_REFUSED && res.code == ALIMTALK_RESULT_MISMATCH)
		log_event(LOG_ERROR, "alimtalk_template_mismatch", "msg",
		          "the text does not match the registered template: a bug in the params",
		          "id", id, "template", code, "result", res.text, NULL);
	v = decide(a, o, &res, attempts);
	{
		const char *p[] = {id,
		                   v.status,
		                   res.request_id,
		                   res.http_status || res.code ? db_param_i64(a, res.code) : NULL,
		                   res.text,
		                   v.error,
		                   v.retry_ms};
		/* Without waiting for the disk: a status lost in a crash only
		 * means the row is sent again with its key, which the provider
		 * answers as a repeat (-1005) and the row ends sent. */
		if ((e = db_begin()) == DB_OK &&
		    (e = db_exec_sql("SET LOCAL synchronous_commit = off")) == DB_OK &&
		    (e = db_exec(a, &q_done, p, NULL)) == DB_OK)
			e = db_commit();
		if (e != DB_OK)
			db_rollback();
	}
	if (strcmp(v.status, "sent") == 0)
		st->sent++;
	else if (strcmp(v.status, "resent_sms") == 0)
		st->resent++;
	else if (strcmp(v.status, "pending") == 0)
		st->retry++;
	else
		st->failed++;
	return e;
}

/* Gives rows [from, n) of a claim back (the pass ran out of time). */
static enum db_err unclaim(struct arena *a, const PGresult *rows, int from)
{
	size_t cap = 3, len = 0;
	char *ids;

	for (int i = from; i < PQntuples(rows); i++)
		cap += strlen(db_str(rows, i, "id")) + 1;
	ids = arena_alloc(a, cap);
	ids[len++] = '{';
	for (int i = from; i < PQntuples(rows); i++)
		len += (size_t)snprintf(ids + len, cap - len, "%s%s", i > from ? "," : "",
		                        db_str(rows, i, "id"));
	snprintf(ids + len, cap - len, "}");
	return db_exec(a, &q_unclaim, (const char *[]){ids}, NULL);
}

enum db_err outbox_send_due(struct arena *a, int64_t budget_ms, struct outbox_stats *st)
{
	const char *p[] = {
	    db_param_i64(a, setting_i64("TICKET_OUTBOX_BATCH", 1, OUTBOX_BATCH_MAX, OUTBOX_BATCH)),
	    db_param_i64(a, setting_i64("TICKET_OUTBOX_LEASE_MS", 100, 86400000, OUTBOX_LEASE_MS))};
	int64_t t0 = tk_now_ms();
	PGresult *rows;
	enum db_err e;

	memset(st, 0, sizeof(*st));
	/* One statement, its own transaction: the claim is committed before any
	 * message leaves, so no row lock is held across the provider's calls. */
	if ((e = db_exec(a, &q_claim, p, &rows)) != DB_OK)
		return e;
	st->claimed = (size_t)PQntuples(rows);
	for (int i = 0; i < PQntuples(rows); i++) {
		if (budget_ms > 0 && tk_now_ms() - t0 >= budget_ms) {
			/* A slow provider must not hold up the daemon's other work:
			 * what is left goes back, due now, for the next pass. */
			st->claimed = (size_t)i;
			return unclaim(a, rows, i);
		}
		if ((e = send_row(a, rows, i, st)) != DB_OK)
			return e; /* the row stays 'sending' and is taken again after the lease */
	}
	return DB_OK;
}
