/*
 * fake_core.c — the helpers, state files and fault knobs the fakes share
 * (see fake_core.h for the contracts).
 */
#include "fake_core.h"

#include "config.h"
#include "log.h"
#include "tk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[PATH_MAX - 64];

bool fake_dir_init(const char *name)
{
	int n;

	if (g_dir[0])
		return true;
	n = snprintf(g_dir, sizeof(g_dir), "%s/%s", cfg.var, name);
	if (n < 0 || (size_t)n >= sizeof(g_dir)) {
		g_dir[0] = '\0';
		return false;
	}
	if (mkdir(cfg.var, 0750) != 0 && errno != EEXIST)
		goto fail;
	if (mkdir(g_dir, 0700) != 0 && errno != EEXIST)
		goto fail;
	return true;
fail:
	log_msg(LOG_ERROR, "fake_init", "%s: %s", g_dir, strerror(errno));
	g_dir[0] = '\0';
	return false;
}

const char *fake_dir(void)
{
	return g_dir;
}

/* ---- append-only logs ------------------------------------------------------ */

static void log_path(const char *name, const char *suffix, char *out, size_t cap)
{
	if (snprintf(out, cap, "%s/%s%s", g_dir, name, suffix) >= (int)cap)
		out[0] = '\0';
}

bool fake_log_append(const char *name, const cJSON *obj, long max_bytes)
{
	char path[PATH_MAX], old[PATH_MAX], lock[PATH_MAX];
	char *line = cJSON_PrintUnformatted(obj);
	struct stat sb;
	bool ok = false;
	int lfd = -1, fd = -1;
	size_t n;

	log_path(name, ".jsonl", path, sizeof(path));
	log_path(name, ".1.jsonl", old, sizeof(old));
	log_path(name, ".jsonl.lock", lock, sizeof(lock));
	if (line == NULL || !path[0] || !old[0] || !lock[0])
		goto out;
	n = strlen(line);
	line[n] = '\n'; /* replaces the NUL: written as one line */
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		goto out;
	while (flock(lfd, LOCK_EX) != 0)
		if (errno != EINTR)
			goto out;
	if (stat(path, &sb) == 0 && sb.st_size > max_bytes && rename(path, old) != 0)
		goto out;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		goto out;
	ok = write(fd, line, n + 1) == (ssize_t)(n + 1);
out:
	if (!ok)
		log_msg(LOG_ERROR, "fake_log_append", "%s: %s", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd); /* releases the flock */
	cJSON_free(line);
	return ok;
}

static void log_each_file(const char *path, void (*fn)(const cJSON *, void *), void *ctx)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		cJSON *o = cJSON_Parse(line);
		if (cJSON_IsObject(o))
			fn(o, ctx);
		cJSON_Delete(o);
	}
	free(line);
	fclose(f);
}

void fake_log_each(const char *name, void (*fn)(const cJSON *obj, void *ctx), void *ctx)
{
	char path[PATH_MAX];

	log_path(name, ".1.jsonl", path, sizeof(path));
	if (path[0])
		log_each_file(path, fn, ctx);
	log_path(name, ".jsonl", path, sizeof(path));
	if (path[0])
		log_each_file(path, fn, ctx);
}

void fake_log_clear(const char *name)
{
	char path[PATH_MAX];

	log_path(name, ".1.jsonl", path, sizeof(path));
	if (path[0])
		unlink(path);
	log_path(name, ".jsonl", path, sizeof(path));
	if (path[0])
		unlink(path);
}

/* ---- one-time keys --------------------------------------------------------- */

#define FAKE_ONCE_SWEEP_EVERY 1000 /* calls of a process between sweeps */

/* Removes records older than ttl_ms (all when ttl_ms < 0). */
static void once_sweep(const char *dir, int64_t ttl_ms)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		if (ttl_ms < 0 || (fstatat(dirfd(d), e->d_name, &sb, 0) == 0 &&
		                   (int64_t)(now - sb.st_mtime) * 1000 > ttl_ms))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

enum fake_once fake_once(const char *name, const char *key, int64_t ttl_ms)
{
	static unsigned calls;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat sb;
	int fd;

	if (snprintf(dir, sizeof(dir), "%s/%s", g_dir, name) >= (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, key) >= (int)sizeof(path) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST))
		goto fail;
	if (++calls % FAKE_ONCE_SWEEP_EVERY == 0)
		once_sweep(dir, ttl_ms);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return FAKE_ONCE_NEW;
	}
	if (errno != EEXIST || stat(path, &sb) != 0)
		goto fail;
	if ((int64_t)(time(NULL) - sb.st_mtime) * 1000 <= ttl_ms)
		return FAKE_ONCE_SEEN;
	if (utimensat(AT_FDCWD, path, NULL, 0) != 0)
		goto fail;
	return FAKE_ONCE_NEW;
fail:
	log_msg(LOG_ERROR, "fake_once", "%s/%s: %s", name, key, strerror(errno));
	return FAKE_ONCE_ERROR;
}

void fake_once_clear(const char *name)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/%s", g_dir, name) < (int)sizeof(dir))
		once_sweep(dir, -1);
}

cJSON *fake_fault_take(struct fake_store *knobs, const char *group, const char *key)
{
	cJSON *f, *copy = NULL;
	int64_t n;

	if (!fake_store_lock(knobs))
		return NULL;
	f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(knobs->root, group),
	                                     key);
	if (fake_json_i64(cJSON_GetObjectItemCaseSensitive(f, "n"), 1, INT32_MAX, &n)) {
		copy = cJSON_Duplicate(f, true);
		fake_jset_num(f, "n", n - 1);
		fake_store_save(knobs);
	}
	fake_store_unlock(knobs);
	return copy;
}

bool fake_chars_ok(const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c && strchr(extra, c))))
			return false;
	}
	return true;
}

/* A JSON number that is an integer in [min, max]. */
bool fake_json_i64(const cJSON *v, int64_t min, int64_t max, int64_t *out)
{
	double d;
	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

const char *fake_jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t fake_jnum(const cJSON *o, const char *name, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

/* Sets o[name] to v (taken over), replacing what was there. */
void fake_jset(cJSON *o, const char *name, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, name))
		cJSON_ReplaceItemInObjectCaseSensitive(o, name, v);
	else
		cJSON_AddItemToObject(o, name, v);
}

void fake_jset_str(cJSON *o, const char *name, const char *s)
{
	fake_jset(o, name, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

void fake_jset_num(cJSON *o, const char *name, int64_t v)
{
	fake_jset(o, name, cJSON_CreateNumber((double)v));
}

/* o[name] as an array, made when missing. */
cJSON *fake_jarr(cJSON *o, const char *name)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsArray(a)) {
		a = cJSON_CreateArray();
		fake_jset(o, name, a);
	}
	return a;
}

cJSON *fake_jobj(cJSON *o, const char *name)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsObject(a)) {
		a = cJSON_CreateObject();
		fake_jset(o, name, a);
	}
	return a;
}

/* Seoul wall-clock fields of an instant. */
void fake_seoul_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000) + 9 * 3600;
	gmtime_r(&t, tm);
}

/* Seoul time with milliseconds and a suffix: "2026-11-21T10:00:00.123<suffix>". */
void fake_seoul_ms(int64_t ms, const char *suffix, char out[40])
{
	struct tm tm;
	size_t n;

	fake_seoul_tm(ms, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (snprintf(out + n, 40 - n, ".%03d%s", (int)(ms % 1000), suffix) >= (int)(40 - n))
		out[n] = '\0';
}

void fake_random_b62(char *out, size_t n)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char buf[64];
	if (n > sizeof(buf) || !tk_random(buf, n))
		abort(); /* the OS ran out of randomness: nothing sensible to do */
	for (size_t i = 0; i < n; i++)
		out[i] = b62[buf[i] % 62];
	out[n] = '\0';
}

void fake_random_digits(char *out, size_t n)
{
	unsigned char buf[32];
	if (n > sizeof(buf) || !tk_random(buf, n))
		abort();
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + buf[i] % 10);
	out[n] = '\0';
}

/* s percent-encoded: everything but RFC 3986 unreserved characters and
 * those of keep (the page's links keep ":/@", legal in a query, because
 * lib/http.c refuses %2F). */
char *fake_url_enc_keep(struct arena *a, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = arena_alloc(a, 3 * n + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p) || strchr(keep, *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *fake_url_enc(struct arena *a, const char *s)
{
	return fake_url_enc_keep(a, s, "");
}

char *fake_html_esc(struct arena *a, const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += strchr("&<>\"'", *p) ? 6 : 1;
	out = o = arena_alloc(a, n + 1);
	for (const char *p = s; *p; p++) {
		const char *e = NULL;
		switch (*p) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: *o++ = *p; continue;
		}
		o = stpcpy(o, e);
	}
	*o = '\0';
	return out;
}

/* 12000 → "12,000". */
void fake_won(int64_t v, char out[32])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%lld", (long long)v), j = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
}

/* SHA-256 of the parts (NUL-separated) as 64 hex digits. */
bool fake_sha256_hex(const char *const *parts, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return true;
}

void fake_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};
	/* One call: a signal (SIGTERM from tools/stack.sh stop) ends the wait. */
	nanosleep(&ts, NULL);
}

void fake_reply_html(struct http_req *r, int status, const char *html)
{
	http_add_header(r, "Content-Security-Policy",
	                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
	http_reply(r, status, "text/html; charset=utf-8", html, strlen(html));
}

static void store_path(const struct fake_store *s, const char *suffix, char *out, size_t cap)
{
	if (snprintf(out, cap, "%s/%s%s", g_dir, s->name, suffix) >= (int)cap)
		out[0] = '\0'; /* cannot happen: g_dir leaves room */
}

/* The file's tree; an empty object when it is missing; a corrupt file is
 * moved aside (logged) and an empty object returned. */
static cJSON *store_read(const struct fake_store *s)
{
	char path[PATH_MAX], aside[PATH_MAX];
	struct stat sb;
	cJSON *root = NULL;
	char *text = NULL;
	size_t got = 0;
	int fd;

	store_path(s, ".json", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_msg(LOG_ERROR, "fake_state_read", "%s: %s", path, strerror(errno));
		return cJSON_CreateObject();
	}
	if (fstat(fd, &sb) == 0 && sb.st_size >= 0 && sb.st_size <= FAKE_MAX_FILE) {
		text = malloc((size_t)sb.st_size + 1);
		while (text && got < (size_t)sb.st_size) {
			ssize_t k = read(fd, text + got, (size_t)sb.st_size - got);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (text && got == (size_t)sb.st_size)
			root = cJSON_ParseWithLength(text, got);
	}
	close(fd);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		if (snprintf(aside, sizeof(aside), "%s.corrupt.%lld", path,
		             (long long)tk_now_ms()) >= (int)sizeof(aside))
			aside[0] = '\0';
		log_event(LOG_ERROR, "fake_corrupt_state", "file", path, "moved_to", aside, NULL);
		rename(path, aside);
		root = cJSON_CreateObject();
	}
	return root;
}

/* Takes the store's lock and brings the cached tree up to date. False
 * (logged) when the directory cannot be used. */
bool fake_store_lock(struct fake_store *s)
{
	char path[PATH_MAX];
	uint64_t gen = 0;
	int fd;

	store_path(s, ".lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg(LOG_ERROR, "fake_state_lock", "%s: %s", path, strerror(errno));
		return false;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			log_msg(LOG_ERROR, "fake_state_lock", "%s: %s", path, strerror(errno));
			close(fd);
			return false;
		}
	}
	if (pread(fd, &gen, sizeof(gen), 0) != (ssize_t)sizeof(gen))
		gen = 0;
	if (s->root == NULL || gen != s->gen) {
		cJSON_Delete(s->root);
		s->root = store_read(s);
		s->gen = gen;
	}
	s->fd = fd;
	return true;
}

void fake_store_unlock(struct fake_store *s)
{
	if (s->fd >= 0)
		close(s->fd); /* releases the flock */
	s->fd = -1;
}

/* Writes the cached tree (lock held): temporary file, then rename, then the
 * generation. False (logged) on failure; the cache is then reloaded by the
 * next lock, so memory never runs ahead of the disk for long. */
bool fake_store_save(struct fake_store *s)
{
	char path[PATH_MAX], tmp[PATH_MAX] = "";
	char *text = cJSON_PrintUnformatted(s->root);
	size_t len, off = 0;
	bool ok = false;
	int fd = -1;

	if (text == NULL)
		goto out;
	len = strlen(text);
	store_path(s, ".json", path, sizeof(path));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t k = write(fd, text + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto out;
		off += (size_t)k;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	s->gen++;
	if (pwrite(s->fd, &s->gen, sizeof(s->gen), 0) != (ssize_t)sizeof(s->gen))
		goto out;
	ok = true;
out:
	if (!ok) {
		log_msg(LOG_ERROR, "fake_state_save", "%s: %s", s->name, strerror(errno));
		if (tmp[0])
			unlink(tmp);
		s->gen = (uint64_t)-1; /* reload at the next lock */
	}
	if (fd >= 0)
		close(fd);
	cJSON_free(text);
	return ok;
}

/* Drops the oldest elements of arr beyond max. */
void fake_cap_array(cJSON *arr, int max)
{
	while (cJSON_GetArraySize(arr) > max)
		cJSON_DeleteItemFromArray(arr, 0);
}

int64_t fake_env_i64(const char *name, int64_t min, int64_t max, int64_t def)
{
	const char *v = config_get(name);
	int64_t n;
	if (v == NULL || *v == '\0')
		return def;
	if (!tk_parse_i64(v, min, max, &n)) {
		log_event(LOG_WARN, "fake_config", "msg", "ignored: not a number in range", "key",
		          name, NULL);
		return def;
	}
	return n;
}

void fake_reply_obj(struct http_req *r, int status, cJSON *o)
{
	http_reply_json(r, status, http_own(r, o));
}