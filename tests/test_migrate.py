"""migrate: the reviewable script for drift heal will not apply, and --apply running it safely."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import invoke, rows, write_schema

LIVE = ("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty TEXT, code TEXT COLLATE BINARY, "
        "pid INTEGER REFERENCES parent (id), note TEXT);"
        "CREATE INDEX items_name ON items (name);"
        "CREATE TRIGGER items_touch AFTER UPDATE ON items BEGIN SELECT 1; END;"
        "INSERT INTO parent VALUES (1), (2);")
ROWS = [(1, "a", "5", "x", 1, "n1"), (2, "b", "007", "y", 2, None), (3, "c", "12", "z", None, "n3")]
BASE: dict[str, Any] = {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "qty": "TEXT",
                        "code": "TEXT", "pid": {"type": "INTEGER", "references": "parent.id"}, "note": "TEXT"}
# each drift: the declared change to BASE, whether the rows refuse it, whether values read differently after
DRIFTS = {
    "narrow type": ({"qty": "INTEGER"}, False, True),
    "widen type": ({"qty": "TEXT", "name": "BLOB"}, False, False),
    "not null on": ({"name": {"type": "TEXT", "not_null": True, "default": ""}}, False, False),
    "not null over nulls": ({"note": {"type": "TEXT", "not_null": True, "default": ""}}, True, False),
    "check kept by rows": ({"qty": {"type": "TEXT", "check": "length(qty) < 9"}}, False, False),
    "check the rows fail": ({"qty": {"type": "TEXT", "check": "length(qty) < 2"}}, True, False),
    "collate": ({"code": {"type": "TEXT", "collate": "NOCASE"}}, False, False),
    "foreign key action": ({"pid": {"type": "INTEGER", "references": {"table": "parent", "column": "id",
                                                                      "on_delete": "CASCADE"}}}, False, False),
    "unique the rows keep": ({"name": {"type": "TEXT", "unique": True}}, False, False),
}


def _project(folder: Path, change: dict[str, Any], extra_rows: list[tuple[Any, ...]] = ()) -> Path:
    db = folder / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(LIVE)
    conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", [*ROWS, *extra_rows])
    conn.commit()
    conn.close()
    write_schema(folder, {"databases": {"app.db": {"tables": {
        "parent": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}},
        "items": {"columns": {**BASE, **change}, "indexes": [{"columns": ["name"], "name": "items_name"}]}}}}})
    return db


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_each_drift_has_a_script_that_leaves_check_clean_or_is_refused(tmp_path: Path, name: str) -> None:
    change, refused, changes = DRIFTS[name]
    db = _project(tmp_path, change)
    before = rows(db, "SELECT id, name, code, pid FROM items ORDER BY id")
    p = invoke(tmp_path, "migrate")
    assert p.returncode == (1 if refused else 2), p.stdout + p.stderr
    assert ("-- REFUSED until fixed:" in p.stdout) == refused and ("-- CHANGES DATA:" in p.stdout) == changes
    assert rows(db, "SELECT id, name, code, pid FROM items ORDER BY id") == before  # printing changes nothing
    applied = invoke(tmp_path, "migrate", "--apply", "--json")
    doc = json.loads(applied.stdout)
    if refused:
        assert applied.returncode == 1 and rows(db, "SELECT id, name, code, pid FROM items ORDER BY id") == before
        return
    assert applied.returncode == 0, doc
    assert rows(db, "SELECT id, name, code, pid FROM items ORDER BY id") == before  # no row lost
    assert rows(db, "SELECT count(*) FROM items") == [(3,)]
    assert invoke(tmp_path, "validate", "--check").returncode == 0  # exactly the declaration now
    assert rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'") == [("items_touch",)]
    assert list((tmp_path / ".selfheal" / "backups").rglob("*.bak"))  # a backup first


def test_nothing_to_migrate_says_so(tmp_path: Path) -> None:
    _project(tmp_path, {})
    p = invoke(tmp_path, "migrate")
    assert p.returncode == 0 and p.stdout.strip().endswith("all good (exit 0)"), p.stdout


def test_the_script_runs_as_printed_in_sqlite_itself(tmp_path: Path) -> None:
    db = _project(tmp_path, DRIFTS["collate"][0])
    script = invoke(tmp_path, "migrate").stdout
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(script)
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picked=st.lists(st.sampled_from(sorted(DRIFTS)), min_size=1, max_size=3, unique=True),
       more=st.lists(st.tuples(st.integers(4, 50), st.sampled_from(["a", "b", "q", None]),
                               st.sampled_from(["1", "0012", "x", None])), max_size=6, unique_by=lambda r: r[0]))
def test_any_mix_of_drifts_over_any_rows_keeps_every_row_or_changes_nothing(tmp_path_factory: Any,
                                                                            picked: list[str],
                                                                            more: list[tuple[Any, ...]]) -> None:
    folder = tmp_path_factory.mktemp("mig")
    change: dict[str, Any] = {}
    for name in picked:
        change.update(DRIFTS[name][0])
    db = _project(folder, change, [(i, n, q, "k", None, "n") for i, n, q in more])
    before = rows(db, "SELECT id, code, pid FROM items ORDER BY id")
    script = invoke(folder, "migrate")
    applied = invoke(folder, "migrate", "--apply")
    assert rows(db, "SELECT id, code, pid FROM items ORDER BY id") == before  # applied or not, no row lost
    if "-- REFUSED until fixed:" in script.stdout:
        assert applied.returncode == 1
    else:
        assert applied.returncode == 0, applied.stdout
        assert invoke(folder, "validate", "--check").returncode == 0


# ---------------------------------------------------------------- PostgreSQL

PG_LIVE = ("CREATE TABLE parent (id bigint PRIMARY KEY)",
           "CREATE TABLE items (id bigint PRIMARY KEY, name text, qty text, pid bigint REFERENCES parent (id), "
           "note text)",
           "INSERT INTO parent VALUES (1), (2)",
           "INSERT INTO items VALUES (1, 'a', '5', 1, 'n'), (2, 'b', '007', 2, NULL), (3, 'c', '12', NULL, 'n')")
PG_BASE: dict[str, Any] = {"id": {"type": "bigint", "primary_key": True}, "name": "text", "qty": "text",
                           "pid": {"type": "bigint", "references": "parent.id"}, "note": "text"}
PG_DRIFTS = {  # change, refused, changes data
    "narrow type": ({"qty": "integer"}, False, True),
    "type the rows refuse": ({"name": "integer"}, True, False),
    "not null on": ({"name": {"type": "text", "not_null": True}}, False, False),
    "not null over nulls": ({"note": {"type": "text", "not_null": True}}, True, False),
    "default": ({"note": {"type": "text", "default": "none"}}, False, False),
    "foreign key action": ({"pid": {"type": "bigint", "references": {"table": "parent", "column": "id",
                                                                      "on_delete": "CASCADE"}}}, False, False),
    "unique the rows keep": ({"name": {"type": "text", "unique": True}}, False, False),
    "check the rows keep": ({"qty": {"type": "text", "check": "length(qty) < 5"}}, False, False),
    "check the rows fail": ({"qty": {"type": "text", "check": "length(qty) < 2"}}, True, False),
}


@pytest.mark.parametrize("name", sorted(PG_DRIFTS))
def test_postgresql_drifts_have_alters_that_leave_check_clean_or_are_refused(tmp_path: Path, pg_url: str,
                                                                             name: str) -> None:
    pytest.importorskip("psycopg")
    from .test_postgres import execute, project, query

    change, refused, changes = PG_DRIFTS[name]
    execute(pg_url, *PG_LIVE)
    env = project(tmp_path, {"parent": {"columns": {"id": {"type": "bigint", "primary_key": True}}},
                             "items": {"columns": {**PG_BASE, **change}}}, pg_url)
    before = query(pg_url, "SELECT id, name, pid FROM items ORDER BY id")
    p = invoke(tmp_path, "migrate", env=env)
    assert p.returncode == (1 if refused else 2), p.stdout + p.stderr
    assert ("-- REFUSED until fixed:" in p.stdout) == refused and ("-- CHANGES DATA:" in p.stdout) == changes
    applied = invoke(tmp_path, "migrate", "--apply", env=env)
    if refused:
        assert applied.returncode == 1 and query(pg_url, "SELECT id, name, pid FROM items ORDER BY id") == before
        return
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert query(pg_url, "SELECT count(*) FROM items") == [(3,)]
    assert [r[0] for r in query(pg_url, "SELECT id FROM items ORDER BY id")] == [1, 2, 3]
    check = invoke(tmp_path, "validate", "--check", env=env)
    assert check.returncode == 0, check.stdout


def test_a_migrated_autoincrement_table_never_reuses_a_deleted_id(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"
                       "INSERT INTO t (v) VALUES ('a'), ('b'), ('c'); DELETE FROM t WHERE id = 3;")
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True, "autoincrement": True},
        "v": {"type": "TEXT", "not_null": True, "default": ""}}}}}}})
    assert invoke(tmp_path, "migrate", "--apply").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t (v) VALUES ('d')")
    assert conn.execute("SELECT id FROM t WHERE v = 'd'").fetchone() == (4,)
    conn.close()


def test_a_corrupt_or_locked_database_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "app.db").write_bytes(b"garbage garbage! not a database at all")
    (tmp_path / "schema.json").write_text(json.dumps({"version": 1, "settings": {"lock_timeout": 0.2},
                                                      "databases": {"app.db": {"tables": {"t": {"columns": {
                                                          "a": "TEXT"}}}}}}))
    p = invoke(tmp_path, "migrate")
    assert p.returncode == 1 and "database is corrupt" in p.stdout + p.stderr, p.stdout + p.stderr
    assert "internal error" not in p.stdout + p.stderr
    (tmp_path / "app.db").unlink()
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.commit()
    conn.execute("BEGIN EXCLUSIVE")  # held while both runs try
    try:
        for args in (("migrate",), ("migrate", "--apply")):
            p = invoke(tmp_path, *args)
            assert p.returncode == 1 and "locked by another process" in p.stdout + p.stderr, p.stdout + p.stderr
    finally:
        conn.rollback()
        conn.close()
    assert rows(tmp_path / "app.db", "SELECT type FROM pragma_table_info('t')") == [("INTEGER",)]
