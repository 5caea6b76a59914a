//! ingest-events through its internal endpoint and the NATS ingest subject:
//! sessions, presence sets, idempotency, ordering and leases.

use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use veza_live_domain::events::{Event, IngestEvent, IngestEventType};
use veza_live_platform::nats::publish_event;
use veza_live_system_tests::{Running, World, start_ingest};
use veza_live_test_support::{HttpClient, Reply, TestDb, eventually};

use crate::{data, error_code, user};

const WAIT: Duration = Duration::from_secs(10);

struct Setup {
    w: World,
    ingest: Running,
    ingest_db: TestDb,
}

async fn setup(extra: &[(&str, &str)]) -> Setup {
    let w = World::start().await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let ingest = start_ingest(&ingest_db, &w.prefix, extra).await;
    Setup {
        w,
        ingest,
        ingest_db,
    }
}

async fn post_event(ingest: &HttpClient, body: Value) -> Reply {
    veza_live_system_tests::report_event(ingest, &body).await
}

async fn stream(w: &World, id: &str, token: &str) -> Value {
    let res = w
        .catalog
        .http
        .get(&format!("/api/v1/live/streams/{id}"), Some(token))
        .await;
    data(&res.body).clone()
}

async fn wait_for(
    w: &World,
    id: &str,
    token: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, WAIT, || async {
        let s = stream(w, id, token).await;
        check(&s).then_some(s)
    })
    .await
}

async fn new_stream(w: &World, token: &str) -> String {
    let res = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(token),
            &json!({"title": "Show"}),
        )
        .await;
    data(&res.body)["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_endpoint_requires_the_token_before_reading_the_body() {
    let s = setup(&[]).await;
    let url = "/internal/stream-events";
    let res = s
        .ingest
        .http
        .post(url, None, &json!({"type": "stream_started"}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = s
        .ingest
        .http
        .send_raw(
            Method::POST,
            url,
            None,
            "application/json",
            b"not json".to_vec(),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "no token: nothing about the body is revealed"
    );
    for (body, field) in [
        (json!({"type": "stream_started"}), "stream_id"),
        (
            json!({"type": "listener_joined", "stream_id": Uuid::new_v4()}),
            "listener_id",
        ),
        (
            json!({"type": "listener_left", "listener_id": "x"}),
            "stream_id",
        ),
    ] {
        let res = post_event(&s.ingest.http, body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(res.body["error"]["details"][0]["field"], field, "{body}");
    }
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_exploded", "stream_id": Uuid::new_v4()}),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&res.body), "bad_request");
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_started", "stream_id": Uuid::new_v4()}),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_are_a_set_and_duplicate_events_apply_once() {
    let s = setup(&[]).await;
    let (_, token) = user("dj");
    let id = new_stream(&s.w, &token).await;
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;

    let joined = Uuid::new_v4();
    for body in [
        json!({"type": "listener_joined", "stream_id": id, "listener_id": "a", "event_id": joined}),
        json!({"type": "listener_joined", "stream_id": id, "listener_id": "a", "event_id": joined}),
        json!({"type": "listener_joined", "stream_id": id, "listener_id": "a"}),
        json!({"type": "listener_joined", "stream_id": id, "listener_id": "b"}),
        json!({"type": "listener_joined", "stream_id": id, "listener_id": "c"}),
    ] {
        assert_eq!(
            post_event(&s.ingest.http, body).await.status,
            StatusCode::OK
        );
    }
    wait_for(&s.w, &id, &token, "3 viewers", |v| {
        v["viewer_count"] == 3 && v["peak_viewers"] == 3
    })
    .await;
    let left = json!({"type": "listener_left", "stream_id": id, "listener_id": "c"});
    assert_eq!(
        post_event(&s.ingest.http, left).await.status,
        StatusCode::OK
    );
    wait_for(&s.w, &id, &token, "2 viewers, peak 3", |v| {
        v["viewer_count"] == 2 && v["peak_viewers"] == 3
    })
    .await;

    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_ended", "stream_id": id}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let ended = wait_for(&s.w, &id, &token, "ended", |v| v["status"] == "ended").await;
    assert_eq!(ended["viewer_count"], 0);
    assert_eq!(ended["peak_viewers"], 3);
    // Viewers of an ended stream are not counted.
    let late = json!({"type": "listener_joined", "stream_id": id, "listener_id": "late"});
    assert_eq!(
        post_event(&s.ingest.http, late).await.status,
        StatusCode::OK
    );
    let mut conn = s.ingest_db.connect().await;
    let listeners: i64 = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        veza_live_ingest_events::schema::listeners::table
            .count()
            .get_result(&mut conn)
            .await
            .expect("count")
    };
    assert_eq!(listeners, 0);
    s.ingest.stop().await;
    s.w.stop().await;
}

/// When the live session of a stream reported over HTTP expires.
async fn lease_of(db: &TestDb, stream_id: &str) -> chrono::DateTime<Utc> {
    use diesel::{ExpressionMethods, QueryDsl};
    use diesel_async::RunQueryDsl;
    use veza_live_ingest_events::schema::ingest_sessions::dsl;
    let mut conn = db.connect().await;
    dsl::ingest_sessions
        .filter(dsl::stream_id.eq(Uuid::parse_str(stream_id).expect("uuid")))
        .filter(dsl::status.eq("active"))
        .select(dsl::lease_expires_at)
        .first(&mut conn)
        .await
        .expect("the active session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_events_of_one_stream_all_count_and_renew_its_session_at_most_once_per_step() {
    // A 2 s lease: a listener event renews it when half a second of it has run.
    let s = setup(&[("EVENT_SESSION_LEASE_S", "2")]).await;
    let (_, token) = user("dj");
    let id = new_stream(&s.w, &token).await;
    let started = json!({"type": "stream_started", "stream_id": id});
    let res = post_event(&s.ingest.http, started).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;

    // Many listeners of one stream at once: none waits on another's
    // session lock for long, none deadlocks, every one counts.
    let joins = (0..64).map(|n| {
        let body =
            json!({"type": "listener_joined", "stream_id": id, "listener_id": format!("l{n}")});
        let http = &s.ingest.http;
        async move { post_event(http, body).await.status }
    });
    let statuses = futures::future::join_all(joins).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    wait_for(&s.w, &id, &token, "64 viewers", |v| v["viewer_count"] == 64).await;

    // Right after an event (which renewed the lease or found it fresh),
    // the next one leaves the lease as it is...
    for (n, listener) in ["l0", "extra"].into_iter().enumerate() {
        let kind = if n == 0 {
            "listener_left"
        } else {
            "listener_joined"
        };
        let body = json!({"type": kind, "stream_id": id, "listener_id": listener});
        assert_eq!(
            post_event(&s.ingest.http, body).await.status,
            StatusCode::OK
        );
    }
    let first = lease_of(&s.ingest_db, &id).await;
    let again = json!({"type": "listener_left", "stream_id": id, "listener_id": "extra"});
    assert_eq!(
        post_event(&s.ingest.http, again).await.status,
        StatusCode::OK
    );
    assert_eq!(
        lease_of(&s.ingest_db, &id).await,
        first,
        "renewed again within the step"
    );
    // ...and listener events alone keep the session live past its lease.
    for n in 1..6 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let left =
            json!({"type": "listener_left", "stream_id": id, "listener_id": format!("l{n}")});
        assert_eq!(
            post_event(&s.ingest.http, left).await.status,
            StatusCode::OK
        );
    }
    assert!(
        lease_of(&s.ingest_db, &id).await > first,
        "the lease moved on"
    );
    assert_eq!(
        stream(&s.w, &id, &token).await["status"],
        "live",
        "renewed by listener events"
    );
    wait_for(&s.w, &id, &token, "58 viewers", |v| v["viewer_count"] == 58).await;
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_events_queued_on_nats_apply_together_in_order_and_once() {
    let s = setup(&[]).await;
    let (_, token) = user("dj");
    let id = new_stream(&s.w, &token).await;
    let started = json!({"type": "stream_started", "stream_id": id});
    assert_eq!(
        post_event(&s.ingest.http, started).await.status,
        StatusCode::OK
    );
    wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;
    // Queued while ingest-events is down, so that they arrive together.
    s.ingest.stop().await;
    let js = async_nats::jetstream::new(s.w.nats.clone());
    let stream_id = Uuid::parse_str(&id).expect("uuid");
    let event = |kind, listener: &str, lease: Option<String>| {
        Event::new(
            IngestEvent {
                kind,
                stream_key: None,
                stream_id: Some(stream_id),
                listener_id: Some(listener.to_owned()),
                client_addr: None,
                lease,
            },
            Utc::now(),
        )
    };
    let (joined, left) = (
        IngestEventType::ListenerJoined,
        IngestEventType::ListenerLeft,
    );
    let twice = event(joined, "a", None);
    let mut not_live = event(joined, "z", None);
    not_live.payload.stream_id = Some(Uuid::new_v4());
    let events = [
        twice.clone(),
        // The same event again (no message id, so NATS keeps both).
        twice,
        event(joined, "b", None),
        event(left, "a", None),
        event(joined, "a", Some("holder-1".into())),
        event(left, "b", None),
        // Rejected: a lease holder name longer than 64 characters.
        event(joined, "c", Some("h".repeat(65))),
        not_live,
        event(joined, "d", None),
        event(left, "never-there", None),
    ];
    for event in &events {
        let body = serde_json::to_vec(event).expect("json");
        js.publish(s.w.subjects.ingest_events(), body.into())
            .await
            .expect("publish")
            .await
            .expect("stored");
    }
    let ingest = start_ingest(&s.ingest_db, &s.w.prefix, &[]).await;
    wait_for(&s.w, &id, &token, "a and d", |v| v["viewer_count"] == 2).await;
    let mut conn = s.ingest_db.connect().await;
    let present: Vec<(String, Option<String>)> = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        use veza_live_ingest_events::schema::listeners::dsl;
        dsl::listeners
            .select((dsl::listener_id, dsl::lease))
            .order(dsl::listener_id)
            .load(&mut conn)
            .await
            .expect("listeners")
    };
    assert_eq!(
        present,
        [
            ("a".to_owned(), Some("holder-1".to_owned())),
            ("d".to_owned(), None)
        ]
    );
    ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_before_its_started_leaves_the_stream_ended() {
    let s = setup(&[]).await;
    let (_, token) = user("dj");
    let id = new_stream(&s.w, &token).await;
    let earlier = Utc::now() - chrono::Duration::seconds(5);
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_ended", "stream_id": id}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    wait_for(&s.w, &id, &token, "ended", |v| v["status"] == "ended").await;
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_started", "stream_id": id, "occurred_at": earlier}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(error_code(&res.body), "stream_ended");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stream(&s.w, &id, &token).await["status"], "ended");
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nats_ingest_subject_takes_a_stream_key_and_reports_are_heartbeats() {
    let s = setup(&[("EVENT_SESSION_LEASE_S", "2")]).await;
    let (uid, token) = user("dj");
    let created =
        s.w.catalog
            .http
            .post(
                "/api/v1/live/streams",
                Some(&token),
                &json!({"title": "Via NATS"}),
            )
            .await;
    let id = data(&created.body)["id"].as_str().expect("id").to_owned();
    let key = data(&created.body)["stream_key"]
        .as_str()
        .expect("key")
        .to_owned();
    let js = async_nats::jetstream::new(s.w.nats.clone());
    let send = |kind: IngestEventType| {
        let event = Event::new(
            IngestEvent {
                kind,
                stream_key: Some(key.clone()),
                stream_id: None,
                listener_id: None,
                client_addr: Some("198.51.100.4".into()),
                lease: None,
            },
            Utc::now(),
        );
        let body = serde_json::to_vec(&event).expect("json");
        let js = js.clone();
        let subject = s.w.subjects.ingest_events();
        async move {
            publish_event(&js, subject, event.event_id, body.into(), None)
                .await
                .expect("publish");
        }
    };
    send(IngestEventType::StreamStarted).await;
    let live = wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;
    assert_eq!(live["user_id"], uid.to_string());
    // Repeated stream_started reports keep the 2 s lease alive.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        send(IngestEventType::StreamStarted).await;
    }
    assert_eq!(
        stream(&s.w, &id, &token).await["status"],
        "live",
        "heartbeats renew the lease"
    );
    send(IngestEventType::StreamEnded).await;
    wait_for(&s.w, &id, &token, "ended", |v| v["status"] == "ended").await;
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_is_not_renewed_ends_with_lease_expired() {
    let s = setup(&[("EVENT_SESSION_LEASE_S", "1")]).await;
    let (_, token) = user("dj");
    let id = new_stream(&s.w, &token).await;
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_started", "stream_id": id}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;
    wait_for(&s.w, &id, &token, "ended by the lease", |v| {
        v["status"] == "ended"
    })
    .await;
    let mut conn = s.ingest_db.connect().await;
    let reason: Option<String> = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        use veza_live_ingest_events::schema::ingest_sessions;
        ingest_sessions::table
            .select(ingest_sessions::end_reason)
            .first(&mut conn)
            .await
            .expect("session")
    };
    assert_eq!(reason.as_deref(), Some("lease_expired"));
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_live_catalog_while_events_flow_loses_none() {
    use veza_live_system_tests::{start_catalog, start_stream_key, wait_for_streams};
    let prefix = veza_live_test_support::unique_prefix();
    let subjects = veza_live_domain::Subjects::new(Some(&prefix)).expect("prefix");
    let catalog_db = TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
    let keys_db = TestDb::new("stream-key", || veza_live_stream_key::MIGRATIONS).await;
    let ingest_db = TestDb::new("ingest-events", || veza_live_ingest_events::MIGRATIONS).await;
    let catalog = start_catalog(&catalog_db, &prefix).await;
    let keys = start_stream_key(&keys_db, &prefix).await;
    let ingest = start_ingest(&ingest_db, &prefix, &[]).await;
    let nats = veza_live_test_support::nats_client().await;
    wait_for_streams(&nats, &subjects).await;
    let js = async_nats::jetstream::new(nats.clone());

    let (_, token) = user("dj");
    let mut ids = Vec::new();
    for i in 0..6 {
        let (_, t) = user(&format!("dj{i}"));
        let res = catalog
            .http
            .post(
                "/api/v1/live/streams",
                Some(&t),
                &json!({"title": format!("S{i}")}),
            )
            .await;
        ids.push((data(&res.body)["id"].as_str().expect("id").to_owned(), t));
    }
    let _ = token;
    let send = |kind: IngestEventType, id: &str| {
        let event = Event::new(
            IngestEvent {
                kind,
                stream_key: None,
                stream_id: Some(Uuid::parse_str(id).expect("uuid")),
                listener_id: None,
                client_addr: None,
                lease: None,
            },
            Utc::now(),
        );
        let body = serde_json::to_vec(&event).expect("json");
        let (js, subject) = (js.clone(), subjects.ingest_events());
        async move {
            publish_event(&js, subject, event.event_id, body.into(), None)
                .await
                .expect("publish");
        }
    };
    for (id, _) in &ids[..3] {
        send(IngestEventType::StreamStarted, id).await;
    }
    // The catalog dies while events are in flight.
    catalog.stop().await;
    for (id, _) in &ids[3..] {
        send(IngestEventType::StreamStarted, id).await;
    }
    for (id, _) in ids.iter().step_by(2) {
        send(IngestEventType::StreamEnded, id).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let catalog = start_catalog(&catalog_db, &prefix).await;
    for (i, (id, t)) in ids.iter().enumerate() {
        let want = if i % 2 == 0 { "ended" } else { "live" };
        eventually(
            &format!("stream {i} to be {want}"),
            Duration::from_secs(20),
            || async {
                let res = catalog
                    .http
                    .get(&format!("/api/v1/live/streams/{id}"), Some(t))
                    .await;
                (data(&res.body)["status"] == want).then_some(())
            },
        )
        .await;
    }
    let live = catalog
        .http
        .get("/api/v1/live/streams?is_live=true", None)
        .await;
    assert_eq!(data(&live.body).as_array().map(Vec::len), Some(3));
    ingest.stop().await;
    keys.stop().await;
    catalog.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_start_by_key_does_not_go_live_again_on_a_new_stream() {
    let s = setup(&[]).await;
    let (_, token) = user("dj");
    let created =
        s.w.catalog
            .http
            .post(
                "/api/v1/live/streams",
                Some(&token),
                &json!({"title": "Once"}),
            )
            .await;
    let id = data(&created.body)["id"].as_str().expect("id").to_owned();
    let key = data(&created.body)["stream_key"]
        .as_str()
        .expect("key")
        .to_owned();
    let start = json!({"type": "stream_started", "stream_key": key, "event_id": Uuid::new_v4(), "client_addr": "203.0.113.9"});
    let res = post_event(&s.ingest.http, start.clone()).await;
    assert_eq!(data(&res.body)["applied"], true);
    wait_for(&s.w, &id, &token, "live", |v| v["status"] == "live").await;
    let res = post_event(
        &s.ingest.http,
        json!({"type": "stream_ended", "stream_key": key}),
    )
    .await;
    assert_eq!(data(&res.body)["applied"], true);
    wait_for(&s.w, &id, &token, "ended", |v| v["status"] == "ended").await;

    let again = post_event(&s.ingest.http, start).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        data(&again.body)["applied"],
        false,
        "a duplicate applies once"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mine =
        s.w.catalog
            .http
            .get("/api/v1/live/streams/me", Some(&token))
            .await;
    assert_eq!(
        data(&mine.body).as_array().map(Vec::len),
        Some(1),
        "no new stream was picked"
    );
    let live =
        s.w.catalog
            .http
            .get("/api/v1/live/streams?is_live=true", None)
            .await;
    assert_eq!(data(&live.body).as_array().map(Vec::len), Some(0));
    s.ingest.stop().await;
    s.w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_bodies_are_bounded_and_must_name_their_call() {
    let s = setup(&[]).await;
    let form = "application/x-www-form-urlencoded";
    let huge = format!(
        "app=live&clientid=1&call=publish&name=k&pad={}",
        "x".repeat(20 * 1024)
    );
    let res = s
        .ingest
        .http
        .send_raw(
            Method::POST,
            "/hooks/rtmp/on_publish",
            None,
            form,
            huge.into_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&res.body), "payload_too_large");
    let res = s
        .ingest
        .http
        .send_raw(
            Method::POST,
            "/hooks/rtmp/on_publish",
            None,
            form,
            b"app=live&name=k".to_vec(),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("call")
    );
    // A well-formed publish with an unknown key is refused, not an error.
    let body = format!(
        "app=live&flashver=FMLE&addr=198.51.100.7&clientid=9&call=publish&name={}&type=live",
        Uuid::new_v4()
    );
    let res = s
        .ingest
        .http
        .send_raw(
            Method::POST,
            "/hooks/rtmp/on_publish",
            None,
            form,
            body.into_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Playing the live application (where keys are names) is refused.
    let body = "app=live&flashver=LNX&addr=198.51.100.7&clientid=10&call=play&name=somekey";
    let res = s
        .ingest
        .http
        .send_raw(
            Method::POST,
            "/hooks/rtmp/on_play",
            None,
            form,
            body.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    s.ingest.stop().await;
    s.w.stop().await;
}
