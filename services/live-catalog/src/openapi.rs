//! The OpenAPI document of live-catalog, generated from the handlers and
//! kept in `docs/openapi/live-catalog.json` (a test fails when stale).

use utoipa::{Modify, OpenApi, openapi::schema::Schema};
use veza_live_domain::{
    ErrorBody, FieldError, Stream, StreamStatus,
    input::{CreateStreamRequest, UpdateStreamRequest},
};
use veza_live_platform::{
    http::{Deleted, ListMeta},
    openapi::{BearerSecurity, CommonResponses, DeletedResponse, ErrorResponse},
};

use crate::routes::responses::{StreamListResponse, StreamResponse};

/// `UpdateStreamRequest` takes at least one field: `{}` answers 400.
// Set here because utoipa 5.5's `min_properties` attribute emits
// `maxProperties`.
struct UpdateNeedsAField;

impl Modify for UpdateNeedsAField {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schema = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("UpdateStreamRequest"));
        if let Some(utoipa::openapi::RefOr::T(Schema::Object(object))) = schema {
            object.min_properties = Some(1);
        }
    }
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
        crate::routes::media::replay::get,
    ),
    components(schemas(
        Stream, StreamStatus, CreateStreamRequest, UpdateStreamRequest, StreamResponse,
        StreamListResponse, DeletedResponse, Deleted, ListMeta, ErrorResponse, ErrorBody, FieldError
    )),
    modifiers(&BearerSecurity, &CommonResponses, &UpdateNeedsAField),
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

    #[test]
    fn the_bounds_the_server_checks_are_declared() {
        use veza_live_domain::input::{TAG_MAX_CHARS, TAGS_MAX, TITLE_MAX_CHARS};

        use crate::routes::streams::list::MAX_LIMIT;

        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialises");
        let params = doc["paths"]["/api/v1/live/streams"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let limit = params.iter().find(|p| p["name"] == "limit").expect("limit");
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(limit["schema"]["maximum"], MAX_LIMIT);

        let schemas = &doc["components"]["schemas"];
        let create = &schemas["CreateStreamRequest"];
        assert_eq!(create["required"], serde_json::json!(["title"]));
        assert_eq!(create["properties"]["title"]["maxLength"], TITLE_MAX_CHARS);
        assert_eq!(create["properties"]["tags"]["maxItems"], TAGS_MAX);
        assert_eq!(
            create["properties"]["tags"]["items"]["maxLength"],
            TAG_MAX_CHARS
        );
        assert_eq!(schemas["UpdateStreamRequest"]["minProperties"], 1);

        let put = &doc["paths"]["/api/v1/live/streams/{id}"]["put"]["responses"];
        for status in ["400", "413", "415"] {
            assert!(put[status].is_object(), "PUT lacks {status}");
        }
        assert!(!doc.to_string().contains(r#""type":"number""#));
    }
}
