/* public — customer booking: /fcgi/public/. */
#include "app.h"
#include "event.h"
#include "notice.h"

static const struct route routes[] = {
    {HTTP_GET, "health", app_health, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}", event_public_get, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/notices", notice_public_list, PERM_PUBLIC, SCOPE_NONE},
    {HTTP_GET, "events/{code}/notices/{id}", notice_public_get, PERM_PUBLIC, SCOPE_NONE},
};

static const struct app_family family = {"public", "/fcgi/public/", routes, TK_ARRAY_LEN(routes),
                                         true};

int main(int argc, char **argv)
{
	return app_main(argc, argv, &family);
}
