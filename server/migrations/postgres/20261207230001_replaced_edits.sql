-- A report edit a device replaced in its outbox with a newer one (which carries every field) may
-- still reach the server late, in a request that was lost on the way. The newer edit names the
-- ones it replaced, and their keys are recorded with its outcome in its transaction, so a late copy
-- is answered from the record and changes nothing. `replaced_by` is the seq of that newer change;
-- NULL for a key recorded for its own change.
-- The same column as the SQLite migration 20261207230001_replaced_edits.sql.
ALTER TABLE applied_changes ADD COLUMN replaced_by BIGINT;
