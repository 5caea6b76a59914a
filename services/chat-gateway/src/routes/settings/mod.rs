//! `/api/v1/live/streams/{id}/chat/settings`.

pub mod update;
