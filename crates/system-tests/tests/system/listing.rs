//! Listing filters, orders and cursor pagination.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use veza_live_system_tests::World;

use crate::{data, error_code, user};

async fn all_pages(w: &World, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut path = format!("/api/v1/live/streams?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let res = w.catalog.http.get(&path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let page = data(&res.body).as_array().expect("array").clone();
        assert!(page.len() <= limit as usize);
        let meta = &res.body["meta"];
        assert_eq!(meta["limit"], limit);
        out.extend(page);
        match meta["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(meta["has_more"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(meta["has_more"], false);
                return out;
            }
        }
    }
    panic!("pagination did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_listing_is_ordered_by_time_and_pages_without_gaps_or_duplicates() {
    let w = World::start().await;
    let (_, a) = user("a");
    let (uid_b, b) = user("b");
    let mut expected = Vec::new();
    // Created in shuffled time order, by two streamers, two categories.
    for (i, hours) in [5, 1, 4, 2, 3, 7, 6].into_iter().enumerate() {
        let token = if i % 2 == 0 { &a } else { &b };
        let category = if i % 2 == 0 { "house" } else { "jazz" };
        let at = (Utc::now() + Duration::hours(hours)).to_rfc3339();
        let res = w
            .catalog
            .http
            .post(
                "/api/v1/live/streams",
                Some(token),
                &json!({"title": format!("S{hours}"), "category": category, "scheduled_at": at}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
        expected.push((
            hours,
            data(&res.body)["id"].as_str().expect("id").to_owned(),
        ));
    }
    // Drafts exist too and never show.
    let _ = w
        .catalog
        .http
        .post(
            "/api/v1/live/streams",
            Some(&a),
            &json!({"title": "hidden"}),
        )
        .await;
    expected.sort();
    let ids: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();

    let listed = all_pages(&w, "scheduled=true", 2).await;
    let got: Vec<String> = listed
        .iter()
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(got, ids, "soonest first, every stream exactly once");
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());

    let everything = all_pages(&w, "is_live=false", 3).await;
    assert_eq!(everything.len(), 7, "drafts excluded");

    let by_user = all_pages(&w, &format!("user_id={uid_b}"), 10).await;
    assert_eq!(by_user.len(), 3);
    assert!(by_user.iter().all(|s| s["user_id"] == uid_b.to_string()));
    let by_category = all_pages(&w, "category=house", 10).await;
    assert_eq!(by_category.len(), 4);
    assert!(by_category.iter().all(|s| s["category"] == "house"));
    let none = all_pages(&w, "is_live=true", 10).await;
    assert!(none.is_empty());
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_listing_parameters_are_400() {
    let w = World::start().await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "is_live=maybe",
        "user_id=not-a-uuid",
        "cursor=!!!",
        "unknown=1",
    ] {
        let res = w
            .catalog
            .http
            .get(&format!("/api/v1/live/streams?{query}"), None)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}: {}", res.body);
        let code = error_code(&res.body);
        assert!(
            code == "validation_failed" || code == "bad_request",
            "{query}: {code}"
        );
        assert!(res.body["error"]["request_id"].is_string());
    }
    // A cursor from one listing is refused by another.
    let (_, token) = user("a");
    for h in 1..=3 {
        let at = (Utc::now() + Duration::hours(h)).to_rfc3339();
        let _ = w
            .catalog
            .http
            .post(
                "/api/v1/live/streams",
                Some(&token),
                &json!({"title": "x", "scheduled_at": at}),
            )
            .await;
    }
    let res = w
        .catalog
        .http
        .get("/api/v1/live/streams?scheduled=true&limit=1", None)
        .await;
    let cursor = res.body["meta"]["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let res = w
        .catalog
        .http
        .get(
            &format!("/api/v1/live/streams?is_vod=true&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.body["error"]["details"][0]["field"], "cursor");
    w.stop().await;
}
