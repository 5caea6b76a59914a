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

pub use veza_live_platform::schema::{outbox, processed_events};
