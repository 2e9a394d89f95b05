/*
 * perm.h — who may do what. The one place the permission rule lives.
 *
 * Levels are per exhibition: an admin is assigned to events, each with a
 * level. 1 VIEWER, 2 STAFF, 3 MANAGER; 4–8 are valid and carry MANAGER
 * rights; 9 SUPER_ADMIN. A super admin (admins.is_super) has every right on
 * every event and alone may use the super-admin routes.
 *
 * Every route declares the level it needs in its routing-table entry
 * (router.h); the dispatcher calls perm_check before the handler runs.
 */
#ifndef PERM_H
#define PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum perm_level {
	PERM_PUBLIC = 0,  /* no login */
	PERM_VIEWER = 1,  /* event-scoped */
	PERM_STAFF = 2,   /* event-scoped */
	PERM_MANAGER = 3, /* event-scoped */
	PERM_SUPER = 9,   /* super admin only */
	PERM_LOGIN = 100, /* any logged-in, active admin; no event involved */
};

struct perm_assignment {
	int64_t event_id;
	int level;
	const char *code;
	const char *title;
};

/* The authenticated admin of a request. Lives in the request arena. */
struct principal {
	int64_t admin_id;
	int64_t session_id;
	const char *username;
	const char *name;
	bool is_super;
	size_t n_events;
	struct perm_assignment *events;
};

enum perm_result {
	PERM_OK,
	PERM_DENIED,       /* 403 FORBIDDEN: level too low, or super-admin route */
	PERM_EVENT_DENIED, /* 403 EVENT_FORBIDDEN: not assigned to that event */
};

/* The admin's level on an event: 9 for a super admin, the assignment's
 * level, or 0 when not assigned. */
int perm_level_on(const struct principal *p, int64_t event_id);

/* Whether p may use a route needing `required` on `event_id` (0 for routes
 * that are not about one event). PERM_PUBLIC and PERM_LOGIN pass for any
 * principal; PERM_SUPER needs is_super; levels 1–8 need an assignment on
 * event_id at that level or above (levels 4–8 count as MANAGER). */
enum perm_result perm_check(const struct principal *p, int64_t event_id, int required);

/* The name of a level ("VIEWER", "STAFF", "MANAGER", "SUPER_ADMIN"). */
const char *perm_level_name(int level);

#endif
