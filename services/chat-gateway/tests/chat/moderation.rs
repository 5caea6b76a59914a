//! Moderation and limits: bans, deletions, rate limit, slow mode,
//! idempotent resends.

use serde_json::json;
use veza_live_domain::StreamStatus;

use crate::support::{World, connect, data, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_stops_an_open_socket_on_another_instance_and_unban_restores_it() {
    let w = World::new().await;
    let (a, b) = (w.start().await, w.start().await);
    let (owner, owner_token) = user("dj");
    let stream = w.stream(&a, owner, StreamStatus::Live).await;
    let (troll, troll_token) = user("troll");
    let mut ws = connect(&b, Some(&troll_token)).await;
    assert_eq!(ws.join(stream, None).await["can_send"], true);
    ws.say(stream, "first").await;
    ws.recv_type("message").await;

    let bans = format!("/api/v1/live/streams/{stream}/chat/bans");
    let refused = a
        .http
        .post(&bans, Some(&troll_token), &json!({"user_id": owner}))
        .await;
    assert_eq!(refused.status, 403, "only the owner bans");
    let res = a
        .http
        .post(
            &bans,
            Some(&owner_token),
            &json!({"user_id": troll, "duration_s": 600}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(data(&res.body)["expires_at"].is_string());

    ws.say(stream, "still here?").await;
    assert_eq!(ws.recv_type("error").await["code"], "banned");

    let res = a
        .http
        .delete(&format!("{bans}/{troll}"), Some(&owner_token))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    ws.say(stream, "back").await;
    assert_eq!(ws.recv_type("message").await["content"], "back");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_by_the_author_or_owner_reaches_every_instance() {
    let w = World::new().await;
    let (a, b) = (w.start().await, w.start().await);
    let (owner, owner_token) = user("dj");
    let stream = w.stream(&a, owner, StreamStatus::Live).await;
    let (_, alice_token) = user("alice");
    let (_, bob_token) = user("bob");
    let mut alice = connect(&a, Some(&alice_token)).await;
    let mut reader = connect(&b, None).await;
    alice.join(stream, None).await;
    reader.join(stream, None).await;
    alice.say(stream, "oops").await;
    alice.say(stream, "rude").await;
    let oops = reader.recv_type("message").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let rude = reader.recv_type("message").await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let path = |id: &str| format!("/api/v1/live/streams/{stream}/chat/messages/{id}");
    assert_eq!(
        a.http.delete(&path(&oops), Some(&bob_token)).await.status,
        403
    );
    assert_eq!(
        a.http.delete(&path(&oops), Some(&alice_token)).await.status,
        200
    );
    assert_eq!(
        a.http.delete(&path(&rude), Some(&owner_token)).await.status,
        200
    );
    for id in [&oops, &rude] {
        let deleted = reader.recv_type("message_deleted").await;
        assert_eq!(deleted["id"], id.as_str());
        assert_eq!(alice.recv_type("message_deleted").await["id"], id.as_str());
    }
    let res = b
        .http
        .get(
            &format!("/api/v1/live/streams/{stream}/chat/messages"),
            None,
        )
        .await;
    assert_eq!(data(&res.body).as_array().map(Vec::len), Some(0));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_message_in_ten_seconds_is_rate_limited_with_retry_after() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.join(stream, None).await;
    for n in 1..=5 {
        ws.say(stream, &format!("m{n}")).await;
        assert_eq!(ws.recv_type("message").await["seq"], n);
    }
    ws.say(stream, "one too many").await;
    let error = ws.recv_type("error").await;
    assert_eq!(error["code"], "rate_limited");
    let wait = error["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!((1..=10_000).contains(&wait), "{wait}");
    // Another socket of the same user is limited too: the limit is per
    // user and room, not per socket.
    let mut other = connect(&chat, Some(&alice)).await;
    other.join(stream, None).await;
    other.say(stream, "sneaky").await;
    assert_eq!(other.recv_type("error").await["code"], "rate_limited");
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_mode_set_by_the_owner_spaces_each_users_messages() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, owner_token) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let settings = format!("/api/v1/live/streams/{stream}/chat/settings");
    assert_eq!(
        chat.http
            .put(&settings, Some(&alice), &json!({"slow_mode_s": 30}))
            .await
            .status,
        403
    );
    assert_eq!(
        chat.http
            .put(&settings, Some(&owner_token), &json!({"slow_mode_s": 121}))
            .await
            .status,
        400
    );
    let res = chat
        .http
        .put(&settings, Some(&owner_token), &json!({"slow_mode_s": 30}))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    let mut ws = connect(&chat, Some(&alice)).await;
    ws.join(stream, None).await;
    ws.say(stream, "one").await;
    ws.recv_type("message").await;
    ws.say(stream, "two").await;
    let error = ws.recv_type("error").await;
    assert_eq!(error["code"], "rate_limited");
    assert!(error["retry_after_ms"].as_u64().expect("retry_after_ms") > 20_000);
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_with_the_same_client_msg_id_is_stored_once() {
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut ws = connect(&chat, Some(&alice)).await;
    ws.join(stream, None).await;
    let frame =
        json!({"type": "send", "stream_id": stream, "content": "once", "client_msg_id": "k1"});
    ws.send(frame.clone()).await;
    let first = ws.recv_type("message").await;
    ws.send(frame).await;
    let again = ws.recv_type("message").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["seq"], first["seq"]);
    let res = chat
        .http
        .get(
            &format!("/api/v1/live/streams/{stream}/chat/messages"),
            None,
        )
        .await;
    assert_eq!(data(&res.body).as_array().map(Vec::len), Some(1));
    chat.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_that_commit_together_keep_the_limits_exact_and_seq_gapless() {
    use diesel::QueryDsl;
    use diesel_async::{AnsiTransactionManager, RunQueryDsl, TransactionManager};
    use veza_live_chat_gateway::schema::chat_messages::dsl;
    let w = World::new().await;
    let chat = w.start().await;
    let (owner, _) = user("dj");
    let stream = w.stream(&chat, owner, StreamStatus::Live).await;
    let (_, alice) = user("alice");
    let mut reader = connect(&chat, None).await;
    reader.join(stream, None).await;
    let mut sockets = Vec::new();
    for _ in 0..7 {
        let mut ws = connect(&chat, Some(&alice)).await;
        ws.join(stream, None).await;
        sockets.push(ws);
    }
    // The room row is locked elsewhere, so the sends queue up and commit
    // together once it is free: seven by one user (limit 5), two of them
    // with the same client_msg_id.
    let mut lock = w.db.connect().await;
    AnsiTransactionManager::begin_transaction(&mut lock)
        .await
        .expect("begin");
    diesel::sql_query(format!(
        "SELECT 1 FROM chat_rooms WHERE stream_id = '{stream}' FOR UPDATE"
    ))
    .execute(&mut lock)
    .await
    .expect("lock the room");
    for (n, ws) in sockets.iter_mut().enumerate() {
        let mut frame = json!({"type": "send", "stream_id": stream, "content": format!("m{n}")});
        if n < 2 {
            frame["client_msg_id"] = json!("same");
        }
        ws.send(frame).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    AnsiTransactionManager::rollback_transaction(&mut lock)
        .await
        .expect("unlock");
    // The room sees five messages, seq 1 to 5, in order.
    for seq in 1..=5 {
        assert_eq!(reader.recv_type("message").await["seq"], seq);
    }
    // Every socket hears its outcome: its message (its own or, for the
    // second of the pair, the first's) or a rate limit.
    let mut refused = 0;
    for (n, ws) in sockets.iter_mut().enumerate() {
        let frame = loop {
            let frame = ws.recv().await;
            let mine = frame["type"] == "message"
                && (frame["content"] == format!("m{n}").as_str()
                    || n < 2 && frame["client_msg_id"] == "same");
            if frame["type"] == "error" || mine {
                break frame;
            }
        };
        if frame["type"] == "error" {
            assert_eq!(frame["code"], "rate_limited", "{frame}");
            refused += 1;
        }
    }
    assert!((1..=2).contains(&refused), "{refused} refused");
    let mut conn = w.db.connect().await;
    let stored: Vec<(i64, Option<String>)> = dsl::chat_messages
        .filter(diesel::ExpressionMethods::eq(dsl::stream_id, stream))
        .order(dsl::seq)
        .select((dsl::seq, dsl::client_msg_id))
        .load(&mut conn)
        .await
        .expect("messages");
    let seqs: Vec<i64> = stored.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "exactly the limit, gapless");
    let same = stored
        .iter()
        .filter(|(_, cid)| cid.as_deref() == Some("same"))
        .count();
    assert!(same <= 1, "a client_msg_id is stored once");
    chat.stop().await;
}
