"""Declared renames (`renamed_from`): the data stays under the new name, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .helpers import invoke, rows, write_schema

SHOP = {
    "clients": {"renamed_from": "customers", "columns": {
        "id": {"type": "INTEGER", "primary_key": True},
        "name": {"type": "TEXT", "not_null": True, "renamed_from": "full_name"},
        "email": "TEXT"}},
    "orders": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True},
        "client_id": {"type": "INTEGER", "references": "clients.id", "renamed_from": "cust"},
        "total": "REAL"},
        "indexes": [{"columns": ["client_id"]}]},
}


def _old_shop(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, cust INTEGER REFERENCES customers(id), total REAL);
        CREATE INDEX idx_orders_cust ON orders (cust);
        CREATE VIEW big AS SELECT id, total FROM orders WHERE total > 10;
        CREATE TRIGGER keep AFTER INSERT ON orders BEGIN UPDATE orders SET total = total WHERE id = new.id; END;
        INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob');
        INSERT INTO orders VALUES (1, 1, 5), (2, 2, 50);
    """)
    conn.close()


def test_a_renamed_table_and_columns_keep_their_rows_and_everything_that_names_them(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    _old_shop(db)
    write_schema(tmp_path, {"databases": {"app.db": {"tables": SHOP, "views": {
        "big": "SELECT id, total FROM orders WHERE total > 10"}}}})
    dry = invoke(tmp_path, "heal.db", "--dry-run")
    assert "table is named customers in the database (heal would rename it, rows kept)" in dry.stdout
    assert rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") == [("customers",),
                                                                                           ("orders",)]
    p = invoke(tmp_path, "heal.db", "--json")
    found = {(f["check"], f["target"]): f["status"] for f in json.loads(p.stdout)["checks"]}
    assert p.returncode == 0, p.stdout
    assert found[("db.table", "app.db:clients")] == found[("db.column", "app.db:clients.name")] == "healed"
    assert found[("db.column", "app.db:orders.client_id")] == "healed"
    assert rows(db, "SELECT id, name, email FROM clients ORDER BY id") == [(1, "Ann", None), (2, "Bob", None)]
    assert rows(db, "SELECT id, client_id, total FROM orders ORDER BY id") == [(1, 1, 5.0), (2, 2, 50.0)]
    assert rows(db, "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('orders')") == [
        ("clients", "client_id", "id")]
    assert rows(db, "SELECT name FROM pragma_index_info('idx_orders_cust')") == [("client_id",)]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO orders (client_id, total) VALUES (1, 99)")  # the trigger and the view still work
    assert conn.execute("SELECT count(*) FROM big").fetchone() == (2,)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO orders (client_id, total) VALUES (7, 1)")
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 0
    assert "renamed" not in invoke(tmp_path, "heal.db").stdout  # done once: a no-op from then on


def test_both_names_present_is_an_error_and_nothing_is_renamed(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    _old_shop(db)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)")
    conn.execute("ALTER TABLE orders ADD COLUMN client_id INTEGER")
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": SHOP}}})
    p = invoke(tmp_path, "heal.db", "--json")
    errors = {f["target"]: f["message"] for f in json.loads(p.stdout)["checks"] if f["status"] == "error"}
    assert p.returncode == 1
    assert "both customers and clients exist" in errors["app.db:clients"]
    assert "both cust and client_id exist" in errors["app.db:orders.client_id"]
    assert rows(db, "SELECT count(*) FROM customers") == [(2,)] and rows(db, "SELECT count(*) FROM clients") == [(0,)]


@pytest.mark.parametrize("tables, where", [
    ({"a": {"columns": {"x": "TEXT"}}, "b": {"renamed_from": "a", "columns": {"x": "TEXT"}}}, "b.renamed_from"),
    ({"a": {"columns": {"x": "TEXT", "y": {"type": "TEXT", "renamed_from": "x"}}}}, "y.renamed_from"),
])
def test_renaming_from_a_name_still_declared_is_refused_at_load(tmp_path: Path, tables: dict[str, Any],
                                                                 where: str) -> None:
    write_schema(tmp_path, {"databases": {"app.db": {"tables": tables}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and where in p.stdout and "no longer declares" in p.stdout, p.stdout


def test_the_snapshot_never_invents_a_rename(tmp_path: Path) -> None:
    _old_shop(tmp_path / "app.db")
    p = invoke(tmp_path, "schema.snapshot", "app.db", schema=False)
    assert p.returncode == 0 and "renamed_from" not in p.stdout


# ---------------------------------------------------------------- PostgreSQL

def test_postgresql_renames_keep_rows_keys_and_indexes(tmp_path: Path, pg_url: str) -> None:
    pytest.importorskip("psycopg")
    from .pgserver import binaries
    from .test_postgres import execute, project, query

    if binaries() is None:
        pytest.skip("no PostgreSQL server binaries")
    execute(pg_url, "CREATE TABLE customers (id bigint PRIMARY KEY, full_name text NOT NULL)",
            "CREATE TABLE orders (id bigint PRIMARY KEY, cust bigint REFERENCES customers (id), total numeric)",
            "CREATE INDEX idx_orders_cust ON orders (cust)",
            "INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob')", "INSERT INTO orders VALUES (1, 1, 5), (2, 2, 50)")
    shop = json.loads(json.dumps(SHOP).replace('"INTEGER"', '"bigint"').replace('"REAL"', '"numeric"'))
    env = project(tmp_path, shop, pg_url)
    dry = invoke(tmp_path, "heal.db", "--dry-run", env=env)
    assert 'ALTER TABLE "customers" RENAME TO "clients"' in dry.stdout, dry.stdout
    p = invoke(tmp_path, "heal.db", env=env)
    assert p.returncode == 0, p.stdout
    assert query(pg_url, "SELECT id, name, email FROM clients ORDER BY id") == [(1, "Ann", None), (2, "Bob", None)]
    assert query(pg_url, "SELECT client_id FROM orders ORDER BY id") == [(1,), (2,)]
    assert query(pg_url, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'orders'::regclass "
                         "AND contype = 'f'") == [("FOREIGN KEY (client_id) REFERENCES clients(id)",)]
    assert invoke(tmp_path, "validate", "--check", env=env).returncode == 0
    execute(pg_url, "CREATE TABLE customers (id bigint PRIMARY KEY)")
    both = invoke(tmp_path, "heal.db", env=env)
    assert both.returncode == 1 and "both customers and clients exist" in both.stdout
