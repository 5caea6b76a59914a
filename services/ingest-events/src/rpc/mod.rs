//! NATS request/reply: the calls ingest-events makes to other services
//! ([`clients`]). It answers none.

pub mod clients;
