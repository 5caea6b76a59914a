-- Replays: whether the owner wants the broadcast recorded, and where its
-- replay is. replay_rank orders the statuses of live.events.replay.updated
-- (processing 1, ready 2, none-after-the-end 3) so that an older update
-- arriving late never undoes a newer one.
ALTER TABLE live_streams
    ADD COLUMN record_replay boolean NOT NULL DEFAULT true,
    ADD COLUMN replay_status text NOT NULL DEFAULT 'none'
        CHECK (replay_status IN ('none', 'processing', 'ready')),
    ADD COLUMN replay_rank smallint NOT NULL DEFAULT 0,
    ADD COLUMN replay_playlist text,
    ADD COLUMN replay_duration_s double precision,
    ADD CONSTRAINT live_streams_replay_ready_has_playlist
        CHECK (replay_status <> 'ready' OR replay_playlist IS NOT NULL);
