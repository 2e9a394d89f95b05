-- 0006_orders.sql — admin order management (lib/orders.c).
--
-- A refund may be of amount 0: an invitation's ticket (the order cost
-- nothing) or a free product of a paid order is refunded without a Toss
-- call, and the refunds row is still its record (tickets, admin, reason).
ALTER TABLE refunds DROP CONSTRAINT refunds_amount;
ALTER TABLE refunds ADD CONSTRAINT refunds_amount CHECK (amount >= 0);

-- The order list of an event, newest first, filtered by status.
CREATE INDEX orders_event_created_id_idx ON orders (event_id, created_at DESC, id DESC);
