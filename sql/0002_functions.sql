-- Helpers shared by every module's queries.

-- iso(ts): an instant as ISO-8601 with the Seoul offset, the API's format
-- ("2026-11-21T10:00:00+09:00"). Workers run their sessions in Asia/Seoul;
-- the zone is pinned here so the output never depends on the session.
CREATE FUNCTION iso(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ts IS NULL THEN NULL
           ELSE to_char(ts AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD"T"HH24:MI:SS') || '+09:00' END
$$;

-- seoul_today(): the service's current calendar day.
CREATE FUNCTION seoul_today() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (now() AT TIME ZONE 'Asia/Seoul')::date
$$;
