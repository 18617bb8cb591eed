-- vehicle fleet tracking
CREATE TABLE vehicles (vin TEXT PRIMARY KEY CHECK (length(vin) = 17), plate TEXT NOT NULL UNIQUE COLLATE NOCASE, make TEXT, model TEXT,
                       year INTEGER CHECK (year > 1950)) WITHOUT ROWID;
CREATE TABLE drivers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, license_expires DATE NOT NULL);
CREATE TABLE trips (id INTEGER PRIMARY KEY, vin TEXT NOT NULL REFERENCES vehicles (vin), driver_id INTEGER REFERENCES drivers (id),
                    started_at DATETIME NOT NULL, ended_at DATETIME, km_start INTEGER NOT NULL, km_end INTEGER,
                    distance INTEGER GENERATED ALWAYS AS (km_end - km_start) VIRTUAL, CHECK (km_end IS NULL OR km_end >= km_start));
CREATE TABLE positions (trip_id INTEGER NOT NULL REFERENCES trips (id) ON DELETE CASCADE, at INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
                        PRIMARY KEY (trip_id, at)) WITHOUT ROWID;
CREATE INDEX trips_vehicle ON trips (vin, started_at DESC);
