//! `GET .../chat/messages` and the history a join carries.

use veza_live_domain::StreamStatus;

use crate::support::{World, connect, data, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_newest_first_and_a_join_carries_the_last_fifty() {
    let w = World::new().await;
    let chat = w.start_with(&[("CHAT_RATE_LIMIT", "1000")]).await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.join(stream, None).await;
    for n in 1..=60 {
        ws.say(stream, &format!("m{n}")).await;
    }
    for n in 1..=60 {
        assert_eq!(ws.recv_type("message").await["seq"], n);
    }

    let base = format!("/api/v1/live/streams/{stream}/chat/messages");
    let page = chat.http.get(&format!("{base}?limit=25"), None).await;
    let items = data(&page.body).as_array().expect("list").clone();
    assert_eq!(items.len(), 25);
    assert_eq!(items[0]["seq"], 60);
    assert_eq!(page.body["meta"]["has_more"], true);
    let cursor = page.body["meta"]["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let next = chat
        .http
        .get(&format!("{base}?limit=25&before_seq={cursor}"), None)
        .await;
    assert_eq!(data(&next.body)[0]["seq"], 35);
    for bad in ["limit=0", "limit=101", "before_seq=0", "nope=1"] {
        assert_eq!(
            chat.http.get(&format!("{base}?{bad}"), None).await.status,
            400,
            "{bad}"
        );
    }

    let mut reader = connect(&chat, None).await;
    let joined = reader.join(stream, None).await;
    let history = joined["history"].as_array().expect("history");
    assert_eq!(history.len(), 50);
    assert_eq!(history[0]["seq"], 11, "oldest first");
    assert_eq!(history[49]["seq"], 60);
    chat.stop().await;
}
