//! `chat-bench`: a load tool for a chat server on loopback — chat-gateway
//! (the release binary next to this one) or the Node.js `ws` peer of
//! `bench/peers/chat.js` — driven by the same client code.
//!
//! The parent process creates a throw-away database on the test
//! PostgreSQL, starts the server(s) as child processes, opens one live
//! room and spawns client processes, each holding its share of the
//! sockets, since one process may open only about 20,000 files here. The
//! server's memory and CPU are read from `/proc/<pid>` of its process
//! alone. Every run is bounded in sockets and time.
//!
//! - `chat-bench idle --sockets N --procs P`: N sockets join one room and
//!   stay idle; reports the server's RSS growth per socket.
//! - `chat-bench broadcast --sockets N --procs P --messages M --rate R`:
//!   the same, then one sender sends M messages at R per second; reports
//!   delivery latency p50/p99 (from the sender's stamp and from the
//!   server's `created_at`, stamped before the commit), frames per second
//!   and the server's CPU per 100,000 delivered frames.
//! - `--server node` runs the Node.js peer instead; `--instances 2` puts
//!   the listeners on a second chat-gateway, so frames cross NATS.
//! - `--json FILE` writes the figures for `bench/bench.py`.
//!
//! `TEST_DATABASE_URL` and `TEST_NATS_URL` say where the servers are.

mod client;
mod histogram;
mod server;

use std::{path::PathBuf, time::Duration};

use anyhow::bail;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Most sockets one run may open.
const MAX_SOCKETS: usize = 40_000;
/// Most sockets per client process (the file limit is about 20,000).
const MAX_PER_PROC: usize = 15_000;

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

/// A measured run.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    /// The server under test.
    #[arg(long, value_enum, default_value_t = ServerKind::Ours)]
    pub server: ServerKind,
    /// chat-gateway's binary (default: next to this one).
    #[arg(long)]
    pub gateway_bin: Option<PathBuf>,
    /// The Node.js peer's script.
    #[arg(long, default_value = "bench/peers/chat.js")]
    pub node_script: PathBuf,
    /// Sockets in the room.
    #[arg(long, default_value_t = 1000)]
    pub sockets: usize,
    /// Client processes sharing the sockets.
    #[arg(long, default_value_t = 1)]
    pub procs: usize,
    /// Messages the sender sends (broadcast).
    #[arg(long, default_value_t = 50)]
    pub messages: u64,
    /// Messages per second (broadcast).
    #[arg(long, default_value_t = 10)]
    pub rate: u64,
    /// chat-gateway's HTTP workers.
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// chat-gateway instances; with 2 the listeners are on the second.
    #[arg(long, default_value_t = 1)]
    pub instances: u8,
    /// Where the servers' logs go (default: a temporary folder).
    #[arg(long)]
    pub logs: Option<PathBuf>,
    /// Writes the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A client process's share.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    #[arg(long)]
    pub port: u16,
    #[arg(long)]
    pub stream: String,
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    #[arg(long, default_value_t = 0)]
    pub messages: u64,
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
        Command::Idle(args) => (false, args),
        Command::Broadcast(args) => (true, args),
    };
    args.procs = args.procs.max(1);
    if args.sockets == 0
        || args.sockets > MAX_SOCKETS
        || args.sockets.div_ceil(args.procs) > MAX_PER_PROC
    {
        bail!("--sockets must be 1..={MAX_SOCKETS} with at most {MAX_PER_PROC} per process");
    }
    if !(1..=2).contains(&args.instances)
        || (args.instances == 2 && args.server == ServerKind::Node)
    {
        bail!("--instances is 1 or 2 (2 for chat-gateway only)");
    }
    args.messages = if broadcast {
        args.messages.clamp(1, 10_000)
    } else {
        0
    };
    args.rate = args.rate.clamp(1, 1000);
    args.workers = args.workers.clamp(1, 8);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(server::run(&args))
}

/// Bounds every wait of a run.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);
