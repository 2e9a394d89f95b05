/*
 * settings.h — system-wide settings (table settings: key → JSON value),
 * edited by the super admin (PERM_SUPER routes GET|PUT settings).
 *
 * Known keys and their ranges:
 *   default_hold_seconds   5–3600   hold time of events created without one
 *   default_max_per_order  1–100    order limit of events created without one
 *   login_max_failures     3–20     failed logins in a row before a lockout
 *   login_lock_minutes     1–1440   length of a lockout
 *   site_name              1–100 characters
 * Others are ignored on PUT; GET lists every row of the table.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include "http.h"

/* GET settings → {"settings":{key: value, …}}. */
void settings_get(struct http_req *r);

/* PUT settings {known keys, any subset} → the updated {"settings":…};
 * logged as settings.update {"changes":{key:{before,after}}} when a value
 * changed (nothing is written otherwise). */
void settings_put(struct http_req *r);

#endif
