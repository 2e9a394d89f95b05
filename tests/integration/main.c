/*
 * main.c — runs every registered scenario suite against the stack at
 * TICKET_BASE_URL. Environment: CK_RUN_SUITE / CK_RUN_CASE pick a suite and
 * cases (Check reads them), CK_FORK=no runs in one process (fixtures are
 * made once either way: they are created here, before any fork).
 *
 * Exit status: 0 when every test passed, 1 when one failed, 2 when the
 * filter selected no test at all.
 */
#include "fixture.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUITES 64

struct entry {
	const char *name;
	suite_fn fn;
	bool needs_fixture;
};

static struct entry suites[MAX_SUITES];
static size_t n_suites;

void suite_register(const char *name, suite_fn fn, bool needs_fixture)
{
	if (n_suites == MAX_SUITES) {
		fprintf(stderr, "itest: more than %d suites\n", MAX_SUITES);
		exit(2);
	}
	suites[n_suites].name = name;
	suites[n_suites].fn = fn;
	suites[n_suites].needs_fixture = needs_fixture;
	n_suites++;
}

TCase *tcase_new(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, 120);
	return tc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

int main(void)
{
	SRunner *sr = NULL;
	int failed, run;
	bool want_fixture = false;
	const char *only = getenv("CK_RUN_SUITE");

	if (only && *only == '\0')
		only = NULL;
	/* Registration order is link order; run in name order instead. */
	qsort(suites, n_suites, sizeof(suites[0]), by_name);
	for (size_t i = 0; i < n_suites; i++) {
		Suite *s = suites[i].fn();
		if (only == NULL || strcmp(only, suites[i].name) == 0)
			want_fixture = want_fixture || suites[i].needs_fixture;
		if (sr == NULL)
			sr = srunner_create(s);
		else
			srunner_add_suite(sr, s);
	}
	if (sr == NULL)
		sr = srunner_create(suite_create("none"));

	/* Fixtures first, in this process, so forked tests inherit them. A
	 * failure here is reported by every test that needs them. */
	if (want_fixture) {
		char err[1024];
		if (!fx_init(err, sizeof(err)))
			fprintf(stderr, "itest: fixtures not created: %s\n", err);
	}

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	run = srunner_ntests_run(sr);
	srunner_free(sr);
	if (run == 0) {
		fprintf(stderr, "itest: no test selected (CK_RUN_SUITE=%s, CK_RUN_CASE=%s)\n",
		        only ? only : "", getenv("CK_RUN_CASE") ? getenv("CK_RUN_CASE") : "");
		return 2;
	}
	return failed == 0 ? 0 : 1;
}
