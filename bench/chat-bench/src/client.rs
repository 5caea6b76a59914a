//! A client process: opens its share of the sockets, joins the room(s),
//! says `ready`, then either idles until told to stop, records the latency
//! of every broadcast message and prints its histogram, or (`rooms`) waits
//! for `go`, has every user send its messages on schedule and prints what
//! the server made of them.

use std::{
    collections::BTreeMap,
    io::BufRead,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::Context;
use futures::{SinkExt, StreamExt, stream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{
    Message,
    client::IntoClientRequest,
    http::{HeaderValue, header::AUTHORIZATION},
    protocol::WebSocketConfig,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_test_support::token_for;

use crate::{ClientArgs, RUN_LIMIT, histogram::Histogram};

/// Sockets opened at once.
const CONNECT_CONCURRENCY: usize = 64;

/// Nanoseconds since the epoch; the sender stamps messages with it.
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens a socket (authenticated with `token`, else anonymous) and joins
/// `stream_id`; an authenticated socket must be allowed to send.
async fn open(port: u16, stream_id: &str, token: Option<&str>) -> anyhow::Result<Socket> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let mut req = format!("ws://127.0.0.1:{port}/ws").into_client_request()?;
    if let Some(token) = token {
        req.headers_mut().insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
    }
    // Small buffers: thousands of clients share this process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await?;
    let join = serde_json::json!({"type": "join", "stream_id": stream_id}).to_string();
    ws.send(Message::text(join)).await?;
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message? {
            let frame: serde_json::Value = serde_json::from_str(&text)?;
            match frame["type"].as_str() {
                Some("joined") => {
                    anyhow::ensure!(
                        token.is_none() || frame["can_send"] == true,
                        "joined without the right to send: {frame}"
                    );
                    return Ok(ws);
                }
                Some("error") => anyhow::bail!("join refused: {frame}"),
                // Frames of the room (a viewer count) may come first.
                _ => {}
            }
        }
    }
    anyhow::bail!("socket closed before joining")
}

/// The text of a string field `"name":"<text>"` of a server frame.
///
/// Substring search, not a JSON parse: thousands of sockets share this
/// process's one core, and the server's frames have a fixed shape.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(name)? + name.len();
    let rest = &text[start..];
    Some(&rest[..rest.find('"')?])
}

/// The sender's stamp (`t:<nanos>` content) and the server's `created_at`
/// of a `message` frame, in nanoseconds since the epoch.
fn stamps(text: &str) -> Option<(u128, u128)> {
    let stamp = field(text, "\"content\":\"t:")?.parse().ok()?;
    let created = chrono::DateTime::parse_from_rfc3339(field(text, "\"created_at\":\"")?).ok()?;
    let created = u128::try_from(created.timestamp_nanos_opt()?).ok()?;
    Some((stamp, created))
}

/// Runs a client process.
pub async fn run(args: &ClientArgs) -> anyhow::Result<()> {
    if args.users > 0 {
        return rooms(args).await;
    }
    let (port, count, expected) = (args.port, args.count, args.messages);
    let stream_id = args.stream.first().context("no room given")?.clone();
    let sockets: Vec<Socket> = open_all((0..count).map(|_| open(port, &stream_id, None))).await?;
    println!("ready {}", sockets.len());
    if expected == 0 {
        // Idle: hold every socket until the parent says stop (or exits).
        let readers: Vec<_> = sockets
            .into_iter()
            .map(|mut ws| tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} }))
            .collect();
        let _ = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
        })
        .await;
        readers.iter().for_each(tokio::task::JoinHandle::abort);
        return Ok(());
    }
    // Per process: latency from the sender's stamp, and from the server's
    // `created_at` (persisted, so the remainder is commit plus fan-out).
    let histograms = Arc::new(Mutex::new((Histogram::default(), Histogram::default())));
    let last = Arc::new(Mutex::new(0u128));
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let (histograms, last) = (histograms.clone(), last.clone());
            tokio::spawn(async move {
                let mut received = 0;
                while received < expected {
                    let Some(Ok(Message::Text(text))) = ws.next().await else {
                        break;
                    };
                    let now = now_nanos();
                    let Some((stamp, created)) = stamps(&text) else {
                        continue;
                    };
                    let micros = |from: u128| {
                        u64::try_from(now.saturating_sub(from) / 1000).unwrap_or(u64::MAX)
                    };
                    if let Ok(mut h) = histograms.lock() {
                        h.0.record(micros(stamp));
                        h.1.record(micros(created));
                    }
                    if let Ok(mut l) = last.lock() {
                        *l = (*l).max(now);
                    }
                    received += 1;
                }
            })
        })
        .collect();
    let _ = tokio::time::timeout(RUN_LIMIT, futures::future::join_all(tasks)).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (sent, persisted) = histograms
        .lock()
        .map(|h| (h.0.encode(), h.1.encode()))
        .unwrap_or_default();
    let last = last.lock().map(|l| *l).unwrap_or_default();
    println!("result {last} {sent} {persisted}");
    Ok(())
}

/// How a `message` frame of the server starts (both servers put `type`
/// first).
const MESSAGE_FRAME: &str = "{\"type\":\"message\"";
/// How an `error` frame of the server starts.
const ERROR_FRAME: &str = "{\"type\":\"error\"";
/// Once the users have sent everything, a process whose sockets receive
/// nothing for this long reports what it has.
const STALL: Duration = Duration::from_secs(5);

/// What the sockets of a `rooms` process saw, shared by their tasks.
#[derive(Default)]
struct Tally {
    /// Send to the author's own copy of its message: the server's answer.
    ack: Histogram,
    /// The server's `created_at` to receipt by the room's other members.
    commit: Histogram,
    /// Send to receipt by the room's other members.
    delivery: Histogram,
    /// Messages sent.
    sent: u64,
    /// Messages acknowledged (their author received them back).
    accepted: u64,
    /// Acknowledged messages per room of this process.
    accepted_in: Vec<u64>,
    /// Refused messages by the `error` frame's code.
    refused: BTreeMap<String, u64>,
    /// `message` frames received by members other than the author.
    others: u64,
    /// Sockets that closed before the end of the run.
    closed: u64,
    /// Frames of interest received, to see progress.
    frames: u64,
    /// Nanoseconds since the epoch of the first and last send and answer.
    first_send: u128,
    last_send: u128,
    first_ack: u128,
    last_ack: u128,
}

impl Tally {
    /// `message` frames the room's other members should receive: every
    /// acknowledged message, once per member but its author.
    fn others_expected(&self, per_room: usize) -> u64 {
        let others = u64::try_from(per_room.saturating_sub(1)).unwrap_or(0);
        self.accepted_in.iter().map(|a| a * others).sum()
    }

    /// Whether every message was sent and answered and every copy arrived.
    fn complete(&self, to_send: u64, per_room: usize) -> bool {
        let refused: u64 = self.refused.values().sum();
        self.sent == to_send
            && self.accepted + refused >= self.sent
            && self.others >= self.others_expected(per_room)
    }

    /// Records a frame received at `now` by a socket of `user_id` in
    /// `room`.
    fn record(&mut self, text: &str, user_id: &str, room: usize, now: u128) {
        let micros =
            |from: u128| u64::try_from(now.saturating_sub(from) / 1000).unwrap_or(u64::MAX);
        if text.starts_with(MESSAGE_FRAME) {
            let Some((stamp, created)) = stamps(text) else {
                return;
            };
            self.frames += 1;
            if field(text, "\"user_id\":\"") == Some(user_id) {
                self.ack.record(micros(stamp));
                self.accepted += 1;
                if let Some(count) = self.accepted_in.get_mut(room) {
                    *count += 1;
                }
                if self.first_ack == 0 {
                    self.first_ack = now;
                }
                self.last_ack = self.last_ack.max(now);
            } else {
                self.commit.record(micros(created));
                self.delivery.record(micros(stamp));
                self.others += 1;
            }
        } else if text.starts_with(ERROR_FRAME) {
            self.frames += 1;
            let code = field(text, "\"code\":\"").unwrap_or("unknown");
            *self.refused.entry(code.to_owned()).or_default() += 1;
        }
    }
}

/// One user of a `rooms` run: its socket, joined to its room.
struct User {
    ws: Socket,
    /// The user id as the server's frames spell it.
    id: String,
    /// The room's index among this process's rooms, and its id.
    room: usize,
    stream_id: String,
    /// When the first message is due; the others follow every `interval`.
    first: Instant,
}

/// Sends `messages` on schedule while recording every frame received,
/// until `stop` fires or the socket closes.
async fn user_task(
    mut user: User,
    messages: u64,
    interval: Duration,
    tally: Arc<Mutex<Tally>>,
    stop: CancellationToken,
) {
    let mut sent = 0u64;
    let due = tokio::time::sleep_until(user.first);
    tokio::pin!(due);
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            () = &mut due, if sent < messages => {
                let stamp = now_nanos();
                // `client_msg_id` as the web client sends it.
                let frame = format!(
                    r#"{{"type":"send","stream_id":"{}","content":"t:{stamp}","client_msg_id":"m{sent}"}}"#,
                    user.stream_id
                );
                if user.ws.send(Message::text(frame)).await.is_err() {
                    break;
                }
                sent += 1;
                if let Ok(mut t) = tally.lock() {
                    t.sent += 1;
                    if t.first_send == 0 {
                        t.first_send = stamp;
                    }
                    t.last_send = t.last_send.max(stamp);
                }
                let next = interval * u32::try_from(sent).unwrap_or(u32::MAX);
                due.as_mut().reset(user.first + next);
            }
            message = user.ws.next() => {
                let Some(Ok(message)) = message else {
                    break;
                };
                if let Message::Text(text) = message {
                    let now = now_nanos();
                    if let Ok(mut t) = tally.lock() {
                        t.record(&text, &user.id, user.room, now);
                    }
                }
            }
        }
    }
    if let Ok(mut t) = tally.lock() {
        t.closed += 1;
    }
}

/// Runs the socket openings, [`CONNECT_CONCURRENCY`] at a time.
///
/// Fails when one of them fails.
async fn open_all<T>(
    openings: impl IntoIterator<Item = impl Future<Output = anyhow::Result<T>>>,
) -> anyhow::Result<Vec<T>> {
    stream::iter(openings)
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()
        .context("opening sockets")
}

/// Runs a client process of a `rooms` run: `users` authenticated users in
/// each of its rooms, each sending `messages` messages evenly over
/// `seconds` once the parent says `go`; prints `result <json>`.
async fn rooms(args: &ClientArgs) -> anyhow::Result<()> {
    let (port, per_room) = (args.port, args.users);
    let messages = args.messages.max(1);
    let interval =
        Duration::from_secs(args.seconds.max(1)) / u32::try_from(messages).unwrap_or(u32::MAX);
    let seats: Vec<(usize, Uuid)> = (0..args.stream.len())
        .flat_map(|room| (0..per_room).map(move |_| (room, Uuid::new_v4())))
        .collect();
    let opened: Vec<(usize, Uuid, Socket)> =
        open_all(seats.into_iter().map(|(room, id)| async move {
            let token = token_for(id, "bench");
            let ws = open(port, &args.stream[room], Some(&token)).await?;
            anyhow::Ok((room, id, ws))
        }))
        .await?;
    println!("ready {}", opened.len());
    // Every process starts on the parent's word, once all sockets joined.
    let word = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line
    })
    .await?;
    anyhow::ensure!(word.trim() == "go", "told {word:?} instead of go");

    let users = opened.len();
    let tally = Arc::new(Mutex::new(Tally {
        accepted_in: vec![0; args.stream.len()],
        ..Tally::default()
    }));
    let stop = CancellationToken::new();
    let go = Instant::now();
    let tasks: Vec<_> = opened
        .into_iter()
        .enumerate()
        .map(|(index, (room, id, ws))| {
            // First sends spread evenly over one interval: a steady total.
            let user = User {
                ws,
                id: id.to_string(),
                room,
                stream_id: args.stream[room].clone(),
                first: go + interval.mul_f64(index as f64 / users as f64),
            };
            tokio::spawn(user_task(
                user,
                messages,
                interval,
                tally.clone(),
                stop.clone(),
            ))
        })
        .collect();

    let to_send = messages * u64::try_from(users).unwrap_or(0);
    let sending_ends = go + Duration::from_secs(args.seconds);
    let (mut seen, mut progress) = (0, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = Instant::now();
        let (frames, complete) = tally
            .lock()
            .map(|t| (t.frames, t.complete(to_send, per_room)))
            .unwrap_or_default();
        if frames != seen {
            (seen, progress) = (frames, now);
        }
        if now >= go + RUN_LIMIT || (now >= sending_ends && (complete || now - progress >= STALL)) {
            break;
        }
    }
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(tasks)).await;

    let t = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("a socket's task panicked"))?;
    let nanos = |n: u128| u64::try_from(n).unwrap_or(u64::MAX);
    let result = serde_json::json!({
        "sockets": users,
        "sent": t.sent,
        "accepted": t.accepted,
        "refused": t.refused,
        "others": t.others,
        "others_expected": t.others_expected(per_room),
        "closed": t.closed,
        "first_send": nanos(t.first_send),
        "last_send": nanos(t.last_send),
        "first_ack": nanos(t.first_ack),
        "last_ack": nanos(t.last_ack),
        "ack": t.ack.encode(),
        "commit": t.commit.encode(),
        "delivery": t.delivery.encode(),
    });
    println!("result {result}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamps_are_read_from_a_message_frame() {
        let frame = r#"{"type":"message","stream_id":"x","seq":1,"id":"y","user_id":"z","username":"bench","content":"t:1700000000000000000","created_at":"2023-11-14T22:13:20.5Z"}"#;
        assert_eq!(
            super::stamps(frame),
            Some((1_700_000_000_000_000_000, 1_700_000_000_500_000_000))
        );
    }

    #[test]
    fn a_room_tally_tells_the_authors_copy_from_the_others() {
        let frame = |user: &str| {
            format!(
                r#"{{"type":"message","stream_id":"x","seq":1,"id":"y","user_id":"{user}","username":"bench","content":"t:1700000000000000000","created_at":"2023-11-14T22:13:20.5Z","client_msg_id":"m0"}}"#
            )
        };
        let mut tally = super::Tally {
            accepted_in: vec![0; 2],
            sent: 1,
            ..super::Tally::default()
        };
        let now = 1_700_000_000_600_000_000;
        tally.record(&frame("a"), "a", 1, now);
        tally.record(&frame("a"), "b", 1, now);
        tally.record(
            r#"{"type":"error","code":"rate_limited","message":"wait","retry_after_ms":5}"#,
            "c",
            0,
            now,
        );
        tally.record(
            r#"{"type":"viewer_count","stream_id":"x","count":3}"#,
            "c",
            0,
            now,
        );
        assert_eq!((tally.accepted, tally.others, tally.frames), (1, 1, 3));
        assert_eq!(tally.accepted_in, vec![0, 1]);
        assert_eq!(tally.refused.get("rate_limited"), Some(&1));
        assert_eq!(tally.others_expected(3), 2);
        assert!(!tally.complete(1, 3));
        assert_eq!(tally.ack.quantile_ms(0.5), 600.01);
        assert_eq!(tally.commit.quantile_ms(0.5), 100.01);
    }
}
