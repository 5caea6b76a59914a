-- Chat rooms: one per stream, its owner and status from the catalog's
-- events, the room's message sequence and its slow mode.
CREATE TABLE chat_rooms (
    stream_id UUID PRIMARY KEY,
    owner_id UUID NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'ended')),
    -- The stream was deleted from the catalog: the room is gone for good.
    deleted BOOLEAN NOT NULL DEFAULT false,
    -- The newest message's seq; incremented in the transaction that inserts it.
    last_seq BIGINT NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    slow_mode_s INTEGER NOT NULL DEFAULT 0 CHECK (slow_mode_s BETWEEN 0 AND 120),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Messages: PostgreSQL is the source of truth; fan-out only carries copies.
CREATE TABLE chat_messages (
    id UUID PRIMARY KEY,
    stream_id UUID NOT NULL REFERENCES chat_rooms (stream_id) ON DELETE CASCADE,
    seq BIGINT NOT NULL CHECK (seq >= 1),
    user_id UUID NOT NULL,
    username TEXT NOT NULL,
    content TEXT NOT NULL CHECK (char_length(content) BETWEEN 1 AND 500),
    client_msg_id TEXT CHECK (char_length(client_msg_id) BETWEEN 1 AND 64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    deleted_by UUID,
    CONSTRAINT chat_messages_room_seq UNIQUE (stream_id, seq),
    -- A resend with the same client_msg_id is the same message.
    CONSTRAINT chat_messages_idempotent UNIQUE (stream_id, user_id, client_msg_id)
);
-- Rate limit and slow mode: a user's recent messages in a room.
CREATE INDEX chat_messages_user_recent ON chat_messages (stream_id, user_id, created_at DESC);

-- Bans per room; no expiry means until lifted.
CREATE TABLE chat_bans (
    stream_id UUID NOT NULL REFERENCES chat_rooms (stream_id) ON DELETE CASCADE,
    user_id UUID NOT NULL,
    banned_by UUID NOT NULL,
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, user_id)
);
