//! The response envelopes the handlers document: shared by the routes and
//! the OpenAPI document, so neither imports the other.

use utoipa::ToSchema;
pub use veza_live_platform::openapi::ErrorResponse;

use crate::health::StreamHealth;

/// `{"success": true, "data": StreamHealth}`.
#[derive(ToSchema)]
pub struct HealthResponse {
    pub success: bool,
    pub data: StreamHealth,
}
