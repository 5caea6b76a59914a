//! nginx-rtmp hooks (`notify_method post`). `on_publish` answers a 3xx
//! relay to `<RTMP_RELAY_URL>/<stream_id>` to allow (the key never reaches
//! HLS paths) and 403 to deny; `on_play` on the HLS application counts a
//! listener; `on_update` renews a publisher's lease or answers 403 to end a
//! connection whose session ended. A stream key is never logged.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;
use veza_live_domain::events::EndReason;
use veza_live_platform::ApiError;

use super::form::{HOOK_BODY_LIMIT, HookForm};
use crate::{
    db::sessions::Source,
    ingest::{self, IngestError, Joined, Origin, Publisher, RtmpConnection, SessionRef},
    state::AppState,
};

/// The flashver nginx-rtmp gives its own relay connections.
const LOCAL_RELAY_FLASHVER: &str = "ngx-local-relay";

fn allow() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("OK")
}

fn deny(reason: &str) -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain")
        .body(reason.to_owned())
}

fn observed(hook: &'static str, started: Instant, outcome: &'static str) {
    metrics::histogram!("veza_live_hook_duration_seconds", "hook" => hook)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("veza_live_hooks_total", "hook" => hook, "outcome" => outcome).increment(1);
}

async fn form(req: HttpRequest, payload: web::Payload) -> Result<HookForm, ApiError> {
    let body = veza_live_platform::http::read_body_limited(&req, payload, HOOK_BODY_LIMIT).await?;
    Ok(HookForm::parse(&body)?)
}

/// `on_publish`: validate the key, choose the stream, relay it under its id.
pub async fn on_publish(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let form = form(req, payload).await?;
    if form.app != state.rtmp.live_app || form.name.is_empty() {
        observed("on_publish", started, "denied");
        return Ok(deny(
            "publishing is only allowed on the live application with a key",
        ));
    }
    let connection = RtmpConnection {
        app: form.app.clone(),
        client_id: form.client_id.clone(),
    };
    let origin = Origin::now(Source::Rtmp, form.addr.clone());
    match ingest::start(&state, Publisher::Key(form.name), Some(connection), origin).await {
        Ok(Some(outcome)) => {
            observed("on_publish", started, "relayed");
            Ok(HttpResponse::Found()
                .insert_header((
                    "Location",
                    format!("{}/{}", state.rtmp.relay_url, outcome.stream_id),
                ))
                .finish())
        }
        // Every hook call carries a fresh event id: never a duplicate.
        Ok(None) => {
            observed("on_publish", started, "denied");
            Ok(deny("denied"))
        }
        Err(IngestError::Unavailable(cause)) => {
            observed("on_publish", started, "unavailable");
            tracing::warn!(error.cause = %cause, "publish refused: a dependency is unavailable");
            Ok(HttpResponse::ServiceUnavailable().body("unavailable"))
        }
        Err(refusal) => {
            observed("on_publish", started, "denied");
            tracing::info!(rtmp.client_id = %form.client_id, client.addr = ?form.addr, reason = %refusal, "publish refused");
            Ok(deny("denied"))
        }
    }
}

/// `on_publish_done`: the publisher left; its session ends.
pub async fn on_publish_done(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let form = form(req, payload).await?;
    if form.app != state.rtmp.live_app {
        observed("on_publish_done", started, "ignored");
        return Ok(allow());
    }
    let which = SessionRef::Rtmp {
        app: form.app,
        client_id: form.client_id,
    };
    match ingest::end(
        &state,
        which,
        EndReason::PublisherDone,
        Origin::now(Source::Rtmp, form.addr),
    )
    .await
    {
        Ok(_) => {
            observed("on_publish_done", started, "applied");
            Ok(allow())
        }
        // nginx ignores the answer; the lease ends the session later.
        Err(error) => {
            observed("on_publish_done", started, "failed");
            tracing::warn!(error = %error, "publish_done not applied; the lease will end the session");
            Ok(HttpResponse::ServiceUnavailable().body("unavailable"))
        }
    }
}

/// `on_play`: a player of the HLS application is a listener. The local
/// relay of an accepted publish (flashver `ngx-local-relay`, empty app) is
/// not a viewer; nobody else may play the live application.
pub async fn on_play(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let form = form(req, payload).await?;
    if form.flashver.starts_with(LOCAL_RELAY_FLASHVER)
        && form.addr.as_deref().is_some_and(is_loopback_relay)
    {
        observed("on_play", started, "relay");
        return Ok(allow());
    }
    if form.app == state.rtmp.live_app {
        observed("on_play", started, "denied");
        return Ok(deny("the live application cannot be played"));
    }
    let Ok(stream_id) = Uuid::parse_str(&form.name) else {
        observed("on_play", started, "denied");
        return Ok(deny("unknown stream"));
    };
    if form.app != state.rtmp.hls_app {
        observed("on_play", started, "denied");
        return Ok(deny("unknown application"));
    }
    let listener = format!("rtmp:{}", form.client_id);
    match ingest::join(
        &state,
        stream_id,
        &listener,
        None,
        Origin::now(Source::Rtmp, form.addr),
    )
    .await
    {
        Ok(Joined::NotLive) => {
            observed("on_play", started, "denied");
            Ok(deny("the stream is not live"))
        }
        Ok(_) => {
            observed("on_play", started, "counted");
            Ok(allow())
        }
        Err(error) => {
            observed("on_play", started, "failed");
            tracing::warn!(error = %error, "play not counted");
            Ok(HttpResponse::ServiceUnavailable().body("unavailable"))
        }
    }
}

/// nginx-rtmp reports its relay's address as the relay target
/// (`127.0.0.1:1935/hls/<id>`); a remote player cannot forge a loopback one.
fn is_loopback_relay(addr: &str) -> bool {
    addr.starts_with("127.0.0.1:") || addr.starts_with("localhost:") || addr.starts_with("[::1]:")
}

/// `on_play_done`: a listener left.
pub async fn on_play_done(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let form = form(req, payload).await?;
    let stream_id = match Uuid::parse_str(&form.name) {
        Ok(id) if form.app == state.rtmp.hls_app => id,
        _ => {
            observed("on_play_done", started, "ignored");
            return Ok(allow());
        }
    };
    let listener = format!("rtmp:{}", form.client_id);
    if let Err(error) = ingest::leave(
        &state,
        stream_id,
        &listener,
        Origin::now(Source::Rtmp, form.addr),
    )
    .await
    {
        tracing::warn!(error = %error, "play_done not applied");
    }
    observed("on_play_done", started, "applied");
    Ok(allow())
}

/// `on_update`: renew a publisher's lease, or end a connection whose
/// session ended (key rotated, lease expired).
pub async fn on_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let form = form(req, payload).await?;
    if form.call != "update_publish" || form.app != state.rtmp.live_app {
        observed("on_update", started, "ignored");
        return Ok(allow());
    }
    match ingest::renew_rtmp(&state, &form.app, &form.client_id).await {
        Ok(true) => {
            observed("on_update", started, "renewed");
            Ok(allow())
        }
        Ok(false) => {
            observed("on_update", started, "ended");
            Ok(deny("session ended"))
        }
        // Do not cut a publisher because the database blinked; the lease
        // decides if it lasts.
        Err(error) => {
            observed("on_update", started, "failed");
            tracing::warn!(error = %error, "update not applied");
            Ok(allow())
        }
    }
}
