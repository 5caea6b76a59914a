\set n random(1, 500)
SELECT id, user_id, streamer_name, title, description, category, tags, thumbnail_url, status, scheduled_at, started_at, ended_at, viewer_count, peak_viewers, session_id, viewers_reported_at, created_at, updated_at FROM live_streams WHERE id = md5('s' || :n)::uuid LIMIT 1;
