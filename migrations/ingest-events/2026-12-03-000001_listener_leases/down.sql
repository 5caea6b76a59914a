DROP TABLE listener_leases;
DROP INDEX listeners_lease;
ALTER TABLE listeners DROP COLUMN lease;
