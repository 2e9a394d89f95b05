/* audit.c — activity_log writes. */
#include "audit.h"

#include "perm.h"

#include <stdlib.h>

static struct db_stmt q_insert = DB_STMT(
    "INSERT INTO activity_log (admin_id, admin_username, level, event_id, action, target_type,"
    " target_id, summary, ip, user_agent, request_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::jsonb, '{}'::jsonb), $9::inet, "
    "COALESCE($10, ''), $11)",
    11);

enum db_err audit_log_as(struct http_req *r, int64_t admin_id, const char *username,
                         int64_t event_id, const char *action, const char *target_type,
                         const char *target_id, const cJSON *summary)
{
	const char *level = NULL;
	char *sum = NULL;
	enum db_err e;

	if (r->principal && r->principal->admin_id == admin_id) {
		int lv = event_id ? perm_level_on(r->principal, event_id)
		                  : (r->principal->is_super ? PERM_SUPER : 0);
		if (lv)
			level = db_param_i64(r->arena, lv);
	}
	if (summary)
		sum = cJSON_PrintUnformatted(summary);
	{
		const char *params[] = {
		    admin_id ? db_param_i64(r->arena, admin_id) : NULL,
		    username,
		    level,
		    event_id ? db_param_i64(r->arena, event_id) : NULL,
		    action,
		    target_type,
		    target_id,
		    sum,
		    r->remote_addr && *r->remote_addr ? r->remote_addr : NULL,
		    r->user_agent,
		    r->request_id,
		};
		e = db_exec(r->arena, &q_insert, params, NULL);
	}
	cJSON_free(sum);
	return e;
}

enum db_err audit_log(struct http_req *r, int64_t event_id, const char *action,
                      const char *target_type, const char *target_id, const cJSON *summary)
{
	const struct principal *p = r->principal;
	return audit_log_as(r, p ? p->admin_id : 0, p ? p->username : NULL, event_id, action,
	                    target_type, target_id, summary);
}
