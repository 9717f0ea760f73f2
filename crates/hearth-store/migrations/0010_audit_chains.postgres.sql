-- One audit chain per authority (chain = the authority's id) and one for work done for no
-- authority (chain 0), so authorities' writers do not queue behind one head row.
-- Entries written before this migration stay in chain 0 with seq = id and their old hash
-- layout (format 1); new entries hash their chain and seq, not their id (format 2).
ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
UPDATE audit_log SET seq = id;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log(chain, seq);
CREATE TABLE audit_chains (
    chain BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chains (chain, last_seq, last_hash) SELECT 0, last_id, last_hash FROM audit_head WHERE id = 1;
DROP TABLE audit_head;
-- Ids now come from the identity column; entries so far were given theirs by hand.
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log), false);
-- Rows written in audited batches carry a keyed seal of their contents, so a changed row is
-- found by `hearth audit verify` although its batch has one audit entry.
ALTER TABLE postcodes ADD COLUMN audit_mac TEXT;
