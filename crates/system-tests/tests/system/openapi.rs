//! Each service serves its own OpenAPI document at `GET /openapi.json`,
//! the one its routes are built from; the gateway does not route it.

use reqwest::StatusCode;
use veza_live_system_tests::{World, start_chat, start_gateway, start_ingest};
use veza_live_test_support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_serves_its_own_document_and_the_gateway_does_not_route_it() {
    let w = World::start().await;
    let chat_db = TestDb::new("chat-gateway", || veza_live_chat_gateway::MIGRATIONS).await;
    let chat = start_chat(&chat_db, &w.prefix).await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let ingest = start_ingest(&ingest_db, &w.prefix, &[]).await;

    for (service, http, path) in [
        ("live-catalog", &w.catalog.http, "/api/v1/live/streams/{id}"),
        ("stream-key", &w.keys.http, "/api/v1/live/streams/me/key"),
        (
            "chat-gateway",
            &chat.http,
            "/api/v1/live/streams/{id}/chat/bans",
        ),
        ("ingest-events", &ingest.http, "/internal/stream-events"),
    ] {
        let doc = http.get("/openapi.json", None).await;
        assert_eq!(doc.status, StatusCode::OK, "{service}: {}", doc.body);
        assert_eq!(
            doc.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{service}"
        );
        assert!(
            doc.body["info"]["title"]
                .as_str()
                .is_some_and(|t| t.contains(service)),
            "{service}: {}",
            doc.body["info"]
        );
        assert!(
            doc.body["paths"][path].is_object(),
            "{service} lacks {path}"
        );
    }

    let gw = start_gateway(
        &w.catalog.http.base,
        &w.keys.http.base,
        &chat.http.base,
        &[],
    )
    .await;
    let not_routed = gw.http.get("/openapi.json", None).await;
    assert_eq!(
        not_routed.status,
        StatusCode::NOT_FOUND,
        "{}",
        not_routed.body
    );

    gw.stop().await;
    ingest.stop().await;
    chat.stop().await;
    w.stop().await;
}
