-- Transactional outbox: events written with the change they describe,
-- relayed to JetStream and marked published after the stored ack.
-- `IF NOT EXISTS`: databases made before these tables were shared by the
-- platform crate already have them.
CREATE TABLE IF NOT EXISTS outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    payload JSONB NOT NULL,
    traceparent TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
