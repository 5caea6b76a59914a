-- Replays: one per recorded stream (a stream has one publisher session).
-- status: recording (live, segments being copied) -> processing (ended,
-- last segments being copied) -> ready (VOD playlist written) or none (too
-- short, nothing recorded); ready -> deleted (retention, or the stream was
-- deleted). media_sequence is the last nginx-rtmp sequence number copied.
CREATE TABLE replays (
    stream_id uuid PRIMARY KEY,
    session_id uuid NOT NULL,
    status text NOT NULL
        CHECK (status IN ('recording', 'processing', 'ready', 'none', 'deleted')),
    media_sequence bigint,
    segments integer NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    duration_s double precision NOT NULL DEFAULT 0,
    truncated boolean NOT NULL DEFAULT false,
    ended_at timestamptz,
    ready_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX replays_in_progress ON replays (stream_id)
    WHERE status IN ('recording', 'processing');
CREATE INDEX replays_ready_at ON replays (ready_at) WHERE status = 'ready';

-- The segments copied to the media store as replays/<stream_id>/<idx>.ts,
-- in broadcast order.
CREATE TABLE replay_segments (
    stream_id uuid NOT NULL REFERENCES replays (stream_id) ON DELETE CASCADE,
    idx integer NOT NULL CHECK (idx >= 0),
    media_sequence bigint NOT NULL,
    duration_s double precision NOT NULL CHECK (duration_s >= 0),
    bytes bigint NOT NULL CHECK (bytes >= 0),
    discontinuity boolean NOT NULL DEFAULT false,
    PRIMARY KEY (stream_id, idx)
);
