-- feature flags and configuration with history
CREATE TABLE flags (key TEXT PRIMARY KEY CHECK (key GLOB '[a-z]*'), description TEXT, enabled INTEGER NOT NULL DEFAULT 0,
                    rollout REAL NOT NULL DEFAULT 0 CHECK (rollout BETWEEN 0 AND 1), updated_at DATETIME) WITHOUT ROWID;
CREATE TABLE flag_overrides (flag TEXT NOT NULL REFERENCES flags (key) ON DELETE CASCADE ON UPDATE CASCADE, subject TEXT NOT NULL,
                             enabled INTEGER NOT NULL, PRIMARY KEY (flag, subject)) WITHOUT ROWID;
CREATE TABLE flag_history (id INTEGER PRIMARY KEY AUTOINCREMENT, flag TEXT NOT NULL, enabled INTEGER, rollout REAL,
                           changed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TRIGGER flags_history AFTER UPDATE ON flags BEGIN
  INSERT INTO flag_history (flag, enabled, rollout) VALUES (OLD.key, OLD.enabled, OLD.rollout);
END;
