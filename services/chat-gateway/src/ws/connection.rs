//! One socket's task: reads and answers client frames, drains the socket's
//! queue of room frames, keeps the socket alive or closes it.

use std::{pin::Pin, sync::Arc, time::Duration};

use actix_web::web::{self, BytesMut};
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use bytestring::ByteString;
use chrono::Utc;
use tokio::{sync::mpsc, time::Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use veza_live_domain::chat::{ClientFrame, ServerFrame, codes};
use veza_live_platform::auth::AuthUser;

use super::{MAX_FRAME_BYTES, join, send};
use crate::{
    hub::{self, Frame},
    metrics as m,
    state::AppState,
};

/// A room this socket is in.
#[derive(Debug)]
pub struct JoinedRoom {
    pub stream_id: Uuid,
    /// The newest `seq` this socket has; older or equal ones are dropped.
    pub last_seq: i64,
    /// A send refused for the rate limit is refused here, without a
    /// database round trip, until this instant.
    pub muted_until: Option<Instant>,
}

/// The state of one socket.
pub struct Connection {
    pub state: web::Data<AppState>,
    pub user: Option<AuthUser>,
    pub conn_id: u64,
    pub kill: CancellationToken,
    pub tx: mpsc::Sender<Frame>,
    pub rooms: Vec<JoinedRoom>,
}

/// Why the task stops.
enum Stop {
    /// The peer went away or closed; nothing more to say.
    Gone,
    /// The server closes the socket, for this reason.
    Close(Closing),
}

/// Why the server closes a socket: its close code, description and the
/// `reason` label of `veza_live_chat_disconnects_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    Shutdown,
    SlowConsumer,
    FrameTooLarge,
    MessageTooLarge,
    ProtocolError,
    OrphanContinuation,
    NotUtf8,
    TokenExpired,
    Idle,
}

impl Closing {
    fn code(self) -> CloseCode {
        match self {
            Self::Shutdown | Self::Idle => CloseCode::Away,
            Self::SlowConsumer | Self::TokenExpired => CloseCode::Policy,
            Self::FrameTooLarge | Self::MessageTooLarge => CloseCode::Size,
            Self::ProtocolError | Self::OrphanContinuation => CloseCode::Protocol,
            Self::NotUtf8 => CloseCode::Invalid,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::Shutdown => "server shutting down",
            Self::SlowConsumer => "too slow to read",
            Self::FrameTooLarge => "frame larger than 4 KiB",
            Self::MessageTooLarge => "message larger than 4 KiB",
            Self::ProtocolError => "protocol error",
            Self::OrphanContinuation => "continuation without a first frame",
            Self::NotUtf8 => "text is not UTF-8",
            Self::TokenExpired => "token expired",
            Self::Idle => "idle timeout",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Shutdown => "shutdown",
            Self::SlowConsumer => "slow_consumer",
            Self::FrameTooLarge | Self::MessageTooLarge => "oversize",
            Self::ProtocolError | Self::OrphanContinuation | Self::NotUtf8 => "protocol",
            Self::TokenExpired => "token_expired",
            Self::Idle => "idle",
        }
    }
}

impl Connection {
    /// Whether a room frame goes out, keeping each room's `seq` increasing.
    fn accept(&mut self, frame: &Frame) -> bool {
        let Some(room) = self
            .rooms
            .iter_mut()
            .find(|r| r.stream_id == frame.stream_id)
        else {
            return false;
        };
        if frame.seq == 0 {
            return true;
        }
        if frame.seq <= room.last_seq {
            return false;
        }
        room.last_seq = frame.seq;
        true
    }

    /// The room entry of a joined room.
    pub fn room_mut(&mut self, stream_id: Uuid) -> Option<&mut JoinedRoom> {
        self.rooms.iter_mut().find(|r| r.stream_id == stream_id)
    }

    /// Takes in what a committed `send` says of the room's limits.
    fn sent(&mut self, sent: &send::Sent) {
        if let Some(wait) = sent.muted_for
            && let Some(room) = self.room_mut(sent.stream_id)
        {
            room.muted_until = Some(Instant::now() + wait);
        }
    }

    fn leave_all(&mut self) {
        for room in self.rooms.drain(..) {
            self.state.hub.leave(room.stream_id, self.conn_id);
        }
    }
}

/// Writes a text frame unless the connection is cancelled first.
async fn write(
    session: &mut Session,
    text: ByteString,
    kill: &CancellationToken,
) -> Result<(), Stop> {
    // Biased: the socket's channel usually has room, and then the kill
    // token is never polled.
    tokio::select! {
        biased;
        written = session.text(text) => written.map_err(|_| Stop::Gone),
        () = kill.cancelled() => Err(Stop::Gone),
    }
}

/// Serialises and writes a reply to this socket only.
async fn reply(
    session: &mut Session,
    frame: &ServerFrame,
    kill: &CancellationToken,
) -> Result<(), Stop> {
    match serde_json::to_string(frame) {
        Ok(text) => write(session, ByteString::from(text), kill).await,
        Err(error) => {
            tracing::error!(error = %error, "could not encode a reply");
            Ok(())
        }
    }
}

/// Most queued frames written per wake-up.
const DRAIN_BATCH: usize = 32;

/// Writes a queued frame and whatever else is already queued, up to a batch.
async fn drain(
    conn: &mut Connection,
    session: &mut Session,
    rx: &mut mpsc::Receiver<Frame>,
    first: Frame,
) -> Result<(), Stop> {
    let mut next = Some(first);
    let mut written = 0;
    while let Some(frame) = next.take() {
        if conn.accept(&frame) {
            write(session, frame.text.clone(), &conn.kill).await?;
        }
        written += 1;
        if written < DRAIN_BATCH {
            next = rx.try_recv().ok();
        }
    }
    Ok(())
}

/// How long a closing socket waits for its send being committed.
const COMMIT_GRACE: Duration = Duration::from_secs(2);

/// A `send` being committed.
type Committing = Pin<Box<dyn Future<Output = send::Sent>>>;

/// The outcome of the `send` being committed; never, when there is none.
async fn committed(sending: &mut Option<Committing>) -> send::Sent {
    match sending {
        Some(commit) => commit.await,
        None => std::future::pending().await,
    }
}

/// Runs the socket until it closes.
pub async fn run(
    state: web::Data<AppState>,
    user: Option<AuthUser>,
    conn_id: u64,
    mut session: Session,
    mut stream: MessageStream,
) {
    let kill = state.shutdown.child_token();
    let (tx, mut rx) = hub::queue(state.chat.socket_queue);
    let chat = Arc::clone(&state.chat);
    let expires_at = user.as_ref().map(|u| {
        Instant::now()
            + (u.expires_at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
    });
    let mut conn = Connection {
        state,
        user,
        conn_id,
        kill: kill.clone(),
        tx,
        rooms: Vec::new(),
    };
    metrics::gauge!(m::CONNECTIONS).increment(1.0);
    let mut last_heard = Instant::now();
    let mut pinged = false;
    let mut partial: Option<BytesMut> = None;
    let mut sending: Option<Committing> = None;
    let timer = tokio::time::sleep(chat.ping_interval);
    tokio::pin!(timer);
    let mut armed = Instant::now() + chat.ping_interval;
    // Pinned once: a fresh `cancelled()` per frame would lock the token.
    let killed = kill.cancelled();
    tokio::pin!(killed);
    let stop = loop {
        let mut deadline = last_heard
            + if pinged {
                chat.idle_timeout
            } else {
                chat.ping_interval
            };
        if let Some(expires_at) = expires_at {
            deadline = deadline.min(expires_at);
        }
        if deadline != armed {
            timer.as_mut().reset(deadline);
            armed = deadline;
        }
        // Unbiased: a busy room must not starve the socket's own frames.
        let step = tokio::select! {
            () = &mut killed => Err(if conn.state.shutdown.is_cancelled() {
                Stop::Close(Closing::Shutdown)
            } else {
                Stop::Close(Closing::SlowConsumer)
            }),
            Some(frame) = rx.recv() => drain(&mut conn, &mut session, &mut rx, frame).await,
            sent = committed(&mut sending) => {
                sending = None;
                conn.sent(&sent);
                match &sent.reply {
                    Some(frame) => reply(&mut session, frame, &kill).await,
                    None => Ok(()),
                }
            }
            // While a send commits, the client's next frames wait (the
            // socket's sends stay in order); room frames keep flowing.
            message = stream.recv(), if sending.is_none() => {
                last_heard = Instant::now();
                pinged = false;
                match message {
                    None => Err(Stop::Gone),
                    Some(Err(ProtocolError::Overflow)) => Err(Stop::Close(Closing::FrameTooLarge)),
                    Some(Err(_)) => Err(Stop::Close(Closing::ProtocolError)),
                    // Boxed: a client frame is rare next to room frames, and its
                    // future (a join's or a send's database work) is the largest
                    // this task awaits; inline, every idle socket would carry it.
                    Some(Ok(message)) => match Box::pin(on_message(&mut conn, &mut session, &mut partial, message)).await {
                        Ok(Some(pending)) => {
                            sending = Some(Box::pin(send::commit(pending)));
                            Ok(())
                        }
                        Ok(None) => Ok(()),
                        Err(stop) => Err(stop),
                    },
                }
            }
            () = &mut timer => {
                let now = Instant::now();
                if expires_at.is_some_and(|e| now >= e) {
                    let frame = ServerFrame::error(codes::TOKEN_EXPIRED, "the token expired; reconnect with a new one", None);
                    let _ = reply(&mut session, &frame, &kill).await;
                    Err(Stop::Close(Closing::TokenExpired))
                } else if pinged && now >= last_heard + chat.idle_timeout {
                    Err(Stop::Close(Closing::Idle))
                } else if !pinged && now >= last_heard + chat.ping_interval {
                    pinged = true;
                    session.ping(b"").await.map_err(|_| Stop::Gone)
                } else {
                    Ok(())
                }
            }
        };
        if let Err(stop) = step {
            break stop;
        }
    };
    // A send being committed finishes (its message reaches the room) and,
    // when the socket is still open, its author hears the outcome.
    if let Some(commit) = sending.take()
        && let Ok(sent) = tokio::time::timeout(COMMIT_GRACE, commit).await
        && let (Stop::Close(_), Some(frame)) = (&stop, &sent.reply)
    {
        let _ = tokio::time::timeout(COMMIT_GRACE, reply(&mut session, frame, &kill)).await;
    }
    conn.leave_all();
    let reason = match stop {
        Stop::Gone => "gone",
        Stop::Close(closing) => closing.label(),
    };
    metrics::counter!(m::DISCONNECTS, "reason" => reason).increment(1);
    let close = match stop {
        Stop::Gone => None,
        Stop::Close(closing) => Some(CloseReason {
            code: closing.code(),
            description: Some(closing.description().to_owned()),
        }),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), session.close(close)).await;
    metrics::gauge!(m::CONNECTIONS).decrement(1.0);
}

/// Handles one frame from the client; a checked `send` is handed back.
async fn on_message(
    conn: &mut Connection,
    session: &mut Session,
    partial: &mut Option<BytesMut>,
    message: Message,
) -> Result<Option<send::Pending>, Stop> {
    match message {
        Message::Text(text) => on_text(conn, session, &text).await,
        Message::Ping(bytes) => session
            .pong(&bytes)
            .await
            .map(|()| None)
            .map_err(|_| Stop::Gone),
        Message::Pong(_) | Message::Nop => Ok(None),
        Message::Close(_) => Err(Stop::Gone),
        Message::Binary(_) => {
            let frame = ServerFrame::error(
                codes::BAD_FRAME,
                "binary frames are not part of the protocol",
                None,
            );
            reply(session, &frame, &conn.kill).await.map(|()| None)
        }
        Message::Continuation(item) => {
            let (chunk, last) = match item {
                Item::FirstText(b) | Item::FirstBinary(b) => {
                    *partial = Some(BytesMut::new());
                    (b, false)
                }
                Item::Continue(b) => (b, false),
                Item::Last(b) => (b, true),
            };
            let Some(buffer) = partial.as_mut() else {
                return Err(Stop::Close(Closing::OrphanContinuation));
            };
            if buffer.len() + chunk.len() > MAX_FRAME_BYTES {
                return Err(Stop::Close(Closing::MessageTooLarge));
            }
            buffer.extend_from_slice(&chunk);
            if !last {
                return Ok(None);
            }
            let whole = partial.take().unwrap_or_default().freeze();
            match std::str::from_utf8(&whole) {
                Ok(text) => on_text(conn, session, text).await,
                Err(_) => Err(Stop::Close(Closing::NotUtf8)),
            }
        }
    }
}

/// Handles one protocol frame; a malformed one gets an `error` frame. A
/// `send` that passes the socket's checks is handed back, to commit.
async fn on_text(
    conn: &mut Connection,
    session: &mut Session,
    text: &str,
) -> Result<Option<send::Pending>, Stop> {
    let kill = conn.kill.clone();
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(error) => {
            let message = format!("not a frame of the chat protocol: {error}");
            return reply(
                session,
                &ServerFrame::error(codes::BAD_FRAME, message, None),
                &kill,
            )
            .await
            .map(|()| None);
        }
    };
    let answer = match frame {
        ClientFrame::Ping => ServerFrame::Pong,
        ClientFrame::Join {
            stream_id,
            since_seq,
        } => join::join(conn, stream_id, since_seq).await,
        ClientFrame::Leave { stream_id } => join::leave(conn, stream_id),
        ClientFrame::Send {
            stream_id,
            content,
            client_msg_id,
        } => match send::check(conn, stream_id, &content, client_msg_id) {
            send::Checked::Commit(pending) => return Ok(Some(pending)),
            send::Checked::Refused(refused) => refused,
        },
    };
    reply(session, &answer, &kill).await.map(|()| None)
}
