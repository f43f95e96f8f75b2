-- Schema version 4. The default brake on password guessing (see the SQLite
-- store's 0003): one row per counter, deleted once its window and wait have
-- passed.
CREATE TABLE throttles (
    key           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    window_start  DOUBLE PRECISION NOT NULL,
    blocked_until DOUBLE PRECISION
);
CREATE INDEX throttles_by_window ON throttles (window_start);
