//! `join` and `leave`. A join first registers the socket in the room (so
//! frames published from then on are queued), then reads the room's newest
//! `seq` and the history up to it: the last 50 messages, or those after
//! `since_seq`. Queued frames at or below that `seq` are dropped, so a
//! rejoin replays exactly what was missed, in order, without duplicates.

use uuid::Uuid;
use veza_live_domain::{
    StreamStatus,
    chat::{ChatMessage, ServerFrame, codes},
};

use super::{
    MAX_ROOMS_PER_SOCKET,
    connection::{Connection, JoinedRoom},
};
use crate::{
    db::{bans, messages, rooms},
    hub::Member,
};

/// Messages a plain join carries.
pub const HISTORY_ON_JOIN: i64 = 50;
/// Most messages a `since_seq` replay carries.
pub const REPLAY_MAX: i64 = 500;

/// What a join read from the database.
struct Loaded {
    status: StreamStatus,
    accepts_messages: bool,
    last_seq: i64,
    history: Vec<ChatMessage>,
    truncated: bool,
    banned: bool,
}

async fn room_is_open(conn: &Connection, stream_id: Uuid) -> anyhow::Result<bool> {
    let mut db = conn.state.pool.get().await?;
    Ok(rooms::find(&mut db, stream_id)
        .await?
        .is_some_and(|r| r.is_open()))
}

async fn load(
    conn: &Connection,
    stream_id: Uuid,
    since_seq: Option<i64>,
) -> anyhow::Result<Option<Loaded>> {
    let mut db = conn.state.pool.get().await?;
    let Some(row) = rooms::find(&mut db, stream_id)
        .await?
        .filter(super::super::db::rooms::RoomRow::is_open)
    else {
        return Ok(None);
    };
    let last = row.last_seq;
    let (rows, truncated) = match since_seq {
        Some(since) if last - since <= REPLAY_MAX => (
            messages::between(&mut db, stream_id, since, last + 1, REPLAY_MAX).await?,
            false,
        ),
        Some(_) => {
            let mut rows = messages::page(&mut db, stream_id, Some(last + 1), REPLAY_MAX).await?;
            rows.reverse();
            (rows, true)
        }
        None => {
            let mut rows =
                messages::page(&mut db, stream_id, Some(last + 1), HISTORY_ON_JOIN).await?;
            rows.reverse();
            (rows, false)
        }
    };
    let banned = match &conn.user {
        Some(user) => bans::is_banned(&mut db, stream_id, user.user_id, chrono::Utc::now()).await?,
        None => false,
    };
    Ok(Some(Loaded {
        status: row.status(),
        accepts_messages: row.accepts_messages(),
        last_seq: last,
        history: rows
            .iter()
            .map(super::super::db::messages::MessageRow::to_message)
            .collect(),
        truncated,
        banned,
    }))
}

fn unavailable(stream_id: Uuid) -> ServerFrame {
    ServerFrame::error(
        codes::UNAVAILABLE,
        "the chat is unavailable, retry later",
        Some(stream_id),
    )
}

fn not_found(stream_id: Uuid) -> ServerFrame {
    ServerFrame::error(
        codes::NOT_FOUND,
        "no chat room for this stream",
        Some(stream_id),
    )
}

/// Joins a room (a second join of the same room reloads it).
pub async fn join(conn: &mut Connection, stream_id: Uuid, since_seq: Option<i64>) -> ServerFrame {
    if since_seq.is_some_and(|s| s < 0) {
        return ServerFrame::error(
            codes::VALIDATION_FAILED,
            "since_seq must not be negative",
            Some(stream_id),
        );
    }
    if conn.room_mut(stream_id).is_some() {
        leave(conn, stream_id);
    }
    if conn.rooms.len() >= MAX_ROOMS_PER_SOCKET {
        return ServerFrame::error(
            codes::TOO_MANY_ROOMS,
            "leave a room before joining another",
            Some(stream_id),
        );
    }
    match room_is_open(conn, stream_id).await {
        Ok(true) => {}
        Ok(false) => return not_found(stream_id),
        Err(error) => {
            tracing::warn!(error = %error, stream.id = %stream_id, "join failed");
            return unavailable(stream_id);
        }
    }
    let hub = conn.state.hub.clone();
    let member = Member {
        tx: conn.tx.clone(),
        kill: conn.kill.clone(),
        user_id: conn.user.as_ref().map(|u| u.user_id),
        listening: false,
    };
    let room = match hub.join(stream_id, conn.conn_id, member).await {
        Ok(room) => room,
        Err(error) => {
            tracing::warn!(error = %error, stream.id = %stream_id, "join failed");
            return unavailable(stream_id);
        }
    };
    let loaded = match load(conn, stream_id, since_seq).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            hub.leave(stream_id, conn.conn_id);
            return not_found(stream_id);
        }
        Err(error) => {
            tracing::warn!(error = %error, stream.id = %stream_id, "join failed");
            hub.leave(stream_id, conn.conn_id);
            return unavailable(stream_id);
        }
    };
    let status = room.observe_status(loaded.status);
    conn.rooms.push(JoinedRoom {
        stream_id,
        last_seq: loaded.last_seq,
        muted_until: None,
    });
    ServerFrame::Joined {
        stream_id,
        can_send: conn.user.is_some() && loaded.accepts_messages && !loaded.banned,
        viewer_count: hub.current_viewers(stream_id),
        status,
        last_seq: loaded.last_seq,
        history: loaded.history,
        history_truncated: loaded.truncated,
    }
}

/// Leaves a room.
pub fn leave(conn: &mut Connection, stream_id: Uuid) -> ServerFrame {
    let before = conn.rooms.len();
    conn.rooms.retain(|r| r.stream_id != stream_id);
    if conn.rooms.len() == before {
        return ServerFrame::error(codes::NOT_JOINED, "not in this room", Some(stream_id));
    }
    conn.state.hub.leave(stream_id, conn.conn_id);
    ServerFrame::Left { stream_id }
}
