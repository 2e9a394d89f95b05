/* log.c — JSON lines on stderr. */
#include "log.h"

#include "tk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_family = "ticketd";
static const char *log_request_id;
static enum log_level log_min = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

#define LOG_LINE_MAX 8192

struct buf {
	char data[LOG_LINE_MAX];
	size_t len;
};

static void put(struct buf *b, const char *s, size_t n)
{
	/* Leave room for the closing "}\n". */
	if (n > sizeof(b->data) - 3 - b->len)
		n = sizeof(b->data) - 3 - b->len;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_json_string(struct buf *b, const char *s)
{
	/* Leave room for the closing "}\n", as put() does. */
	b->len += tk_json_quote(b->data + b->len, sizeof(b->data) - 3 - b->len, s);
}

void log_init(const char *family)
{
	const char *lvl = getenv("TICKET_LOG_LEVEL");
	log_family = family;
	if (lvl) {
		for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
			if (strcmp(lvl, level_names[i]) == 0)
				log_min = (enum log_level)i;
	}
}

void log_set_request_id(const char *id)
{
	log_request_id = id;
}

void log_set_level(enum log_level level)
{
	log_min = level;
}

/* "2026-11-21T10:00:00." for the second in *sec: formatted once a second,
 * not once a line. */
static const char *second_prefix(time_t now)
{
	static time_t cached = (time_t)-1;
	static char text[64];
	struct tm tm;

	if (now != cached) {
		gmtime_r(&now, &tm);
		snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached = now;
	}
	return text;
}

static void begin(struct buf *b, enum log_level level, const char *event)
{
	struct timespec ts;
	long ms;
	char frac[5];

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = ts.tv_nsec / 1000000;
	frac[0] = (char)('0' + ms / 100);
	frac[1] = (char)('0' + ms / 10 % 10);
	frac[2] = (char)('0' + ms % 10);
	frac[3] = 'Z';
	frac[4] = '\0';
	b->len = 0;
	put_str(b, "{\"ts\":\"");
	put_str(b, second_prefix(ts.tv_sec));
	put_str(b, frac);
	put_str(b, "\",\"level\":\"");
	put_str(b, level_names[level]);
	put_str(b, "\",\"family\":");
	put_json_string(b, log_family);
	put_str(b, ",\"event\":");
	put_json_string(b, event);
	if (log_request_id) {
		put_str(b, ",\"request_id\":");
		put_json_string(b, log_request_id);
	}
}

static void end(struct buf *b)
{
	b->data[b->len++] = '}';
	b->data[b->len++] = '\n';
	/* One write per line so lines of concurrent workers never interleave. */
	fwrite(b->data, 1, b->len, stderr);
	fflush(stderr);
}

void log_event(enum log_level level, const char *event, ...)
{
	struct buf b;
	va_list ap;
	const char *k;

	if (level < log_min)
		return;
	begin(&b, level, event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		put_str(&b, ",");
		put_json_string(&b, k);
		put_str(&b, ":");
		put_json_string(&b, v);
	}
	va_end(ap);
	end(&b);
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_event(level, event, "msg", msg, NULL);
}
