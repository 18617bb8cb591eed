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


def test_constraints_are_created_and_behave(tmp_path):
    write_schema(tmp_path, CHAT)
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    db = tmp_path / "chat.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
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
