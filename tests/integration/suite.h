/*
 * suite.h — how a scenario file joins the one integration binary.
 *
 * Each tests/integration/t_<scenario>.c builds one Check suite named after
 * the scenario and registers it with TSUITE(fn); main.c runs every
 * registered suite in name order (CK_RUN_SUITE=<name> picks one). Adding a scenario is
 * adding a file: the Makefile links every t_*.c, and nothing else lists them.
 */
#ifndef SUITE_H
#define SUITE_H

#include <check.h>
#include <stdbool.h>

typedef Suite *(*suite_fn)(void);

/* name must equal the name the suite is created with (CK_RUN_SUITE uses
 * it); needs_fixture says whether the suite uses fx() (fixture.h), so a run
 * of only the other suites does not create fixtures. */
void suite_register(const char *name, suite_fn fn, bool needs_fixture);

#define TSUITE(name, fn, needs_fixture) \
	static void tsuite_reg_##fn(void) __attribute__((constructor)); \
	static void tsuite_reg_##fn(void) \
	{ \
		suite_register((name), (fn), (needs_fixture)); \
	}

/* A test case with the suite's timeout (the client's own timeouts keep any
 * single request bounded; this bounds a whole case in fork mode). */
TCase *tcase_new(const char *name);

#endif
