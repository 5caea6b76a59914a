//! Across instances: fan-out, recovery with `since_seq`, restarts.

use serde_json::json;
use veza_live_domain::StreamStatus;

use crate::support::{World, connect, data, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_through_one_instance_arrives_on_the_other_with_its_seq() {
    let w = World::new().await;
    let (a, b) = (w.start().await, w.start().await);
    let (owner, _) = user("dj");
    let stream = w.stream(&a, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut sender = connect(&a, Some(&alice)).await;
    let mut reader = connect(&b, None).await;
    sender.join(stream, None).await;
    let joined = reader.join(stream, None).await;
    assert_eq!(joined["can_send"], false, "anonymous sockets are read-only");

    sender
        .send(json!({"type": "send", "stream_id": stream, "content": "  hello <b>all</b>\u{7} ", "client_msg_id": "c1"}))
        .await;
    let own = sender.recv_type("message").await;
    let seen = reader.recv_type("message").await;
    assert_eq!(seen["seq"], 1);
    assert_eq!(
        seen["content"], "hello <b>all</b>",
        "trimmed, controls removed, text kept inert"
    );
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["id"], own["id"]);
    assert_eq!(own["client_msg_id"], "c1");

    sender.say(stream, "second").await;
    assert_eq!(reader.recv_type("message").await["seq"], 2);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejoin_with_since_seq_replays_exactly_the_missed_messages_in_order() {
    let w = World::new().await;
    let (a, b) = (
        w.start_with(&[("CHAT_RATE_LIMIT", "100")]).await,
        w.start().await,
    );
    let (owner, _) = user("dj");
    let stream = w.stream(&a, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut sender = connect(&a, Some(&alice)).await;
    sender.join(stream, None).await;
    let mut reader = connect(&b, None).await;
    reader.join(stream, None).await;
    for n in 1..=2 {
        sender.say(stream, &format!("m{n}")).await;
        assert_eq!(sender.recv_type("message").await["seq"], n);
        assert_eq!(reader.recv_type("message").await["seq"], n);
    }
    reader.close().await;
    for n in 3..=5 {
        sender.say(stream, &format!("m{n}")).await;
        assert_eq!(sender.recv_type("message").await["seq"], n);
    }

    let mut reader = connect(&b, None).await;
    let joined = reader.join(stream, Some(2)).await;
    let seqs: Vec<_> = joined["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|m| m["seq"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(seqs, [3, 4, 5]);
    assert_eq!(joined["last_seq"], 5);
    sender.say(stream, "m6").await;
    let next = reader.recv_type("message").await;
    assert_eq!(
        next["seq"], 6,
        "the first live frame follows the replay without duplicates"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_instance_loses_no_persisted_message() {
    let w = World::new().await;
    let a = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&a, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut sender = connect(&a, Some(&alice)).await;
    sender.join(stream, None).await;
    for n in 1..=3 {
        sender.say(stream, &format!("m{n}")).await;
        sender.recv_type("message").await;
    }
    a.stop().await;
    assert_eq!(
        sender.closed().await,
        1001,
        "shutdown closes sockets with 1001"
    );

    let a = w.start().await;
    let res = a
        .http
        .get(
            &format!("/api/v1/live/streams/{stream}/chat/messages"),
            None,
        )
        .await;
    let contents: Vec<_> = data(&res.body)
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(contents, ["m3", "m2", "m1"]);
    let mut reader = connect(&a, None).await;
    let joined = reader.join(stream, Some(0)).await;
    assert_eq!(joined["history"].as_array().map(Vec::len), Some(3));
    a.stop().await;
}
