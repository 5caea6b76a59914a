//! The routes a service documents, read from its OpenAPI document, so that
//! a known path asked with a method it does not answer gets 405 with
//! `Allow` instead of a 404: the spec and the server cannot disagree.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};
use utoipa::openapi::OpenApi;

use crate::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

/// Each documented path template with the methods it answers.
#[derive(Debug, Clone, Default)]
pub struct KnownRoutes(Vec<(Vec<Segment>, Vec<&'static str>)>);

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

impl KnownRoutes {
    /// The paths and methods of `doc`.
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let pattern = segments(template)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (pattern, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods documented for `path` (every template it matches), in a
    /// fixed order; empty for an unknown path.
    pub fn allowed(&self, path: &str) -> Vec<&'static str> {
        const ORDER: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let parts: Vec<&str> = segments(path).collect();
        let mut allowed: Vec<&'static str> = Vec::new();
        for (pattern, methods) in &self.0 {
            let matches = pattern.len() == parts.len()
                && pattern.iter().zip(&parts).all(|(p, s)| match p {
                    Segment::Param => true,
                    Segment::Literal(l) => l == s,
                });
            if matches {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method);
                    }
                }
            }
        }
        allowed.sort_by_key(|m| ORDER.iter().position(|o| o == m));
        allowed
    }
}

/// The default service: 405 with `Allow` for a documented path asked with
/// another method, else 404, both in the envelope.
pub async fn fallback(req: HttpRequest, routes: Option<web::Data<KnownRoutes>>) -> HttpResponse {
    let allowed = routes.map(|r| r.allowed(req.path())).unwrap_or_default();
    if allowed.is_empty() {
        return ApiError::NotFound("no such route".into()).error_response();
    }
    let allow = allowed.join(", ");
    let mut response = ApiError::Rejected {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!("this path answers {allow}"),
    }
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::{
        OpenApiBuilder, PathItem, PathsBuilder,
        path::{HttpMethod, OperationBuilder},
    };

    use super::*;

    fn doc() -> OpenApi {
        let op = || OperationBuilder::new().build();
        OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path("/api/v1/live/streams", PathItem::new(HttpMethod::Get, op()))
                    .path(
                        "/api/v1/live/streams",
                        PathItem::new(HttpMethod::Post, op()),
                    )
                    .path(
                        "/api/v1/live/streams/{id}",
                        PathItem::new(HttpMethod::Put, op()),
                    )
                    .path(
                        "/api/v1/live/streams/{id}",
                        PathItem::new(HttpMethod::Get, op()),
                    )
                    .path(
                        "/api/v1/live/streams/me",
                        PathItem::new(HttpMethod::Get, op()),
                    ),
            )
            .build()
    }

    #[test]
    fn a_known_path_lists_its_methods_and_an_unknown_one_none() {
        let routes = KnownRoutes::from_openapi(&doc());
        assert_eq!(routes.allowed("/api/v1/live/streams"), ["GET", "POST"]);
        assert_eq!(routes.allowed("/api/v1/live/streams/abc"), ["GET", "PUT"]);
        assert_eq!(routes.allowed("/api/v1/live/streams/me"), ["GET", "PUT"]);
        assert!(routes.allowed("/api/v1/live/streams/a/b").is_empty());
        assert!(routes.allowed("/nope").is_empty());
    }

    #[actix_web::test]
    async fn the_fallback_answers_405_with_allow_or_404() {
        let routes = web::Data::new(KnownRoutes::from_openapi(&doc()));
        let req = actix_web::test::TestRequest::delete()
            .uri("/api/v1/live/streams")
            .to_http_request();
        let res = fallback(req, Some(routes.clone())).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            res.headers().get(header::ALLOW).map(|v| v.to_str().ok()),
            Some(Some("GET, POST"))
        );
        let req = actix_web::test::TestRequest::get()
            .uri("/nope")
            .to_http_request();
        assert_eq!(
            fallback(req, Some(routes)).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
