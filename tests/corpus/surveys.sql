-- surveys and responses
CREATE TABLE surveys (id INTEGER PRIMARY KEY, title TEXT NOT NULL, opens_at DATETIME, closes_at DATETIME,
                      anonymous INTEGER NOT NULL DEFAULT 1, CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at));
CREATE TABLE questions (survey_id INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE, n INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('text', 'single', 'multi', 'scale')), prompt TEXT NOT NULL,
                        required INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (survey_id, n));
CREATE TABLE responses (id INTEGER PRIMARY KEY, survey_id INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
                        submitted_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, respondent TEXT);
CREATE TABLE answers (response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE, survey_id INTEGER NOT NULL,
                      n INTEGER NOT NULL, value TEXT, PRIMARY KEY (response_id, n),
                      FOREIGN KEY (survey_id, n) REFERENCES questions (survey_id, n) ON DELETE CASCADE);
CREATE INDEX responses_survey ON responses (survey_id, submitted_at);
