-- Stock: what one unit of a product takes from which quota.
--
-- A TICKET or MERCH takes one unit from each of its quotas. A PACKAGE takes,
-- for each product it contains, qty units from that product's quotas, plus
-- one unit from any quota the package itself is attached to. Deleted quotas
-- take nothing. The hold path (through the worker's catalog cache), the
-- reconciler and availability all read this one definition.
CREATE VIEW product_quota_units AS
SELECT p.id AS product_id, pq.quota_id, 1 AS units
  FROM products p
  JOIN product_quotas pq ON pq.product_id = p.id
  JOIN quotas q ON q.id = pq.quota_id AND q.deleted_at IS NULL
UNION ALL
SELECT pi.package_id AS product_id, pq.quota_id, pi.qty AS units
  FROM package_items pi
  JOIN products p ON p.id = pi.package_id AND p.type = 'PACKAGE'
  JOIN product_quotas pq ON pq.product_id = pi.product_id
  JOIN quotas q ON q.id = pq.quota_id AND q.deleted_at IS NULL;

-- Pending orders are found by expiry for the sweeper and the reconciler.
CREATE INDEX orders_event_pending_expiry_idx ON orders (event_id, hold_expires_at)
    WHERE status = 'pending';
