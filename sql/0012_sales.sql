-- 0012_sales.sql — the figures the consoles run the exhibition by: a sales
-- summary kept in the transaction of every change it summarises.
--
-- Why a summary and not indexes: the dashboard and analytics/overview sum a
-- whole year of an event's sales on every call (every 5 s per open console).
-- Over 1 000 000 orders even an index-only scan reads a million entries; the
-- summary has one row per event and sale day (plus one per product), so a
-- year is ~365 rows.
--
-- What is counted, all by the SALE DAY of the order (its paid_at in the
-- event's time zone): a refund lowers the figures of the day its order was
-- sold, so no day ever goes below zero, and the sum over all days is the
-- total net of refunds.
--   orders           orders sold that day (status paid, partially_refunded, refunded)
--   refunded_orders  of those, the ones refunded in full (status refunded)
--   tickets          their tickets still worth something (status valid or used)
--   used_tickets     of those, the ones admitted (status used)
--   amount           what the orders cost (orders.amount, gross)
--   refunded         what was given back (refunds done)
-- and per product (sales_product_daily): units still sold (qty − refunded_qty)
-- and their amount (units × unit_price).
--
-- How it stays right: deferred constraint triggers on orders, order_items,
-- tickets and refunds, so every road that sells, refunds or admits (payment
-- commit, webhook, reconciler, refunds, invitation claims, the gate) keeps it
-- without knowing about it, and a failing update fails the change itself.
-- Deferred (they run at COMMIT) for lock order: the sale and the refund lock
-- quota_usage rows in their statements, and only then, at commit, the
-- summary rows, so the two never wait on each other in a cycle. Every change
-- locks its (event, day) row of sales_daily first, before any product row
-- of that day, for the same reason. sales_recount(event) recomputes the
-- figures from the orders; sales_drift(event) lists where the two differ.
--
-- Ordering of the deferred triggers within one commit does not matter: each
-- reads the order's state as committed (paid_at, status), not as it was when
-- its row changed. The one assumption: an order's tickets and items are
-- written in the transaction that sells it or after it (true of every road).

CREATE TABLE sales_daily (
    event_id         bigint  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    day              date    NOT NULL,
    orders           integer NOT NULL DEFAULT 0,
    refunded_orders  integer NOT NULL DEFAULT 0,
    tickets          integer NOT NULL DEFAULT 0,
    used_tickets     integer NOT NULL DEFAULT 0,
    amount           bigint  NOT NULL DEFAULT 0,
    refunded         bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, day)
);
-- analytics/revenue and overview across every event, by day
CREATE INDEX sales_daily_day_idx ON sales_daily (day);

CREATE TABLE sales_product_daily (
    event_id    bigint  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    day         date    NOT NULL,
    product_id  bigint  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    units       integer NOT NULL DEFAULT 0,
    amount      bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, day, product_id)
);

CREATE FUNCTION sales_sold(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('paid', 'partially_refunded', 'refunded')
$$;

-- The sale day of an order, NULL when it was never paid.
CREATE FUNCTION sales_day(p_event bigint, p_paid_at timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (p_paid_at AT TIME ZONE e.timezone)::date FROM events e WHERE e.id = p_event
$$;

CREATE FUNCTION sales_add(p_event bigint, p_day date, p_orders integer, p_refunded_orders integer,
                          p_tickets integer, p_used integer, p_amount bigint, p_refunded bigint)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO sales_daily AS s (event_id, day, orders, refunded_orders, tickets, used_tickets,
                                  amount, refunded)
    VALUES (p_event, p_day, p_orders, p_refunded_orders, p_tickets, p_used, p_amount, p_refunded)
    ON CONFLICT (event_id, day) DO UPDATE SET
        orders = s.orders + EXCLUDED.orders,
        refunded_orders = s.refunded_orders + EXCLUDED.refunded_orders,
        tickets = s.tickets + EXCLUDED.tickets,
        used_tickets = s.used_tickets + EXCLUDED.used_tickets,
        amount = s.amount + EXCLUDED.amount,
        refunded = s.refunded + EXCLUDED.refunded
$$;

-- Adds sign × the order's items as they are now (units still sold).
CREATE FUNCTION sales_add_items(p_order bigint, p_event bigint, p_day date, p_sign integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_add(p_event, p_day, 0, 0, 0, 0, 0, 0);   -- the day's row first (lock order)
    INSERT INTO sales_product_daily AS s (event_id, day, product_id, units, amount)
    SELECT p_event, p_day, i.product_id, p_sign * sum(i.qty - i.refunded_qty),
           p_sign * sum((i.qty - i.refunded_qty)::bigint * i.unit_price)
      FROM order_items i WHERE i.order_id = p_order
     GROUP BY i.product_id
     ORDER BY i.product_id
    ON CONFLICT (event_id, day, product_id) DO UPDATE SET
        units = s.units + EXCLUDED.units, amount = s.amount + EXCLUDED.amount;
END;
$$;

CREATE FUNCTION sales_orders_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP = 'UPDATE' AND sales_sold(OLD.status);
    now_sold boolean := sales_sold(NEW.status);
BEGIN
    IF was THEN
        PERFORM sales_add(OLD.event_id, sales_day(OLD.event_id, OLD.paid_at), -1,
                          -(OLD.status = 'refunded')::integer, 0, 0, -OLD.amount::bigint, 0);
    END IF;
    IF now_sold THEN
        PERFORM sales_add(NEW.event_id, sales_day(NEW.event_id, NEW.paid_at), 1,
                          (NEW.status = 'refunded')::integer, 0, 0, NEW.amount::bigint, 0);
    END IF;
    -- the products move only when the order starts or stops counting
    IF was AND NOT now_sold THEN
        PERFORM sales_add_items(OLD.id, OLD.event_id, sales_day(OLD.event_id, OLD.paid_at), -1);
    ELSIF now_sold AND NOT was THEN
        PERFORM sales_add_items(NEW.id, NEW.event_id, sales_day(NEW.event_id, NEW.paid_at), 1);
    END IF;
    RETURN NULL;
END;
$$;

-- An order inserted already sold (invitation claim, manual issue): its
-- items are in place at commit, when this runs.
CREATE CONSTRAINT TRIGGER sales_orders_insert AFTER INSERT ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status IN ('paid', 'partially_refunded', 'refunded'))
    EXECUTE FUNCTION sales_orders_trg();
CREATE CONSTRAINT TRIGGER sales_orders_update AFTER UPDATE OF status, paid_at, amount ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.status IN ('paid', 'partially_refunded', 'refunded')
           OR NEW.status IN ('paid', 'partially_refunded', 'refunded'))
          AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.paid_at IS DISTINCT FROM NEW.paid_at
               OR OLD.amount IS DISTINCT FROM NEW.amount))
    EXECUTE FUNCTION sales_orders_trg();

-- A refund of units of a sold order.
CREATE FUNCTION sales_items_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    d integer := OLD.refunded_qty - NEW.refunded_qty;
    d_day date;
BEGIN
    SELECT * INTO o FROM orders WHERE id = NEW.order_id;
    IF NOT FOUND OR NOT sales_sold(o.status) THEN
        RETURN NULL;
    END IF;
    d_day := sales_day(o.event_id, o.paid_at);
    PERFORM sales_add(o.event_id, d_day, 0, 0, 0, 0, 0, 0);
    INSERT INTO sales_product_daily AS s (event_id, day, product_id, units, amount)
    VALUES (o.event_id, d_day, NEW.product_id, d, d::bigint * NEW.unit_price)
    ON CONFLICT (event_id, day, product_id) DO UPDATE SET
        units = s.units + EXCLUDED.units, amount = s.amount + EXCLUDED.amount;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER sales_items_update AFTER UPDATE OF refunded_qty ON order_items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.refunded_qty IS DISTINCT FROM NEW.refunded_qty)
    EXECUTE FUNCTION sales_items_trg();

-- Tickets of sold orders: issued, refunded or voided, admitted.
CREATE FUNCTION sales_tickets_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    dt integer := (NEW.status IN ('valid', 'used'))::integer;
    du integer := (NEW.status = 'used')::integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        dt := dt - (OLD.status IN ('valid', 'used'))::integer;
        du := du - (OLD.status = 'used')::integer;
    END IF;
    IF dt = 0 AND du = 0 THEN
        RETURN NULL;
    END IF;
    SELECT * INTO o FROM orders WHERE id = NEW.order_id;
    IF NOT FOUND OR NOT sales_sold(o.status) THEN
        RETURN NULL;
    END IF;
    PERFORM sales_add(o.event_id, sales_day(o.event_id, o.paid_at), 0, 0, dt, du, 0, 0);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER sales_tickets_insert AFTER INSERT ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION sales_tickets_trg();
CREATE CONSTRAINT TRIGGER sales_tickets_update AFTER UPDATE OF status ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION sales_tickets_trg();

-- Money given back, on the sale day of its order.
CREATE FUNCTION sales_refunds_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o orders%ROWTYPE;
    d bigint := CASE WHEN NEW.status = 'done' THEN NEW.amount ELSE 0 END;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        d := d - CASE WHEN OLD.status = 'done' THEN OLD.amount ELSE 0 END;
    END IF;
    SELECT * INTO o FROM orders WHERE id = NEW.order_id;
    IF d = 0 OR NOT FOUND OR o.paid_at IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM sales_add(o.event_id, sales_day(o.event_id, o.paid_at), 0, 0, 0, 0, 0, d);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER sales_refunds_insert AFTER INSERT ON refunds
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'done')
    EXECUTE FUNCTION sales_refunds_trg();
CREATE CONSTRAINT TRIGGER sales_refunds_update AFTER UPDATE OF status, amount ON refunds
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount)
    EXECUTE FUNCTION sales_refunds_trg();

-- The figures of one event computed from the orders themselves: what
-- sales_daily must hold (rows of all zeros left out).
CREATE FUNCTION sales_recount(p_event bigint)
RETURNS TABLE (day date, orders bigint, refunded_orders bigint, tickets bigint,
               used_tickets bigint, amount bigint, refunded bigint)
LANGUAGE sql STABLE AS $$
    WITH o AS (
        SELECT o.id, o.status, o.amount, sales_sold(o.status) AS sold,
               (o.paid_at AT TIME ZONE e.timezone)::date AS day
          FROM orders o JOIN events e ON e.id = o.event_id
         WHERE o.event_id = p_event AND o.paid_at IS NOT NULL),
    a AS (SELECT day, count(*) AS orders, count(*) FILTER (WHERE status = 'refunded') AS refunded_orders,
                 sum(amount)::bigint AS amount
            FROM o WHERE sold GROUP BY day),
    t AS (SELECT o.day, count(*) FILTER (WHERE t.status IN ('valid', 'used')) AS tickets,
                 count(*) FILTER (WHERE t.status = 'used') AS used_tickets
            FROM o JOIN tickets t ON t.order_id = o.id WHERE o.sold GROUP BY o.day),
    f AS (SELECT o.day, sum(f.amount)::bigint AS refunded
            FROM o JOIN refunds f ON f.order_id = o.id WHERE f.status = 'done' GROUP BY o.day)
    SELECT x.day, COALESCE(a.orders, 0), COALESCE(a.refunded_orders, 0), COALESCE(t.tickets, 0),
           COALESCE(t.used_tickets, 0), COALESCE(a.amount, 0), COALESCE(f.refunded, 0)
      FROM (SELECT day FROM a UNION SELECT day FROM t UNION SELECT day FROM f) x
      LEFT JOIN a ON a.day = x.day LEFT JOIN t ON t.day = x.day LEFT JOIN f ON f.day = x.day
     WHERE COALESCE(a.orders, 0) <> 0 OR COALESCE(t.tickets, 0) <> 0
        OR COALESCE(t.used_tickets, 0) <> 0 OR COALESCE(f.refunded, 0) <> 0
$$;

CREATE FUNCTION sales_product_recount(p_event bigint)
RETURNS TABLE (day date, product_id bigint, units bigint, amount bigint)
LANGUAGE sql STABLE AS $$
    SELECT (o.paid_at AT TIME ZONE e.timezone)::date, i.product_id, sum(i.qty - i.refunded_qty),
           sum((i.qty - i.refunded_qty)::bigint * i.unit_price)::bigint
      FROM orders o JOIN events e ON e.id = o.event_id JOIN order_items i ON i.order_id = o.id
     WHERE o.event_id = p_event AND sales_sold(o.status)
     GROUP BY 1, 2
    HAVING sum(i.qty - i.refunded_qty) <> 0
$$;

-- Where the summary and the recount disagree (no rows: they agree).
CREATE FUNCTION sales_drift(p_event bigint)
RETURNS TABLE (source text, what text)
LANGUAGE sql STABLE AS $$
    (SELECT 'summary', row(s.day, s.orders, s.refunded_orders, s.tickets, s.used_tickets,
                           s.amount, s.refunded)::text
       FROM sales_daily s
      WHERE s.event_id = p_event
        AND (s.orders, s.refunded_orders, s.tickets, s.used_tickets, s.amount, s.refunded)
            <> (0, 0, 0, 0, 0, 0)
     EXCEPT
     SELECT 'summary', row(r.*)::text FROM sales_recount(p_event) r)
    UNION ALL
    (SELECT 'recount', row(r.*)::text FROM sales_recount(p_event) r
     EXCEPT
     SELECT 'recount', row(s.day, s.orders, s.refunded_orders, s.tickets, s.used_tickets,
                           s.amount, s.refunded)::text
       FROM sales_daily s WHERE s.event_id = p_event)
    UNION ALL
    (SELECT 'summary', row(s.day, s.product_id, s.units, s.amount)::text
       FROM sales_product_daily s WHERE s.event_id = p_event AND s.units <> 0
     EXCEPT
     SELECT 'summary', row(r.*)::text FROM sales_product_recount(p_event) r)
    UNION ALL
    (SELECT 'recount', row(r.*)::text FROM sales_product_recount(p_event) r
     EXCEPT
     SELECT 'recount', row(s.day, s.product_id, s.units, s.amount)::text
       FROM sales_product_daily s WHERE s.event_id = p_event)
$$;

-- What the summary starts from: the sales made before it existed.
INSERT INTO sales_daily (event_id, day, orders, refunded_orders, tickets, used_tickets, amount, refunded)
SELECT e.id, r.day, r.orders, r.refunded_orders, r.tickets, r.used_tickets, r.amount, r.refunded
  FROM events e, sales_recount(e.id) r;
INSERT INTO sales_product_daily (event_id, day, product_id, units, amount)
SELECT e.id, r.day, r.product_id, r.units, r.amount
  FROM events e, sales_product_recount(e.id) r;

-- The dashboard's last five minutes and analytics/realtime's last minute
-- read orders by (event_id, created_at) and (event_id, paid_at) and scans by
-- (event_id, scanned_at): indexes of 0001/0006.
