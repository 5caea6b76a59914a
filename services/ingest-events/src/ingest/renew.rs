//! `on_update` of an RTMP publisher: renew its session's lease, or refuse
//! a connection whose session ended (a rotated key, an expired lease).

use diesel_async::AsyncConnection;

use super::IngestError;
use crate::{
    db::sessions::{self, Source},
    state::AppState,
};

/// Renews the session of an nginx-rtmp connection; false when it has no
/// active session and must be disconnected.
///
/// Fails when the database is unavailable.
pub async fn renew_rtmp(state: &AppState, app: &str, client_id: &str) -> Result<bool, IngestError> {
    let mut conn = state.pool.get().await?;
    let until = state.leases.until(Source::Rtmp);
    conn.transaction(async |conn| {
        match sessions::latest_of_rtmp_client(conn, app, client_id).await? {
            Some(session) if session.is_active() => {
                sessions::renew(conn, session.id, until).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    })
    .await
}
