"""Healing real SQLite files: every operation on empty and populated tables, nothing lost."""

import json
import sqlite3

import pytest

from selfheal.context import Mode
from selfheal.planning.sql import quote_ident

from .helpers import columns, heal, rows, schema_facts, statuses, tree_digest, write_schema

NOW = {"sql": "CURRENT_TIMESTAMP"}


def make_db(path, *statements, rows_in=None):
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    for table, count in (rows_in or {}).items():
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if not r[5]]
        for i in range(count):
            conn.execute(f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                         [f"v{i}" if c != "n" else i for c in cols])
    conn.commit()
    conn.close()


def items_schema(extra_columns=None, **table):
    cols = {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", **(extra_columns or {})}
    return {"databases": {"app.db": {"tables": {"items": {"columns": cols, **table}}}}}


@pytest.fixture(params=[0, 150], ids=["empty", "populated"])
def nrows(request):
    return request.param


def populated_items(tmp_path, nrows):
    make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)",
            *[f"INSERT INTO items (name) VALUES ('n{i}')" for i in range(nrows)])


@pytest.mark.parametrize("spec, expect_rebuild", [
    ("TEXT", False),
    ({"type": "INTEGER", "not_null": True, "default": 7}, False),
    ({"type": "TEXT", "default": "it's"}, False),
    ({"type": "DATETIME", "default": NOW}, True),
    ({"type": "INTEGER", "default": {"sql": "1 + 2"}}, True),
    ({"type": "INTEGER", "references": "items.id", "default": 1}, True),
    ({"type": "INTEGER", "references": "items.id"}, False),
])
def test_add_column_on_empty_and_populated(tmp_path, nrows, spec, expect_rebuild):
    populated_items(tmp_path, nrows)
    write_schema(tmp_path, items_schema({"added": spec}))
    report = heal(tmp_path)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value != "ok"]
    healed = [f for f in report.findings if f.status.value == "healed"]
    assert len(healed) == 1 and ("rebuilt" in healed[0].message) == expect_rebuild
    db = tmp_path / "app.db"
    assert columns(db, "items") == ["id", "name", "added"]
    assert rows(db, "SELECT count(*) FROM items")[0][0] == nrows
    assert rows(db, "SELECT count(*) FROM items WHERE added IS NULL")[0][0] == (nrows if spec in (
        "TEXT", {"type": "INTEGER", "references": "items.id"}) else 0)
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    again = heal(tmp_path)
    assert not [f for f in again.findings if f.status.value == "healed"]


def test_create_table_and_index_on_existing_db(tmp_path, nrows):
    populated_items(tmp_path, nrows)
    doc = items_schema(indexes=[{"columns": ["name"]}])
    doc["databases"]["app.db"]["tables"]["tags"] = {"columns": {"tag": "TEXT"}, "indexes": [
        {"columns": ["tag"], "unique": True, "name": "tag_unique"}]}
    write_schema(tmp_path, doc)
    report = heal(tmp_path)
    assert report.exit_code == 0
    got = statuses(report)
    assert got[("db.table", "app.db:tags")] == "healed"
    assert got[("db.index", "app.db:items#idx_items_name")] == "healed"
    assert got[("db.index", "app.db:tags#tag_unique")] == "healed"
    assert rows(tmp_path / "app.db", "SELECT count(*) FROM items")[0][0] == nrows


def test_not_null_without_default_needs_an_empty_table(tmp_path, nrows):
    populated_items(tmp_path, nrows)
    write_schema(tmp_path, items_schema({"sku": {"type": "TEXT", "not_null": True}}))
    report = heal(tmp_path)
    finding = next(f for f in report.findings if f.target == "app.db:items.sku")
    if nrows:
        assert finding.status.value == "error" and "cannot be added to a table that has rows" in finding.message
        assert report.exit_code == 1 and columns(tmp_path / "app.db", "items") == ["id", "name"]
    else:
        assert finding.status.value == "healed" and columns(tmp_path / "app.db", "items")[-1] == "sku"


def test_rebuild_keeps_rows_indexes_triggers_views_children_and_sequence(tmp_path):
    db = tmp_path / "app.db"
    make_db(db,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
            "kind TEXT CHECK (kind <> 'bad'))",
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE)",
            "CREATE INDEX parent_kind ON parent(kind)",
            "CREATE TABLE log (msg TEXT)",
            "CREATE TRIGGER parent_ins AFTER INSERT ON parent BEGIN INSERT INTO log VALUES ('ins ' || new.name); END",
            "CREATE VIEW parent_names AS SELECT name FROM parent",
            *[f"INSERT INTO parent (name, kind) VALUES ('p{i}', 'k{i % 3}')" for i in range(120)],
            "DELETE FROM parent WHERE id > 110",
            *[f"INSERT INTO child (parent_id) VALUES ({i % 110 + 1})" for i in range(300)])
    before_log = rows(db, "SELECT count(*) FROM log")[0][0]
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "parent": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "kind": "TEXT",
                               "seen_at": {"type": "DATETIME", "default": NOW},
                               "score": {"type": "REAL", "not_null": True, "default": 0}}}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value != "ok"]
    assert columns(db, "parent") == ["id", "name", "kind", "seen_at", "score"]
    assert rows(db, "SELECT count(*), min(id), max(id) FROM parent") == [(110, 1, 110)]
    assert rows(db, "SELECT count(*) FROM parent WHERE seen_at IS NULL OR score <> 0") == [(0,)]
    assert rows(db, "SELECT count(*) FROM child") == [(300,)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    names = {r[0] for r in rows(db, "SELECT name FROM sqlite_master")}
    assert {"parent_kind", "parent_ins", "parent_names", "sqlite_autoindex_parent_1"} <= names
    assert rows(db, "SELECT count(*) FROM parent_names") == [(110,)]
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO parent (name, kind) VALUES ('new', 'k')")
    conn.commit()
    assert conn.execute("SELECT id FROM parent WHERE name = 'new'").fetchone()[0] == 121  # seq kept
    assert conn.execute("SELECT count(*) FROM log").fetchone()[0] == before_log + 1  # trigger kept
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO parent (name, kind) VALUES ('x', 'bad')")  # CHECK kept
    conn.close()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_check_and_dry_run_change_no_byte(tmp_path):
    populated_items(tmp_path, 50)
    write_schema(tmp_path, items_schema({"at": {"type": "DATETIME", "default": NOW}}, indexes=[
        {"columns": ["name"]}]) | {"directories": ["logs"]})
    before = tree_digest(tmp_path)
    for mode in (Mode.CHECK, Mode.DRY_RUN):
        report = heal(tmp_path, parts=("db", "fs"), mode=mode)
        assert report.exit_code == 1
        assert tree_digest(tmp_path) == before
        assert not (tmp_path / ".selfheal").exists() and not (tmp_path / "logs").exists()
        actions = [f.action for f in report.findings if f.action]
        assert any(a.startswith('ALTER TABLE "items" RENAME TO') for a in actions)
        assert 'CREATE INDEX "idx_items_name" ON "items" ("name")' in actions


def test_case_folding_matches_existing_names(tmp_path):
    make_db(tmp_path / "app.db", 'CREATE TABLE "Users" ("ID" INTEGER PRIMARY KEY, "EMAIL" TEXT)',
            'CREATE UNIQUE INDEX "Users_Email" ON "Users" ("EMAIL")')
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"users": {
        "columns": {"id": {"type": "INTEGER", "primary_key": True}, "email": "TEXT", "name": "TEXT"},
        "indexes": [{"columns": ["email"], "unique": True}]}}}}})
    report = heal(tmp_path)
    assert report.exit_code == 0
    healed = [f.target for f in report.findings if f.status.value == "healed"]
    assert healed == ["app.db:Users.name"]
    assert rows(tmp_path / "app.db", "SELECT count(*) FROM sqlite_master WHERE type = 'table'") == [(1,)]


HOSTILE = ["Order Details", 'a"b', "a]b", "select", "x'); DROP TABLE t;--"]


def test_hostile_identifiers_are_created_and_healed_without_injection(tmp_path):
    tables = {name: {"columns": {name: {"type": "TEXT", "default": name}, "id": "INTEGER"},
                     "indexes": [{"columns": [name, "id"], "unique": True}]} for name in HOSTILE}
    tables["t"] = {"columns": {"x": "TEXT"}}
    write_schema(tmp_path, {"databases": {"app.db": {"tables": tables}}})
    assert heal(tmp_path).exit_code == 0
    db = tmp_path / "app.db"
    names = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names == set(HOSTILE) | {"t"}
    for name in HOSTILE:
        assert columns(db, name) == [name, "id"]
    # now heal a populated version missing the hostile column, forcing the rebuild path too
    tables2 = {name: {"columns": {"id": "INTEGER", "extra " + name: {"type": "DATETIME", "default": NOW}}}
               for name in HOSTILE}
    write_schema(tmp_path, {"databases": {"app.db": {"tables": tables2}}})
    for name in HOSTILE:
        conn = sqlite3.connect(db)
        conn.execute(f'INSERT INTO "{name.replace(chr(34), chr(34) * 2)}" (id) VALUES (1), (2)')
        conn.commit()
        conn.close()
    report = heal(tmp_path)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value != "ok"]
    for name in HOSTILE:
        assert columns(db, name)[-1] == "extra " + name
        assert rows(db, f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"') == [(2,)]
    assert "t" in {r[0] for r in rows(db, "SELECT name FROM sqlite_master")}


def test_unique_index_blocked_by_duplicates_is_an_error_with_the_count(tmp_path):
    make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO items (name) VALUES ('a'), ('a'), ('a'), ('b'), ('b'), ('c'), (NULL), (NULL)")
    write_schema(tmp_path, items_schema({"note": "TEXT"}, indexes=[{"columns": ["name"], "unique": True}]))
    report = heal(tmp_path)
    finding = next(f for f in report.findings if f.check == "db.index")
    assert finding.status.value == "error" and "5 rows share a value of (name)" in finding.message
    assert report.exit_code == 1
    assert columns(tmp_path / "app.db", "items")[-1] == "note"  # the rest was still healed


def test_undeclared_objects_are_reported_not_touched(tmp_path):
    make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT)",
            "CREATE INDEX legacy_ix ON items(legacy)", "CREATE TABLE old_stuff (x)")
    write_schema(tmp_path, items_schema())
    report = heal(tmp_path)
    assert report.exit_code == 0
    notes = {f.target for f in report.findings if f.notable}
    assert notes == {"app.db:items.legacy", "app.db:items#legacy_ix", "app.db:old_stuff"}


def test_drift_is_a_warning_and_numeric_defaults_compare_by_value(tmp_path):
    make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, name INTEGER NOT NULL, "
            "price REAL DEFAULT '0', flag BOOLEAN DEFAULT FALSE)")
    write_schema(tmp_path, items_schema({"price": {"type": "real", "default": 0},
                                         "flag": {"type": "BOOLEAN", "default": False}}))
    report = heal(tmp_path)
    drift = [f for f in report.findings if f.status.value == "warning"]
    assert [f.target for f in drift] == ["app.db:items.name"]
    assert "type is INTEGER, declared TEXT" in drift[0].message and "NOT NULL, declared nullable" in drift[0].message
    assert report.exit_code == 2


def test_audit_trail_and_backup_before_changing_an_existing_database(tmp_path):
    populated_items(tmp_path, 120)
    write_schema(tmp_path, items_schema({"at": {"type": "DATETIME", "default": NOW}}))
    heal(tmp_path)
    records = [json.loads(line) for line in (tmp_path / ".selfheal" / "audit.jsonl").read_text().splitlines()]
    assert {"time", "check", "target", "action", "result"} <= set(records[0])
    assert any(r["check"] == "db.column" and r["result"] == "applied" for r in records)
    assert records[-1]["check"] == "run"
    [backup] = (tmp_path / ".selfheal" / "backups").glob("app.db-*/*.bak")
    assert rows(backup, "SELECT count(*) FROM items") == [(120,)]
    assert columns(backup, "items") == ["id", "name"]


def test_many_missing_columns_use_one_schema_update_and_keep_every_row(tmp_path):
    db = tmp_path / "app.db"
    tables = 60
    make_db(db, *[f'CREATE TABLE "t {i}" (id INTEGER PRIMARY KEY, v TEXT, CHECK (v <> \'bad\'))'
                  for i in range(tables)],
            *[f'INSERT INTO "t {i}" (v) VALUES (\'a\'), (\'b\')' for i in range(tables)],
            *[f'INSERT INTO "t 0" (v) VALUES (\'r{n}\')' for n in range(150)])
    watcher = sqlite3.connect(db)  # opened before the heal: must see the new schema afterwards
    watcher.execute('SELECT * FROM "t 0"').fetchall()
    cols = {"id": {"type": "INTEGER", "primary_key": True}, "v": "TEXT", "note": "TEXT",
            "qty": {"type": "INTEGER", "not_null": True, "default": 3}, "label": {"type": "TEXT", "default": "it's"}}
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {f"t {i}": {"columns": cols, "indexes": [
        {"columns": ["qty"]}]} for i in range(tables)}}}})
    dry = heal(tmp_path, mode=Mode.DRY_RUN)
    assert any(f.action.startswith("PRAGMA writable_schema = ON") for f in dry.findings)
    report = heal(tmp_path)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value == "error"]
    healed = [f for f in report.findings if f.check == "db.column" and f.status.value == "healed"]
    assert len(healed) == 3 * tables and "one schema update" in healed[0].message
    assert watcher.execute('SELECT id, v, note, qty, label FROM "t 7" ORDER BY id').fetchall() == [
        (1, "a", None, 3, "it's"), (2, "b", None, 3, "it's")]
    watcher.close()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, 'SELECT count(*), min(qty), max(qty), count(note) FROM "t 0"') == [(152, 3, 3, 0)]
    assert rows(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'") == [(tables,)]
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute('INSERT INTO "t 3" (v) VALUES (\'bad\')')  # the CHECK constraint survived
    conn.execute('INSERT INTO "t 3" (v) VALUES (\'c\')')
    assert conn.execute('SELECT qty, label FROM "t 3" WHERE v = \'c\'').fetchone() == (3, "it's")
    conn.close()
    assert not [f for f in heal(tmp_path).findings if f.status.value == "healed"]


def test_wal_database_healed_while_the_app_holds_a_connection(tmp_path):
    app = sqlite3.connect(tmp_path / "app.db")
    app.execute("PRAGMA journal_mode = WAL")
    app.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    app.executemany("INSERT INTO items (name) VALUES (?)", [(f"n{i}",) for i in range(300)])
    app.commit()  # left in the WAL, not checkpointed: the app is still running
    write_schema(tmp_path, items_schema({"seen_at": {"type": "DATETIME", "default": NOW}},
                                        indexes=[{"columns": ["name"]}]))
    report = heal(tmp_path)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value == "error"]
    assert app.execute("SELECT count(*), count(seen_at) FROM items").fetchone() == (300, 300)
    app.execute("INSERT INTO items (name) VALUES ('after')")
    app.commit()
    app.close()
    assert rows(tmp_path / "app.db", "PRAGMA journal_mode") == [("wal",)]
    [backup] = (tmp_path / ".selfheal" / "backups").glob("app.db-*/*.bak")
    assert rows(backup, "SELECT count(*) FROM items") == [(300,)]  # the WAL's rows are in the backup


def _rebuild_fixture(folder):
    db = folder / "app.db"
    conn = sqlite3.connect(db)
    for i, name in enumerate(['plain', 'sp ace', 'quo"te', "it's", "名前", "t_1", "a.b", "t",
                              "select", "Ünï"]):
        q = '"' + name.replace('"', '""') + '"'
        conn.execute(f"CREATE TABLE {q} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, kind TEXT "
                     f"CHECK (kind <> 'bad'), parent INTEGER REFERENCES {q} (id) ON DELETE CASCADE)")
        conn.execute(f'CREATE INDEX "ix {i}" ON {q} (kind)')
        conn.execute(f'CREATE TRIGGER "tr {i}" AFTER INSERT ON {q} BEGIN SELECT 1; END')
        conn.executemany(f"INSERT INTO {q} (name, kind, parent) VALUES (?, ?, ?)",
                         [(f"n{j}", f"k{j % 3}", None if j == 0 else 1) for j in range(50)])
        conn.execute(f"DELETE FROM {q} WHERE id > 45")
    conn.execute('CREATE VIEW "v" AS SELECT * FROM "sp ace"')
    conn.commit()
    conn.close()
    tables = {name: {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "kind": "TEXT",
                                 "parent": "INTEGER", "code": {"type": "TEXT", "unique": True},
                                 "seen": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}}}
              for name in ['plain', 'sp ace', 'quo"te', "it's", "名前", "t_1", "a.b", "t", "select",
                           "Ünï"]}
    write_schema(folder, {"databases": {"app.db": {"tables": tables}}})
    return db


def test_many_rebuilds_in_one_schema_update_give_what_one_by_one_gives(tmp_path, monkeypatch):
    from selfheal.planning import plan as plan_module

    results = {}
    for mode, limit in (("bulk", 8), ("one-by-one", 1000)):
        folder = tmp_path / mode
        folder.mkdir()
        db = _rebuild_fixture(folder)
        monkeypatch.setattr(plan_module, "BULK_REBUILDS", limit)
        dry = heal(folder, mode=Mode.DRY_RUN)
        assert any("CREATE TEMP TABLE" in f.action for f in dry.findings) == (mode == "bulk")
        report = heal(folder)
        assert report.exit_code == 0, [f for f in report.findings if f.status.value != "ok"]
        assert heal(folder).exit_code == 0
        conn = sqlite3.connect(db)
        data = {name: conn.execute(f"SELECT rowid, id, name, kind, parent, code FROM {quote_ident(name)} "
                                   "ORDER BY rowid").fetchall()
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                                            "('sqlite_sequence')")}
        seq = conn.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute('INSERT INTO "quo""te" (name, code) VALUES (\'new\', \'c\')')
        next_id = conn.execute('SELECT max(id) FROM "quo""te"').fetchone()
        conn.close()
        results[mode] = (schema_facts(db), data, seq, next_id)
    assert results["bulk"] == results["one-by-one"]
    assert results["bulk"][3] == (51,)  # AUTOINCREMENT's high-water mark survived: 46..50 are never reused
