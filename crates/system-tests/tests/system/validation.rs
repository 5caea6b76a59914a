//! Every validation rule answers 400 with field details and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use veza_live_system_tests::World;

use crate::{data, error_code, user};

async fn stream_count(w: &World, token: &str) -> usize {
    let res = w
        .catalog
        .http
        .get("/api/v1/live/streams/me?limit=100", Some(token))
        .await;
    data(&res.body).as_array().map(Vec::len).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_creates_name_the_field_and_create_nothing() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let far = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "\u{200b}\u{200b}"}), "title"),
        (json!({"title": "\u{feff}"}), "title"),
        (json!({"title": "ok", "tags": ["\u{200b}"]}), "tags[0]"),
        (json!({"title": "x".repeat(141)}), "title"),
        (
            json!({"title": "ok", "description": "d".repeat(5001)}),
            "description",
        ),
        (
            json!({"title": "ok", "category": "c".repeat(65)}),
            "category",
        ),
        (
            json!({"title": "ok", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            "tags",
        ),
        (json!({"title": "ok", "tags": ["t".repeat(26)]}), "tags[0]"),
        (json!({"title": "ok", "tags": [""]}), "tags[0]"),
        (
            json!({"title": "ok", "thumbnail_url": "ftp://x.example/a.png"}),
            "thumbnail_url",
        ),
        (
            json!({"title": "ok", "thumbnail_url": format!("https://x.example/{}", "a".repeat(2048))}),
            "thumbnail_url",
        ),
        (json!({"title": "ok", "scheduled_at": past}), "scheduled_at"),
        (json!({"title": "ok", "scheduled_at": far}), "scheduled_at"),
    ];
    for (body, field) in cases {
        let res = w
            .catalog
            .http
            .post("/api/v1/live/streams", Some(&token), &body)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.body);
        assert_eq!(error_code(&res.body), "validation_failed");
        let fields: Vec<&str> = res.body["error"]["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert_eq!(fields, [field], "{body}");
    }
    assert_eq!(stream_count(&w, &token).await, 0, "nothing written");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_unknown_and_oversized_bodies_are_rejected() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let http = &w.catalog.http;
    let res = http
        .send_raw(
            Method::POST,
            "/api/v1/live/streams",
            Some(&token),
            "application/json",
            b"{\"title\": ".to_vec(),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&res.body), "bad_request");
    let res = http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "x", "status": "live"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("status")
    );
    let res = http
        .post("/api/v1/live/streams", Some(&token), &json!({"title": 5}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = http
        .send_raw(
            Method::POST,
            "/api/v1/live/streams",
            Some(&token),
            "text/plain",
            b"title=x".to_vec(),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(70 * 1024));
    let res = http
        .send_raw(
            Method::POST,
            "/api/v1/live/streams",
            Some(&token),
            "application/json",
            huge.into_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&res.body), "payload_too_large");
    assert_eq!(stream_count(&w, &token).await, 0, "nothing written");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_updates_change_nothing() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Keep", "tags": ["a"]}),
        )
        .await;
    let before = data(&res.body).clone();
    let path = format!(
        "/api/v1/live/streams/{}",
        before["id"].as_str().expect("id")
    );
    for body in [
        json!({}),
        json!({"title": null}),
        json!({"title": "new", "tags": ["x".repeat(30)]}),
        json!({"title": "new", "thumbnail_url": "nope"}),
        json!({"title": "new", "user_id": "someone"}),
    ] {
        let res = w.catalog.http.put(&path, Some(&token), &body).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let after = w.catalog.http.get(&path, Some(&token)).await;
    let after = data(&after.body);
    assert_eq!(after["title"], "Keep");
    assert_eq!(after["tags"], json!(["a"]));
    assert_eq!(after["updated_at"], before["updated_at"]);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let w = World::start().await;
    let (_, token) = user("dj");
    for (http, method, path, allow) in [
        (
            &w.catalog.http,
            reqwest::Method::DELETE,
            "/api/v1/live/streams",
            "GET, POST",
        ),
        (
            &w.catalog.http,
            reqwest::Method::POST,
            "/api/v1/live/streams/me",
            "GET, PUT, DELETE",
        ),
        (
            &w.keys.http,
            reqwest::Method::GET,
            "/api/v1/live/streams/me/key/regenerate",
            "POST",
        ),
    ] {
        let res = http.send(method.clone(), path, Some(&token), None).await;
        assert_eq!(
            res.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            res.body
        );
        assert_eq!(
            res.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        assert_eq!(error_code(&res.body), "method_not_allowed");
    }
    let res = w.catalog.http.get("/api/v1/nowhere", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    w.stop().await;
}
