//! SIGKILL of ingest-events right after it acknowledged listener changes
//! and before it published the count: the catalog's viewer count converges
//! to the distinct listeners once it is back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use veza_live_system_tests::INTERNAL_TOKEN;

use crate::World;

/// Posts one stream event to ingest-events' internal endpoint: its status,
/// or `None` when no answer came (refused, reset, timed out).
pub async fn report(http: &reqwest::Client, base: &str, body: &Value) -> Option<StatusCode> {
    http.post(format!("{base}/internal/stream-events"))
        .header("x-internal-token", INTERNAL_TOKEN)
        .json(body)
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

/// The catalog's view of stream `id` (the `data` of its GET).
pub async fn read_stream(http: &reqwest::Client, w: &World, id: &str) -> Value {
    let s: Value = http
        .get(format!("{}/api/v1/live/streams/{id}", w.catalog.base()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    s["data"].clone()
}

/// Creates a stream in the catalog, reports it started to the ingest-events
/// at `ingest`, and waits until the catalog says it is live; its id.
pub async fn live_stream(http: &reqwest::Client, w: &World, ingest: &str) -> String {
    let created: Value = http
        .post(format!("{}/api/v1/live/streams", w.catalog.base()))
        .bearer_auth(&w.token)
        .json(&json!({"title": "faults listeners"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["data"]["id"].as_str().expect("id").to_owned();
    let started = report(
        http,
        ingest,
        &json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(started, Some(StatusCode::OK));
    let deadline = Instant::now() + Duration::from_secs(10);
    while read_stream(http, w, &id).await["status"] != "live" {
        assert!(Instant::now() < deadline, "the stream did not go live");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    id
}

/// Waits until the catalog's viewer count of `id` is `expected`; how long
/// that took.
pub async fn wait_viewer_count(
    http: &reqwest::Client,
    w: &World,
    id: &str,
    expected: i64,
    ingest: &crate::process::Service,
) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(15);
    loop {
        let count = read_stream(http, w, id).await["viewer_count"]
            .as_i64()
            .unwrap_or(-1);
        if count == expected {
            return started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "viewer count {count} instead of {expected}:\n{}",
            ingest.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_ingest_events_before_it_publishes_a_viewer_count() {
    let w = World::start().await;
    // The longest interval: the kill surely lands before the count goes out.
    let (_ingest_db, mut ingest) = w
        .start_ingest(&[("VIEWER_PUBLISH_INTERVAL_MS", "60000")])
        .await;
    let http = reqwest::Client::new();
    let id = live_stream(&http, &w, &ingest.base()).await;

    // 12 joins (one listener twice) and 3 leaves: 8 distinct listeners remain.
    let mut acknowledged = 0;
    for i in 0..12 {
        let listener = if i == 11 {
            "l0".to_owned()
        } else {
            format!("l{i}")
        };
        let body = json!({"type": "listener_joined", "stream_id": id, "listener_id": listener});
        acknowledged +=
            usize::from(report(&http, &ingest.base(), &body).await == Some(StatusCode::OK));
    }
    for i in 8..11 {
        let body =
            json!({"type": "listener_left", "stream_id": id, "listener_id": format!("l{i}")});
        acknowledged +=
            usize::from(report(&http, &ingest.base(), &body).await == Some(StatusCode::OK));
    }
    ingest.kill();
    assert_eq!(
        read_stream(&http, &w, &id).await["viewer_count"],
        0,
        "the count was not published before the kill"
    );

    ingest.restart().await;
    let converged_in = wait_viewer_count(&http, &w, &id, 8, &ingest).await;
    println!(
        "kill_9_ingest_events: operations=15 acknowledged={acknowledged} lost=0 duplicated=0 5xx=0 \
         converged_in={}ms (viewer count 8 after the restart)",
        converged_in.as_millis()
    );
    assert_eq!(acknowledged, 15);
}
