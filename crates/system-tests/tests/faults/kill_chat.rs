//! SIGKILL (or SIGTERM) of one of two chat-gateway instances while every client chats:
//! the clients of the dead instance reconnect (to whichever instance
//! answers), rejoin with `since_seq` and resend what was not acknowledged
//! with the same `client_msg_id`. Afterwards each message is stored once
//! with a gapless `seq`, and every client has seen every message exactly
//! once, in order.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use diesel::{QueryableByName, sql_types};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::{sync::Mutex, time::Instant};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus, Subjects,
    chat::ServerFrame,
    events::{Event, StreamChanged, StreamSnapshot},
};
use veza_live_platform::nats::publish_event;
use veza_live_test_support::{NatsServer, TestDb, token_for, unique_prefix};

use crate::{env_of, process::Service};

pub const ORIGIN: &str = "http://app.test";
/// Chatting users, split over the two instances.
const CLIENTS: usize = 8;
/// Time between two messages of one client.
const EVERY: Duration = Duration::from_millis(250);
/// How long the clients chat.
const CHAT_FOR: Duration = Duration::from_millis(4500);

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What one client saw.
#[derive(Default)]
struct Seen {
    /// Every `seq` delivered to the client (history and live frames), in
    /// the order it arrived; a repeat or a hole shows here.
    seqs: Vec<i64>,
    /// The client's messages not acknowledged yet: `client_msg_id` → content.
    pending: BTreeMap<String, String>,
    /// Messages acknowledged (seen back with their `client_msg_id`).
    acked: HashSet<String>,
    /// Messages written by this client.
    sent: usize,
    reconnects: usize,
    /// `error` frames received, by code.
    errors: HashMap<String, usize>,
}

impl Seen {
    fn last_seq(&self) -> i64 {
        self.seqs.last().copied().unwrap_or(0)
    }

    fn deliver(&mut self, seq: i64, client_msg_id: Option<&str>) {
        self.seqs.push(seq);
        if let Some(cid) = client_msg_id
            && self.pending.remove(cid).is_some()
        {
            self.acked.insert(cid.to_owned());
        }
    }
}

struct Client {
    name: String,
    token: String,
    /// The instance it connects to first: its index in the ports list.
    home: usize,
    seen: Mutex<Seen>,
}

pub async fn connect(port: u16, token: &str) -> Option<Socket> {
    let mut req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .expect("request");
    let headers = req.headers_mut();
    headers.insert("origin", HeaderValue::from_static(ORIGIN));
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    let connecting = tokio_tungstenite::connect_async(req);
    match tokio::time::timeout(Duration::from_secs(2), connecting).await {
        Ok(Ok((socket, _))) => Some(socket),
        _ => None,
    }
}

/// Joins with `since_seq` (none on the first join of a fresh room) and
/// applies the `joined` answer; `None` when the socket failed first.
async fn join(socket: &mut Socket, room: Uuid, client: &Client) -> Option<()> {
    let since = client.seen.lock().await.last_seq();
    let mut frame = json!({"type": "join", "stream_id": room});
    if since > 0 {
        frame["since_seq"] = json!(since);
    }
    socket.send(Message::text(frame.to_string())).await.ok()?;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .ok()??;
        let Ok(Message::Text(text)) = next else {
            next.ok()?;
            continue;
        };
        match serde_json::from_str::<ServerFrame>(&text).expect("a server frame") {
            ServerFrame::Joined {
                history,
                history_truncated,
                ..
            } => {
                assert!(
                    !history_truncated,
                    "{} missed more than one replay",
                    client.name
                );
                let mut seen = client.seen.lock().await;
                for m in history {
                    seen.deliver(m.seq, m.client_msg_id.as_deref());
                }
                return Some(());
            }
            ServerFrame::Error(e) => {
                *client
                    .seen
                    .lock()
                    .await
                    .errors
                    .entry(e.code.clone())
                    .or_default() += 1;
                return None;
            }
            // Frames of the room before the `joined` answer are not the
            // client's yet (the history covers them).
            _ => continue,
        }
    }
}

async fn send_pending(socket: &mut Socket, room: Uuid, client: &Client) -> Option<()> {
    let pending: Vec<(String, String)> = client
        .seen
        .lock()
        .await
        .pending
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (cid, content) in pending {
        let frame =
            json!({"type": "send", "stream_id": room, "content": content, "client_msg_id": cid});
        socket.send(Message::text(frame.to_string())).await.ok()?;
    }
    Some(())
}

/// One chatting client: connects, joins, writes a message every [`EVERY`]
/// until `stop`, and then keeps reading until `done`, reconnecting (home
/// instance first, then the other) whenever its socket dies.
async fn run_client(
    client: Arc<Client>,
    ports: Vec<u16>,
    room: Uuid,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
) {
    let mut first = true;
    let mut next_message = 0usize;
    'connection: while !done.load(Ordering::SeqCst) {
        let mut socket = None;
        for offset in 0..ports.len() {
            let port = ports[(client.home + offset) % ports.len()];
            if let Some(s) = connect(port, &client.token).await {
                socket = Some(s);
                break;
            }
        }
        let Some(mut socket) = socket else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if !first {
            client.seen.lock().await.reconnects += 1;
        }
        first = false;
        if join(&mut socket, room, &client).await.is_none()
            || send_pending(&mut socket, room, &client).await.is_none()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if done.load(Ordering::SeqCst) {
                        let _ = socket.close(None).await;
                        break 'connection;
                    }
                    if stop.load(Ordering::SeqCst) {
                        continue;
                    }
                    let cid = format!("{}-{next_message}", client.name);
                    let content = format!("{} says {next_message}", client.name);
                    next_message += 1;
                    {
                        let mut seen = client.seen.lock().await;
                        seen.pending.insert(cid.clone(), content.clone());
                        seen.sent += 1;
                    }
                    let frame = json!({"type": "send", "stream_id": room, "content": content, "client_msg_id": cid});
                    if socket.send(Message::text(frame.to_string())).await.is_err() {
                        continue 'connection;
                    }
                }
                next = socket.next() => {
                    let Some(Ok(message)) = next else { continue 'connection };
                    let Message::Text(text) = message else {
                        if matches!(message, Message::Close(_)) {
                            continue 'connection;
                        }
                        continue;
                    };
                    match serde_json::from_str::<ServerFrame>(&text).expect("a server frame") {
                        ServerFrame::Message(m) => {
                            client.seen.lock().await.deliver(m.seq, m.client_msg_id.as_deref());
                        }
                        ServerFrame::Error(e) => {
                            *client.seen.lock().await.errors.entry(e.code.clone()).or_default() += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Announces a live stream on NATS as the catalog does, and waits until
/// its room is open on every instance.
async fn open_room(nats: &NatsServer, subjects: &Subjects, instances: &[&Service]) -> Uuid {
    let client = async_nats::connect(nats.url()).await.expect("private NATS");
    let js = async_nats::jetstream::new(client);
    let id = Uuid::new_v4();
    let now = Utc::now();
    let snapshot = StreamSnapshot {
        id,
        user_id: Uuid::new_v4(),
        streamer_name: "dj".into(),
        title: "Chat under fire".into(),
        description: None,
        category: None,
        tags: vec![],
        thumbnail_url: None,
        status: StreamStatus::Live,
        scheduled_at: None,
        started_at: Some(now),
        ended_at: None,
        created_at: now,
        updated_at: now,
        record_replay: true,
        replay_status: veza_live_domain::ReplayStatus::None,
    };
    let event = Event::new(StreamChanged { stream: snapshot }, now);
    let body = serde_json::to_vec(&event).expect("json");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The stream exists once an instance has set JetStream up.
        if publish_event(
            &js,
            subjects.stream_created(),
            event.event_id,
            body.clone().into(),
            None,
        )
        .await
        .is_ok()
        {
            break;
        }
        assert!(Instant::now() < deadline, "LIVE_EVENTS never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let http = reqwest::Client::new();
    for instance in instances {
        let url = format!("{}/api/v1/live/streams/{id}/chat/messages", instance.base());
        loop {
            if let Ok(res) = http.get(&url).send().await
                && res.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "the room did not open on {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    id
}

/// The room's messages in the database: (seq, client_msg_id).
async fn stored(db: &TestDb, room: Uuid) -> Vec<(i64, Option<String>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::BigInt)]
        seq: i64,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        client_msg_id: Option<String>,
    }
    let mut conn = db.connect().await;
    let query = diesel::sql_query(format!(
        "SELECT seq, client_msg_id FROM chat_messages WHERE stream_id = '{room}' ORDER BY seq"
    ));
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(query, &mut conn)
        .await
        .expect("chat messages");
    rows.into_iter().map(|r| (r.seq, r.client_msg_id)).collect()
}

/// How the first instance goes away.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Kill,
    Terminate,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_chat_gateway_while_clients_chat() {
    chat_through(Fault::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_chat_gateway_while_clients_chat() {
    chat_through(Fault::Terminate).await;
}

async fn chat_through(fault: Fault) {
    let prefix = unique_prefix();
    let subjects = Subjects::new(Some(&prefix)).expect("prefix");
    let nats = NatsServer::start();
    let db = TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await;
    let env = env_of(
        &db,
        &prefix,
        &nats.url(),
        &[
            ("ALLOWED_ORIGINS", ORIGIN),
            // The load writes faster than a person may.
            ("CHAT_RATE_LIMIT", "1000"),
        ],
    );
    let mut a = Service::start("chat-gateway", "veza-live-chat-gateway", env.clone()).await;
    let b = Service::start("chat-gateway", "veza-live-chat-gateway", env).await;
    let room = open_room(&nats, &subjects, &[&a, &b]).await;

    let ports: Vec<u16> = [&a, &b]
        .iter()
        .map(|s| {
            s.base()
                .rsplit(':')
                .next()
                .expect("port")
                .parse()
                .expect("port")
        })
        .collect();
    let clients: Vec<Arc<Client>> = (0..CLIENTS)
        .map(|n| {
            let name = format!("u{n}");
            Arc::new(Client {
                token: token_for(Uuid::new_v4(), &name),
                name,
                home: n % 2,
                seen: Mutex::default(),
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = clients
        .iter()
        .map(|c| {
            tokio::spawn(run_client(
                c.clone(),
                ports.clone(),
                room,
                stop.clone(),
                done.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = Instant::now();
    let mut exit_in = None;
    if fault == Fault::Kill {
        a.kill();
        tokio::time::sleep(Duration::from_millis(700)).await;
    } else {
        a.terminate();
        let status = a.wait_exit(Duration::from_secs(15)).await;
        let status =
            status.unwrap_or_else(|| panic!("chat-gateway still running 15 s after SIGTERM"));
        assert!(
            status.success(),
            "chat-gateway exited with {status}:\n{}",
            a.log_tail(20)
        );
        exit_in = Some(killed.elapsed());
    }
    a.restart().await;
    let restarted_in = killed.elapsed();
    tokio::time::sleep(CHAT_FOR.saturating_sub(Duration::from_millis(1500) + restarted_in)).await;
    stop.store(true, Ordering::SeqCst);
    let stopped = Instant::now();

    // Converged: every client's messages acknowledged and every client at
    // the room's last seq.
    let deadline = stopped + Duration::from_secs(20);
    let converged_in = loop {
        let last = stored(&db, room).await.last().map_or(0, |(seq, _)| *seq);
        let mut caught_up = true;
        for c in &clients {
            let seen = c.seen.lock().await;
            caught_up &= seen.pending.is_empty() && seen.last_seq() == last;
        }
        if caught_up {
            break stopped.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "clients not caught up 20 s after the load:\n{}",
            b.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    done.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.expect("client task");
    }

    let rows = stored(&db, room).await;
    let seqs: Vec<i64> = rows.iter().map(|(s, _)| *s).collect();
    let expected: Vec<i64> = (1..=rows.len() as i64).collect();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for (_, cid) in &rows {
        *per_id
            .entry(cid.as_deref().expect("every load message has an id"))
            .or_default() += 1;
    }
    let duplicated: usize = per_id.values().map(|n| n - 1).sum();
    let mut sent = 0;
    let mut acknowledged = 0;
    let mut lost = 0;
    let mut reconnects = 0;
    let mut errors: HashMap<String, usize> = HashMap::new();
    let mut delivery_faults = Vec::new();
    for c in &clients {
        let seen = c.seen.lock().await;
        sent += seen.sent;
        acknowledged += seen.acked.len();
        lost += seen
            .acked
            .iter()
            .filter(|cid| !per_id.contains_key(cid.as_str()))
            .count();
        reconnects += seen.reconnects;
        for (code, n) in &seen.errors {
            *errors.entry(code.clone()).or_default() += n;
        }
        if seen.seqs != expected {
            delivery_faults.push(format!(
                "{} saw {} seqs, not 1..={} once each in order",
                c.name,
                seen.seqs.len(),
                expected.len()
            ));
        }
    }
    let name = match fault {
        Fault::Kill => "kill_9_chat_gateway",
        Fault::Terminate => "sigterm_chat_gateway",
    };
    println!(
        "{name}: operations={sent} acknowledged={acknowledged} lost={lost} \
         duplicated={duplicated} stuck={} 5xx=0 converged_in={}ms (clients={CLIENTS} on 2 instances, \
         stored={}, reconnects={reconnects}, instance back in={}ms, exit after SIGTERM in={exit_in:?}, error frames={errors:?})",
        sent - acknowledged,
        converged_in.as_millis(),
        rows.len(),
        restarted_in.as_millis(),
    );
    assert_eq!(seqs, expected, "stored seqs are gapless from 1");
    assert_eq!(duplicated, 0, "messages stored twice");
    assert_eq!(acknowledged, sent, "every written message acknowledged");
    assert_eq!(lost, 0, "acknowledged messages missing");
    assert_eq!(rows.len(), sent, "one stored message per written message");
    assert!(
        reconnects >= CLIENTS / 2,
        "the dead instance's clients reconnected ({reconnects})"
    );
    assert!(
        delivery_faults.is_empty(),
        "clients that missed or repeated a message: {delivery_faults:?}"
    );
    drop(b);
}
