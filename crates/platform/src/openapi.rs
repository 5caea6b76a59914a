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
