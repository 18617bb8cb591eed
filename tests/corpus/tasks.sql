-- tasks
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, archived INTEGER NOT NULL
                       DEFAULT 0 CHECK (archived IN (0, 1)));
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects (id)
                    ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, title TEXT NOT NULL,
                    done_at DATETIME, priority INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
                    UNIQUE (project_id, title));
CREATE INDEX idx_tasks_open ON tasks (project_id, priority) WHERE done_at IS NULL;
CREATE VIEW open_tasks AS SELECT t.*, p.name AS project FROM tasks t JOIN projects p ON p.id = t.project_id
  WHERE t.done_at IS NULL;
