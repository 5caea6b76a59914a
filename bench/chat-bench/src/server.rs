//! The parent process's shared parts: readings of the server processes,
//! the server(s) as child processes, the throw-away database, the live
//! room(s) and the client processes. The runs are in `broadcast.rs`
//! (`idle`, `broadcast`) and `rooms.rs`.

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::Utc;
use secrecy::ExposeSecret;
use uuid::Uuid;
use veza_live_domain::{
    StreamStatus, Subjects,
    events::{Event, StreamChanged, StreamSnapshot},
};
use veza_live_platform::nats::publish_event;
use veza_live_test_support::{JWT_SECRET, TestDb, nats_client, service_env, unique_prefix};

use crate::{RUN_LIMIT, ServerArgs, ServerKind};

/// Clock ticks per second of `/proc/<pid>/stat` (Linux's `USER_HZ`).
const TICKS_PER_S: f64 = 100.0;

/// The resident set size of a process, in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
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
pub(crate) fn cpu_s(pid: u32) -> (f64, f64) {
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
pub(crate) fn cpu_used(before: &[(f64, f64)], after: &[(f64, f64)]) -> (f64, f64) {
    before
        .iter()
        .zip(after)
        .fold((0.0, 0.0), |(u, s), (before, after)| {
            (u + after.0 - before.0, s + after.1 - before.1)
        })
}

/// A server child process, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Server {
    pub(crate) fn start(mut command: Command, port: u16, log: &Path) -> anyhow::Result<Self> {
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

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) async fn wait_listening(&mut self) -> anyhow::Result<()> {
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
pub(crate) async fn open_rooms(
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
pub(crate) struct Clients {
    children: Vec<Child>,
    lines: mpsc::Receiver<String>,
}

impl Clients {
    /// Spawns one client process per share; a share is its arguments
    /// after `client`.
    pub(crate) fn spawn(shares: &[Vec<String>]) -> anyhow::Result<Self> {
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
    pub(crate) fn listeners(
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
    pub(crate) fn tell(&mut self, word: &str) {
        for child in &mut self.children {
            if let Some(stdin) = child.stdin.as_mut() {
                let _ = stdin.write_all(format!("{word}\n").as_bytes());
                let _ = stdin.flush();
            }
        }
    }

    /// Waits for one line starting with `prefix` from every process.
    pub(crate) async fn collect(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
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
    pub(crate) async fn ready(&self) -> anyhow::Result<usize> {
        Ok(self
            .collect("ready")
            .await?
            .iter()
            .filter_map(|n| n.parse::<usize>().ok())
            .sum())
    }

    pub(crate) fn stop(mut self) {
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
        let port = veza_live_test_support::free_port();
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
pub(crate) struct Setup {
    pub(crate) servers: Vec<Server>,
    pub(crate) db: TestDb,
    pub(crate) prefix: String,
}

impl Setup {
    /// Creates the database and the prefix, starts the server(s) and waits
    /// until they listen.
    pub(crate) async fn start(
        args: &ServerArgs,
        instances: u8,
        rate_limit: u32,
    ) -> anyhow::Result<Self> {
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
    pub(crate) async fn open_rooms(
        &self,
        kind: ServerKind,
        count: usize,
    ) -> anyhow::Result<Vec<Uuid>> {
        open_rooms(kind, &self.prefix, &self.servers, count).await
    }
}
