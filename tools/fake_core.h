/*
 * fake_core.h — what the dev/test stand-ins for outside services (fake_toss,
 * fake_kakao) share: small JSON, time, random and encoding helpers, the
 * persistent JSON state files under $TICKET_VAR/<dir>/, counted fault knobs
 * and the test pages' replies. Linked into each fake binary only (Makefile:
 * $(BUILD)/fake_%), never into libticket.a or a worker.
 *
 * State files: each store is one JSON object in <dir>/<name>.json, rewritten
 * whole through a temporary file and rename() after a change, under flock on
 * <name>.lock, which also holds a generation counter: a process reloads its
 * cached copy only when another one wrote. Locks are never nested by the
 * callers, so any number of worker processes may share the directory.
 */
#ifndef TICKET_FAKE_CORE_H
#define TICKET_FAKE_CORE_H

#include "app.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FAKE_MAX_FILE (64 << 20) /* a state file larger than this is corrupt */

/* ---- helpers ---- */

/* s is min..max characters of A-Z a-z 0-9 and those of extra. */
bool fake_chars_ok(const char *s, size_t min, size_t max, const char *extra);
/* A JSON number that is an integer in [min, max]. */
bool fake_json_i64(const cJSON *v, int64_t min, int64_t max, int64_t *out);
/* o[name] when it is a string / number, else NULL / def. */
const char *fake_jstr(const cJSON *o, const char *name);
int64_t fake_jnum(const cJSON *o, const char *name, int64_t def);
/* Sets o[name] to v (taken over), replacing what was there. */
void fake_jset(cJSON *o, const char *name, cJSON *v);
void fake_jset_str(cJSON *o, const char *name, const char *s); /* NULL → null */
void fake_jset_num(cJSON *o, const char *name, int64_t v);
/* o[name] as an array / object, made when missing. */
cJSON *fake_jarr(cJSON *o, const char *name);
cJSON *fake_jobj(cJSON *o, const char *name);
/* Drops the oldest elements of arr beyond max. */
void fake_cap_array(cJSON *arr, int max);

/* Seoul wall-clock fields of an instant (ms since the epoch). */
void fake_seoul_tm(int64_t ms, struct tm *tm);
/* "2026-11-21T10:00:00.123<suffix>" in Seoul time. */
void fake_seoul_ms(int64_t ms, const char *suffix, char out[40]);

/* n random characters of 0-9A-Za-z / 0-9, NUL added (n ≤ 64 / 32). */
void fake_random_b62(char *out, size_t n);
void fake_random_digits(char *out, size_t n);
/* SHA-256 of the parts (NUL-separated) as 64 hex digits. */
bool fake_sha256_hex(const char *const *parts, size_t n, char out[65]);

/* s percent-encoded (RFC 3986 unreserved and the characters of keep stay). */
char *fake_url_enc_keep(struct arena *a, const char *s, const char *keep);
char *fake_url_enc(struct arena *a, const char *s);
char *fake_html_esc(struct arena *a, const char *s);
/* 12000 → "12,000". */
void fake_won(int64_t v, char out[32]);

/* One nanosleep: a signal (SIGTERM from tools/stack.sh stop) ends the wait. */
void fake_sleep_ms(int64_t ms);
/* An integer setting from the environment; def when unset, logged and def
 * when not a number in [min, max]. */
int64_t fake_env_i64(const char *name, int64_t min, int64_t max, int64_t def);

/* ---- replies ---- */

void fake_reply_obj(struct http_req *r, int status, cJSON *o); /* takes o */
/* An HTML page under a CSP that allows nothing but inline styles. */
void fake_reply_html(struct http_req *r, int status, const char *html);

/* ---- state files ---- */

/* Creates $TICKET_VAR/<name>/ once per process and makes it the directory
 * of every store; false (logged) when it cannot be used. */
bool fake_dir_init(const char *name);
/* The directory fake_dir_init made ("" before). */
const char *fake_dir(void);

struct fake_store {
	const char *name; /* the file's base name */
	int fd;           /* the .lock file while locked, else -1 */
	uint64_t gen;     /* generation of root (kept in the .lock file) */
	cJSON *root;      /* the cached tree, valid while locked */
};
#define FAKE_STORE(name) \
	{ \
		(name), -1, 0, NULL \
	}

/* Takes the store's lock and brings root up to date (a missing file is an
 * empty object; a corrupt one is moved aside, logged, and empty). False
 * (logged) when the directory cannot be used. */
bool fake_store_lock(struct fake_store *s);
void fake_store_unlock(struct fake_store *s);
/* Writes root (lock held). False (logged) on failure; the next lock then
 * reloads from the disk, so memory never runs ahead of it for long. */
bool fake_store_save(struct fake_store *s);

/* ---- append-only logs ---- */

/* <dir>/<name>.jsonl: one JSON object a line, appended whole (O_APPEND,
 * one write, under the log's flock) so concurrent workers never interleave.
 * Past max_bytes the file becomes <name>.1.jsonl (the previous one goes),
 * so a log holds between max_bytes and twice that. For what grows with
 * every request (deliveries): appending costs the same however long the
 * log is, where a store would be rewritten whole. */
bool fake_log_append(const char *name, const cJSON *obj, long max_bytes);
/* Calls fn on every object of the log, oldest first (the rotated file,
 * then the current one); lines that do not parse are skipped. */
void fake_log_each(const char *name, void (*fn)(const cJSON *obj, void *ctx), void *ctx);
/* Removes both files of the log. */
void fake_log_clear(const char *name);

/* ---- one-time keys ---- */

enum fake_once { FAKE_ONCE_NEW, FAKE_ONCE_SEEN, FAKE_ONCE_ERROR };

/* Records key (a safe file name: the caller validates it) in <dir>/<name>/
 * as one empty file made with O_EXCL, so concurrent workers agree at no
 * cost that grows with the number of keys: FAKE_ONCE_NEW the first time,
 * or when the key's record is older than ttl_ms (renewed); FAKE_ONCE_SEEN
 * within ttl_ms; FAKE_ONCE_ERROR (logged) when the directory is unusable.
 * Now and then records older than ttl_ms are removed. */
enum fake_once fake_once(const char *name, const char *key, int64_t ttl_ms);
/* Removes every record of <dir>/<name>/. */
void fake_once_clear(const char *name);

/* ---- counted faults ---- */

/* Consumes one use of the fault root[group][key] ({"n":N,…}) of the knobs
 * store, if N ≥ 1, and answers a copy of it (the caller frees it); NULL when
 * none is pending or the store cannot be read. */
cJSON *fake_fault_take(struct fake_store *knobs, const char *group, const char *key);

#endif
