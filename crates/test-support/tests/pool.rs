//! The platform's connection pool against the test PostgreSQL
//! (`TEST_DATABASE_URL`).

use std::time::{Duration, Instant};

use diesel::{QueryableByName, sql_types::Integer};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use veza_live_platform::db;

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

fn url() -> SecretString {
    SecretString::from(
        std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://veza@127.0.0.1:25432/postgres".to_owned()),
    )
}

async fn backend_pid(conn: &mut AsyncPgConnection) -> diesel::QueryResult<i32> {
    let row: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(conn)
        .await?;
    Ok(row.pid)
}

#[tokio::test]
async fn a_connection_whose_backend_was_terminated_is_not_handed_out_again() {
    let url = url();
    // One connection, reused at once: handed out without a round trip.
    let pool = db::pool(&url, 1).unwrap();
    let first = backend_pid(&mut pool.get().await.unwrap()).await.unwrap();
    assert_eq!(
        backend_pid(&mut pool.get().await.unwrap()).await.unwrap(),
        first,
        "a connection used a moment ago is reused"
    );

    let mut admin = AsyncPgConnection::establish(url.expose_secret())
        .await
        .unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend({first})"))
        .execute(&mut admin)
        .await
        .unwrap();

    // Requests keep coming: the dead connection may fail the one that races
    // its close, never every later one.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut failures = 0;
    let next = loop {
        assert!(
            Instant::now() < deadline,
            "the terminated connection was still handed out after 5 s"
        );
        match pool.get().await {
            Ok(mut conn) => match backend_pid(&mut conn).await {
                Ok(pid) => break pid,
                Err(_) => failures += 1,
            },
            Err(_) => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_ne!(next, first, "a new backend serves the pool");
    assert!(failures <= 1, "{failures} requests got the dead connection");
}
