-- Programme membership by academic year (issue 11): which schools were ШНОР / ШФНСУ in which
-- year, and the decision it rests on (приказ №, date). `year` is the academic year's first year
-- (2020 is «2020-2021»). A school with a row in neither group has left the programme that year.
-- The same table as the SQLite migration 20261130000003_membership.sql.
CREATE TABLE programme_membership (
    school_id    TEXT NOT NULL REFERENCES schools (id),
    year         INTEGER NOT NULL,
    low_results  BOOLEAN NOT NULL,
    unfavourable BOOLEAN NOT NULL,
    basis        TEXT NOT NULL,
    basis_date   TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   BIGINT NOT NULL,
    PRIMARY KEY (school_id, year)
);
