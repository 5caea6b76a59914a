//! Fault injection: real service binaries as child processes, against the
//! test PostgreSQL and a private NATS per test, killed, signalled and
//! restarted under load. Every scenario prints one result line.

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

mod kill_catalog;
mod kill_chat;
mod kill_chat_viewers;
mod kill_ingest;
mod kill_keys;
mod load;
mod nats_cluster;
mod nats_restart;
mod pg_restart;
mod process;
mod sigterm;
mod sigterm_gateway;
mod sigterm_ingest;

use std::{collections::HashMap, time::Duration};

use diesel::{QueryableByName, sql_types::BigInt};
use diesel_async::RunQueryDsl;
use process::Service;
use tokio::time::Instant;
use uuid::Uuid;
use veza_live_domain::Subjects;
use veza_live_test_support::{
    NatsCluster, NatsServer, PgServer, TestDb, service_env, token_for, unique_prefix,
};

/// The NATS the services of a [`World`] use: one private server or a
/// private cluster.
pub trait Broker {
    /// The client URL of every server.
    fn client_urls(&self) -> Vec<String>;
}

impl Broker for NatsServer {
    fn client_urls(&self) -> Vec<String> {
        vec![self.url()]
    }
}

impl Broker for NatsCluster {
    fn client_urls(&self) -> Vec<String> {
        NatsCluster::client_urls(self)
    }
}

/// live-catalog and stream-key binaries on one private NATS (or cluster).
///
/// Fields drop in order: the services stop first (SIGTERM, then SIGKILL),
/// then NATS, then the databases.
pub struct World<N: Broker = NatsServer> {
    pub catalog: Service,
    pub keys: Service,
    pub nats: N,
    pub catalog_db: TestDb,
    pub keys_db: TestDb,
    pub prefix: String,
    pub subjects: Subjects,
    pub user: Uuid,
    pub token: String,
    _media: TempDir,
}

/// A folder removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn env_of(db: &TestDb, prefix: &str, nats: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = service_env(db, prefix)
        .into_iter()
        .filter(|(k, _)| k != "LISTEN_ADDR" && k != "NATS_URL")
        .collect();
    env.push(("NATS_URL".into(), nats.to_owned()));
    env.push(("RUST_LOG".into(), "info".into()));
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

impl World {
    /// A private NATS server; the databases on the test PostgreSQL.
    pub async fn start() -> Self {
        Self::start_on(NatsServer::start(), None, &[]).await
    }
}

impl<N: Broker> World<N> {
    /// The services on `nats`, their databases on `pg` (else the test
    /// PostgreSQL), with `extra` added to both services' environment.
    pub async fn start_on(nats: N, pg: Option<&PgServer>, extra: &[(&str, &str)]) -> Self {
        let prefix = unique_prefix();
        let subjects = Subjects::new(Some(&prefix)).expect("prefix");
        let (catalog_db, keys_db) = match pg {
            Some(pg) => (
                TestDb::new_on(&pg.admin_url(), "live-catalog", || {
                    veza_live_catalog::MIGRATIONS
                })
                .await,
                TestDb::new_on(&pg.admin_url(), "stream-key", || {
                    veza_live_stream_key::MIGRATIONS
                })
                .await,
            ),
            None => (
                TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await,
                TestDb::new("stream-key", || veza_live_stream_key::MIGRATIONS).await,
            ),
        };
        let nats_url = nats.client_urls().join(",");
        let media = TempDir(
            std::env::temp_dir().join(format!("veza-faults-media-{}", Uuid::new_v4().simple())),
        );
        let media_dir = media.0.display().to_string();
        let keys = Service::start(
            "stream-key",
            "veza-live-stream-key",
            env_of(
                &keys_db,
                &prefix,
                &nats_url,
                &[
                    &[
                        ("STREAM_KEY_ENC_KEY", veza_live_system_tests::ENC_KEY_HEX),
                        ("STREAM_KEY_HMAC_KEY", veza_live_system_tests::HMAC_KEY_HEX),
                        ("RTMP_PUBLIC_URL", "rtmp://127.0.0.1:1935/live"),
                    ],
                    extra,
                ]
                .concat(),
            ),
        )
        .await;
        let catalog = Service::start(
            "live-catalog",
            "veza-live-catalog",
            env_of(
                &catalog_db,
                &prefix,
                &nats_url,
                &[
                    &[
                        ("HLS_PUBLIC_URL", "http://127.0.0.1:8090/hls"),
                        ("MEDIA_STORE", media_dir.as_str()),
                    ],
                    extra,
                ]
                .concat(),
            ),
        )
        .await;
        let user = Uuid::new_v4();
        let token = token_for(user, "loadtester");
        Self {
            prefix,
            subjects,
            nats,
            catalog_db,
            keys_db,
            keys,
            catalog,
            user,
            token,
            _media: media,
        }
    }

    /// An ingest-events binary on this world's NATS, its database on the
    /// test PostgreSQL, with `extra` added to its environment.
    pub async fn start_ingest(&self, extra: &[(&str, &str)]) -> (TestDb, Service) {
        let db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
        let service = Service::start(
            "ingest-events",
            "veza-live-ingest-events",
            env_of(
                &db,
                &self.prefix,
                &self.nats.client_urls().join(","),
                &[
                    &[("INTERNAL_TOKEN", veza_live_system_tests::INTERNAL_TOKEN)],
                    extra,
                ]
                .concat(),
            ),
        )
        .await;
        (db, service)
    }

    /// The ids of the user's streams in the catalog database, with titles.
    pub async fn stored_streams(&self) -> Vec<(Uuid, String)> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
            #[diesel(sql_type = diesel::sql_types::Text)]
            title: String,
        }
        let mut conn = self.catalog_db.connect().await;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT id, title FROM live_streams WHERE user_id = '{}'",
            self.user
        ))
        .load(&mut conn)
        .await
        .expect("streams");
        rows.into_iter().map(|r| (r.id, r.title)).collect()
    }

    /// Outbox rows of live_catalog: (all, not yet published).
    pub async fn outbox(&self) -> (i64, i64) {
        outbox_of(&self.catalog_db).await
    }

    /// Waits until every outbox row of live_catalog is published; how long
    /// that took.
    pub async fn wait_outbox_published(&self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let (_, unpublished) = self.outbox().await;
            if unpublished == 0 {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "{unpublished} outbox rows still unpublished after {within:?}:\n{}",
                self.catalog.log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `stream.created` messages in `LIVE_EVENTS`, counted per stream id.
    pub async fn created_events(&self) -> HashMap<Uuid, usize> {
        self.events_on(&self.subjects.stream_created()).await
    }

    /// [`World::created_events`] once they cover `streams` streams, or as
    /// they are after 15 s.
    pub async fn created_events_for(&self, streams: usize) -> HashMap<Uuid, usize> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let events = self.created_events().await;
            if events.len() >= streams || Instant::now() >= deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Messages of `LIVE_EVENTS` on `subject`, counted per stream id.
    pub async fn events_on(&self, subject: &str) -> HashMap<Uuid, usize> {
        let client = async_nats::connect(self.nats.client_urls())
            .await
            .expect("private NATS");
        let js = async_nats::jetstream::new(client);
        let mut stream = js
            .get_stream(
                self.subjects
                    .stream(veza_live_domain::subjects::STREAM_EVENTS),
            )
            .await
            .expect("LIVE_EVENTS stream");
        let state = stream.info().await.expect("stream info").state.clone();
        let mut counts = HashMap::new();
        if state.messages == 0 {
            return counts;
        }
        for seq in state.first_sequence..=state.last_sequence {
            let Ok(message) = stream.get_raw_message(seq).await else {
                continue;
            };
            if message.subject.as_str() != subject {
                continue;
            }
            let payload: serde_json::Value =
                serde_json::from_slice(&message.payload).expect("event JSON");
            let id = payload["stream"]["id"]
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok())
                .unwrap_or_else(|| panic!("{subject} without stream.id: {payload}"));
            *counts.entry(id).or_insert(0) += 1;
        }
        counts
    }
}

/// Outbox rows of a database: (all, not yet published).
pub async fn outbox_of(db: &TestDb) -> (i64, i64) {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        total: i64,
        #[diesel(sql_type = BigInt)]
        unpublished: i64,
    }
    let mut conn = db.connect().await;
    let c: Counts = diesel::sql_query(
        "SELECT count(*) AS total, count(*) FILTER (WHERE published_at IS NULL) AS unpublished \
         FROM outbox",
    )
    .get_result(&mut conn)
    .await
    .expect("outbox counts");
    (c.total, c.unpublished)
}

/// What the stored state says about a finished load.
pub struct Verdict {
    /// Acknowledged streams missing from the database.
    pub lost: usize,
    /// Rows beyond one per operation (a repeated title).
    pub duplicated: usize,
    pub stored: usize,
}

/// Compares the acknowledged creates of `report` with the database.
pub async fn verdict<N: Broker>(world: &World<N>, tag: &str, report: &load::Report) -> Verdict {
    let stored = world.stored_streams().await;
    let ids: std::collections::HashSet<Uuid> = stored.iter().map(|(id, _)| *id).collect();
    let titles: std::collections::HashSet<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
    let lost = report
        .acks
        .iter()
        .filter(|a| !ids.contains(&a.stream_id))
        .count();
    for (_, title) in &stored {
        assert!(
            title.starts_with(&format!("{tag} ")),
            "a stream nobody created: {title}"
        );
    }
    Verdict {
        lost,
        duplicated: stored.len() - titles.len(),
        stored: stored.len(),
    }
}

/// The figures every create-load scenario prints first.
pub fn summary(report: &load::Report, v: &Verdict, converged_in: Duration) -> String {
    format!(
        "operations={} acknowledged={} lost={} duplicated={} 5xx={} converged_in={}ms",
        report.operations,
        report.acks.len(),
        v.lost,
        v.duplicated,
        report.server_errors().len(),
        converged_in.as_millis(),
    )
}

/// The invariants of every load scenario: each operation got its 201, no
/// answer was a 5xx other than a fast 503, and the database holds each
/// acknowledged create exactly once.
pub fn assert_nothing_lost(report: &load::Report, v: &Verdict) {
    assert!(
        report.failed.is_empty(),
        "operations without a 201: {:?}",
        report.failed
    );
    assert!(
        report.server_errors().is_empty(),
        "5xx answers: {:?}",
        report.server_errors()
    );
    assert_eq!(v.lost, 0, "acknowledged creates missing");
    assert_eq!(v.duplicated, 0, "creates stored twice");
    assert_eq!(
        v.stored,
        report.acks.len(),
        "one stream per acknowledged key"
    );
}
