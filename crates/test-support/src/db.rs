//! One PostgreSQL database per test, copied from a migrated template.

use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
    time::Duration,
};

use diesel::{migration::MigrationSource, pg::Pg};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::SecretString;
use tokio::sync::Mutex;
use uuid::Uuid;
use veza_live_platform::db::Migrations;

/// Serialises template creation within one test process.
static TEMPLATE_LOCK: Mutex<()> = Mutex::const_new(());

/// The shared test server: `TEST_DATABASE_URL`.
fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://veza@127.0.0.1:25432/postgres".to_owned())
}

fn url_for(admin: &str, database: &str) -> String {
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => panic!("admin URL {admin:?} has no database part"),
    }
}

async fn admin(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url).await.unwrap_or_else(|e| {
        panic!("test PostgreSQL at {url} is not reachable (run `make test`): {e}")
    })
}

/// A database that exists for one test.
pub struct TestDb {
    pub name: String,
    pub url: SecretString,
    /// The admin URL of its server, to drop it.
    admin: String,
}

impl TestDb {
    /// Creates a database for `service` from its migrated template.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable or a migration fails.
    pub async fn new(service: &str, migrations: fn() -> Migrations) -> Self {
        Self::new_on(&admin_url(), service, migrations).await
    }

    /// Creates a database for `service` on the server of `admin_url` (a
    /// private [`crate::PgServer`]), from a migrated template there.
    ///
    /// # Panics
    /// When that server is unreachable or a migration fails.
    pub async fn new_on(admin_url: &str, service: &str, migrations: fn() -> Migrations) -> Self {
        let template = ensure_template(admin_url, service, migrations).await;
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut conn = admin(admin_url).await;
        let mut attempt = 0;
        loop {
            let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
            match diesel::sql_query(sql).execute(&mut conn).await {
                Ok(_) => break,
                // The template may be briefly busy while another process copies it.
                Err(e) if attempt < 50 => {
                    attempt += 1;
                    if attempt == 50 {
                        panic!("CREATE DATABASE from {template}: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("CREATE DATABASE from {template}: {e}"),
            }
        }
        Self {
            url: SecretString::from(url_for(admin_url, &name)),
            name,
            admin: admin_url.to_owned(),
        }
    }

    /// A direct connection, for assertions on stored rows.
    pub async fn connect(&self) -> AsyncPgConnection {
        use secrecy::ExposeSecret;
        AsyncPgConnection::establish(self.url.expose_secret())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (name, admin) = (self.name.clone(), self.admin.clone());
        // Drop runs outside any async context guarantee: use a thread with
        // its own runtime so the database is gone when the test ends.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

/// The template's name changes with the set of migrations, so a new
/// migration never meets a stale template.
fn template_name(service: &str, migrations: &Migrations) -> String {
    let mut hasher = DefaultHasher::new();
    for set in migrations.sets() {
        let list = MigrationSource::<Pg>::migrations(&set).unwrap_or_default();
        for m in &list {
            m.name().to_string().hash(&mut hasher);
        }
    }
    format!("tpl_{}_{:x}", service.replace('-', "_"), hasher.finish())
}

async fn ensure_template(admin_url: &str, service: &str, migrations: fn() -> Migrations) -> String {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let template = template_name(service, &migrations());
    let _guard = TEMPLATE_LOCK.lock().await;
    let mut conn = admin(admin_url).await;
    // Across test processes, one creates the template at a time.
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("advisory lock: {e}"));
    let exists: Exists = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}') AS exists"
    ))
    .get_result(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("checking template: {e}"));
    if !exists.exists {
        let building = format!("{template}_building");
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("creating template: {e}"));
        let url = SecretString::from(url_for(admin_url, &building));
        // Lock 1: templates are built one at a time already.
        let migrations = Migrations {
            lock: 1,
            ..migrations()
        };
        veza_live_platform::db::migrate(&url, migrations)
            .await
            .unwrap_or_else(|e| panic!("migrating template {building}: {e:#}"));
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("renaming template: {e}"));
    }
    let _ = diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await;
    template
}
