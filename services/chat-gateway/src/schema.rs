//! Tables of the chat database.

diesel::table! {
    chat_rooms (stream_id) {
        stream_id -> Uuid,
        owner_id -> Uuid,
        status -> Text,
        deleted -> Bool,
        last_seq -> Int8,
        slow_mode_s -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> Uuid,
        stream_id -> Uuid,
        seq -> Int8,
        user_id -> Uuid,
        username -> Text,
        content -> Text,
        client_msg_id -> Nullable<Text>,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    chat_bans (stream_id, user_id) {
        stream_id -> Uuid,
        user_id -> Uuid,
        banned_by -> Uuid,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(chat_messages -> chat_rooms (stream_id));
diesel::joinable!(chat_bans -> chat_rooms (stream_id));
diesel::allow_tables_to_appear_in_same_query!(chat_rooms, chat_messages, chat_bans);

pub use veza_live_platform::schema::{outbox, processed_events};
