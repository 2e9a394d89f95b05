/*
 * scan.h — the entrance: scanning and admitting tickets, manual entry,
 * the offline kit and offline uploads (entrance family), and the entrance
 * statistics and logs (admin family). Tables: scans, and the admission
 * columns of tickets (sql/0011_gate.sql, function scan_admit).
 *
 * A scan checks the code's Ed25519 signature first, with the event's public
 * keys cached in the process: a forged or malformed code is answered
 * `invalid` without a PostgreSQL round trip, and its scan row is written
 * later, batched with others (after the answer, or when the worker is idle).
 * Every scan answer carries `X-DB-Round-Trips`: the statements the scan
 * itself sent to PostgreSQL (0 for a forged code once the event's keys are
 * cached; authentication is not counted).
 */
#ifndef SCAN_H
#define SCAN_H

#include "http.h"

#define SCAN_CODE_MAX 1024        /* characters of a scanned code (scans.code) */
#define SCAN_GATE_MAX 64          /* characters of a gate name */
#define SCAN_DEVICE_MAX 128       /* characters of a device id */
#define SCAN_NONCE_MAX 128        /* characters of an offline scan's nonce */
#define SCAN_UPLOAD_MAX 1000      /* offline scans in one upload */
#define SCAN_LOG_BATCH 64         /* forged-code scan rows kept before a write */
#define SCAN_LOG_IDLE_MS 20       /* idle time after which they are written anyway */
#define SCAN_KEYS_TTL_MS 60000    /* how long an event's public keys are trusted */
#define SCAN_KEYS_MISS_MS 5000    /* an unknown kid re-reads the keys at most this often */
#define SCAN_LATE "30 minutes"    /* an offline scan uploaded later than this is late */
#define SCAN_MANUAL_ORDERS_MAX 20 /* orders of one phone listed for manual entry */

/* POST scan {"event_id","code","gate","device_id","admit"} (STAFF+, body
 * event): the verdict, 200 whatever it is. */
void scan_scan(struct http_req *r);

/* POST manual {"event_id","order_number"|"phone","gate","device_id"}
 * (MANAGER+): admits the order's valid tickets; a phone with several orders
 * answers 409 MULTIPLE_ORDERS listing them. */
void scan_manual(struct http_req *r);

/* GET events/{id}/offline-kit (STAFF+). */
void scan_offline_kit(struct http_req *r);

/* POST offline-scans {"event_id","scans":[…]} (STAFF+): one result per
 * scan, idempotent per nonce. */
void scan_offline_upload(struct http_req *r);

/* GET events/{id}/entrance/stats?date= and …/entrance/logs?gate=&result=
 * (VIEWER+, admin family). */
void scan_stats(struct http_req *r);
void scan_logs(struct http_req *r);

#endif
