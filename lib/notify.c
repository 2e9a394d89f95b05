/*
 * notify.c — managers' actions on the notification outbox.
 */
#include "notify.h"

#include "app.h"
#include "audit.h"
#include "db.h"
#include "event.h"

#include <cjson/cJSON.h>
#include <string.h>

static struct db_stmt q_lock = DB_STMT(
    "SELECT n.id, n.status FROM notifications n"
    " WHERE n.id = $3 AND n.order_id = $2 AND n.event_id = $1 FOR UPDATE",
    3);

static struct db_stmt q_requeue = DB_STMT(
    "UPDATE notifications SET status = 'pending', attempts = 0, resends = resends + 1,"
    "   next_attempt_at = now(), last_error = NULL"
    " WHERE id = $1"
    " RETURNING json_build_object('id', id, 'order_id', order_id,"
    "   'template_code', template_code, 'recipient', recipient, 'status', status,"
    "   'attempts', attempts, 'resends', resends, 'next_attempt_at', iso(next_attempt_at))::text"
    "   AS obj",
    1);

void notify_resend(struct http_req *r)
{
	int64_t oid, nid;
	PGresult *res;
	const char *status, *id;
	cJSON *obj, *sum;
	enum db_err e;

	if (!app_param_id_or_reply(r, "oid", &oid, "NOT_FOUND") ||
	    !app_param_id_or_reply(r, "nid", &nid, "NOT_FOUND") || !event_lock_or_reply(r))
		return;
	{
		const char *p[] = {db_param_i64(r->arena, r->event_id), db_param_i64(r->arena, oid),
		                   db_param_i64(r->arena, nid)};
		if ((res = app_row_or_reply(r, &q_lock, p, "NOT_FOUND")) == NULL)
			return;
	}
	status = db_str(res, 0, "status");
	if (strcmp(status, "pending") == 0 || strcmp(status, "sending") == 0) {
		db_rollback();
		http_reply_error(r, "CONFLICT", NULL);
		return;
	}
	id = db_param_i64(r->arena, nid);
	if ((e = db_exec(r->arena, &q_requeue, (const char *[]){id}, &res)) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	sum = http_own(r, cJSON_CreateObject());
	cJSON_AddNumberToObject(sum, "order_id", (double)oid);
	cJSON_AddStringToObject(sum, "previous_status", status);
	if ((e = audit_log(r, r->event_id, "notification.resend", "notification", id, sum)) !=
	        DB_OK ||
	    (e = db_commit()) != DB_OK) {
		app_reply_db_error(r, e);
		return;
	}
	obj = cJSON_Parse(db_str(res, 0, "obj"));
	app_reply_object(r, 200, "notification", obj);
}
