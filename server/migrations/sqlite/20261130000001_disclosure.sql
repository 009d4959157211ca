-- Disclosure control (ARCHITECTURE.md, «Disclosure control»): the server's order of receipt of
-- self-diagnoses, which decides a teacher's latest submission and when aggregates are released,
-- and the point up to which an account's earlier submissions are sealed after a reset.

-- Assigned by the single writer as MAX + 1 when a submission is stored, so it is the order of
-- receipt whatever a device's clock says. Existing rows keep their insertion order (rowid; no
-- row was ever deleted). An explicit column, not the rowid itself: VACUUM may renumber rowids.
ALTER TABLE self_diagnoses ADD COLUMN receipt_seq INTEGER;
UPDATE self_diagnoses SET receipt_seq = rowid;
CREATE UNIQUE INDEX self_diagnoses_receipt ON self_diagnoses (receipt_seq);

-- When someone other than the teacher may have chosen her password (a principal's new activation
-- code used on an account that was already active, an administrator's reset), her submissions up
-- to this receipt_seq are no longer readable or pullable by the account's sessions. They still
-- count in aggregates; her own device keeps its copies. 0: nothing sealed.
ALTER TABLE users ADD COLUMN answers_sealed_through INTEGER NOT NULL DEFAULT 0;
