//! SIGKILL of ingest-events right after it acknowledged listener changes
//! and before it published the count: the catalog's viewer count converges
//! to the distinct listeners once it is back.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use veza_live_system_tests::INTERNAL_TOKEN;
use veza_live_test_support::TestDb;

use crate::{World, env_of, process::Service};

async fn report(http: &reqwest::Client, base: &str, body: Value) -> StatusCode {
    http.post(format!("{base}/internal/stream-events"))
        .header("x-internal-token", INTERNAL_TOKEN)
        .json(&body)
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_ingest_events_before_it_publishes_a_viewer_count() {
    let w = World::start().await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let mut ingest = Service::start(
        "ingest-events",
        "veza-live-ingest-events",
        env_of(
            &ingest_db,
            &w.prefix,
            &w.nats.url(),
            // The longest interval: the kill surely lands before the count goes out.
            &[
                ("INTERNAL_TOKEN", INTERNAL_TOKEN),
                ("VIEWER_PUBLISH_INTERVAL_MS", "60000"),
            ],
        ),
    )
    .await;
    let http = reqwest::Client::new();
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
        &http,
        &ingest.base(),
        json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(started, StatusCode::OK);
    let stream_url = format!("{}/api/v1/live/streams/{id}", w.catalog.base());
    let read = || async {
        let s: Value = http
            .get(&stream_url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        s["data"].clone()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while read().await["status"] != "live" {
        assert!(Instant::now() < deadline, "the stream did not go live");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 12 joins (one listener twice) and 3 leaves: 8 distinct listeners remain.
    let mut acknowledged = 0;
    for i in 0..12 {
        let listener = if i == 11 {
            "l0".to_owned()
        } else {
            format!("l{i}")
        };
        let body = json!({"type": "listener_joined", "stream_id": id, "listener_id": listener});
        acknowledged += usize::from(report(&http, &ingest.base(), body).await == StatusCode::OK);
    }
    for i in 8..11 {
        let body =
            json!({"type": "listener_left", "stream_id": id, "listener_id": format!("l{i}")});
        acknowledged += usize::from(report(&http, &ingest.base(), body).await == StatusCode::OK);
    }
    ingest.kill();
    assert_eq!(
        read().await["viewer_count"],
        0,
        "the count was not published before the kill"
    );

    let restarted = Instant::now();
    ingest.restart().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let count = read().await["viewer_count"].as_i64().unwrap_or(-1);
        if count == 8 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "viewer count {count} instead of 8 after the restart:\n{}",
            ingest.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "kill_9_ingest_events: operations=15 acknowledged={acknowledged} lost=0 duplicated=0 5xx=0 \
         converged_in={}ms (viewer count 8 after the restart)",
        restarted.elapsed().as_millis()
    );
    assert_eq!(acknowledged, 15);
}
