-- School reports: report forms as published, each report's current state, and every revision.

CREATE TABLE report_forms (
    form_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    definition TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- One row per school, form and period: the latest revision. `fields` is what was typed, as typed.
CREATE TABLE reports (
    school_id          TEXT NOT NULL REFERENCES schools (id),
    form_id            TEXT NOT NULL,
    period             TEXT NOT NULL,
    form_version       INTEGER NOT NULL,
    revision           INTEGER NOT NULL,
    fields             TEXT NOT NULL,
    submitted_revision INTEGER,
    conflicts          TEXT NOT NULL DEFAULT '[]',
    updated_at         INTEGER NOT NULL,
    updated_by         TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (school_id, form_id, period)
);

-- Every revision, kept: edits merge against the revision they started from, and the department
-- sees the history of amendments.
CREATE TABLE report_revisions (
    school_id TEXT NOT NULL,
    form_id   TEXT NOT NULL,
    period    TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    fields    TEXT NOT NULL,
    submitted INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    by_user   TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (school_id, form_id, period, revision)
);

-- Records a whole school's principals pull (its reports), and records only some roles pull
-- (report forms go to principals, not to every teacher's phone).
ALTER TABLE change_log ADD COLUMN owner_school_id TEXT;
ALTER TABLE change_log ADD COLUMN audience TEXT;
CREATE INDEX change_log_school ON change_log (owner_school_id, seq);
