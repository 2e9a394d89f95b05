/*
 * alimtalk.h — Kakao Alimtalk through NHN Cloud Bizmessage v2.3: the
 * template texts of the repository and the send call (libcurl).
 *
 * Templates: $TICKET_ROOT/templates/alimtalk/<code>.txt, the registered text
 * with #{name} variables (templates/alimtalk/README.md lists the codes and
 * their params). The fake provider reads the same files.
 *
 * Send: POST {TICKET_KAKAO_URL}/alimtalk/v2.3/appkeys/{TICKET_KAKAO_APPKEY}/messages
 * with X-Secret-Key (TICKET_KAKAO_SECRET), X-NC-API-IDEMPOTENCY-KEY, one
 * recipient with its templateParameter and, when a resend number is set
 * (TICKET_KAKAO_RESEND_NO; 0212345678 on a dev stack), resendParameter for
 * the SMS/LMS fallback. TICKET_KAKAO_SENDER_KEY is the channel's sender key.
 * Connect timeout 3 s, whole call TICKET_KAKAO_TIMEOUT_MS (default 5000).
 */
#ifndef ALIMTALK_H
#define ALIMTALK_H

#include "arena.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

#define ALIMTALK_CODE_MAX 64          /* templateCode */
#define ALIMTALK_TEXT_MAX 1000        /* characters of a message (Kakao's limit) */
#define ALIMTALK_FILE_MAX 8192        /* bytes of a template file */
#define ALIMTALK_VAR_MAX 64           /* bytes of a #{name} */
#define ALIMTALK_BODY_MAX (64 * 1024) /* largest answer read */

/* Kakao's per-recipient result codes the system acts on. */
#define ALIMTALK_RESULT_MISMATCH 3016 /* text does not match the template */
#define ALIMTALK_RESULT_NO_KAKAO 3018 /* cannot be delivered by KakaoTalk */
#define ALIMTALK_DUPLICATE (-1005)    /* idempotency key seen in the last 10 min */

enum alimtalk_err {
	ALIMTALK_OK,
	ALIMTALK_NO_TEMPLATE, /* no such code (or not a valid code) */
	ALIMTALK_MISMATCH,    /* a variable has no value, or the text is too long */
};

/* The text of template code (arena). ALIMTALK_OK or ALIMTALK_NO_TEMPLATE. */
enum alimtalk_err alimtalk_template(struct arena *a, const char *code, const char **text);

/* tmpl with every #{name} replaced by params[name] (a string or a number).
 * ALIMTALK_MISMATCH (*missing = the variable, or "(length)") when a value
 * is missing or the result is over ALIMTALK_TEXT_MAX characters. */
enum alimtalk_err alimtalk_fill(struct arena *a, const char *tmpl, const cJSON *params,
                                const char **out, const char **missing);

/* What one send call came to. */
enum alimtalk_outcome {
	ALIMTALK_SENT,      /* delivered by KakaoTalk */
	ALIMTALK_RESENT,    /* Kakao could not deliver; the SMS/LMS fallback did */
	ALIMTALK_ALREADY,   /* -1005: an earlier attempt with this key was accepted */
	ALIMTALK_REFUSED,   /* refused for good (template mismatch, bad request, no fallback) */
	ALIMTALK_TRANSIENT, /* 5xx, timeout, connection failure: retry with the same key */
};

struct alimtalk_result {
	long http_status;    /* 0 without an answer */
	int code;            /* header.resultCode, or the recipient's resultCode */
	char request_id[80]; /* message.requestId */
	char text[240];      /* a short description for the row ("3018 …; LMS") */
};

/* Sends template code to recipient with params (an object of strings), with
 * idem as the idempotency key. Fills *res in every case. */
enum alimtalk_outcome alimtalk_send(struct arena *a, const char *idem, const char *code,
                                    const char *recipient, const cJSON *params,
                                    struct alimtalk_result *res);

const char *alimtalk_outcome_name(enum alimtalk_outcome o);

#endif
