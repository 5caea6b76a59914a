//! A create load: every operation has its own `Idempotency-Key` and is
//! retried with the same key and body on 503 or a transport error.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

/// How long one operation keeps retrying.
const RETRY_FOR: Duration = Duration::from_secs(10);

/// How one HTTP attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A full response.
    Answer { status: u16, replayed: bool },
    /// No response headers: refused, reset or timed out before them.
    NoHeaders { connect: bool, error: String },
    /// Headers arrived, then the body failed (a reset after the headers).
    BodyFailed { status: u16, error: String },
}

/// One HTTP attempt of an operation.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub op: usize,
    pub start: Instant,
    pub end: Instant,
    pub outcome: Outcome,
}

/// An operation that got its 201.
#[derive(Debug, Clone)]
pub struct Ack {
    pub op: usize,
    pub stream_id: Uuid,
    /// A transport error came before the 201 of this operation.
    pub after_error: bool,
    pub replayed: bool,
}

#[derive(Default)]
struct Record {
    attempts: Vec<Attempt>,
    acks: Vec<Ack>,
    /// Operations that got no 201 within [`RETRY_FOR`], or a 4xx.
    failed: Vec<String>,
}

/// What a finished load saw.
pub struct Report {
    pub operations: usize,
    pub attempts: Vec<Attempt>,
    pub acks: Vec<Ack>,
    pub failed: Vec<String>,
}

impl Report {
    /// Responses with a 5xx status other than 503.
    pub fn server_errors(&self) -> Vec<&Attempt> {
        self.attempts
            .iter()
            .filter(|a| match a.outcome {
                Outcome::Answer { status, .. } | Outcome::BodyFailed { status, .. } => {
                    status >= 500 && status != 503
                }
                Outcome::NoHeaders { .. } => false,
            })
            .collect()
    }

    pub fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.attempts.iter().filter(|a| pred(&a.outcome)).count()
    }

    /// Attempts sent before `at` and ended after it.
    pub fn in_flight_at(&self, at: Instant) -> Vec<&Attempt> {
        self.attempts
            .iter()
            .filter(|a| a.start < at && a.end > at)
            .collect()
    }

    /// Of `attempts`, how many got their 201.
    pub fn created(attempts: &[&Attempt]) -> usize {
        attempts
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Answer { status: 201, .. }))
            .count()
    }

    /// Attempts whose connection broke after the response headers.
    pub fn reset_after_headers(&self) -> Vec<&Attempt> {
        self.attempts
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::BodyFailed { .. }))
            .collect()
    }

    /// Operations whose 201 was a replay after a transport error: the
    /// server handled an earlier attempt whose answer never came back.
    pub fn replayed_after_error(&self) -> usize {
        self.acks
            .iter()
            .filter(|a| a.after_error && a.replayed)
            .count()
    }
}

/// The title of operation `op` (titles are unique per load, so a duplicate
/// row shows as a repeated title).
pub fn title(tag: &str, op: usize) -> String {
    format!("{tag} {op}")
}

/// A running load of `workers` concurrent clients.
pub struct Load {
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    next: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// Starts sending creates to `base` as the owner of `token`.
    pub fn start(base: &str, token: &str, tag: &str, workers: usize) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            // A fresh connection per request: a refused connect then means
            // the listener is closed, never a stale pooled socket.
            .pool_max_idle_per_host(0)
            .build()
            .expect("HTTP client");
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record::default()));
        let next = Arc::new(AtomicUsize::new(0));
        let url = format!("{base}/api/v1/live/streams");
        let tasks = (0..workers)
            .map(|_| {
                let (client, url, token, tag) = (
                    client.clone(),
                    url.clone(),
                    token.to_owned(),
                    tag.to_owned(),
                );
                let (stop, record, next) = (stop.clone(), record.clone(), next.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let op = next.fetch_add(1, Ordering::SeqCst);
                        operation(&client, &url, &token, &tag, op, &record).await;
                    }
                })
            })
            .collect();
        Self {
            stop,
            record,
            next,
            tasks,
        }
    }

    /// The streams acknowledged so far.
    pub fn acknowledged(&self) -> Vec<Uuid> {
        let r = self.record.lock().expect("record");
        r.acks.iter().map(|a| a.stream_id).collect()
    }

    /// Operations started so far.
    pub fn started(&self) -> usize {
        self.next.load(Ordering::SeqCst)
    }

    /// Waits until `more` operations have started beyond `since` (a count
    /// of [`Load::started`]), or 15 s, however slow the machine.
    pub async fn go_on_past(&self, since: usize, more: usize) {
        let past = Instant::now() + Duration::from_secs(15);
        while self.started() < since + more && Instant::now() < past {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Lets every started operation finish (or give up), then reports.
    pub async fn finish(self) -> Report {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.expect("load task");
        }
        let record = std::mem::take(&mut *self.record.lock().expect("record"));
        Report {
            operations: self.next.load(Ordering::SeqCst),
            attempts: record.attempts,
            acks: record.acks,
            failed: record.failed,
        }
    }
}

async fn operation(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    tag: &str,
    op: usize,
    record: &Mutex<Record>,
) {
    let key = format!("{tag}-{op}");
    let body = json!({"title": title(tag, op)});
    let deadline = Instant::now() + RETRY_FOR;
    let mut after_error = false;
    let mut pause = Duration::from_millis(50);
    loop {
        let start = Instant::now();
        let sent = client
            .post(url)
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&body)
            .send()
            .await;
        let (outcome, created) = match sent {
            Err(e) => (
                Outcome::NoHeaders {
                    connect: e.is_connect(),
                    error: format!("{e:#}"),
                },
                None,
            ),
            Ok(res) => {
                let status = res.status();
                let replayed = res.headers().get("idempotency-replayed").is_some();
                match res.bytes().await {
                    Err(e) => (
                        Outcome::BodyFailed {
                            status: status.as_u16(),
                            error: format!("{e:#}"),
                        },
                        None,
                    ),
                    Ok(bytes) => {
                        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        let created = (status == StatusCode::CREATED).then(|| {
                            json["data"]["id"]
                                .as_str()
                                .and_then(|s| s.parse::<Uuid>().ok())
                                .unwrap_or_else(|| panic!("a 201 without an id: {json}"))
                        });
                        let done = status.is_client_error().then(|| format!("{status} {json}"));
                        if let Some(problem) = done {
                            let mut r = record.lock().expect("record");
                            r.failed.push(format!("op {op}: {problem}"));
                        }
                        (
                            Outcome::Answer {
                                status: status.as_u16(),
                                replayed,
                            },
                            created.map(|id| (id, replayed)),
                        )
                    }
                }
            }
        };
        let end = Instant::now();
        let client_error =
            matches!(outcome, Outcome::Answer { status, .. } if (400..500).contains(&status));
        let transport = !matches!(outcome, Outcome::Answer { .. });
        {
            let mut r = record.lock().expect("record");
            r.attempts.push(Attempt {
                op,
                start,
                end,
                outcome,
            });
            if let Some((stream_id, replayed)) = created {
                r.acks.push(Ack {
                    op,
                    stream_id,
                    after_error,
                    replayed,
                });
                return;
            }
            if client_error {
                return;
            }
            if Instant::now() >= deadline {
                r.failed
                    .push(format!("op {op}: no 201 within {RETRY_FOR:?}"));
                return;
            }
        }
        after_error |= transport;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(400));
    }
}
