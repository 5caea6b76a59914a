//! The nginx-rtmp control API: dropping a publisher by connection.

use std::time::Duration;

use crate::state::AppState;

/// Drops an RTMP client; best effort (the session also ends and the next
/// `on_update` answers 403, which ends the connection within one update
/// interval if this call fails).
pub async fn drop_client(state: &AppState, app: &str, client_id: &str) {
    let url = format!("{}/drop/client", state.rtmp.control_url);
    let result = state
        .control
        .get(&url)
        .query(&[("app", app), ("clientid", client_id)])
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    match result {
        Ok(res) if res.status().is_success() => {
            metrics::counter!("veza_live_publisher_kicks_total", "outcome" => "dropped")
                .increment(1);
            tracing::info!(
                rtmp.app = app,
                rtmp.client_id = client_id,
                "publisher dropped"
            );
        }
        Ok(res) => {
            metrics::counter!("veza_live_publisher_kicks_total", "outcome" => "refused")
                .increment(1);
            tracing::warn!(
                http.status = res.status().as_u16(),
                "nginx-rtmp refused the drop; on_update will end it"
            );
        }
        Err(error) => {
            metrics::counter!("veza_live_publisher_kicks_total", "outcome" => "unreachable")
                .increment(1);
            tracing::warn!(error = %error, "nginx-rtmp control unreachable; on_update will end it");
        }
    }
}
