//! Status enums stored as text (`veza_live_domain::text_column!`), read
//! and written through the test PostgreSQL (`TEST_DATABASE_URL`).

use diesel::{IntoSql, QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use veza_live_domain::{ReplayStatus, StreamStatus};

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = Text)]
    status: StreamStatus,
}

async fn connect() -> AsyncPgConnection {
    let url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://veza@127.0.0.1:25432/postgres".to_owned());
    AsyncPgConnection::establish(&url)
        .await
        .unwrap_or_else(|e| panic!("test PostgreSQL at {url}: {e}"))
}

#[tokio::test]
async fn every_status_is_written_with_its_spelling_and_read_back() {
    let mut conn = connect().await;
    for status in StreamStatus::ALL {
        let text: String = diesel::select(status.into_sql::<Text>())
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(text, status.as_str());
        let row: Status = diesel::sql_query("SELECT $1 AS status")
            .bind::<Text, _>(status.as_str())
            .get_result(&mut conn)
            .await
            .unwrap();
        assert_eq!(row.status, status);
    }
    let replay: String = diesel::select(ReplayStatus::Ready.into_sql::<Text>())
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(replay, "ready");
}

#[tokio::test]
async fn an_unknown_spelling_is_a_read_error_not_a_default() {
    let mut conn = connect().await;
    let read = diesel::sql_query("SELECT 'paused' AS status")
        .get_result::<Status>(&mut conn)
        .await;
    let error = read
        .err()
        .expect("'paused' is no stream status")
        .to_string();
    assert!(error.contains("unknown"), "{error}");
}
