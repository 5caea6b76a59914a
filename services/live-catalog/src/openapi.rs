//! The OpenAPI document of live-catalog, generated from the handlers and
//! kept in `docs/openapi/live-catalog.json` (a test fails when stale).

use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;
use veza_live_domain::{
    ErrorBody, FieldError, Stream, StreamStatus,
    input::{CreateStreamRequest, UpdateStreamRequest},
};
pub use veza_live_platform::openapi::ErrorResponse;
use veza_live_platform::{http::ListMeta, openapi::BearerSecurity};

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

/// What a delete answers.
#[derive(ToSchema)]
pub struct Deleted {
    pub id: Uuid,
    pub deleted: bool,
}

/// `{"success": true, "data": {"id", "deleted"}}`.
#[derive(ToSchema)]
pub struct DeletedResponse {
    pub success: bool,
    pub data: Deleted,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live — live-catalog",
        version = "1.0.0",
        description = "Stream metadata, status and listings (live, scheduled, replays)."
    ),
    paths(
        crate::routes::streams::list::list,
        crate::routes::streams::create::create,
        crate::routes::streams::me::mine,
        crate::routes::streams::get::get,
        crate::routes::streams::update::update,
        crate::routes::streams::delete::delete,
        crate::routes::streams::thumbnail::upload,
        crate::routes::media::thumbnail::get,
    ),
    components(schemas(
        Stream, StreamStatus, CreateStreamRequest, UpdateStreamRequest, StreamResponse,
        StreamListResponse, DeletedResponse, Deleted, ListMeta, ErrorResponse, ErrorBody, FieldError
    )),
    modifiers(&BearerSecurity),
    tags(
        (name = "streams", description = "Live streams"),
        (name = "media", description = "Stored images, such as stream thumbnails (outside `/api/v1`, cached forever)")
    )
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn committed_spec_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/openapi/live-catalog.json");
        veza_live_platform::openapi::assert_spec_current(&path, &super::ApiDoc::openapi());
    }
}
