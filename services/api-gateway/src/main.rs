//! `api-gateway`: the one public entry: routing, WebSocket proxying, CORS, rate limits, docs.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    veza_live_platform::service::main::<veza_live_api_gateway::ApiGateway>().await
}
