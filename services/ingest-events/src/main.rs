//! `ingest-events`: RTMP hooks, ingest events, publisher sessions and viewer counts.

use veza_live_ingest_events::{Application, Config};
use veza_live_platform::{
    config::{self, Env},
    shutdown, telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::exit_if_check_config(|| Config::from_env(&Env::process()));
    let config = Config::from_env(&Env::process())?;
    let _telemetry = telemetry::init(
        "ingest-events",
        &config.common.log_filter,
        config.common.log_format,
        config.common.otel_endpoint.as_deref(),
    )?;
    let cancel = shutdown::on_signal();
    let app = Application::build(config, cancel).await?;
    tracing::info!(http.port = app.port(), "ingest-events listening");
    app.run_until_stopped().await
}
