DROP TABLE replay_segments;
DROP TABLE replays;
