/*
 * outbox.h — the Alimtalk sender: sends the notification outbox
 * (table notifications, rows inserted by the changes they announce).
 *
 * A pass claims due rows (status pending, or sending whose lease ran out
 * because a sender died mid-send) with FOR UPDATE SKIP LOCKED and marks them
 * 'sending' for a lease, commits, then sends each row with its id as the
 * idempotency key and records the outcome:
 *   sent        delivered by KakaoTalk (or an earlier attempt with the same
 *               key was, -1005)
 *   resent_sms  Kakao could not deliver; the SMS/LMS fallback did
 *   failed      refused for good (3016 template mismatch — a bug, logged as
 *               an error —, an unknown template, no fallback), or still
 *               failing after the last retry; last_error says why
 *   pending     a 5xx or timeout: tried again after the backoff
 * The idempotency key is the row id ('<id>-r<n>' after a manager's n-th
 * resend, which is a new message). Two senders never send one row at once,
 * and a sender killed mid-send leaves the row to be sent again with the
 * same key after the lease, which the provider refuses as a repeat: no
 * duplicate message.
 *
 * Settings (environment):
 *   TICKET_OUTBOX_BACKOFF_MS  retry delays, comma-separated
 *                             [10000,60000,300000,1800000,7200000]
 *   TICKET_OUTBOX_LEASE_MS    how long a claimed row is left alone [60000]
 *   TICKET_OUTBOX_BATCH       rows claimed per pass [100]
 *   TICKET_OUTBOX_INTERVAL_MS the daemon's pause between passes [1000]
 *   TICKET_OUTBOX_BUDGET_MS   the daemon's time for one pass [2000]
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include "arena.h"
#include "db.h"

#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MAX_BACKOFF 16 /* retry delays in TICKET_OUTBOX_BACKOFF_MS */
#define OUTBOX_BATCH_MAX 1000

struct outbox_stats {
	size_t claimed, sent, resent, failed, retry;
};

/* One pass: claims up to TICKET_OUTBOX_BATCH due rows and sends them; once
 * budget_ms (> 0) has passed, the rows not yet sent go back, due at once,
 * so a slow provider never holds the caller up for long (0: no bound).
 * DB_OK (stats filled; claimed counts the rows it kept) or the database
 * error. */
enum db_err outbox_send_due(struct arena *a, int64_t budget_ms, struct outbox_stats *st);

/* The daemon's time budget of one pass (TICKET_OUTBOX_BUDGET_MS). */
int64_t outbox_budget_ms(void);

/* The daemon's pause between passes (TICKET_OUTBOX_INTERVAL_MS). */
int64_t outbox_interval_ms(void);

#endif
