/* kv.c — one hiredis connection per process and Lua scripts by SHA. */
#include "kv.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_MAX_ARGS 100000 /* keys or args of one script call */

static redisContext *ctx;
static char *where_saved;
static unsigned ctx_gen;

static bool connect_now(void)
{
	struct timeval tv = {2, 0};
	if (ctx)
		redisFree(ctx);
	if (where_saved[0] == '/') {
		ctx = redisConnectUnixWithTimeout(where_saved, tv);
	} else {
		char host[256];
		const char *colon = strrchr(where_saved, ':');
		size_t n = colon ? (size_t)(colon - where_saved) : strlen(where_saved);
		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, where_saved, n);
		host[n] = '\0';
		ctx = redisConnectWithTimeout(host, colon ? atoi(colon + 1) : 6379, tv);
	}
	if (ctx == NULL || ctx->err) {
		log_event(LOG_ERROR, "kv_connect", "msg", ctx ? ctx->errstr : "alloc", NULL);
		if (ctx)
			redisFree(ctx);
		ctx = NULL;
		return false;
	}
	redisSetTimeout(ctx, (struct timeval){5, 0});
	ctx_gen++;
	return true;
}

enum kv_err kv_init(const char *where)
{
	free(where_saved);
	where_saved = strdup(where);
	return connect_now() ? KV_OK : KV_DOWN;
}

void kv_close(void)
{
	if (ctx)
		redisFree(ctx);
	ctx = NULL;
}

static void free_reply(void *p)
{
	freeReplyObject(p);
}

static redisReply *command(int argc, const char *const *argv)
{
	redisReply *rep;
	if (ctx == NULL && (where_saved == NULL || !connect_now()))
		return NULL;
	rep = redisCommandArgv(ctx, argc, (const char **)argv, NULL);
	if (rep == NULL) {
		/* The connection broke: one reconnect and retry. Redis commands we
		 * send are either reads or scripts that are atomic, so a retry after
		 * a broken connection cannot apply a script twice unless the first
		 * reply was lost after execution; scripts are written to make that
		 * harmless (idempotent by their keys). */
		if (!connect_now())
			return NULL;
		rep = redisCommandArgv(ctx, argc, (const char **)argv, NULL);
	}
	return rep;
}

enum kv_err kv_cmd(struct arena *a, int argc, const char *const *argv, redisReply **out)
{
	redisReply *rep = command(argc, argv);
	if (rep == NULL)
		return KV_DOWN;
	if (rep->type == REDIS_REPLY_ERROR) {
		log_event(LOG_ERROR, "kv_reply", "cmd", argv[0], "msg", rep->str, NULL);
		freeReplyObject(rep);
		return KV_REPLY;
	}
	if (out)
		*out = arena_defer(a, free_reply, rep);
	else
		freeReplyObject(rep);
	return KV_OK;
}

bool kv_ping(void)
{
	const char *argv[] = {"PING"};
	redisReply *rep = command(1, argv);
	bool ok = rep && rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0;
	if (rep)
		freeReplyObject(rep);
	return ok;
}

static bool load_script(struct kv_script *s)
{
	const char *argv[] = {"SCRIPT", "LOAD", s->src};
	redisReply *rep = command(3, argv);
	bool ok = rep && rep->type == REDIS_REPLY_STRING && rep->len == 40;
	if (ok)
		memcpy(s->sha, rep->str, 41);
	else
		log_event(LOG_ERROR, "kv_script_load", "script", s->name, "msg",
		          rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply", NULL);
	if (rep)
		freeReplyObject(rep);
	return ok;
}

enum kv_err kv_eval(struct arena *a, struct kv_script *s, int nkeys, const char *const *keys,
                    int nargs, const char *const *args, redisReply **out)
{
	const char **argv;
	char nk[16];
	redisReply *rep;
	int argc = 0;

	if (nkeys < 0 || nargs < 0 || nkeys > KV_MAX_ARGS || nargs > KV_MAX_ARGS) {
		log_event(LOG_ERROR, "kv_eval", "script", s->name, "msg", "too many arguments",
		          NULL);
		return KV_REPLY;
	}
	argv = arena_calloc(a, (size_t)(nkeys + nargs + 3), sizeof(*argv));
	if (s->sha[0] == '\0' && !load_script(s))
		return ctx ? KV_REPLY : KV_DOWN;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[argc++] = "EVALSHA";
	argv[argc++] = s->sha;
	argv[argc++] = nk;
	for (int i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	rep = command(argc, argv);
	if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(rep);
		if (!load_script(s))
			return ctx ? KV_REPLY : KV_DOWN;
		argv[1] = s->sha;
		rep = command(argc, argv);
	}
	if (rep == NULL)
		return KV_DOWN;
	if (rep->type == REDIS_REPLY_ERROR) {
		log_event(LOG_ERROR, "kv_eval", "script", s->name, "msg", rep->str, NULL);
		freeReplyObject(rep);
		return KV_REPLY;
	}
	if (out)
		*out = arena_defer(a, free_reply, rep);
	else
		freeReplyObject(rep);
	return KV_OK;
}
