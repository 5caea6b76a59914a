//! `Idempotency-Key` on `POST /live/streams`: a retry never creates twice.

use reqwest::StatusCode;
use serde_json::json;
use veza_live_system_tests::World;

use crate::{data, error_code, user};

const PATH: &str = "/api/v1/live/streams";

async fn create(
    w: &World,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> veza_live_test_support::Reply {
    let bearer = format!("Bearer {token}");
    w.catalog
        .http
        .post_with(
            PATH,
            &[("authorization", &bearer), ("idempotency-key", key)],
            body,
        )
        .await
}

async fn my_stream_count(w: &World, token: &str) -> usize {
    let mine = w
        .catalog
        .http
        .get("/api/v1/live/streams/me", Some(token))
        .await;
    data(&mine.body).as_array().expect("list").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_with_the_same_key_answers_the_first_stream() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let body = json!({"title": "Night set", "tags": ["house"]});
    let first = create(&w, &token, "retry-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(first.headers.get("idempotency-replayed").is_none());
    let id = data(&first.body)["id"].clone();

    // The answer was lost (a 503 from the gateway, say): the client retries.
    for retry in [
        body.clone(),
        json!({"title": "  Night set ", "tags": ["house"]}),
    ] {
        let again = create(&w, &token, "retry-1", &retry).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
        assert_eq!(data(&again.body)["id"], id);
        assert!(
            data(&again.body)["stream_key"].is_string(),
            "the owner's view"
        );
        assert_eq!(
            again
                .headers
                .get("idempotency-replayed")
                .map(reqwest::header::HeaderValue::as_bytes),
            Some(&b"true"[..])
        );
    }
    assert_eq!(my_stream_count(&w, &token).await, 1);

    // The same key with other fields is refused and creates nothing.
    let other = create(&w, &token, "retry-1", &json!({"title": "Another"})).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert_eq!(error_code(&other.body), "idempotency_key_reused");
    assert_eq!(my_stream_count(&w, &token).await, 1);

    // Another key is another create; keys belong to their user.
    let second = create(&w, &token, "retry-2", &body).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_ne!(data(&second.body)["id"], id);
    let (_, someone) = user("fan");
    let theirs = create(&w, &someone, "retry-1", &body).await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(data(&theirs.body)["id"], id);
    assert_eq!(my_stream_count(&w, &token).await, 2);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_key_make_one_stream_and_bad_keys_are_400() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let body = json!({"title": "Race"});
    let (a, b) = tokio::join!(
        create(&w, &token, "same", &body),
        create(&w, &token, "same", &body)
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(data(&a.body)["id"], data(&b.body)["id"]);
    assert_eq!(my_stream_count(&w, &token).await, 1);

    let too_long = "k".repeat(256);
    for bad in [too_long.as_str(), "has space"] {
        let res = create(&w, &token, bad, &body).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.body);
        assert_eq!(error_code(&res.body), "validation_failed");
    }
    assert_eq!(my_stream_count(&w, &token).await, 1);
    w.stop().await;
}
