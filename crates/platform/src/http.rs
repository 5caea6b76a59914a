//! HTTP plumbing shared by every service: the success envelope, extractor
//! configuration that answers bad input in the error envelope, and the
//! `observe` middleware that assigns request ids, continues W3C traces and
//! records request metrics.

use std::time::Instant;

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use opentelemetry::propagation::Extractor;
use serde::Serialize;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::ApiError;

/// Largest JSON body a service accepts.
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

/// The request id header, accepted from clients and echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The request id stored in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    success: bool,
    data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<ListMeta>,
}

/// Pagination metadata of a list response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ListMeta {
    #[schema(minimum = 1, maximum = 100)]
    pub limit: u32,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// What a delete answers: the id and that it is gone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub id: uuid::Uuid,
    pub deleted: bool,
}

/// 200 with `{"success": true, "data": ...}`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope {
        success: true,
        data,
        meta: None,
    })
}

/// 201 with `{"success": true, "data": ...}`.
pub fn created<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Created().json(Envelope {
        success: true,
        data,
        meta: None,
    })
}

/// 200 with a list and its pagination metadata.
pub fn list<T: Serialize>(data: T, meta: ListMeta) -> HttpResponse {
    HttpResponse::Ok().json(Envelope {
        success: true,
        data,
        meta: Some(meta),
    })
}

/// JSON bodies: size-limited, malformed or unknown fields → 400.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|err, _req| {
            let api = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(e) => {
                    ApiError::BadRequest(format!("invalid JSON body: {e}"))
                }
                _ => ApiError::BadRequest("the request body could not be read".into()),
            };
            api.into()
        })
}

/// Query strings: a value that does not parse → 400.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match &err {
            QueryPayloadError::Deserialize(e) => format!("invalid query string: {e}"),
            _ => "invalid query string".to_owned(),
        };
        ApiError::BadRequest(message).into()
    })
}

/// Path segments: an id that is not a UUID → 404, as no such resource exists.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_err: PathError, _req| ApiError::NotFound("no such resource".into()).into())
}

/// Reads a request body of at most `limit` bytes.
///
/// Fails with 413 past the limit (checked against `Content-Length` first)
/// and 400 when the stream breaks.
pub async fn read_body_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    use futures::StreamExt;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::BadRequest("the request body could not be read".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

struct HeaderExtractor<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(actix_web::http::header::HeaderName::as_str)
            .collect()
    }
}

fn accepted_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let valid = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    valid.then(|| value.to_owned())
}

/// Middleware: request id, a server span continuing the caller's trace,
/// and request metrics by route and status.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = accepted_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(req.headers()))
    });
    let span = tracing::info_span!(
        "http.request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        request_id = %request_id,
        trace_id = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    let _ = span.set_parent(parent);
    {
        use opentelemetry::trace::TraceContextExt;
        let trace_id = span.context().span().span_context().trace_id();
        if trace_id != opentelemetry::trace::TraceId::INVALID {
            span.record("trace_id", trace_id.to_string());
        }
    }
    let result = REQUEST_ID
        .scope(request_id.clone(), next.call(req))
        .instrument(span.clone())
        .await;
    let mut res = result?;
    let status = res.status().as_u16();
    span.record("http.response.status_code", status);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    let elapsed = started.elapsed();
    crate::metrics::record_http(&method, &route, status, elapsed);
    // The route pattern, never the raw path or query (which may hold tokens).
    span.in_scope(|| {
        tracing::info!(
            http.status = status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request completed"
        );
    });
    Ok(res)
}

/// The request id of a handler's request.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}
