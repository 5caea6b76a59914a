//! Stream keys: shown only to their owner, regenerated on demand,
//! validated over NATS, encrypted at rest, guessing throttled.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;
use veza_live_domain::{
    ErrorBody,
    rpc::{IssueKeyRequest, IssuedKey, RpcReply, ValidateKeyRequest, ValidatedKey},
};
use veza_live_platform::nats::{RpcError, request};
use veza_live_system_tests::{World, start_stream_key_with};
use veza_live_test_support::{TestDb, nats_client, unique_prefix};

use crate::{data, error_code, user};

const RPC_TIMEOUT: Duration = Duration::from_secs(3);

async fn validate(
    nats: &async_nats::Client,
    subject: String,
    key: &str,
    addr: &str,
) -> Result<ValidatedKey, RpcError> {
    let req = ValidateKeyRequest {
        stream_key: key.to_owned(),
        client_addr: Some(addr.to_owned()),
    };
    request(nats, subject, &req, RPC_TIMEOUT).await
}

fn refused_code(result: Result<ValidatedKey, RpcError>) -> String {
    match result {
        Err(RpcError::Refused(ErrorBody { code, .. })) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_key_creates_a_draft_for_a_new_streamer_and_is_stable() {
    let w = World::start().await;
    let (uid, token) = user("newcomer");
    let first = w
        .keys
        .http
        .get("/api/v1/live/streams/me/key", Some(&token))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let k = data(&first.body);
    assert_eq!(k["rtmp_url"], "rtmp://127.0.0.1:1935/live");
    let stream_id = k["stream_id"].as_str().expect("stream_id").to_owned();
    // The draft exists in the catalog, for its owner only.
    let mine = w
        .catalog
        .http
        .get("/api/v1/live/streams/me", Some(&token))
        .await;
    let streams = data(&mine.body).as_array().expect("list").clone();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["id"], stream_id.as_str());
    assert_eq!(streams[0]["status"], "draft");
    assert_eq!(streams[0]["user_id"], uid.to_string());
    assert_eq!(streams[0]["title"], "newcomer is live");
    // A second call returns the same key and stream, creating nothing.
    let second = w
        .keys
        .http
        .get("/api/v1/live/streams/me/key", Some(&token))
        .await;
    assert_eq!(data(&second.body), k);
    let mine = w
        .catalog
        .http
        .get("/api/v1/live/streams/me", Some(&token))
        .await;
    assert_eq!(data(&mine.body).as_array().map(Vec::len), Some(1));
    // No token, no key.
    let anon = w.keys.http.get("/api/v1/live/streams/me/key", None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&anon.body), "unauthorized");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_invalidates_the_old_key_at_once_and_announces_it() {
    let w = World::start().await;
    let (uid, token) = user("dj");
    let js = async_nats::jetstream::new(w.nats.clone());
    let created = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&token),
            &json!({"title": "Set"}),
        )
        .await;
    let old_key = data(&created.body)["stream_key"]
        .as_str()
        .expect("key")
        .to_owned();
    let validated = validate(
        &w.nats,
        w.subjects.rpc_keys_validate(),
        &old_key,
        "10.0.0.1",
    )
    .await
    .expect("valid");
    assert_eq!(validated.user_id, uid);

    let res = w
        .keys
        .http
        .post(
            "/api/v1/live/streams/me/key/regenerate",
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let new_key = data(&res.body)["stream_key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_ne!(new_key, old_key);
    assert_eq!(data(&res.body)["stream_id"], data(&created.body)["id"]);

    assert_eq!(
        refused_code(
            validate(
                &w.nats,
                w.subjects.rpc_keys_validate(),
                &old_key,
                "10.0.0.1"
            )
            .await
        ),
        "invalid_key"
    );
    let validated = validate(
        &w.nats,
        w.subjects.rpc_keys_validate(),
        &new_key,
        "10.0.0.1",
    )
    .await
    .expect("valid");
    assert_eq!(validated.user_id, uid);
    // The owner's views show the new key.
    let mine = w
        .catalog
        .http
        .get("/api/v1/live/streams/me", Some(&token))
        .await;
    assert_eq!(data(&mine.body)[0]["stream_key"], new_key.as_str());

    // live.events.key.rotated reached JetStream through the outbox.
    let stream = js
        .get_stream(w.subjects.stream(veza_live_domain::subjects::STREAM_EVENTS))
        .await
        .expect("stream");
    let rotated =
        veza_live_test_support::eventually("key.rotated event", Duration::from_secs(5), || {
            let stream = stream.clone();
            let subject = w.subjects.key_rotated();
            async move { stream.get_last_raw_message_by_subject(&subject).await.ok() }
        })
        .await;
    let event: serde_json::Value = serde_json::from_slice(&rotated.payload).expect("json");
    assert_eq!(event["v"], 1);
    assert_eq!(event["user_id"], uid.to_string());
    assert!(
        !String::from_utf8_lossy(&rotated.payload).contains(&new_key),
        "events never carry keys"
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_encrypted_at_rest_with_an_hmac_lookup() {
    let w = World::start().await;
    let mut keys = Vec::new();
    for name in ["a", "b", "c"] {
        let (_, token) = user(name);
        let res = w
            .keys
            .http
            .get("/api/v1/live/streams/me/key", Some(&token))
            .await;
        keys.push(
            data(&res.body)["stream_key"]
                .as_str()
                .expect("key")
                .to_owned(),
        );
    }
    let mut conn = w.keys_db.connect().await;
    let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = {
        use diesel::QueryDsl;
        use diesel_async::RunQueryDsl;
        use veza_live_stream_key::schema::stream_keys::dsl::*;
        stream_keys
            .select((key_ciphertext, key_nonce, key_hmac))
            .load(&mut conn)
            .await
            .expect("rows")
    };
    assert_eq!(rows.len(), 3);
    let mut nonces = std::collections::HashSet::new();
    for (ciphertext, nonce, hmac) in &rows {
        assert_eq!(hmac.len(), 32);
        assert!(nonces.insert(nonce.clone()), "nonces are unique");
        for key in &keys {
            let needle = key.as_bytes();
            assert!(
                !ciphertext.windows(needle.len()).any(|w| w == needle),
                "plaintext key in ciphertext"
            );
            let simple = Uuid::parse_str(key).expect("uuid");
            assert!(
                !ciphertext.windows(16).any(|w| w == simple.as_bytes()),
                "raw key bytes in ciphertext"
            );
        }
    }
    // And nowhere else in the database, as text.
    let dump: Vec<String> = {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let rows: Vec<Text> = diesel::sql_query("SELECT row_to_json(s)::text AS t FROM stream_keys s UNION ALL SELECT row_to_json(o)::text FROM outbox o")
            .load(&mut conn)
            .await
            .expect("dump");
        rows.into_iter().map(|r| r.t).collect()
    };
    for key in &keys {
        assert!(
            !dump.iter().any(|row| row.contains(key.as_str())),
            "plaintext key stored"
        );
    }
    let _ = w.keys_db.url.expose_secret();
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_over_nats_gets_or_creates_one_key_per_streamer() {
    let w = World::start().await;
    let uid = Uuid::new_v4();
    let subject = w.subjects.rpc_keys_issue();
    let a: IssuedKey = request(
        &w.nats,
        subject.clone(),
        &IssueKeyRequest { user_id: uid },
        RPC_TIMEOUT,
    )
    .await
    .expect("issue");
    let b: IssuedKey = request(
        &w.nats,
        subject,
        &IssueKeyRequest { user_id: uid },
        RPC_TIMEOUT,
    )
    .await
    .expect("issue");
    assert_eq!(a, b);
    assert_eq!(a.rtmp_url, "rtmp://127.0.0.1:1935/live");
    // A request that does not parse gets a bad_request reply, not silence.
    let raw = w
        .nats
        .request(w.subjects.rpc_keys_issue(), "not json".into())
        .await
        .expect("reply");
    let reply: RpcReply<IssuedKey> = serde_json::from_slice(&raw.payload).expect("envelope");
    assert_eq!(reply.error.map(|e| e.code), Some("bad_request".to_owned()));
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_throttled_per_address_and_validation_fails_closed() {
    let prefix = unique_prefix();
    let db = TestDb::new("stream-key", || veza_live_stream_key::MIGRATIONS).await;
    let keys = start_stream_key_with(&db, &prefix, &[("KEY_GUESS_LIMIT", "10")]).await;
    let nats = nats_client().await;
    let subjects = veza_live_domain::Subjects::new(Some(&prefix)).expect("prefix");
    let uid = Uuid::new_v4();
    let issued: IssuedKey = request(
        &nats,
        subjects.rpc_keys_issue(),
        &IssueKeyRequest { user_id: uid },
        RPC_TIMEOUT,
    )
    .await
    .expect("issue");
    let subject = subjects.rpc_keys_validate();
    for i in 0..10 {
        let guess = Uuid::new_v4().to_string();
        let code = refused_code(validate(&nats, subject.clone(), &guess, "192.0.2.7").await);
        assert_eq!(code, "invalid_key", "guess {i}");
    }
    // The 11th attempt from that address is refused even with the right key.
    assert_eq!(
        refused_code(validate(&nats, subject.clone(), &issued.stream_key, "192.0.2.7").await),
        "throttled"
    );
    // Another address is unaffected.
    let ok = validate(&nats, subject.clone(), &issued.stream_key, "192.0.2.8")
        .await
        .expect("valid");
    assert_eq!(ok.user_id, uid);
    // Malformed keys count as failures too, and never reach the database.
    assert_eq!(
        refused_code(validate(&nats, subject.clone(), "../../etc", "192.0.2.9").await),
        "invalid_key"
    );

    // Fails closed: with stream-key gone, validation is unavailable, not allowed.
    keys.stop().await;
    match validate(&nats, subject, &issued.stream_key, "192.0.2.8").await {
        Err(RpcError::Unavailable(_)) => {}
        other => panic!("validation must fail closed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_with_a_body_other_than_nothing_or_an_empty_object_changes_nothing() {
    let w = World::start().await;
    let (_, token) = user("dj");
    let regenerate = async |body: Vec<u8>| {
        w.keys
            .http
            .send_raw(
                reqwest::Method::POST,
                "/api/v1/live/streams/me/key/regenerate",
                Some(&token),
                "application/json",
                body,
            )
            .await
    };
    let shown = w
        .keys
        .http
        .get("/api/v1/live/streams/me/key", Some(&token))
        .await;
    let key = data(&shown.body)["stream_key"]
        .as_str()
        .expect("key")
        .to_owned();
    for (body, status) in [
        (b"{\"x\": 1}".to_vec(), StatusCode::BAD_REQUEST),
        (b"not json".to_vec(), StatusCode::BAD_REQUEST),
        (b"[]".to_vec(), StatusCode::BAD_REQUEST),
        (vec![b' '; 2 * 1024 * 1024], StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let res = regenerate(body).await;
        assert_eq!(res.status, status, "{}", res.body);
        let again = w
            .keys
            .http
            .get("/api/v1/live/streams/me/key", Some(&token))
            .await;
        assert_eq!(
            data(&again.body)["stream_key"],
            key.as_str(),
            "the key changed"
        );
    }
    for body in [Vec::new(), b"{}".to_vec(), b" { } ".to_vec()] {
        let res = regenerate(body).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    w.stop().await;
}
