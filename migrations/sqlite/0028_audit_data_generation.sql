-- The data generation: the audit sequence number of the last entry that recorded a change
-- of data, not a read. Views of personal data are audited (SECURITY.md) and so move
-- audit_head.seq on every household page opened; computed reports are kept until data_seq
-- moves instead (src/report/cache.rs).
ALTER TABLE audit_head ADD COLUMN data_seq INTEGER NOT NULL DEFAULT 0;
UPDATE audit_head SET data_seq = seq;
