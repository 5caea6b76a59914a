//! Queries of the stream_key database.

pub mod keys;
