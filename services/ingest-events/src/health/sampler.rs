//! Reads nginx-rtmp's `/stat` every `HEALTH_SAMPLE_INTERVAL_MS` and records
//! each live RTMP session's publisher in the [`HealthBook`]. A publisher is
//! matched by the nginx client id its session keeps, never by its stream
//! name (the key).

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use veza_live_platform::tasks;

use super::{HealthBook, stat};
use crate::{db::sessions, state::AppState};

/// Longest wait for nginx-rtmp's statistics.
const STAT_TIMEOUT: Duration = Duration::from_secs(2);

/// Samples until `cancel` fires.
pub fn spawn(state: AppState, every: Duration, cancel: CancellationToken) -> JoinHandle<()> {
    tasks::every(every, cancel, "stream health not sampled", move || {
        let state = state.clone();
        async move { sample(&state).await }
    })
}

async fn sample(state: &AppState) -> anyhow::Result<()> {
    let live = {
        let mut conn = state.pool.get().await?;
        sessions::live_sessions(&mut conn).await?
    };
    let book: &HealthBook = &state.health;
    book.retain(&live.iter().map(|s| (s.stream_id, s.id)).collect());
    let rtmp: Vec<_> = live
        .iter()
        .filter(|s| s.rtmp_app.as_deref() == Some(state.rtmp.live_app.as_str()))
        .collect();
    if rtmp.is_empty() {
        return Ok(());
    }
    let xml = state
        .control
        .get(&state.rtmp.stat_url)
        .timeout(STAT_TIMEOUT)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let at = Utc::now();
    let publishers: HashMap<String, stat::Publisher> = stat::publishers(&xml, &state.rtmp.live_app)
        .into_iter()
        .map(|p| (p.client_id.clone(), p))
        .collect();
    for session in rtmp {
        let found = session
            .rtmp_client_id
            .as_deref()
            .and_then(|id| publishers.get(id));
        book.record(session.stream_id, session.id, at, found);
    }
    Ok(())
}
