//! `ingest-events`: RTMP hooks, ingest events, publisher sessions and viewer counts.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    veza_live_platform::service::main::<veza_live_ingest_events::IngestEvents>().await
}
