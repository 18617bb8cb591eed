-- sensor readings from devices
CREATE TABLE devices (id TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT, installed DATE, firmware TEXT) WITHOUT ROWID;
CREATE TABLE readings (device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE, at INTEGER NOT NULL,
                       metric TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (device_id, metric, at)) WITHOUT ROWID;
CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
                     metric TEXT NOT NULL, threshold REAL NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('above', 'below')),
                     enabled INTEGER NOT NULL DEFAULT 1);
CREATE INDEX readings_time ON readings (at);
