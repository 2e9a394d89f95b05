/*
 * notify.h — the admin side of the notification outbox (table
 * notifications; the sender is outbox.h).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "http.h"

/* POST events/{id}/orders/{oid}/notifications/{nid}/resend (MANAGER+):
 * queues the notification again as a new message (resends + 1, so its
 * idempotency key differs from the earlier sends), status pending, due now;
 * activity "notification.resend". 200 {"notification":{id, order_id,
 * template_code, recipient, status, attempts, resends, next_attempt_at}}.
 * 404 NOT_FOUND when the ids name no notification of that order of the
 * event; 409 CONFLICT while it is still pending or being sent. */
void notify_resend(struct http_req *r);

#endif
