/*
 * config.h — process settings from the environment, optionally preceded by a
 * file of KEY=VALUE lines named by TICKET_CONFIG (the environment wins).
 * Read once at start; the struct is worker-lifetime and read-only after.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>

struct config {
	const char *pg;         /* TICKET_PG: libpq conninfo */
	const char *redis;      /* TICKET_REDIS: unix socket path, or host:port */
	const char *jwt_secret; /* TICKET_JWT_SECRET: HMAC key for admin tokens */
	const char *base_url;   /* TICKET_BASE_URL: public origin, http://127.0.0.1:8080 */
	const char *var;        /* TICKET_VAR */
	const char *root;       /* TICKET_ROOT: repository / install root (sql/, public/) */
	const char *toss_url;   /* TICKET_TOSS_URL */
	const char *toss_client_key;
	const char *toss_secret_key;
	const char *kakao_url;
	const char *kakao_appkey;
	const char *kakao_secret;
	bool dev;      /* TICKET_DEV=1: dev/test stack (no Secure cookies...) */
	int token_ttl; /* TICKET_TOKEN_TTL seconds, default 12 h */
};

enum config_err {
	CONFIG_OK,
	CONFIG_FILE,    /* TICKET_CONFIG names a file that cannot be read */
	CONFIG_MISSING, /* a required setting is empty; named in the log */
};

/* The process-wide configuration (valid after config_load). */
extern struct config cfg;

/* Loads cfg. Missing settings get dev defaults except the JWT secret, which
 * must be set (CONFIG_MISSING otherwise, with the key logged). */
enum config_err config_load(void);

/* A setting by name: environment first, then the config file; NULL if unset. */
const char *config_get(const char *key);

#endif
