//! `/api/v1/live/streams`: one operation per file.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod me;
pub mod thumbnail;
pub mod update;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;
use veza_live_domain::StreamStatus;
use veza_live_platform::{ApiError, auth::AuthUser};

use crate::{
    db::streams::{self, StreamRow},
    rpc,
    state::AppState,
};

/// The owner's view of a stream: the public view plus `stream_key` and
/// `rtmp_url`. When stream-key does not answer, the view goes out without
/// them (logged) rather than failing a read or a change already made.
pub(crate) async fn owner_view(state: &AppState, row: &StreamRow) -> veza_live_domain::Stream {
    let mut view = row.to_view(&state.urls);
    match rpc::clients::issue_key(state, row.user_id).await {
        Ok(key) => {
            view.stream_key = Some(key.stream_key);
            view.rtmp_url = Some(key.rtmp_url);
        }
        Err(error) => {
            tracing::warn!(error = %error, stream.id = %row.id, "owner's view without its key: stream-key did not answer");
        }
    }
    view
}

/// Loads a stream for its owner, locked for the transaction.
///
/// Fails with 404 when it does not exist (or is someone else's draft) and
/// 403 when it belongs to someone else.
pub(crate) async fn owned_for_update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user: &AuthUser,
) -> Result<StreamRow, ApiError> {
    owner_only(streams::find_for_update(conn, id).await?, user)
}

/// Loads a stream for its owner, without locking it.
///
/// Fails as [`owned_for_update`] does.
pub(crate) async fn owned(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user: &AuthUser,
) -> Result<StreamRow, ApiError> {
    owner_only(streams::find(conn, id).await?, user)
}

fn owner_only(row: Option<StreamRow>, user: &AuthUser) -> Result<StreamRow, ApiError> {
    let row = row.ok_or_else(|| ApiError::NotFound("stream not found".into()))?;
    if row.user_id != user.user_id {
        return Err(if row.status == StreamStatus::Draft {
            ApiError::NotFound("stream not found".into())
        } else {
            ApiError::Forbidden("only the stream's owner may do this".into())
        });
    }
    Ok(row)
}
