//! Tables of the stream_key database.

diesel::table! {
    stream_keys (user_id) {
        user_id -> Uuid,
        key_ciphertext -> Bytea,
        key_nonce -> Bytea,
        key_hmac -> Bytea,
        created_at -> Timestamptz,
        rotated_at -> Timestamptz,
    }
}

pub use veza_live_platform::schema::outbox;
