/*
 * ticket.h — signed ticket codes.
 *
 * Each exhibition has an Ed25519 key pair (event_keys; one active, older
 * ones kept for verification so keys can be rotated). A code carries the key
 * id, the event id, the ticket id, the visit date and a random part, plus the
 * signature over them, so a scanner holding the public keys can tell a forged
 * code from a real one without the server. Codes are uppercase base32 (RFC
 * 4648 alphabet, no padding) so that QR codes use the dense alphanumeric mode.
 */
#ifndef TICKET_H
#define TICKET_H

#include "arena.h"

#include <stdbool.h>
#include <stdint.h>

#define TICKET_CODE_MAX 200

/*
 * The code, before base32: version byte (TICKET_CODE_VERSION), kid, event_id,
 * ticket_id (each an unsigned LEB128 varint, shortest form), the visit date
 * as big-endian days since 2000-01-01 (2 bytes, 0xFFFF = undated), 4 random
 * bytes, then the 64-byte Ed25519 signature over all the bytes before it.
 * Typical ids (kid < 128, event < 128, ticket < 2^21) give 76 bytes = 122
 * characters, which fits a version 5-M QR code in alphanumeric mode. Only
 * the canonical encoding is accepted: uppercase, no padding, zero trailing
 * bits, shortest varints, exact length.
 */
#define TICKET_CODE_VERSION 1

struct ticket_claims {
	int64_t event_id;
	int64_t ticket_id;
	char visit_date[11]; /* "" when the ticket is not dated */
	uint32_t kid;        /* key id within the event */
};

enum ticket_err {
	TICKET_OK,
	TICKET_MALFORMED, /* not a code of ours */
	TICKET_FORGED,    /* signature does not verify with the event's key */
	TICKET_NO_KEY,    /* the event has no key with that id */
	TICKET_DB,        /* PostgreSQL failed */
	TICKET_CRYPTO,    /* OpenSSL failed */
};

/* Pure crypto, for tests and offline scanners: sign / verify with raw 32-byte
 * keys. ticket_sign writes a NUL-terminated code into out. */
enum ticket_err ticket_sign(const unsigned char priv[32], const struct ticket_claims *c,
                            const unsigned char random[4], char out[TICKET_CODE_MAX + 1]);
enum ticket_err ticket_verify(const unsigned char pub[32], const char *code,
                              struct ticket_claims *out);

/* Reads the claims of a code without verifying (to find the event's key). */
enum ticket_err ticket_peek(const char *code, struct ticket_claims *out);

/* A new key pair for an event when it has none (or rotate=true: retire the
 * active one and add a new one). Runs inside the caller's transaction. */
enum ticket_err ticket_key_ensure(struct arena *a, int64_t event_id, bool rotate);

/* Signs a code for a ticket with the event's active key (creating the key
 * pair on first use). */
enum ticket_err ticket_code_for(struct arena *a, int64_t event_id, int64_t ticket_id,
                                const char *visit_date, char out[TICKET_CODE_MAX + 1]);

/* Verifies a code with the keys of event_id stored in PostgreSQL; claims of
 * a code signed for another event come back as TICKET_OK with a different
 * out->event_id only if that event's key verifies it — callers compare. */
enum ticket_err ticket_code_check(struct arena *a, const char *code, struct ticket_claims *out);

/* A new Ed25519 key pair as raw 32-byte keys (TICKET_OK or TICKET_CRYPTO). */
enum ticket_err ticket_keygen(unsigned char priv[32], unsigned char pub[32]);

/* Forgets the keys this process cached (tests; after a rotation elsewhere
 * when waiting for TICKET_KEY_CACHE_MS is not wanted). */
void ticket_cache_clear(void);

/* Exactly 2n lowercase hex characters (encode(…, 'hex') of a key column)
 * into n bytes; false for anything else. */
bool ticket_hex_decode(const char *hex, unsigned char *out, size_t n);

/* RFC 4648 base32, uppercase, no padding. encode writes NUL-terminated text
 * and returns its length, or 0 when it does not fit in cap (with the NUL).
 * decode accepts only the canonical form (A-Z 2-7, a length a real encoding
 * can have, zero trailing bits) and returns the byte count, or -1. */
size_t ticket_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap);
long ticket_base32_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
