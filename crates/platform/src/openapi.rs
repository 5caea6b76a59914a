//! Pieces of every service's OpenAPI document: the error envelope schema,
//! the bearer security scheme, the answers every route shares, and the
//! `GET /openapi.json` route each service serves its document on.

use actix_web::{HttpResponse, http::header::ContentType, web};
use utoipa::{
    Modify, ToSchema,
    openapi::{
        ContentBuilder, OpenApi, PathItem, Ref, ResponseBuilder,
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use veza_live_domain::ErrorBody;

/// Where each service serves its own document (not routed by the gateway,
/// whose merged document is `/api/v1/openapi.json`).
pub const SPEC_PATH: &str = "/openapi.json";

/// `{"success": false, "error": {...}}`.
#[derive(ToSchema)]
pub struct ErrorResponse {
    /// Always false.
    pub success: bool,
    pub error: ErrorBody,
}

/// `{"success": true, "data": {"id", "deleted"}}`.
#[derive(ToSchema)]
pub struct DeletedResponse {
    pub success: bool,
    pub data: crate::http::Deleted,
}

/// Adds the `bearer` (JWT) security scheme.
pub struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// What `info.description` gains: a 405 answers any documented path, so it
/// is said once rather than on operations that do not produce it.
const METHOD_NOT_ALLOWED_NOTE: &str = "A documented path asked with a method it does not list answers 405 `method_not_allowed`, with an `Allow` header naming the methods it answers.";

/// Adds the answers every route shares, as the server gives them: 413
/// and 415 on each operation taking a JSON body (see `http::json_config`),
/// and the 405 of `routes::fallback` in the document's description.
/// Responses an operation already lists are kept.
pub struct CommonResponses;

/// A documented error answer: the JSON error envelope, with `description`.
pub fn error_answer(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorResponse")))
            .build(),
    )
}

impl CommonResponses {
    fn add_to(operation: &mut Operation) {
        let takes_json = operation
            .request_body
            .as_ref()
            .is_some_and(|body| body.content.contains_key("application/json"));
        if !takes_json {
            return;
        }
        let answers = [
            ("413", "`payload_too_large`: a body over 64 KiB"),
            (
                "415",
                "`unsupported_media_type`: a `Content-Type` other than `application/json`",
            ),
        ];
        for (status, description) in answers {
            operation
                .responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| error_answer(description).build().into());
        }
    }

    /// Every operation of a path.
    pub fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in Self::operations(item) {
                Self::add_to(operation);
            }
        }
        let description = openapi.info.description.get_or_insert_with(String::new);
        if !description.contains(METHOD_NOT_ALLOWED_NOTE) {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(METHOD_NOT_ALLOWED_NOTE);
        }
    }
}

/// Serialises `doc` once, to be served by [`serve`].
///
/// Fails when the document does not serialise.
pub fn document_json(doc: &OpenApi) -> Result<web::Bytes, serde_json::Error> {
    doc.to_json().map(web::Bytes::from)
}

/// Registers `GET /openapi.json` answering `json` (from [`document_json`]).
/// The route carries its method guard, so another method reaches the
/// app's default service like any other path.
pub fn serve(json: web::Bytes) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.route(
            SPEC_PATH,
            web::get().to(move || {
                let json = json.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type(ContentType::json())
                        .body(json)
                }
            }),
        );
    }
}

/// Checks that the committed spec at `path` matches `generated`; with
/// `UPDATE_OPENAPI=1` in the environment it rewrites the file instead.
/// Services call this from a test so a stale spec fails the build.
///
/// # Panics
/// When the file is missing or differs (and no update was asked for).
pub fn assert_spec_current(path: &std::path::Path, generated: &utoipa::openapi::OpenApi) {
    let mut json = generated
        .to_pretty_json()
        .unwrap_or_else(|e| panic!("serialising the OpenAPI document: {e}"));
    json.push('\n');
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &json).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == json,
        "{} is stale: run `make openapi` and commit the result",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use actix_web::{App, http::StatusCode, test as actix_test};
    use utoipa::openapi::{
        OpenApiBuilder, PathsBuilder,
        path::{HttpMethod, OperationBuilder},
        request_body::RequestBodyBuilder,
    };

    use super::*;

    fn doc() -> OpenApi {
        let json_body = RequestBodyBuilder::new()
            .content("application/json", ContentBuilder::new().build())
            .build();
        let mut doc = OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path(
                        "/things",
                        PathItem::new(
                            HttpMethod::Post,
                            OperationBuilder::new()
                                .request_body(Some(json_body))
                                .build(),
                        ),
                    )
                    .path(
                        "/things",
                        PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
                    ),
            )
            .build();
        CommonResponses.modify(&mut doc);
        doc
    }

    #[test]
    fn json_body_operations_list_413_and_415_and_the_405_is_described_once() {
        let mut doc = doc();
        let item = &doc.paths.paths["/things"];
        let post = item.post.as_ref().expect("post");
        assert!(post.responses.responses.contains_key("413"));
        assert!(post.responses.responses.contains_key("415"));
        let get = item.get.as_ref().expect("get");
        assert!(get.responses.responses.is_empty());
        CommonResponses.modify(&mut doc);
        let description = doc.info.description.unwrap_or_default();
        assert_eq!(description.matches("405").count(), 1, "{description}");
    }

    #[actix_web::test]
    async fn the_document_is_served_as_json_on_get_only() {
        let json = document_json(&doc()).expect("serialises");
        let app = actix_test::init_service(App::new().configure(serve(json))).await;
        let res = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri(SPEC_PATH).to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = actix_test::read_body_json(res).await;
        assert!(body["paths"]["/things"]["post"].is_object(), "{body}");
        let res = actix_test::call_service(
            &app,
            actix_test::TestRequest::post().uri(SPEC_PATH).to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
