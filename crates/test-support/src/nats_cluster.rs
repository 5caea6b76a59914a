//! A private three-node NATS JetStream cluster on loopback, as operators
//! run NATS in production: one `nats-server` per node with its own client,
//! route and monitoring ports, store folder and server name, routes to the
//! two others, killed by PID when dropped.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::free_port;

/// Nodes in the cluster.
pub const NODES: usize = 3;

/// How long a node may take to be healthy (JetStream current).
const READY_TIMEOUT: Duration = Duration::from_secs(20);

struct Node {
    name: String,
    client_port: u16,
    monitor_port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// Three `nats-server` processes forming cluster `veza-test`.
pub struct NatsCluster {
    root: PathBuf,
    nodes: Vec<Node>,
}

/// The status of `GET path` on a loopback HTTP port, if it answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

impl NatsCluster {
    /// Starts three nodes with JetStream and waits until each is healthy
    /// (routes up, a JetStream meta leader elected).
    ///
    /// # Panics
    /// When `nats-server` is missing or the cluster does not form within 20 s.
    pub fn start() -> Self {
        let root = std::env::temp_dir().join(format!(
            "veza-nats-cluster-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&root).expect("cluster folder");
        let route_ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
        let routes = route_ports
            .iter()
            .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let nodes = (0..NODES)
            .map(|i| {
                let name = format!("n{i}");
                let (client_port, monitor_port) = (free_port(), free_port());
                let store = root.join(format!("{name}-store"));
                let config = root.join(format!("{name}.conf"));
                let text = format!(
                    "server_name: \"{name}\"\n\
                     listen: \"127.0.0.1:{client_port}\"\n\
                     http: \"127.0.0.1:{monitor_port}\"\n\
                     jetstream {{\n  store_dir: \"{}\"\n  max_memory_store: 64MB\n  max_file_store: 1GB\n}}\n\
                     cluster {{\n  name: \"veza-test\"\n  listen: \"127.0.0.1:{}\"\n  routes: [{routes}]\n}}\n",
                    store.display(),
                    route_ports[i],
                );
                std::fs::write(&config, text).expect("node config");
                Node {
                    log: root.join(format!("{name}.log")),
                    name,
                    client_port,
                    monitor_port,
                    config,
                    child: None,
                }
            })
            .collect();
        let mut cluster = Self { root, nodes };
        for i in 0..NODES {
            cluster.spawn(i);
        }
        for i in 0..NODES {
            cluster.wait_healthy(i);
        }
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&node.log)
            .expect("node log");
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&node.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts (install it with scripts/deps.sh)");
        node.child = Some(child);
    }

    /// Waits until node `i` answers `/healthz` with 200: routes up and
    /// JetStream current with the meta leader.
    ///
    /// # Panics
    /// After 20 s.
    pub fn wait_healthy(&self, i: usize) {
        let node = &self.nodes[i];
        let deadline = Instant::now() + READY_TIMEOUT;
        while http_status(node.monitor_port, "/healthz") != Some(200) {
            assert!(
                Instant::now() < deadline,
                "NATS node {} not healthy within {READY_TIMEOUT:?}:\n{}",
                node.name,
                self.log_tail(i, 20)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The client URL of every node.
    pub fn client_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect()
    }

    /// Every client URL, comma-separated, as `NATS_URL` takes them.
    pub fn urls(&self) -> String {
        self.client_urls().join(",")
    }

    /// The server name of node `i` (`n0`, `n1`, `n2`).
    pub fn name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    /// The node with server name `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// Kills node `i` at once (SIGKILL), as a crash would.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `i` again on the same ports, store and name, and waits
    /// until it is healthy (caught up with the cluster).
    ///
    /// # Panics
    /// When it is not healthy within 20 s.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i);
        self.wait_healthy(i);
    }

    /// The last `lines` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..NODES {
            self.kill(i);
        }
        if std::thread::panicking() {
            for i in 0..NODES {
                eprintln!(
                    "NATS node {} log:\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 15)
                );
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
