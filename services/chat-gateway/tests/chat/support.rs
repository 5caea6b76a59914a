//! Running chat-gateway instances in-process on port 0 against the test
//! PostgreSQL and NATS, rooms set up through the catalog's events, and a
//! small WebSocket client.

use std::time::Duration;

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};
use uuid::Uuid;
use veza_live_chat_gateway::ChatGateway;
use veza_live_domain::{
    ReplayStatus, StreamStatus, Subjects,
    events::{EndReason, Event, StreamChanged, StreamEnded, StreamSnapshot, StreamStarted},
};
use veza_live_platform::{config::Env, nats::publish_event};
use veza_live_test_support::{
    Running, TestDb, eventually, nats_client, service_env, spawn, token_for, unique_prefix,
};

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);
/// The origin the test instances allow.
pub const ORIGIN: &str = "http://app.test";

/// A new user and a token for them.
pub fn user(name: &str) -> (Uuid, String) {
    let id = Uuid::new_v4();
    (id, token_for(id, name))
}

/// One running chat-gateway.
pub type Chat = Running;

/// One chat database and NATS prefix, shared by the instances of a test.
pub struct World {
    pub db: TestDb,
    pub prefix: String,
    pub subjects: Subjects,
    pub nats: async_nats::Client,
    /// The NATS the instances use, when not the shared test server.
    nats_url: Option<String>,
}

impl World {
    pub async fn new() -> Self {
        let prefix = unique_prefix();
        Self {
            db: TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await,
            subjects: Subjects::new(Some(&prefix)).expect("prefix"),
            prefix,
            nats: nats_client().await,
            nats_url: None,
        }
    }

    /// A world whose instances and client use the NATS server at `url`.
    pub async fn on_nats(url: &str) -> Self {
        let nats = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(url)
            .await
            .expect("private NATS reachable");
        Self {
            nats,
            nats_url: Some(url.to_owned()),
            ..Self::new().await
        }
    }

    /// Starts an instance with extra variables.
    pub async fn start_with(&self, extra: &[(&str, &str)]) -> Chat {
        let mut pairs = service_env(&self.db, &self.prefix);
        if let Some(url) = &self.nats_url {
            pairs.retain(|(k, _)| k != "NATS_URL");
            pairs.push(("NATS_URL".into(), url.clone()));
        }
        pairs.push(("ALLOWED_ORIGINS".into(), ORIGIN.into()));
        pairs.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let chat = spawn::<ChatGateway>(&Env::from_pairs(pairs)).await;
        self.wait_for_streams().await;
        chat
    }

    /// Starts an instance with the default settings.
    pub async fn start(&self) -> Chat {
        self.start_with(&[]).await
    }

    async fn wait_for_streams(&self) {
        let js = async_nats::jetstream::new(self.nats.clone());
        eventually("JetStream streams", WAIT, || {
            let js = js.clone();
            let name = self
                .subjects
                .stream(veza_live_domain::subjects::STREAM_VIEWERS);
            async move { js.get_stream(name).await.ok().map(|_| ()) }
        })
        .await;
    }

    /// Publishes an event to JetStream as its producer would.
    pub async fn emit<P: Serialize>(&self, subject: String, event: &Event<P>) {
        let js = async_nats::jetstream::new(self.nats.clone());
        let body = serde_json::to_vec(event).expect("json");
        publish_event(&js, subject, event.event_id, body.into(), None)
            .await
            .expect("published");
    }

    /// Announces a stream as the catalog does and waits until its room is
    /// open on `chat`.
    pub async fn stream(&self, chat: &Chat, owner: Uuid, status: StreamStatus) -> Uuid {
        let id = Uuid::new_v4();
        let now = Utc::now();
        let snapshot = StreamSnapshot {
            id,
            user_id: owner,
            streamer_name: "dj".into(),
            title: "Set".into(),
            description: None,
            category: None,
            tags: vec![],
            thumbnail_url: None,
            status,
            scheduled_at: (status == StreamStatus::Scheduled)
                .then(|| now + chrono::Duration::hours(1)),
            started_at: None,
            ended_at: None,
            created_at: now,
            updated_at: now,
            record_replay: true,
            replay_status: ReplayStatus::None,
        };
        let event = Event::new(StreamChanged { stream: snapshot }, now);
        self.emit(self.subjects.stream_created(), &event).await;
        let path = format!("/api/v1/live/streams/{id}/chat/messages");
        eventually("the room to open", WAIT, || async {
            (chat.http.get(&path, None).await.status == 200).then_some(())
        })
        .await;
        id
    }

    /// Ingest says the stream went live.
    pub async fn go_live(&self, stream_id: Uuid, owner: Uuid) {
        let event = Event::new(
            StreamStarted {
                stream_id,
                user_id: owner,
                session_id: Uuid::new_v4(),
            },
            Utc::now(),
        );
        self.emit(self.subjects.stream_started(), &event).await;
    }

    /// Ingest says the stream ended.
    pub async fn end(&self, stream_id: Uuid, owner: Uuid) {
        let event = Event::new(
            StreamEnded {
                stream_id,
                user_id: owner,
                session_id: Uuid::new_v4(),
                reason: EndReason::PublisherDone,
                recorded: false,
            },
            Utc::now(),
        );
        self.emit(self.subjects.stream_ended(), &event).await;
    }

    /// The catalog republishes an ended stream whose replay is now `replay`.
    pub async fn replay_changed(&self, stream_id: Uuid, owner: Uuid, replay: ReplayStatus) {
        let now = Utc::now();
        let snapshot = StreamSnapshot {
            id: stream_id,
            user_id: owner,
            streamer_name: "dj".into(),
            title: "Set".into(),
            description: None,
            category: None,
            tags: vec![],
            thumbnail_url: None,
            status: StreamStatus::Ended,
            scheduled_at: None,
            started_at: Some(now),
            ended_at: Some(now),
            created_at: now,
            updated_at: now,
            record_replay: true,
            replay_status: replay,
        };
        let event = Event::new(StreamChanged { stream: snapshot }, now);
        self.emit(self.subjects.stream_updated(), &event).await;
    }
}

/// A WebSocket client of the chat protocol.
pub struct Ws {
    inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Why an upgrade failed: the HTTP status.
pub async fn try_connect(port: u16, token: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
    let mut req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .expect("request");
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
        req.headers_mut().insert("authorization", value);
    }
    if let Some(origin) = origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(origin).expect("header"));
    }
    match tokio_tungstenite::connect_async_with_config(req, None, true).await {
        Ok((inner, _)) => Ok(Ws { inner }),
        Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

/// Connects from the allowed origin.
pub async fn connect(chat: &Chat, token: Option<&str>) -> Ws {
    try_connect(chat.port, token, Some(ORIGIN))
        .await
        .unwrap_or_else(|status| panic!("upgrade refused with {status}"))
}

/// Connects with a 4 KiB receive buffer, for a reader that falls behind.
pub async fn connect_small_buffer(chat: &Chat) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let stream = socket
        .connect(([127, 0, 0, 1], chat.port).into())
        .await
        .expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut req = format!("ws://127.0.0.1:{}/ws", chat.port)
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("origin", HeaderValue::from_static(ORIGIN));
    let (inner, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
        .await
        .expect("upgrade");
    Ws { inner }
}

impl Ws {
    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(frame.to_string()).await;
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: String) {
        self.inner.send(Message::text(text)).await.expect("send");
    }

    /// The next JSON frame.
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("a frame within the wait")
                .expect("socket open")
                .expect("frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
                Message::Close(frame) => panic!("socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next frame of this type, skipping others (viewer counts, ...).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.recv().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Joins and returns the `joined` frame.
    pub async fn join(&mut self, stream_id: Uuid, since_seq: Option<i64>) -> Value {
        let mut frame = json!({"type": "join", "stream_id": stream_id});
        if let Some(since) = since_seq {
            frame["since_seq"] = json!(since);
        }
        self.send(frame).await;
        let joined = self.recv().await;
        assert_eq!(joined["type"], "joined", "{joined}");
        joined
    }

    /// Sends a message.
    pub async fn say(&mut self, stream_id: Uuid, content: &str) {
        self.send(json!({"type": "send", "stream_id": stream_id, "content": content}))
            .await;
    }

    /// Reads until the server closes; the close code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            let next = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("closed within the wait");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket failed instead of closing: {e}"),
            }
        }
    }

    /// Closes from the client side.
    pub async fn close(mut self) {
        let _ = self.inner.close(None).await;
    }
}

/// The `data` of a success envelope.
pub fn data(body: &Value) -> &Value {
    assert_eq!(body["success"], true, "not a success envelope: {body}");
    &body["data"]
}
