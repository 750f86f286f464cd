-- Issue 17 item 3: an address whose delivery failed permanently (an SMTP 5xx answer to RCPT TO
-- when a notification email was sent) gets no more notification emails until the member changes
-- their address. One row per member at most; it holds the address it is about, so it stops
-- applying the moment the account's address is another one, whichever way it changed (the email
-- change flow also deletes it).
CREATE TABLE email_suppressions (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    address       citext NOT NULL,
    -- The SMTP reply code of the refusal (5xx) and its enhanced status code (RFC 3463, such as
    -- 5.1.1) when the server gave one: what the member is told, never the server's text.
    smtp_code     int NOT NULL CHECK (smtp_code BETWEEN 500 AND 599),
    enhanced_code text NOT NULL DEFAULT '' CHECK (char_length(enhanced_code) <= 16),
    suppressed_at timestamptz NOT NULL
);
