/* payment — Toss Payments callbacks: /fcgi/payment/. */
#include "payment.h"
#include "app.h"

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "success", payment_success, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "fail", payment_fail, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "confirm", payment_confirm_route, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_POST, "webhook", payment_webhook, PERM_PUBLIC, SCOPE_NONE},
};

/* Money: commits wait for the disk (no synchronous_commit = off here). */
static const struct app_family family = {
    .name = "payment",
    .prefix = "/fcgi/payment/",
    .routes = routes,
    .n_routes = TK_ARRAY_LEN(routes),
    .needs_kv = true,
};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
