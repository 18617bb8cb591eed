-- an issue tracker
CREATE TABLE repos (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (owner, name));
CREATE TABLE issues (repo_id INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE, number INTEGER NOT NULL,
                     title TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
                     opened_by TEXT NOT NULL, opened_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, closed_at DATETIME,
                     PRIMARY KEY (repo_id, number), CHECK (state = 'open' OR closed_at IS NOT NULL));
CREATE TABLE labels (repo_id INTEGER NOT NULL REFERENCES repos (id) ON DELETE CASCADE, name TEXT NOT NULL COLLATE NOCASE,
                     color TEXT NOT NULL DEFAULT 'cccccc' CHECK (length(color) = 6), PRIMARY KEY (repo_id, name));
CREATE TABLE issue_labels (repo_id INTEGER NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL,
                           PRIMARY KEY (repo_id, number, label),
                           FOREIGN KEY (repo_id, number) REFERENCES issues (repo_id, number) ON DELETE CASCADE,
                           FOREIGN KEY (repo_id, label) REFERENCES labels (repo_id, name) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE comments (id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL, number INTEGER NOT NULL, author TEXT NOT NULL,
                       body TEXT NOT NULL, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                       FOREIGN KEY (repo_id, number) REFERENCES issues (repo_id, number) ON DELETE CASCADE);
CREATE INDEX issues_open ON issues (repo_id, opened_at DESC) WHERE state = 'open';
