//! `/api/v1/live/streams/{id}/chat/messages`: one operation per file.

pub mod delete;
pub mod list;
