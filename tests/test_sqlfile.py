"""SQL DDL files as a declaration: SQLite parses them; tables keep their constraints as written."""

import json
import sqlite3
from pathlib import Path

import pytest

from .helpers import columns, invoke, rows, write_schema

CORPUS = {path.stem: path.read_text() for path in sorted((Path(__file__).parent / "corpus").glob("*.sql"))}


def project(folder: Path, sql: str, name: str = "app.sql") -> Path:
    (folder / "schema").mkdir(exist_ok=True)
    (folder / "schema" / name).write_text(sql)
    write_schema(folder, {"databases": {"app.db": {"sql": f"schema/{name}"}}})
    return folder / "app.db"


def ddl(db: Path) -> list[tuple[str, str, str]]:
    return rows(db, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_built_from_nothing_it_is_the_same_schema_as_running_the_sql(tmp_path, name):
    db = project(tmp_path, CORPUS[name])
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    direct = tmp_path / "direct.db"
    conn = sqlite3.connect(direct)
    conn.executescript(CORPUS[name])
    conn.close()
    assert ddl(db) == ddl(direct)
    for table in (n for t, n, _ in ddl(direct) if t == "table"):
        assert rows(db, f"SELECT * FROM pragma_table_xinfo('{table}')") == rows(
            direct, f"SELECT * FROM pragma_table_xinfo('{table}')")
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_constraints_behave_after_heal(tmp_path):
    db = project(tmp_path, CORPUS["blog"])
    assert invoke(tmp_path, "heal.db").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO authors (handle) VALUES ('Ada')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO authors (handle) VALUES ('ada')")  # COLLATE NOCASE UNIQUE
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO authors (handle, bio) VALUES ('bob', ?)", ("x" * 501,))  # CHECK
    conn.execute("INSERT INTO posts (author_id, slug, title) VALUES (1, 'hello', 'Hello')")
    conn.execute("DELETE FROM authors")
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)  # ON DELETE CASCADE
    conn.close()


def test_a_populated_table_gains_columns_as_written(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users (name) VALUES (?)", [("a",), ("b",)])
    conn.commit()
    conn.close()
    project(tmp_path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, nick TEXT COLLATE NOCASE, "
                      "code TEXT UNIQUE, score INTEGER NOT NULL DEFAULT 0 CHECK (score >= 0));")
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    assert columns(db, "users") == ["id", "name", "nick", "code", "score"]
    assert rows(db, "SELECT id, name, score FROM users ORDER BY id") == [(1, "a", 0), (2, "b", 0)]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE users SET code = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE users SET code = 'x' WHERE id = 2")  # the UNIQUE came with the rebuild
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE users SET score = -1")
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 0


@pytest.mark.parametrize("sql,expect", [
    ("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);", "schema/app.sql:2: INSERT is not allowed"),
    ("CREATE TABLE t (x);\n\nDROP TABLE t;", "schema/app.sql:3: DROP TABLE is not allowed"),
    ("PRAGMA foreign_keys = ON;", "schema/app.sql:1: PRAGMA is not allowed"),
    ("ATTACH 'x.db' AS x;", "ATTACH is not allowed"),
    ("CREATE TABLE t (x);\nCREATE TABLE u (y REFERENCES);", "schema/app.sql:2: SQLite refuses it"),
    ("CREATE TEMP TABLE t (x);", "TEMP objects vanish"),
])
def test_what_a_declaration_may_not_hold_is_named_with_file_and_line(tmp_path, sql, expect):
    project(tmp_path, sql)
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages
    assert not (tmp_path / "app.db").exists()


def test_a_name_declared_in_json_and_in_sql_is_an_error_naming_both(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "app.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);")
    write_schema(tmp_path, {"databases": {"app.db": {"sql": ["schema/app.sql"],
                                                     "tables": {"users": {"columns": {"id": "INTEGER"}}}}}})
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert any('"users" is declared twice' in m and "schema/app.sql" in m for m in messages), messages


def test_sql_files_stay_inside_the_project(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"sql": "../elsewhere.sql"}}})
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 1 and "must stay inside" in p.stdout


def test_snapshot_as_sql_round_trips_losslessly(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    conn = sqlite3.connect(source / "app.db")
    conn.executescript(CORPUS["shop"] + CORPUS["blog"])
    conn.close()
    p = invoke(source, "schema.snapshot", "app.db", "--format", "sql", "--out", "app.sql", schema=False)
    assert p.returncode == 0, p.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "app.sql").write_text((source / "app.sql").read_text())
    write_schema(fresh, {"databases": {"app.db": {"sql": "app.sql"}}})
    assert invoke(fresh, "heal.db").returncode == 0
    assert ddl(fresh / "app.db") == ddl(source / "app.db")
    write_schema(source, {"databases": {"app.db": {"sql": "app.sql"}}})
    assert invoke(source, "validate", "--check").returncode == 0
