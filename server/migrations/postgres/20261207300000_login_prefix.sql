-- A school's login namespace: its teachers' logins start with «<login_prefix>.», and no account
-- outside the school gets one that does, so a principal choosing a login can only ever meet an
-- account of her own school. NULL until the school's first account made by its principal or an
-- import (the prefix is chosen then, while no account outside the school uses it).
-- The same column as the SQLite migration 20261207300000_login_prefix.sql.
ALTER TABLE schools ADD COLUMN login_prefix TEXT;
CREATE UNIQUE INDEX schools_login_prefix ON schools (login_prefix);
