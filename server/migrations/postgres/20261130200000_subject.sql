-- A teacher's subject (issue 11): the programme's coverage counts the teachers of six subjects
-- (seed 002, Раздел IV). The code of one of the six («russian», «math», …) or another subject as the
-- department typed it; NULL: not stated (every account made before this column).
-- The same column as the SQLite migration 20261130200000_subject.sql.
ALTER TABLE users ADD COLUMN subject TEXT;
