//! A client process: opens its share of the sockets, joins the room, says
//! `ready`, then either idles until told to stop or records the latency of
//! every broadcast message and prints its histogram.

use std::{
    io::BufRead,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::Context;
use futures::{SinkExt, StreamExt, stream};
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, protocol::WebSocketConfig,
};

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

async fn open(port: u16, stream_id: &str) -> anyhow::Result<Socket> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let req = format!("ws://127.0.0.1:{port}/ws").into_client_request()?;
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
            anyhow::ensure!(frame["type"] == "joined", "join refused: {frame}");
            return Ok(ws);
        }
    }
    anyhow::bail!("socket closed before joining")
}

/// The sender's stamp (`t:<nanos>` content) and the server's `created_at`
/// of a `message` frame, in nanoseconds since the epoch.
fn stamps(text: &str) -> Option<(u128, u128)> {
    // Substring search, not a JSON parse: thousands of sockets share this
    // process's one core, and the server's frames have a fixed shape.
    let field = |name: &str| {
        let start = text.find(name)? + name.len();
        let rest = &text[start..];
        Some(&rest[..rest.find('"')?])
    };
    let stamp = field("\"content\":\"t:")?.parse().ok()?;
    let created = chrono::DateTime::parse_from_rfc3339(field("\"created_at\":\"")?).ok()?;
    let created = u128::try_from(created.timestamp_nanos_opt()?).ok()?;
    Some((stamp, created))
}

/// Runs a client process.
pub async fn run(args: &ClientArgs) -> anyhow::Result<()> {
    let (port, stream_id, count, expected) =
        (args.port, args.stream.clone(), args.count, args.messages);
    let sockets: Vec<Socket> = stream::iter(0..count)
        .map(|_| open(port, &stream_id))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()
        .context("opening sockets")?;
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
}
