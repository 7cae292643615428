-- The Idempotency-Key of a sample (SPEC §3), so a sample the agent re-sends is
-- stored once. NULL for samples sent without the header (the original's agents):
-- those are stored as received. One statement, so it applies whole or not at all.
ALTER TABLE server
  ADD COLUMN idempotency_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD UNIQUE KEY server_idempotency_key (idempotency_key);
