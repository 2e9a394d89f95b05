/*
 * order.h — the customer's view of an order and its tickets (public
 * family). Admin order management lives elsewhere.
 *
 * An order is shown to whoever proves it is theirs: the access token of the
 * confirmation link (?access=) or the customer's phone number (?phone=,
 * dashes allowed). A wrong proof, an unknown order and an unknown event all
 * answer the same 404 NOT_FOUND, so the answer never tells whether an order
 * exists. Tokens and phone numbers are compared in constant time.
 */
#ifndef ORDER_H
#define ORDER_H

#include "http.h"

#define ORDER_ACCESS_MAX 256 /* orders.access_token */
#define ORDER_SVG_MAX_AGE 3600

/* GET events/{code}/orders/{order_number}?phone= | ?access= →
 * {"order":{order_number, status, visit_date, amount, paid_at,
 *   event:{code,title}, customer:{name, phone (masked 010-****-5678), email},
 *   items:[{product_id,name,type,qty,unit_price,amount}],
 *   tickets:[{code, product_name, status valid|used|refunded, visit_date,
 *             used_at, qr_svg_url}]}}.
 * status is the order's, with a pending order whose hold ran out shown as
 * "expired". qr_svg_url is /fcgi/public/tickets/{code}.svg?access=<token>. */
void order_public_get(struct http_req *r);

#define ORDER_SUFFIX_LEN 8 /* random characters after "CODE-" */

/* A new order number, "AAA-7K3Q9MXD": the event code in capitals, a dash and
 * ORDER_SUFFIX_LEN characters of an alphabet without 0/O and 1/I/L (numbers
 * are read out over the phone). Aborts without entropy: no number could be
 * unguessable. */
void order_number_new(const char *code, char *out, size_t len);

/* GET tickets/{file} where file is "<code>.svg", ?access=<the order's
 * token> → the ticket's QR code, image/svg+xml (private cache, an SVG-only
 * Content-Security-Policy); anything else → 404 NOT_FOUND. */
void order_ticket_svg(struct http_req *r);

#endif
