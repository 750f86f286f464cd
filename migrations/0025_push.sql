-- Issue 17: push as a third channel of notification preferences, and Expo push devices,
-- their outbox and their tickets.

-- NULL keeps the type's default (package notifications' registry), so every row stored before
-- push existed keeps meaning exactly what it meant: in_app and email are untouched.
ALTER TABLE notification_preferences ADD COLUMN push boolean;

-- A member's devices that receive push through Expo. A token identifies one app install: it
-- belongs to one member at a time (registering it for another member moves it).
CREATE TABLE push_devices (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token              text NOT NULL UNIQUE CHECK (char_length(token) BETWEEN 1 AND 255),
    platform           text NOT NULL CHECK (platform IN ('IOS', 'ANDROID')),
    locale             text CHECK (char_length(locale) BETWEEN 2 AND 35),
    created_at         timestamptz NOT NULL,
    last_registered_at timestamptz NOT NULL
);
CREATE INDEX push_devices_user_idx ON push_devices (user_id, last_registered_at DESC);

-- Pushes waiting to be sent, one per notification and device, written in the transaction that
-- creates the notification; a worker leases batches (claimed_until) and deletes them once Expo
-- gave its tickets. A removed device takes its waiting pushes with it.
CREATE TABLE push_outbox (
    -- Sent in this order; rows are made in SQL, one per device of the member (hence no UUID).
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id       uuid NOT NULL REFERENCES push_devices (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_id uuid,
    -- The Expo message without its recipient and badge (added when sent): title, body, data...
    message         jsonb NOT NULL CHECK (jsonb_typeof(message) = 'object'),
    created_at      timestamptz NOT NULL,
    claimed_until   timestamptz,
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);

-- Expo's tickets of accepted pushes, kept until their receipt is read (from about 15 minutes
-- later; a receipt not ready yet is asked again later, and Expo keeps receipts about a day).
CREATE TABLE push_tickets (
    id          text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 200),
    device_id   uuid NOT NULL REFERENCES push_devices (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    check_after timestamptz NOT NULL
);
CREATE INDEX push_tickets_check_idx ON push_tickets (check_after);
CREATE INDEX push_tickets_device_idx ON push_tickets (device_id);
CREATE INDEX push_outbox_device_idx ON push_outbox (device_id);
