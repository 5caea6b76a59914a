//! Tables every service database has: the transactional outbox and the
//! processed-events record of idempotent consumers. Each service's
//! migrations create them in its own database.

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
