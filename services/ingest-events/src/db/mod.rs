//! Queries of the ingest_events database.

pub mod listeners;
pub mod replays;
pub mod sessions;
