//! The OpenAPI document of ingest-events (internal endpoints only; the
//! gateway routes none of them), kept in `docs/openapi/ingest-events.json`.

use utoipa::OpenApi;
use veza_live_domain::{ErrorBody, FieldError};
use veza_live_platform::openapi::{CommonResponses, ErrorResponse};

use crate::routes::internal::StreamEventRequest;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live — ingest-events (internal)",
        version = "1.0.0",
        description = "Lifecycle events from RTMP servers. The nginx-rtmp hooks under /hooks/rtmp/* take nginx-rtmp's form-encoded notify calls and are described in docs/OPERATIONS.md."
    ),
    paths(crate::routes::internal::stream_event),
    components(schemas(StreamEventRequest, ErrorResponse, ErrorBody, FieldError)),
    modifiers(&CommonResponses),
    tags((name = "internal", description = "Not routed by the gateway"))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn committed_spec_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/openapi/ingest-events.json");
        veza_live_platform::openapi::assert_spec_current(&path, &super::ApiDoc::openapi());
    }
}
