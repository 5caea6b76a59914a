//! Creating, reading, updating and deleting streams; ownership and keys.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;
use veza_live_system_tests::World;

use crate::{data, error_code, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_returns_201_with_the_owners_key_and_rtmp_url() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "  Night set "}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let s = data(&res.body);
    assert_eq!(s["title"], "Night set");
    assert_eq!(s["user_id"], uid.to_string());
    assert_eq!(s["streamer_name"], "dj");
    assert_eq!(s["status"], "draft");
    assert_eq!(s["is_live"], false);
    assert_eq!(s["is_vod"], false);
    assert_eq!(s["rtmp_url"], "rtmp://127.0.0.1:1935/live");
    let key = s["stream_key"].as_str().expect("stream_key");
    assert!(Uuid::parse_str(key).is_ok(), "key is a UUID");
    assert_eq!(
        Uuid::parse_str(key).map(|u| u.get_version_num()).ok(),
        Some(4)
    );
    // The same key on a second stream: one channel key per streamer.
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Second"}),
        )
        .await;
    assert_eq!(data(&res.body)["stream_key"], key);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_appears_only_in_its_owners_views() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Soon", "scheduled_at": at}),
        )
        .await;
    let created = data(&res.body).clone();
    let key = created["stream_key"].as_str().expect("key").to_owned();
    let id = created["id"].as_str().expect("id");
    let (_, other) = user("viewer");
    for (path, token) in [
        (format!("/api/v1/live/streams/{id}"), None),
        (format!("/api/v1/live/streams/{id}"), Some(other.as_str())),
        ("/api/v1/live/streams".to_owned(), None),
        (
            "/api/v1/live/streams?scheduled=true".to_owned(),
            Some(token.as_str()),
        ),
    ] {
        let res = w.catalog.http.get(&path, token).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let text = res.body.to_string();
        assert!(!text.contains(&key), "{path} leaked the key: {text}");
        assert!(
            !text.contains("stream_key"),
            "{path} has a stream_key field"
        );
    }
    // The owner's own views carry it: the listing, the stream, an update's answer.
    let res = w
        .catalog
        .http
        .get("/api/v1/live/streams/me", Some(&token))
        .await;
    assert_eq!(data(&res.body)[0]["stream_key"], key.as_str());
    let path = format!("/api/v1/live/streams/{id}");
    let res = w.catalog.http.get(&path, Some(&token)).await;
    assert_eq!(data(&res.body)["stream_key"], key.as_str());
    assert!(data(&res.body)["rtmp_url"].is_string());
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"title": "Sooner"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(data(&res.body)["stream_key"], key.as_str());
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_visible_only_to_their_owner() {
    let w = World::start().await;
    let (_, owner) = user("owner");
    let (_, other) = user("other");
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&owner),
            &json!({"title": "Draft"}),
        )
        .await;
    let id = data(&res.body)["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/live/streams/{id}");
    assert_eq!(
        w.catalog.http.get(&path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.catalog.http.get(&path, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.catalog.http.get(&path, Some(&owner)).await.status,
        StatusCode::OK
    );
    let listed = w.catalog.http.get("/api/v1/live/streams", None).await;
    assert_eq!(
        data(&listed.body).as_array().map(Vec::len),
        Some(0),
        "drafts never listed"
    );
    // Someone else's draft is hidden even from update/delete attempts.
    let res = w
        .catalog
        .http
        .put(&path, Some(&other), &json!({"title": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_and_authentication_are_enforced() {
    let w = World::start().await;
    let (_, owner) = user("owner");
    let (_, other) = user("other");
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&owner),
            &json!({"title": "Public", "scheduled_at": at}),
        )
        .await;
    let id = data(&res.body)["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/live/streams/{id}");

    let res = w
        .catalog
        .http
        .put(&path, Some(&other), &json!({"title": "Hijack"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&res.body), "forbidden");
    let res = w.catalog.http.delete(&path, Some(&other)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let unknown = format!("/api/v1/live/streams/{}", Uuid::new_v4());
    assert_eq!(
        w.catalog
            .http
            .put(&unknown, Some(&owner), &json!({"title": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.catalog.http.delete(&unknown, Some(&owner)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.catalog
            .http
            .get("/api/v1/live/streams/not-a-uuid", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let res = w
        .catalog
        .http
        .put(&path, None, &json!({"title": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&res.body), "unauthorized");
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some("garbage.token.here"),
            &json!({"title": "x"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        w.catalog
            .http
            .get("/api/v1/live/streams/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Nothing changed.
    let res = w.catalog.http.get(&path, None).await;
    assert_eq!(data(&res.body)["title"], "Public");

    // The owner may.
    let res = w
        .catalog
        .http
        .put(
            &path,
            Some(&owner),
            &json!({"title": "Renamed", "tags": ["a", "b"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(data(&res.body)["title"], "Renamed");
    assert_eq!(data(&res.body)["tags"], json!(["a", "b"]));
    let res = w.catalog.http.delete(&path, Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        w.catalog.http.get(&path, None).await.status,
        StatusCode::NOT_FOUND
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduling_moves_a_stream_between_draft_and_scheduled() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Later"}),
        )
        .await;
    let id = data(&res.body)["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/live/streams/{id}");
    let at = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"scheduled_at": at}))
        .await;
    assert_eq!(data(&res.body)["status"], "scheduled");
    let listed = w
        .catalog
        .http
        .get("/api/v1/live/streams?scheduled=true", None)
        .await;
    assert_eq!(data(&listed.body)[0]["id"], id.as_str());
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"scheduled_at": null}))
        .await;
    assert_eq!(data(&res.body)["status"], "draft");
    assert_eq!(data(&res.body)["scheduled_at"], serde_json::Value::Null);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_fails_with_503_and_creates_nothing_when_stream_key_is_down() {
    let prefix = veza_live_test_support::unique_prefix();
    let db =
        veza_live_test_support::TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
    let catalog = veza_live_system_tests::start_catalog(&db, &prefix).await;
    let (_, token) = user("dj");
    let res = catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "No keys"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(error_code(&res.body), "service_unavailable");
    assert!(res.headers.contains_key("retry-after"));
    assert!(
        !res.body.to_string().contains("live.rpc"),
        "no internal cause leaks: {}",
        res.body
    );
    let mut conn = db.connect().await;
    let count: i64 = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        veza_live_catalog::schema::live_streams::table
            .count()
            .get_result(&mut conn)
            .await
            .expect("count")
    };
    assert_eq!(count, 0);
    catalog.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_are_served() {
    let w = World::start().await;
    for running in [&w.catalog, &w.keys] {
        assert_eq!(
            running.http.get("/healthz", None).await.status,
            StatusCode::OK
        );
        let ready = running.http.get("/readyz", None).await;
        assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
        assert_eq!(ready.body["data"]["database"], "ok");
        assert_eq!(ready.body["data"]["nats"], "ok");
        let res = running.http.get("/nope", None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(error_code(&res.body), "not_found");
        assert!(res.headers.contains_key("x-request-id"));
    }
    let _ = w.catalog.http.get("/api/v1/live/streams", None).await;
    let metrics = reqwest::get(format!("{}/metrics", w.catalog.http.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("veza_live_http_requests_total"),
        "{metrics}"
    );
    w.stop().await;
}
