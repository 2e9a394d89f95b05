/* routes.c — reading the workers' route tables. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *const routes_families[] = {"public", "payment", "admin", "super_admin", "entrance"};
const size_t routes_n_families = sizeof(routes_families) / sizeof(routes_families[0]);

const char *routes_build_dir(void)
{
	static char dir[1024];
	const char *b = getenv("TICKET_BUILD"), *root = getenv("TICKET_ROOT");

	if (b && *b)
		return b;
	snprintf(dir, sizeof(dir), "%s/build", root && *root ? root : ".");
	return dir;
}

int routes_load(const char *bin, struct troute **out, char *err, size_t errlen)
{
	char cmd[1200], line[512];
	FILE *p;
	struct troute *v = NULL;
	int n = 0, cap = 0, status;

	*out = NULL;
	snprintf(cmd, sizeof(cmd), "'%s/%s' --routes 2>&1", routes_build_dir(), bin);
	p = popen(cmd, "r");
	if (p == NULL) {
		snprintf(err, errlen, "cannot run %s", cmd);
		return -1;
	}
	while (fgets(line, sizeof(line), p)) {
		struct troute r;
		char path[256];
		if (sscanf(line, "%11s %255s %d", r.method, path, &r.level) != 3 ||
		    path[0] != '/') {
			snprintf(err, errlen, "%s: unexpected line: %s", cmd, line);
			pclose(p);
			free(v);
			return -1;
		}
		snprintf(r.path, sizeof(r.path), "%s", path);
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = realloc(v, (size_t)cap * sizeof(*v));
			if (v == NULL)
				abort();
		}
		v[n++] = r;
	}
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n == 0) {
		snprintf(err, errlen, "%s failed (status %d, %d routes)", cmd, status, n);
		free(v);
		return -1;
	}
	*out = v;
	return n;
}

void routes_shape(const char *path, char *out, size_t outlen)
{
	size_t j = 0;
	for (const char *s = path; *s && j + 3 < outlen; s++) {
		if (*s == '{') {
			const char *e = strchr(s, '}');
			if (e) {
				out[j++] = '{';
				out[j++] = '}';
				s = e;
				continue;
			}
		}
		out[j++] = *s;
	}
	out[j] = '\0';
}
