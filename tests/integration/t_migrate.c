/*
 * t_migrate.c — `ticketctl migrate` against the running stack's database:
 * every sql/NNNN_*.sql file is recorded once, and running it again (the
 * stack already ran it at start) applies nothing and changes no table.
 */
#include "client.h"
#include "suite.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long count_migration_files(void)
{
	const char *root = getenv("TICKET_ROOT");
	char dir[4096];
	DIR *d;
	struct dirent *de;
	long long n = 0;

	snprintf(dir, sizeof(dir), "%s/sql", root ? root : ".");
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 9 && de->d_name[4] == '_' && strcmp(de->d_name + l - 4, ".sql") == 0 &&
		    strspn(de->d_name, "0123456789") == 4)
			n++;
	}
	closedir(d);
	return n;
}

/* Output of `ticketctl migrate`, and its exit status in *rc. */
static char *run_migrate(int *rc)
{
	const char *build = getenv("TICKET_BUILD");
	char cmd[4200], *out = calloc(1, 8192);
	size_t used = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/ticketctl migrate 2>&1", build ? build : "build");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (used < 8191 && fgets(out + used, (int)(8192 - used), p))
		used = strlen(out);
	*rc = pclose(p);
	return out;
}

START_TEST(migrate_twice_changes_nothing)
{
	long long files = count_migration_files();
	const char *before = tdb_value(
	    "SELECT md5(string_agg(table_name || ':' || column_name || ':'"
	    " || data_type, ',' ORDER BY table_name, column_name))"
	    " FROM information_schema.columns WHERE table_schema = 'public'");
	char *b = strdup(before ? before : "");
	int rc;
	char *out = run_migrate(&rc);

	ck_assert_msg(rc == 0, "ticketctl migrate failed: %s", out);
	ck_assert_msg(strstr(out, "migrations: 0 applied") != NULL,
	              "second run applied something: %s", out);
	ck_assert_int_eq(tdb_count("SELECT count(*) FROM schema_migrations"), files);
	ck_assert_str_eq(
	    tdb_value("SELECT md5(string_agg(table_name || ':' || column_name || ':'"
	              " || data_type, ',' ORDER BY table_name, column_name))"
	              " FROM information_schema.columns WHERE table_schema = 'public'"),
	    b);
	free(out);
	free(b);
}
END_TEST

static Suite *migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_new("migrate");
	tcase_add_test(tc, migrate_twice_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

TSUITE("migrate", migrate_suite, false)
