-- a background job queue
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL DEFAULT 'default', payload TEXT NOT NULL CHECK (json_valid(payload)),
                   priority INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                   max_attempts INTEGER NOT NULL DEFAULT 5, run_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                   locked_by TEXT, locked_at DATETIME, failed_at DATETIME, last_error TEXT, CHECK (attempts <= max_attempts));
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at) WHERE locked_by IS NULL AND failed_at IS NULL;
CREATE TABLE job_results (job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE, finished_at DATETIME NOT NULL,
                          result TEXT);
CREATE TABLE schedules (name TEXT PRIMARY KEY, cron TEXT NOT NULL, queue TEXT NOT NULL, payload TEXT NOT NULL, last_run DATETIME) WITHOUT ROWID;
