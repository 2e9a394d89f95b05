/* arena.c — chunked bump allocator with deferred destructors. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (16 * 1024)
#define ARENA_ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct defer {
	struct defer *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct chunk *head;  /* chunks, newest first */
	struct chunk *first; /* the arena's own chunk, kept on reset */
	struct defer *defers;
	size_t used;
};

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *arena_new(void)
{
	struct arena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->head = a->first = chunk_new(ARENA_CHUNK);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void arena_reset(struct arena *a)
{
	if (a == NULL)
		return;
	while (a->defers) {
		struct defer *d = a->defers;
		a->defers = d->next;
		d->fn(d->p);
	}
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		if (c != a->first)
			free(c);
	}
	a->head = a->first;
	a->head->next = NULL;
	a->head->used = 0;
	a->used = 0;
}

void arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->head);
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n) {
		fputs("arena: size overflow\n", stderr);
		abort();
	}
	if (c->size - c->used < need) {
		size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		struct chunk *nc = chunk_new(size);
		if (nc == NULL) {
			fputs("arena: out of memory\n", stderr);
			abort();
		}
		/* Big allocations get their own chunk behind the current one so the
		 * current chunk's free space is not wasted. */
		if (need > ARENA_CHUNK / 2) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		c = nc;
	}
	p = c->data + c->used;
	c->used += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		fputs("arena: calloc overflow\n", stderr);
		abort();
	}
	return arena_alloc(a, count * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void *arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct defer *d;
	if (p == NULL)
		return NULL;
	d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
	return p;
}

size_t arena_used(const struct arena *a)
{
	return a->used;
}
