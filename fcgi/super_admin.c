/* super_admin — the super admin: /fcgi/super-admin/. Every route but
 * health and login needs PERM_SUPER; none is scoped to one event (the
 * events routes take the event id as an ordinary {id}: 404 EVENT_NOT_FOUND
 * for unknown ids, never 403). The handlers live in lib/event, admins,
 * settings and activity. */
#include "account.h"
#include "activity.h"
#include "admins.h"
#include "app.h"
#include "event.h"
#include "sales.h"
#include "settings.h"

static void h_login(struct http_req *r)
{
	account_login(r, 0);
}

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "login", h_login, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "logout", account_logout, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "me", account_me, PERM_LOGIN, SCOPE_NONE},

    {HTTP_GET, "events", event_list, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "events", event_create, PERM_SUPER, SCOPE_NONE},
    {HTTP_GET, "events/{id}", event_get, PERM_SUPER, SCOPE_NONE},
    {HTTP_PUT, "events/{id}", event_update, PERM_SUPER, SCOPE_NONE},
    {HTTP_DELETE, "events/{id}", event_delete, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "events/{id}/activate", event_activate, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "events/{id}/deactivate", event_deactivate, PERM_SUPER, SCOPE_NONE},

    {HTTP_GET, "admins", admins_list, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "admins", admins_create, PERM_SUPER, SCOPE_NONE},
    {HTTP_GET, "admins/{id}", admins_get, PERM_SUPER, SCOPE_NONE},
    {HTTP_PUT, "admins/{id}", admins_update, PERM_SUPER, SCOPE_NONE},
    {HTTP_DELETE, "admins/{id}", admins_delete, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "admins/{id}/reset-password", admins_reset_password, PERM_SUPER, SCOPE_NONE},
    {HTTP_POST, "admins/{id}/unlock", admins_unlock, PERM_SUPER, SCOPE_NONE},
    {HTTP_PUT, "admins/{id}/events", admins_set_events, PERM_SUPER, SCOPE_NONE},

    {HTTP_GET, "activity", activity_list, PERM_SUPER, SCOPE_NONE},

    {HTTP_GET, "settings", settings_get, PERM_SUPER, SCOPE_NONE},
    {HTTP_PUT, "settings", settings_put, PERM_SUPER, SCOPE_NONE},

    {HTTP_GET, "analytics/overview", sales_overview, PERM_SUPER, SCOPE_NONE},
    {HTTP_GET, "analytics/events", sales_events, PERM_SUPER, SCOPE_NONE},
    {HTTP_GET, "analytics/revenue", sales_revenue, PERM_SUPER, SCOPE_NONE},
    {HTTP_GET, "analytics/realtime", sales_realtime, PERM_SUPER, SCOPE_NONE},
};

static const struct app_family family = {
    .name = "super_admin",
    .prefix = "/fcgi/super-admin/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = true,
    .principal_or_reply = account_principal_or_reply,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
