//! The parent process: a throw-away database, the server(s) as child
//! processes, one live room, the client processes, the sender and the
//! report.

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus, Subjects,
    events::{Event, StreamChanged, StreamSnapshot},
};
use veza_live_platform::nats::publish_event;
use veza_live_test_support::{
    JWT_SECRET, TestDb, nats_client, service_env, token_for, unique_prefix,
};

use crate::{RUN_LIMIT, RunArgs, ServerKind, client::now_nanos, histogram::Histogram};

/// Clock ticks per second of `/proc/<pid>/stat` (Linux's `USER_HZ`).
const TICKS_PER_S: f64 = 100.0;

/// The resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User and system CPU seconds a process has used.
fn cpu_s(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    (tick(11) / TICKS_PER_S, tick(12) / TICKS_PER_S)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server child process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(mut command: Command, port: u16, log: &Path) -> anyhow::Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = command
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .context("starting the server")?;
        Ok(Self { child, port })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_listening(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited: {status}");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not listen within 60 s")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn publish_live(nats: &async_nats::Client, subjects: &Subjects) -> anyhow::Result<Uuid> {
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
        record_replay: true,
        replay_status: veza_live_domain::ReplayStatus::None,
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
    Ok(id)
}

async fn wait_room_open(port: u16, id: Uuid) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{port}/api/v1/live/streams/{id}/chat/messages");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_status(&url).await == Some(200) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the room did not open")
}

/// A minimal HTTP GET status over a raw socket (no HTTP client needed).
async fn http_status(url: &str) -> Option<u16> {
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
                .args(["client", "--port", &port.to_string()])
                .args(["--stream", &stream.to_string()])
                .args(["--count", &count.to_string()])
                .args(["--messages", &messages.to_string()])
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

/// Starts the server(s) of a run; the last one serves the listeners.
fn start_servers(
    args: &RunArgs,
    db: &TestDb,
    prefix: &str,
    logs: &Path,
) -> anyhow::Result<Vec<Server>> {
    let mut servers = Vec::new();
    for index in 0..args.instances {
        let port = free_port()?;
        let command = match args.server {
            ServerKind::Ours => {
                let bin = match &args.gateway_bin {
                    Some(bin) => bin.clone(),
                    None => std::env::current_exe()?.with_file_name("chat-gateway"),
                };
                let mut command = Command::new(bin);
                command.env_clear();
                for (key, value) in service_env(db, prefix) {
                    command.env(key, value);
                }
                command.envs([
                    ("LISTEN_ADDR", format!("127.0.0.1:{port}")),
                    ("HTTP_WORKERS", args.workers.to_string()),
                    ("LOG_FORMAT", "json".to_owned()),
                    ("DATABASE_POOL_SIZE", "16".to_owned()),
                    ("CHAT_RATE_LIMIT", "1000000".to_owned()),
                    ("CHAT_SOCKET_QUEUE", "256".to_owned()),
                ]);
                if let Ok(filter) = std::env::var("BENCH_RUST_LOG") {
                    command.env("RUST_LOG", filter);
                }
                command
            }
            ServerKind::Node => {
                let mut command = Command::new("node");
                command.arg(&args.node_script).envs([
                    ("DATABASE_URL", db.url.expose_secret().to_owned()),
                    ("JWT_SECRET", JWT_SECRET.to_owned()),
                    ("PORT", port.to_string()),
                ]);
                command
            }
        };
        let log = logs.join(format!("chat-{:?}-{index}.log", args.server).to_lowercase());
        servers.push(Server::start(command, port, &log)?);
    }
    Ok(servers)
}

fn logs_dir(args: &RunArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.logs {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("chat-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs `idle` or `broadcast`.
pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let db = TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await;
    let prefix = unique_prefix();
    let logs = logs_dir(args)?;
    let mut servers = start_servers(args, &db, &prefix, &logs)?;
    for server in &mut servers {
        server.wait_listening().await?;
    }
    let stream = match args.server {
        ServerKind::Ours => {
            let nats = nats_client().await;
            let subjects = Subjects::new(Some(&prefix)).map_err(anyhow::Error::msg)?;
            let id = publish_live(&nats, &subjects).await?;
            for server in &servers {
                wait_room_open(server.port, id).await?;
            }
            id
        }
        // The peer creates a room on its first join.
        ServerKind::Node => Uuid::new_v4(),
    };
    let (sender_at, listeners_at) = (&servers[0], &servers[servers.len() - 1]);
    let pid = listeners_at.pid();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    let clients = Clients::spawn(
        args.procs,
        args.sockets,
        listeners_at.port,
        stream,
        args.messages,
    )?;
    let ready: usize = clients
        .collect("ready")
        .await?
        .iter()
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    let join_s = started.elapsed().as_secs_f64();
    println!("{ready} sockets joined in {join_s:.1} s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(pid);
    let per_socket = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / ready.max(1) as f64;
    println!("server RSS: {rss_before} KiB before, {rss_after} KiB with {ready} idle sockets");
    println!(
        "RSS per idle socket: {per_socket:.0} bytes ({:.2} KiB)",
        per_socket / 1024.0
    );
    let mut report = serde_json::json!({
        "server": format!("{:?}", args.server).to_lowercase(),
        "instances": args.instances,
        "sockets": ready,
        "join_s": join_s,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_per_socket_bytes": per_socket,
    });
    if args.messages == 0 {
        clients.stop();
    } else {
        let token = token_for(Uuid::new_v4(), "bench");
        let port = sender_at.port;
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
        // Wait for `joined` before sending.
        while let Some(frame) = sender.next().await {
            if let Message::Text(text) = frame?
                && text.contains("\"joined\"")
            {
                break;
            }
        }
        let (mut sink, mut source) = sender.split();
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = source.next().await {} });
        let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
        let cpu_before: Vec<_> = servers.iter().map(|s| cpu_s(s.pid())).collect();
        let first_send = now_nanos();
        let mut tick = tokio::time::interval(interval);
        for _ in 0..args.messages {
            tick.tick().await;
            let content = format!("t:{}", now_nanos());
            let frame =
                serde_json::json!({"type": "send", "stream_id": stream, "content": content});
            sink.send(Message::text(frame.to_string())).await?;
        }
        let results = clients.collect("result").await?;
        let cpu_after: Vec<_> = servers.iter().map(|s| cpu_s(s.pid())).collect();
        let (mut sent, mut persisted) = (Histogram::default(), Histogram::default());
        let mut last = 0u128;
        for result in &results {
            let mut parts = result.split(' ');
            last = last.max(parts.next().and_then(|s| s.parse().ok()).unwrap_or(0));
            sent.merge(&Histogram::decode(parts.next().unwrap_or("")));
            persisted.merge(&Histogram::decode(parts.next().unwrap_or("")));
        }
        let frames = sent.total();
        let expected = args.messages * ready as u64;
        let span = (last.saturating_sub(first_send)) as f64 / 1e9;
        println!(
            "{} messages at {}/s to {ready} sockets: {frames} frames delivered of {expected}",
            args.messages, args.rate
        );
        for (name, h) in [
            ("send to receipt (persistence included)", &sent),
            ("persisted to receipt (commit + fan-out)", &persisted),
        ] {
            println!(
                "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                h.quantile_ms(0.5),
                h.quantile_ms(0.99),
                h.quantile_ms(1.0),
            );
        }
        let (user, system) = cpu_before
            .iter()
            .zip(&cpu_after)
            .fold((0.0, 0.0), |(u, s), (before, after)| {
                (u + after.0 - before.0, s + after.1 - before.1)
            });
        let per_100k = |cpu: f64| cpu * 100_000.0 / frames.max(1) as f64;
        println!(
            "{:.0} frames/s from the first send to the last receipt ({span:.2} s); server CPU {:.2} s user + {:.2} s system ({:.2} s per 100k frames)",
            frames as f64 / span.max(1e-9),
            user,
            system,
            per_100k(user + system)
        );
        report["messages"] = args.messages.into();
        report["rate"] = args.rate.into();
        report["frames"] = frames.into();
        report["frames_expected"] = expected.into();
        report["frames_per_s"] = (frames as f64 / span.max(1e-9)).into();
        report["send_p50_ms"] = sent.quantile_ms(0.5).into();
        report["send_p99_ms"] = sent.quantile_ms(0.99).into();
        report["commit_p50_ms"] = persisted.quantile_ms(0.5).into();
        report["commit_p99_ms"] = persisted.quantile_ms(0.99).into();
        report["commit_max_ms"] = persisted.quantile_ms(1.0).into();
        report["cpu_user_s"] = user.into();
        report["cpu_system_s"] = system.into();
        report["cpu_s_per_100k_frames"] = per_100k(user + system).into();
        report["user_us_per_frame"] = (user * 1e6 / frames.max(1) as f64).into();
        clients.stop();
        drain.abort();
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    drop(servers);
    drop(db);
    Ok(())
}
