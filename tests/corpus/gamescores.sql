-- game leaderboards
CREATE TABLE players (id INTEGER PRIMARY KEY, nickname TEXT NOT NULL UNIQUE COLLATE NOCASE, country TEXT CHECK (length(country) = 2),
                      joined TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP) STRICT;
CREATE TABLE games (slug TEXT PRIMARY KEY, title TEXT NOT NULL, higher_is_better INTEGER NOT NULL DEFAULT 1) STRICT, WITHOUT ROWID;
CREATE TABLE scores (id INTEGER PRIMARY KEY, game TEXT NOT NULL REFERENCES games (slug) ON UPDATE CASCADE,
                     player_id INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE, score INTEGER NOT NULL,
                     played_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, replay BLOB) STRICT;
CREATE INDEX scores_board ON scores (game, score DESC);
CREATE VIEW best_scores AS SELECT game, player_id, max(score) AS best FROM scores GROUP BY game, player_id;
