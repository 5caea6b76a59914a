//! `stream-key`: issues, shows, regenerates and validates stream keys.

use veza_live_platform::{
    config::{self, Env},
    shutdown, telemetry,
};
use veza_live_stream_key::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::exit_if_check_config(|| Config::from_env(&Env::process()));
    let config = Config::from_env(&Env::process())?;
    let _telemetry = telemetry::init(
        "stream-key",
        &config.common.log_filter,
        config.common.log_format,
        config.common.otel_endpoint.as_deref(),
    )?;
    let cancel = shutdown::on_signal();
    let app = Application::build(config, cancel).await?;
    tracing::info!(http.port = app.port(), "stream-key listening");
    app.run_until_stopped().await
}
