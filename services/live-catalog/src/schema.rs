//! Tables of the live_catalog database.

diesel::table! {
    live_streams (id) {
        id -> Uuid,
        user_id -> Uuid,
        streamer_name -> Text,
        title -> Text,
        description -> Nullable<Text>,
        category -> Nullable<Text>,
        tags -> Array<Text>,
        thumbnail_url -> Nullable<Text>,
        status -> Text,
        scheduled_at -> Nullable<Timestamptz>,
        started_at -> Nullable<Timestamptz>,
        ended_at -> Nullable<Timestamptz>,
        viewer_count -> Int4,
        peak_viewers -> Int4,
        session_id -> Nullable<Uuid>,
        viewers_reported_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        record_replay -> Bool,
        replay_status -> Text,
        replay_rank -> Int2,
        replay_playlist -> Nullable<Text>,
        replay_duration_s -> Nullable<Float8>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        stream_id -> Uuid,
        created_at -> Timestamptz,
    }
}

pub use veza_live_platform::schema::{outbox, processed_events};
