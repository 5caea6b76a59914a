//! live-catalog and stream-key together, through HTTP and NATS, against
//! real PostgreSQL and NATS.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

mod chat;
mod events;
mod gateway;
mod health;
mod idempotency;
mod ingest;
mod keys;
mod listing;
mod openapi;
mod pool;
mod replays;
mod rtmp;
mod shutdown;
mod streams;
mod thumbnails;
mod validation;
mod viewers;

use serde_json::Value;
use uuid::Uuid;
use veza_live_test_support::token_for;

/// A new user and a token for them.
pub fn user(name: &str) -> (Uuid, String) {
    let id = Uuid::new_v4();
    (id, token_for(id, name))
}

/// The `data` of a success envelope, after checking the envelope.
pub fn data(body: &Value) -> &Value {
    assert_eq!(body["success"], true, "not a success envelope: {body}");
    &body["data"]
}

/// The error code of an error envelope, after checking the envelope.
pub fn error_code(body: &Value) -> &str {
    assert_eq!(body["success"], false, "not an error envelope: {body}");
    body["error"]["code"].as_str().unwrap_or_default()
}
