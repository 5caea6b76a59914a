//! `/healthz` (alive), `/readyz` (every upstream answers its own
//! `/readyz`) and `/metrics`.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use futures::future::join_all;
use serde_json::{Map, Value, json};

use crate::state::AppState;

async fn healthz() -> HttpResponse {
    veza_live_platform::http::ok(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>, client: web::Data<awc::Client>) -> HttpResponse {
    let checks = state.upstreams().map(|up| {
        let client = client.clone();
        let url = format!("{}/readyz", up.base_url);
        async move {
            let ok = client
                .get(url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            (up.name, ok)
        }
    });
    let results = join_all(checks).await;
    let all_ok = results.iter().all(|(_, ok)| *ok);
    let data: Map<String, Value> = results
        .into_iter()
        .map(|(name, ok)| {
            (
                name.to_owned(),
                Value::from(if ok { "ok" } else { "unavailable" }),
            )
        })
        .collect();
    let body = json!({"success": all_ok, "data": data});
    if all_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body)
    }
}

/// Adds `/healthz`, `/readyz` and `/metrics`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
    veza_live_platform::metrics::configure(cfg);
}
