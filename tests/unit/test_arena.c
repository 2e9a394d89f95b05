/* test_arena.c — the request arena: allocation, alignment, strings,
 * deferred destructors, reset. */
#include "unit.h"

#include "arena.h"
#include "tk.h"

#include <signal.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static struct arena *A;

static void setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

static bool aligned(const void *p)
{
	return (uintptr_t)p % alignof(max_align_t) == 0;
}

/* True when p[0..n) are all v. */
static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Many small allocations of varying sizes: each is zeroed, aligned, and
 * none overlaps another (every block keeps its own fill byte). */
START_TEST(many_small)
{
	enum { N = 5000 };
	static unsigned char *p[N];
	static size_t len[N];
	size_t total = 0;

	for (size_t i = 0; i < N; i++) {
		len[i] = 1 + (i * 37) % 200;
		p[i] = arena_alloc(A, len[i]);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_msg(aligned(p[i]), "allocation %zu not aligned", i);
		ck_assert_msg(all_bytes(p[i], len[i], 0), "allocation %zu not zeroed", i);
		memset(p[i], (int)(i & 0xff), len[i]);
		total += len[i];
	}
	for (size_t i = 0; i < N; i++)
		ck_assert_msg(all_bytes(p[i], len[i], (unsigned char)(i & 0xff)),
		              "allocation %zu overwritten", i);
	ck_assert_uint_ge(arena_used(A), total);
}
END_TEST

/* Sizes around the chunk size and the "big allocation" threshold, mixed
 * with small ones. */
static const size_t big_sizes[] = {
    0, 1, 15, 16, 17, 8191, 8192, 8193, 16383, 16384, 16385, 65536, 65537, 1 << 20, 3 << 20,
};

START_TEST(big_sizes_table)
{
	size_t n = big_sizes[_i];
	unsigned char *before = arena_alloc(A, 100);
	unsigned char *p = arena_alloc(A, n);
	unsigned char *after = arena_alloc(A, 100);

	ck_assert_ptr_nonnull(p);
	ck_assert(aligned(p));
	ck_assert(aligned(after));
	ck_assert_msg(all_bytes(p, n, 0), "%zu bytes not zeroed", n);
	memset(before, 0xaa, 100);
	memset(p, 0xbb, n);
	memset(after, 0xcc, 100);
	ck_assert(all_bytes(before, 100, 0xaa));
	ck_assert(all_bytes(p, n, 0xbb));
	ck_assert(all_bytes(after, 100, 0xcc));
	ck_assert_uint_ge(arena_used(A), n + 200);
}
END_TEST

START_TEST(alignment_of_odd_sizes)
{
	for (size_t n = 1; n < 64; n++) {
		void *p = arena_alloc(A, n);
		ck_assert_msg(aligned(p), "size %zu", n);
		/* Any type can live there. */
		*(long double *)arena_alloc(A, sizeof(long double)) = 1.0L;
	}
}
END_TEST

START_TEST(calloc_zeroed)
{
	int64_t *v = arena_calloc(A, 1000, sizeof(*v));
	for (size_t i = 0; i < 1000; i++)
		ck_assert_int_eq(v[i], 0);
	ck_assert_ptr_nonnull(arena_calloc(A, 0, 8));
	ck_assert_ptr_nonnull(arena_calloc(A, 8, 0));
}
END_TEST

/* Broken size arithmetic is a bug, not a 4xx: the arena aborts. */
START_TEST(calloc_overflow_aborts)
{
	arena_calloc(A, SIZE_MAX / 2, 4);
}
END_TEST

START_TEST(alloc_overflow_aborts)
{
	arena_alloc(A, SIZE_MAX - 3);
}
END_TEST

START_TEST(strings)
{
	char big[40000];
	char *s;

	ck_assert_str_eq(arena_strdup(A, "전시 ticket"), "전시 ticket");
	ck_assert_ptr_null(arena_strdup(A, NULL));
	ck_assert_str_eq(arena_strdup(A, ""), "");
	ck_assert_str_eq(arena_strndup(A, "abcdef", 3), "abc");
	ck_assert_str_eq(arena_strndup(A, "abc", 0), "");
	ck_assert_str_eq(arena_printf(A, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1");
	ck_assert_str_eq(arena_printf(A, "%s", ""), "");

	/* Longer than a chunk. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_printf(A, "<%s>", big);
	ck_assert_uint_eq(strlen(s), sizeof(big) + 1);
	ck_assert_int_eq(s[0], '<');
	ck_assert_int_eq(s[sizeof(big)], '>');
	s = arena_strdup(A, big);
	ck_assert_str_eq(s, big);
}
END_TEST

/* Deferred destructors. */

static char order[16];
static size_t n_order;

static void record(void *p)
{
	ck_assert_uint_lt(n_order, sizeof(order) - 1);
	order[n_order++] = *(const char *)p;
	order[n_order] = '\0';
}

START_TEST(defers_reverse_once)
{
	static char a = 'a', b = 'b', c = 'c';

	n_order = 0;
	order[0] = '\0';
	ck_assert_ptr_eq(arena_defer(A, record, &a), &a);
	arena_defer(A, record, &b);
	ck_assert_ptr_null(arena_defer(A, record, NULL)); /* nothing registered */
	arena_defer(A, record, &c);
	ck_assert_str_eq(order, "");
	arena_reset(A);
	ck_assert_str_eq(order, "cba");
	arena_reset(A);
	ck_assert_str_eq(order, "cba"); /* not run again */

	/* Registered again after a reset, run again on the next one. */
	arena_defer(A, record, &a);
	arena_reset(A);
	ck_assert_str_eq(order, "cbaa");
}
END_TEST

START_TEST(defers_run_on_free)
{
	static char x = 'x';
	struct arena *a = arena_new();

	n_order = 0;
	order[0] = '\0';
	arena_defer(a, record, &x);
	arena_free(a);
	ck_assert_str_eq(order, "x");
	arena_free(NULL);
	arena_reset(NULL);
}
END_TEST

/* Foreign objects freed by their own destructor (valgrind checks there is
 * no leak). */
START_TEST(defers_free_foreign)
{
	for (int i = 0; i < 100; i++)
		arena_defer(A, free, malloc(100));
	arena_reset(A);
}
END_TEST

START_TEST(reset_reuses_memory)
{
	void *p1 = arena_alloc(A, 64), *p2;

	memset(p1, 0xff, 64);
	ck_assert_uint_ge(arena_used(A), 64);
	arena_reset(A);
	ck_assert_uint_eq(arena_used(A), 0);
	p2 = arena_alloc(A, 64);
	ck_assert_ptr_eq(p1, p2);
	ck_assert_int_eq(((unsigned char *)p2)[63], 0); /* zeroed again */

	/* Many chunks, then reset: back to the first one. */
	for (int i = 0; i < 1000; i++)
		arena_alloc(A, 1000);
	arena_reset(A);
	ck_assert_ptr_eq(arena_alloc(A, 64), p1);
}
END_TEST

START_TEST(reset_after_big_still_usable)
{
	for (int round = 0; round < 5; round++) {
		char *s = arena_alloc(A, 200000);
		memset(s, 'q', 199999);
		ck_assert_uint_eq(strlen(s), 199999);
		ck_assert_str_eq(arena_strdup(A, "ok"), "ok");
		arena_reset(A);
		ck_assert_uint_eq(arena_used(A), 0);
	}
}
END_TEST

/* KNOWN BUG (lib/arena.c, arena_alloc + arena_reset): arena.h says reset
 * "frees all chunks but the first", but a big allocation (> 8 KiB) made while
 * only the first chunk exists is linked *behind* it, so it becomes the last
 * chunk; reset keeps the last chunk and frees the first. The worker then
 * keeps the largest early allocation of a request (e.g. a 3 MiB export) for
 * its whole life, and the first small allocation after reset no longer
 * reuses the original chunk. Fix: remember the first chunk in struct arena
 * (a->first) and free every other chunk on reset. */
START_TEST(regression_reset_keeps_first_chunk)
{
	void *p1 = arena_alloc(A, 64);
	arena_alloc(A, 3 << 20);
	arena_reset(A);
	ck_assert_ptr_eq(arena_alloc(A, 64), p1);
}
END_TEST

static Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("alloc");
	TCase *df = tcase_create("defer_reset");
	TCase *bugs = tcase_create("regressions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, many_small);
	tcase_add_loop_test(tc, big_sizes_table, 0, (int)TK_ARRAY_LEN(big_sizes));
	tcase_add_test(tc, alignment_of_odd_sizes);
	tcase_add_test(tc, calloc_zeroed);
	tcase_add_test(tc, strings);
	if (unit_forking()) {
		tcase_add_test_raise_signal(tc, calloc_overflow_aborts, SIGABRT);
		tcase_add_test_raise_signal(tc, alloc_overflow_aborts, SIGABRT);
	}
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(df, setup, teardown);
	tcase_add_test(df, defers_reverse_once);
	tcase_add_test(df, defers_run_on_free);
	tcase_add_test(df, defers_free_foreign);
	tcase_add_test(df, reset_reuses_memory);
	tcase_add_test(df, reset_after_big_still_usable);
	suite_add_tcase(s, df);

	tcase_add_checked_fixture(bugs, setup, teardown);
	tcase_add_test(bugs, regression_reset_keeps_first_chunk);
	suite_add_tcase(s, bugs);
	return s;
}

int main(void)
{
	return unit_run(arena_suite());
}
