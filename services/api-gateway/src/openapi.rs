//! The gateway's own routes (kept in `docs/openapi/api-gateway.json`) and
//! the merged document it serves: its routes plus every public service's
//! committed document, embedded at build time.

use utoipa::OpenApi;
use veza_live_domain::{ErrorBody, FieldError};
use veza_live_platform::openapi::{BearerSecurity, CommonResponses, ErrorResponse};

use crate::routes::dev_token::{DevToken, DevTokenRequest, DevTokenResponse};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/specs.rs"));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live API",
        version = "1.0.0",
        description = "The public API of Veza Live, served by the api-gateway: streams, stream keys and live chat. The chat WebSocket is GET /ws."
    ),
    paths(crate::routes::dev_token::mint),
    components(schemas(DevTokenRequest, DevToken, DevTokenResponse, ErrorResponse, ErrorBody, FieldError)),
    modifiers(&BearerSecurity, &CommonResponses),
    tags((name = "auth", description = "Development logins"))
)]
pub struct ApiDoc;

/// The names of the services whose documents are merged.
pub fn merged_services() -> Vec<&'static str> {
    embedded::SPECS.iter().map(|(name, _)| *name).collect()
}

/// The gateway's routes merged with every public service's document.
///
/// Fails when an embedded document does not parse (a build from a broken
/// tree).
pub fn merged() -> Result<utoipa::openapi::OpenApi, serde_json::Error> {
    let mut doc = ApiDoc::openapi();
    for (_, json) in embedded::SPECS {
        let mut service: utoipa::openapi::OpenApi = serde_json::from_str(json)?;
        // Never public, whoever documents them.
        service
            .paths
            .paths
            .retain(|path, _| !path.starts_with("/internal") && !path.starts_with("/hooks"));
        doc.merge(service);
    }
    for item in doc.paths.paths.values_mut() {
        for operation in CommonResponses::operations(item) {
            add_gateway_answers(operation);
        }
    }
    Ok(doc)
}

/// What the gateway itself may answer on any route, before or instead of
/// the upstream: the per-IP rate limit, and an upstream that refuses
/// connections or does not answer in time; each with `Retry-After`.
fn add_gateway_answers(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::{ObjectBuilder, Type, header::HeaderBuilder};
    use veza_live_platform::openapi::error_answer;
    let answers = [
        (
            "429",
            "`rate_limited`: this client is over its request quota",
        ),
        (
            "503",
            "`service_unavailable`: the upstream service is unavailable",
        ),
        (
            "504",
            "`gateway_timeout`: the upstream service did not answer in time",
        ),
    ];
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                error_answer(description)
                    .header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(
                                ObjectBuilder::new()
                                    .schema_type(Type::Integer)
                                    .minimum(Some(1)),
                            )
                            .description(Some("Seconds to wait before retrying"))
                            .build(),
                    )
                    .build()
                    .into()
            });
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn committed_spec_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/openapi/api-gateway.json");
        veza_live_platform::openapi::assert_spec_current(&path, &super::ApiDoc::openapi());
    }

    #[test]
    fn merged_document_has_every_public_service() {
        let doc = super::merged().expect("embedded documents parse");
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for expected in [
            "/api/v1/auth/dev-token",
            "/api/v1/live/streams",
            "/api/v1/live/streams/{id}",
            "/api/v1/live/streams/me/key",
            "/api/v1/live/streams/me/key/regenerate",
            "/api/v1/live/streams/{id}/thumbnail",
            "/media/thumbnails/{stream_id}/{file}",
            "/media/replays/{stream_id}/{file}",
            "/api/v1/live/streams/{id}/health",
        ] {
            assert!(
                paths.iter().any(|p| p.as_str() == expected),
                "{expected} missing from {paths:?}"
            );
        }
        assert!(
            paths
                .iter()
                .all(|p| !p.starts_with("/internal") && !p.starts_with("/hooks"))
        );
        assert!(super::merged_services().contains(&"live-catalog"));
        assert!(super::merged_services().contains(&"ingest-events"));
    }

    #[test]
    fn every_merged_operation_lists_the_gateways_own_answers() {
        let mut doc = super::merged().expect("embedded documents parse");
        for (path, item) in &mut doc.paths.paths {
            for operation in veza_live_platform::openapi::CommonResponses::operations(item) {
                for status in ["429", "503", "504"] {
                    let answer = operation.responses.responses.get(status);
                    assert!(answer.is_some(), "{path} does not list {status}");
                }
            }
        }
    }

    #[test]
    fn merged_document_operation_ids_are_unique() {
        let doc = super::merged().expect("embedded documents parse");
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in &doc.paths.paths {
            for operation in [
                &item.get,
                &item.put,
                &item.post,
                &item.delete,
                &item.patch,
                &item.head,
                &item.options,
            ]
            .into_iter()
            .flatten()
            {
                let id = operation
                    .operation_id
                    .clone()
                    .expect("every operation has an id");
                if let Some(other) = seen.insert(id.clone(), path.clone()) {
                    panic!("operationId {id} is used by {other} and {path}");
                }
            }
        }
        assert!(seen.len() >= 10, "{seen:?}");
    }
}
