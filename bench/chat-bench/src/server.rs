//! The parent process: a throw-away database, the server(s) as child
//! processes, the live room(s), the client processes, the sender (one
//! room) and the report.

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

use crate::{
    RUN_LIMIT, RoomsArgs, RunArgs, ServerArgs, ServerKind, client::now_nanos, histogram::Histogram,
};

/// Clock ticks per second of `/proc/<pid>/stat` (Linux's `USER_HZ`).
const TICKS_PER_S: f64 = 100.0;
/// The per-user limit of `idle` and `broadcast` runs (`CHAT_RATE_LIMIT`):
/// their one sender sends up to 1,000 messages a second.
const BROADCAST_RATE_LIMIT: u32 = 1_000_000;
/// The design's per-user limit: 5 messages per user and room in 10 s.
const DESIGN_RATE_LIMIT: u32 = 5;
/// chat-gateway's rate window (`CHAT_RATE_WINDOW_S`), in seconds.
const RATE_WINDOW_S: f64 = 10.0;
/// Messages read per query when counting a room's persisted messages.
const COUNT_PAGE: i64 = 1000;

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

/// User and system CPU seconds the servers used between two readings of
/// [`cpu_s`].
fn cpu_used(before: &[(f64, f64)], after: &[(f64, f64)]) -> (f64, f64) {
    before
        .iter()
        .zip(after)
        .fold((0.0, 0.0), |(u, s), (before, after)| {
            (u + after.0 - before.0, s + after.1 - before.1)
        })
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

/// Opens `count` live rooms on the servers: ours learn of each stream
/// from the catalog's event; the peer creates a room on its first join.
async fn open_rooms(
    kind: ServerKind,
    prefix: &str,
    servers: &[Server],
    count: usize,
) -> anyhow::Result<Vec<Uuid>> {
    match kind {
        ServerKind::Ours => {
            let nats = nats_client().await;
            let subjects = Subjects::new(Some(prefix)).map_err(anyhow::Error::msg)?;
            let mut ids = Vec::with_capacity(count);
            for _ in 0..count {
                ids.push(publish_live(&nats, &subjects).await?);
            }
            for server in servers {
                for &id in &ids {
                    wait_room_open(server.port, id).await?;
                }
            }
            Ok(ids)
        }
        ServerKind::Node => Ok((0..count).map(|_| Uuid::new_v4()).collect()),
    }
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

/// The client processes of a run, and the lines they print.
struct Clients {
    children: Vec<Child>,
    lines: mpsc::Receiver<String>,
}

impl Clients {
    /// Spawns one client process per share; a share is its arguments
    /// after `client`.
    fn spawn(shares: &[Vec<String>]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let (tx, lines) = mpsc::channel();
        let mut children = Vec::new();
        for share in shares {
            let mut child = Command::new(&exe)
                .arg("client")
                .args(share)
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

    /// The shares of `idle` and `broadcast`: `sockets` anonymous listeners
    /// in one room, split over `procs` processes.
    fn listeners(
        procs: usize,
        sockets: usize,
        port: u16,
        stream: Uuid,
        messages: u64,
    ) -> anyhow::Result<Self> {
        let shares: Vec<Vec<String>> = (0..procs)
            .map(|index| {
                let count = sockets / procs + usize::from(index < sockets % procs);
                vec![
                    "--port".to_owned(),
                    port.to_string(),
                    "--stream".to_owned(),
                    stream.to_string(),
                    "--count".to_owned(),
                    count.to_string(),
                    "--messages".to_owned(),
                    messages.to_string(),
                ]
            })
            .collect();
        Self::spawn(&shares)
    }

    /// Tells every process a word, on its own line (`go`, `stop`).
    fn tell(&mut self, word: &str) {
        for child in &mut self.children {
            if let Some(stdin) = child.stdin.as_mut() {
                let _ = stdin.write_all(format!("{word}\n").as_bytes());
                let _ = stdin.flush();
            }
        }
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

    /// Waits until every process has opened its sockets; how many in all.
    async fn ready(&self) -> anyhow::Result<usize> {
        Ok(self
            .collect("ready")
            .await?
            .iter()
            .filter_map(|n| n.parse::<usize>().ok())
            .sum())
    }

    fn stop(mut self) {
        self.tell("stop");
        for child in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// Starts the server(s) of a run; the last one serves the listeners.
/// `rate_limit` is the per-user limit (`CHAT_RATE_LIMIT`, per 10 s) both
/// servers apply.
fn start_servers(
    args: &ServerArgs,
    instances: u8,
    rate_limit: u32,
    db: &TestDb,
    prefix: &str,
    logs: &Path,
) -> anyhow::Result<Vec<Server>> {
    let mut servers = Vec::new();
    for index in 0..instances {
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
                    ("CHAT_RATE_LIMIT", rate_limit.to_string()),
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
                    ("CHAT_RATE_LIMIT", rate_limit.to_string()),
                ]);
                command
            }
        };
        let log = logs.join(format!("chat-{:?}-{index}.log", args.server).to_lowercase());
        servers.push(Server::start(command, port, &log)?);
    }
    Ok(servers)
}

fn logs_dir(args: &ServerArgs) -> anyhow::Result<PathBuf> {
    let dir = match &args.logs {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("chat-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// What every run stands on: the servers, listening, and their throw-away
/// database and NATS prefix (the servers stop first when dropped).
struct Setup {
    servers: Vec<Server>,
    db: TestDb,
    prefix: String,
}

impl Setup {
    /// Creates the database and the prefix, starts the server(s) and waits
    /// until they listen.
    async fn start(args: &ServerArgs, instances: u8, rate_limit: u32) -> anyhow::Result<Self> {
        let db = TestDb::new("chat", || veza_live_chat_gateway::MIGRATIONS).await;
        let prefix = unique_prefix();
        let logs = logs_dir(args)?;
        let mut servers = start_servers(args, instances, rate_limit, &db, &prefix, &logs)?;
        for server in &mut servers {
            server.wait_listening().await?;
        }
        Ok(Self {
            servers,
            db,
            prefix,
        })
    }

    /// Opens `count` live rooms on the servers.
    async fn open_rooms(&self, kind: ServerKind, count: usize) -> anyhow::Result<Vec<Uuid>> {
        open_rooms(kind, &self.prefix, &self.servers, count).await
    }
}

/// Runs `idle` or `broadcast`.
pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let setup = Setup::start(common, args.instances, BROADCAST_RATE_LIMIT).await?;
    let stream = setup
        .open_rooms(common.server, 1)
        .await?
        .first()
        .copied()
        .context("no room")?;
    let servers = &setup.servers;
    let (sender_at, listeners_at) = (&servers[0], &servers[servers.len() - 1]);
    let pid = listeners_at.pid();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    let clients = Clients::listeners(
        common.procs,
        args.sockets,
        listeners_at.port,
        stream,
        args.messages,
    )?;
    let ready = clients.ready().await?;
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
        "server": format!("{:?}", common.server).to_lowercase(),
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
        let (user, system) = cpu_used(&cpu_before, &cpu_after);
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
    if let Some(path) = &common.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    drop(setup);
    Ok(())
}

/// The per-user limit a `rooms` run sets (`CHAT_RATE_LIMIT`, per 10 s):
/// the design's 5, or twice what a user sends in a window when that is
/// more, so that a steady sender is never refused.
fn rooms_rate_limit(per_user_per_s: f64) -> u32 {
    let needed = (per_user_per_s * RATE_WINDOW_S * 2.0).ceil();
    DESIGN_RATE_LIMIT.max(needed.min(f64::from(u32::MAX)) as u32)
}

/// Persisted messages of `rooms`, read row by row from `chat_messages`
/// with chat-gateway's history query, and the sum of the rooms' last
/// `seq` (equal when no `seq` was skipped).
async fn count_persisted(db: &TestDb, rooms: &[Uuid]) -> anyhow::Result<(u64, i64)> {
    use veza_live_chat_gateway::db::{messages, rooms as room_rows};
    let mut conn = db.connect().await;
    let (mut rows, mut last_seqs) = (0u64, 0i64);
    for &room in rooms {
        let mut before = None;
        loop {
            let page = messages::page(&mut conn, room, before, COUNT_PAGE).await?;
            rows += page.len() as u64;
            match page.last() {
                Some(oldest) if page.len() as i64 == COUNT_PAGE => before = Some(oldest.seq),
                _ => break,
            }
        }
        if let Some(row) = room_rows::find(&mut conn, room).await? {
            last_seqs += row.last_seq;
        }
    }
    Ok((rows, last_seqs))
}

/// The shares of a `rooms` run: the rooms dealt out evenly over the
/// processes, each room's users all in one process.
fn room_shares(
    procs: usize,
    rooms: &[Uuid],
    port: u16,
    users: usize,
    messages: u64,
    seconds: u64,
) -> Vec<Vec<String>> {
    (0..procs)
        .map(|index| {
            let mine: Vec<String> = rooms
                [index * rooms.len() / procs..(index + 1) * rooms.len() / procs]
                .iter()
                .map(Uuid::to_string)
                .collect();
            vec![
                "--port".to_owned(),
                port.to_string(),
                "--stream".to_owned(),
                mine.join(","),
                "--users".to_owned(),
                users.to_string(),
                "--messages".to_owned(),
                messages.to_string(),
                "--seconds".to_owned(),
                seconds.to_string(),
            ]
        })
        .filter(|share| !share[3].is_empty())
        .collect()
}

/// `n - 1` events from the first to the last, per second.
fn rate_between(n: u64, first: u64, last: u64) -> f64 {
    let span = last.saturating_sub(first) as f64 / 1e9;
    if n < 2 || span <= 0.0 {
        return 0.0;
    }
    (n - 1) as f64 / span
}

/// Runs `rooms`.
pub async fn run_rooms(args: &RoomsArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let users = args.rooms * args.users;
    // Every user's share of the offered rate, as a whole number of
    // messages spread evenly over the run.
    let wanted = (args.rate * args.seconds) as f64 / users as f64;
    let messages = wanted.round().max(1.0) as u64;
    let per_user_per_s = messages as f64 / args.seconds as f64;
    let offered = per_user_per_s * users as f64;
    let rate_limit = rooms_rate_limit(per_user_per_s);
    println!(
        "{} rooms x {} users: {messages} messages per user over {} s ({per_user_per_s:.2}/s each, {offered:.0}/s offered); per-user limit {rate_limit} per {RATE_WINDOW_S:.0} s",
        args.rooms, args.users, args.seconds
    );
    let setup = Setup::start(common, 1, rate_limit).await?;
    let rooms = setup.open_rooms(common.server, args.rooms).await?;
    let server = &setup.servers[0];
    let pid = server.pid();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    let shares = room_shares(
        common.procs,
        &rooms,
        server.port,
        args.users,
        messages,
        args.seconds,
    );
    let mut clients = Clients::spawn(&shares)?;
    let ready = clients.ready().await?;
    let join_s = started.elapsed().as_secs_f64();
    let rss_joined = rss_kib(pid);
    println!(
        "{ready} authenticated sockets joined in {join_s:.1} s; server RSS {rss_before} KiB before, {rss_joined} KiB after"
    );

    let cpu_before = cpu_s(pid);
    clients.tell("go");
    let results = clients.collect("result").await?;
    let cpu_after = cpu_s(pid);
    let rss_after = rss_kib(pid);
    let (user, system) = cpu_used(&[cpu_before], &[cpu_after]);

    let (mut ack, mut commit, mut delivery) = (
        Histogram::default(),
        Histogram::default(),
        Histogram::default(),
    );
    let mut refused = std::collections::BTreeMap::<String, u64>::new();
    let (mut sent, mut accepted, mut others, mut others_expected, mut closed) = (0, 0, 0, 0, 0);
    let (mut first_send, mut last_send, mut first_ack, mut last_ack) = (u64::MAX, 0, u64::MAX, 0);
    for result in &results {
        let r: serde_json::Value = serde_json::from_str(result).context("a client's result")?;
        let n = |key: &str| r[key].as_u64().unwrap_or(0);
        sent += n("sent");
        accepted += n("accepted");
        others += n("others");
        others_expected += n("others_expected");
        closed += n("closed");
        if n("sent") > 0 {
            first_send = first_send.min(n("first_send"));
            last_send = last_send.max(n("last_send"));
        }
        if n("accepted") > 0 {
            first_ack = first_ack.min(n("first_ack"));
            last_ack = last_ack.max(n("last_ack"));
        }
        for (code, count) in r["refused"].as_object().into_iter().flatten() {
            *refused.entry(code.clone()).or_default() += count.as_u64().unwrap_or(0);
        }
        ack.merge(&Histogram::decode(r["ack"].as_str().unwrap_or("")));
        commit.merge(&Histogram::decode(r["commit"].as_str().unwrap_or("")));
        delivery.merge(&Histogram::decode(r["delivery"].as_str().unwrap_or("")));
    }
    let refused_total: u64 = refused.values().sum();
    let unanswered = sent.saturating_sub(accepted + refused_total);
    let send_rate = rate_between(sent, first_send, last_send);
    let accepted_per_s = rate_between(accepted, first_ack, last_ack);
    let (persisted, last_seqs) = count_persisted(&setup.db, &rooms).await?;

    println!(
        "sent {sent} ({send_rate:.0}/s from the first send to the last); accepted {accepted} ({accepted_per_s:.0}/s from the first answer to the last); refused {refused_total} {refused:?}; unanswered {unanswered}; sockets closed early {closed}"
    );
    for (name, h) in [
        ("send to the author's copy (acknowledgement)", &ack),
        ("created_at to the other members", &commit),
        ("send to the other members", &delivery),
    ] {
        println!(
            "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            h.quantile_ms(0.5),
            h.quantile_ms(0.99),
            h.quantile_ms(1.0),
        );
    }
    println!("frames to the other members: {others} delivered of {others_expected}");
    println!(
        "persisted: {persisted} rows in chat_messages for the {} rooms (their last seq sum to {last_seqs}) against {accepted} accepted",
        rooms.len()
    );
    let per_message = (user + system) * 1e6 / accepted.max(1) as f64;
    println!(
        "server CPU {user:.2} s user + {system:.2} s system ({per_message:.0} µs per accepted message); RSS {rss_after} KiB at the end"
    );

    let report = serde_json::json!({
        "server": format!("{:?}", common.server).to_lowercase(),
        "rooms": args.rooms,
        "users": args.users,
        "sockets": ready,
        "procs": shares.len(),
        "seconds": args.seconds,
        "rate": args.rate,
        "messages_per_user": messages,
        "offered_per_s": offered,
        "rate_limit": rate_limit,
        "rate_window_s": RATE_WINDOW_S,
        "join_s": join_s,
        "sent": sent,
        "send_per_s": send_rate,
        "accepted": accepted,
        "accepted_per_s": accepted_per_s,
        "refused": refused,
        "refused_total": refused_total,
        "unanswered": unanswered,
        "sockets_closed": closed,
        "ack_p50_ms": ack.quantile_ms(0.5),
        "ack_p99_ms": ack.quantile_ms(0.99),
        "ack_max_ms": ack.quantile_ms(1.0),
        "commit_p50_ms": commit.quantile_ms(0.5),
        "commit_p99_ms": commit.quantile_ms(0.99),
        "commit_max_ms": commit.quantile_ms(1.0),
        "delivery_p50_ms": delivery.quantile_ms(0.5),
        "delivery_p99_ms": delivery.quantile_ms(0.99),
        "frames": others,
        "frames_expected": others_expected,
        "persisted": persisted,
        "last_seq_sum": last_seqs,
        "cpu_user_s": user,
        "cpu_system_s": system,
        "cpu_us_per_message": per_message,
        "rss_before_kib": rss_before,
        "rss_joined_kib": rss_joined,
        "rss_after_kib": rss_after,
    });
    if let Some(path) = &common.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    clients.stop();
    drop(setup);
    Ok(())
}
