-- payroll
CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, cost_center TEXT NOT NULL UNIQUE);
CREATE TABLE employees (id INTEGER PRIMARY KEY, department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE RESTRICT,
                        manager_id INTEGER REFERENCES employees (id) ON DELETE SET NULL, name TEXT NOT NULL,
                        hired_on DATE NOT NULL, left_on DATE, salary_cents INTEGER NOT NULL CHECK (salary_cents > 0),
                        CHECK (left_on IS NULL OR left_on >= hired_on));
CREATE TABLE payslips (employee_id INTEGER NOT NULL REFERENCES employees (id), period TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
                       gross_cents INTEGER NOT NULL, tax_cents INTEGER NOT NULL, net_cents INTEGER GENERATED ALWAYS AS (gross_cents - tax_cents) STORED,
                       PRIMARY KEY (employee_id, period));
CREATE INDEX employees_department ON employees (department_id) WHERE left_on IS NULL;
