-- HR: departments and employees that reference each other, a self-reference, an audit trigger
-- (AFTER INSERT OR UPDATE) writing to another table, a standalone sequence for employee numbers.
CREATE SEQUENCE employee_number START WITH 1000 INCREMENT BY 1 MINVALUE 1000 MAXVALUE 999999 CACHE 5;
CREATE TABLE department (id integer PRIMARY KEY, name text NOT NULL UNIQUE, head_id integer);
CREATE TABLE employee (id integer PRIMARY KEY DEFAULT nextval('employee_number'), name text NOT NULL,
    department_id integer NOT NULL REFERENCES department (id) DEFERRABLE INITIALLY DEFERRED,
    manager_id integer REFERENCES employee (id), salary numeric(10,2) NOT NULL CHECK (salary > 0),
    hired date NOT NULL DEFAULT CURRENT_DATE);
ALTER TABLE department ADD FOREIGN KEY (head_id) REFERENCES employee (id) DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE salary_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, employee_id integer NOT NULL,
    old_salary numeric(10,2), new_salary numeric(10,2) NOT NULL, changed_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION audit_salary() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $body$
BEGIN
  IF TG_OP = 'INSERT' OR OLD.salary IS DISTINCT FROM NEW.salary THEN
    INSERT INTO salary_audit (employee_id, old_salary, new_salary)
    VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.salary END, NEW.salary);
  END IF;
  RETURN NEW;
END
$body$;
CREATE FUNCTION yearly(monthly numeric) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT monthly * 12';
CREATE TRIGGER employee_salary_audit AFTER INSERT OR UPDATE OF salary ON employee FOR EACH ROW
    EXECUTE FUNCTION audit_salary();
CREATE VIEW payroll AS SELECT d.name AS department, sum(yearly(e.salary)) AS yearly_cost
    FROM employee e JOIN department d ON d.id = e.department_id GROUP BY d.name;
BEGIN;
INSERT INTO department VALUES (1, 'Engineering', 1000);
INSERT INTO employee (name, department_id, salary) VALUES ('Grace', 1, 9000);
COMMIT;
INSERT INTO employee (name, department_id, manager_id, salary) VALUES ('Linus', 1, 1000, 7000);
