//! `live-catalog`: stream metadata, status and listings.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    veza_live_platform::service::main::<veza_live_catalog::LiveCatalog>().await
}
