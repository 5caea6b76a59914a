//! NATS in and out: the `live.ingest.events`, `live.events.key.rotated`
//! and `live.events.stream.deleted` consumers, viewer-count publication
//! and the listener lease renewals of chat-gateway instances.

pub mod consume;
pub mod listener_leases;
pub mod viewers;
