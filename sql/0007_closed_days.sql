-- 0007_closed_days.sql — the days an exhibition is closed, so a visit date
-- on one is refused with its own reason (date_closed) and the booking page
-- can show it as unavailable.
--   closed_weekdays: ISO weekdays, 1 Monday … 7 Sunday (e.g. {1}: closed Mondays)
--   closed_dates:    single days (holidays, maintenance)
ALTER TABLE events
    ADD COLUMN closed_weekdays smallint[] NOT NULL DEFAULT '{}'
        CONSTRAINT events_closed_weekdays CHECK (closed_weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
    ADD COLUMN closed_dates date[] NOT NULL DEFAULT '{}'
        CONSTRAINT events_closed_dates CHECK (cardinality(closed_dates) <= 366);
