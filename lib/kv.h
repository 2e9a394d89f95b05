/*
 * kv.h — Redis through hiredis. One connection per worker, reopened when
 * lost. Lua scripts are declared by the module that owns them, loaded once
 * per connection (SCRIPT LOAD) and called with EVALSHA; a NOSCRIPT answer
 * (the server restarted or flushed its scripts) reloads and retries.
 */
#ifndef KV_H
#define KV_H

#include "arena.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>

struct kv_script {
	const char *name;
	const char *src;
	/* Private: SHA1 of src once loaded. */
	char sha[41];
};

/* clang-format off */
#define KV_SCRIPT(name_, src_) { .name = (name_), .src = (src_) }
/* clang-format on */

enum kv_err {
	KV_OK,
	KV_DOWN,  /* no connection (503 UNAVAILABLE) */
	KV_REPLY, /* Redis answered an error reply (logged) */
};

/* Connects to a unix socket path (starting with '/') or "host:port". */
enum kv_err kv_init(const char *where);
void kv_close(void);
bool kv_ping(void);

/* Runs a command (argv form, binary safe). *out is freed with the arena. */
enum kv_err kv_cmd(struct arena *a, int argc, const char *const *argv, redisReply **out);

/* EVALSHA script with keys and args. */
enum kv_err kv_eval(struct arena *a, struct kv_script *s, int nkeys, const char *const *keys,
                    int nargs, const char *const *args, redisReply **out);

#endif
