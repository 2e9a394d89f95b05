/*
 * tk.h — definitions shared by every module of libticket: the limits on
 * everything that comes from outside, and small helpers.
 *
 * Every size that reaches us from a client has a named maximum here; code
 * that reads outside input checks against these and answers 4xx when one is
 * exceeded.
 */
#ifndef TK_H
#define TK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TK_VERSION "0.1.0"

/* HTTP request limits. */
#define TK_MAX_BODY (64 * 1024)  /* request body; over it → 413 TOO_LARGE */
#define TK_MAX_PATH 2048         /* decoded path */
#define TK_MAX_QUERY 8192        /* raw query string */
#define TK_MAX_QUERY_PARAMS 64   /* key=value pairs in the query string */
#define TK_MAX_HEADER_VALUE 8192 /* any single header value */
#define TK_MAX_COOKIES 32        /* cookies in the Cookie header */
#define TK_MAX_PATH_PARAMS 8     /* {name} segments in a route */
#define TK_MAX_SEGMENT 256       /* one path segment */
#define TK_MAX_TOKEN 2048        /* bearer token / cookie value */

/* Lists. */
#define TK_MAX_LIMIT 100 /* ?limit= ceiling */
#define TK_DEFAULT_LIMIT 20
#define TK_MAX_PAGE 1000000

#define TK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TK_UNUSED(x) ((void)(x))

/* Parse a decimal int64 in [min, max]; the whole string must be digits
 * (optional leading '-'). Returns false on anything else, including overflow. */
bool tk_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* True when s[0..len) is well-formed UTF-8 without NUL bytes. */
bool tk_utf8_valid(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t tk_utf8_len(const char *s);

/* Fill buf with n random bytes from the OS. Returns false on failure. */
bool tk_random(void *buf, size_t n);

/* Write 2n lowercase hex characters of n random bytes plus NUL into out
 * (out must hold 2n+1 bytes). */
bool tk_random_hex(char *out, size_t n);

/* Current time in seconds / milliseconds since the epoch. */
int64_t tk_now(void);
int64_t tk_now_ms(void);

/* An instant (ms since the epoch) as ISO-8601 in Seoul time,
 * "2026-11-21T10:00:00+09:00", into out. */
void tk_iso_seoul(int64_t ms, char out[32]);

/* Today's date in Seoul as YYYY-MM-DD. */
void tk_today_seoul(char out[11]);

/* Validators for common formats; each takes a NUL-terminated string. */
bool tk_valid_date(const char *s);       /* YYYY-MM-DD, a real calendar day */
bool tk_valid_datetime(const char *s);   /* ISO-8601 with offset or Z */
int tk_iso_weekday(const char *ymd);     /* 1 Monday … 7 Sunday; 0 if not a date */
bool tk_valid_event_code(const char *s); /* 2–16 of [a-z0-9] */
bool tk_valid_username(const char *s);   /* 3–32 of [a-z0-9_.] */
bool tk_valid_email(const char *s);      /* simple local@domain.tld, ≤ 254 */
bool tk_valid_phone(const char *s);      /* Korean mobile: 010 + 8 digits, dashes allowed */
bool tk_valid_timezone(const char *s);   /* Area/City as in the tz database */

/* Normalise a Korean mobile number ("010-1234-5678" → "01012345678") into
 * out (≥ 12 bytes). Returns false when s is not a valid mobile number. */
bool tk_normalize_phone(const char *s, char out[12]);

/* One line with something visible on it: no control character (C0, DEL,
 * C1), no line or paragraph separator, no bidi embedding, override or
 * isolate, not only spaces (names, titles, reasons). */
bool tk_valid_line(const char *s);

/* s as a JSON string, quoted and escaped, into out: at most cap bytes (a
 * longer result is cut where cap ends); no NUL is added. NULL writes null.
 * Returns the bytes written. Room for any s: 6 × strlen(s) + 2. */
size_t tk_json_quote(char *out, size_t cap, const char *s);

#endif
