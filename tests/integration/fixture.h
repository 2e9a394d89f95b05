/*
 * fixture.h — the objects most scenarios share, made through the API.
 *
 * Two events (A and B, both active, codes unique to this run) and four
 * actors: admins with levels 1, 2 and 3 on event A only, and a super admin.
 * They are created once per process by the seeded super admin ("superadmin",
 * password TICKET_SUPERADMIN_PASSWORD or "superadmin-demo"); their tokens
 * are cached. Tests must not change them (no logout with their tokens, no
 * password resets, no re-assignment): a test that needs to do such things
 * makes its own objects with mk_event / mk_admin and unique names.
 *
 * Every name is unique per run (RUN = random digits), so the suite can run
 * any number of times against one database.
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "client.h"

#define FX_PASSWORD_LEN 40

struct actor {
	const char *role; /* "viewer", "staff", "manager", "super" */
	char username[48];
	char password[FX_PASSWORD_LEN];
	long long id;
	int level; /* on event A; 9 for the super admin */
	struct sess *s;
};

struct fixture {
	char run[8]; /* this run's random digits */
	long long ev_a, ev_b;
	char code_a[17], code_b[17];
	struct actor viewer, staff, manager, super;
	/* The API did not make an is_super account (POST admins ignores
	 * "is_super"), so `super` is the seeded super admin itself. */
	bool super_is_bootstrap;
	struct sess *boot; /* the seeded super admin's session */
};

/* Creates the fixtures; false with a reason in err. Idempotent. */
bool fx_init(char *err, size_t n);

/* The fixtures; fails the calling test when they could not be made. */
const struct fixture *fx(void);

/* The actor of a level on event A: 1, 2, 3, or 9 (super admin). */
const struct actor *fx_actor(int level);

/* A super admin's token (the fixture's). */
const char *super_tok(void);

/* This run's random digits (made on first use; no request). */
const char *fx_run(void);

/* Unique names: an event code "t<run><tag><n>" (tag ≤ 5 of [a-z0-9]) and a
 * username "t<run>_<tag><n>" (tag ≤ 12 of [a-z0-9_]). Ring strings. */
char *uniq_code(const char *tag);
char *uniq_user(const char *tag);

/* The standard body of a new event (dates around today); ring string. */
char *event_body(const char *code, const char *title);

/* Creates an event as the super admin (201 asserted), optionally activates
 * it (200 asserted); returns its id. */
long long mk_event(const char *code, bool activate);

/* Creates an admin as the super admin (201 asserted); returns its id. */
long long mk_admin(const char *username, const char *password);

/* Replaces an admin's assignments: pairs of (event id, level), n pairs
 * (200 asserted). */
void set_events(long long admin_id, int n, ...);

/* A fresh session for an actor (NULL-safe: fails the test when login fails). */
struct sess *login_ok(const char *family, const char *username, const char *password);

#endif
