//! The OpenAPI document of ingest-events, kept in
//! `docs/openapi/ingest-events.json`: the public routes the gateway
//! forwards (stream health) and the internal endpoint, which the
//! gateway's merged document leaves out.

use utoipa::OpenApi;
use veza_live_domain::{ErrorBody, FieldError};
use veza_live_platform::openapi::{BearerSecurity, CommonResponses};

use crate::{
    health::{AudioHealth, StreamHealth, Verdict, VideoHealth},
    routes::{
        internal::StreamEventRequest,
        responses::{ErrorResponse, HealthResponse},
    },
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live — ingest-events",
        version = "1.0.0",
        description = "Stream health for the streamer (public, through the gateway) and lifecycle events from RTMP servers (internal). The nginx-rtmp hooks under /hooks/rtmp/* take nginx-rtmp's form-encoded notify calls and are described in docs/OPERATIONS.md."
    ),
    paths(crate::routes::stream_health::get, crate::routes::internal::stream_event),
    components(schemas(
        StreamEventRequest, StreamHealth, Verdict, VideoHealth, AudioHealth, HealthResponse,
        ErrorResponse, ErrorBody, FieldError
    )),
    modifiers(&BearerSecurity, &CommonResponses),
    tags(
        (name = "health", description = "The streamer's view of their encoder's signal"),
        (name = "internal", description = "Not routed by the gateway")
    )
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
