/* test_perm.c — the permission rule as one table:
 * (who, event, required level) → result. */
#include "unit.h"

#include "perm.h"
#include "tk.h"

/* Event 1 and 2 exist; 3 is one nobody below is assigned to. */
static struct perm_assignment viewer1[] = {{1, 1, "aaa", "A"}};
static struct perm_assignment staff1[] = {{1, 2, "aaa", "A"}};
static struct perm_assignment manager1[] = {{1, 3, "aaa", "A"}};
static struct perm_assignment level4_1[] = {{1, 4, "aaa", "A"}};
static struct perm_assignment level5_1[] = {{1, 5, "aaa", "A"}};
static struct perm_assignment level8_1[] = {{1, 8, "aaa", "A"}};
static struct perm_assignment level9_1[] = {{1, 9, "aaa", "A"}};
static struct perm_assignment mixed[] = {{1, 1, "aaa", "A"}, {2, 3, "bbb", "B"}};

static const struct principal p_super = {1, 1, "root", "Root", true, 0, NULL};
static const struct principal p_super_assigned = {2, 1, "root2", "Root", true, 1, viewer1};
static const struct principal p_none = {3, 1, "nobody", "N", false, 0, NULL};
static const struct principal p_viewer = {4, 1, "v", "V", false, 1, viewer1};
static const struct principal p_staff = {5, 1, "s", "S", false, 1, staff1};
static const struct principal p_manager = {6, 1, "m", "M", false, 1, manager1};
static const struct principal p_l4 = {7, 1, "l4", "L4", false, 1, level4_1};
static const struct principal p_l5 = {8, 1, "l5", "L5", false, 1, level5_1};
static const struct principal p_l8 = {9, 1, "l8", "L8", false, 1, level8_1};
static const struct principal p_l9 = {10, 1, "l9", "L9", false, 1, level9_1};
static const struct principal p_mixed = {11, 1, "mx", "MX", false, 2, mixed};

#define OK PERM_OK
#define NO PERM_DENIED
#define EV PERM_EVENT_DENIED

static const struct {
	const struct principal *p;
	int64_t event;
	int required;
	enum perm_result want;
	const char *what;
} cases[] = {
    /* Public and login routes. */
    {NULL, 0, PERM_PUBLIC, OK, "anonymous, public"},
    {NULL, 1, PERM_PUBLIC, OK, "anonymous, public with an event"},
    {NULL, 0, PERM_LOGIN, NO, "anonymous, login"},
    {NULL, 1, PERM_VIEWER, NO, "anonymous, viewer"},
    {NULL, 0, PERM_SUPER, NO, "anonymous, super"},
    {&p_none, 0, PERM_LOGIN, OK, "no assignments, login"},
    {&p_none, 0, PERM_PUBLIC, OK, "no assignments, public"},
    {&p_none, 1, PERM_VIEWER, EV, "no assignments, viewer"},
    {&p_none, 0, PERM_SUPER, NO, "no assignments, super"},
    /* Super admin: everything, every event. */
    {&p_super, 1, PERM_VIEWER, OK, "super, viewer"},
    {&p_super, 3, PERM_MANAGER, OK, "super, manager on an unassigned event"},
    {&p_super, 0, PERM_SUPER, OK, "super, super route"},
    {&p_super, 0, PERM_LOGIN, OK, "super, login"},
    {&p_super_assigned, 1, PERM_MANAGER, OK, "super with a viewer assignment, manager"},
    /* Viewer on 1. */
    {&p_viewer, 1, PERM_VIEWER, OK, "viewer, viewer"},
    {&p_viewer, 1, PERM_STAFF, NO, "viewer, staff"},
    {&p_viewer, 1, PERM_MANAGER, NO, "viewer, manager"},
    {&p_viewer, 2, PERM_VIEWER, EV, "viewer, other event"},
    {&p_viewer, 0, PERM_VIEWER, EV, "viewer, no event"},
    {&p_viewer, 1, PERM_SUPER, NO, "viewer, super"},
    {&p_viewer, 1, PERM_LOGIN, OK, "viewer, login"},
    /* Staff on 1. */
    {&p_staff, 1, PERM_VIEWER, OK, "staff, viewer"},
    {&p_staff, 1, PERM_STAFF, OK, "staff, staff"},
    {&p_staff, 1, PERM_MANAGER, NO, "staff, manager"},
    {&p_staff, 2, PERM_STAFF, EV, "staff, other event"},
    /* Manager on 1. */
    {&p_manager, 1, PERM_VIEWER, OK, "manager, viewer"},
    {&p_manager, 1, PERM_STAFF, OK, "manager, staff"},
    {&p_manager, 1, PERM_MANAGER, OK, "manager, manager"},
    {&p_manager, 2, PERM_MANAGER, EV, "manager, other event"},
    {&p_manager, 0, PERM_SUPER, NO, "manager, super"},
    /* Levels 4–8 act as MANAGER. */
    {&p_l4, 1, PERM_MANAGER, OK, "level 4, manager"},
    {&p_l4, 1, PERM_VIEWER, OK, "level 4, viewer"},
    {&p_l5, 1, PERM_MANAGER, OK, "level 5, manager"},
    {&p_l5, 1, PERM_STAFF, OK, "level 5, staff"},
    {&p_l8, 1, PERM_MANAGER, OK, "level 8, manager"},
    {&p_l8, 2, PERM_MANAGER, EV, "level 8, other event"},
    {&p_l8, 0, PERM_SUPER, NO, "level 8, super"},
    /* An assignment at level 9 is full rights on that event only; it is not
     * the super-admin role. */
    {&p_l9, 1, PERM_MANAGER, OK, "level 9 assignment, manager on its event"},
    {&p_l9, 2, PERM_VIEWER, EV, "level 9 assignment, other event"},
    {&p_l9, 0, PERM_SUPER, NO, "level 9 assignment, super route"},
    {&p_l9, 1, PERM_SUPER, NO, "level 9 assignment, super route with its event"},
    /* Different levels on different events. */
    {&p_mixed, 1, PERM_VIEWER, OK, "viewer on 1, viewer on 1"},
    {&p_mixed, 1, PERM_MANAGER, NO, "viewer on 1, manager on 1"},
    {&p_mixed, 2, PERM_MANAGER, OK, "manager on 2, manager on 2"},
    {&p_mixed, 3, PERM_VIEWER, EV, "neither on 3"},
};

START_TEST(check_table)
{
	enum perm_result got = perm_check(cases[_i].p, cases[_i].event, cases[_i].required);
	ck_assert_msg(got == cases[_i].want, "%s: got %d want %d", cases[_i].what, got,
	              cases[_i].want);
}
END_TEST

static const struct {
	const struct principal *p;
	int64_t event;
	int want;
} level_cases[] = {
    {NULL, 1, 0},
    {&p_none, 1, 0},
    {&p_super, 1, PERM_SUPER},
    {&p_super, 99, PERM_SUPER},
    {&p_viewer, 1, 1},
    {&p_viewer, 2, 0},
    {&p_l5, 1, 5},
    {&p_l9, 1, 9},
    {&p_mixed, 1, 1},
    {&p_mixed, 2, 3},
    {&p_mixed, 3, 0},
};

START_TEST(level_on_table)
{
	ck_assert_int_eq(perm_level_on(level_cases[_i].p, level_cases[_i].event),
	                 level_cases[_i].want);
}
END_TEST

static const struct {
	int level;
	const char *name;
} name_cases[] = {
    {1, "VIEWER"},  {2, "STAFF"},   {3, "MANAGER"},       {4, "MANAGER"},
    {5, "MANAGER"}, {8, "MANAGER"}, {9, "SUPER_ADMIN"},   {0, "NONE"},
    {10, "NONE"},   {-1, "NONE"},   {PERM_LOGIN, "NONE"},
};

START_TEST(level_name_table)
{
	ck_assert_str_eq(perm_level_name(name_cases[_i].level), name_cases[_i].name);
}
END_TEST

static Suite *perm_suite(void)
{
	Suite *s = suite_create("perm");
	TCase *tc = tcase_create("rule");

	tcase_add_loop_test(tc, check_table, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, level_on_table, 0, (int)TK_ARRAY_LEN(level_cases));
	tcase_add_loop_test(tc, level_name_table, 0, (int)TK_ARRAY_LEN(name_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(perm_suite());
}
