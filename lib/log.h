/*
 * log.h — one JSON object per line on stderr, per event:
 *   {"ts":"2026-11-21T10:00:00.123Z","level":"info","family":"public",
 *    "event":"request","request_id":"...", ...key/value pairs...}
 * The request id is the one nginx passed (set with log_set_request_id for the
 * life of a request).
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Names the process in every line ("public", "ticketctl"...). */
void log_init(const char *family);

/* The request id to put on the following lines; NULL clears it. The string
 * must stay valid until cleared. */
void log_set_request_id(const char *id);

/* Lines below this level are dropped (default LOG_INFO; TICKET_LOG_LEVEL). */
void log_set_level(enum log_level level);

/* Logs an event with NULL-terminated key, value string pairs:
 *   log_event(LOG_INFO, "request", "path", path, "status", "200", NULL);
 * Values are JSON-escaped; NULL values are written as null. */
void log_event(enum log_level level, const char *event, ...) __attribute__((sentinel));

/* printf-style message under the "msg" key. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
