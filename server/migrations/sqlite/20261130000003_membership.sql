-- Programme membership by academic year (issue 11): which schools were ШНОР / ШФНСУ in which
-- year, and the decision it rests on (приказ №, date). `year` is the academic year's first year
-- (2020 is «2020-2021»). A school with a row in neither group has left the programme that year.
-- `schools.low_results` / `schools.unfavourable` stay what the school is today; views of a year
-- the department has decided read this table instead.
CREATE TABLE programme_membership (
    school_id    TEXT NOT NULL REFERENCES schools (id),
    year         INTEGER NOT NULL,
    low_results  INTEGER NOT NULL,
    unfavourable INTEGER NOT NULL,
    basis        TEXT NOT NULL,
    basis_date   TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   INTEGER NOT NULL,
    PRIMARY KEY (school_id, year)
);
