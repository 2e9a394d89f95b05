/* msg.c — error and field messages in Korean and English. */
#include "msg.h"

#include <ctype.h>
#include <string.h>

struct msg_entry {
	const char *code;
	int status;
	const char *ko;
	const char *en;
};

static const struct msg_entry errors[] = {
    {"BAD_REQUEST", 400, "잘못된 요청입니다.", "Bad request."},
    {"INVALID_JSON", 400, "JSON 형식이 올바르지 않습니다.", "The body is not valid JSON."},
    {"UNAUTHENTICATED", 401, "로그인이 필요합니다.", "Authentication required."},
    {"BAD_CREDENTIALS", 401, "아이디 또는 비밀번호가 올바르지 않습니다.",
     "Wrong username or password."},
    {"FORBIDDEN", 403, "권한이 없습니다.", "You do not have permission."},
    {"EVENT_FORBIDDEN", 403, "이 전시에 대한 권한이 없습니다.",
     "You are not assigned to this exhibition."},
    {"QUEUE_REQUIRED", 403, "대기열을 통해 입장해 주세요.", "Please enter through the queue."},
    {"CSRF", 403, "보안 토큰이 올바르지 않습니다. 다시 로그인해 주세요.",
     "Missing or wrong CSRF token."},
    {"NOT_FOUND", 404, "찾을 수 없습니다.", "Not found."},
    {"EVENT_NOT_FOUND", 404, "전시를 찾을 수 없습니다.", "Exhibition not found."},
    {"METHOD_NOT_ALLOWED", 405, "허용되지 않는 메서드입니다.", "Method not allowed."},
    {"SOLD_OUT", 409, "매진되었습니다.", "Sold out."},
    {"CONFLICT", 409, "요청이 현재 상태와 충돌합니다.",
     "The request conflicts with the current state."},
    {"ALREADY_USED", 409, "이미 사용된 티켓입니다.", "The ticket has already been used."},
    {"RESERVATION_EXPIRED", 409, "예약 시간이 만료되었습니다.", "The reservation has expired."},
    {"ALREADY_REFUNDED", 409, "이미 환불되었습니다.", "Already refunded."},
    {"MULTIPLE_ORDERS", 409, "이 전화번호로 된 주문이 여러 건입니다. 주문번호를 선택해 주세요.",
     "Several orders match this phone number; choose one by its order number."},
    {"QUEUE_DISABLED", 409, "이 전시는 대기열을 사용하지 않습니다.",
     "This exhibition has no waiting room."},
    {"ALREADY_CLAIMED", 409, "이미 이 초대권을 받으셨습니다.",
     "This phone number has already claimed from this invitation."},
    {"TOO_LARGE", 413, "요청 본문이 너무 큽니다.", "The request body is too large."},
    {"UNSUPPORTED_MEDIA_TYPE", 415, "Content-Type은 application/json이어야 합니다.",
     "Content-Type must be application/json."},
    {"VALIDATION", 422, "입력값을 확인해 주세요.", "Please check the input."},
    {"LOCKED", 423, "로그인 시도가 많아 계정이 잠겼습니다. 잠시 후 다시 시도해 주세요.",
     "Too many failed logins; the account is locked for a while."},
    {"RATE_LIMITED", 429, "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
     "Too many requests; please retry later."},
    {"PAYMENT_REJECTED", 402, "결제가 승인되지 않았습니다. 다른 결제 수단으로 다시 시도해 주세요.",
     "The payment was declined; please try another payment method."},
    {"INTERNAL", 500, "일시적인 오류가 발생했습니다.", "Internal error."},
    {"PAYMENT_PROVIDER_ERROR", 502, "결제사 응답에 문제가 있습니다.",
     "The payment provider failed."},
    {"UNAVAILABLE", 503, "서비스를 일시적으로 사용할 수 없습니다.",
     "Service temporarily unavailable."},
};

static const struct msg_entry fields[] = {
    {"required", 0, "필수 항목입니다.", "is required"},
    {"type_string", 0, "문자열이어야 합니다.", "must be a string"},
    {"type_integer", 0, "정수여야 합니다.", "must be an integer"},
    {"type_boolean", 0, "true 또는 false여야 합니다.", "must be true or false"},
    {"type_object", 0, "객체여야 합니다.", "must be an object"},
    {"type_array", 0, "배열이어야 합니다.", "must be an array"},
    {"too_short", 0, "너무 짧습니다.", "is too short"},
    {"too_long", 0, "너무 깁니다.", "is too long"},
    {"too_small", 0, "값이 너무 작습니다.", "is too small"},
    {"too_large", 0, "값이 너무 큽니다.", "is too large"},
    {"invalid", 0, "형식이 올바르지 않습니다.", "is not valid"},
    {"invalid_utf8", 0, "올바른 UTF-8 문자열이 아닙니다.", "is not valid UTF-8"},
    {"taken", 0, "이미 사용 중입니다.", "is already taken"},
    {"not_found", 0, "존재하지 않습니다.", "does not exist"},
    {"duplicate", 0, "중복되었습니다.", "is duplicated"},
    {"date_order", 0, "종료일은 시작일 이후여야 합니다.", "must not be before the start"},
    {"date_format", 0, "날짜는 YYYY-MM-DD 형식이어야 합니다.", "must be a date as YYYY-MM-DD"},
    {"date_past", 0, "이미 지난 날짜입니다. 오늘 이후의 날짜를 선택해 주세요.",
     "is in the past; choose today or a later day"},
    {"date_outside_event", 0, "전시 기간이 아닌 날짜입니다. 전시 기간 안에서 선택해 주세요.",
     "is outside the exhibition's dates; choose a day within them"},
    {"date_closed", 0, "휴관일입니다. 다른 날짜를 선택해 주세요.",
     "is a day the exhibition is closed; choose another day"},
};

enum msg_lang msg_lang_from_header(const char *al)
{
	if (al == NULL)
		return LANG_KO;
	while (*al == ' ')
		al++;
	if (tolower((unsigned char)al[0]) == 'e' && tolower((unsigned char)al[1]) == 'n' &&
	    (al[2] == '\0' || al[2] == '-' || al[2] == ',' || al[2] == ';' || al[2] == ' '))
		return LANG_EN;
	return LANG_KO;
}

static const struct msg_entry *find(const struct msg_entry *t, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].code, code) == 0)
			return &t[i];
	return NULL;
}

const char *msg_error(const char *code, enum msg_lang lang)
{
	const struct msg_entry *e = find(errors, sizeof(errors) / sizeof(errors[0]), code);
	if (e == NULL)
		e = find(errors, sizeof(errors) / sizeof(errors[0]), "INTERNAL");
	return lang == LANG_EN ? e->en : e->ko;
}

int msg_status(const char *code)
{
	const struct msg_entry *e = find(errors, sizeof(errors) / sizeof(errors[0]), code);
	return e ? e->status : 500;
}

const char *msg_field(const char *key, enum msg_lang lang)
{
	const struct msg_entry *e = find(fields, sizeof(fields) / sizeof(fields[0]), key);
	if (e == NULL)
		e = find(fields, sizeof(fields) / sizeof(fields[0]), "invalid");
	return lang == LANG_EN ? e->en : e->ko;
}
