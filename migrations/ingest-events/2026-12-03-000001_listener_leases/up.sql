-- Listeners reported with a lease holder (a chat-gateway instance) stay
-- only while that holder renews its lease; NULL: no lease (RTMP players,
-- listeners reported over HTTP or without a holder).
ALTER TABLE listeners
    ADD COLUMN lease TEXT CHECK (lease IS NULL OR char_length(lease) BETWEEN 1 AND 64);
CREATE INDEX listeners_lease ON listeners (lease) WHERE lease IS NOT NULL;

-- The last renewal of each holder.
CREATE TABLE listener_leases (
    holder TEXT PRIMARY KEY CHECK (char_length(holder) BETWEEN 1 AND 64),
    expires_at TIMESTAMPTZ NOT NULL
);
