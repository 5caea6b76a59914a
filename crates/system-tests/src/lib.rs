//! Runs Veza Live services in-process, on port 0, against the test
//! PostgreSQL and NATS, so tests talk to them as clients would; and a real
//! nginx-rtmp with ffmpeg for end-to-end tests ([`rtmp`]).

#![expect(
    clippy::expect_used,
    reason = "test code: a set-up that fails is a failed test, named by the message"
)]

pub mod rtmp;

use std::time::Duration;

use secrecy::ExposeSecret;
use veza_live_platform::config::Env;
pub use veza_live_test_support::Running;
use veza_live_test_support::{HttpClient, TestDb, service_env, spawn, unique_prefix};

/// Fixed test key material for stream-key (never used outside tests).
pub const ENC_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const HMAC_KEY_HEX: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

/// Environment of a service under test, plus extra variables.
pub fn env(db: &TestDb, prefix: &str, extra: &[(&str, &str)]) -> Env {
    let mut pairs = service_env(db, prefix);
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Env::from_pairs(pairs)
}

/// Starts live-catalog on its database under `prefix`.
pub async fn start_catalog(db: &TestDb, prefix: &str) -> Running {
    start_catalog_with(db, prefix, &[]).await
}

/// The media folder of catalogs started without their own `MEDIA_STORE`:
/// one for every test, as thumbnails are kept per stream id.
pub fn shared_media_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("veza-live-test-media")
}

/// Starts live-catalog with extra variables (e.g. its own `MEDIA_STORE`).
pub async fn start_catalog_with(db: &TestDb, prefix: &str, extra: &[(&str, &str)]) -> Running {
    let media = shared_media_dir().display().to_string();
    let mut vars = vec![
        ("HLS_PUBLIC_URL", "http://127.0.0.1:8090/hls"),
        ("MEDIA_STORE", media.as_str()),
    ];
    vars.extend_from_slice(extra);
    spawn::<veza_live_catalog::LiveCatalog>(&env(db, prefix, &vars)).await
}

/// Starts stream-key on its database under `prefix`.
pub async fn start_stream_key(db: &TestDb, prefix: &str) -> Running {
    start_stream_key_with(db, prefix, &[]).await
}

/// Starts stream-key with extra variables (e.g. a lower guess limit).
pub async fn start_stream_key_with(db: &TestDb, prefix: &str, extra: &[(&str, &str)]) -> Running {
    let mut vars = vec![
        ("STREAM_KEY_ENC_KEY", ENC_KEY_HEX),
        ("STREAM_KEY_HMAC_KEY", HMAC_KEY_HEX),
        ("RTMP_PUBLIC_URL", "rtmp://127.0.0.1:1935/live"),
    ];
    vars.extend_from_slice(extra);
    spawn::<veza_live_stream_key::StreamKey>(&env(db, prefix, &vars)).await
}

/// The internal token ingest-events expects in tests.
pub const INTERNAL_TOKEN: &str = "test-internal-token-0123456789";

/// Reports an event to ingest-events' internal endpoint, as an RTMP server would.
pub async fn report_event(
    ingest: &HttpClient,
    body: &serde_json::Value,
) -> veza_live_test_support::Reply {
    ingest
        .post_with(
            "/internal/stream-events",
            &[("x-internal-token", INTERNAL_TOKEN)],
            body,
        )
        .await
}

/// Starts ingest-events with extra variables (RTMP URLs, leases).
pub async fn start_ingest(db: &TestDb, prefix: &str, extra: &[(&str, &str)]) -> Running {
    let media = shared_media_dir().display().to_string();
    let mut vars = vec![
        ("INTERNAL_TOKEN", INTERNAL_TOKEN),
        ("VIEWER_PUBLISH_INTERVAL_MS", "200"),
        // Replays are written where catalogs serve them from.
        ("MEDIA_STORE", media.as_str()),
    ];
    vars.extend_from_slice(extra);
    spawn::<veza_live_ingest_events::IngestEvents>(&env(db, prefix, &vars)).await
}

/// Starts the api-gateway in front of `upstreams` (name → base URL of
/// live-catalog, stream-key, chat-gateway), with extra variables.
pub async fn start_gateway(
    catalog: &str,
    stream_key: &str,
    chat: &str,
    extra: &[(&str, &str)],
) -> Running {
    let mut pairs: Vec<(String, String)> = [
        ("JWT_SECRET", veza_live_test_support::JWT_SECRET),
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("LOG_FORMAT", "pretty"),
        ("HTTP_WORKERS", "1"),
        ("LIVE_CATALOG_URL", catalog),
        ("STREAM_KEY_URL", stream_key),
        ("CHAT_URL", chat),
        ("UPSTREAM_TIMEOUT_MS", "3000"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    spawn::<veza_live_api_gateway::ApiGateway>(&Env::from_pairs(pairs)).await
}

/// The browser origin chat-gateway accepts in tests.
pub const CHAT_ORIGIN: &str = "http://app.veza.test";

/// Starts chat-gateway on its database under `prefix`.
pub async fn start_chat(db: &TestDb, prefix: &str) -> Running {
    spawn::<veza_live_chat_gateway::ChatGateway>(&env(
        db,
        prefix,
        &[("ALLOWED_ORIGINS", CHAT_ORIGIN)],
    ))
    .await
}

/// A base URL where nothing listens (an upstream that is down).
pub fn dead_upstream() -> String {
    format!("http://127.0.0.1:{}", rtmp::free_port())
}

/// live-catalog and stream-key sharing one NATS prefix, each on its own
/// database.
pub struct World {
    pub prefix: String,
    pub subjects: veza_live_domain::Subjects,
    pub catalog_db: TestDb,
    pub keys_db: TestDb,
    pub catalog: Running,
    pub keys: Running,
    pub nats: async_nats::Client,
}

impl World {
    /// Starts both services and waits until the JetStream streams exist.
    pub async fn start() -> Self {
        Self::start_with_catalog(&[]).await
    }

    /// The same, with extra variables for live-catalog.
    pub async fn start_with_catalog(catalog_extra: &[(&str, &str)]) -> Self {
        veza_live_test_support::init_logs();
        let prefix = unique_prefix();
        let catalog_db = TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
        let keys_db = TestDb::new("stream-key", || veza_live_stream_key::MIGRATIONS).await;
        let catalog = start_catalog_with(&catalog_db, &prefix, catalog_extra).await;
        let keys = start_stream_key(&keys_db, &prefix).await;
        let nats = veza_live_test_support::nats_client().await;
        let subjects = veza_live_domain::Subjects::new(Some(&prefix)).expect("prefix");
        wait_for_streams(&nats, &subjects).await;
        Self {
            prefix,
            subjects,
            catalog_db,
            keys_db,
            catalog,
            keys,
            nats,
        }
    }

    /// The catalog database URL, for direct assertions.
    pub fn catalog_db_url(&self) -> String {
        self.catalog_db.url.expose_secret().to_owned()
    }

    /// Stops both services.
    pub async fn stop(self) {
        self.catalog.stop().await;
        self.keys.stop().await;
    }
}

/// Waits until the JetStream streams of `subjects` exist.
pub async fn wait_for_streams(nats: &async_nats::Client, subjects: &veza_live_domain::Subjects) {
    let js = async_nats::jetstream::new(nats.clone());
    veza_live_test_support::eventually("JetStream streams", Duration::from_secs(10), || {
        let js = js.clone();
        let name = subjects.stream(veza_live_domain::subjects::STREAM_VIEWERS);
        async move { js.get_stream(name).await.ok().map(|_| ()) }
    })
    .await;
}

/// Every service of the ingest path — live-catalog, stream-key and
/// ingest-events — on one NATS prefix, with an nginx-rtmp in front.
pub struct LiveWorld {
    pub base: World,
    pub ingest_db: TestDb,
    pub ingest: Running,
    pub nginx: rtmp::Nginx,
    /// What ingest-events was started with, for a restart.
    ingest_vars: Vec<(String, String)>,
}

impl LiveWorld {
    /// Starts the services and nginx-rtmp; `extra` configures ingest-events.
    pub async fn start(extra: &[(&str, &str)]) -> Self {
        let base = World::start().await;
        let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
        let ports = rtmp::NginxPorts::pick();
        let (relay, control, stat) = (ports.relay_url(), ports.control_url(), ports.stat_url());
        let hls = ports.hls_base();
        let mut vars = vec![
            ("RTMP_RELAY_URL", relay.as_str()),
            ("RTMP_CONTROL_URL", control.as_str()),
            ("RTMP_STAT_URL", stat.as_str()),
            ("RTMP_HLS_URL", hls.as_str()),
        ];
        vars.extend_from_slice(extra);
        let ingest = start_ingest(&ingest_db, &base.prefix, &vars).await;
        let ingest_vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let ingest_port = ingest
            .http
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("ingest port");
        let nginx = rtmp::Nginx::start(ports, ingest_port);
        Self {
            base,
            ingest_db,
            ingest,
            nginx,
            ingest_vars,
        }
    }

    /// Stops ingest-events and starts it again on the same port (nginx's
    /// hooks point there), with the same settings.
    pub async fn restart_ingest(self) -> Self {
        let port = self
            .ingest
            .http
            .base
            .rsplit(':')
            .next()
            .expect("ingest port")
            .to_owned();
        let listen = format!("127.0.0.1:{port}");
        let mut vars: Vec<(&str, &str)> = self
            .ingest_vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        vars.push(("LISTEN_ADDR", listen.as_str()));
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let Self {
            base,
            ingest_db,
            ingest,
            nginx,
            ingest_vars,
        } = self;
        ingest.stop().await;
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let ingest = start_ingest(&ingest_db, &base.prefix, &pairs).await;
        Self {
            base,
            ingest_db,
            ingest,
            nginx,
            ingest_vars,
        }
    }

    /// Stops every service (nginx stops on drop).
    pub async fn stop(self) {
        self.ingest.stop().await;
        self.base.stop().await;
    }
}
