/* config.c — environment + optional KEY=VALUE file. */
#include "config.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config cfg;

#define CONFIG_MAX_ENTRIES 128
#define CONFIG_MAX_LINE 4096

static struct {
	char *key;
	char *value;
} file_entries[CONFIG_MAX_ENTRIES];
static int n_file_entries;

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool load_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[CONFIG_MAX_LINE];

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) && n_file_entries < CONFIG_MAX_ENTRIES) {
		char *s = trim(line), *eq, *v;
		size_t vl;
		if (*s == '#' || *s == '\0' || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		v = trim(eq + 1);
		vl = strlen(v);
		/* Accept shell quoting of the env file: KEY="value" or KEY='value'. */
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
		}
		file_entries[n_file_entries].key = strdup(trim(s));
		file_entries[n_file_entries].value = strdup(v);
		n_file_entries++;
	}
	fclose(f);
	return true;
}

const char *config_get(const char *key)
{
	const char *v = getenv(key);
	if (v != NULL)
		return v;
	for (int i = 0; i < n_file_entries; i++)
		if (strcmp(file_entries[i].key, key) == 0)
			return file_entries[i].value;
	return NULL;
}

static const char *get_or(const char *key, const char *def)
{
	const char *v = config_get(key);
	return (v && *v) ? v : def;
}

enum config_err config_load(void)
{
	const char *file = getenv("TICKET_CONFIG");
	const char *ttl;

	if (file && *file && !load_file(file)) {
		log_event(LOG_ERROR, "config", "msg", "cannot read TICKET_CONFIG", "file", file,
		          NULL);
		return CONFIG_FILE;
	}
	cfg.pg = get_or("TICKET_PG", "dbname=ticketd");
	cfg.redis = get_or("TICKET_REDIS", "/run/ticketd/redis.sock");
	cfg.jwt_secret = get_or("TICKET_JWT_SECRET", NULL);
	cfg.base_url = get_or("TICKET_BASE_URL", "http://127.0.0.1:8080");
	cfg.var = get_or("TICKET_VAR", "var");
	cfg.root = get_or("TICKET_ROOT", ".");
	cfg.toss_url = get_or("TICKET_TOSS_URL", "https://api.tosspayments.com");
	cfg.toss_client_key = get_or("TICKET_TOSS_CLIENT_KEY", "");
	cfg.toss_secret_key = get_or("TICKET_TOSS_SECRET_KEY", "");
	cfg.kakao_url = get_or("TICKET_KAKAO_URL", "https://api-alimtalk.cloud.toast.com");
	cfg.kakao_appkey = get_or("TICKET_KAKAO_APPKEY", "");
	cfg.kakao_secret = get_or("TICKET_KAKAO_SECRET", "");
	cfg.dev = strcmp(get_or("TICKET_DEV", "0"), "1") == 0;
	ttl = get_or("TICKET_TOKEN_TTL", "43200");
	cfg.token_ttl = atoi(ttl) > 0 ? atoi(ttl) : 43200;
	if (cfg.jwt_secret == NULL || strlen(cfg.jwt_secret) < 16) {
		log_event(LOG_ERROR, "config", "msg",
		          "TICKET_JWT_SECRET missing or shorter than 16", "key",
		          "TICKET_JWT_SECRET", NULL);
		return CONFIG_MISSING;
	}
	return CONFIG_OK;
}
