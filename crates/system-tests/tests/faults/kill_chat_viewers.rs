//! SIGKILL of one of two chat-gateway instances while web viewers watch a
//! live stream: the instance never says its viewers left, so its lease
//! lapses and ingest-events removes them; the catalog's viewer count
//! converges to the viewers of the instance that is left.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;
use veza_live_domain::chat::ServerFrame;
use veza_live_test_support::{TestDb, token_for};

use crate::{
    World, env_of,
    kill_chat::{ORIGIN, Socket, connect},
    kill_ingest::{live_stream, wait_viewer_count},
    process::Service,
};

/// Viewers on the instance that is killed, and on the one that stays.
const ON_KILLED: usize = 6;
const ON_KEPT: usize = 4;

fn port_of(service: &Service) -> u16 {
    service
        .base()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

/// A viewer's socket, joined to the room.
async fn viewer(port: u16, room: &str, n: usize) -> Socket {
    let token = token_for(Uuid::new_v4(), &format!("viewer{n}"));
    let mut socket = connect(port, &token).await.expect("a socket");
    socket
        .send(Message::text(
            json!({"type": "join", "stream_id": room}).to_string(),
        ))
        .await
        .expect("join sent");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("a joined frame within 10 s")
            .expect("the socket stays open")
            .expect("a frame");
        if let Message::Text(text) = next
            && let Ok(ServerFrame::Joined { .. }) = serde_json::from_str::<ServerFrame>(&text)
        {
            return socket;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_chat_gateway_while_viewers_watch() {
    let w = World::start().await;
    let lease = Duration::from_secs(2);
    let lease_ms = lease.as_millis().to_string();
    let (_ingest_db, ingest) = w
        .start_ingest(&[
            ("LISTENER_LEASE_MS", lease_ms.as_str()),
            ("VIEWER_PUBLISH_INTERVAL_MS", "200"),
        ])
        .await;
    let chat_db = TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await;
    let env = env_of(
        &chat_db,
        &w.prefix,
        &w.nats.url(),
        &[
            ("ALLOWED_ORIGINS", ORIGIN),
            ("LISTENER_HEARTBEAT_MS", "300"),
        ],
    );
    let mut killed = Service::start("chat-gateway", "veza-live-chat-gateway", env.clone()).await;
    let kept = Service::start("chat-gateway", "veza-live-chat-gateway", env).await;
    let http = reqwest::Client::new();
    let room = live_stream(&http, &w, &ingest.base()).await;

    let mut sockets = Vec::new();
    for n in 0..ON_KILLED {
        sockets.push(viewer(port_of(&killed), &room, n).await);
    }
    let mut staying = Vec::new();
    for n in 0..ON_KEPT {
        staying.push(viewer(port_of(&kept), &room, ON_KILLED + n).await);
    }
    let all = i64::try_from(ON_KILLED + ON_KEPT).expect("small");
    wait_viewer_count(&http, &w, &room, all, &ingest).await;
    // Longer than a lease: renewals keep every viewer counted.
    tokio::time::sleep(lease + Duration::from_secs(1)).await;
    wait_viewer_count(&http, &w, &room, all, &ingest).await;

    killed.kill();
    drop(sockets);
    let left = i64::try_from(ON_KEPT).expect("small");
    let converged_in = wait_viewer_count(&http, &w, &room, left, &ingest).await;
    println!(
        "kill_9_chat_gateway_viewers: viewers={all} on the killed instance={ON_KILLED} \
         count after the kill={left} (the sockets left) converged_in={}ms (lease {}ms)",
        converged_in.as_millis(),
        lease.as_millis(),
    );
    assert!(
        converged_in < lease * 4,
        "the count took {converged_in:?} to converge"
    );
    drop(staying);
}
