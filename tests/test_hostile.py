"""Hostile database states, each from the steps that found it: journals, odd indexes, odd names, odd numbers."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from selfheal.context import Mode
from selfheal.safety.sqlitefile import soundness

from .helpers import columns, heal, invoke, rows, statuses, tree_digest, write_schema

T_NOTE = {"databases": {"app.db": {"tables": {"t": {"columns": {"v": "TEXT", "note": "TEXT"}}}}}}


def make(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def leave_hot_journal(path: Path, rows_to_write: int = 300) -> None:
    """A writer that dies mid-transaction after SQLite spilled changed pages into the file."""
    code = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN')\n"
        f"c.executemany('INSERT INTO t (v) VALUES (?)', [('uncommitted' + 'x' * 500,)] * {rows_to_write})\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=False)
    assert Path(str(path) + "-journal").stat().st_size > 0


def values(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT v FROM t ORDER BY rowid")]


# ---------------------------------------------------------------- 1. journals are recovery, not corruption


def test_junk_journal_loses_no_committed_row_and_restore_leaves_the_database(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('old')")
    write_schema(tmp_path, T_NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0  # a backup holding only 'old' exists now
    make(db, "INSERT INTO t (v) VALUES ('new')")
    (tmp_path / "app.db-journal").write_bytes(b"junk")

    check = invoke(tmp_path, "validate", "--check", "--json")
    doc = json.loads(check.stdout)
    found = {c["check"]: c for c in doc["checks"]}
    assert found["db.recovered"]["status"] == "warning" and "not an SQLite journal" in found["db.recovered"]["message"]
    assert check.returncode == 2 and (tmp_path / "app.db-journal").read_bytes() == b"junk"

    p = invoke(tmp_path, "heal.db", "--restore", "--json")
    assert "Traceback" not in p.stderr
    checks = {c["check"] for c in json.loads(p.stdout)["checks"]}
    assert "db.restore" not in checks and "db.recovered" in checks
    assert values(db) == ["old", "new"]
    assert not list(tmp_path.glob("app.db.corrupt-*"))
    assert [j.name.split(".junk-")[0] for j in tmp_path.glob("app.db-journal.junk-*")] == ["app.db-journal"]
    saved = list((tmp_path / ".selfheal" / "backups").rglob("*.pre-recovery-journal"))
    assert len(saved) == 1 and saved[0].read_bytes() == b"junk"
    assert invoke(tmp_path, "validate").returncode == 0


def test_hot_journal_is_rolled_back_after_a_backup_of_the_pair(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (v TEXT)", *[f"INSERT INTO t VALUES ('committed {i}')" for i in range(40)])
    leave_hot_journal(db)
    write_schema(tmp_path, T_NOTE)
    before = tree_digest(tmp_path)

    check = invoke(tmp_path, "validate", "--check", "--json")
    found = statuses_of(check)
    assert found[("db.recovered", "app.db")] == "warning"
    assert found[("db.column", "app.db:t.note")] == "error"  # planned on a recovered copy: the truth
    assert tree_digest(tmp_path) == before, "a read-only run changed a file"

    p = invoke(tmp_path, "validate", "--json")
    assert statuses_of(p)[("db.recovered", "app.db")] == "warning" and p.returncode == 2
    assert values(db) == [f"committed {i}" for i in range(40)]
    assert columns(db, "t") == ["v", "note"]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    pair = sorted(p.name for p in (tmp_path / ".selfheal" / "backups").rglob("*.pre-recovery*"))
    assert len(pair) == 2 and pair[1].endswith("-journal")
    assert invoke(tmp_path, "validate").returncode == 0


def test_restore_never_replaces_a_database_with_a_hot_journal(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('old')")
    write_schema(tmp_path, T_NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    make(db, "INSERT INTO t (v) VALUES ('new')")
    leave_hot_journal(db)
    p = invoke(tmp_path, "heal.db", "--restore")
    assert "restored" not in p.stdout and p.returncode == 2, p.stdout
    assert values(db) == ["old", "new"]


def test_soundness_asks_integrity_check_before_calling_a_file_corrupt():
    class Conn:
        """quick_check says no, integrity_check says yes: SQLite 3.40 was seen to do so."""

        def __init__(self, integrity):
            self.integrity = integrity

        def execute(self, sql):
            answer = "NULL value in t.x" if "quick_check" in sql else self.integrity
            return type("Rows", (), {"fetchall": lambda _self: [(answer,)]})()

    assert soundness(Conn("ok")) == ""
    assert soundness(Conn("row 3 missing from index ix")) == "integrity_check: row 3 missing from index ix"


def statuses_of(p):
    return {(c["check"], c["target"]): c["status"] for c in json.loads(p.stdout)["checks"]}


# ---------------------------------------------------------------- 2. an index whose meaning a new column changes


def test_index_over_a_string_that_becomes_a_column_is_rebuilt(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT)", 'CREATE INDEX ix ON t ("b")', "INSERT INTO t VALUES ('row1')")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "a": "TEXT", "b": {"type": "TEXT", "default": "x"}}}}}}})
    assert heal(tmp_path).exit_code == 0
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT a FROM t WHERE b = 'x'") == [("row1",)]


def test_many_columns_at_once_also_reindex(tmp_path):
    db = tmp_path / "app.db"
    tables = {f"t{i}": {"columns": {"a": "TEXT", "b": {"type": "TEXT", "default": "x"}}} for i in range(40)}
    make(db, *[s for i in range(40) for s in (f"CREATE TABLE t{i} (a TEXT)", f'CREATE INDEX ix{i} ON t{i} ("b")',
                                               f"INSERT INTO t{i} VALUES ('r')")])
    write_schema(tmp_path, {"databases": {"app.db": {"tables": tables}}})
    assert heal(tmp_path).exit_code == 0
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT count(*) FROM t39 WHERE b = 'x'") == [(1,)]


# ---------------------------------------------------------------- 3. columns named like the rowid


@pytest.mark.parametrize("name", ["rowid", "oid", "_rowid_"])
def test_a_declared_column_named_like_the_rowid_keeps_the_real_rowids(tmp_path, name):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT)", "INSERT INTO t (rowid, a) VALUES (10, 'x'), (20, 'y'), (35, 'z')")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "a": "TEXT", name: "INTEGER", "stamp": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 0, report.findings
    alias = next(a for a in ("rowid", "oid", "_rowid_") if a != name)
    assert rows(db, f'SELECT {alias}, a, "{name}" FROM t ORDER BY a') == [(10, "x", None), (20, "y", None),
                                                                         (35, "z", None)]


def test_every_rowid_alias_shadowed_is_a_clear_error_not_renumbered_rows(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (rowid INT, oid INT, _rowid_ INT)", "INSERT INTO t (rowid, oid, _rowid_) VALUES (1,2,3)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "rowid": "INT", "oid": "INT", "_rowid_": "INT",
        "stamp": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}})
    before = db.read_bytes()
    report = heal(tmp_path)
    assert report.exit_code == 1
    assert statuses(report)[("db.column", "app.db:t.stamp")] == "error"
    assert db.read_bytes() == before


# ---------------------------------------------------------------- 4 and 5. what JSON allows but SQL does not


@pytest.mark.parametrize("raw", ["1e400", "NaN", "Infinity", "-Infinity"])
def test_non_finite_defaults_are_refused_at_load(tmp_path, raw):
    (tmp_path / "schema.json").write_text('{"version": 1, "databases": {"app.db": {"tables": {"t": {"columns": '
                                          '{"x": {"type": "REAL", "default": ' + raw + '}}}}}}}')
    p = invoke(tmp_path, "heal.db", "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 1 and doc["checks"][0]["check"] == "schema"
    assert "not a JSON number" in doc["checks"][0]["message"]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["schema.json"]


@pytest.mark.parametrize("text,expect", [
    ('{"version": 1, "x": ' + "[" * 1200 + "]" * 1200 + "}", "nested more than"),
    ('{"version": 1, "settings": {"lock_timeout": NaN}}', "not a JSON number"),
    ('{"version": 1, "databases": {"' + "d" * 300 + '/app.db": {}}}', "longer than 255 bytes"),
    ('{"version": 1, "databases": {"app.db": {"tables": {"t\\udfff": {"columns": {"x": "TEXT"}}}}}}',
     "lone surrogate"),
    ('{"version": 1, "databases": {"app.db": {"tables": {"sqlite_stat9": {"columns": {"x": "TEXT"}}}}}}',
     "reserves"),
    ('{"version": 1, "databases": {"app.db": {"tables": {"t": {"columns": {"x": "TEXT"}, "indexes": '
     '[{"columns": ["x"], "name": "sqlite_autoindex_t_9"}]}}}}}', "reserves"),
    ('{"version": 1, "databases": {"app.db": {"tables": {"t": {"columns": {"x": {"type": "TEXT", '
     '"references": "a\\nb.c"}}}}}}}', "does not name a declared column"),
])
def test_schema_files_that_crashed_now_fail_cleanly(tmp_path, text, expect):
    (tmp_path / "schema.json").write_text(text)
    for args in (("validate", "--check", "--json"), ("heal.db", "--json")):
        p = invoke(tmp_path, *args)
        assert p.returncode == 1 and "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
        doc = json.loads(p.stdout)
        assert any(expect in c["message"] for c in doc["checks"]), doc
    assert sorted(x.name for x in tmp_path.iterdir()) == ["schema.json"]


def test_a_corrupt_file_with_non_utf8_text_is_corrupt_and_restorable(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('old')")
    write_schema(tmp_path, T_NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    data = bytearray(db.read_bytes())
    at = data.index(b"CREATE TABLE t")
    data[at + 13] = 0xFF  # the table's name in its schema text is no longer UTF-8
    db.write_bytes(bytes(data))
    p = invoke(tmp_path, "validate", "--json")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert statuses_of(p)[("db.integrity", "app.db")] == "error"
    p = invoke(tmp_path, "heal.db", "--restore")
    assert p.returncode == 0, p.stdout + p.stderr
    assert values(db) == ["old"] and columns(db, "t") == ["v", "note"]


def test_internal_errors_still_print_one_json_document(tmp_path, monkeypatch):
    from selfheal import cli

    def broken() -> int:
        raise RuntimeError("boom")

    captured = []
    monkeypatch.setattr(sys, "stdout", type("Out", (), {"write": lambda _s, t: captured.append(t),
                                                         "flush": lambda _s: None, "encoding": "utf-8"})())
    assert cli.guarded(broken, as_json=True) == 1
    doc = json.loads("".join(captured))
    assert doc["exit_code"] == 1 and doc["checks"][0]["check"] == "internal"
    assert "RuntimeError: boom" in doc["checks"][0]["message"]


# ---------------------------------------------------------------- 6. an old violation is not a new one


def test_an_existing_foreign_key_violation_does_not_block_a_second_reference(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY)", "INSERT INTO parent VALUES (1)",
         "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))",
         "INSERT INTO child VALUES (1, 1), (2, 99)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "parent": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}},
        "child": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                              "parent_id": {"type": "INTEGER", "references": "parent.id"},
                              "other_id": {"type": "INTEGER", "references": "parent.id"},
                              "stamp": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 0, report.findings
    assert columns(db, "child") == ["id", "parent_id", "other_id", "stamp"]
    assert rows(db, "SELECT id, parent_id FROM child ORDER BY id") == [(1, 1), (2, 99)]


# ---------------------------------------------------------------- 7. AUTOINCREMENT as text


def test_autoincrement_inside_a_string_does_not_break_a_rebuild(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT DEFAULT 'AUTOINCREMENT')", "INSERT INTO t VALUES ('x')")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "a": {"type": "TEXT", "default": "AUTOINCREMENT"},
        "stamp": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}})
    assert heal(tmp_path).exit_code == 0
    assert columns(db, "t") == ["a", "stamp"]


# ---------------------------------------------------------------- 8. names selfheal chose itself


def test_a_default_index_name_never_takes_a_name_the_schema_gives(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "t": {"columns": {"x": "TEXT"}, "indexes": [{"columns": ["x"]}]},
        "u": {"columns": {"y": "TEXT"}, "indexes": [{"columns": ["y"], "name": "idx_t_x"}]},
        "idx_t_x_2": {"columns": {"z": "TEXT"}}}}}})
    assert heal(tmp_path).exit_code == 0
    assert heal(tmp_path, mode=Mode.CHECK).exit_code == 0
    names = {r[0] for r in rows(tmp_path / "app.db", "SELECT name FROM sqlite_master")}
    assert {"idx_t_x", "idx_t_x_2", "t", "u"} <= names and len(names) == 5


def test_a_table_named_like_a_default_index_name(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "t": {"columns": {"x": "TEXT"}, "indexes": [{"columns": ["x"]}]},
        "idx_t_x": {"columns": {"z": "TEXT"}}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 0, report.findings
    assert heal(tmp_path, mode=Mode.CHECK).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if "selfheal-new" in p.name]


def test_an_object_named_like_the_rebuild_name_does_not_block_rebuilds(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT)", "INSERT INTO t VALUES ('x')",
         "CREATE VIEW t__selfheal_old AS SELECT 1", "CREATE TABLE t__selfheal_old_2 (q)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "a": "TEXT", "stamp": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}})
    assert heal(tmp_path).exit_code == 0
    assert columns(db, "t") == ["a", "stamp"]
    kinds = sorted(rows(db, "SELECT type, name FROM sqlite_master"))
    assert kinds == [("table", "t"), ("table", "t__selfheal_old_2"), ("view", "t__selfheal_old")]


def test_a_declaration_sqlite_refuses_leaves_no_temporary_file(tmp_path):
    # a generated column's expression names a column that does not exist: SQLite refuses the table
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "x": {"type": "TEXT", "default": {"sql": "CURRENT_TIMESTAMP"}}}},
        "u": {"columns": {"y": "TEXT"}, "indexes": [{"columns": ["y"], "name": "t"}]}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".selfheal") == ["schema.json"]


# ---------------------------------------------------------------- 9. what --dry-run promises, heal does


def test_unique_index_over_a_new_constant_default_is_predicted_and_the_rest_heals(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT)", "INSERT INTO t VALUES ('r1'), ('r2')", "CREATE TABLE other (q TEXT)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "t": {"columns": {"a": "TEXT", "code": {"type": "TEXT", "default": "same"}},
              "indexes": [{"columns": ["code"], "unique": True}]},
        "other": {"columns": {"q": "TEXT", "extra": "TEXT"}}}}}})
    dry = heal(tmp_path, mode=Mode.DRY_RUN)
    assert statuses(dry)[("db.index", "app.db:t#idx_t_code")] == "error"
    report = heal(tmp_path)
    found = statuses(report)
    assert found[("db.index", "app.db:t#idx_t_code")] == "error"
    assert found[("db.column", "app.db:t.code")] == "healed" and found[("db.column", "app.db:other.extra")] == "healed"
    assert columns(db, "other") == ["q", "extra"]
    predicted = {(f.check, f.target) for f in dry.findings if f.status.value == "error" and not f.action}
    assert predicted == {
        (f.check, f.target) for f in heal(tmp_path, mode=Mode.CHECK).findings if f.status.value == "error"}


def test_unique_index_over_an_existing_and_a_new_column(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE t (a TEXT)", "INSERT INTO t VALUES ('r1'), ('r2'), ('r2'), (NULL), (NULL)")
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "t": {"columns": {"a": "TEXT", "code": {"type": "TEXT", "default": "same"}},
              "indexes": [{"columns": ["a", "code"], "unique": True}]}}}}})
    report = heal(tmp_path)
    index = next(f for f in report.findings if f.check == "db.index")
    assert index.status.value == "error" and "2 rows" in index.message


def test_a_reference_default_missing_from_the_parent_is_predicted(tmp_path):
    db = tmp_path / "app.db"
    make(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY)", "INSERT INTO parent VALUES (1)",
         "CREATE TABLE child (id INTEGER PRIMARY KEY)", "INSERT INTO child VALUES (1)", "CREATE TABLE other (q BLOB)")
    doc = {"databases": {"app.db": {"tables": {
        "parent": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}},
        "child": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                              "parent_id": {"type": "INTEGER", "default": 7, "references": "parent.id"}}},
        "other": {"columns": {"q": "BLOB", "extra": "TEXT"}}}}}}
    write_schema(tmp_path, doc)
    dry = heal(tmp_path, mode=Mode.DRY_RUN)
    assert statuses(dry)[("db.column", "app.db:child.parent_id")] == "error"
    report = heal(tmp_path)
    assert statuses(report)[("db.column", "app.db:child.parent_id")] == "error"
    assert columns(db, "other") == ["q", "extra"] and columns(db, "child") == ["id"]
    doc["databases"]["app.db"]["tables"]["child"]["columns"]["parent_id"]["default"] = 1
    write_schema(tmp_path, doc)
    assert heal(tmp_path).exit_code == 0 and rows(db, "SELECT parent_id FROM child") == [(1,)]


# ---------------------------------------------------------------- 10. read-only runs leave the folder as they found it


def test_read_only_runs_on_a_wal_database_leave_no_side_files(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.commit()
    conn.close()
    assert sorted(os.listdir(tmp_path)) == ["app.db"]
    write_schema(tmp_path, T_NOTE)
    before = tree_digest(tmp_path)
    for args in (("validate", "--check"), ("heal.db", "--dry-run"), ("validate", "--drift")):
        p = invoke(tmp_path, *args)
        assert p.returncode == 1, p.stdout
        assert tree_digest(tmp_path) == before, args


def test_read_only_run_keeps_side_files_another_connection_uses(tmp_path):
    db = tmp_path / "app.db"
    app = sqlite3.connect(db)
    app.execute("PRAGMA journal_mode = WAL")
    app.execute("CREATE TABLE t (v TEXT)")
    app.execute("INSERT INTO t VALUES ('in the wal')")
    app.commit()
    write_schema(tmp_path, T_NOTE)
    assert invoke(tmp_path, "validate", "--check").returncode == 1
    assert (tmp_path / "app.db-wal").exists() and (tmp_path / "app.db-shm").exists()
    assert app.execute("SELECT v FROM t").fetchall() == [("in the wal",)]
    app.close()


def test_a_bulk_column_heal_reports_each_table_once(tmp_path):
    db = tmp_path / "app.db"
    make(db, *[f"CREATE TABLE t{i} (a TEXT)" for i in range(40)])
    tables = {f"t{i}": {"columns": {"a": "TEXT", "b": "TEXT"}} for i in range(40)}
    write_schema(tmp_path, {"databases": {"app.db": {"tables": tables}}})
    report = heal(tmp_path)
    assert report.exit_code == 0
    assert not [f for f in report.findings if f.check == "db.table" and f.status.value == "ok"]
    assert len([f for f in report.findings if f.status.value == "healed"]) == 40


# ---------------------------------------------------------------- types are type names only; STRICT tables


@pytest.mark.parametrize("type_name,expect", [
    ("TEXT NOT NULL", '"not_null" key'), ("CHECK (0)", "constraint CHECK"), ("INTEGER PRIMARY KEY", '"primary_key"'),
    ("DEFAULT (5)", '"default" key'), ("select", "syntax error"), ("TEXT COLLATE NOCASE", "constraint COLLATE"),
])
def test_a_type_is_a_type_name_only(tmp_path, type_name, expect):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"x": type_name}}}}}})
    p = invoke(tmp_path, "heal.db", "--json")
    found = json.loads(p.stdout)["checks"]
    assert p.returncode == 1 and found[0]["check"] == "schema" and expect in found[0]["message"], found
    assert sorted(x.name for x in tmp_path.iterdir()) == ["schema.json"]


@pytest.mark.parametrize("tables", [1, 40])  # the ALTER path and the bulk path
def test_a_strict_table_refuses_other_types_as_a_predicted_error_never_corruption(tmp_path, tables):
    db = tmp_path / "app.db"
    make(db, *[f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, a TEXT) STRICT" for i in range(tables)],
         *[f"INSERT INTO t{i} (a) VALUES ('x')" for i in range(tables)])
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {f"t{i}": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "a": "TEXT", "seen": "DATETIME", "n": "INTEGER"}}
        for i in range(tables)}}}})
    before_dry = heal(tmp_path, mode=Mode.DRY_RUN)
    report = heal(tmp_path)
    seen = [f for f in report.findings if f.target.endswith(".seen")]
    assert len(seen) == tables and all(f.status.value == "error" and "STRICT" in f.message for f in seen)
    assert not [f for f in report.findings if f.check == "db.integrity" or "restore" in f.hint]
    assert columns(db, "t0") == ["id", "a", "n"]
    assert {(f.check, f.target) for f in before_dry.findings if f.status.value == "error" and not f.action} == {
        (f.check, f.target) for f in report.findings if f.status.value == "error"}


def test_a_journal_recovered_meanwhile_is_no_failure(tmp_path):
    from selfheal.safety import journal

    make(tmp_path / "app.db", "CREATE TABLE t (v TEXT)")
    assert journal.recover(tmp_path / "app.db", "app.db", tmp_path / ".selfheal",
                           tmp_path / ".selfheal" / "backups" / "x", 1.0) is None
    assert not (tmp_path / ".selfheal").exists()  # nothing backed up, nothing changed
