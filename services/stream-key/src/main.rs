//! `stream-key`: issues, shows, regenerates and validates stream keys.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    veza_live_platform::service::main::<veza_live_stream_key::StreamKey>().await
}
