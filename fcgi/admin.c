/* admin — exhibition managers: /fcgi/admin/. */
#include "account.h"
#include "activity.h"
#include "app.h"
#include "event.h"
#include "invitation.h"
#include "notice.h"
#include "notify.h"
#include "orders.h"
#include "product.h"
#include "quota.h"
#include "sales.h"
#include "scan.h"

static void h_login(struct http_req *r)
{
	account_login(r, 0);
}

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "login", h_login, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "logout", account_logout, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "me", account_me, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "events", event_list_mine, PERM_LOGIN, SCOPE_NONE},
    {HTTP_GET, "events/{id}", event_get_scoped, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/products", product_list, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/products", product_create, PERM_STAFF, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/products/{pid}", product_get, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_PUT, "events/{id}/products/{pid}", product_update, PERM_STAFF, SCOPE_PATH_ID},
    {HTTP_DELETE, "events/{id}/products/{pid}", product_delete, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/quotas", quota_list, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/quotas", quota_create, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/quotas/{qid}", quota_get, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_PUT, "events/{id}/quotas/{qid}", quota_update, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/notices", notice_list, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/notices", notice_create, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/notices/{nid}", notice_get, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_PUT, "events/{id}/notices/{nid}", notice_update, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_DELETE, "events/{id}/notices/{nid}", notice_delete, PERM_MANAGER, SCOPE_PATH_ID},
    /* orders/export before orders/{oid}: the first matching pattern wins. */
    {HTTP_GET, "events/{id}/orders", orders_list, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/orders/export", orders_export, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/orders/{oid}", orders_get, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/orders/{oid}/refund", orders_refund, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/orders/{oid}/notifications/{nid}/resend", notify_resend, PERM_MANAGER,
     SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/activity", activity_list_event, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/entrance/stats", scan_stats, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/entrance/logs", scan_logs, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/dashboard", sales_dashboard, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/stats/sales", sales_stats, PERM_VIEWER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/invitations", invitation_list, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_POST, "events/{id}/invitations", invitation_create, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/invitations/{bid}", invitation_get, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_DELETE, "events/{id}/invitations/{bid}", invitation_revoke, PERM_MANAGER, SCOPE_PATH_ID},
    {HTTP_GET, "events/{id}/invitations/{bid}/claims/export", invitation_export, PERM_MANAGER,
     SCOPE_PATH_ID},
};

static const struct app_family family = {
    .name = "admin",
    .prefix = "/fcgi/admin/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = true,
    .principal_or_reply = account_principal_or_reply,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
