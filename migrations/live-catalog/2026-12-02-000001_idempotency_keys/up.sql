-- The first answer to a create sent with an Idempotency-Key, per user, so a
-- retry replays it instead of creating twice. Written in the same
-- transaction as the stream, so a crash between the commit and the answer
-- still replays. Rows older than 24 hours no longer count.
CREATE TABLE idempotency_keys (
    user_id      UUID        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash BYTEA       NOT NULL,
    stream_id    UUID        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
