//! The response envelopes the handlers document: shared by the routes and
//! the OpenAPI document, so neither imports the other.

use utoipa::ToSchema;
use veza_live_domain::Stream;
use veza_live_platform::http::ListMeta;
pub use veza_live_platform::openapi::{DeletedResponse, ErrorResponse};

/// `{"success": true, "data": Stream}`.
#[derive(ToSchema)]
pub struct StreamResponse {
    pub success: bool,
    pub data: Stream,
}

/// `{"success": true, "data": [Stream], "meta": {...}}`.
#[derive(ToSchema)]
pub struct StreamListResponse {
    pub success: bool,
    pub data: Vec<Stream>,
    pub meta: ListMeta,
}
