/* perm.c — the permission rule. */
#include "perm.h"

int perm_level_on(const struct principal *p, int64_t event_id)
{
	if (p == NULL)
		return 0;
	if (p->is_super)
		return PERM_SUPER;
	for (size_t i = 0; i < p->n_events; i++)
		if (p->events[i].event_id == event_id)
			return p->events[i].level;
	return 0;
}

enum perm_result perm_check(const struct principal *p, int64_t event_id, int required)
{
	int have;

	if (required == PERM_PUBLIC)
		return PERM_OK;
	if (p == NULL)
		return PERM_DENIED;
	if (required == PERM_LOGIN)
		return PERM_OK;
	if (required >= PERM_SUPER)
		return p->is_super ? PERM_OK : PERM_DENIED;
	if (p->is_super)
		return PERM_OK;
	have = perm_level_on(p, event_id);
	if (have == 0)
		return PERM_EVENT_DENIED;
	/* An assignment of 9 on one event is full rights on that event, not the
	 * super-admin role: the route level decides, capped below PERM_SUPER. */
	return have >= required ? PERM_OK : PERM_DENIED;
}

const char *perm_level_name(int level)
{
	switch (level) {
	case 1: return "VIEWER";
	case 2: return "STAFF";
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
	case 8: return "MANAGER";
	case 9: return "SUPER_ADMIN";
	default: return "NONE";
	}
}
