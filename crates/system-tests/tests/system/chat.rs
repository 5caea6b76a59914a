//! The whole path of a web viewer: browser → api-gateway `/ws` →
//! chat-gateway, whose join of a live room is reported to ingest-events
//! and shows up in the catalog's viewer count.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use veza_live_system_tests::{
    CHAT_ORIGIN, Running, World, report_event, start_chat, start_gateway, start_ingest,
};
use veza_live_test_support::{TestDb, eventually};

use crate::{data, user};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(base: &str, token: &str, origin: &str) -> Result<Socket, u16> {
    let url = format!("{}/ws?token={token}", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut()
        .insert("origin", HeaderValue::from_str(origin).expect("origin"));
    match tokio_tungstenite::connect_async(req).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

/// chat-gateway on its own database, behind a gateway in front of `w`.
async fn chat_behind_gateway(w: &World) -> (TestDb, Running, Running) {
    let chat_db = TestDb::new("chat-gateway", || veza_live_chat_gateway::MIGRATIONS).await;
    let chat = start_chat(&chat_db, &w.prefix).await;
    let gw = start_gateway(
        &w.catalog.http.base,
        &w.keys.http.base,
        &chat.http.base,
        &[],
    )
    .await;
    (chat_db, chat, gw)
}

async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).expect("json frame");
                    if frame["type"] == kind {
                        return frame;
                    }
                }
                Some(Ok(_)) => continue,
                other => panic!("socket ended while waiting for {kind}: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} frame within 10 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_viewer_chats_through_the_gateway_and_counts_as_a_viewer() {
    let w = World::start().await;
    let (_chat_db, chat, gw) = chat_behind_gateway(&w).await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let ingest = start_ingest(&ingest_db, &w.prefix, &[]).await;

    let (_, owner) = user("dj");
    let created = gw
        .http
        .post(
            "/api/v1/live/streams",
            Some(&owner),
            &json!({"title": "Chat me"}),
        )
        .await;
    let id = data(&created.body)["id"].as_str().expect("id").to_owned();
    let res = report_event(
        &ingest.http,
        &json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(data(&res.body)["applied"], true);

    // A browser from a foreign origin is refused before the upgrade.
    let (_, viewer) = user("fan");
    assert_eq!(
        open(&gw.http.base, &viewer, "https://evil.example")
            .await
            .err(),
        Some(403)
    );

    let mut socket = open(&gw.http.base, &viewer, CHAT_ORIGIN)
        .await
        .expect("upgrade through the gateway");
    // The room exists once chat-gateway has seen the stream go live.
    let mut joined = Value::Null;
    for _ in 0..60 {
        let frame = json!({"type": "join", "stream_id": id}).to_string();
        socket
            .send(Message::Text(frame.into()))
            .await
            .expect("join");
        let reply = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(Ok(Message::Text(text))) = socket.next().await {
                    let f: Value = serde_json::from_str(&text).expect("json");
                    if f["type"] == "joined" || f["type"] == "error" {
                        return f;
                    }
                }
            }
        })
        .await
        .expect("an answer to join");
        if reply["type"] == "joined" && reply["can_send"] == true {
            joined = reply;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(joined["stream_id"], id.as_str());

    let send = json!({"type": "send", "stream_id": id, "content": "hello from the web", "client_msg_id": "m1"});
    socket
        .send(Message::Text(send.to_string().into()))
        .await
        .expect("send");
    let message = next_of(&mut socket, "message").await;
    assert_eq!(message["content"], "hello from the web");
    assert_eq!(message["seq"], 1);
    let history = gw
        .http
        .get(&format!("/api/v1/live/streams/{id}/chat/messages"), None)
        .await;
    assert_eq!(
        data(&history.body)[0]["content"],
        "hello from the web",
        "history through the gateway"
    );

    // The web viewer is counted by ingest-events and reaches the catalog.
    let catalog = &w.catalog.http;
    let stream = |token: String| {
        let path = format!("/api/v1/live/streams/{id}");
        async move { data(&catalog.get(&path, Some(&token)).await.body).clone() }
    };
    eventually(
        "the web viewer to be counted",
        Duration::from_secs(15),
        || async { (stream(owner.clone()).await["viewer_count"] == 1).then_some(()) },
    )
    .await;
    socket.close(None).await.expect("close");
    eventually(
        "the web viewer to leave the count",
        Duration::from_secs(15),
        || async { (stream(owner.clone()).await["viewer_count"] == 0).then_some(()) },
    )
    .await;
    gw.stop().await;
    ingest.stop().await;
    chat.stop().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_gateway_closes_proxied_sockets_with_1001_at_once() {
    let w = World::start().await;
    let (_chat_db, chat, gw) = chat_behind_gateway(&w).await;
    let (_, viewer) = user("fan");
    let mut socket = open(&gw.http.base, &viewer, CHAT_ORIGIN)
        .await
        .expect("upgrade through the gateway");
    socket
        .send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .expect("ping");
    next_of(&mut socket, "pong").await;

    let started = std::time::Instant::now();
    let stopping = tokio::spawn(gw.stop());
    let close = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                other => panic!("socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 3 s");
    assert_eq!(close, Some(1001));
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("the gateway stops without waiting for its drain timeout")
        .expect("stop task");
    eprintln!("gateway stopped {:?} after the signal", started.elapsed());
    chat.stop().await;
    w.stop().await;
}
