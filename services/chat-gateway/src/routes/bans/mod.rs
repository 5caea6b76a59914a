//! `/api/v1/live/streams/{id}/chat/bans`: one operation per file.

pub mod create;
pub mod delete;
