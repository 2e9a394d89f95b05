/*
 * qr.c — QR codes as SVG through libqrencode.
 *
 * The drawing is one <path> of the dark modules, each row's runs merged into
 * one rectangle ("M x y h n v1 h -n z"), on a white square that includes a
 * 4-module quiet zone, in module units (the page sets the size). Nothing but
 * numbers comes from the input, so there is nothing to escape, and the
 * <title> is fixed text: the code itself is a credential and stays out of
 * the markup.
 */
#include "qr.h"

#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#define QR_TEXT_MAX 512 /* bytes of text encoded; ticket codes are ~122 */
#define QR_QUIET 4      /* modules of quiet zone on every side */
/* One run: "M" x " " y "h" n "v1h-" n "z", each number ≤ 3 digits. */
#define QR_RUN_MAX 24

/* libqrencode marks dark modules with bit 0 of each byte. */
static int dark(const QRcode *q, int x, int y)
{
	return q->data[y * q->width + x] & 1;
}

const char *qr_svg(struct arena *a, const char *text)
{
	QRcode *q;
	size_t runs = 0, cap, o;
	int w, size;
	char *svg = NULL;

	if (text == NULL || text[0] == '\0' || strnlen(text, QR_TEXT_MAX + 1) > QR_TEXT_MAX)
		return NULL;
	/* casesensitive=1 keeps uppercase text in alphanumeric mode; libqrencode
	 * picks the densest mode for each stretch by itself. */
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return NULL;
	w = q->width;
	size = w + 2 * QR_QUIET;
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (dark(q, x, y) && (x == 0 || !dark(q, x - 1, y)))
				runs++;

	cap = 512 + runs * QR_RUN_MAX;
	svg = arena_alloc(a, cap);
	o = (size_t)snprintf(svg, cap,
	                     "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	                     " shape-rendering=\"crispEdges\"><title>QR code</title>"
	                     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	                     "<path fill=\"#000\" d=\"",
	                     size, size, size, size);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			int x0;
			if (!dark(q, x, y)) {
				x++;
				continue;
			}
			x0 = x;
			while (x < w && dark(q, x, y))
				x++;
			o += (size_t)snprintf(svg + o, cap - o, "M%d %dh%dv1h-%dz", x0 + QR_QUIET,
			                      y + QR_QUIET, x - x0, x - x0);
		}
	}
	snprintf(svg + o, cap - o, "\"/></svg>\n");
	QRcode_free(q);
	return svg;
}
