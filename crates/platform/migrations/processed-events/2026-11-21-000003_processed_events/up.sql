-- Events already applied, recorded in the transaction of their effect.
-- `IF NOT EXISTS`: databases made before this table was shared by the
-- platform crate already have it.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer TEXT NOT NULL,
    event_id UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
