-- One database per service, owned by the compose PostgreSQL user (veza).
-- Run once by the postgres image, on an empty data volume only
-- (mounted into /docker-entrypoint-initdb.d/). Each service creates its
-- tables itself at start-up (embedded migrations).
CREATE DATABASE live_catalog OWNER veza;
CREATE DATABASE stream_key OWNER veza;
CREATE DATABASE ingest_events OWNER veza;
CREATE DATABASE chat OWNER veza;
