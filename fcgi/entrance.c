/* entrance — gate scanning: /fcgi/entrance/. */
#include "account.h"
#include "app.h"
#include "scan.h"

static void h_login(struct http_req *r)
{
	account_login(r, PERM_STAFF);
}

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "login", h_login, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "logout", account_logout, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "me", account_me, PERM_LOGIN, SCOPE_NONE},
    {HTTP_POST, "scan", scan_scan, PERM_STAFF, SCOPE_BODY_EVENT},
    {HTTP_POST, "manual", scan_manual, PERM_MANAGER, SCOPE_BODY_EVENT},
    {HTTP_GET, "events/{id}/offline-kit", scan_offline_kit, PERM_STAFF, SCOPE_PATH_ID},
    {HTTP_POST, "offline-scans", scan_offline_upload, PERM_STAFF, SCOPE_BODY_EVENT},
};

static const struct app_family family = {
    .name = "entrance",
    .prefix = "/fcgi/entrance/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = true,
    .principal_or_reply = account_principal_or_reply,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
