//! chat-gateway when NATS goes away and comes back.

use std::time::{Duration, Instant};

use chrono::Utc;
use veza_live_domain::{
    StreamStatus,
    events::{Event, ViewerCount},
};
use veza_live_platform::nats::publish_event;
use veza_live_test_support::NatsServer;

use crate::support::{World, connect, user};

fn count(stream_id: uuid::Uuid, count: i32) -> Event<ViewerCount> {
    Event::new(
        ViewerCount {
            stream_id,
            count,
            peak: count,
        },
        Utc::now(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_counts_flow_again_within_seconds_after_nats_restarts() {
    let mut nats = NatsServer::start();
    let w = World::on_nats(&nats.url()).await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let mut ws = connect(&chat, None).await;
    ws.join(stream, None).await;
    w.emit(w.subjects.viewers(stream), &count(stream, 5)).await;
    assert_eq!(ws.recv_type("viewer_count").await["count"], 5);

    nats.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats.restart();

    // Publish a new count as soon as the restarted server takes it, then
    // time how long the room takes to hear of it.
    let js = async_nats::jetstream::new(w.nats.clone());
    let event = count(stream, 7);
    let body = serde_json::to_vec(&event).expect("json");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let published = publish_event(
            &js,
            w.subjects.viewers(stream),
            event.event_id,
            body.clone().into(),
            None,
        )
        .await;
        if published.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "NATS did not come back: {published:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let published_at = Instant::now();
    let received = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let frame = ws.recv_type("viewer_count").await;
            if frame["count"] == 7 {
                break;
            }
        }
    })
    .await;
    let waited = published_at.elapsed();
    eprintln!("viewer counts resumed {waited:?} after the restarted NATS took a count");
    assert!(received.is_ok(), "no new count within 20 s");
    assert!(
        waited < Duration::from_secs(5),
        "the room heard of the new count {waited:?} after NATS took it"
    );
    chat.stop().await;
}
