-- a workout log (STRICT tables)
CREATE TABLE exercises (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, muscle TEXT NOT NULL, equipment TEXT) STRICT;
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, notes TEXT,
                       CHECK (ended_at IS NULL OR ended_at >= started_at)) STRICT;
CREATE TABLE sets (session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                   n INTEGER NOT NULL, exercise_id INTEGER NOT NULL REFERENCES exercises (id),
                   reps INTEGER NOT NULL CHECK (reps > 0), weight_kg REAL NOT NULL DEFAULT 0,
                   volume REAL GENERATED ALWAYS AS (reps * weight_kg) STORED, PRIMARY KEY (session_id, n)) STRICT;
CREATE INDEX sets_exercise ON sets (exercise_id, weight_kg DESC);
