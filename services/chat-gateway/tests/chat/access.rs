//! Who may open a socket, join and send: origins, tokens, anonymous
//! readers, room status.

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_test_support::{eventually, jwt};

use crate::support::{ORIGIN, WAIT, World, connect, try_connect, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_is_refused_with_403_before_the_upgrade() {
    let w = World::new().await;
    let chat = w.start().await;
    assert_eq!(
        try_connect(chat.port, None, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert!(try_connect(chat.port, None, Some(ORIGIN)).await.is_ok());
    assert!(
        try_connect(chat.port, None, None).await.is_ok(),
        "non-browser clients send no Origin"
    );
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused_and_a_socket_whose_token_expires_is_closed() {
    let w = World::new().await;
    let chat = w.start().await;
    let id = Uuid::new_v4();
    let expired = jwt()
        .mint(id, Some("late"), chrono::Duration::seconds(-60))
        .expect("token");
    assert_eq!(
        try_connect(chat.port, Some(&expired), Some(ORIGIN))
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        try_connect(chat.port, Some("garbage"), Some(ORIGIN))
            .await
            .err(),
        Some(401)
    );

    let short = jwt()
        .mint(id, Some("brief"), chrono::Duration::seconds(2))
        .expect("token");
    let mut ws = connect(&chat, Some(&short)).await;
    let started = std::time::Instant::now();
    let error = ws.recv_type("error").await;
    assert_eq!(error["code"], "token_expired");
    assert_eq!(ws.closed().await, 1008);
    assert!(started.elapsed() < Duration::from_secs(5));
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_sockets_read_but_cannot_send() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Scheduled).await;
    let mut anon = connect(&chat, None).await;
    let joined = anon.join(stream, None).await;
    assert_eq!(joined["can_send"], false);
    assert_eq!(joined["status"], "scheduled");
    anon.say(stream, "hi").await;
    assert_eq!(anon.recv_type("error").await["code"], "unauthorized");

    let (_, alice) = user("alice");
    let mut alice = connect(&chat, Some(&alice)).await;
    assert_eq!(
        alice.join(stream, None).await["can_send"],
        true,
        "scheduled rooms accept messages"
    );
    alice.say(stream, "before the show").await;
    assert_eq!(
        anon.recv_type("message").await["content"],
        "before the show"
    );
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_room_is_read_only_and_announces_its_status() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Scheduled).await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.join(stream, None).await;
    w.go_live(stream, owner).await;
    let live = ws.recv_type("stream_status").await;
    assert_eq!(live["status"], "live");
    ws.say(stream, "during").await;
    ws.recv_type("message").await;

    w.end(stream, owner).await;
    assert_eq!(ws.recv_type("stream_status").await["status"], "ended");
    ws.say(stream, "after").await;
    assert_eq!(ws.recv_type("error").await["code"], "room_closed");
    // A late `started` does not reopen it.
    w.go_live(stream, owner).await;
    let joined = ws.join(stream, None).await;
    assert_eq!(joined["can_send"], false);
    assert_eq!(joined["status"], "ended");
    assert_eq!(
        joined["history"][0]["content"], "during",
        "ended rooms stay readable"
    );
    // Its replay becomes ready: the open page is told.
    w.replay_changed(stream, owner, veza_live_domain::ReplayStatus::Ready)
        .await;
    let frame = ws.recv_type("stream_replay").await;
    assert_eq!(
        (frame["stream_id"].as_str(), frame["replay_status"].as_str()),
        (Some(stream.to_string().as_str()), Some("ready"))
    );
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_and_unknown_streams_have_no_room() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let open = w.stream(&chat, owner, StreamStatus::Scheduled).await;
    let draft = Uuid::new_v4();
    // Announce a draft after a public stream so its event was consumed
    // before the checks below.
    let event = veza_live_domain::events::Event::new(
        veza_live_domain::events::StreamChanged {
            stream: veza_live_domain::events::StreamSnapshot {
                id: draft,
                user_id: owner,
                streamer_name: "dj".into(),
                title: "Draft".into(),
                description: None,
                category: None,
                tags: vec![],
                thumbnail_url: None,
                status: StreamStatus::Draft,
                scheduled_at: None,
                started_at: None,
                ended_at: None,
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
                record_replay: true,
                replay_status: veza_live_domain::ReplayStatus::None,
            },
        },
        chrono::Utc::now(),
    );
    w.emit(w.subjects.stream_created(), &event).await;
    eventually("the draft to be recorded", WAIT, || async {
        let mut conn = w.db.connect().await;
        veza_live_chat_gateway::db::rooms::find(&mut conn, draft)
            .await
            .ok()
            .flatten()
            .map(|_| ())
    })
    .await;
    let mut ws = connect(&chat, None).await;
    for id in [draft, Uuid::new_v4()] {
        ws.send(json!({"type": "join", "stream_id": id})).await;
        assert_eq!(ws.recv_type("error").await["code"], "not_found");
        let res = chat
            .http
            .get(&format!("/api/v1/live/streams/{id}/chat/messages"), None)
            .await;
        assert_eq!(res.status, 404);
    }
    ws.join(open, None).await;
    chat.stop().await;
}
