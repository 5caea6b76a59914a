//! [`Application`]: a built service, serving until it is stopped, then
//! stopping in order.

use actix_web::dev::Server;

use super::Startup;

/// A built service: listening, with its background tasks running.
pub struct Application {
    pub(super) port: u16,
    pub(super) server: Server,
    pub(super) startup: Startup,
}

impl Application {
    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the service's token fires, then drains requests, stops
    /// consumers and timers, flushes the outbox and stops the late tasks.
    ///
    /// Fails when the HTTP server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            server, startup, ..
        } = self;
        let handle = server.handle();
        let cancel = startup.cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        let served = server.await;
        startup.cancel.cancel();
        // Only now: requests that finished during the drain wrote outbox rows.
        startup.drained.cancel();
        for task in startup.tasks {
            let _ = task.await;
        }
        startup.late.cancel();
        for task in startup.late_tasks {
            let _ = task.await;
        }
        Ok(served?)
    }
}
