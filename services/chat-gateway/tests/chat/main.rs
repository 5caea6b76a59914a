//! chat-gateway against real PostgreSQL and NATS: instances started
//! in-process on port 0, rooms set up through the catalog's and ingest's
//! events, clients speaking the WebSocket protocol.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

mod access;
mod fanout;
mod history;
mod moderation;
mod protocol;
mod recovery;
mod support;
