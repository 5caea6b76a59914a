//! chat-gateway against real PostgreSQL and NATS: instances started
//! in-process on port 0, rooms set up through the catalog's and ingest's
//! events, clients speaking the WebSocket protocol.

mod access;
mod fanout;
mod history;
mod moderation;
mod protocol;
mod recovery;
mod support;
