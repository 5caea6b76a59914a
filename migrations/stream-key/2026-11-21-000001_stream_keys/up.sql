-- One channel key per streamer, encrypted at rest (AES-256-GCM, a fresh
-- nonce per encryption) with an HMAC-SHA256 lookup column.
CREATE TABLE stream_keys (
    user_id UUID PRIMARY KEY,
    key_ciphertext BYTEA NOT NULL,
    key_nonce BYTEA NOT NULL CHECK (octet_length(key_nonce) = 12),
    key_hmac BYTEA NOT NULL CHECK (octet_length(key_hmac) = 32),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    rotated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX stream_keys_hmac ON stream_keys (key_hmac);
