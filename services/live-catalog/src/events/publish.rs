//! Events the catalog publishes, through the outbox.

use chrono::Utc;
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use veza_live_domain::{
    Subjects,
    events::{Event, StreamChanged},
};
use veza_live_platform::outbox;

use crate::db::streams::StreamRow;

/// Which `live.events.stream.*` subject.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Created,
    Updated,
    Deleted,
}

/// Queues the snapshot event of a change; call inside its transaction.
///
/// Fails when the outbox insert fails.
pub async fn stream_changed(
    conn: &mut AsyncPgConnection,
    subjects: &Subjects,
    change: Change,
    row: &StreamRow,
) -> QueryResult<()> {
    let subject = match change {
        Change::Created => subjects.stream_created(),
        Change::Updated => subjects.stream_updated(),
        Change::Deleted => subjects.stream_deleted(),
    };
    let event = Event::new(
        StreamChanged {
            stream: row.snapshot(),
        },
        Utc::now(),
    );
    outbox::enqueue(conn, subject, &event).await
}
