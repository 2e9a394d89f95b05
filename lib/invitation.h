/*
 * invitation.h — invitations for partner companies (tables invitations and
 * invitation_claims): a batch of free places on one product, given to a
 * company as a link with an unguessable token (192 random bits), claimed
 * one per phone number.
 *
 * A claim is a sale of amount 0: the same Redis hold as a reservation (a
 * sold-out counter answers without PostgreSQL) and the same PostgreSQL guard
 * as a payment's commit (quota_usage.sold + qty <= capacity,
 * payment_sell_free), then an order (source 'invitation', status paid),
 * its signed ticket, the claim, the batch's count and the Alimtalk
 * notification (INVITATION_ISSUED) in one transaction; the hold is consumed
 * after the commit, so the Redis counters agree with what was sold.
 *
 * Invitation object: {id, company, quantity, claimed, remaining, product_id,
 * product_name, visit_date, token, url ({base}/{code}/invitations/{token}),
 * revoked_at, created_at}.
 */
#ifndef INVITATION_H
#define INVITATION_H

#include "http.h"

#define INVITATION_COMPANY_MAX 200
#define INVITATION_QUANTITY_MAX 100000
#define INVITATION_NAME_MAX 100
#define INVITATION_TOKEN_MAX 256     /* a token in a path; ours are 32 characters */
#define INVITATION_CLAIMS_SHOWN 1000 /* claims in the detail; the CSV has all */

/* GET events/{id}/invitations?page=&limit= (MANAGER+) → list, newest first. */
void invitation_list(struct http_req *r);

/* POST events/{id}/invitations {"company","quantity","product_id","visit_date"?}
 * (MANAGER+) → 201 {"invitation":{…}}. 422 naming the field: company 1–200
 * characters of one line, quantity 1–100000, product_id a live product of
 * the event (not_found), visit_date within the event's dates, required when
 * the product is dated or counts against a per-day quota. Activity
 * "invitation.create". */
void invitation_create(struct http_req *r);

/* GET events/{id}/invitations/{bid} → {"invitation":{…, "claims":[{id, name,
 * phone, order_number, ticket_code, ticket_status, created_at}]}} (the
 * newest INVITATION_CLAIMS_SHOWN). 404 NOT_FOUND. */
void invitation_get(struct http_req *r);

/* DELETE events/{id}/invitations/{bid} → 200 {"invitation":{…}} with
 * revoked_at set: the link stops working; claimed tickets stay valid.
 * Revoking a revoked batch answers it unchanged. Activity
 * "invitation.revoke". 404 NOT_FOUND. */
void invitation_revoke(struct http_req *r);

/* GET events/{id}/invitations/{bid}/claims/export → text/csv of every claim
 * (이름, 전화번호, 주문번호, 티켓 상태, 받은 시각), cells starting with = + - @
 * neutralised. 404 NOT_FOUND. */
void invitation_export(struct http_req *r);

/* GET invitations/{token} (public) → {"invitation":{company, event:{code,
 * title, venue, starts_on, ends_on}, product:{id, name}, visit_date,
 * remaining}}. 404 NOT_FOUND for unknown and revoked tokens. */
void invitation_public_get(struct http_req *r);

/* POST invitations/{token}/claims {"name","phone"} (public) → 201
 * {"order":{order_number, access, status, visit_date, amount, source,
 * customer:{name}, tickets:[{code, product_name, status, visit_date,
 * qr_svg_url}]}}. 404 NOT_FOUND (unknown or revoked); 409 ALREADY_CLAIMED
 * (this phone claimed from this batch); 409 SOLD_OUT when the batch is used
 * up or a quota of the product is full; 422 naming name / phone. */
void invitation_claim(struct http_req *r);

#endif
