-- a URL shortener
CREATE TABLE links (code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 4 AND 16), target TEXT NOT NULL,
                    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, expires_at DATETIME, clicks INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE clicks (id INTEGER PRIMARY KEY, code TEXT NOT NULL REFERENCES links (code) ON DELETE CASCADE, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                     referrer TEXT, country TEXT);
CREATE INDEX clicks_code_time ON clicks (code, at);
CREATE TRIGGER clicks_count AFTER INSERT ON clicks BEGIN
  UPDATE links SET clicks = clicks + 1 WHERE code = NEW.code;
END;
