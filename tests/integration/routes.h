/*
 * routes.h — the route tables the workers declare, read from
 * `<build>/<family> --routes` ("METHOD /fcgi/<family>/pattern LEVEL" per
 * line), so tests can insist that every route is covered.
 */
#ifndef ROUTES_H
#define ROUTES_H

#include <stddef.h>

struct troute {
	char method[12];
	char path[256]; /* "/fcgi/admin/events/{id}/notices/{nid}" */
	int level;      /* enum perm_level: 0 public, 1–8 event, 9 super, 100 login */
};

/* Binaries of the five families (the super-admin family's is super_admin). */
extern const char *const routes_families[];
extern const size_t routes_n_families;

/* The build directory: TICKET_BUILD, else $TICKET_ROOT/build, else build. */
const char *routes_build_dir(void);

/* Runs <build>/<bin> --routes. Returns the number of routes and sets *out
 * (malloc'd, caller frees), or -1 with a reason in err. */
int routes_load(const char *bin, struct troute **out, char *err, size_t errlen);

/* path with every {name} replaced by {} (templates compare by shape). */
void routes_shape(const char *path, char *out, size_t outlen);

#endif
