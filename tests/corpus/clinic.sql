-- appointments for a clinic
CREATE TABLE practitioners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, specialty TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, birth_date DATE NOT NULL, phone TEXT, insurance_no TEXT UNIQUE);
CREATE TABLE appointments (id INTEGER PRIMARY KEY, practitioner_id INTEGER NOT NULL REFERENCES practitioners (id),
                           patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE, starts_at DATETIME NOT NULL,
                           minutes INTEGER NOT NULL DEFAULT 20 CHECK (minutes IN (10, 20, 30, 60)), cancelled INTEGER NOT NULL DEFAULT 0,
                           note TEXT);
CREATE UNIQUE INDEX appointments_slot ON appointments (practitioner_id, starts_at) WHERE cancelled = 0;
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at DESC);
