-- a photo library
CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT NOT NULL, cover_id INTEGER, created DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
                     taken_at DATETIME, width INTEGER NOT NULL, height INTEGER NOT NULL,
                     megapixels REAL GENERATED ALWAYS AS (round(width * height / 1000000.0, 1)) VIRTUAL,
                     lat REAL CHECK (lat BETWEEN -90 AND 90), lon REAL CHECK (lon BETWEEN -180 AND 180), favourite INTEGER NOT NULL DEFAULT 0);
CREATE TABLE album_photos (album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
                           photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE, position INTEGER NOT NULL,
                           PRIMARY KEY (album_id, photo_id));
CREATE UNIQUE INDEX photos_sha ON photos (sha256);
CREATE INDEX photos_taken ON photos (taken_at DESC);
CREATE INDEX photos_favourites ON photos (taken_at) WHERE favourite = 1;
