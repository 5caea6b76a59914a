//! The database pool outlives the runtimes that borrow from it: actix runs
//! each HTTP worker on a runtime of its own and stops idle workers first
//! at shutdown, while other workers still drain their requests.

use diesel::{QueryableByName, sql_types::Integer};
use diesel_async::RunQueryDsl;
use secrecy::SecretString;
use veza_live_platform::db;
use veza_live_test_support::TestDb;

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Integer)]
    one: i32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_opened_on_a_stopped_worker_runtime_still_works() {
    let test_db = TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
    let url: SecretString = {
        use secrecy::ExposeSecret;
        test_db.url.expose_secret().to_owned().into()
    };
    let pool = db::pool(&url, 1).expect("pool");

    // A worker runtime opens the pool's only connection and gives it back.
    let worker_pool = pool.clone();
    let (opened_tx, opened_rx) = std::sync::mpsc::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("worker runtime");
        runtime.block_on(async move {
            let mut conn = worker_pool.get().await.expect("connection on the worker");
            diesel::sql_query("SELECT 1 AS one")
                .get_result::<One>(&mut conn)
                .await
                .expect("query on the worker");
            drop(conn);
            opened_tx.send(()).expect("signal");
            // Idle, still running, until shutdown stops this worker.
            let _ = stop_rx.await;
        });
        drop(runtime);
    });
    opened_rx.recv().expect("opened");

    // Another worker's request takes that connection, then the idle worker stops.
    let mut conn = pool.get().await.expect("connection");
    stop_tx.send(()).expect("stop the worker");
    worker.join().expect("worker thread");
    let one = diesel::sql_query("SELECT 1 AS one")
        .get_result::<One>(&mut conn)
        .await
        .expect("the connection survived its worker's runtime");
    assert_eq!(one.one, 1);
}
