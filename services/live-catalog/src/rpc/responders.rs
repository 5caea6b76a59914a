//! Request/reply subjects the catalog answers:
//! - `live.rpc.catalog.resolve_publish`: which stream goes live when the
//!   streamer publishes (refused when one is already live);
//! - `live.rpc.catalog.ensure_draft`: the streamer's current stream,
//!   creating a draft when there is none.
//!
//! - `live.rpc.catalog.stream_owner`: the owner and status of a stream, for
//!   RTMP servers that report streams by id.
//!
//! The first two apply the catalog's rule of which stream is the
//! streamer's current one ([`crate::publishing`]).

use uuid::Uuid;
use veza_live_domain::rpc::{EnsureDraft, LookUpStreamOwner, ResolvePublish, StreamOwner, codes};
use veza_live_platform::{nats::Refusal, service::Startup};

use crate::{
    db::streams,
    publishing::{self, Purpose},
    state::AppState,
};

/// The queue group all catalog replicas share.
const QUEUE: &str = "live-catalog";

/// Starts the responders.
pub async fn spawn(startup: &mut Startup, state: &AppState) {
    startup
        .respond::<LookUpStreamOwner, _, _, _>(state, QUEUE, |state, req| async move {
            stream_owner(&state, req.stream_id).await
        })
        .await;
    startup
        .respond::<ResolvePublish, _, _, _>(state, QUEUE, |state, req| async move {
            publishing::stream_for_user(&state, &req, Purpose::Publish).await
        })
        .await;
    startup
        .respond::<EnsureDraft, _, _, _>(state, QUEUE, |state, req| async move {
            publishing::stream_for_user(&state, &req, Purpose::EnsureDraft).await
        })
        .await;
}

async fn stream_owner(state: &AppState, stream_id: Uuid) -> Result<StreamOwner, Refusal> {
    let mut conn = state.pool.get().await?;
    let row = streams::find(&mut conn, stream_id)
        .await?
        .ok_or_else(|| Refusal::new(codes::NOT_FOUND, "no such stream"))?;
    Ok(StreamOwner {
        stream_id,
        user_id: row.user_id,
        status: row.status,
        record_replay: row.record_replay,
    })
}
