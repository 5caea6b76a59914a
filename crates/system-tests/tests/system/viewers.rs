//! Viewer counts converge after ingest-events loses what it had not yet
//! published (a crash between the listener write and the publication).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use veza_live_system_tests::{World, report_event, start_ingest};
use veza_live_test_support::{TestDb, eventually};

use crate::{data, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_written_but_never_published_converges_after_a_restart() {
    let w = World::start().await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let ingest = start_ingest(&ingest_db, &w.prefix, &[]).await;
    let (_, token) = user("dj");
    let created = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Show"}),
        )
        .await;
    let id = data(&created.body)["id"].as_str().expect("id").to_owned();
    let started = report_event(
        &ingest.http,
        &json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let path = format!("/api/v1/live/streams/{id}");
    eventually("live", Duration::from_secs(10), || async {
        let s = w.catalog.http.get(&path, Some(&token)).await;
        (data(&s.body)["status"] == "live").then_some(())
    })
    .await;
    ingest.stop().await;

    // Two listeners whose joins were committed, and whose count was never
    // published: what a SIGKILL right after the write leaves behind.
    {
        use diesel::ExpressionMethods;
        use diesel_async::RunQueryDsl;
        use veza_live_ingest_events::schema::listeners;
        let stream_id: uuid::Uuid = id.parse().expect("uuid");
        let mut conn = ingest_db.connect().await;
        diesel::insert_into(listeners::table)
            .values(vec![
                (
                    listeners::stream_id.eq(stream_id),
                    listeners::listener_id.eq("a"),
                ),
                (
                    listeners::stream_id.eq(stream_id),
                    listeners::listener_id.eq("b"),
                ),
            ])
            .execute(&mut conn)
            .await
            .expect("listeners written");
    }
    let s = w.catalog.http.get(&path, Some(&token)).await;
    assert_eq!(data(&s.body)["viewer_count"], 0, "nothing published yet");

    let ingest = start_ingest(&ingest_db, &w.prefix, &[]).await;
    eventually(
        "2 viewers after the restart",
        Duration::from_secs(10),
        || async {
            let s = w.catalog.http.get(&path, Some(&token)).await;
            let v = data(&s.body);
            (v["viewer_count"] == 2 && v["peak_viewers"] == 2).then_some(())
        },
    )
    .await;
    ingest.stop().await;
    w.stop().await;
}
