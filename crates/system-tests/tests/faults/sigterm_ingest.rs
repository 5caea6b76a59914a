//! SIGTERM of ingest-events under a listener load: reports in flight are
//! answered, the process exits cleanly with its outbox flushed, reports
//! meanwhile get a 503 or no answer and their retries land once it is back;
//! the listeners table and the catalog's viewer count then hold exactly the
//! acknowledged listeners.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use diesel::QueryableByName;
use reqwest::StatusCode;
use serde_json::json;
use tokio::time::Instant;
use veza_live_test_support::TestDb;

use crate::{
    World,
    kill_ingest::{live_stream, report, wait_viewer_count},
    outbox_of,
    sigterm::{EXIT_WITHIN, assert_clean_exit},
};

/// How long one report keeps being retried.
const RETRY_FOR: Duration = Duration::from_secs(10);

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// Every answer's status; `None` for an attempt without an answer.
    answers: Vec<Option<u16>>,
    /// Listeners whose join, and (when they left) whose leave, got a 200.
    present: HashSet<String>,
    /// Reports that got no 200 within [`RETRY_FOR`], or a 4xx.
    failed: Vec<String>,
    operations: usize,
}

/// Posts `body` until it gets a 200; whether it did.
async fn deliver(
    http: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
    seen: &Mutex<Seen>,
) -> bool {
    let deadline = Instant::now() + RETRY_FOR;
    loop {
        let status = report(http, base, body).await;
        seen.lock()
            .expect("seen")
            .answers
            .push(status.map(|s| s.as_u16()));
        match status {
            Some(StatusCode::OK) => return true,
            Some(s) if s.is_client_error() => {
                seen.lock()
                    .expect("seen")
                    .failed
                    .push(format!("{s} for {body}"));
                return false;
            }
            _ if Instant::now() >= deadline => {
                seen.lock()
                    .expect("seen")
                    .failed
                    .push(format!("no 200 within {RETRY_FOR:?} for {body}"));
                return false;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The listener ids of stream `id` in ingest-events' table.
async fn stored_listeners(db: &TestDb, id: &str) -> HashSet<String> {
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Listener {
        #[diesel(sql_type = diesel::sql_types::Text)]
        listener_id: String,
    }
    let stored: Vec<Listener> = diesel::sql_query(format!(
        "SELECT listener_id FROM listeners WHERE stream_id = '{id}'"
    ))
    .load(&mut db.connect().await)
    .await
    .expect("listeners");
    stored.into_iter().map(|l| l.listener_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_ingest_events_under_listener_load() {
    let w = World::start().await;
    let (ingest_db, mut ingest) = w.start_ingest(&[]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .expect("HTTP client");
    let id = live_stream(&http, &w, &ingest.base()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    // Three clients; each joins new listeners and makes every third one leave.
    let tasks: Vec<_> = (0..3)
        .map(|k| {
            let (http, base, id) = (http.clone(), ingest.base(), id.clone());
            let (stop, seen) = (stop.clone(), seen.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let listener = format!("w{k}-{n}");
                    seen.lock().expect("seen").operations += 1;
                    let join =
                        json!({"type": "listener_joined", "stream_id": id, "listener_id": listener});
                    if deliver(&http, &base, &join, &seen).await {
                        seen.lock().expect("seen").present.insert(listener.clone());
                    }
                    if n % 3 == 2 {
                        seen.lock().expect("seen").operations += 1;
                        let leave =
                            json!({"type": "listener_left", "stream_id": id, "listener_id": listener});
                        if deliver(&http, &base, &leave, &seen).await {
                            seen.lock().expect("seen").present.remove(&listener);
                        }
                    }
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let signalled = Instant::now();
    ingest.terminate();
    let status = ingest.wait_exit(EXIT_WITHIN + Duration::from_secs(5)).await;
    let exit_in = signalled.elapsed();
    let (rows_at_exit, unpublished_at_exit) = outbox_of(&ingest_db).await;
    let log_at_exit = ingest.log_tail(20);
    if status.is_some() {
        ingest.restart().await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.expect("load task");
    }
    let seen = std::mem::take(&mut *seen.lock().expect("seen"));

    let stored = stored_listeners(&ingest_db, &id).await;
    let expected = i64::try_from(seen.present.len()).expect("a small count");
    let converged_in = wait_viewer_count(&http, &w, &id, expected, &ingest).await;
    let server_errors: Vec<u16> = seen
        .answers
        .iter()
        .flatten()
        .copied()
        .filter(|s| *s >= 500 && *s != 503)
        .collect();
    let unavailable = seen.answers.iter().filter(|a| **a == Some(503)).count();
    let unanswered = seen.answers.iter().filter(|a| a.is_none()).count();
    let lost = seen.present.difference(&stored).count();
    let extra = stored.difference(&seen.present).count();
    println!(
        "sigterm_ingest_events: operations={} acknowledged={} lost={lost} duplicated=0 stuck={extra} \
         5xx={} converged_in={}ms (exit_in={}ms, unpublished at exit={unpublished_at_exit}/{rows_at_exit}, \
         503s={unavailable}, unanswered attempts={unanswered}, viewers={expected})",
        seen.operations,
        seen.operations - seen.failed.len(),
        server_errors.len(),
        converged_in.as_millis(),
        exit_in.as_millis(),
    );
    assert_clean_exit("ingest-events", status, exit_in, &log_at_exit);
    assert_eq!(
        unpublished_at_exit, 0,
        "outbox rows left unpublished at exit"
    );
    assert!(
        seen.failed.is_empty(),
        "reports without a 200: {:?}",
        seen.failed
    );
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:?}");
    assert_eq!(lost, 0, "acknowledged listeners missing from the table");
    assert_eq!(extra, 0, "listeners stored that left or never joined");
    assert!(
        seen.operations > 10,
        "the load ran: {} reports",
        seen.operations
    );
}
