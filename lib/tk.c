/* tk.c — small shared helpers: number parsing, UTF-8, randomness, formats. */
#include "tk.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

bool tk_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char *p = s;
	uint64_t v = 0, limit;
	int64_t r;
	bool neg = false;

	if (s == NULL || *s == '\0')
		return false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p == '\0' || strlen(p) > 19)
		return false;
	/* -INT64_MIN does not fit an int64: count in unsigned up to the bound. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		unsigned d;
		if (*p < '0' || *p > '9')
			return false;
		d = (unsigned)(*p - '0');
		/* Overflow is checked before the arithmetic, never after. */
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg)
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		r = (int64_t)v;
	if (r < min || r > max)
		return false;
	*out = r;
	return true;
}

bool tk_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* Reject overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return false;
		p += n + 1;
	}
	return true;
}

size_t tk_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

bool tk_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}

bool tk_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	if (n > sizeof(buf) || !tk_random(buf, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * n] = '\0';
	return true;
}

int64_t tk_now(void)
{
	return (int64_t)time(NULL);
}

int64_t tk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Korea has kept UTC+9 without daylight saving since 1988. */
#define SEOUL_OFFSET_S (9 * 3600)

void tk_iso_seoul(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000) + SEOUL_OFFSET_S;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}

void tk_today_seoul(char out[11])
{
	time_t t = time(NULL) + SEOUL_OFFSET_S;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static bool valid_ymd(const char *s)
{
	int y, m, d;
	if (!all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
	    !all_digits(s + 8, 2))
		return false;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

bool tk_valid_date(const char *s)
{
	return s != NULL && strlen(s) == 10 && valid_ymd(s);
}

int tk_iso_weekday(const char *ymd)
{
	int y, m, d;
	static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};

	if (!tk_valid_date(ymd))
		return 0;
	y = atoi(ymd);
	m = atoi(ymd + 5);
	d = atoi(ymd + 8);
	/* Sakamoto's method: 0 = Sunday … 6 = Saturday. */
	if (m < 3)
		y--;
	d = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
	return d == 0 ? 7 : d;
}

bool tk_valid_datetime(const char *s)
{
	size_t n;
	const char *p;

	if (s == NULL || (n = strlen(s)) < 20 || n > 35)
		return false;
	if (!valid_ymd(s) || s[10] != 'T')
		return false;
	/* hh:mm:ss */
	if (!all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
	    !all_digits(s + 17, 2))
		return false;
	if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		const char *q = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q || p - q > 9)
			return false;
	}
	if (strcmp(p, "Z") == 0)
		return true;
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || !all_digits(p + 1, 2) || p[3] != ':' ||
	    !all_digits(p + 4, 2))
		return false;
	return atoi(p + 1) <= 14 && atoi(p + 4) <= 59;
}

static bool chars_in(const char *s, size_t lo, size_t hi, const char *extra)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (const char *p = s; *p; p++, n++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			continue;
		if (extra && *p != '\0' && strchr(extra, *p))
			continue;
		return false;
	}
	return n >= lo && n <= hi;
}

bool tk_valid_event_code(const char *s)
{
	return chars_in(s, 2, 16, NULL);
}

bool tk_valid_username(const char *s)
{
	return chars_in(s, 3, 32, "_.");
}

bool tk_valid_email(const char *s)
{
	const char *at, *dot;
	size_t n;

	if (s == NULL || (n = strlen(s)) < 5 || n > 254)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;:\\\"", *p))
			return false;
	at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	dot = strrchr(at, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0' && strlen(dot + 1) >= 2;
}

bool tk_normalize_phone(const char *s, char out[12])
{
	size_t n = 0;
	if (s == NULL || strlen(s) > 13)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		if (*p < '0' || *p > '9' || n >= 11)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	if (n != 11 || strncmp(out, "010", 3) != 0)
		return false;
	/* Dashes are only allowed in the usual places: 010-1234-5678. */
	if (strchr(s, '-') != NULL && !(strlen(s) == 13 && s[3] == '-' && s[8] == '-' &&
	                                strchr(s + 9, '-') == NULL && strchr(s + 4, '-') == s + 8))
		return false;
	return true;
}

bool tk_valid_phone(const char *s)
{
	char buf[12];
	return tk_normalize_phone(s, buf);
}

bool tk_valid_timezone(const char *s)
{
	size_t n;
	if (s == NULL || (n = strlen(s)) < 3 || n > 64)
		return false;
	if (strcmp(s, "UTC") == 0)
		return true;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '/' && *p != '_' && *p != '-' && *p != '+')
			return false;
	if (strchr(s, '/') == NULL || s[0] == '/' || s[n - 1] == '/' || strstr(s, "..") ||
	    strstr(s, "//"))
		return false;
	{
		/* The zone must exist in the tz database PostgreSQL also uses. */
		char path[128];
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", s);
		return access(path, R_OK) == 0;
	}
}

bool tk_valid_line(const char *s)
{
	bool visible = false;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		/* C1 controls U+0080–U+009F (C2 80–9F), the line and paragraph
		 * separators U+2028/2029 (E2 80 A8/A9), the bidi embeddings and
		 * overrides U+202A–U+202E (E2 80 AA–AE) and isolates U+2066–U+2069
		 * (E2 81 A6–A9): text that reorders or breaks what is shown
		 * around it (a name in an admin list, a line in a message). */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return false;
		if (*p != ' ')
			visible = true;
	}
	return visible;
}

/* Appends n bytes, as many as fit. */
static size_t put_cut(char *out, size_t cap, size_t at, const char *s, size_t n)
{
	if (n > cap - at)
		n = cap - at;
	memcpy(out + at, s, n);
	return at + n;
}

size_t tk_json_quote(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run;
	size_t at = 0;

	if (s == NULL)
		return put_cut(out, cap, 0, "null", 4);
	at = put_cut(out, cap, at, "\"", 1);
	for (;;) {
		/* Most bytes need no escape: copy them a run at a time. */
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		if (p > run)
			at = put_cut(out, cap, at, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		switch (*p) {
		case '"': at = put_cut(out, cap, at, "\\\"", 2); break;
		case '\\': at = put_cut(out, cap, at, "\\\\", 2); break;
		case '\n': at = put_cut(out, cap, at, "\\n", 2); break;
		case '\r': at = put_cut(out, cap, at, "\\r", 2); break;
		case '\t': at = put_cut(out, cap, at, "\\t", 2); break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			at = put_cut(out, cap, at, esc, 6);
		}
		}
		p++;
	}
	return put_cut(out, cap, at, "\"", 1);
}
