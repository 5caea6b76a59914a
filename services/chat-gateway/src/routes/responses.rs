//! The response bodies and envelopes the handlers answer and document:
//! shared by the routes and the OpenAPI document, so neither imports the
//! other.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use veza_live_domain::chat::ChatMessage;
use veza_live_platform::http::ListMeta;
pub use veza_live_platform::{
    http::Deleted,
    openapi::{DeletedResponse, ErrorResponse},
};

/// `{"success": true, "data": [ChatMessage], "meta": {...}}`.
#[derive(ToSchema)]
pub struct MessageListResponse {
    pub success: bool,
    pub data: Vec<ChatMessage>,
    pub meta: ListMeta,
}

/// A user's ban state in a room.
#[derive(Serialize, ToSchema)]
pub struct Ban {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub banned: bool,
    /// When a timed ban ends; null for a ban until lifted (or no ban).
    pub expires_at: Option<DateTime<Utc>>,
}

/// `{"success": true, "data": Ban}`.
#[derive(ToSchema)]
pub struct BanResponse {
    pub success: bool,
    pub data: Ban,
}

/// A room's settings.
#[derive(Serialize, ToSchema)]
pub struct Settings {
    pub stream_id: Uuid,
    #[schema(minimum = 0, maximum = 120)]
    pub slow_mode_s: i32,
}

/// `{"success": true, "data": Settings}`.
#[derive(ToSchema)]
pub struct SettingsResponse {
    pub success: bool,
    pub data: Settings,
}
