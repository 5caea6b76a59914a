DROP TABLE listeners;
DROP TABLE ingest_sessions;
