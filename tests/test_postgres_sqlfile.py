"""SQL files declare a PostgreSQL database: split here (quotes, dollar quotes, nested comments, BEGIN
ATOMIC bodies), CREATE statements only (anything else named by file and line), run by the server in a
scratch schema that is always rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfheal.engines.postgres.sqlfile import load, statements

from .helpers import invoke, write_schema
from .pgserver import binaries
from .test_postgres import query


def test_statements_split_where_postgresql_would() -> None:
    text = """-- a comment; not a statement
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
CREATE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN $$x;$$; END $body$;
/* outer /* inner; */ still a comment; */ CREATE TABLE "t;" (a text DEFAULT E'it\\'s; fine', b text DEFAULT 'x''y;');
CREATE FUNCTION h(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; SELECT a + 2; END;
CREATE VIEW v AS SELECT $1x FROM t"""
    got = statements(text)
    assert [line for line, _ in got] == [2, 3, 4, 5, 6]
    assert got[0][1].endswith("$$ SELECT 'a;b' $$")
    assert got[2][1].startswith('CREATE TABLE "t;"') and got[2][1].endswith("'x''y;')")
    assert got[3][1].endswith("SELECT a + 2; END")
    assert got[4][1] == "CREATE VIEW v AS SELECT $1x FROM t"


_PIECES = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True),
    st.text(alphabet="ab; '\n", max_size=8).map(lambda t: "'" + t.replace("'", "''") + "'"),
    st.text(alphabet="ab; '\\\n", max_size=8).map(lambda t: "E'" + t.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.text(alphabet="ab; $'\"\n", max_size=8).filter(lambda t: "$q$" not in t).map(lambda t: "$q$" + t + "$q$"),
    st.text(alphabet="ab; \"", max_size=8).map(lambda t: '"' + t.replace('"', '""') + '"'),
    st.text(alphabet="ab; '*", max_size=8).filter(lambda t: "*/" not in t and "/*" not in t).map(
        lambda t: f"/* {t} */"),
)


@given(st.lists(st.lists(_PIECES, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=5))
def test_any_statements_joined_by_semicolons_split_back_exactly(parts: list[str]) -> None:
    parts = [p for p in parts if not p.startswith("/*")]  # a statement's leading comment is not its text
    got = [s for _, s in statements(";\n".join(parts))]
    assert got == [p.strip() for p in parts]


def test_only_create_statements_are_declared_and_problems_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE t (a int);\n\nDROP TABLE t;\nCREATE TABLE public.u (a int);\n"
                                    "CREATE TABLE p (a int) PARTITION BY RANGE (a);\n"
                                    "ALTER TABLE t ADD CONSTRAINT t_a UNIQUE (a);\nCOMMENT ON TABLE t IS 'x';\n"
                                    "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();\n")
    got = load(tmp_path, ("a.sql",), 1 << 20)
    assert [w for w, _ in got.problems] == ["a.sql:3", "a.sql:4", "a.sql:5"]
    assert "is not a CREATE statement" in got.problems[0][1] and "unqualified" in got.problems[1][1]
    assert "PARTITION BY is not carried" in got.problems[2][1]
    assert [w for w, _ in got.statements] == ["a.sql:1", "a.sql:6", "a.sql:7"]
    assert [(o.kind, o.key, o.origin) for o in got.objects] == [("trigger", "t.tr", "a.sql:8")]


@pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")
def test_what_the_server_refuses_in_a_file_is_named_by_line_and_nothing_changes(tmp_path: Path, pg_url: str) -> None:
    pytest.importorskip("psycopg")
    (tmp_path / "schema.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);\n"
                                         "CREATE TABLE b (id int REFERENCES nowhere (id));\n")
    write_schema(tmp_path, {"databases": {"pg": {"url": "env:DATABASE_URL", "sql": "schema.sql"}}})
    (tmp_path / ".env").write_text(f"DATABASE_URL={pg_url}\n")
    for task in (("validate", "--check"), ("heal.db",)):
        p = invoke(tmp_path, *task)
        assert p.returncode == 1, p.stdout
        assert "schema.sql:2: the server refuses the statement" in p.stdout and "nowhere" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b')") == [(0,)]
    write_schema(tmp_path, {"databases": {"pg": {"url": "env:DATABASE_URL", "sql": "schema.sql",
                                                 "tables": {"a": {"columns": {"id": "int"}}}}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "\"a\" is declared twice" in p.stdout, p.stdout


def test_statements_on_tables_the_files_do_not_create_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE mine (a int);\nCREATE INDEX i ON live_table (a);\n"
                                    "ALTER TABLE ONLY live_table ADD CONSTRAINT c CHECK (a > 0);\n"
                                    "COMMENT ON COLUMN live_table.a IS 'x';\nCREATE INDEX j ON mine (a);\n"
                                    "CREATE TABLE copy AS SELECT * FROM live_table;\n"
                                    "CREATE TRIGGER t AFTER INSERT ON live_table FOR EACH ROW EXECUTE FUNCTION f();\n")
    got = load(tmp_path, ("a.sql",), 1 << 20)
    assert sorted(w for w, _ in got.problems) == ["a.sql:2", "a.sql:3", "a.sql:4", "a.sql:6", "a.sql:7"]
    assert all("live_table" in m or "AS runs a query" in m for _, m in got.problems), got.problems
    assert [w for w, _ in got.statements] == ["a.sql:1", "a.sql:5"]


@pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")
def test_a_check_never_touches_a_table_the_entry_does_not_declare(tmp_path: Path, pg_url: str) -> None:
    pytest.importorskip("psycopg")
    from .test_postgres import execute

    execute(pg_url, "CREATE TABLE live_table (a int)")
    write_schema(tmp_path, {"databases": {"pg": {"url": "env:DATABASE_URL", "tables": {
        "mine": {"columns": {"a": "int"}}}, "functions": {"f": "CREATE FUNCTION f() RETURNS trigger LANGUAGE "
                                                               "plpgsql AS $$ BEGIN RETURN NEW; END $$"},
        "triggers": {"t": "CREATE TRIGGER t AFTER INSERT ON live_table FOR EACH ROW EXECUTE FUNCTION f()"}}}})
    (tmp_path / ".env").write_text(f"DATABASE_URL={pg_url}\n")
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 1 and "is on table live_table, which this entry does not declare" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_trigger WHERE tgname = 't'") == [(0,)]
