-- State schema version 2 runs the SQLite store's 0002 (sessions remember
-- their credential, the operator's lock, exchanged 0.4.2 cookies, guest
-- identities), then adds this table, which the store has since its 0001.

-- Settings authgate makes for a config.yaml that lacks them: the cookie key
-- it generates when `cookie.key` is missing (kept here, not in the YAML,
-- which is often committed). Values are JSON, as the SQLite store's.
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
) WITHOUT ROWID;
