//! Pieces of every service's OpenAPI document: the error envelope schema
//! and the bearer security scheme.

use utoipa::{
    Modify, ToSchema,
    openapi::{
        OpenApi,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use veza_live_domain::ErrorBody;

/// `{"success": false, "error": {...}}`.
#[derive(ToSchema)]
pub struct ErrorResponse {
    /// Always false.
    pub success: bool,
    pub error: ErrorBody,
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
