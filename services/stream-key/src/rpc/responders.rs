//! Request/reply subjects stream-key answers: `live.rpc.keys.issue` (get or
//! create the streamer's key) and `live.rpc.keys.validate` (whose key is
//! this).

use veza_live_domain::rpc::{IssueKey, IssuedKey, ValidateKey};
use veza_live_platform::{nats::Refusal, service::Startup};

use crate::{keys, state::AppState};

/// The queue group all stream-key replicas share.
const QUEUE: &str = "stream-key";

/// Starts both responders.
pub async fn spawn(startup: &mut Startup, state: &AppState) {
    startup
        .respond::<IssueKey, _, _, _>(state, QUEUE, |state, req| async move {
            let stream_key = keys::get_or_create(&state, req.user_id)
                .await
                .map_err(|error| Refusal::Unavailable(format!("keys.issue: {error}")))?;
            Ok(IssuedKey {
                stream_key,
                rtmp_url: state.rtmp_public_url.clone(),
            })
        })
        .await;
    startup
        .respond::<ValidateKey, _, _, _>(state, QUEUE, |state, req| async move {
            keys::validate(&state, req).await
        })
        .await;
}
