-- The login and activation throttles' counters (server/src/limiter.rs), for a backend shared by
-- several server processes. SQLite serves one process and keeps them in memory; the table is
-- here so both backends have the same storage operations (and their tests).
CREATE TABLE throttle_counters (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    pending      INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER,
    locked_at    INTEGER NOT NULL,
    refused      INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    client       TEXT NOT NULL
);
