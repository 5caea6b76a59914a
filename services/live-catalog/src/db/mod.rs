//! Queries of the live_catalog database: plain async functions returning
//! `QueryResult`.

pub mod listing;
pub mod streams;
