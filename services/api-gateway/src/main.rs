//! `api-gateway`: the one public entry: routing, WebSocket proxying, CORS, rate limits, docs.

use veza_live_api_gateway::{Application, Config};
use veza_live_platform::{
    config::{self, Env},
    shutdown, telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::exit_if_check_config(|| Config::from_env(&Env::process()));
    let config = Config::from_env(&Env::process())?;
    let _telemetry = telemetry::init(
        "api-gateway",
        &config.base.log_filter,
        config.base.log_format,
        config.base.otel_endpoint.as_deref(),
    )?;
    let cancel = shutdown::on_signal();
    let app = Application::build(config, cancel).await?;
    tracing::info!(http.port = app.port(), "api-gateway listening");
    app.run_until_stopped().await
}
