-- a kanban board
CREATE TABLE boards (id INTEGER PRIMARY KEY, title TEXT NOT NULL, created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE columns (id INTEGER PRIMARY KEY, board_id INTEGER NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
                      title TEXT NOT NULL, position REAL NOT NULL, wip_limit INTEGER CHECK (wip_limit IS NULL OR wip_limit > 0),
                      UNIQUE (board_id, position));
CREATE TABLE cards (id INTEGER PRIMARY KEY, column_id INTEGER NOT NULL REFERENCES columns (id) ON DELETE CASCADE,
                    title TEXT NOT NULL, description TEXT, position REAL NOT NULL, due DATE, color TEXT DEFAULT NULL,
                    updated_at DATETIME);
CREATE INDEX cards_order ON cards (column_id, position);
CREATE TRIGGER cards_touch AFTER UPDATE ON cards WHEN NEW.updated_at IS OLD.updated_at BEGIN
  UPDATE cards SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
