/* public — customer booking: /fcgi/public/. */
#include "app.h"
#include "booking.h"
#include "event.h"
#include "invitation.h"
#include "notice.h"
#include "order.h"
#include "queue.h"

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}", event_public_get, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/notices", notice_public_list, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/notices/{id}", notice_public_get, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/products", booking_products, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "events/{code}/reservations", booking_reserve, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/reservations/{token}", booking_get, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "events/{code}/reservations/{token}/extend", booking_extend, PERM_PUBLIC,
     SCOPE_NONE},
    {HTTP_DELETE, "events/{code}/reservations/{token}", booking_cancel, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/orders/{order_number}", order_public_get, PERM_PUBLIC, SCOPE_NONE},
    /* {file} is "<ticket code>.svg": the router matches whole segments. */
    {HTTP_GET, "tickets/{file}", order_ticket_svg, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "events/{code}/queue", queue_join, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/queue/{queue_id}", queue_poll, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_DELETE, "events/{code}/queue/{queue_id}", queue_leave, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "invitations/{token}", invitation_public_get, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "invitations/{token}/claims", invitation_claim, PERM_PUBLIC, SCOPE_NONE},
};

/* The public family writes holds (pending orders), never money: a crash may
 * lose the last few holds, which then simply expire, so its commits do not
 * wait for the disk. Payments commit synchronously in their own family;
 * invitation claims (tickets) set synchronous_commit on for their own. */
static const struct app_family family = {
    .name = "public",
    .prefix = "/fcgi/public/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = true,
    .db_session_sql = "SET synchronous_commit = off",
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
