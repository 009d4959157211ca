-- The login and activation throttles' counters (server/src/limiter.rs), shared by every server
-- process: a guesser cannot multiply his attempts by the number of servers.
CREATE TABLE throttle_counters (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    pending      BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT,
    locked_at    BIGINT NOT NULL,
    refused      BIGINT NOT NULL,
    subject      TEXT NOT NULL,
    client       TEXT NOT NULL
);
