//! `GET /ws`: the chat WebSocket, proxied to chat-gateway both ways.
//! The upstream handshake happens first, with the client's `Origin`,
//! `Authorization` and query (`?token=`), so chat-gateway's refusals (a
//! foreign origin → 403) reach the client as they are; frames and close
//! codes then pass through unchanged. When the gateway shuts down, every
//! proxied socket is closed at once with 1001 (going away) on both sides,
//! so clients reconnect elsewhere instead of waiting for the drain timeout.

use actix_web::{HttpRequest, HttpResponse, rt, web};
use actix_ws::{CloseReason, Message};
use awc::{
    error::WsClientError,
    ws::{Frame, Message as UpMessage},
};
use futures::{SinkExt, StreamExt};
use tokio_util::sync::CancellationToken;
use veza_live_platform::{
    ApiError,
    http::{REQUEST_ID_HEADER, request_id},
};

use crate::{proxy::trace_headers, state::AppState};

/// Fires when the gateway shuts down (app data of the `/ws` route).
#[derive(Clone)]
pub struct Shutdown(pub CancellationToken);

/// Largest frame relayed; chat-gateway enforces its own, smaller limit.
const MAX_FRAME: usize = 64 * 1024;

fn ws_url(base: &str, req: &HttpRequest) -> String {
    let base = base
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let path = req
        .uri()
        .path_and_query()
        .map_or("/ws", actix_web::http::uri::PathAndQuery::as_str);
    format!("{base}{path}")
}

/// Upgrades the client after chat-gateway accepted the upstream socket.
///
/// Fails with chat-gateway's own status when it refuses the handshake, 503
/// when it is unreachable and 504 when it does not answer in time.
pub async fn proxy(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    client: web::Data<awc::Client>,
    shutdown: web::Data<Shutdown>,
) -> Result<HttpResponse, ApiError> {
    let mut upstream = client
        .ws(ws_url(&state.chat.base_url, &req))
        .max_frame_size(MAX_FRAME);
    for name in ["origin", "authorization", "user-agent", "x-forwarded-for"] {
        if let Some(value) = req.headers().get(name) {
            upstream = upstream.set_header(name, value.clone());
        }
    }
    for (name, value) in trace_headers() {
        upstream = upstream.set_header(name, value);
    }
    if let Some(id) = request_id(&req) {
        upstream = upstream.set_header(REQUEST_ID_HEADER, id);
    }
    let connect = tokio::time::timeout(state.timeout, upstream.connect());
    let (_, framed) = match connect.await {
        Err(_) => {
            return Err(ApiError::GatewayTimeout(
                "chat-gateway did not accept the socket in time".into(),
            ));
        }
        Ok(Err(WsClientError::InvalidResponseStatus(status))) => return Ok(refusal(status)),
        Ok(Err(e)) => return Err(ApiError::Unavailable(format!("chat-gateway: {e}"))),
        Ok(Ok(pair)) => pair,
    };
    let (response, mut session, from_client) =
        actix_ws::handle(&req, body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let from_client_limit = from_client.max_frame_size(MAX_FRAME);
    let (mut to_upstream, mut from_upstream) = framed.split();
    metrics::gauge!("veza_live_gateway_websockets").increment(1.0);
    let shutdown = shutdown.0.clone();
    rt::spawn(async move {
        let mut from_client = from_client_limit;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    let away = || Some(CloseReason::from(actix_ws::CloseCode::Away));
                    let _ = to_upstream.send(UpMessage::Close(away())).await;
                    let _ = session.close(away()).await;
                    return finish();
                }
                msg = from_client.next() => {
                    let up = match msg {
                        Some(Ok(Message::Text(text))) => UpMessage::Text(text),
                        Some(Ok(Message::Binary(bytes))) => UpMessage::Binary(bytes),
                        Some(Ok(Message::Ping(bytes))) => UpMessage::Ping(bytes),
                        Some(Ok(Message::Pong(bytes))) => UpMessage::Pong(bytes),
                        Some(Ok(Message::Close(reason))) => {
                            let _ = to_upstream.send(UpMessage::Close(reason)).await;
                            break;
                        }
                        Some(Ok(_)) => continue,
                        // A protocol error or oversized frame from the client.
                        Some(Err(_)) => {
                            let _ = to_upstream.send(UpMessage::Close(Some(actix_ws::CloseCode::Protocol.into()))).await;
                            let _ = session.close(Some(actix_ws::CloseCode::Protocol.into())).await;
                            return finish();
                        }
                        None => {
                            let _ = to_upstream.send(UpMessage::Close(None)).await;
                            break;
                        }
                    };
                    if to_upstream.send(up).await.is_err() {
                        let _ = session.close(Some(actix_ws::CloseCode::Away.into())).await;
                        return finish();
                    }
                }
                frame = from_upstream.next() => {
                    let sent = match frame {
                        Some(Ok(Frame::Text(bytes))) => match std::str::from_utf8(&bytes) {
                            Ok(text) => session.text(text.to_owned()).await,
                            Err(_) => session.binary(bytes).await,
                        },
                        Some(Ok(Frame::Binary(bytes))) => session.binary(bytes).await,
                        Some(Ok(Frame::Ping(bytes))) => session.ping(&bytes).await,
                        Some(Ok(Frame::Pong(bytes))) => session.pong(&bytes).await,
                        Some(Ok(Frame::Close(reason))) => {
                            let _ = session.close(reason).await;
                            return finish();
                        }
                        Some(Ok(Frame::Continuation(_))) => Ok(()),
                        Some(Err(_)) | None => {
                            let _ = session.close(Some(CloseReason::from(actix_ws::CloseCode::Away))).await;
                            return finish();
                        }
                    };
                    if sent.is_err() {
                        let _ = to_upstream.send(UpMessage::Close(None)).await;
                        return finish();
                    }
                }
            }
        }
        // The client closed: let the upstream's close reach us, briefly.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
            while let Some(Ok(frame)) = from_upstream.next().await {
                if matches!(frame, Frame::Close(_)) {
                    break;
                }
            }
        })
        .await;
        finish();
    });
    Ok(response)
}

fn finish() {
    metrics::gauge!("veza_live_gateway_websockets").decrement(1.0);
}

/// chat-gateway refused the handshake: answer the same status.
fn refusal(status: actix_web::http::StatusCode) -> HttpResponse {
    let err = match status.as_u16() {
        401 => ApiError::Unauthorized("invalid or expired token".into()),
        403 => ApiError::Forbidden("origin not allowed".into()),
        429 => ApiError::RateLimited { retry_after_s: 1 },
        s if s >= 500 => ApiError::Unavailable(format!("chat-gateway answered {s}")),
        _ => ApiError::BadRequest("the WebSocket handshake was refused".into()),
    };
    actix_web::ResponseError::error_response(&err)
}
