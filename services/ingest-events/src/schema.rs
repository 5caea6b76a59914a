//! Tables of the ingest_events database.

diesel::table! {
    ingest_sessions (id) {
        id -> Uuid,
        stream_id -> Uuid,
        user_id -> Uuid,
        source -> Text,
        rtmp_app -> Nullable<Text>,
        rtmp_client_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        status -> Text,
        started_at -> Nullable<Timestamptz>,
        last_seen_at -> Timestamptz,
        lease_expires_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        end_reason -> Nullable<Text>,
        peak_viewers -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    listeners (stream_id, listener_id) {
        stream_id -> Uuid,
        listener_id -> Text,
        joined_at -> Timestamptz,
        lease -> Nullable<Text>,
    }
}

diesel::table! {
    listener_leases (holder) {
        holder -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    replays (stream_id) {
        stream_id -> Uuid,
        session_id -> Uuid,
        status -> Text,
        media_sequence -> Nullable<Int8>,
        segments -> Int4,
        bytes -> Int8,
        duration_s -> Float8,
        truncated -> Bool,
        ended_at -> Nullable<Timestamptz>,
        ready_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    replay_segments (stream_id, idx) {
        stream_id -> Uuid,
        idx -> Int4,
        media_sequence -> Int8,
        duration_s -> Float8,
        bytes -> Int8,
        discontinuity -> Bool,
    }
}

diesel::joinable!(replay_segments -> replays (stream_id));
diesel::allow_tables_to_appear_in_same_query!(replays, replay_segments);

pub use veza_live_platform::schema::{outbox, processed_events};
