//! The response bodies and envelopes the handlers answer and document:
//! shared by the routes and the OpenAPI document, so neither imports the
//! other.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
pub use veza_live_platform::openapi::ErrorResponse;

/// The owner's key, where to publish with it, and the stream it makes live.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamKeyView {
    pub stream_key: String,
    pub rtmp_url: String,
    pub stream_id: Uuid,
}

/// `{"success": true, "data": StreamKeyView}`.
#[derive(ToSchema)]
pub struct StreamKeyResponse {
    pub success: bool,
    pub data: StreamKeyView,
}
