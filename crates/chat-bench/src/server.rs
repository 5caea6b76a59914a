//! The parent process: chat-gateway in-process on a throw-away database,
//! one live room, the client processes, the sender and the report.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_chat_gateway::{Application, Config};
use veza_live_domain::{
    StreamStatus, Subjects,
    events::{Event, StreamChanged, StreamSnapshot},
};
use veza_live_platform::{config::Env, nats::publish_event};
use veza_live_test_support::{TestDb, nats_client, service_env, token_for, unique_prefix};

use crate::{Args, RUN_LIMIT, client::now_nanos, histogram::Histogram};

/// The resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn open_room(
    nats: &async_nats::Client,
    subjects: &Subjects,
    port: u16,
) -> anyhow::Result<Uuid> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    let stream = StreamSnapshot {
        id,
        user_id: Uuid::new_v4(),
        streamer_name: "bench".into(),
        title: "Bench".into(),
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
    };
    let event = Event::new(StreamChanged { stream }, now);
    let js = async_nats::jetstream::new(nats.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    // The service creates the JetStream streams at start-up.
    while publish_event(
        &js,
        subjects.stream_created(),
        event.event_id,
        serde_json::to_vec(&event)?.into(),
        None,
    )
    .await
    .is_err()
    {
        anyhow::ensure!(Instant::now() < deadline, "JetStream never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = format!("http://127.0.0.1:{port}/api/v1/live/streams/{id}/chat/messages");
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
            && reqwest_status(&url).await == Some(200)
        {
            return Ok(id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the room did not open")
}

/// A minimal HTTP GET status over a raw socket (no HTTP client needed).
async fn reqwest_status(url: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut tcp = tokio::net::TcpStream::connect(host).await.ok()?;
    let req = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.ok()?;
    let mut buf = vec![0; 64];
    let n = tcp.read(&mut buf).await.ok()?;
    std::str::from_utf8(&buf[..n])
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Clients {
    children: Vec<Child>,
    lines: mpsc::Receiver<String>,
}

impl Clients {
    fn spawn(
        procs: usize,
        sockets: usize,
        port: u16,
        stream: Uuid,
        messages: u64,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let (tx, lines) = mpsc::channel();
        let mut children = Vec::new();
        for index in 0..procs {
            let count = sockets / procs + usize::from(index < sockets % procs);
            let mut child = Command::new(&exe)
                .args([
                    "client",
                    "--port",
                    &port.to_string(),
                    "--stream",
                    &stream.to_string(),
                ])
                .args([
                    "--count",
                    &count.to_string(),
                    "--messages",
                    &messages.to_string(),
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .context("spawning a client process")?;
            let stdout = child.stdout.take().context("client stdout")?;
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            children.push(child);
        }
        Ok(Self { children, lines })
    }

    /// Waits for one line starting with `prefix` from every process.
    async fn collect(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut found = Vec::new();
        let deadline = Instant::now() + RUN_LIMIT;
        while found.len() < self.children.len() {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = tokio::task::block_in_place(|| self.lines.recv_timeout(wait))
                .context("a client process stopped or timed out")?;
            if let Some(rest) = line.strip_prefix(prefix) {
                found.push(rest.trim().to_owned());
            }
        }
        Ok(found)
    }

    fn stop(mut self) {
        for child in &mut self.children {
            if let Some(stdin) = child.stdin.as_mut() {
                let _ = stdin.write_all(b"stop\n");
            }
        }
        for child in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// Runs `idle` or `broadcast`.
pub async fn run(command: &str, sockets: usize, procs: usize, args: &Args) -> anyhow::Result<()> {
    let messages = if command == "broadcast" {
        args.num("messages", 50)?.clamp(1, 10_000)
    } else {
        0
    };
    let rate = args.num("rate", 10)?.clamp(1, 1000);
    let workers = args.num("workers", 2)?.clamp(1, 8).to_string();
    let db = TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await;
    let prefix = unique_prefix();
    let mut env = service_env(&db, &prefix);
    env.retain(|(k, _)| k != "HTTP_WORKERS");
    env.extend([
        ("HTTP_WORKERS".to_owned(), workers),
        ("CHAT_RATE_LIMIT".to_owned(), "1000000".to_owned()),
        ("CHAT_SOCKET_QUEUE".to_owned(), "256".to_owned()),
    ]);
    let config = Config::from_env(&Env::from_pairs(env))?;
    let cancel = CancellationToken::new();
    let app = Application::build(config, cancel.clone()).await?;
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let nats = nats_client().await;
    let subjects = Subjects::new(Some(&prefix)).map_err(anyhow::Error::msg)?;
    let stream = open_room(&nats, &subjects, port).await?;

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib();
    let started = Instant::now();
    let clients = Clients::spawn(procs, sockets, port, stream, messages)?;
    let ready: usize = clients
        .collect("ready")
        .await?
        .iter()
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    println!(
        "{ready} sockets joined in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if command == "idle" {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss_after = rss_kib();
        let per = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / ready.max(1) as f64;
        println!("server RSS: {rss_before} KiB before, {rss_after} KiB with {ready} idle sockets");
        println!(
            "RSS per idle socket: {per:.0} bytes ({:.2} KiB)",
            per / 1024.0
        );
        clients.stop();
    } else {
        let token = token_for(Uuid::new_v4(), "bench");
        let req = tokio_tungstenite::tungstenite::http::Request::builder()
            .uri(format!("ws://127.0.0.1:{port}/ws"))
            .header("Host", format!("127.0.0.1:{port}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header(
                "Sec-WebSocket-Key",
                tokio_tungstenite::tungstenite::handshake::client::generate_key(),
            )
            .body(())?;
        let (mut sender, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await?;
        let join = serde_json::json!({"type": "join", "stream_id": stream}).to_string();
        sender.send(Message::text(join)).await?;
        let (mut sink, mut source) = sender.split();
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = source.next().await {} });
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let first_send = now_nanos();
        let mut tick = tokio::time::interval(interval);
        for _ in 0..messages {
            tick.tick().await;
            let frame = serde_json::json!({"type": "send", "stream_id": stream, "content": format!("t:{}", now_nanos())});
            sink.send(Message::text(frame.to_string())).await?;
        }
        let results = clients.collect("result").await?;
        let (mut sent, mut persisted) = (Histogram::default(), Histogram::default());
        let mut last = 0u128;
        for result in &results {
            let mut parts = result.split(' ');
            last = last.max(parts.next().and_then(|s| s.parse().ok()).unwrap_or(0));
            sent.merge(&Histogram::decode(parts.next().unwrap_or("")));
            persisted.merge(&Histogram::decode(parts.next().unwrap_or("")));
        }
        let frames = sent.total();
        let span = (last.saturating_sub(first_send)) as f64 / 1e9;
        println!(
            "{messages} messages at {rate}/s to {ready} sockets: {frames} frames delivered of {}",
            messages * ready as u64
        );
        for (name, h) in [
            ("send to receipt (persistence included)", &sent),
            ("persisted to receipt (commit + fan-out)", &persisted),
        ] {
            println!(
                "{name}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                h.quantile_ms(0.5),
                h.quantile_ms(0.99),
                h.quantile_ms(1.0),
            );
        }
        println!(
            "{:.0} frames/s from the first send to the last receipt ({span:.2} s)",
            frames as f64 / span.max(1e-9)
        );
        clients.stop();
        drain.abort();
    }
    cancel.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(20), server).await;
    drop(db);
    Ok(())
}
