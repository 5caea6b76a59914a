//! The api-gateway in front of the services: routing with paths
//! unchanged, the envelope for its own errors, dev logins, limits, CORS,
//! readiness and the merged API document.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use veza_live_system_tests::{Running, World, dead_upstream, start_gateway};

use crate::{data, error_code};

async fn gateway_for(w: &World, extra: &[(&str, &str)]) -> Running {
    start_gateway(
        &w.catalog.http.base,
        &w.keys.http.base,
        &dead_upstream(),
        extra,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_works_through_the_gateway_alone() {
    let w = World::start().await;
    let gw = gateway_for(&w, &[("LIVE_DEV_AUTH", "true")]).await;
    let login = gw
        .http
        .post(
            "/api/v1/auth/dev-token",
            None,
            &json!({"username": "alice"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let token = data(&login.body)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let user_id = data(&login.body)["user_id"].clone();
    let again = gw
        .http
        .post(
            "/api/v1/auth/dev-token",
            None,
            &json!({"username": "alice"}),
        )
        .await;
    assert_eq!(
        data(&again.body)["user_id"],
        user_id,
        "same username, same user"
    );

    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let created = gw
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Through the gateway", "scheduled_at": at}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(data(&created.body)["user_id"], user_id);
    let id = data(&created.body)["id"].as_str().expect("id").to_owned();
    let key = gw
        .http
        .get("/api/v1/live/streams/me/key", Some(&token))
        .await;
    assert_eq!(key.status, StatusCode::OK);
    assert_eq!(
        data(&key.body)["stream_key"],
        data(&created.body)["stream_key"]
    );
    let listed = gw
        .http
        .get("/api/v1/live/streams?scheduled=true", None)
        .await;
    assert_eq!(data(&listed.body)[0]["id"], id.as_str());
    assert_eq!(listed.body["meta"]["limit"], 20);
    // Upstream errors pass through as they are.
    let bad = gw
        .http
        .post("/api/v1/live/streams", Some(&token), &json!({"title": ""}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["details"][0]["field"], "title");
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_and_reach_the_upstream() {
    let w = World::start().await;
    let gw = gateway_for(&w, &[]).await;
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/live/streams/00000000-0000-0000-0000-000000000000",
            gw.http.base
        ))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(
        body["error"]["request_id"], "trace-me-42",
        "the upstream saw the same id"
    );
    let res = gw.http.get("/api/v1/live/streams", None).await;
    assert!(
        res.headers
            .get("x-request-id")
            .is_some_and(|v| !v.is_empty()),
        "generated when absent"
    );
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_and_unknown_routes_are_404_and_dev_logins_are_off_by_default() {
    let w = World::start().await;
    let gw = gateway_for(&w, &[]).await;
    for path in [
        "/internal/stream-events",
        "/hooks/rtmp/on_publish",
        "/api/v1/nope",
        "/api/v1/live/streamsX",
    ] {
        let res = gw.http.post(path, None, &json!({})).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(&res.body), "not_found", "{path}");
    }
    let res = gw
        .http
        .post("/api/v1/auth/dev-token", None, &json!({"username": "eve"}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_upstream_is_a_fast_503_and_readiness_names_it() {
    let w = World::start().await;
    let gw = start_gateway(&dead_upstream(), &w.keys.http.base, &dead_upstream(), &[]).await;
    let started = Instant::now();
    let res = gw.http.get("/api/v1/live/streams", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(error_code(&res.body), "service_unavailable");
    assert!(res.headers.contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no hang: {:?}",
        started.elapsed()
    );
    let ready = gw.http.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["data"]["live-catalog"], "unavailable");
    assert_eq!(ready.body["data"]["stream-key"], "ok");
    assert_eq!(ready.body["data"]["chat-gateway"], "unavailable");
    assert_eq!(gw.http.get("/healthz", None).await.status, StatusCode::OK);
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_1_mib_are_413_and_floods_are_429() {
    let w = World::start().await;
    let gw = gateway_for(
        &w,
        &[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "5")],
    )
    .await;
    let huge = vec![b'x'; 1024 * 1024 + 1];
    let res = gw
        .http
        .send_raw(
            Method::POST,
            "/api/v1/live/streams",
            None,
            "application/json",
            huge,
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&res.body), "payload_too_large");
    let mut limited = None;
    for _ in 0..20 {
        let res = gw.http.get("/api/v1/live/streams", None).await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("a flood is limited");
    assert_eq!(error_code(&res.body), "rate_limited");
    assert!(res.headers.get("retry-after").is_some());
    assert_eq!(
        gw.http.get("/healthz", None).await.status,
        StatusCode::OK,
        "health is never limited"
    );
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_listed_origins() {
    let w = World::start().await;
    let gw = gateway_for(
        &w,
        &[(
            "ALLOWED_ORIGINS",
            "https://app.veza.example, http://localhost:5173",
        )],
    )
    .await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(
                Method::OPTIONS,
                format!("{}/api/v1/live/streams", gw.http.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight("https://app.veza.example")
        .await
        .expect("preflight");
    assert!(ok.status().is_success());
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.veza.example"
    );
    let refused = preflight("https://evil.example").await.expect("preflight");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let simple = client
        .get(format!("{}/api/v1/live/streams", gw.http.base))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .expect("get");
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    w.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_merged_api_document_and_an_offline_docs_page() {
    let w = World::start().await;
    let gw = gateway_for(&w, &[]).await;
    let doc = gw.http.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(
        doc.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/live/streams",
        "/api/v1/live/streams/me/key/regenerate",
        "/api/v1/auth/dev-token",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    let page = reqwest::get(format!("{}/api/docs", gw.http.base))
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("/api/v1/openapi.json"));
    assert!(!html.contains("https://"), "no external assets");
    w.stop().await;
    gw.stop().await;
}
