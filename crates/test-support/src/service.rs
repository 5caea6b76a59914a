//! Any service, in-process on port 0, as the binary runs it.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::{
    config::{Env, ServiceConfig},
    service::Service,
};

use crate::HttpClient;

/// One running service.
pub struct Running {
    pub port: u16,
    pub http: HttpClient,
    cancel: CancellationToken,
    handle: JoinHandle<Result<(), String>>,
}

impl Running {
    /// Stops gracefully and waits for the shutdown to finish.
    pub async fn stop(self) {
        self.cancel.cancel();
        match tokio::time::timeout(Duration::from_secs(20), self.handle).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("service ended with an error: {e}"),
            Ok(Err(e)) => panic!("service task failed: {e}"),
            Err(_) => panic!("service did not stop within 20 s"),
        }
    }
}

/// Builds `S` from `env` (set `LISTEN_ADDR=127.0.0.1:0`) and serves it in
/// a task until [`Running::stop`].
///
/// Panics when the configuration is invalid or the service cannot start.
pub async fn spawn<S: Service>(env: &Env) -> Running {
    let config =
        S::Config::from_env(env).unwrap_or_else(|e| panic!("{}: bad config: {e}", name::<S>()));
    let cancel = CancellationToken::new();
    let app = S::build(config, cancel.clone())
        .await
        .unwrap_or_else(|e| panic!("{} does not start: {e:#}", name::<S>()));
    let port = app.port();
    let handle =
        tokio::spawn(async move { app.run_until_stopped().await.map_err(|e| format!("{e:#}")) });
    Running {
        port,
        http: HttpClient::local(port),
        cancel,
        handle,
    }
}

fn name<S>() -> &'static str {
    std::any::type_name::<S>()
        .rsplit("::")
        .next()
        .unwrap_or("service")
}
