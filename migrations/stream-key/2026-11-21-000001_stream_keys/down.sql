DROP TABLE stream_keys;
