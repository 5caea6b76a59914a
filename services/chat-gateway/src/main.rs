//! `chat-gateway`: live chat per stream over WebSocket.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    veza_live_platform::service::main::<veza_live_chat_gateway::ChatGateway>().await
}
