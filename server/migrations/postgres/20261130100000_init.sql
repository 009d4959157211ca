-- Opora's schema for PostgreSQL: the same tables as the SQLite migrations up to
-- 20261130000002_revision_device.sql, written at once (this backend starts here). Append-only
-- from now on, like the SQLite folder: a change to the schema is a new file in both folders.
-- Ids are UUIDs as text (the same text the SQLite backend stores, so code and exports agree);
-- times are Unix milliseconds; flags are BOOLEAN.

CREATE TABLE regions (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE municipalities (
    id        TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    name      TEXT NOT NULL
);
CREATE INDEX municipalities_region ON municipalities (region_id);

CREATE TABLE schools (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    name            TEXT NOT NULL,
    -- Programme groups: ШНОР (low results) and ШФНСУ (unfavourable social conditions).
    low_results     BOOLEAN NOT NULL DEFAULT FALSE,
    unfavourable    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX schools_municipality ON schools (municipality_id, name);

CREATE TABLE users (
    id                     TEXT PRIMARY KEY,
    login                  TEXT NOT NULL,
    full_name              TEXT NOT NULL,
    role                   TEXT NOT NULL CHECK (role IN ('teacher', 'principal', 'municipal', 'regional', 'admin')),
    school_id              TEXT REFERENCES schools (id),
    municipality_id        TEXT REFERENCES municipalities (id),
    region_id              TEXT REFERENCES regions (id),
    -- Argon2id PHC string; NULL until the account is activated.
    password_hash          TEXT,
    created_at             BIGINT NOT NULL,
    -- A disabled account cannot log in; its submissions stay and still count in history.
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    -- Submissions up to this receipt_seq are sealed from the account's sessions (see SQLite's
    -- 20261130000001_disclosure.sql). 0: nothing sealed.
    answers_sealed_through BIGINT NOT NULL DEFAULT 0
);
-- Logins are case-insensitive, as SQLite's COLLATE NOCASE made them.
CREATE UNIQUE INDEX users_login ON users (lower(login));
CREATE INDEX users_school ON users (school_id, role);

-- Only the SHA-256 of a session token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE forms (
    form_id    TEXT NOT NULL,
    version    BIGINT NOT NULL,
    definition TEXT NOT NULL,
    loaded_at  BIGINT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE self_diagnoses (
    id           TEXT PRIMARY KEY,
    teacher_id   TEXT NOT NULL REFERENCES users (id),
    school_id    TEXT REFERENCES schools (id),
    form_id      TEXT NOT NULL,
    form_version BIGINT NOT NULL,
    subject      TEXT NOT NULL,
    answers      TEXT NOT NULL,
    profile      TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    -- The server's order of receipt, assigned as MAX + 1 under the append lock (postgres.rs).
    receipt_seq  BIGINT NOT NULL UNIQUE,
    FOREIGN KEY (form_id, form_version) REFERENCES forms (form_id, version)
);
CREATE INDEX self_diagnoses_teacher ON self_diagnoses (teacher_id, submitted_at);
CREATE INDEX self_diagnoses_school ON self_diagnoses (school_id, form_id);

CREATE TABLE applied_changes (
    device_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    outcome    TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- Every record a client may pull. `seq` is assigned under the append lock, which is held until
-- commit, so seqs become visible in order: a pull never skips a change committed later with a
-- smaller seq (ARCHITECTURE.md, «Pull cursors»).
CREATE TABLE change_log (
    seq             BIGINT PRIMARY KEY,
    kind            TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    owner_user_id   TEXT,
    at              BIGINT NOT NULL,
    owner_school_id TEXT,
    audience        TEXT
);
CREATE INDEX change_log_owner ON change_log (owner_user_id, seq);
CREATE INDEX change_log_school ON change_log (owner_school_id, seq);

CREATE TABLE activation_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    issued_by  TEXT REFERENCES users (id),
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX activation_codes_user ON activation_codes (user_id);

CREATE TABLE audit_log (
    seq      BIGSERIAL PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor_id TEXT,
    action   TEXT NOT NULL,
    subject  TEXT,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);

CREATE TABLE privacy_settings (
    municipality_id           TEXT PRIMARY KEY REFERENCES municipalities (id),
    principals_see_individual BOOLEAN NOT NULL,
    updated_by                TEXT REFERENCES users (id),
    updated_at                BIGINT NOT NULL
);

CREATE TABLE report_forms (
    form_id    TEXT NOT NULL,
    version    BIGINT NOT NULL,
    definition TEXT NOT NULL,
    loaded_at  BIGINT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE reports (
    school_id          TEXT NOT NULL REFERENCES schools (id),
    form_id            TEXT NOT NULL,
    period             TEXT NOT NULL,
    form_version       BIGINT NOT NULL,
    revision           BIGINT NOT NULL,
    fields             TEXT NOT NULL,
    submitted_revision BIGINT,
    conflicts          TEXT NOT NULL DEFAULT '[]',
    updated_at         BIGINT NOT NULL,
    updated_by         TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (school_id, form_id, period)
);

CREATE TABLE report_revisions (
    school_id   TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    period      TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    fields      TEXT NOT NULL,
    submitted   BOOLEAN NOT NULL,
    at          BIGINT NOT NULL,
    by_user     TEXT NOT NULL REFERENCES users (id),
    device_id   TEXT,
    edit_base   BIGINT,
    sent_fields TEXT,
    PRIMARY KEY (school_id, form_id, period, revision)
);

CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    form_id         TEXT NOT NULL,
    form_title      TEXT NOT NULL,
    period          TEXT NOT NULL,
    deadline        TEXT NOT NULL,
    opened_at       BIGINT NOT NULL,
    opened_by       TEXT NOT NULL REFERENCES users (id),
    UNIQUE (municipality_id, form_id, period)
);

