//! Live state from ingest events, publish resolution, and the outbox.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use veza_live_domain::{
    ErrorBody, ReplayStatus, Subjects,
    events::{EndReason, Event, ReplayUpdated, StreamEnded, StreamStarted, ViewerCount},
    rpc::{StreamForUser, StreamForUserRequest},
};
use veza_live_platform::nats::{RpcError, publish_event, request};
use veza_live_system_tests::{World, start_catalog, wait_for_streams};
use veza_live_test_support::{HttpClient, TestDb, eventually, nats_client, unique_prefix};

use crate::{data, user};

const WAIT: Duration = Duration::from_secs(10);

/// Publishes an event under a fresh `Nats-Msg-Id`, so JetStream keeps
/// duplicates of the same `event_id` and the consumer must dedupe.
async fn emit<P: Serialize>(nats: &async_nats::Client, subject: String, event: &Event<P>) {
    let js = async_nats::jetstream::new(nats.clone());
    let body = serde_json::to_vec(event).expect("json");
    publish_event(&js, subject, Uuid::new_v4(), body.into(), None)
        .await
        .expect("published");
}

async fn stream_json(http: &HttpClient, id: Uuid, token: &str) -> Value {
    let res = http
        .get(&format!("/api/v1/live/streams/{id}"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    data(&res.body).clone()
}

async fn wait_status(http: &HttpClient, id: Uuid, token: &str, status: &str) -> Value {
    eventually(&format!("stream {id} to be {status}"), WAIT, || async {
        let s = stream_json(http, id, token).await;
        (s["status"] == status).then_some(s)
    })
    .await
}

async fn create(w: &World, token: &str, body: Value) -> Uuid {
    let res = w
        .catalog
        .http
        .post("/api/v1/live/streams", Some(token), &body)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    data(&res.body)["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("id")
}

fn started(stream_id: Uuid, user_id: Uuid, session_id: Uuid) -> Event<StreamStarted> {
    Event::new(
        StreamStarted {
            stream_id,
            user_id,
            session_id,
        },
        Utc::now(),
    )
}

fn ended(stream_id: Uuid, user_id: Uuid, session_id: Uuid) -> Event<StreamEnded> {
    Event::new(
        StreamEnded {
            stream_id,
            user_id,
            session_id,
            reason: EndReason::PublisherDone,
            recorded: false,
        },
        Utc::now(),
    )
}

async fn resolve(
    nats: &async_nats::Client,
    subjects: &Subjects,
    user_id: Uuid,
) -> Result<Uuid, RpcError> {
    let req = StreamForUserRequest {
        user_id,
        username: None,
    };
    let reply: StreamForUser = request(
        nats,
        subjects.rpc_resolve_publish(),
        &req,
        Duration::from_secs(3),
    )
    .await?;
    Ok(reply.stream_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_goes_live_counts_viewers_and_ends_as_a_replay() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    let id = create(&w, &token, json!({"title": "Set", "category": "house"})).await;
    let session = Uuid::new_v4();
    emit(
        &w.nats,
        w.subjects.stream_started(),
        &started(id, uid, session),
    )
    .await;
    let live = wait_status(&w.catalog.http, id, &token, "live").await;
    assert_eq!(live["is_live"], true);
    assert_eq!(
        live["stream_url"],
        format!("http://127.0.0.1:8090/hls/{id}.m3u8")
    );
    assert!(live["started_at"].is_string());

    let listed = w
        .catalog
        .http
        .get("/api/v1/live/streams?is_live=true", None)
        .await;
    assert_eq!(data(&listed.body)[0]["id"], id.to_string());

    emit(
        &w.nats,
        w.subjects.viewers(id),
        &Event::new(
            ViewerCount {
                stream_id: id,
                count: 7,
                peak: 9,
            },
            Utc::now(),
        ),
    )
    .await;
    eventually("viewer count", WAIT, || async {
        let s = stream_json(&w.catalog.http, id, &token).await;
        (s["viewer_count"] == 7 && s["peak_viewers"] == 9).then_some(())
    })
    .await;
    // An older report does not overwrite a newer one.
    let stale = Event::new(
        ViewerCount {
            stream_id: id,
            count: 1,
            peak: 1,
        },
        Utc::now() - chrono::Duration::seconds(30),
    );
    emit(&w.nats, w.subjects.viewers(id), &stale).await;

    // Editable while live, but not its schedule, and not deletable.
    let path = format!("/api/v1/live/streams/{id}");
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"title": "Set (live)"}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(data(&res.body)["status"], "live");
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"scheduled_at": at}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let res = w.catalog.http.delete(&path, Some(&token)).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(crate::error_code(&res.body), "stream_live");
    // A second publish while live is refused.
    match resolve(&w.nats, &w.subjects, uid).await {
        Err(RpcError::Refused(ErrorBody { code, .. })) => assert_eq!(code, "already_live"),
        other => panic!("expected already_live, got {other:?}"),
    }
    let s = stream_json(&w.catalog.http, id, &token).await;
    assert_eq!(s["viewer_count"], 7, "stale viewer report ignored");

    emit(&w.nats, w.subjects.stream_ended(), &ended(id, uid, session)).await;
    let vod = wait_status(&w.catalog.http, id, &token, "ended").await;
    assert_eq!(vod["is_vod"], true);
    assert_eq!(vod["viewer_count"], 0);
    assert_eq!(vod["peak_viewers"], 9);
    assert_eq!(vod["stream_url"], Value::Null);
    let listed = w
        .catalog
        .http
        .get("/api/v1/live/streams?is_vod=true", None)
        .await;
    assert_eq!(data(&listed.body)[0]["id"], id.to_string());
    let listed = w
        .catalog
        .http
        .get("/api/v1/live/streams?is_live=true", None)
        .await;
    assert_eq!(data(&listed.body).as_array().map(Vec::len), Some(0));
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_events_apply_once_and_reordered_events_leave_the_stream_ended() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    // Ended arrives before started: the stream ends and stays ended.
    let a = create(&w, &token, json!({"title": "A"})).await;
    let session = Uuid::new_v4();
    let start_a = started(a, uid, session);
    emit(&w.nats, w.subjects.stream_ended(), &ended(a, uid, session)).await;
    wait_status(&w.catalog.http, a, &token, "ended").await;
    emit(&w.nats, w.subjects.stream_started(), &start_a).await;

    // The same started event delivered twice is applied once.
    let b = create(&w, &token, json!({"title": "B"})).await;
    let start_b = started(b, uid, Uuid::new_v4());
    emit(&w.nats, w.subjects.stream_started(), &start_b).await;
    emit(&w.nats, w.subjects.stream_started(), &start_b).await;
    wait_status(&w.catalog.http, b, &token, "live").await;

    let ids = [start_a.event_id, start_b.event_id];
    let processed = eventually("both started deliveries handled", WAIT, || async {
        {
            use diesel::{ExpressionMethods, QueryDsl};
            use diesel_async::RunQueryDsl;
            use veza_live_catalog::schema::processed_events;
            let mut conn = w.catalog_db.connect().await;
            let n: i64 = processed_events::table
                .filter(processed_events::event_id.eq_any(ids))
                .count()
                .get_result(&mut conn)
                .await
                .ok()?;
            (n == 2).then_some(n)
        }
    })
    .await;
    assert_eq!(
        processed, 2,
        "one record per event id, however often delivered"
    );
    // Let the late deliveries drain, then check nothing revived A.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = stream_json(&w.catalog.http, a, &token).await;
    assert_eq!(
        s["status"], "ended",
        "a stale started does not revive an ended stream"
    );
    assert_eq!(s["started_at"], Value::Null);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_resolution_prefers_scheduled_then_draft_then_creates_a_copy() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    let draft = create(&w, &token, json!({"title": "Draft"})).await;
    assert_eq!(
        resolve(&w.nats, &w.subjects, uid).await.expect("resolve"),
        draft
    );
    let later = (Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let sooner = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let _far = create(&w, &token, json!({"title": "Far", "scheduled_at": later})).await;
    let near = create(&w, &token, json!({"title": "Near", "scheduled_at": sooner})).await;
    assert_eq!(
        resolve(&w.nats, &w.subjects, uid).await.expect("resolve"),
        near,
        "nearest scheduled first"
    );

    // With only ended streams, a new draft copies the last one.
    let (uid2, token2) = user("solo");
    let only = create(
        &w,
        &token2,
        json!({"title": "Old show", "category": "jazz", "tags": ["live"]}),
    )
    .await;
    let session = Uuid::new_v4();
    emit(
        &w.nats,
        w.subjects.stream_ended(),
        &ended(only, uid2, session),
    )
    .await;
    wait_status(&w.catalog.http, only, &token2, "ended").await;
    let fresh = resolve(&w.nats, &w.subjects, uid2).await.expect("resolve");
    assert_ne!(fresh, only);
    let s = stream_json(&w.catalog.http, fresh, &token2).await;
    assert_eq!(s["title"], "Old show");
    assert_eq!(s["category"], "jazz");
    assert_eq!(s["tags"], json!(["live"]));
    assert_eq!(s["status"], "draft");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_published_and_the_outbox_delivers_after_a_restart() {
    let prefix = unique_prefix();
    let subjects = Subjects::new(Some(&prefix)).expect("prefix");
    let db = TestDb::new("live-catalog", || veza_live_catalog::MIGRATIONS).await;
    let nats = nats_client().await;
    let catalog = start_catalog(&db, &prefix).await;
    wait_for_streams(&nats, &subjects).await;
    catalog.stop().await;

    // A change committed right before a crash: its outbox row is unpublished.
    let event_id = Uuid::new_v4();
    let stream_id = Uuid::new_v4();
    {
        use diesel::ExpressionMethods;
        use diesel_async::RunQueryDsl;
        use veza_live_catalog::schema::outbox;
        let mut conn = db.connect().await;
        let body = json!({"v": 1, "event_id": event_id, "occurred_at": Utc::now(), "stream": {"id": stream_id}});
        diesel::insert_into(outbox::table)
            .values((
                outbox::event_id.eq(event_id),
                outbox::subject.eq(subjects.stream_created()),
                outbox::payload.eq(body),
            ))
            .execute(&mut conn)
            .await
            .expect("insert");
    }
    let catalog = start_catalog(&db, &prefix).await;
    let js = async_nats::jetstream::new(nats.clone());
    let stream = js
        .get_stream(subjects.stream(veza_live_domain::subjects::STREAM_EVENTS))
        .await
        .expect("stream");
    let message = eventually("the outbox row on JetStream", WAIT, || {
        let stream = stream.clone();
        let subject = subjects.stream_created();
        async move { stream.get_last_raw_message_by_subject(&subject).await.ok() }
    })
    .await;
    let published: Value = serde_json::from_slice(&message.payload).expect("json");
    assert_eq!(published["event_id"], event_id.to_string());
    eventually("the row marked published", WAIT, || async {
        {
            use diesel::{ExpressionMethods, QueryDsl};
            use diesel_async::RunQueryDsl;
            use veza_live_catalog::schema::outbox;
            let mut conn = db.connect().await;
            let done: Option<chrono::DateTime<Utc>> = outbox::table
                .filter(outbox::event_id.eq(event_id))
                .select(outbox::published_at)
                .first(&mut conn)
                .await
                .ok()?;
            done.map(|_| ())
        }
    })
    .await;

    // A change made through the API reaches JetStream too, with its snapshot.
    let (_, token) = user("dj");
    let at = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut conn2 = db.connect().await;
    {
        use diesel_async::RunQueryDsl;
        // A stream created directly, then updated through the API.
        let id = Uuid::new_v4();
        diesel::sql_query(format!(
            "INSERT INTO live_streams (id, user_id, streamer_name, title, status) VALUES ('{id}', '{}', 'dj', 'Direct', 'draft')",
            token_user(&token)
        ))
        .execute(&mut conn2)
        .await
        .expect("insert stream");
        let res = catalog
            .http
            .put(
                &format!("/api/v1/live/streams/{id}"),
                Some(&token),
                &json!({"scheduled_at": at}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let updated = eventually("stream.updated on JetStream", WAIT, || {
            let stream = stream.clone();
            let subject = subjects.stream_updated();
            async move { stream.get_last_raw_message_by_subject(&subject).await.ok() }
        })
        .await;
        let event: Value = serde_json::from_slice(&updated.payload).expect("json");
        assert_eq!(event["v"], 1);
        assert_eq!(event["stream"]["id"], id.to_string());
        assert_eq!(event["stream"]["status"], "scheduled");
        assert!(event.get("stream_key").is_none() && event["stream"].get("stream_key").is_none());
    }
    catalog.stop().await;
}

fn token_user(token: &str) -> Uuid {
    veza_live_test_support::jwt()
        .verify(token)
        .expect("token")
        .user_id
}

fn replay(stream_id: Uuid, status: ReplayStatus, duration: Option<f64>) -> Event<ReplayUpdated> {
    Event::new(
        ReplayUpdated {
            stream_id,
            status,
            duration_seconds: duration,
            playlist: (status == ReplayStatus::Ready)
                .then(|| format!("replays/{stream_id}/index.m3u8")),
        },
        Utc::now(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_replay_is_the_owners_until_live_and_replay_updates_only_move_forward() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    let id = create(&w, &token, json!({"title": "Set", "record_replay": false})).await;
    let path = format!("/api/v1/live/streams/{id}");
    assert_eq!(
        stream_json(&w.catalog.http, id, &token).await["record_replay"],
        false
    );
    // Before going live the owner may change it; null is refused.
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"record_replay": true}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(data(&res.body)["record_replay"], true);
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"record_replay": null}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    // resolve_publish tells ingest-events the owner's choice.
    let chosen: StreamForUser = request(
        &w.nats,
        w.subjects.rpc_resolve_publish(),
        &StreamForUserRequest {
            user_id: uid,
            username: None,
        },
        Duration::from_secs(3),
    )
    .await
    .expect("a stream to publish");
    assert_eq!((chosen.stream_id, chosen.record_replay), (id, true));

    let session = Uuid::new_v4();
    emit(
        &w.nats,
        w.subjects.stream_started(),
        &started(id, uid, session),
    )
    .await;
    wait_status(&w.catalog.http, id, &token, "live").await;
    // Once live it is fixed (the same value is not a change).
    let res = w
        .catalog
        .http
        .put(&path, Some(&token), &json!({"record_replay": false}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(crate::error_code(&res.body), "invalid_state");
    let res = w
        .catalog
        .http
        .put(
            &path,
            Some(&token),
            &json!({"record_replay": true, "title": "Set 2"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A recorded end: processing at once.
    let mut end = ended(id, uid, session);
    end.payload.recorded = true;
    emit(&w.nats, w.subjects.stream_ended(), &end).await;
    let s = wait_status(&w.catalog.http, id, &token, "ended").await;
    assert_eq!(s["replay_status"], "processing", "{s}");
    assert_eq!(s["stream_url"], Value::Null);

    // Ready: the replay plays.
    emit(
        &w.nats,
        w.subjects.replay_updated(),
        &replay(id, ReplayStatus::Ready, Some(61.5)),
    )
    .await;
    let s = eventually("the replay to be ready", WAIT, || async {
        let s = stream_json(&w.catalog.http, id, &token).await;
        (s["replay_status"] == "ready").then_some(s)
    })
    .await;
    assert_eq!(s["duration_seconds"], 61.5);
    assert_eq!(
        s["stream_url"],
        format!("http://127.0.0.1:8080/media/replays/{id}/index.m3u8")
    );
    // A late processing changes nothing; none (expired) goes further.
    emit(
        &w.nats,
        w.subjects.replay_updated(),
        &replay(id, ReplayStatus::Processing, None),
    )
    .await;
    emit(
        &w.nats,
        w.subjects.replay_updated(),
        &replay(id, ReplayStatus::None, None),
    )
    .await;
    let s = eventually("the replay to be gone", WAIT, || async {
        let s = stream_json(&w.catalog.http, id, &token).await;
        (s["replay_status"] == "none").then_some(s)
    })
    .await;
    assert_eq!(s["stream_url"], Value::Null);
    assert_eq!(s["status"], "ended");
    // And a late ready cannot bring it back.
    emit(
        &w.nats,
        w.subjects.replay_updated(),
        &replay(id, ReplayStatus::Ready, Some(61.5)),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        stream_json(&w.catalog.http, id, &token).await["replay_status"],
        "none"
    );
    w.stop().await;
}
