-- tools/bench/event.sql — one bench exhibition: psql -v code=… -v capacity=…
-- An event on sale (today … +30 days), one per-day quota of :capacity
-- tickets, one dated TICKET product drawing from it. Prints
-- "event_id|product_id|quota_id". Direct inserts: the admin API for quotas
-- and products is not needed for a benchmark.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO events (code, title, starts_on, ends_on, is_active, hold_seconds, max_per_order)
VALUES (:'code', 'bench ' || :'code', (now() AT TIME ZONE 'Asia/Seoul')::date,
        (now() AT TIME ZONE 'Asia/Seoul')::date + 30, true, 600, 10)
RETURNING id AS event_id \gset
INSERT INTO quotas (event_id, name, capacity, per_day)
VALUES (:event_id, '일일 입장', :capacity, true)
RETURNING id AS quota_id \gset
INSERT INTO products (event_id, type, name, price, dated)
VALUES (:event_id, 'TICKET', '성인', 15000, true)
RETURNING id AS product_id \gset
INSERT INTO product_quotas (product_id, quota_id) VALUES (:product_id, :quota_id);
COMMIT;
SELECT :event_id, :product_id, :quota_id;
