-- Publisher sessions: one per RTMP publish (or reported stream_started),
-- holding a lease that renewals extend. Never stores a stream key.
CREATE TABLE ingest_sessions (
    id UUID PRIMARY KEY,
    stream_id UUID NOT NULL,
    user_id UUID NOT NULL,
    -- 'rtmp' (nginx-rtmp hooks), 'nats' (live.ingest.events) or 'http' (internal endpoint)
    source TEXT NOT NULL CHECK (source IN ('rtmp', 'nats', 'http')),
    -- nginx-rtmp application and connection number, to find the session on
    -- publish_done / update and to drop the publisher.
    rtmp_app TEXT,
    rtmp_client_id TEXT,
    client_addr TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    started_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    end_reason TEXT,
    peak_viewers INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One active session per stream.
CREATE UNIQUE INDEX ingest_sessions_active_stream ON ingest_sessions (stream_id) WHERE status = 'active';
-- Active sessions of a streamer (key rotation kicks them).
CREATE INDEX ingest_sessions_active_user ON ingest_sessions (user_id) WHERE status = 'active';
-- nginx-rtmp callbacks find their session by connection.
CREATE INDEX ingest_sessions_rtmp_client ON ingest_sessions (rtmp_app, rtmp_client_id, created_at DESC);
-- The lease sweeper.
CREATE INDEX ingest_sessions_lease ON ingest_sessions (lease_expires_at) WHERE status = 'active';
-- Whether a stream has ever ended (a stale start must not revive it).
CREATE INDEX ingest_sessions_stream ON ingest_sessions (stream_id, ended_at);

-- Listener presence: a set per stream, so a listener counts once.
CREATE TABLE listeners (
    stream_id UUID NOT NULL,
    listener_id TEXT NOT NULL CHECK (char_length(listener_id) BETWEEN 1 AND 200),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, listener_id)
);
