//! Graceful shutdown: stop accepting, drain in-flight requests, then flush
//! the outbox, so what a drained request committed is published before exit.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use veza_live_domain::rpc::{IssuedKey, RpcReply};
use veza_live_system_tests::start_catalog;
use veza_live_test_support::{TestDb, nats_client, unique_prefix};

use crate::user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_finishes_during_the_drain_is_published_before_exit() {
    let prefix = unique_prefix();
    let subjects = veza_live_domain::Subjects::new(Some(&prefix)).expect("prefix");
    let db = TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
    let nats = nats_client().await;
    // A slow stream-key: the create is still in flight when the signal comes.
    let mut requests = nats
        .subscribe(subjects.rpc_keys_issue())
        .await
        .expect("subscribe");
    let responder = {
        let nats = nats.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                tokio::time::sleep(Duration::from_millis(700)).await;
                let reply = RpcReply::ok(IssuedKey {
                    stream_key: "k".into(),
                    rtmp_url: "rtmp://127.0.0.1/live".into(),
                });
                if let Some(to) = request.reply {
                    let body = serde_json::to_vec(&reply).expect("json");
                    let _ = nats.publish(to, body.into()).await;
                }
            }
        })
    };
    let catalog = start_catalog(&db, &prefix).await;
    veza_live_system_tests::wait_for_streams(&nats, &subjects).await;
    let (_, token) = user("dj");
    let http = catalog.http.clone();
    let create = tokio::spawn(async move {
        http.post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Late"}),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    catalog.stop().await;
    let created = create.await.expect("request task");
    assert_eq!(
        created.status,
        reqwest::StatusCode::CREATED,
        "{}",
        created.body
    );

    let unpublished: i64 = {
        use diesel::{ExpressionMethods, QueryDsl};
        use diesel_async::RunQueryDsl;
        use veza_live_platform::schema::outbox;
        let mut conn = db.connect().await;
        outbox::table
            .filter(outbox::published_at.is_null())
            .count()
            .get_result(&mut conn)
            .await
            .expect("count")
    };
    assert_eq!(
        unpublished, 0,
        "an acknowledged change was left unpublished at exit"
    );
    responder.abort();
}
