/*
 * arena.h — the request arena. Everything one request allocates hangs off one
 * arena and one call (arena_reset) frees it all, including foreign objects
 * (cJSON trees, PGresults, redisReplies) registered with arena_defer.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena, or NULL when out of memory. */
struct arena *arena_new(void);

/* Runs the deferred destructors (last registered first), frees all chunks
 * but the first, and makes the arena empty again. */
void arena_reset(struct arena *a);

/* arena_reset and then frees the arena itself. NULL is fine. */
void arena_free(struct arena *a);

/* Zeroed memory for n bytes, aligned for any type. Aborts on out-of-memory:
 * a worker without memory cannot answer anyway and is restarted. */
void *arena_alloc(struct arena *a, size_t n);

/* Zeroed array of count elements of size; checks the multiplication. */
void *arena_calloc(struct arena *a, size_t count, size_t size);

char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Calls fn(p) when the arena is reset. p may be NULL (then nothing is
 * registered). Returns p so calls can be chained. */
void *arena_defer(struct arena *a, void (*fn)(void *), void *p);

/* Bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
