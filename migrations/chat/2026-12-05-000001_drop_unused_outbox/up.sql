-- chat-gateway publishes nothing through an outbox; databases made before
-- the shared tables moved to the platform crate had one.
DROP TABLE IF EXISTS outbox;
