/*
 * qr.h — QR codes as SVG (libqrencode), for ticket codes.
 */
#ifndef QR_H
#define QR_H

#include "arena.h"

/* An SVG document drawing text as a QR code (error correction M, 4-module
 * quiet zone, one <path>), in the arena; NULL when text cannot be encoded. */
const char *qr_svg(struct arena *a, const char *text);

#endif
