/*
 * msg.h — the texts users read, Korean first with English on request.
 * Error codes are stable API; their messages live in one table here.
 */
#ifndef MSG_H
#define MSG_H

enum msg_lang { LANG_KO, LANG_EN };

/* Chooses the language from an Accept-Language header value: English when
 * its first language tag is "en…", Korean otherwise (also for NULL). */
enum msg_lang msg_lang_from_header(const char *accept_language);

/* The message for an error code in a language; a generic one for codes not
 * in the table. Never NULL. */
const char *msg_error(const char *code, enum msg_lang lang);

/* The default HTTP status for an error code (500 for unknown codes). */
int msg_status(const char *code);

/* Messages for validation of a single field ("required", "too_long" …). */
const char *msg_field(const char *key, enum msg_lang lang);

#endif
