//! The OpenAPI document of chat-gateway, generated from the handlers and
//! kept in `docs/openapi/chat-gateway.json` (a test fails when stale). The
//! WebSocket protocol itself is described in the design (§6).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;
use veza_live_domain::{ErrorBody, FieldError, chat::ChatMessage};
pub use veza_live_platform::openapi::ErrorResponse;
use veza_live_platform::{
    http::ListMeta,
    openapi::{BearerSecurity, CommonResponses},
};

use crate::routes::{bans::create::BanRequest, settings::update::SettingsRequest};

/// `{"success": true, "data": [ChatMessage], "meta": {...}}`.
#[derive(ToSchema)]
pub struct MessageListResponse {
    pub success: bool,
    pub data: Vec<ChatMessage>,
    pub meta: ListMeta,
}

/// What a message delete answers.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub id: Uuid,
    pub deleted: bool,
}

/// `{"success": true, "data": {"id", "deleted"}}`.
#[derive(ToSchema)]
pub struct DeletedResponse {
    pub success: bool,
    pub data: Deleted,
}

/// A user's ban state in a room.
#[derive(Serialize, ToSchema)]
pub struct Ban {
    pub stream_id: Uuid,
    pub user_id: Uuid,
    pub banned: bool,
    /// When a timed ban ends; null for a ban until lifted (or no ban).
    pub expires_at: Option<DateTime<Utc>>,
}

/// `{"success": true, "data": Ban}`.
#[derive(ToSchema)]
pub struct BanResponse {
    pub success: bool,
    pub data: Ban,
}

/// A room's settings.
#[derive(Serialize, ToSchema)]
pub struct Settings {
    pub stream_id: Uuid,
    #[schema(minimum = 0, maximum = 120)]
    pub slow_mode_s: i32,
}

/// `{"success": true, "data": Settings}`.
#[derive(ToSchema)]
pub struct SettingsResponse {
    pub success: bool,
    pub data: Settings,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Veza Live — chat-gateway",
        version = "1.0.0",
        description = "Live chat per stream: history, moderation and the chat WebSocket."
    ),
    paths(
        crate::routes::messages::list::list,
        crate::routes::messages::delete::delete,
        crate::routes::bans::create::create,
        crate::routes::bans::delete::delete,
        crate::routes::settings::update::update,
        crate::ws::upgrade::upgrade,
    ),
    components(schemas(
        ChatMessage, MessageListResponse, Deleted, DeletedResponse, BanRequest, Ban, BanResponse,
        SettingsRequest, Settings, SettingsResponse, ListMeta, ErrorResponse, ErrorBody, FieldError
    )),
    modifiers(&BearerSecurity, &CommonResponses),
    tags((name = "chat", description = "Live chat"))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn committed_spec_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/openapi/chat-gateway.json");
        veza_live_platform::openapi::assert_spec_current(&path, &super::ApiDoc::openapi());
    }

    #[test]
    fn the_bounds_the_server_checks_are_declared() {
        use crate::routes::{
            bans::create::MAX_DURATION_S, messages::list::MAX_LIMIT,
            settings::update::MAX_SLOW_MODE_S,
        };

        let doc = serde_json::to_value(super::ApiDoc::openapi()).expect("serialises");
        let params = doc["paths"]["/api/v1/live/streams/{id}/chat/messages"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let limit = params.iter().find(|p| p["name"] == "limit").expect("limit");
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(limit["schema"]["maximum"], MAX_LIMIT);

        let schemas = &doc["components"]["schemas"];
        let duration = &schemas["BanRequest"]["properties"]["duration_s"];
        assert_eq!(duration["minimum"], 1);
        assert_eq!(duration["maximum"], MAX_DURATION_S);
        let slow_mode = &schemas["SettingsRequest"]["properties"]["slow_mode_s"];
        assert_eq!(slow_mode["minimum"], 0);
        assert_eq!(slow_mode["maximum"], MAX_SLOW_MODE_S);

        let ban = &doc["paths"]["/api/v1/live/streams/{id}/chat/bans"]["post"]["responses"];
        for status in ["413", "415"] {
            assert!(ban[status].is_object(), "POST bans lacks {status}");
        }
        assert!(!doc.to_string().contains(r#""type":"number""#));
    }
}
