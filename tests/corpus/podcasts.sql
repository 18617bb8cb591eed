-- a podcast player
CREATE TABLE feeds (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, author TEXT, etag TEXT,
                    last_checked DATETIME, refresh_minutes INTEGER NOT NULL DEFAULT 60 CHECK (refresh_minutes >= 5));
CREATE TABLE episodes (id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
                       guid TEXT NOT NULL, title TEXT NOT NULL, published DATETIME, duration_s INTEGER, audio_url TEXT NOT NULL,
                       UNIQUE (feed_id, guid));
CREATE TABLE playback (episode_id INTEGER PRIMARY KEY REFERENCES episodes (id) ON DELETE CASCADE,
                       position_s INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0, updated_at DATETIME);
CREATE INDEX episodes_new ON episodes (feed_id, published DESC);
