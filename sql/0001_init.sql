-- 0001_init.sql — the whole ticketd domain (PostgreSQL 15).
--
-- The migration runner wraps this file in one transaction and records it in
-- schema_migrations itself: no BEGIN/COMMIT here.
--
-- Conventions
--   * ids: bigint identity; timestamps: timestamptz; money: integer KRW.
--   * created_at / updated_at default now(); updated_at is maintained by the
--     trigger set_updated_at() on every table that has it.
--   * Soft delete: deleted_at IS NOT NULL. Unique keys (event code, admin
--     username) stay unique across soft-deleted rows.
--   * Free text that the API always returns (venue, address, description …)
--     is NOT NULL DEFAULT '' so the C code never has to map NULL to "".
--   * Rules that span tables are enforced by composite foreign keys where the
--     columns already exist (ticket ↔ order ↔ event …) and by small triggers
--     otherwise; every violation raises SQLSTATE 23xxx (check_violation 23514,
--     foreign_key_violation 23503, unique_violation 23505) so the workers map
--     them to 409/422 uniformly.
--   * Korean mobile numbers are stored as digits only: ^01[016789][0-9]{7,8}$.

-- ---------------------------------------------------------------------------
-- Shared trigger functions
-- ---------------------------------------------------------------------------

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------
-- events: one exhibition, served at /{code}/. Sale window, hold time, order
-- limits and waiting-room settings live here.
-- ---------------------------------------------------------------------------
CREATE TABLE events (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                    text        NOT NULL,
    title                   text        NOT NULL,
    venue                   text        NOT NULL DEFAULT '',
    address                 text        NOT NULL DEFAULT '',
    starts_on               date        NOT NULL,
    ends_on                 date        NOT NULL,
    open_hours              text        NOT NULL DEFAULT '',
    timezone                text        NOT NULL DEFAULT 'Asia/Seoul',
    hold_seconds            integer     NOT NULL DEFAULT 600,
    max_per_order           integer     NOT NULL DEFAULT 10,
    sale_starts_at          timestamptz NULL,
    sale_ends_at            timestamptz NULL,
    queue_enabled           boolean     NOT NULL DEFAULT false,
    queue_admit_per_second  integer     NOT NULL DEFAULT 50,
    is_active               boolean     NOT NULL DEFAULT false,
    description             text        NOT NULL DEFAULT '',
    deleted_at              timestamptz NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_code_key UNIQUE (code),
    CONSTRAINT events_code_format CHECK (code ~ '^[a-z0-9]{2,16}$'),
    CONSTRAINT events_title_len CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT events_venue_len CHECK (char_length(venue) <= 200),
    CONSTRAINT events_address_len CHECK (char_length(address) <= 500),
    CONSTRAINT events_open_hours_len CHECK (char_length(open_hours) <= 500),
    CONSTRAINT events_description_len CHECK (char_length(description) <= 20000),
    CONSTRAINT events_dates CHECK (ends_on >= starts_on),
    CONSTRAINT events_timezone_format CHECK (timezone ~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$'
                                             AND char_length(timezone) <= 64),
    CONSTRAINT events_hold_seconds CHECK (hold_seconds BETWEEN 5 AND 3600),
    CONSTRAINT events_max_per_order CHECK (max_per_order BETWEEN 1 AND 100),
    CONSTRAINT events_sale_window CHECK (sale_starts_at IS NULL OR sale_ends_at IS NULL
                                         OR sale_ends_at > sale_starts_at),
    CONSTRAINT events_queue_rate CHECK (queue_admit_per_second BETWEEN 1 AND 100000),
    CONSTRAINT events_deleted_inactive CHECK (deleted_at IS NULL OR NOT is_active)
);
CREATE INDEX events_active_idx ON events (is_active, starts_on) WHERE deleted_at IS NULL;
CREATE TRIGGER events_updated_at BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- event_keys: Ed25519 key pairs that sign an event's ticket codes. Several per
-- event so keys can be rotated: the signing key is the one not retired; retired
-- keys still verify tickets they signed (offline kit lists all public keys).
-- public_key is the raw 32-byte key; private_key is the raw 32-byte seed or a
-- wrapped/encrypted form of it (at least 32 bytes).
-- ---------------------------------------------------------------------------
CREATE TABLE event_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kid          text        NOT NULL,
    public_key   bytea       NOT NULL,
    private_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz NULL,
    CONSTRAINT event_keys_event_kid_key UNIQUE (event_id, kid),
    CONSTRAINT event_keys_kid_format CHECK (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
    CONSTRAINT event_keys_public_len CHECK (octet_length(public_key) = 32),
    CONSTRAINT event_keys_private_len CHECK (octet_length(private_key) BETWEEN 32 AND 4096),
    CONSTRAINT event_keys_retired_after CHECK (retired_at IS NULL OR retired_at >= created_at)
);
-- At most one signing (unretired) key per event: retire the old key before
-- inserting the new one (same transaction is fine).
CREATE UNIQUE INDEX event_keys_one_active ON event_keys (event_id) WHERE retired_at IS NULL;

-- ---------------------------------------------------------------------------
-- admins: every back-office account (managers, staff, super admins). Password
-- is a crypt(3) hash; bumping session_version invalidates all issued tokens.
-- ---------------------------------------------------------------------------
CREATE TABLE admins (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         text        NOT NULL,
    password_hash    text        NOT NULL,
    name             text        NOT NULL DEFAULT '',
    phone            text        NULL,
    email            text        NULL,
    is_super         boolean     NOT NULL DEFAULT false,
    is_active        boolean     NOT NULL DEFAULT true,
    session_version  integer     NOT NULL DEFAULT 1,
    failed_logins    integer     NOT NULL DEFAULT 0,
    locked_until     timestamptz NULL,
    last_login_at    timestamptz NULL,
    deleted_at       timestamptz NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT admins_username_key UNIQUE (username),
    CONSTRAINT admins_username_format CHECK (username ~ '^[a-z0-9_.]{3,32}$'),
    CONSTRAINT admins_password_hash_len CHECK (char_length(password_hash) BETWEEN 1 AND 512),
    CONSTRAINT admins_name_len CHECK (char_length(name) <= 100),
    CONSTRAINT admins_phone_format CHECK (phone IS NULL OR phone ~ '^[0-9]{8,15}$'),
    CONSTRAINT admins_email_format CHECK (email IS NULL OR (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                                            AND char_length(email) <= 254)),
    CONSTRAINT admins_session_version CHECK (session_version >= 1),
    CONSTRAINT admins_failed_logins CHECK (failed_logins >= 0),
    CONSTRAINT admins_deleted_inactive CHECK (deleted_at IS NULL OR NOT is_active)
);
CREATE TRIGGER admins_updated_at BEFORE UPDATE ON admins
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- admin_sessions: issued login sessions (one per token), so a single token
-- can be revoked (logout) without bumping session_version.
-- ---------------------------------------------------------------------------
CREATE TABLE admin_sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id    bigint      NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz NULL,
    ip          inet        NULL,
    user_agent  text        NOT NULL DEFAULT '',
    CONSTRAINT admin_sessions_expiry CHECK (expires_at > created_at),
    CONSTRAINT admin_sessions_user_agent_len CHECK (char_length(user_agent) <= 1024)
);
CREATE INDEX admin_sessions_admin_idx ON admin_sessions (admin_id);
CREATE INDEX admin_sessions_expires_idx ON admin_sessions (expires_at);

-- ---------------------------------------------------------------------------
-- admin_events: which admin may act on which event, and at what level
-- (1 VIEWER, 2 STAFF, 3 MANAGER, 4-8 MANAGER rights, 9 SUPER_ADMIN).
-- ---------------------------------------------------------------------------
CREATE TABLE admin_events (
    admin_id    bigint      NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    event_id    bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    level       smallint    NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, event_id),
    CONSTRAINT admin_events_level CHECK (level BETWEEN 1 AND 9)
);
CREATE INDEX admin_events_event_idx ON admin_events (event_id);

-- ---------------------------------------------------------------------------
-- products: what an event sells. TICKET and PACKAGE units issue `admits`
-- tickets each (MERCH normally admits 0). max_per_order NULL = the event's.
-- ---------------------------------------------------------------------------
CREATE TABLE products (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint      NOT NULL REFERENCES events (id),
    type            text        NOT NULL,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    price           integer     NOT NULL,
    dated           boolean     NOT NULL DEFAULT false,
    max_per_order   integer     NULL,
    sale_starts_at  timestamptz NULL,
    sale_ends_at    timestamptz NULL,
    admits          integer     NOT NULL DEFAULT 1,
    sort_order      integer     NOT NULL DEFAULT 0,
    is_active       boolean     NOT NULL DEFAULT true,
    deleted_at      timestamptz NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_id_event_key UNIQUE (id, event_id),       -- target of composite FKs
    CONSTRAINT products_type CHECK (type IN ('TICKET', 'MERCH', 'PACKAGE')),
    CONSTRAINT products_name_len CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT products_description_len CHECK (char_length(description) <= 5000),
    CONSTRAINT products_price CHECK (price >= 0),
    CONSTRAINT products_max_per_order CHECK (max_per_order IS NULL OR max_per_order BETWEEN 1 AND 100),
    CONSTRAINT products_sale_window CHECK (sale_starts_at IS NULL OR sale_ends_at IS NULL
                                           OR sale_ends_at > sale_starts_at),
    CONSTRAINT products_admits CHECK (admits BETWEEN 0 AND 100)
);
CREATE INDEX products_event_idx ON products (event_id, sort_order, id);
CREATE TRIGGER products_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- package_items: what one unit of a PACKAGE product contains (qty of each
-- non-package product of the same event).
-- ---------------------------------------------------------------------------
CREATE TABLE package_items (
    package_id  bigint  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    product_id  bigint  NOT NULL REFERENCES products (id),
    qty         integer NOT NULL,
    PRIMARY KEY (package_id, product_id),
    CONSTRAINT package_items_qty CHECK (qty BETWEEN 1 AND 100),
    CONSTRAINT package_items_not_self CHECK (package_id <> product_id)
);
CREATE INDEX package_items_product_idx ON package_items (product_id);

CREATE FUNCTION package_items_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pkg products%ROWTYPE;
    item products%ROWTYPE;
BEGIN
    SELECT * INTO pkg FROM products WHERE id = NEW.package_id;
    SELECT * INTO item FROM products WHERE id = NEW.product_id;
    IF pkg.type <> 'PACKAGE' THEN
        RAISE EXCEPTION 'package_items: product % is not a PACKAGE', NEW.package_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'package_items_package_type';
    END IF;
    IF item.type = 'PACKAGE' THEN
        RAISE EXCEPTION 'package_items: a package cannot contain package %', NEW.product_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'package_items_item_type';
    END IF;
    IF pkg.event_id <> item.event_id THEN
        RAISE EXCEPTION 'package_items: products % and % belong to different events',
                        NEW.package_id, NEW.product_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'package_items_same_event';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER package_items_check BEFORE INSERT OR UPDATE ON package_items
    FOR EACH ROW EXECUTE FUNCTION package_items_check();

-- ---------------------------------------------------------------------------
-- quotas: a stock counter. Its capacity caps what its products sell together,
-- for the whole event or, when per_day, for each visit date.
-- ---------------------------------------------------------------------------
CREATE TABLE quotas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint      NOT NULL REFERENCES events (id),
    name        text        NOT NULL,
    capacity    integer     NOT NULL,
    per_day     boolean     NOT NULL DEFAULT false,
    deleted_at  timestamptz NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quotas_id_event_key UNIQUE (id, event_id),
    CONSTRAINT quotas_name_len CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT quotas_capacity CHECK (capacity >= 0)
);
CREATE INDEX quotas_event_idx ON quotas (event_id);
CREATE TRIGGER quotas_updated_at BEFORE UPDATE ON quotas
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- product_quotas: which quotas one unit of a product draws from (one unit
-- from each). Product and quota must belong to the same event.
-- ---------------------------------------------------------------------------
CREATE TABLE product_quotas (
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quota_id    bigint NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, quota_id)
);
CREATE INDEX product_quotas_quota_idx ON product_quotas (quota_id);

CREATE FUNCTION product_quotas_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT event_id FROM products WHERE id = NEW.product_id)
       IS DISTINCT FROM (SELECT event_id FROM quotas WHERE id = NEW.quota_id) THEN
        RAISE EXCEPTION 'product_quotas: product % and quota % belong to different events',
                        NEW.product_id, NEW.quota_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'product_quotas_same_event';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER product_quotas_check BEFORE INSERT OR UPDATE ON product_quotas
    FOR EACH ROW EXECUTE FUNCTION product_quotas_check();

-- ---------------------------------------------------------------------------
-- quota_usage: units sold per quota (per visit date for per_day quotas,
-- visit_date NULL for whole-event quotas). PostgreSQL's last word against
-- overselling: the commit does
--   UPDATE quota_usage SET sold = sold + $qty
--    WHERE quota_id = $1 AND COALESCE(visit_date, '0001-01-01') = COALESCE($2::date, '0001-01-01')
--      AND sold + $qty <= capacity
-- and CHECK (sold <= capacity) backs it up. `capacity` mirrors quotas.capacity:
-- filled in on INSERT (whatever the caller passes) and kept equal by the
-- trigger on quotas, so lowering a quota below what is sold fails with
-- check_violation on constraint quota_usage_sold_le_capacity (→ 409).
-- Create rows with
--   INSERT INTO quota_usage (quota_id, visit_date) VALUES ($1, $2)
--   ON CONFLICT (quota_id, COALESCE(visit_date, '0001-01-01'::date)) DO NOTHING
-- ---------------------------------------------------------------------------
CREATE TABLE quota_usage (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quota_id    bigint      NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
    visit_date  date        NULL,
    sold        integer     NOT NULL DEFAULT 0,
    capacity    integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quota_usage_sold_nonneg CHECK (sold >= 0),
    CONSTRAINT quota_usage_sold_le_capacity CHECK (sold <= capacity),
    CONSTRAINT quota_usage_visit_date_range CHECK (visit_date IS NULL OR visit_date >= DATE '2000-01-01')
);
CREATE UNIQUE INDEX quota_usage_quota_date_key
    ON quota_usage (quota_id, COALESCE(visit_date, '0001-01-01'::date));

-- On INSERT: take capacity from the quota and check visit_date matches per_day.
-- On UPDATE: capacity may only change to the quota's current capacity.
CREATE FUNCTION quota_usage_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    q quotas%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' OR NEW.quota_id <> OLD.quota_id
       OR NEW.visit_date IS DISTINCT FROM OLD.visit_date
       OR NEW.capacity <> OLD.capacity THEN
        SELECT * INTO q FROM quotas WHERE id = NEW.quota_id;
        IF NOT FOUND THEN
            RETURN NEW;   -- the foreign key reports it
        END IF;
        IF q.per_day AND NEW.visit_date IS NULL THEN
            RAISE EXCEPTION 'quota_usage: quota % is per day, visit_date required', NEW.quota_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'quota_usage_per_day_date';
        END IF;
        IF NOT q.per_day AND NEW.visit_date IS NOT NULL THEN
            RAISE EXCEPTION 'quota_usage: quota % is for the whole event, visit_date must be NULL', NEW.quota_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'quota_usage_per_day_date';
        END IF;
        IF TG_OP = 'INSERT' THEN
            NEW.capacity := q.capacity;
        ELSIF NEW.capacity <> q.capacity THEN
            RAISE EXCEPTION 'quota_usage: capacity follows quotas.capacity (%), not %', q.capacity, NEW.capacity
                USING ERRCODE = 'check_violation', CONSTRAINT = 'quota_usage_capacity_mirror';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER quota_usage_check BEFORE INSERT OR UPDATE ON quota_usage
    FOR EACH ROW EXECUTE FUNCTION quota_usage_check();

-- Keep quota_usage.capacity equal to quotas.capacity. Lowering capacity below
-- any row's sold makes this UPDATE violate quota_usage_sold_le_capacity, which
-- aborts the quota update. Switching per_day is refused once usage exists.
CREATE FUNCTION quotas_sync_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.per_day <> OLD.per_day
       AND EXISTS (SELECT 1 FROM quota_usage WHERE quota_id = NEW.id) THEN
        RAISE EXCEPTION 'quotas: cannot change per_day of quota % once it has usage', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quotas_per_day_fixed';
    END IF;
    IF NEW.capacity <> OLD.capacity THEN
        UPDATE quota_usage SET capacity = NEW.capacity WHERE quota_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER quotas_sync_usage AFTER UPDATE OF capacity, per_day ON quotas
    FOR EACH ROW
    WHEN (OLD.capacity IS DISTINCT FROM NEW.capacity OR OLD.per_day IS DISTINCT FROM NEW.per_day)
    EXECUTE FUNCTION quotas_sync_usage();

-- ---------------------------------------------------------------------------
-- orders: one reservation / purchase. Created 'pending' by a successful hold
-- (web), or directly 'paid' with amount 0 by an invitation claim or a manual
-- issue. toss_order_id is the orderId handed to Toss; access_token authorises
-- the confirmation link and QR images.
-- ---------------------------------------------------------------------------
CREATE TABLE orders (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id           bigint      NOT NULL REFERENCES events (id),
    order_number       text        NOT NULL,
    reservation_token  text        NULL,
    toss_order_id      text        NULL,
    status             text        NOT NULL DEFAULT 'pending',
    visit_date         date        NULL,
    amount             integer     NOT NULL,
    customer_name      text        NOT NULL,
    customer_phone     text        NOT NULL,
    customer_email     text        NULL,
    access_token       text        NOT NULL,
    hold_expires_at    timestamptz NULL,
    extended           boolean     NOT NULL DEFAULT false,
    paid_at            timestamptz NULL,
    canceled_at        timestamptz NULL,
    queue_id           text        NULL,
    source             text        NOT NULL DEFAULT 'web',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_order_number_key UNIQUE (order_number),
    CONSTRAINT orders_reservation_token_key UNIQUE (reservation_token),
    CONSTRAINT orders_toss_order_id_key UNIQUE (toss_order_id),
    CONSTRAINT orders_access_token_key UNIQUE (access_token),
    CONSTRAINT orders_id_event_key UNIQUE (id, event_id),        -- target of composite FKs
    CONSTRAINT orders_order_number_format CHECK (order_number ~ '^[A-Z0-9]{2,16}-[A-Z0-9]{6,16}$'),
    CONSTRAINT orders_reservation_token_format CHECK (reservation_token IS NULL
                                                      OR (reservation_token ~ '^[A-Za-z0-9_.-]+$'
                                                          AND char_length(reservation_token) BETWEEN 16 AND 256)),
    CONSTRAINT orders_toss_order_id_format CHECK (toss_order_id IS NULL
                                                  OR toss_order_id ~ '^[A-Za-z0-9_-]{6,64}$'),
    CONSTRAINT orders_access_token_format CHECK (access_token ~ '^[A-Za-z0-9_.-]+$'
                                               AND char_length(access_token) BETWEEN 16 AND 256),
    CONSTRAINT orders_status CHECK (status IN ('pending', 'paid', 'expired', 'canceled', 'refunded',
                                               'partially_refunded', 'payment_failed')),
    CONSTRAINT orders_source CHECK (source IN ('web', 'invitation', 'manual')),
    CONSTRAINT orders_amount CHECK (amount >= 0),
    CONSTRAINT orders_customer_name_len CHECK (char_length(customer_name) BETWEEN 1 AND 100),
    CONSTRAINT orders_customer_phone_format CHECK (customer_phone ~ '^01[016789][0-9]{7,8}$'),
    CONSTRAINT orders_customer_email_format CHECK (customer_email IS NULL
                                                   OR (customer_email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
                                                       AND char_length(customer_email) <= 254)),
    CONSTRAINT orders_queue_id_len CHECK (queue_id IS NULL OR char_length(queue_id) <= 128),
    CONSTRAINT orders_visit_date_range CHECK (visit_date IS NULL OR visit_date >= DATE '2000-01-01'),
    -- a web order is a reservation paid through Toss
    CONSTRAINT orders_web_has_tokens CHECK (source <> 'web'
                                            OR (reservation_token IS NOT NULL AND toss_order_id IS NOT NULL)),
    CONSTRAINT orders_pending_has_hold CHECK (status <> 'pending' OR hold_expires_at IS NOT NULL),
    CONSTRAINT orders_paid_has_paid_at CHECK (status NOT IN ('paid', 'refunded', 'partially_refunded')
                                              OR paid_at IS NOT NULL),
    CONSTRAINT orders_canceled_has_canceled_at CHECK (status <> 'canceled' OR canceled_at IS NOT NULL)
);
CREATE INDEX orders_event_status_created_idx ON orders (event_id, status, created_at);
CREATE INDEX orders_event_created_idx ON orders (event_id, created_at);
CREATE INDEX orders_event_visit_date_idx ON orders (event_id, visit_date);
CREATE INDEX orders_event_paid_at_idx ON orders (event_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX orders_customer_phone_idx ON orders (customer_phone text_pattern_ops);
CREATE INDEX orders_event_customer_name_idx ON orders (event_id, customer_name text_pattern_ops);
CREATE INDEX orders_pending_expiry_idx ON orders (hold_expires_at) WHERE status = 'pending';
CREATE TRIGGER orders_updated_at BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- order_items: the lines of an order, prices frozen at reservation time.
-- ---------------------------------------------------------------------------
CREATE TABLE order_items (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id    bigint      NOT NULL REFERENCES products (id),
    qty           integer     NOT NULL,
    unit_price    integer     NOT NULL,
    amount        integer     NOT NULL,
    refunded_qty  integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_items_id_order_key UNIQUE (id, order_id),   -- target of tickets' composite FK
    CONSTRAINT order_items_qty CHECK (qty > 0),
    CONSTRAINT order_items_unit_price CHECK (unit_price >= 0),
    CONSTRAINT order_items_amount CHECK (amount = qty * unit_price),
    CONSTRAINT order_items_refunded_qty CHECK (refunded_qty BETWEEN 0 AND qty)
);
CREATE INDEX order_items_order_idx ON order_items (order_id);
CREATE INDEX order_items_product_idx ON order_items (product_id);
CREATE TRIGGER order_items_updated_at BEFORE UPDATE ON order_items
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION order_items_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT event_id FROM products WHERE id = NEW.product_id)
       IS DISTINCT FROM (SELECT event_id FROM orders WHERE id = NEW.order_id) THEN
        RAISE EXCEPTION 'order_items: product % is not sold by the event of order %',
                        NEW.product_id, NEW.order_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'order_items_same_event';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER order_items_check BEFORE INSERT OR UPDATE OF order_id, product_id ON order_items
    FOR EACH ROW EXECUTE FUNCTION order_items_check();

-- ---------------------------------------------------------------------------
-- payments: Toss Payments payment objects for an order (status as Toss
-- reports it). confirm_state tracks our own confirm call so the reconciler can
-- settle orders whose worker died mid-confirm. secret is the virtual-account
-- deposit callback secret; raw is Toss's last full answer.
-- ---------------------------------------------------------------------------
CREATE TABLE payments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint      NOT NULL REFERENCES orders (id),
    payment_key     text        NULL,
    toss_order_id   text        NOT NULL,
    method          text        NULL,
    status          text        NOT NULL DEFAULT 'READY',
    total_amount    integer     NOT NULL,
    balance_amount  integer     NOT NULL,
    requested_at    timestamptz NULL,
    approved_at     timestamptz NULL,
    raw             jsonb       NULL,
    confirm_state   text        NOT NULL DEFAULT 'none',
    secret          text        NULL,
    last_error      jsonb       NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_payment_key_key UNIQUE (payment_key),
    CONSTRAINT payments_id_order_key UNIQUE (id, order_id),      -- target of refunds' composite FK
    CONSTRAINT payments_payment_key_len CHECK (payment_key IS NULL OR char_length(payment_key) BETWEEN 1 AND 200),
    CONSTRAINT payments_toss_order_id_format CHECK (toss_order_id ~ '^[A-Za-z0-9_-]{6,64}$'),
    CONSTRAINT payments_method_len CHECK (method IS NULL OR char_length(method) <= 64),
    CONSTRAINT payments_status CHECK (status IN ('READY', 'IN_PROGRESS', 'WAITING_FOR_DEPOSIT', 'DONE',
                                                 'CANCELED', 'PARTIAL_CANCELED', 'ABORTED', 'EXPIRED')),
    CONSTRAINT payments_total_amount CHECK (total_amount >= 0),
    CONSTRAINT payments_balance_amount CHECK (balance_amount BETWEEN 0 AND total_amount),
    CONSTRAINT payments_confirm_state CHECK (confirm_state IN ('none', 'requested', 'done', 'failed'))
);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_toss_order_id_idx ON payments (toss_order_id);
CREATE INDEX payments_confirm_pending_idx ON payments (updated_at) WHERE confirm_state = 'requested';
CREATE TRIGGER payments_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- refunds: one (full or partial) refund of an order, with the tickets it
-- voided and Toss's cancel transaction. payment_id NULL only for orders that
-- were not paid through Toss (manual).
-- ---------------------------------------------------------------------------
CREATE TABLE refunds (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id              bigint      NOT NULL REFERENCES orders (id),
    payment_id            bigint      NULL,
    amount                integer     NOT NULL,
    reason                text        NOT NULL DEFAULT '',
    ticket_ids            bigint[]    NOT NULL DEFAULT '{}',
    toss_transaction_key  text        NULL,
    status                text        NOT NULL DEFAULT 'pending',
    admin_id              bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refunds_payment_fk FOREIGN KEY (payment_id, order_id) REFERENCES payments (id, order_id),
    CONSTRAINT refunds_toss_transaction_key_key UNIQUE (toss_transaction_key),
    CONSTRAINT refunds_amount CHECK (amount > 0),
    CONSTRAINT refunds_reason_len CHECK (char_length(reason) <= 500),
    CONSTRAINT refunds_status CHECK (status IN ('pending', 'done', 'failed')),
    CONSTRAINT refunds_ticket_ids_no_nulls CHECK (array_position(ticket_ids, NULL) IS NULL)
);
CREATE INDEX refunds_order_idx ON refunds (order_id);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_created_idx ON refunds (created_at);
CREATE TRIGGER refunds_updated_at BEFORE UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- invitations: a batch of free places given to a partner company; its public
-- link carries `token`. Revoking stops further claims (claimed ones stay).
-- ---------------------------------------------------------------------------
CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint      NOT NULL REFERENCES events (id),
    product_id  bigint      NOT NULL,
    company     text        NOT NULL,
    quantity    integer     NOT NULL,
    claimed     integer     NOT NULL DEFAULT 0,
    visit_date  date        NULL,
    token       text        NOT NULL,
    revoked_at  timestamptz NULL,
    created_by  bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invitations_product_fk FOREIGN KEY (product_id, event_id) REFERENCES products (id, event_id),
    CONSTRAINT invitations_token_key UNIQUE (token),
    CONSTRAINT invitations_token_format CHECK (token ~ '^[A-Za-z0-9_.-]+$'
                                           AND char_length(token) BETWEEN 16 AND 256),
    CONSTRAINT invitations_company_len CHECK (char_length(company) BETWEEN 1 AND 200),
    CONSTRAINT invitations_quantity CHECK (quantity BETWEEN 1 AND 100000),
    CONSTRAINT invitations_claimed CHECK (claimed >= 0 AND claimed <= quantity),
    CONSTRAINT invitations_visit_date_range CHECK (visit_date IS NULL OR visit_date >= DATE '2000-01-01')
);
CREATE INDEX invitations_event_idx ON invitations (event_id, created_at);
CREATE TRIGGER invitations_updated_at BEFORE UPDATE ON invitations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- invitation_claims: one person's claim on a batch (once per phone). The
-- claim creates an order (source 'invitation', amount 0, status 'paid') whose
-- ticket is linked both ways: tickets.invitation_claim_id and ticket_id here
-- (insert the claim, then the ticket, then set ticket_id).
-- ---------------------------------------------------------------------------
CREATE TABLE invitation_claims (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id  bigint      NOT NULL REFERENCES invitations (id),
    name           text        NOT NULL,
    phone          text        NOT NULL,
    ticket_id      bigint      NULL,          -- FK added after tickets
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invitation_claims_invitation_phone_key UNIQUE (invitation_id, phone),
    CONSTRAINT invitation_claims_ticket_key UNIQUE (ticket_id),
    CONSTRAINT invitation_claims_name_len CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT invitation_claims_phone_format CHECK (phone ~ '^01[016789][0-9]{7,8}$')
);

-- ---------------------------------------------------------------------------
-- tickets: one admitted person. `code` is the signed string in the QR code.
-- Admission: UPDATE tickets SET status='used', used_at=now(), ...
--            WHERE id=$1 AND status='valid' AND used_at IS NULL.
-- Order, order item, event and product are tied together by composite FKs.
-- ---------------------------------------------------------------------------
CREATE TABLE tickets (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id             bigint      NOT NULL,
    order_item_id        bigint      NOT NULL,
    event_id             bigint      NOT NULL REFERENCES events (id),
    product_id           bigint      NOT NULL,
    code                 text        NOT NULL,
    visit_date           date        NULL,
    status               text        NOT NULL DEFAULT 'valid',
    used_at              timestamptz NULL,
    used_gate            text        NULL,
    used_device          text        NULL,
    refunded_at          timestamptz NULL,
    holder_name          text        NULL,
    invitation_claim_id  bigint      NULL REFERENCES invitation_claims (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tickets_order_fk FOREIGN KEY (order_id, event_id) REFERENCES orders (id, event_id),
    CONSTRAINT tickets_order_item_fk FOREIGN KEY (order_item_id, order_id) REFERENCES order_items (id, order_id),
    CONSTRAINT tickets_product_fk FOREIGN KEY (product_id, event_id) REFERENCES products (id, event_id),
    CONSTRAINT tickets_code_key UNIQUE (code),
    CONSTRAINT tickets_code_format CHECK (code ~ '^[!-~]+$'                -- printable ASCII, no spaces
                                        AND char_length(code) BETWEEN 8 AND 512),
    CONSTRAINT tickets_status CHECK (status IN ('valid', 'used', 'refunded', 'void')),
    CONSTRAINT tickets_valid_unused CHECK (status <> 'valid' OR used_at IS NULL),
    CONSTRAINT tickets_used_has_used_at CHECK (status <> 'used' OR used_at IS NOT NULL),
    CONSTRAINT tickets_refunded_has_refunded_at CHECK (status <> 'refunded' OR refunded_at IS NOT NULL),
    CONSTRAINT tickets_used_gate_len CHECK (used_gate IS NULL OR char_length(used_gate) <= 64),
    CONSTRAINT tickets_used_device_len CHECK (used_device IS NULL OR char_length(used_device) <= 128),
    CONSTRAINT tickets_holder_name_len CHECK (holder_name IS NULL OR char_length(holder_name) <= 100),
    CONSTRAINT tickets_visit_date_range CHECK (visit_date IS NULL OR visit_date >= DATE '2000-01-01')
);
CREATE INDEX tickets_event_status_idx ON tickets (event_id, status);
CREATE INDEX tickets_event_used_at_idx ON tickets (event_id, used_at) WHERE used_at IS NOT NULL;
CREATE INDEX tickets_order_idx ON tickets (order_id);
CREATE INDEX tickets_order_item_idx ON tickets (order_item_id);
CREATE INDEX tickets_invitation_claim_idx ON tickets (invitation_claim_id) WHERE invitation_claim_id IS NOT NULL;
CREATE TRIGGER tickets_updated_at BEFORE UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE invitation_claims
    ADD CONSTRAINT invitation_claims_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id);

-- ---------------------------------------------------------------------------
-- scans: every scan at the gate, successful or not, online or uploaded later
-- by an offline scanner (offline scans carry a nonce, accepted once).
-- event_id is the event the scanner was scanning for; ticket_id is the ticket
-- the code resolved to, if any (it may belong to another event: wrong_event).
-- ---------------------------------------------------------------------------
CREATE TABLE scans (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id),
    ticket_id    bigint      NULL REFERENCES tickets (id),
    code         text        NOT NULL,
    result       text        NOT NULL,
    gate         text        NOT NULL DEFAULT '',
    device_id    text        NOT NULL DEFAULT '',
    admin_id     bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    nonce        text        NULL,
    scanned_at   timestamptz NOT NULL DEFAULT now(),
    received_at  timestamptz NOT NULL DEFAULT now(),
    offline      boolean     NOT NULL DEFAULT false,
    CONSTRAINT scans_nonce_key UNIQUE (nonce),
    CONSTRAINT scans_code_len CHECK (char_length(code) <= 1024),
    CONSTRAINT scans_result CHECK (result IN ('ok', 'already_used', 'invalid', 'wrong_event',
                                              'wrong_date', 'refunded')),
    CONSTRAINT scans_gate_len CHECK (char_length(gate) <= 64),
    CONSTRAINT scans_device_id_len CHECK (char_length(device_id) <= 128),
    CONSTRAINT scans_nonce_len CHECK (nonce IS NULL OR char_length(nonce) BETWEEN 1 AND 128),
    CONSTRAINT scans_offline_has_nonce CHECK (NOT offline OR nonce IS NOT NULL)
);
CREATE INDEX scans_event_scanned_idx ON scans (event_id, scanned_at);
CREATE INDEX scans_ticket_idx ON scans (ticket_id) WHERE ticket_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- notices: an event's announcements, shown on its public page.
-- ---------------------------------------------------------------------------
CREATE TABLE notices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint      NOT NULL REFERENCES events (id),
    title       text        NOT NULL,
    body        text        NOT NULL DEFAULT '',
    pinned      boolean     NOT NULL DEFAULT false,
    author_id   bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    deleted_at  timestamptz NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notices_title_len CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT notices_body_len CHECK (char_length(body) <= 50000)
);
CREATE INDEX notices_event_pinned_created_idx ON notices (event_id, pinned, created_at);
CREATE TRIGGER notices_updated_at BEFORE UPDATE ON notices
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- notifications: the outbox of Alimtalk / SMS messages. Rows are inserted in
-- the transaction of the state change; the worker daemon sends them with
-- retries (attempts, next_attempt_at) and gives up as 'dead'.
-- ---------------------------------------------------------------------------
CREATE TABLE notifications (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id             bigint      NULL REFERENCES events (id),
    order_id             bigint      NULL REFERENCES orders (id),
    channel              text        NOT NULL DEFAULT 'alimtalk',
    template_code        text        NOT NULL,
    recipient            text        NOT NULL,
    params               jsonb       NOT NULL DEFAULT '{}',
    status               text        NOT NULL DEFAULT 'pending',
    attempts             integer     NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    last_error           text        NULL,
    provider_request_id  text        NULL,
    sent_at              timestamptz NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_channel CHECK (channel IN ('alimtalk', 'sms')),
    CONSTRAINT notifications_template_code_len CHECK (char_length(template_code) BETWEEN 1 AND 64),
    CONSTRAINT notifications_recipient_format CHECK (recipient ~ '^[0-9]{8,15}$'),
    CONSTRAINT notifications_params_object CHECK (jsonb_typeof(params) = 'object'),
    CONSTRAINT notifications_status CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    CONSTRAINT notifications_attempts CHECK (attempts >= 0),
    CONSTRAINT notifications_sent_has_sent_at CHECK (status <> 'sent' OR sent_at IS NOT NULL)
);
CREATE INDEX notifications_status_next_idx ON notifications (status, next_attempt_at);
CREATE INDEX notifications_order_idx ON notifications (order_id) WHERE order_id IS NOT NULL;
CREATE TRIGGER notifications_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- activity_log: append-only audit trail of admin actions (and system actions
-- with admin_id NULL). admin_username and level are copied so entries survive
-- account changes. Rows may be deleted (retention) but never updated.
-- ---------------------------------------------------------------------------
CREATE TABLE activity_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id        bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    admin_username  text        NULL,
    level           smallint    NULL,
    event_id        bigint      NULL REFERENCES events (id) ON DELETE SET NULL,
    action          text        NOT NULL,
    target_type     text        NULL,
    target_id       text        NULL,
    summary         jsonb       NOT NULL DEFAULT '{}',
    ip              inet        NULL,
    user_agent      text        NOT NULL DEFAULT '',
    request_id      text        NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT activity_log_level CHECK (level IS NULL OR level BETWEEN 1 AND 9),
    CONSTRAINT activity_log_action_format CHECK (action ~ '^[a-z0-9_.:-]{1,64}$'),
    CONSTRAINT activity_log_target_type_len CHECK (target_type IS NULL OR char_length(target_type) <= 64),
    CONSTRAINT activity_log_target_id_len CHECK (target_id IS NULL OR char_length(target_id) <= 128),
    CONSTRAINT activity_log_user_agent_len CHECK (char_length(user_agent) <= 1024),
    CONSTRAINT activity_log_request_id_len CHECK (request_id IS NULL OR char_length(request_id) <= 128)
);
CREATE INDEX activity_log_event_created_idx ON activity_log (event_id, created_at DESC);
CREATE INDEX activity_log_admin_created_idx ON activity_log (admin_id, created_at DESC);
CREATE INDEX activity_log_action_created_idx ON activity_log (action, created_at DESC);
CREATE INDEX activity_log_created_idx ON activity_log (created_at DESC);
CREATE INDEX activity_log_target_idx ON activity_log (target_type, target_id, created_at);

CREATE FUNCTION activity_log_no_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- ON DELETE SET NULL of admins/events is the one allowed change
    IF NEW.id = OLD.id AND NEW.created_at = OLD.created_at AND NEW.action = OLD.action
       AND NEW.summary = OLD.summary
       AND NEW.admin_username IS NOT DISTINCT FROM OLD.admin_username
       AND NEW.target_type IS NOT DISTINCT FROM OLD.target_type
       AND NEW.target_id IS NOT DISTINCT FROM OLD.target_id
       AND NEW.level IS NOT DISTINCT FROM OLD.level
       AND NEW.ip IS NOT DISTINCT FROM OLD.ip
       AND NEW.user_agent = OLD.user_agent
       AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
       AND (NEW.admin_id IS NOT DISTINCT FROM OLD.admin_id OR NEW.admin_id IS NULL)
       AND (NEW.event_id IS NOT DISTINCT FROM OLD.event_id OR NEW.event_id IS NULL) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'activity_log is append-only'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_log_append_only';
END;
$$;
CREATE TRIGGER activity_log_no_update BEFORE UPDATE ON activity_log
    FOR EACH ROW EXECUTE FUNCTION activity_log_no_update();

-- ---------------------------------------------------------------------------
-- webhook_deliveries: every Toss webhook received, keyed by its transmission
-- id (header tosspayments-webhook-transmission-id) so a redelivery has one
-- effect. When Toss sends no transmission id, the worker derives one from the
-- body (e.g. "sha256:<hex>").
-- ---------------------------------------------------------------------------
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transmission_id  text        NOT NULL,
    event_type       text        NOT NULL DEFAULT '',
    payload          jsonb       NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz NULL,
    result           text        NULL,
    CONSTRAINT webhook_deliveries_transmission_id_key UNIQUE (transmission_id),
    CONSTRAINT webhook_deliveries_transmission_id_len CHECK (char_length(transmission_id) BETWEEN 1 AND 256),
    CONSTRAINT webhook_deliveries_event_type_len CHECK (char_length(event_type) <= 64),
    CONSTRAINT webhook_deliveries_result_len CHECK (result IS NULL OR char_length(result) <= 1000)
);
CREATE INDEX webhook_deliveries_unprocessed_idx ON webhook_deliveries (received_at) WHERE processed_at IS NULL;

-- ---------------------------------------------------------------------------
-- settings: system-wide settings edited by the super admin (GET|PUT settings).
-- ---------------------------------------------------------------------------
CREATE TABLE settings (
    key         text        PRIMARY KEY,
    value       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint      NULL REFERENCES admins (id) ON DELETE SET NULL,
    CONSTRAINT settings_key_format CHECK (key ~ '^[a-z0-9_.]{1,64}$')
);
CREATE TRIGGER settings_updated_at BEFORE UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO settings (key, value) VALUES
    ('default_hold_seconds',  '600'),
    ('default_max_per_order', '10'),
    ('login_max_failures',    '5'),
    ('login_lock_minutes',    '15'),
    ('site_name',             '"ticketd"');
