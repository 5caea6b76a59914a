//! Tables the platform crate owns: the transactional outbox and the
//! processed-events record of idempotent consumers. Their migrations are
//! shipped here too (`crates/platform/migrations/`, run by
//! [`crate::db::migrate`] for each service that lists them in its
//! [`crate::db::Migrations`]), so schema and tables cannot drift apart.

diesel::table! {
    outbox (id) {
        id -> Int8,
        event_id -> Uuid,
        subject -> Text,
        payload -> Jsonb,
        traceparent -> Nullable<Text>,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    processed_events (consumer, event_id) {
        consumer -> Text,
        event_id -> Uuid,
        processed_at -> Timestamptz,
    }
}
