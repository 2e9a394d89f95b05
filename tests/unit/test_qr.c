/* test_qr.c — QR codes as SVG: the markup, determinism, limits, and a real
 * decode (rsvg-convert renders the SVG, zbarimg reads the PNG back). The
 * tools come from tools/deps.sh; without them the decode test fails. */
#include "unit.h"

#include "qr.h"
#include "ticket.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

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

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The side of the square viewBox, or -1. */
static int viewbox_side(const char *svg)
{
	int w, h;
	const char *p = strstr(svg, "viewBox=\"0 0 ");
	if (p == NULL || sscanf(p, "viewBox=\"0 0 %d %d\"", &w, &h) != 2 || w != h)
		return -1;
	return w;
}

START_TEST(markup)
{
	const char *text = "HELLO TICKET 123";
	const char *svg = qr_svg(A, text);
	int side;

	ck_assert_ptr_nonnull(svg);
	ck_assert_int_eq(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	ck_assert_ptr_nonnull(strstr(svg, "shape-rendering=\"crispEdges\""));
	ck_assert_ptr_nonnull(strstr(svg, "<title>QR code</title>"));
	ck_assert_uint_eq(count(svg, "<path"), 1);
	ck_assert_uint_eq(count(svg, "<svg"), 1);
	ck_assert_uint_eq(count(svg, "</svg>"), 1);
	ck_assert_str_eq(svg + strlen(svg) - 7, "</svg>\n");
	/* The encoded text is not in the markup. */
	ck_assert_ptr_null(strstr(svg, "HELLO"));
	/* A QR symbol is 21 + 4k modules wide, plus 4 of quiet zone each side. */
	side = viewbox_side(svg);
	ck_assert_int_ge(side, 21 + 8);
	ck_assert_int_eq((side - 8 - 21) % 4, 0);
	/* Nothing is drawn in the quiet zone: no run starts left of 4 or
	 * above 4, and none reaches past side - 4. */
	for (const char *p = strstr(svg, " d=\"") + 4; *p == 'M';) {
		int x, y, w, w2, used;
		ck_assert_int_eq(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &w, &w2, &used), 4);
		ck_assert_int_ge(x, 4);
		ck_assert_int_ge(y, 4);
		ck_assert_int_le(x + w, side - 4);
		ck_assert_int_lt(y, side - 4);
		ck_assert_int_eq(w, w2);
		ck_assert_int_gt(w, 0);
		p += used;
	}
}
END_TEST

START_TEST(deterministic)
{
	const char *x = qr_svg(A, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	const char *y = qr_svg(A, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	const char *z = qr_svg(A, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234566");

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(z);
	ck_assert_str_eq(x, y);
	ck_assert_str_ne(x, z);
}
END_TEST

START_TEST(limits)
{
	static char big[600];

	ck_assert_ptr_null(qr_svg(A, NULL));
	ck_assert_ptr_null(qr_svg(A, ""));
	memset(big, 'A', 512);
	ck_assert_ptr_nonnull(qr_svg(A, big));
	big[512] = 'A';
	ck_assert_ptr_null(qr_svg(A, big));
}
END_TEST

/* Runs cmd; its first line of output (without the newline) into out. The
 * exit status of cmd. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	out[0] = '\0';
	ck_assert_msg(p != NULL, "popen %s", cmd);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	st = pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Renders text's SVG to PNG and decodes it with zbarimg. */
static void decodes_to(const char *text)
{
	char svg_path[] = "/tmp/test_qr_XXXXXX";
	char png_path[64], cmd[512], out[4096];
	const char *svg = qr_svg(A, text);
	int fd, st;
	FILE *f;

	ck_assert_ptr_nonnull(svg);
	fd = mkstemp(svg_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(svg, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(png_path, sizeof(png_path), "%s.png", svg_path);

	snprintf(cmd, sizeof(cmd), "rsvg-convert --width 600 --height 600 -o %s %s 2>&1", png_path,
	         svg_path);
	st = run(cmd, out, sizeof(out));
	ck_assert_msg(st == 0, "rsvg-convert (librsvg2-bin) failed (%d): %s", st, out);
	/* stderr apart: zbarimg may complain about D-Bus there. */
	snprintf(cmd, sizeof(cmd),
	         "zbarimg --quiet --raw -Sdisable -Sqrcode.enable %s 2>/dev/null || "
	         "{ st=$?; zbarimg --raw %s 2>&1 | tail -3; exit $st; }",
	         png_path, png_path);
	st = run(cmd, out, sizeof(out));
	unlink(svg_path);
	unlink(png_path);
	ck_assert_msg(st == 0, "zbarimg (zbar-tools) failed (%d): %s", st, out);
	ck_assert_str_eq(out, text);
}

START_TEST(decodes_with_zbar)
{
	unsigned char priv[32], pub[32];
	struct ticket_claims c = {
	    .event_id = 42, .ticket_id = 123456, .visit_date = "2026-11-21", .kid = 1};
	const unsigned char r[4] = {1, 2, 3, 4};
	char code[TICKET_CODE_MAX + 1];

	ck_assert_int_eq(ticket_keygen(priv, pub), TICKET_OK);
	ck_assert_int_eq(ticket_sign(priv, &c, r, code), TICKET_OK);
	decodes_to(code);
	c = (struct ticket_claims){
	    .event_id = INT64_MAX, .ticket_id = INT64_MAX, .visit_date = "", .kid = UINT32_MAX};
	ck_assert_int_eq(ticket_sign(priv, &c, r, code), TICKET_OK);
	decodes_to(code);
	decodes_to("HELLO");
	decodes_to("https://example.com/t/Mixed-Case_1?x=2");
}
END_TEST

static Suite *qr_suite(void)
{
	Suite *s = suite_create("qr");
	TCase *t = tcase_create("svg");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, markup);
	tcase_add_test(t, deterministic);
	tcase_add_test(t, limits);
	tcase_add_test(t, decodes_with_zbar);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return unit_run(qr_suite());
}
