ALTER TABLE live_streams
    DROP CONSTRAINT live_streams_replay_ready_has_playlist,
    DROP COLUMN replay_duration_s,
    DROP COLUMN replay_playlist,
    DROP COLUMN replay_rank,
    DROP COLUMN replay_status,
    DROP COLUMN record_replay;
