//! `GET /ws`: checks `Origin` against the allowlist (403) and the token
//! (`Authorization: Bearer` or `?token=`; a bad one is 401, none is an
//! anonymous, read-only socket) before the upgrade, then hands the socket
//! to its task. Tokens never reach a log line.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use veza_live_platform::{
    ApiError,
    auth::{AuthUser, bearer_token},
};

use super::{MAX_FRAME_BYTES, connection};
use crate::{routes::responses::ErrorResponse, state::AppState};

/// The token of the upgrade request: the header first, else `?token=`.
fn token(req: &HttpRequest) -> Option<String> {
    // A header, even a bad one, is the credential: never fall back to the
    // query string beside it.
    if req.headers().contains_key(header::AUTHORIZATION) {
        return bearer_token(req).map(str::to_owned);
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The query string with any `token` value replaced, fit for a log line.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("token") => format!("{key}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Option<AuthUser>, ApiError> {
    let has_header = req.headers().contains_key(header::AUTHORIZATION);
    match token(req) {
        Some(token) => state
            .verifier
            .verify(&token)
            .map(Some)
            .map_err(|e| ApiError::Unauthorized(e.to_string())),
        None if has_header => Err(ApiError::Unauthorized("invalid or expired token".into())),
        None => Ok(None),
    }
}

/// Open the chat WebSocket.
#[utoipa::path(
    get,
    path = "/ws",
    tag = "chat",
    params(("token" = Option<String>, Query, description = "Bearer token, when the Authorization header cannot be set")),
    security((), ("bearer" = [])),
    responses(
        (status = 101, description = "Switching to the chat protocol"),
        (status = 400, description = "Not a WebSocket upgrade", body = ErrorResponse),
        (status = 401, description = "Bad or expired token", body = ErrorResponse),
        (status = 403, description = "Origin not allowed", body = ErrorResponse),
        (status = 503, description = "Shutting down", body = ErrorResponse),
    )
)]
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("invalid"));
    if !state.allowed_origins.allows(origin) {
        return Err(ApiError::Forbidden(
            "this origin may not open the chat".into(),
        ));
    }
    let user = authenticate(&req, &state)?;
    if state.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable("shutting down".into()));
    }
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|_| ApiError::BadRequest("a WebSocket upgrade is required".into()))?;
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    let conn_id = state.hub.next_conn_id();
    tracing::debug!(
        conn.id = conn_id,
        user.id = user.as_ref().map(|u| u.user_id.to_string()),
        http.query = %redact_query(req.query_string()),
        "chat socket opened"
    );
    actix_web::rt::spawn(connection::run(state, user, conn_id, session, stream));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted_from_logged_queries() {
        assert_eq!(
            redact_query("a=1&token=eyJ.secret.sig&b=2"),
            "a=1&token=[redacted]&b=2"
        );
        assert_eq!(redact_query("TOKEN=x"), "TOKEN=[redacted]");
        assert_eq!(redact_query(""), "");
    }

    #[test]
    fn the_query_token_is_read_when_no_header_is_set() {
        let req = actix_web::test::TestRequest::get()
            .uri("/ws?x=1&token=abc")
            .to_http_request();
        assert_eq!(token(&req).as_deref(), Some("abc"));
        let req = actix_web::test::TestRequest::get()
            .uri("/ws?token=abc")
            .insert_header((header::AUTHORIZATION, "Bearer fromheader"))
            .to_http_request();
        assert_eq!(token(&req).as_deref(), Some("fromheader"));
    }

    #[test]
    fn a_bad_header_is_not_overridden_by_the_query_token() {
        let req = actix_web::test::TestRequest::get()
            .uri("/ws?token=abc")
            .insert_header((header::AUTHORIZATION, "Basic Zm9vOmJhcg=="))
            .to_http_request();
        assert_eq!(token(&req), None);
        let req = actix_web::test::TestRequest::get()
            .uri("/ws?token=abc")
            .append_header((header::AUTHORIZATION, "Bearer one"))
            .append_header((header::AUTHORIZATION, "Bearer two"))
            .to_http_request();
        assert_eq!(token(&req), None);
    }
}
