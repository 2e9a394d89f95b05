/* payment — Toss Payments callbacks: /fcgi/payment/. */
#include "app.h"

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
};

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
