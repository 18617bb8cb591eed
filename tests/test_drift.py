"""validate --drift: declared against actual, side by side; read-only."""

import json
import sqlite3

from .helpers import invoke, tree_digest, write_schema


def test_drift_lists_every_difference_and_changes_nothing(tmp_path):
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, email INTEGER NOT NULL, plan TEXT DEFAULT 'pro', legacy TEXT);
        CREATE INDEX users_legacy ON users (legacy);
        CREATE TABLE old_table (x);
        INSERT INTO users (email) VALUES (1), (2);
    """)
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "email": "TEXT",
                              "plan": {"type": "TEXT", "default": "free"}, "phone": "TEXT"},
                  "indexes": [{"columns": ["email"], "unique": True}]},
        "orders": {"columns": {"id": "INTEGER"}}}}}})
    before = tree_digest(tmp_path)
    p = invoke(tmp_path, "validate", "--drift", "--json")
    assert tree_digest(tmp_path) == before
    assert p.returncode == 1  # missing table, column and index: what --check would say
    drift = {(d["target"], d["aspect"]): (d["declared"], d["actual"]) for d in json.loads(p.stdout)["drift"]}
    assert drift == {
        ("app.db:users.email", "type"): ("TEXT", "INTEGER"),
        ("app.db:users.email", "NOT NULL"): ("nullable", "NOT NULL"),
        ("app.db:users.plan", "default"): ("'free'", "'pro'"),
        ("app.db:users.phone", "column"): ('"phone" TEXT', "missing"),
        ("app.db:users.legacy", "column"): ("not declared", '"legacy" TEXT'),
        ("app.db:users#idx_users_email", "index"): ("unique (email)", "missing"),
        ("app.db:users#users_legacy", "index"): ("not declared", "(legacy)"),
        ("app.db:orders", "table"): ("declared", "missing"),
        ("app.db:old_table", "table"): ("not declared", "present"),
    }
    text = invoke(tmp_path, "validate", "--drift")
    assert "Drift: 9 differences" in text.stdout and "declared (schema.json)" in text.stdout
    assert tree_digest(tmp_path) == before


def test_no_drift_says_so(tmp_path):
    write_schema(tmp_path, {"databases": {"a.db": {"tables": {"t": {"columns": {"x": "TEXT"}}}}}})
    invoke(tmp_path, "heal.db")
    p = invoke(tmp_path, "validate", "--drift")
    assert p.returncode == 0 and "Drift: none" in p.stdout
