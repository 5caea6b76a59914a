//! The protocol itself: bad frames, size limit, the Veza client's aliases,
//! heartbeats, viewer counts and listener reports.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use serde_json::{Value, json};
use veza_live_domain::{
    StreamStatus,
    events::{Event, ViewerCount},
};

use crate::support::{WAIT, World, connect, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_an_error_and_the_socket_stays_open() {
    let w = World::new().await;
    let chat = w.start().await;
    let mut ws = connect(&chat, None).await;
    for bad in [
        "not json",
        r#"{"type": "shout"}"#,
        r#"{"type": "join", "stream_id": "nope"}"#,
    ] {
        ws.send_text(bad.to_owned()).await;
        let error = ws.recv().await;
        assert_eq!(error["type"], "error");
        assert_eq!(error["code"], "bad_frame", "{bad}");
    }
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.recv().await["type"], "pong");
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_4_kib_closes_the_socket_with_1009() {
    let w = World::new().await;
    let chat = w.start().await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.send_text("x".repeat(4096)).await;
    assert_eq!(
        ws.recv().await["code"],
        "bad_frame",
        "4 KiB exactly is still read"
    );
    ws.send_text(format!(
        "{{\"type\":\"ping\",\"pad\":\"{}\"}}",
        "x".repeat(4100)
    ))
    .await;
    assert_eq!(ws.closed().await, 1009);
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_veza_client_aliases_join_and_send() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.send(json!({"type": "JoinConversation", "conversation_id": stream}))
        .await;
    assert_eq!(ws.recv().await["type"], "joined");
    ws.send(json!({"type": "SendMessage", "conversation_id": stream, "content": "hey"}))
        .await;
    let message = ws.recv_type("message").await;
    assert_eq!(message["stream_id"], stream.to_string());
    ws.send(json!({"type": "LeaveConversation", "conversation_id": stream}))
        .await;
    assert_eq!(ws.recv_type("left").await["stream_id"], stream.to_string());
    ws.say(stream, "gone").await;
    assert_eq!(ws.recv_type("error").await["code"], "not_joined");
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_pinged_then_closed() {
    let w = World::new().await;
    let chat = w
        .start_with(&[
            ("CHAT_PING_INTERVAL_MS", "200"),
            ("CHAT_IDLE_TIMEOUT_MS", "600"),
        ])
        .await;
    // This client never reads, so it never answers the pings.
    let mut silent = connect(&chat, None).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(silent.closed().await, 1001);
    // A client that reads answers pings automatically and stays.
    let mut alive = connect(&chat, None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < deadline {
        alive.send(json!({"type": "ping"})).await;
        assert_eq!(alive.recv().await["type"], "pong");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_counts_reach_the_room_and_web_viewers_are_reported_as_listeners() {
    let w = World::new().await;
    let chat = w.start().await;
    let mut reports = w
        .nats
        .subscribe(w.subjects.ingest_events())
        .await
        .expect("subscribe");
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Scheduled).await;
    let mut ws = connect(&chat, None).await;
    ws.join(stream, None).await;
    w.go_live(stream, owner).await;
    assert_eq!(ws.recv_type("stream_status").await["status"], "live");

    let next_report = async |reports: &mut async_nats::Subscriber| -> Value {
        let message = tokio::time::timeout(WAIT, reports.next())
            .await
            .expect("a report")
            .expect("subscription open");
        serde_json::from_slice(&message.payload).expect("JSON")
    };
    let joined = next_report(&mut reports).await;
    assert_eq!(joined["type"], "listener_joined");
    assert_eq!(joined["stream_id"], stream.to_string());
    let listener = joined["listener_id"]
        .as_str()
        .expect("listener id")
        .to_owned();
    assert!(listener.starts_with("web:anon:"), "{listener}");

    let count = Event::new(
        ViewerCount {
            stream_id: stream,
            count: 42,
            peak: 42,
        },
        Utc::now(),
    );
    w.emit(w.subjects.viewers(stream), &count).await;
    assert_eq!(ws.recv_type("viewer_count").await["count"], 42);
    // A count taken before the one known is dropped: the socket's next
    // count is the newer one, and a joiner starts from the newest.
    let counted = |count: i32, at| {
        Event::new(
            ViewerCount {
                stream_id: stream,
                count,
                peak: 42,
            },
            at,
        )
    };
    let stale = counted(7, count.occurred_at - chrono::Duration::seconds(1));
    w.emit(w.subjects.viewers(stream), &stale).await;
    let newer = counted(43, Utc::now());
    w.emit(w.subjects.viewers(stream), &newer).await;
    assert_eq!(ws.recv_type("viewer_count").await["count"], 43);
    let mut joiner = connect(&chat, None).await;
    assert_eq!(joiner.join(stream, None).await["viewer_count"], 43);
    joiner.close().await;
    let _ = next_report(&mut reports).await;
    let _ = next_report(&mut reports).await;

    ws.close().await;
    let left = next_report(&mut reports).await;
    assert_eq!(left["type"], "listener_left");
    assert_eq!(left["listener_id"], listener.as_str());
    chat.stop().await;
}

fn slow_consumers_dropped(metrics: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with("veza_live_chat_slow_consumers_dropped_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_falls_behind_is_disconnected_not_buffered() {
    let w = World::new().await;
    let chat = w
        .start_with(&[("CHAT_RATE_LIMIT", "100000"), ("CHAT_SOCKET_QUEUE", "8")])
        .await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let mut slow = crate::support::connect_small_buffer(&chat).await;
    slow.join(stream, None).await;
    let (_, alice) = user("alice");
    let mut sender = connect(&chat, Some(&alice)).await;
    sender.join(stream, None).await;
    let metrics = async || {
        let res = reqwest::get(format!("http://127.0.0.1:{}/metrics", chat.port))
            .await
            .expect("metrics");
        slow_consumers_dropped(&res.text().await.unwrap_or_default())
    };
    let before = metrics().await;
    let content = "x".repeat(500);
    let mut dropped = false;
    // The sender keeps its own queue (8 frames) short: it reads its echoes
    // in small batches, so only the reader that never reads falls behind.
    'flood: for round in 0..2000 {
        for _ in 0..4 {
            sender.say(stream, &content).await;
        }
        for _ in 0..4 {
            sender.recv_type("message").await;
        }
        if round % 25 == 0 && metrics().await > before {
            dropped = true;
            break 'flood;
        }
    }
    assert!(dropped, "the slow reader was never dropped");
    // The fast reader is unaffected.
    sender.send(json!({"type": "ping"})).await;
    assert_eq!(sender.recv_type("pong").await["type"], "pong");
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_keeps_receiving_while_its_own_message_commits() {
    use diesel_async::{AnsiTransactionManager, RunQueryDsl, TransactionManager};
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let (busy, other) = (
        w.stream(&chat, owner, StreamStatus::Live).await,
        w.stream(&chat, owner, StreamStatus::Live).await,
    );
    let (_, alice) = user("alice");
    let (_, bob) = user("bob");
    let mut author = connect(&chat, Some(&alice)).await;
    author.join(busy, None).await;
    author.join(other, None).await;
    let mut speaker = connect(&chat, Some(&bob)).await;
    speaker.join(other, None).await;

    // The busy room's row is locked elsewhere: a message to it waits to commit.
    let mut lock = w.db.connect().await;
    AnsiTransactionManager::begin_transaction(&mut lock)
        .await
        .expect("begin");
    diesel::sql_query(format!(
        "SELECT 1 FROM chat_rooms WHERE stream_id = '{busy}' FOR UPDATE"
    ))
    .execute(&mut lock)
    .await
    .expect("lock the room");
    author.say(busy, "waits for the lock").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    speaker.say(other, "meanwhile").await;
    let seen = author.recv_type("message").await;
    assert_eq!(
        (seen["stream_id"].as_str(), seen["content"].as_str()),
        (Some(other.to_string().as_str()), Some("meanwhile")),
        "the other room's message arrives while the author's own commits"
    );
    AnsiTransactionManager::rollback_transaction(&mut lock)
        .await
        .expect("unlock");
    let own = author.recv_type("message").await;
    assert_eq!(own["content"], "waits for the lock");
    assert_eq!(own["seq"], 1);
    chat.stop().await;
}
