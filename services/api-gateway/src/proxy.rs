//! Forwards public routes to their service with the path unchanged:
//! `/api/v1/live/streams/me/key*` → stream-key,
//! `/api/v1/live/streams/{id}/chat/*` → chat-gateway,
//! `/api/v1/live/streams/{id}/health` → ingest-events, other
//! `/api/v1/live/streams*`, the stored thumbnails `/media/thumbnails/*`
//! and replays `/media/replays/*` → live-catalog. Request id and W3C trace
//! context go upstream; hop-by-hop headers do not. A refused connection
//! answers 503 and a slow upstream 504, both within the timeout.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        Method,
        header::{HeaderMap, HeaderName, HeaderValue},
    },
    web,
};
use awc::error::SendRequestError;
use opentelemetry::propagation::Injector;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use veza_live_platform::{
    ApiError,
    http::{REQUEST_ID_HEADER, read_body_limited, request_id},
};

use crate::state::{AppState, Upstream};

/// Largest request body forwarded.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Largest thumbnail upload forwarded: live-catalog's 2 MiB and some
/// slack, so that live-catalog answers an oversized image itself.
pub const THUMBNAIL_BODY_LIMIT: usize = 2 * 1024 * 1024 + 64 * 1024;

/// Stored thumbnails, served by live-catalog.
pub const MEDIA_THUMBNAILS: &str = "/media/thumbnails/";

/// Stored replays (VOD playlists and segments), served by live-catalog.
pub const MEDIA_REPLAYS: &str = "/media/replays/";

/// Headers that describe one connection, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Which service serves a public API path, if any.
pub fn route<'a>(state: &'a AppState, path: &str) -> Option<&'a Upstream> {
    if path.starts_with(MEDIA_THUMBNAILS) || path.starts_with(MEDIA_REPLAYS) {
        return Some(&state.catalog);
    }
    let rest = path.strip_prefix("/api/v1/live/streams")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["me", "key", ..] => Some(&state.stream_key),
        [_, "chat", ..] => Some(&state.chat),
        [id, "health"] if *id != "me" => Some(&state.ingest),
        _ => Some(&state.catalog),
    }
}

/// The largest body forwarded for a request: more only for a thumbnail
/// upload (`PUT /api/v1/live/streams/{id}/thumbnail`).
pub fn body_limit(method: &Method, path: &str) -> usize {
    let thumbnail = method == Method::PUT
        && path
            .strip_prefix("/api/v1/live/streams/")
            .and_then(|rest| rest.strip_suffix("/thumbnail"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    if thumbnail {
        THUMBNAIL_BODY_LIMIT
    } else {
        BODY_LIMIT
    }
}

struct HeaderInjector<'a>(&'a mut Vec<(String, String)>);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

/// The W3C headers of the current span, to continue the trace upstream.
pub fn trace_headers() -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut HeaderInjector(&mut headers));
    });
    headers
}

/// The client address, from the socket or (when trusted) `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> Option<std::net::IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = req
            .connection_info()
            .realip_remote_addr()
            .and_then(|a| a.split(',').next()?.trim().parse().ok())
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

fn copy_headers(from: &HeaderMap, to: &mut awc::ClientRequest) {
    for (name, value) in from {
        if !HOP_BY_HOP.contains(&name.as_str())
            && !name.as_str().starts_with("traceparent")
            && name.as_str() != "tracestate"
        {
            to.headers_mut().append(name.clone(), value.clone());
        }
    }
}

/// Forwards a request to `upstream` and streams the answer back.
///
/// Fails with 413 past [`body_limit`], 503 when the upstream refuses
/// connections and 504 when it does not answer in time.
pub async fn forward(
    req: &HttpRequest,
    payload: web::Payload,
    upstream: &Upstream,
    state: &AppState,
    client: &awc::Client,
) -> Result<HttpResponse, ApiError> {
    let body = read_body_limited(req, payload, body_limit(req.method(), req.path())).await?;
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", actix_web::http::uri::PathAndQuery::as_str);
    let mut outgoing = client
        .request(req.method().clone(), format!("{}{path}", upstream.base_url))
        .timeout(state.timeout);
    copy_headers(req.headers(), &mut outgoing);
    for (name, value) in trace_headers() {
        outgoing = outgoing.insert_header((name, value));
    }
    if let Some(id) = request_id(req) {
        outgoing = outgoing.insert_header((REQUEST_ID_HEADER, id));
    }
    if let Some(ip) = client_ip(req, state.trust_forwarded_for) {
        outgoing = outgoing.insert_header(("x-forwarded-for", ip.to_string()));
    }
    let upstream_res = outgoing
        .send_body(body.freeze())
        .await
        .map_err(|e| match e {
            SendRequestError::Timeout => {
                ApiError::GatewayTimeout(format!("{} did not answer in time", upstream.name))
            }
            other => ApiError::Unavailable(format!("{}: {other}", upstream.name)),
        })?;
    metrics::counter!("veza_live_gateway_upstream_responses_total",
        "upstream" => upstream.name, "status" => upstream_res.status().as_u16().to_string())
    .increment(1);
    let mut res = HttpResponse::build(upstream_res.status());
    for (name, value) in upstream_res.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name.as_str() != REQUEST_ID_HEADER {
            res.append_header((HeaderName::from(name), HeaderValue::from(value)));
        }
    }
    Ok(res.streaming(upstream_res))
}

/// Any method on a public API path: forwarded, or 404 in the envelope.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    client: web::Data<awc::Client>,
) -> Result<HttpResponse, ApiError> {
    let Some(upstream) = route(&state, req.path()) else {
        return Err(ApiError::NotFound("no such route".into()));
    };
    forward(&req, payload, upstream, &state, &client).await
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    fn state() -> AppState {
        let up = |name: &'static str| Upstream {
            name,
            base_url: format!("http://{name}"),
        };
        AppState {
            catalog: up("live-catalog"),
            stream_key: up("stream-key"),
            chat: up("chat-gateway"),
            ingest: up("ingest-events"),
            timeout: Duration::from_secs(1),
            limiter: Arc::new(crate::state::limiter(1, 1)),
            trust_forwarded_for: false,
            dev_auth: false,
            openapi_json: Arc::new(String::new()),
        }
    }

    #[test]
    fn paths_route_to_their_service() {
        let s = state();
        let name = |p: &str| route(&s, p).map(|u| u.name);
        assert_eq!(name("/api/v1/live/streams"), Some("live-catalog"));
        assert_eq!(name("/api/v1/live/streams/me"), Some("live-catalog"));
        assert_eq!(name("/api/v1/live/streams/9b1d/"), Some("live-catalog"));
        assert_eq!(name("/api/v1/live/streams/me/key"), Some("stream-key"));
        assert_eq!(
            name("/api/v1/live/streams/me/key/regenerate"),
            Some("stream-key")
        );
        assert_eq!(
            name("/api/v1/live/streams/9b1d/chat/messages"),
            Some("chat-gateway")
        );
        assert_eq!(
            name("/api/v1/live/streams/9b1d/chat/bans/42"),
            Some("chat-gateway")
        );
        assert_eq!(
            name("/media/thumbnails/9b1d/0123456789abcdef.jpg"),
            Some("live-catalog")
        );
        assert_eq!(
            name("/api/v1/live/streams/9b1d/health"),
            Some("ingest-events")
        );
        assert_eq!(name("/api/v1/live/streams/me/health"), Some("live-catalog"));
        assert_eq!(name("/media/replays/9b1d/index.m3u8"), Some("live-catalog"));
        assert_eq!(name("/media/other/x.jpg"), None);
        assert_eq!(name("/api/v1/live/streamsX"), None);
        assert_eq!(name("/internal/stream-events"), None);
        assert_eq!(name("/hooks/rtmp/on_publish"), None);
        assert_eq!(name("/api/v1/other"), None);
    }

    #[test]
    fn only_thumbnail_uploads_may_exceed_one_mib() {
        let put = |p: &str| body_limit(&Method::PUT, p);
        assert_eq!(
            put("/api/v1/live/streams/9b1d/thumbnail"),
            THUMBNAIL_BODY_LIMIT
        );
        const { assert!(THUMBNAIL_BODY_LIMIT > 2 * 1024 * 1024) };
        assert_eq!(
            body_limit(&Method::POST, "/api/v1/live/streams/9b1d/thumbnail"),
            BODY_LIMIT
        );
        for other in [
            "/api/v1/live/streams/9b1d",
            "/api/v1/live/streams//thumbnail",
            "/api/v1/live/streams/a/b/thumbnail",
            "/api/v1/live/streams/9b1d/chat/settings",
        ] {
            assert_eq!(put(other), BODY_LIMIT, "{other}");
        }
    }
}
