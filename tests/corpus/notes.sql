-- a notes app with notebooks and a trash
CREATE TABLE notebooks (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, color TEXT, sort_key REAL NOT NULL DEFAULT 0);
CREATE TABLE notes (id INTEGER PRIMARY KEY, notebook_id INTEGER NOT NULL REFERENCES notebooks (id) ON DELETE CASCADE, title TEXT NOT NULL DEFAULT '',
                    body TEXT NOT NULL DEFAULT '', pinned INTEGER NOT NULL DEFAULT 0, trashed_at DATETIME,
                    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    words INTEGER GENERATED ALWAYS AS (length(body) - length(replace(body, ' ', '')) + 1) VIRTUAL);
CREATE INDEX notes_live ON notes (notebook_id, pinned DESC, updated_at DESC) WHERE trashed_at IS NULL;
CREATE INDEX notes_title ON notes (title COLLATE NOCASE);
CREATE VIEW trash AS SELECT id, title, trashed_at FROM notes WHERE trashed_at IS NOT NULL;
CREATE TRIGGER notes_updated AFTER UPDATE OF title, body ON notes BEGIN
  UPDATE notes SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
