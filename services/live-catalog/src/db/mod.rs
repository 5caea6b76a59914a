//! Queries of the live_catalog database: plain async functions returning
//! `QueryResult`.

pub mod idempotency;
pub mod listing;
pub mod streams;
