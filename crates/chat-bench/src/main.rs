//! `chat-bench`: a load tool for chat-gateway on loopback.
//!
//! The parent process runs chat-gateway in-process (on the test PostgreSQL
//! and NATS, a throw-away database) and spawns client processes, each
//! holding its share of the sockets, since one process may open only about
//! 20,000 files here. Every run is bounded in sockets and time.
//!
//! - `chat-bench idle --sockets N --procs P`: N sockets join one room and
//!   stay idle; reports the server's RSS growth per socket.
//! - `chat-bench broadcast --sockets N --procs P --messages M --rate R`:
//!   N sockets in one room, one sender sends M messages at R per second;
//!   reports delivery latency (send to receipt, persistence included)
//!   p50/p99 and frames per second.
//!
//! `TEST_DATABASE_URL` and `TEST_NATS_URL` say where the servers are.

mod client;
mod histogram;
mod server;

use std::{collections::HashMap, time::Duration};

use anyhow::{Context, bail};

/// Most sockets one run may open.
const MAX_SOCKETS: usize = 40_000;
/// Most sockets per client process (the file limit is about 20,000).
const MAX_PER_PROC: usize = 15_000;

/// `--key value` arguments.
pub struct Args(HashMap<String, String>);

impl Args {
    fn parse(raw: &[String]) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        let mut it = raw.iter();
        while let Some(key) = it.next() {
            let Some(name) = key.strip_prefix("--") else {
                bail!("unexpected argument {key:?}");
            };
            let value = it
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            map.insert(name.to_owned(), value.clone());
        }
        Ok(Self(map))
    }

    /// A numeric argument with a default.
    pub fn num(&self, name: &str, default: u64) -> anyhow::Result<u64> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} {v:?} is not a number")),
        }
    }

    /// A text argument.
    pub fn text(&self, name: &str) -> anyhow::Result<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("--{name} is required"))
    }
}

fn main() -> anyhow::Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = raw.split_first() else {
        bail!(
            "usage: chat-bench idle|broadcast [--sockets N] [--procs P] [--messages M] [--rate R]"
        );
    };
    let args = Args::parse(rest)?;
    match command.as_str() {
        // Client processes use one thread: the parent owns the other core.
        "client" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(client::run(&args)),
        "idle" | "broadcast" => {
            let sockets = usize::try_from(args.num("sockets", 1000)?)?;
            let procs = usize::try_from(args.num("procs", 1)?)?.max(1);
            if sockets == 0 || sockets > MAX_SOCKETS || sockets.div_ceil(procs) > MAX_PER_PROC {
                bail!(
                    "--sockets must be 1..={MAX_SOCKETS} with at most {MAX_PER_PROC} per process"
                );
            }
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(server::run(command, sockets, procs, &args))
        }
        other => bail!("unknown command {other:?}"),
    }
}

/// Bounds every wait of a run.
pub const RUN_LIMIT: Duration = Duration::from_secs(600);
