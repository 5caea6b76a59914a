-- Streams: metadata, status and the live state derived from ingest events.
CREATE TABLE live_streams (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL,
    streamer_name TEXT NOT NULL,
    title TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 140),
    description TEXT CHECK (char_length(description) <= 5000),
    category TEXT CHECK (char_length(category) <= 64),
    tags TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    thumbnail_url TEXT CHECK (char_length(thumbnail_url) <= 2048),
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'ended')),
    scheduled_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    viewer_count INTEGER NOT NULL DEFAULT 0 CHECK (viewer_count >= 0),
    peak_viewers INTEGER NOT NULL DEFAULT 0 CHECK (peak_viewers >= 0),
    -- The ingest session that made the stream live, and when viewers were
    -- last reported, so that late or reordered events are recognised.
    session_id UUID,
    viewers_reported_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'scheduled' OR scheduled_at IS NOT NULL)
);

-- A streamer's own streams, newest first (GET /live/streams/me, publish resolution).
CREATE INDEX live_streams_user_created ON live_streams (user_id, created_at DESC, id DESC);
-- One live stream per streamer.
CREATE UNIQUE INDEX live_streams_one_live_per_user ON live_streams (user_id) WHERE status = 'live';
-- Live listing: most viewers first.
CREATE INDEX live_streams_live_by_viewers ON live_streams (viewer_count DESC, id DESC) WHERE status = 'live';
-- Scheduled listing: soonest first.
CREATE INDEX live_streams_scheduled_by_time ON live_streams (scheduled_at ASC, id ASC) WHERE status = 'scheduled';
-- Replays (VOD): most recently ended first.
CREATE INDEX live_streams_vod_by_end ON live_streams (ended_at DESC, id DESC) WHERE status = 'ended';
-- Everything public, newest first, and by category.
CREATE INDEX live_streams_public_by_created ON live_streams (created_at DESC, id DESC) WHERE status <> 'draft';
CREATE INDEX live_streams_category_by_created ON live_streams (category, created_at DESC, id DESC) WHERE status <> 'draft';
