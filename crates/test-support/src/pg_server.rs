//! A private PostgreSQL server for tests that stop and restart the
//! database: `initdb` into a fresh folder, `pg_ctl start` on a free
//! loopback port with its own socket folder, stopped and removed on drop.
//!
//! PostgreSQL refuses to run as root: as root the server runs as
//! `PG_SYS_USER` (default `veza-dev`, the user `scripts/infra.sh` creates),
//! else as `postgres` when that user exists.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::free_port;

/// How long `pg_ctl` waits for a start (crash recovery included).
const START_TIMEOUT_S: u32 = 30;

/// A `postgres` server of one test.
pub struct PgServer {
    port: u16,
    bindir: PathBuf,
    /// Holds `data/`, the socket and the log.
    root: PathBuf,
    run_as: Option<String>,
    running: bool,
}

/// `PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin` holding
/// `initdb`, else `pg_config --bindir`, else the folder of `initdb` on
/// `PATH` (as `scripts/common.sh` finds it).
fn bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return dir;
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").is_file())
        .expect("PostgreSQL server binaries (initdb, pg_ctl) installed (scripts/deps.sh)")
}

fn id_of(user: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, user]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The user the server runs as when this process is root.
fn server_user() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let wanted = std::env::var("PG_SYS_USER").unwrap_or_else(|_| "veza-dev".to_owned());
    [wanted.as_str(), "postgres"]
        .into_iter()
        .find(|u| id_of(u, "-u").is_some())
        .map(str::to_owned)
        .or_else(|| {
            panic!("running as root: PostgreSQL needs a user to run as ({wanted} or postgres); run scripts/infra.sh up test once, or set PG_SYS_USER")
        })
}

impl PgServer {
    /// Initialises a fresh cluster (user `veza`, trust authentication) and
    /// starts it on a free port.
    ///
    /// # Panics
    /// When PostgreSQL is not installed or does not start.
    pub fn start() -> Self {
        let root = std::env::temp_dir().join(format!("veza-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("PostgreSQL test folder");
        let run_as = server_user();
        if let Some(user) = &run_as {
            let uid = id_of(user, "-u");
            let gid = id_of(user, "-g");
            std::os::unix::fs::chown(&root, uid, gid).expect("chown of the PostgreSQL folder");
        }
        let mut server = Self {
            port: free_port(),
            bindir: bindir(),
            root,
            run_as,
            running: false,
        };
        server.initdb();
        server.restart();
        server
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// A command run as the server's user.
    fn command(&self, program: &str) -> Command {
        let binary = self.bindir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(binary);
                c
            }
            None => Command::new(binary),
        }
    }

    fn run(&self, what: &str, command: &mut Command) {
        let out = command
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed ({}):\n{}{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail(20),
        );
    }

    fn initdb(&self) {
        self.run(
            "initdb",
            self.command("initdb")
                .arg("-D")
                .arg(self.data())
                .args([
                    "--auth=trust",
                    "--username=veza",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ])
                .arg("--no-sync"),
        );
        let conf = format!(
            "\n# Written by the test support of Veza Live.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {}\n\
             unix_socket_directories = '{}'\n\
             max_connections = 100\n\
             # A stop -m immediate is a crash of the server, not of the\n\
             # machine: the WAL a commit wrote is in the page cache, so\n\
             # fsync may be off. synchronous_commit stays on: a commit\n\
             # answered before its WAL left shared memory would be lost.\n\
             fsync = off\n\
             full_page_writes = off\n",
            self.port,
            self.root.display(),
        );
        let path = self.data().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).expect("postgresql.conf");
        text.push_str(&conf);
        std::fs::write(&path, text).expect("postgresql.conf");
    }

    /// The admin URL (`postgres` database, user `veza`).
    pub fn admin_url(&self) -> String {
        format!("postgres://veza@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl stop -m immediate`: every server process quits at once,
    /// without a checkpoint; the next start runs crash recovery.
    pub fn stop_immediate(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        self.run(
            "pg_ctl stop -m immediate",
            self.command("pg_ctl").arg("-D").arg(self.data()).args([
                "-m",
                "immediate",
                "-w",
                "stop",
            ]),
        );
    }

    /// Starts the server (again) on the same data folder and port, and
    /// waits until it accepts connections.
    ///
    /// # Panics
    /// When it does not start within 30 s.
    pub fn restart(&mut self) {
        self.stop_immediate();
        self.run(
            "pg_ctl start",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .args(["-w", "-t", &START_TIMEOUT_S.to_string(), "start"]),
        );
        self.running = true;
        let deadline = Instant::now() + Duration::from_secs(u64::from(START_TIMEOUT_S));
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log(), lines)
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if std::thread::panicking() {
            eprintln!("PostgreSQL log:\n{}", self.log_tail(30));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
