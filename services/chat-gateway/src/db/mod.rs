//! Queries of the chat database: plain async functions returning
//! `QueryResult`.

pub mod bans;
pub mod messages;
pub mod rooms;
