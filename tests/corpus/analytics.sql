-- product analytics events
CREATE TABLE sessions (id TEXT PRIMARY KEY, anonymous_id TEXT NOT NULL, user_id TEXT, started_at INTEGER NOT NULL,
                       user_agent TEXT, country TEXT) WITHOUT ROWID;
CREATE TABLE events (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, name TEXT NOT NULL,
                     at INTEGER NOT NULL, props TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(props)),
                     path TEXT GENERATED ALWAYS AS (json_extract(props, '$.path')) VIRTUAL);
CREATE INDEX events_name_time ON events (name, at);
CREATE INDEX events_path ON events (path) WHERE path IS NOT NULL;
CREATE TABLE daily_counts (day TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, name)) WITHOUT ROWID;
