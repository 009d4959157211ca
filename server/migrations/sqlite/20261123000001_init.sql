-- Opora's first schema: organisations, accounts, forms, teachers' self-diagnoses and the sync
-- bookkeeping. Ids are UUIDs as text; times are Unix milliseconds.

CREATE TABLE regions (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE municipalities (
    id        TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    name      TEXT NOT NULL
);

CREATE TABLE schools (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    name            TEXT NOT NULL,
    -- Programme groups: ШНОР (low results) and ШФНСУ (unfavourable social conditions).
    low_results     INTEGER NOT NULL DEFAULT 0,
    unfavourable    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name       TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('teacher', 'principal', 'municipal', 'regional', 'admin')),
    school_id       TEXT REFERENCES schools (id),
    municipality_id TEXT REFERENCES municipalities (id),
    region_id       TEXT REFERENCES regions (id),
    -- Argon2id PHC string; NULL until the account is activated.
    password_hash   TEXT,
    created_at      INTEGER NOT NULL
);

CREATE INDEX users_school ON users (school_id, role);

-- Only the SHA-256 of a session token is stored: a leaked database cannot be replayed as logins.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Form definitions as published. A version never changes once stored: submissions refer to it.
CREATE TABLE forms (
    form_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    definition TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- Submitted self-diagnoses: immutable; a newer one supersedes an older one for aggregates, the
-- older stays as history. `profile` is the score computed by the shared crate at receipt.
CREATE TABLE self_diagnoses (
    id           TEXT PRIMARY KEY,
    teacher_id   TEXT NOT NULL REFERENCES users (id),
    school_id    TEXT REFERENCES schools (id),
    form_id      TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    answers      TEXT NOT NULL,
    profile      TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    submitted_at INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES forms (form_id, version)
);

CREATE INDEX self_diagnoses_teacher ON self_diagnoses (teacher_id, submitted_at);
CREATE INDEX self_diagnoses_school ON self_diagnoses (school_id, form_id);

-- The idempotency record of every change a device pushed: written in the same transaction as the
-- change itself, so a replay after a lost response is answered with the stored outcome.
CREATE TABLE applied_changes (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    outcome    TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- Every record a client may pull, in commit order. A client's cursor is a seq of this table.
CREATE TABLE change_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    -- Who may pull it: NULL owner means everyone (form definitions).
    owner_user_id   TEXT,
    at              INTEGER NOT NULL
);

CREATE INDEX change_log_owner ON change_log (owner_user_id, seq);
