-- 0013_queue.sql — the waiting room's settings on the event (lib/queue.c).
--
-- queue_enabled and queue_admit_per_second exist since 0001. An event
-- gains: how many admitted buyers may hold unspent, unexpired admission
-- tokens at once (max_active), the instant the queue opens (joins before
-- it are shuffled into a random order at that instant; NULL: open now),
-- and the VIP codes that join the priority lane.
ALTER TABLE events
    ADD COLUMN queue_max_active integer NOT NULL DEFAULT 500,
    ADD COLUMN queue_opens_at timestamptz NULL,
    ADD COLUMN queue_vip_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE events
    ADD CONSTRAINT events_queue_max_active CHECK (queue_max_active BETWEEN 1 AND 1000000),
    ADD CONSTRAINT events_queue_vip_codes CHECK (cardinality(queue_vip_codes) <= 100);
