"""Constraint keys in JSON: unique, check, collate, FK actions, table checks, STRICT, WITHOUT ROWID, partial indexes."""

import json
import sqlite3

import pytest

from .helpers import columns, invoke, rows, write_schema

CHAT = {"databases": {"chat.db": {"tables": {
    "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                          "email": {"type": "TEXT", "not_null": True, "collate": "NOCASE", "unique": True},
                          "age": {"type": "INTEGER", "check": "age >= 0"}},
              "checks": ["length(email) > 3"]},
    "threads": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "title": "TEXT",
                            "archived_at": "DATETIME"},
                "indexes": [{"columns": ["title"], "name": "idx_threads_live", "where": "archived_at IS NULL"}]},
    "messages": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                             "thread_id": {"type": "INTEGER", "not_null": True,
                                           "references": {"table": "threads", "column": "id", "on_delete": "CASCADE"}},
                             "body": "TEXT"}},
    "settings": {"columns": {"key": {"type": "TEXT", "primary_key": True}, "value": "ANY"},
                 "strict": True, "without_rowid": True}}}}}


def _healed_with_foreign_keys(folder, doc, name):
    """heal.db through the task (must succeed), then a connection to `name` that enforces foreign keys."""
    write_schema(folder, doc)
    p = invoke(folder, "heal.db")
    assert p.returncode == 0, p.stdout
    conn = sqlite3.connect(folder / name)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def test_constraints_are_created_and_behave(tmp_path):
    conn = _healed_with_foreign_keys(tmp_path, CHAT, "chat.db")
    db = tmp_path / "chat.db"
    conn.execute("INSERT INTO users (email) VALUES ('A@x.io')")
    for bad in ("INSERT INTO users (email) VALUES ('a@x.io')",  # NOCASE UNIQUE
                "INSERT INTO users (email, age) VALUES ('b@x.io', -1)",  # column CHECK
                "INSERT INTO users (email) VALUES ('b')",  # table CHECK
                "INSERT INTO settings (key, value) VALUES (X'00', 2)"):  # STRICT: a blob is no TEXT
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(bad)
    conn.execute("INSERT INTO threads (id, title) VALUES (1, 't')")
    conn.execute("INSERT INTO messages (thread_id, body) VALUES (1, 'hi')")
    conn.execute("DELETE FROM threads")
    assert conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)  # ON DELETE CASCADE
    conn.close()
    assert rows(db, "SELECT partial FROM pragma_index_list('threads') WHERE name = 'idx_threads_live'") == [(1,)]
    assert "WITHOUT ROWID" in rows(db, "SELECT sql FROM sqlite_master WHERE name = 'settings'")[0][0]
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_a_populated_table_gains_a_unique_and_a_checked_column(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users (name) VALUES (?)", [("a",), ("b",)])
    conn.commit()
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"users": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "code": {"type": "TEXT", "unique": True},
        "score": {"type": "INTEGER", "default": 0, "check": "score >= 0"}}}}}}})
    assert invoke(tmp_path, "heal.db").returncode == 0
    assert columns(db, "users") == ["id", "name", "code", "score"]
    assert rows(db, "SELECT id, name, score FROM users ORDER BY id") == [(1, "a", 0), (2, "b", 0)]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE users SET code = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE users SET code = 'x' WHERE id = 2")
    conn.close()


@pytest.mark.parametrize("column,expect", [
    ({"type": "TEXT", "check": "1) , evil INT CHECK (1"}, "do not each stay within"),
    ({"type": "TEXT", "check": "nope > 1"}, "no such column"),
    ({"type": "TEXT", "collate": "NOCASE DEFAULT 1"}, "does not match"),
])
def test_constraint_keys_cannot_smuggle_sql(tmp_path, column, expect):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"x": column}}}}}})
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages
    assert not (tmp_path / "app.db").exists()


def test_strict_and_partial_index_rules_at_load(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "s": {"columns": {"x": "DATETIME"}, "strict": True},
        "p": {"columns": {"x": "TEXT"}, "indexes": [{"columns": ["x"], "where": "x IS NOT NULL"}]}}}}})
    p = invoke(tmp_path, "validate", "--check", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert any("not allowed in a STRICT table" in m for m in messages)
    assert any('partial index ("where") needs a "name"' in m for m in messages)


MUSIC = {"databases": {"music.db": {"tables": {
    "artists": {"columns": {"id": {"type": "INTEGER", "primary_key": True, "autoincrement": True},
                            "name": {"type": "TEXT", "not_null": True, "collate": "NOCASE"},
                            "country": {"type": "TEXT", "not_null": True, "default": "??"}},
                "unique": [["name", "country"]],
                "indexes": [{"name": "artists_by_lower_name", "columns": [{"sql": "lower(name)"},
                                                                        {"column": "country", "desc": True}]},
                            {"name": "artists_nocase", "columns": [{"column": "name", "collate": "RTRIM"}]}]},
    "albums": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                           "artist_name": "TEXT", "artist_country": "TEXT",
                           "price_cents": {"type": "INTEGER", "not_null": True, "default": 0},
                           "price": {"type": "REAL", "generated": {"sql": "price_cents / 100.0"}},
                           "doubled": {"type": "INTEGER", "generated": {"sql": "price_cents * 2", "stored": True}}},
               "foreign_keys": [{"columns": ["artist_name", "artist_country"],
                                 "references": {"table": "artists", "columns": ["name", "country"]},
                                 "on_delete": "CASCADE", "on_update": "CASCADE"}]}}}}}


def test_composite_keys_generated_columns_and_index_terms_from_json(tmp_path):
    conn = _healed_with_foreign_keys(tmp_path, MUSIC, "music.db")
    conn.execute("INSERT INTO artists (name, country) VALUES ('Nina', 'US')")
    conn.execute("INSERT INTO artists (name, country) VALUES ('Nina', 'FR')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO artists (name, country) VALUES ('NINA', 'US')")  # UNIQUE (name, country), NOCASE
    conn.execute("INSERT INTO albums (artist_name, artist_country, price_cents) VALUES ('Nina', 'US', 1299)")
    assert conn.execute("SELECT price, doubled FROM albums").fetchone() == (12.99, 2598)
    conn.execute("UPDATE artists SET name = 'Nina S' WHERE country = 'US'")
    assert conn.execute("SELECT artist_name FROM albums").fetchone() == ("Nina S",)  # ON UPDATE CASCADE
    conn.execute("DELETE FROM artists WHERE country = 'US'")
    assert conn.execute("SELECT count(*) FROM albums").fetchone() == (0,)  # ON DELETE CASCADE
    conn.execute("DELETE FROM artists")
    conn.execute("INSERT INTO artists (name) VALUES ('new')")
    assert conn.execute("SELECT id, country FROM artists").fetchone() == (3, "??")  # AUTOINCREMENT: no id reused
    terms = "SELECT name, desc, coll FROM pragma_index_xinfo('artists_by_lower_name') WHERE key"
    assert conn.execute(terms).fetchall() == [(None, 0, "BINARY"), ("country", 1, "BINARY")]
    assert conn.execute("SELECT coll FROM pragma_index_xinfo('artists_nocase') WHERE key").fetchall() == [("RTRIM",)]
    conn.close()
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 0, p.stdout


def test_a_populated_table_gains_virtual_and_stored_generated_columns(tmp_path):
    db = tmp_path / "music.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE albums (id INTEGER PRIMARY KEY, artist_name TEXT, artist_country TEXT, "
                 "price_cents INTEGER NOT NULL DEFAULT 0)")
    conn.executemany("INSERT INTO albums (price_cents) VALUES (?)", [(100,), (250,)])
    conn.commit()
    conn.close()
    doc = json.loads(json.dumps(MUSIC))
    doc["databases"]["music.db"]["tables"]["albums"].pop("foreign_keys")
    write_schema(tmp_path, doc)
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    assert "table rebuilt" in p.stdout  # STORED: ALTER cannot add it
    assert rows(db, "SELECT id, price, doubled FROM albums ORDER BY id") == [(1, 1.0, 200), (2, 2.5, 500)]
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_tightened_constraints_are_drift_and_leave_the_file_byte_identical(tmp_path):
    db = tmp_path / "chat.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER)")
    conn.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT, archived_at DATETIME)")
    conn.execute("CREATE INDEX idx_threads_live ON threads (title)")
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads (id), "
                 "body TEXT)")
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value ANY)")
    conn.executemany("INSERT INTO users (email, age) VALUES (?, ?)", [("A@x.io", 1), ("a@x.io", -5)])
    conn.commit()
    conn.close()
    before = db.read_bytes()
    write_schema(tmp_path, CHAT)
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 2, p.stdout
    assert db.read_bytes() == before
    found = {(c["target"], c["status"]): c["message"] for c in json.loads(p.stdout)["checks"]}
    assert "collate is none, declared NOCASE" in found[("chat.db:users.email", "warning")]
    assert "check is none, declared age>=0" in found[("chat.db:users.age", "warning")]
    assert "UNIQUE is none, declared (email)" in found[("chat.db:users", "warning")]
    assert "table CHECK is none, declared length(email)>3" in found[("chat.db:users", "warning")]
    assert "foreign key actions is no action, declared ON DELETE CASCADE" in found[
        ("chat.db:messages.thread_id", "warning")]
    assert "STRICT is no, declared yes" in found[("chat.db:settings", "warning")]
    assert "WITHOUT ROWID is no, declared yes" in found[("chat.db:settings", "warning")]
    assert "differs from its declaration" in found[("chat.db:threads#idx_threads_live", "warning")]
    p = invoke(tmp_path, "validate", "--drift")
    assert "declared (schema.json)" in p.stdout and "NOCASE" in p.stdout


def test_constraints_only_the_database_has_are_information_not_warnings(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE UNIQUE "
                 "CHECK (name <> ''))")
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT"}}}}}})
    p = invoke(tmp_path, "validate", "--check", "--json")
    assert p.returncode == 0, p.stdout
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert any("has constraints schema.json does not declare (kept)" in m and "NOCASE" in m for m in messages)


@pytest.mark.parametrize("table,expect", [
    ({"columns": {"id": {"type": "TEXT", "primary_key": True, "autoincrement": True}}}, "needs an INTEGER column"),
    ({"columns": {"id": {"type": "INTEGER", "autoincrement": True}}}, "needs an INTEGER column"),
    ({"columns": {"x": "TEXT"}, "indexes": [{"columns": [{"sql": "lower(x)"}]}]}, 'needs a "name"'),
    ({"columns": {"x": "TEXT"}, "indexes": [{"name": "i", "columns": [{"sql": "x", "column": "x"}]}]},
     'either "column" or "sql"'),
    ({"columns": {"x": "TEXT"}, "indexes": [{"name": "i", "columns": [{"sql": "x, x || 1"}]}]}, "one expression"),
    ({"columns": {"x": "TEXT"}, "indexes": [{"name": "i", "columns": [{"sql": "x) WHERE (1"}]}]}, "one expression"),
    ({"columns": {"x": "TEXT"}, "unique": [["x", "y"]]}, 'column "y" is not declared'),
    ({"columns": {"x": "TEXT", "y": "TEXT"}, "foreign_keys": [
        {"columns": ["x", "y"], "references": {"table": "p", "columns": ["a", "b"]}}]}, "neither the primary key"),
    ({"columns": {"x": "TEXT", "y": "TEXT"}, "foreign_keys": [
        {"columns": ["x", "y"], "references": {"table": "p", "columns": ["a"]}}]}, "names 1 columns for 2"),
    ({"columns": {"x": "TEXT", "y": "TEXT"}, "foreign_keys": [
        {"columns": ["x", "y"], "references": {"table": "nope", "columns": ["a", "b"]}}]}, "not a table declared"),
    ({"columns": {"id": {"type": "INTEGER", "primary_key": True}, "g": {"type": "INT", "generated": {"sql": "id"}}},
      "rows": [{"id": 1, "g": 2}]}, "sets the generated column"),
    ({"columns": {"x": "TEXT", "g": {"type": "INT", "generated": {"sql": "x"}, "default": 1}}},
     "cannot have a default"),
    ({"columns": {"x": "TEXT", "g": {"type": "INT", "generated": {"sql": "nope + 1"}}}}, "no such column"),
])
def test_table_surface_keys_are_checked_at_load(tmp_path, table, expect):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "p": {"columns": {"a": "TEXT", "b": "TEXT"}}, "t": table}}}})
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages
    assert not (tmp_path / "app.db").exists()
