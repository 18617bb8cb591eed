-- school grades
CREATE TABLE students (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, born DATE, email TEXT UNIQUE COLLATE NOCASE);
CREATE TABLE courses (code TEXT PRIMARY KEY, title TEXT NOT NULL, credits INTEGER NOT NULL DEFAULT 5 CHECK (credits BETWEEN 1 AND 30));
CREATE TABLE terms (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, season TEXT NOT NULL CHECK (season IN ('spring', 'autumn')), UNIQUE (year, season));
CREATE TABLE enrolments (student_id INTEGER NOT NULL REFERENCES students (id) ON DELETE CASCADE,
                         course TEXT NOT NULL REFERENCES courses (code) ON UPDATE CASCADE, term_id INTEGER NOT NULL REFERENCES terms (id),
                         grade TEXT CHECK (grade IN ('A', 'B', 'C', 'D', 'E', 'F')), PRIMARY KEY (student_id, course, term_id));
CREATE INDEX enrolments_course ON enrolments (course, term_id);
CREATE INDEX students_name ON students (last_name COLLATE NOCASE, first_name COLLATE NOCASE);
