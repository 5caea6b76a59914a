//! Real service binaries as child processes: started on a free port,
//! ready once `/readyz` (or another probe) answers 200, stopped by PID when dropped.

use std::{
    collections::HashSet,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::Mutex,
    time::Duration,
};

use tokio::time::Instant;

/// How long a service may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a dropped service gets to stop after SIGTERM before SIGKILL.
const DROP_GRACE: Duration = Duration::from_secs(5);

/// Binaries this test process has already checked or built.
static CHECKED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `CARGO_TARGET_DIR` (relative to the workspace when relative), else
/// `<workspace>/target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The debug binary `name` of `package`, built once when it is missing.
///
/// # Panics
/// When the build fails.
pub fn binary(name: &'static str, package: &str) -> PathBuf {
    let path = target_dir().join("debug").join(name);
    let mut checked = CHECKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let checked = checked.get_or_insert_with(HashSet::new);
    if checked.contains(name) {
        return path;
    }
    if !path.is_file() {
        eprintln!(
            "faults: {name} is not built at {}; building it with `cargo build -p {package} --bin {name}`",
            path.display()
        );
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", name])
            .current_dir(workspace_root())
            .status()
            .unwrap_or_else(|e| panic!("running cargo build for {name}: {e}"));
        assert!(
            status.success(),
            "cargo build -p {package} --bin {name} failed: {status}"
        );
        assert!(
            path.is_file(),
            "cargo build did not write {}",
            path.display()
        );
    }
    checked.insert(name);
    path
}

pub use veza_live_test_support::free_port;

/// One service binary run as a child process.
pub struct Service {
    name: &'static str,
    binary: PathBuf,
    env: Vec<(String, String)>,
    port: u16,
    log: PathBuf,
    /// The path that answers 200 once the process is ready.
    ready_path: &'static str,
    child: Option<Child>,
}

impl Service {
    /// Starts `name` (of `package`) with exactly `env` plus `PATH` and
    /// `LISTEN_ADDR` on a free port, and waits until it is ready.
    pub async fn start(name: &'static str, package: &str, env: Vec<(String, String)>) -> Self {
        Self::start_probing(name, package, env, "/readyz").await
    }

    /// [`Service::start`], ready once `ready_path` answers 200 (the
    /// gateway's `/readyz` needs every upstream; `/healthz` only itself).
    pub async fn start_probing(
        name: &'static str,
        package: &str,
        env: Vec<(String, String)>,
        ready_path: &'static str,
    ) -> Self {
        let binary = binary(name, package);
        let log = std::env::temp_dir().join(format!(
            "veza-faults-{name}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut service = Self {
            name,
            binary,
            env,
            port: free_port(),
            log,
            ready_path,
            child: None,
        };
        service.restart().await;
        service
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process again with the same environment, port and log,
    /// and waits until it is ready (it must not be running).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "{} is still running", self.name);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log file");
        let err = log.try_clone().expect("service log file");
        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("LISTEN_ADDR", format!("127.0.0.1:{}", self.port))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.binary.display()));
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        let url = format!("{}{}", self.base(), self.ready_path);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(res) = client.get(&url).send().await
                && res.status() == reqwest::StatusCode::OK
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!(
                    "{} exited before it was ready ({status}):\n{}",
                    self.name,
                    self.log_tail(30)
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} was not ready on {url} within {READY_TIMEOUT:?}:\n{}",
                self.name,
                self.log_tail(30)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM (the process keeps running until it exits by itself).
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM runs");
            assert!(status.success(), "kill -TERM {} failed", child.id());
        }
    }

    /// Waits until the process exits; `None` when it is still running after
    /// `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last `lines` lines of the process's output.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = std::time::Instant::now() + DROP_GRACE;
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "{} output (kept at {}):\n{}",
                self.name,
                self.log.display(),
                self.log_tail(40)
            );
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}
