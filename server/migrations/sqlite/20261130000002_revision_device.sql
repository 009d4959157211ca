-- Which device's edit made a revision, the revision that edit started from, and the fields it
-- sent (after fields that did not fit were held back). A device keeps typing while its previous
-- edit is on the way, so its next edit starts from the same old revision: merged against that
-- revision, the device's own earlier value would look like another device's change and become a
-- conflict with itself. Merged against what the same device sent last from that revision, only
-- real concurrent changes conflict. NULL for revisions made before this column, by the demo
-- loader, or through no device.
ALTER TABLE report_revisions ADD COLUMN device_id TEXT;
ALTER TABLE report_revisions ADD COLUMN edit_base INTEGER;
ALTER TABLE report_revisions ADD COLUMN sent_fields TEXT;
