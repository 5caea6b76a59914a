//! The OpenAPI document of stream-key, generated from the handlers and
//! kept in `docs/openapi/stream-key.json` (a test fails when stale).

use utoipa::OpenApi;
use veza_live_domain::{ErrorBody, FieldError};
use veza_live_platform::openapi::{BearerSecurity, CommonResponses, ErrorResponse};

use crate::routes::responses::{StreamKeyResponse, StreamKeyView};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live — stream-key",
        version = "1.0.0",
        description = "Issues, shows and regenerates streamers' stream keys."
    ),
    paths(crate::routes::show::show, crate::routes::regenerate::regenerate),
    components(schemas(StreamKeyView, StreamKeyResponse, ErrorResponse, ErrorBody, FieldError)),
    modifiers(&BearerSecurity, &CommonResponses),
    tags((name = "stream keys", description = "Streamers' channel keys"))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn committed_spec_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/openapi/stream-key.json");
        veza_live_platform::openapi::assert_spec_current(&path, &super::ApiDoc::openapi());
    }
}
