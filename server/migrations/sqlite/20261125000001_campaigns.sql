-- Reporting campaigns: a municipality's department asks every school for one report form for one
-- period by a deadline. One campaign per (municipality, form, period); reopening it moves the deadline.
CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    form_id         TEXT NOT NULL,
    form_title      TEXT NOT NULL,
    period          TEXT NOT NULL,
    deadline        TEXT NOT NULL,            -- YYYY-MM-DD, the last day on time
    opened_at       INTEGER NOT NULL,
    opened_by       TEXT NOT NULL REFERENCES users (id),
    UNIQUE (municipality_id, form_id, period)
);
