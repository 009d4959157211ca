-- Accounts managed by principals, one-time activation codes, the audit log, and the privacy
-- setting for teachers' individual self-diagnosis results.

-- A disabled account cannot log in; its submissions stay and still count in history.
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

-- Only the SHA-256 of a code is stored, like session tokens. A user has at most one unused code:
-- issuing a new one deletes the old.
CREATE TABLE activation_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    -- NULL: issued by the administrator's command line.
    issued_by  TEXT REFERENCES users (id),
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE INDEX activation_codes_user ON activation_codes (user_id);

-- Who did what, when. Append-only; never holds a password, a token, a code or an answer.
CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    -- NULL: the command line, or an anonymous request (a refused login).
    actor_id TEXT,
    action   TEXT NOT NULL,
    subject  TEXT,
    detail   TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);

-- Per municipality: may principals see their teachers' individual results? Absent row = no.
CREATE TABLE privacy_settings (
    municipality_id           TEXT PRIMARY KEY REFERENCES municipalities (id),
    principals_see_individual INTEGER NOT NULL,
    updated_by                TEXT REFERENCES users (id),
    updated_at                INTEGER NOT NULL
);
