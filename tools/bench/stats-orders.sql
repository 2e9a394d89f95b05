-- tools/bench/stats-orders.sql — a year of sales for the figures' benchmark:
--   psql -v code=… -v orders=1000000 -v days=365 -f stats-orders.sql
-- One exhibition (code :code) with three dated products, and :orders paid
-- orders spread evenly over the last :days days (today included), each with
-- its item and 1–3 tickets: 3 % refunded in full, 2 % refunded by one
-- ticket, 60 % of the other tickets of past days admitted. Rows go in by
-- set-based INSERTs with the sales-summary triggers off, and the summary is
-- then rebuilt with sales_recount() — the same function the tests compare
-- the triggers' summary with. Prints the event's id.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO events (code, title, starts_on, ends_on, is_active, hold_seconds, max_per_order)
VALUES (:'code', 'figures bench ' || :'code', (now() AT TIME ZONE 'Asia/Seoul')::date - :days,
        (now() AT TIME ZONE 'Asia/Seoul')::date + 30, true, 600, 10)
RETURNING id AS event_id \gset
INSERT INTO products (event_id, type, name, price, dated, sort_order)
VALUES (:event_id, 'TICKET', '성인', 15000, true, 1), (:event_id, 'TICKET', '청소년', 10000, true, 2),
       (:event_id, 'TICKET', '어린이', 7000, true, 3);

ALTER TABLE orders DISABLE TRIGGER sales_orders_insert;
ALTER TABLE orders DISABLE TRIGGER sales_orders_update;
ALTER TABLE order_items DISABLE TRIGGER sales_items_update;
ALTER TABLE tickets DISABLE TRIGGER sales_tickets_insert;
ALTER TABLE tickets DISABLE TRIGGER sales_tickets_update;
ALTER TABLE refunds DISABLE TRIGGER sales_refunds_insert;
ALTER TABLE refunds DISABLE TRIGGER sales_refunds_update;

SELECT COALESCE(max(id), 0) AS o0 FROM orders \gset
SELECT COALESCE(max(id), 0) AS i0 FROM order_items \gset
SELECT COALESCE(max(id), 0) AS t0 FROM tickets \gset

CREATE TEMP TABLE g ON COMMIT DROP AS
SELECT i, :o0 + i AS oid, p.id AS product_id, p.price, x.qty, x.paid_at,
       CASE WHEN i % 100 < 3 THEN 'refunded'
            WHEN i % 100 < 5 AND x.qty > 1 THEN 'partially_refunded'
            ELSE 'paid' END AS status
  FROM generate_series(1, :orders) AS i
  CROSS JOIN LATERAL (SELECT 1 + (i % 3) AS qty,
                             -- spread evenly over the days, newest first
                             now() - make_interval(secs => ((i - 1)::bigint * (:days * 86400)
                                                            / :orders)::double precision) AS paid_at) x
  JOIN (SELECT id, price, row_number() OVER (ORDER BY id) - 1 AS k FROM products
         WHERE event_id = :event_id) p ON p.k = (i / 3) % 3;

INSERT INTO orders (id, event_id, order_number, reservation_token, toss_order_id, status,
                    visit_date, amount, customer_name, customer_phone, access_token,
                    paid_at, created_at, source)
OVERRIDING SYSTEM VALUE
SELECT g.oid, :event_id, 'BN-' || lpad(g.oid::text, 12, '0'), 'benchres' || lpad(g.oid::text, 12, '0'),
       'benchtoss' || lpad(g.oid::text, 12, '0'), g.status, (g.paid_at AT TIME ZONE 'Asia/Seoul')::date,
       g.qty * g.price, '벤치' || (g.i % 1000), '010' || lpad((g.i % 100000000)::text, 8, '0'),
       'benchacc' || lpad(g.oid::text, 12, '0'), g.paid_at, g.paid_at - interval '3 minutes', 'web'
  FROM g;

INSERT INTO order_items (id, order_id, product_id, qty, unit_price, amount, refunded_qty)
OVERRIDING SYSTEM VALUE
SELECT :i0 + g.i, g.oid, g.product_id, g.qty, g.price, g.qty * g.price,
       CASE g.status WHEN 'refunded' THEN g.qty WHEN 'partially_refunded' THEN 1 ELSE 0 END
  FROM g;

INSERT INTO tickets (id, order_id, order_item_id, event_id, product_id, code, visit_date, status,
                     used_at, used_gate, refunded_at)
OVERRIDING SYSTEM VALUE
SELECT :t0 + (g.i - 1) * 3 + j, g.oid, :i0 + g.i, :event_id, g.product_id,
       'BENCH' || lpad((:t0 + (g.i - 1) * 3 + j)::text, 12, '0'),
       (g.paid_at AT TIME ZONE 'Asia/Seoul')::date, s.status,
       CASE WHEN s.status = 'used' THEN g.paid_at + interval '1 hour' END,
       CASE WHEN s.status = 'used' THEN 'G' || (1 + (g.i + j) % 4) END,
       CASE WHEN s.status = 'refunded' THEN g.paid_at + interval '1 hour' END
  FROM g CROSS JOIN LATERAL generate_series(1, g.qty) AS j
  CROSS JOIN LATERAL (SELECT CASE
         WHEN g.status = 'refunded' OR (g.status = 'partially_refunded' AND j = 1) THEN 'refunded'
         WHEN g.paid_at < now() - interval '1 day' AND (g.i + j) % 10 < 6 THEN 'used'
         ELSE 'valid' END AS status) s;

INSERT INTO refunds (order_id, amount, reason, status, created_at)
SELECT g.oid, CASE g.status WHEN 'refunded' THEN g.qty * g.price ELSE g.price END, 'bench', 'done',
       g.paid_at + interval '1 hour'
  FROM g WHERE g.status <> 'paid';

SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
SELECT setval(pg_get_serial_sequence('order_items', 'id'), (SELECT max(id) FROM order_items));
SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets));

DELETE FROM sales_daily WHERE event_id = :event_id;
DELETE FROM sales_product_daily WHERE event_id = :event_id;
INSERT INTO sales_daily (event_id, day, orders, refunded_orders, tickets, used_tickets, amount, refunded)
SELECT :event_id, r.* FROM sales_recount(:event_id) r;
INSERT INTO sales_product_daily (event_id, day, product_id, units, amount)
SELECT :event_id, r.* FROM sales_product_recount(:event_id) r;

ALTER TABLE orders ENABLE TRIGGER sales_orders_insert;
ALTER TABLE orders ENABLE TRIGGER sales_orders_update;
ALTER TABLE order_items ENABLE TRIGGER sales_items_update;
ALTER TABLE tickets ENABLE TRIGGER sales_tickets_insert;
ALTER TABLE tickets ENABLE TRIGGER sales_tickets_update;
ALTER TABLE refunds ENABLE TRIGGER sales_refunds_insert;
ALTER TABLE refunds ENABLE TRIGGER sales_refunds_update;
COMMIT;
ANALYZE orders;
ANALYZE order_items;
ANALYZE tickets;
ANALYZE refunds;
ANALYZE sales_daily;
ANALYZE sales_product_daily;
SELECT :event_id AS event_id;
