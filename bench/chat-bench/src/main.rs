//! `chat-bench`: a load tool for a chat server on loopback — chat-gateway
//! (the release binary next to this one) or the Node.js `ws` peer of
//! `bench/peers/chat.js` — driven by the same client code.
//!
//! The parent process creates a throw-away database on the test
//! PostgreSQL, starts the server(s) as child processes, opens the live
//! room(s) and spawns client processes, each holding its share of the
//! sockets, since one process may open only about 20,000 files here. The
//! server's memory and CPU are read from `/proc/<pid>` of its process
//! alone. Every run is bounded in sockets, rooms and time.
//!
//! - `chat-bench idle --sockets N --procs P`: N sockets join one room and
//!   stay idle; reports the server's RSS growth per socket.
//! - `chat-bench broadcast --sockets N --procs P --messages M --rate R`:
//!   the same, then one sender sends M messages at R per second; reports
//!   delivery latency p50/p99 (from the sender's stamp and from the
//!   server's `created_at`, stamped before the commit), frames per second
//!   and the server's CPU per 100,000 delivered frames.
//! - `chat-bench rooms --rooms N --users U --rate R --seconds S --procs P`:
//!   N live rooms of U authenticated users each, every user sending at a
//!   steady rate so that all the users together offer R messages per
//!   second for S seconds; reports the accepted messages per second (the
//!   author's own copy of its message is its acknowledgement), refusals
//!   by error code, latency from send to acknowledgement and from the
//!   server's `created_at` to the other members, frames delivered, the
//!   server's CPU and RSS, and the messages persisted, counted in the
//!   database afterwards. Both servers get a per-user rate limit
//!   (`CHAT_RATE_LIMIT`) of twice what a user sends in the 10 s window, or
//!   the design's 5 when that is more, so a steady sender is never refused.
//! - `--server node` runs the Node.js peer instead; `--instances 2` puts
//!   the listeners on a second chat-gateway, so frames cross NATS.
//! - `--json FILE` writes the figures for `bench/bench.py`.
//!
//! `TEST_DATABASE_URL` and `TEST_NATS_URL` say where the servers are.

mod broadcast;
mod client;
mod histogram;
mod rooms;
mod server;

use std::{path::PathBuf, time::Duration};

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Most sockets one run may open.
const MAX_SOCKETS: usize = 40_000;
/// Most sockets per client process (the file limit is about 20,000).
const MAX_PER_PROC: usize = 15_000;
/// Most rooms of a `rooms` run.
const MAX_ROOMS: usize = 500;
/// Most users per room of a `rooms` run.
const MAX_USERS: usize = 100;
/// Longest sending phase of a `rooms` run, in seconds.
const MAX_SECONDS: u64 = 60;
/// Highest offered rate of a `rooms` run, in messages per second.
const MAX_ROOMS_RATE: u64 = 20_000;

#[derive(Parser)]
#[command(name = "chat-bench", about = "Load tool for chat servers on loopback")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sockets join one room and stay idle: RSS per socket.
    Idle(RunArgs),
    /// Sockets join one room, one sender broadcasts: latency, frames/s, CPU.
    Broadcast(RunArgs),
    /// Many rooms, every user sending: accepted messages/s, latency,
    /// persisted messages, CPU.
    Rooms(RoomsArgs),
    /// A client process (started by the parent).
    #[command(hide = true)]
    Client(ClientArgs),
}

/// Which server is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServerKind {
    /// chat-gateway, the release binary.
    Ours,
    /// The Node.js `ws` peer.
    Node,
}

/// The server side of a run and where its output goes, shared by every
/// measured subcommand.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs {
    /// The server under test.
    #[arg(long, value_enum, default_value_t = ServerKind::Ours)]
    pub server: ServerKind,
    /// chat-gateway's binary (default: next to this one).
    #[arg(long)]
    pub gateway_bin: Option<PathBuf>,
    /// The Node.js peer's script.
    #[arg(long, default_value = "bench/peers/chat.js")]
    pub node_script: PathBuf,
    /// Client processes sharing the sockets.
    #[arg(long, default_value_t = 1)]
    pub procs: usize,
    /// chat-gateway's HTTP workers.
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// Where the servers' logs go (default: a temporary folder).
    #[arg(long)]
    pub logs: Option<PathBuf>,
    /// Writes the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// An `idle` or `broadcast` run.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: ServerArgs,
    /// Sockets in the room.
    #[arg(long, default_value_t = 1000)]
    pub sockets: usize,
    /// Messages the sender sends (broadcast).
    #[arg(long, default_value_t = 50)]
    pub messages: u64,
    /// Messages per second (broadcast).
    #[arg(long, default_value_t = 10)]
    pub rate: u64,
    /// chat-gateway instances; with 2 the listeners are on the second.
    #[arg(long, default_value_t = 1)]
    pub instances: u8,
}

/// A `rooms` run.
#[derive(Args, Clone, Debug)]
pub struct RoomsArgs {
    #[command(flatten)]
    pub common: ServerArgs,
    /// Live rooms.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Authenticated users per room, each on its own socket.
    #[arg(long, default_value_t = 20)]
    pub users: usize,
    /// Messages per second offered by all users together.
    #[arg(long, default_value_t = 7000)]
    pub rate: u64,
    /// How long the users send, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// A client process's share.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    #[arg(long)]
    pub port: u16,
    /// The room(s), comma-separated: one for `idle` and `broadcast`, this
    /// process's rooms for `rooms`.
    #[arg(long, value_delimiter = ',', required = true)]
    pub stream: Vec<String>,
    /// Anonymous listeners in the room (`idle`, `broadcast`).
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// Messages each listener expects (`broadcast`), or each user sends
    /// (`rooms`).
    #[arg(long, default_value_t = 0)]
    pub messages: u64,
    /// Authenticated users per room, each sending (`rooms`); 0 for
    /// anonymous listeners.
    #[arg(long, default_value_t = 0)]
    pub users: usize,
    /// Seconds over which each user spreads its messages (`rooms`).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (broadcast, mut args) = match cli.command {
        // Client processes use one thread: the parent and the server own
        // the other core.
        Command::Client(args) => {
            return tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(client::run(&args));
        }
        Command::Rooms(mut args) => {
            args.common.procs = args.common.procs.clamp(1, args.rooms.max(1));
            if !(1..=MAX_ROOMS).contains(&args.rooms) || !(2..=MAX_USERS).contains(&args.users) {
                bail!("--rooms must be 1..={MAX_ROOMS} and --users 2..={MAX_USERS}");
            }
            if args.rooms.div_ceil(args.common.procs) * args.users > MAX_PER_PROC {
                bail!("at most {MAX_PER_PROC} sockets per process: raise --procs");
            }
            if !(1..=MAX_SECONDS).contains(&args.seconds)
                || !(1..=MAX_ROOMS_RATE).contains(&args.rate)
            {
                bail!("--seconds must be 1..={MAX_SECONDS} and --rate 1..={MAX_ROOMS_RATE}");
            }
            args.common.workers = args.common.workers.clamp(1, 8);
            return runtime()?.block_on(rooms::run_rooms(&args));
        }
        Command::Idle(args) => (false, args),
        Command::Broadcast(args) => (true, args),
    };
    args.common.procs = args.common.procs.max(1);
    if args.sockets == 0
        || args.sockets > MAX_SOCKETS
        || args.sockets.div_ceil(args.common.procs) > MAX_PER_PROC
    {
        bail!("--sockets must be 1..={MAX_SOCKETS} with at most {MAX_PER_PROC} per process");
    }
    if !(1..=2).contains(&args.instances)
        || (args.instances == 2 && args.common.server == ServerKind::Node)
    {
        bail!("--instances is 1 or 2 (2 for chat-gateway only)");
    }
    args.messages = if broadcast {
        args.messages.clamp(1, 10_000)
    } else {
        0
    };
    args.rate = args.rate.clamp(1, 1000);
    args.common.workers = args.common.workers.clamp(1, 8);
    runtime()?.block_on(broadcast::run(&args))
}

/// The parent's runtime: one worker, the server owns the other core.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

/// Bounds every wait of a run.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);
