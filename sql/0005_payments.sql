-- Payments: what the worker daemon looks for every second (lib/payment.c,
-- payment_settle_stuck) must not scan the payments table.
--
-- A payment the quota could not take is cancelled at Toss at once; when Toss
-- cannot be reached, the payment stays status 'DONE' with last_error set on
-- a canceled order until the daemon's retry gets through (then status
-- 'CANCELED', last_error NULL). Paid orders' payments have last_error NULL.
CREATE INDEX payments_cancel_owed_idx ON payments (updated_at)
    WHERE status = 'DONE' AND last_error IS NOT NULL;
