-- 0011_gate.sql — the entrance: admission, the scan log, offline uploads
-- (lib/scan.c).
--
-- events.entry_messages: tell the customer when a ticket is admitted (an
-- ENTRY_ADMITTED outbox row in the admission's transaction).
ALTER TABLE events ADD COLUMN entry_messages boolean NOT NULL DEFAULT false;

-- scans gains what the logs and statistics need:
--   checked  the scan only checked (admit:false): an 'ok' that admitted nobody
--   conflict an offline scan of a ticket already used elsewhere (two gates
--            admitted one ticket while offline; the later upload is this one)
--   late     an offline scan uploaded long after it was made (SCAN_LATE)
ALTER TABLE scans
    ADD COLUMN checked  boolean NOT NULL DEFAULT false,
    ADD COLUMN conflict boolean NOT NULL DEFAULT false,
    ADD COLUMN late     boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT scans_conflict_offline CHECK (NOT conflict OR offline),
    ADD CONSTRAINT scans_late_offline CHECK (NOT late OR offline);

-- The logs, newest first, per event (and per gate).
CREATE INDEX scans_event_id_idx ON scans (event_id, id DESC);
CREATE INDEX scans_event_gate_id_idx ON scans (event_id, gate, id DESC);
-- The statistics: admissions by gate of one event.
CREATE INDEX tickets_event_used_gate_idx ON tickets (event_id, used_gate) WHERE used_at IS NOT NULL;

-- scan_age_group(product name): 'child' or 'youth' when the product's name
-- says so (어린이/아동/유아/child/kid, 청소년/학생/youth/teen/student), else
-- NULL. The steward must check such tickets, so the answer says it plainly.
CREATE FUNCTION scan_age_group(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN name ~* '(어린이|아동|유아|child|kid)' THEN 'child'
                WHEN name ~* '(청소년|학생|youth|teen|student)' THEN 'youth' END
$$;

-- scan_mask(name): the holder's name as the steward may see it: first and
-- last character kept, the middle starred ("홍길동" → "홍*동", "홍길" → "홍*").
CREATE FUNCTION scan_mask(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN name IS NULL OR name = '' THEN ''
                WHEN char_length(name) = 1 THEN '*'
                WHEN char_length(name) = 2 THEN left(name, 1) || '*'
                ELSE left(name, 1) || repeat('*', char_length(name) - 2) || right(name, 1) END
$$;

-- scan_admit: one scan of a ticket whose code's signature the caller has
-- verified (ticket p_ticket, code p_code), in one round trip and one
-- transaction:
--   1. offline (p_nonce set): the scan row is inserted first, ON CONFLICT
--      (nonce) DO NOTHING — a nonce seen before (or being inserted by a
--      concurrent upload, which this waits for) answers 'duplicate' and
--      changes nothing;
--   2. admission (p_admit) is the one conditional update of the ticket
--      (status 'valid', used_at IS NULL, right event and visit date): of any
--      number of simultaneous scans exactly one finds the row;
--   3. the ticket is then read again (a new snapshot: a concurrent winner's
--      use is seen) to name the result and the first use;
--   4. the scan is logged; an admission of an event with entry_messages on
--      queues its ENTRY_ADMITTED notification.
-- p_at is when the scan happened (an offline device's clock, never later
-- than now); p_late: how old an upload may be before it is marked late.
-- Returns the answer as JSON: result, ticket, used_at, gate, first_used_at,
-- first_gate, conflict, scan_id; {"result":"no_event"} (nothing written) when
-- p_event is no live event.
CREATE FUNCTION scan_admit(p_event bigint, p_ticket bigint, p_code text, p_gate text,
                           p_device text, p_admin bigint, p_admit boolean, p_nonce text,
                           p_at timestamptz, p_late interval)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_at      timestamptz := LEAST(COALESCE(p_at, now()), now());
    v_offline boolean := p_nonce IS NOT NULL;
    v_scan    bigint;
    v_ok      boolean := false;
    v_result  text;
    v_conflict boolean := false;
    v_prev    bigint;
    t         record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM events WHERE id = p_event AND deleted_at IS NULL) THEN
        RETURN json_build_object('result', 'no_event'); -- the caller answers 404
    END IF;
    IF v_offline THEN
        INSERT INTO scans (event_id, ticket_id, code, result, gate, device_id, admin_id, nonce,
                           scanned_at, offline, late)
        VALUES (p_event, NULL, p_code, 'invalid', p_gate, p_device, p_admin, p_nonce, v_at, true,
                now() - v_at > p_late)
        ON CONFLICT (nonce) DO NOTHING
        RETURNING id INTO v_scan;
        IF v_scan IS NULL THEN
            RETURN json_build_object('result', 'duplicate');
        END IF;
    END IF;

    IF p_admit THEN
        UPDATE tickets tk SET status = 'used', used_at = v_at, used_gate = p_gate,
                              used_device = p_device
          FROM events e
         WHERE tk.id = p_ticket AND tk.code = p_code AND tk.event_id = p_event
           AND tk.status = 'valid' AND tk.used_at IS NULL AND e.id = tk.event_id
           AND (tk.visit_date IS NULL OR tk.visit_date = (v_at AT TIME ZONE e.timezone)::date);
        v_ok := FOUND;
    END IF;

    SELECT tk.id, tk.event_id, tk.status, tk.used_at, tk.used_gate, tk.visit_date, tk.code,
           tk.used_device, p.id AS product_id, p.name AS product_name, o.id AS order_id, o.order_number,
           o.customer_phone, COALESCE(tk.holder_name, o.customer_name) AS holder,
           (v_at AT TIME ZONE e.timezone)::date AS local_day, e.entry_messages
      INTO t
      FROM tickets tk
      JOIN products p ON p.id = tk.product_id
      JOIN orders o ON o.id = tk.order_id
      JOIN events e ON e.id = p_event
     WHERE tk.id = p_ticket AND tk.code = p_code;

    v_result := CASE
        WHEN t.id IS NULL THEN 'invalid'
        WHEN v_ok THEN 'ok'
        WHEN t.event_id <> p_event THEN 'wrong_event'
        WHEN t.status = 'refunded' THEN 'refunded'
        WHEN t.status = 'void' THEN 'invalid'
        WHEN t.used_at IS NOT NULL THEN 'already_used'
        WHEN t.visit_date IS NOT NULL AND t.visit_date <> t.local_day THEN 'wrong_date'
        WHEN p_admit THEN 'invalid' -- cannot happen: the update would have matched
        ELSE 'ok' END;

    -- Two offline admissions of one ticket uploaded in the wrong order: the
    -- earlier scan is the admission and the later one the conflict, whichever
    -- reached the server first. Only between offline scans (an online
    -- admission is never moved), and no second entry message.
    IF v_offline AND v_result = 'already_used' AND t.event_id = p_event AND t.used_at > v_at THEN
        SELECT s.id INTO v_prev FROM scans s
         WHERE s.ticket_id = t.id AND s.result = 'ok' AND s.offline AND NOT s.checked
           AND s.scanned_at = t.used_at AND s.id <> v_scan
         ORDER BY s.id LIMIT 1;
        IF v_prev IS NOT NULL THEN
            UPDATE tickets SET used_at = v_at, used_gate = p_gate, used_device = p_device
             WHERE id = t.id AND status = 'used' AND used_at = t.used_at;
            IF FOUND THEN
                UPDATE scans SET result = 'already_used', conflict = true WHERE id = v_prev;
                v_result := 'ok';
                t.used_at := v_at;
                t.used_gate := p_gate;
                t.used_device := p_device;
            END IF;
        END IF;
    END IF;

    IF v_offline THEN
        -- A conflict: admitted first by another gate or device (a device
        -- that scanned one ticket twice is not in conflict with itself).
        v_conflict := v_result = 'already_used'
                      AND (t.used_gate IS DISTINCT FROM p_gate OR t.used_device IS DISTINCT FROM p_device);
        UPDATE scans SET ticket_id = t.id, result = v_result, conflict = v_conflict
         WHERE id = v_scan;
    ELSE
        INSERT INTO scans (event_id, ticket_id, code, result, gate, device_id, admin_id,
                           scanned_at, checked)
        VALUES (p_event, t.id, p_code, v_result, p_gate, p_device, p_admin, v_at, NOT p_admit)
        RETURNING id INTO v_scan;
    END IF;

    IF v_ok AND t.entry_messages THEN
        INSERT INTO notifications (event_id, order_id, channel, template_code, recipient, params)
        VALUES (p_event, t.order_id, 'alimtalk', 'ENTRY_ADMITTED', t.customer_phone,
                jsonb_build_object('name', t.holder, 'productName', t.product_name,
                                   'orderNumber', t.order_number, 'gate', p_gate,
                                   'usedAt', iso(v_at)));
    END IF;

    IF t.id IS NULL THEN
        RETURN json_build_object('result', v_result, 'scan_id', v_scan);
    END IF;
    RETURN json_build_object(
        'result', v_result,
        'scan_id', v_scan,
        'conflict', v_conflict,
        'ticket', json_build_object('code', t.code, 'product_id', t.product_id,
                                    'product_name', t.product_name,
                                    'visit_date', t.visit_date,
                                    'customer_name', scan_mask(t.holder),
                                    'order_number', t.order_number,
                                    'age_group', scan_age_group(t.product_name)),
        'used_at', iso(t.used_at),
        'gate', CASE WHEN v_ok THEN p_gate ELSE t.used_gate END,
        'first_used_at', CASE WHEN v_result = 'already_used' THEN iso(t.used_at) END,
        'first_gate', CASE WHEN v_result = 'already_used' THEN t.used_gate END);
END;
$$;
