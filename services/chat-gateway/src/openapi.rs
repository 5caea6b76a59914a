//! The OpenAPI document of chat-gateway, generated from the handlers and
//! kept in `docs/openapi/chat-gateway.json` (a test fails when stale). The
//! WebSocket protocol itself is described in the design (§6).

use utoipa::OpenApi;
use veza_live_domain::{ErrorBody, FieldError, chat::ChatMessage};
use veza_live_platform::{
    http::ListMeta,
    openapi::{BearerSecurity, CommonResponses},
};

use crate::routes::{
    bans::create::BanRequest,
    responses::{
        Ban, BanResponse, Deleted, DeletedResponse, ErrorResponse, MessageListResponse, Settings,
        SettingsResponse,
    },
    settings::update::SettingsRequest,
};

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
