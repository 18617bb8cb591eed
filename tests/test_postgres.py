"""PostgreSQL databases: the same schema.json heals a server database, on a throwaway cluster.

The cluster is started once per test session (initdb + pg_ctl, see tests/pgserver.py); each test gets
a database of its own. Without the server binaries these tests skip with one line saying so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .helpers import ROOT, invoke, write_schema
from .pgserver import binaries, fresh_database

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

SHOP = {
    "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                          "email": {"type": "TEXT", "not_null": True, "unique": True},
                          "active": {"type": "BOOLEAN", "not_null": True, "default": True},
                          "created_at": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}}},
    "orders": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                           "user_id": {"type": "INTEGER", "not_null": True,
                                       "references": {"table": "users", "column": "id", "on_delete": "CASCADE"}},
                           "total": {"type": "NUMERIC(10, 2)", "not_null": True, "default": 0,
                                     "check": "total >= 0"},
                           "meta": {"type": "jsonb", "default": {"sql": "'{}'::jsonb"}},
                           "tags": "text[]"},
               "indexes": [{"columns": ["user_id"]},
                           {"name": "orders_big", "columns": ["total"], "where": "total > 100"}]},
    "currencies": {"columns": {"code": {"type": "TEXT", "primary_key": True}, "name": "TEXT"},
                   "rows": [{"code": "EUR", "name": "Euro"}, {"code": "USD", "name": "US Dollar"}]},
}


def project(folder: Path, tables: dict[str, Any], url: str, **entry: Any) -> dict[str, str]:
    write_schema(folder, {"databases": {"main": {"url": "env:DATABASE_URL", "tables": tables, **entry}},
                          "settings": {"lock_timeout": 5}})
    (folder / ".env").write_text(f"DATABASE_URL={url}\n")
    return {"DATABASE_URL": url}


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def columns(url: str, table: str) -> list[tuple[str, str, bool]]:
    return query(url, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
                      "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                 table)


def test_from_nothing_heal_creates_everything_and_it_behaves(tmp_path: Path, pg_url: str) -> None:
    project(tmp_path, SHOP, pg_url, views={"big_orders": "SELECT id, total FROM orders WHERE total > 100"})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "table is missing (heal would create it)" in p.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]  # read-only
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout + p.stderr
    assert columns(pg_url, "orders") == [("id", "bigint", True), ("user_id", "bigint", True),
                                         ("total", "numeric(10,2)", True), ("meta", "jsonb", False),
                                         ("tags", "text[]", False)]
    execute(pg_url, "INSERT INTO users (email) VALUES ('a@x.io')",  # identity: no id given
            "INSERT INTO orders (user_id, total, tags) VALUES (1, 150, ARRAY['x'])")
    assert query(pg_url, "SELECT active, created_at IS NOT NULL FROM users") == [(True, True)]
    assert query(pg_url, "SELECT id, total FROM big_orders") == [(1, 150)]
    assert query(pg_url, "SELECT code FROM currencies ORDER BY code") == [("EUR",), ("USD",)]
    with pytest.raises(psycopg.errors.CheckViolation):
        execute(pg_url, "INSERT INTO orders (user_id, total) VALUES (1, -1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        execute(pg_url, "INSERT INTO users (email) VALUES ('a@x.io')")
    execute(pg_url, "DELETE FROM users")
    assert query(pg_url, "SELECT count(*) FROM orders") == [(0,)]  # ON DELETE CASCADE
    for args in (("validate", "--check"), ("heal.db",)):
        p = invoke(tmp_path, *args)
        assert p.returncode == 0 and "0 healed" in p.stdout, p.stdout


def test_populated_tables_gain_columns_and_what_cannot_be_done_is_predicted(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, team text)",
            "INSERT INTO users SELECT g, 'u' || g || '@x.io', 'same' FROM generate_series(1, 500) g")
    tables = {"users": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "email": {"type": "TEXT", "not_null": True},
        "team": "TEXT", "score": {"type": "INTEGER", "not_null": True, "default": 7},
        "code": {"type": "TEXT", "unique": True}, "nick": {"type": "TEXT", "not_null": True}},
        "indexes": [{"columns": ["team"], "unique": True}, {"columns": ["email"], "unique": True}]}}
    project(tmp_path, tables, pg_url)
    p = invoke(tmp_path, "heal.db", "--dry-run", "--json")
    found = {(c["target"], c["status"]): c["message"] for c in json.loads(p.stdout)["checks"]}
    assert "NOT NULL column without a default" in found[("main:users.nick", "error")]
    assert "500 rows share a value of (team)" in found[("main:users#idx_users_team", "error")]
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 1
    healed = {c["target"] for c in json.loads(p.stdout)["checks"] if c["status"] == "healed"}
    assert healed == {"main:users.score", "main:users.code", "main:users#idx_users_email"}
    assert query(pg_url, "SELECT count(*), min(score), max(score), count(code) FROM users") == [(500, 7, 7, 0)]


@pytest.mark.slow
def test_six_processes_at_once_heal_exactly_once(tmp_path: Path, pg_url: str) -> None:
    many = {f"t{i}": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "v": "TEXT"},
                      "indexes": [{"columns": ["v"]}]} for i in range(30)}
    env = project(tmp_path, many, pg_url)
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "heal.db", "--json",
           "--schema", str(tmp_path / "schema.json")]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
             for _ in range(6)]
    outputs = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    assert all(o["exit_code"] == 0 for o in outputs), outputs
    healed = [c["target"] for o in outputs for c in o["checks"] if c["status"] == "healed"]
    assert sorted(healed) == sorted([f"main:t{i}" for i in range(30)] + [f"main:t{i}#idx_t{i}_v" for i in range(30)])


def _waiting_pid(url: str) -> int:
    for _ in range(200):
        rows = query(url, "SELECT pid FROM pg_stat_activity WHERE application_name = 'selfheal' "
                          "AND wait_event_type = 'Lock'")
        if rows:
            return int(rows[0][0])
        time.sleep(0.05)
    raise AssertionError("selfheal never waited for the lock")


@pytest.mark.slow
def test_killed_mid_heal_the_server_rolls_everything_back(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE busy (id bigint PRIMARY KEY)")
    tables = {f"new{i}": {"columns": {"id": "INTEGER"}} for i in range(5)}
    tables["busy"] = {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "added": "TEXT"}}
    env = project(tmp_path, tables, pg_url)
    holder = psycopg.connect(pg_url)
    holder.execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")  # heal creates new0..4, then waits here
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "heal.db", "--schema", str(tmp_path / "schema.json")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, text=True, env={**os.environ, **env})
    try:
        _waiting_pid(pg_url)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    for _ in range(100):  # the server notices the dropped connection and rolls its transaction back
        if not query(pg_url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'selfheal'"):
            break
        time.sleep(0.05)
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'new%%'") == [(0,)]
    assert [c[0] for c in columns(pg_url, "busy")] == ["id"]
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout


@pytest.mark.slow
def test_a_lock_held_too_long_names_the_blocking_session(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE busy (id bigint PRIMARY KEY)")
    project(tmp_path, {"busy": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "added": "TEXT"}}},
            pg_url)
    doc = json.loads((tmp_path / "schema.json").read_text())
    doc["settings"]["lock_timeout"] = 1
    (tmp_path / "schema.json").write_text(json.dumps(doc))
    with psycopg.connect(pg_url, application_name="nightly-report") as holder:
        holder.execute("LOCK TABLE busy IN ACCESS SHARE MODE")
        start = time.monotonic()
        p = invoke(tmp_path, "heal.db")
        assert time.monotonic() - start < 20
        holder.rollback()
    assert p.returncode == 1
    assert "waited 1 s for a lock" in p.stdout and "(nightly-report)" in p.stdout, p.stdout
    assert [c[0] for c in columns(pg_url, "busy")] == ["id"]


def test_missing_privileges_are_named_and_change_nothing(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "DROP ROLE IF EXISTS limited", "CREATE ROLE limited LOGIN",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    limited = pg_url.replace("postgres@", "limited@", 1)
    project(tmp_path, SHOP, limited)
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 1
    assert "permission denied for schema public" in p.stdout and "GRANT CREATE ON SCHEMA" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_drift_is_compared_by_meaning_and_reported(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE t (id int8 PRIMARY KEY, at timestamp, n int4, s varchar(20), flag bool DEFAULT true, "
                    "label text DEFAULT 'x')")
    tables = {"t": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "at": "DATETIME",
                                "n": "int4", "s": "VARCHAR(20)", "flag": {"type": "BOOLEAN", "default": True},
                                "label": {"type": "TEXT", "default": "x"}}}}
    project(tmp_path, tables, pg_url)
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 0, p.stdout  # int8 is INTEGER, int4 is integer, timestamp is DATETIME, 'x'::text is "x"
    tables["t"]["columns"]["n"] = "TEXT"
    tables["t"]["columns"]["label"] = {"type": "TEXT", "default": "y"}
    project(tmp_path, tables, pg_url)
    p = invoke(tmp_path, "validate", "--drift")
    assert p.returncode == 2
    assert "main:t.n" in p.stdout and "integer" in p.stdout and "main:t.label" in p.stdout, p.stdout


def test_snapshot_round_trips_through_a_fresh_database(tmp_path: Path, pg_server: str) -> None:
    with fresh_database(pg_server) as source, fresh_database(pg_server) as copy:
        project(tmp_path, SHOP, source)
        assert invoke(tmp_path, "heal.db").returncode == 0
        p = invoke(tmp_path, "schema.snapshot", "env:DATABASE_URL", schema=False,
                   env={"DATABASE_URL": source})
        assert p.returncode == 0, p.stderr
        entry = json.loads(p.stdout)
        [(name, body)] = entry.items()
        assert body["url"] == "env:DATABASE_URL" and "password" not in p.stdout
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        write_schema(fresh, {"databases": entry})
        (fresh / ".env").write_text(f"DATABASE_URL={copy}\n")
        p = invoke(fresh, "heal.db")
        assert p.returncode == 0, p.stdout
        shape = ("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity "
                 "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON "
                 "n.oid = c.relnamespace WHERE n.nspname = 'public' AND a.attnum > 0 AND c.relkind IN ('r', 'i') "
                 "ORDER BY 1, 2")
        assert query(copy, shape) == query(source, shape)
        keys = "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint ORDER BY 1, 2, 3"
        assert query(copy, keys) == query(source, keys)
        assert invoke(fresh, "validate", "--check").returncode == 0


@pytest.mark.parametrize("entry,expect", [
    ({"url": "postgresql://app:secret@db/app"}, "a URL written here would put its password in schema.json"),
    ({"url": "env:DATABASE_URL", "sql": "x.sql"}, "x.sql: cannot read"),
    ({"url": "env:DATABASE_URL", "tables": {"t": {"columns": {"x": "TEXT"}, "strict": True}}}, "SQLite table option"),
    ({"url": "env:DATABASE_URL", "tables": {"t": {"columns": {"x": {"type": "TEXT", "collate": "NOCASE"}}}}},
     "SQLite collation"),
    ({"url": "env:DATABASE_URL", "tables": {"t": {"columns": {"x": "TEXT NOT NULL"}}}}, "holds a constraint"),
])
def test_server_entries_are_checked_at_load(tmp_path: Path, entry: dict[str, Any], expect: str) -> None:
    write_schema(tmp_path, {"databases": {"main": entry}})
    p = invoke(tmp_path, "validate", "--check", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages


def test_an_unset_url_and_an_unknown_type_are_clear_errors(tmp_path: Path, pg_url: str) -> None:
    write_schema(tmp_path, {"databases": {"main": {"url": "env:NOPE_URL",
                                                   "tables": {"t": {"columns": {"x": "TEXT"}}}}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "NOPE_URL is not set" in p.stdout
    project(tmp_path, {"t": {"columns": {"x": "nosuchtype"}}}, pg_url)
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 1 and "type nosuchtype is not a type this server knows" in p.stdout, p.stdout


def test_the_demo_runs_on_postgresql_when_database_url_is_set(tmp_path: Path, pg_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks
    from app.server import health

    for name in ("schema.postgres.json", ".env.example", "requirements.txt", "checks.py"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "schema.postgres.json").rename(tmp_path / "schema.json")
    (tmp_path / ".env").write_text(f"PRICING_API_KEY=real\nMARKET_DATA_API_KEY=real\nDATABASE_URL={pg_url}\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert tasks.demo_schema_name(tmp_path) == "schema.postgres.json"
    assert tasks.demo_schema_name(tmp_path / "elsewhere") == "schema.json"
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    p = invoke(tmp_path, "validate", "--only", "db")
    assert p.returncode == 0 and "0 healed" in p.stdout, p.stdout
    execute(pg_url, "INSERT INTO chat.threads (user_id, updated_at) VALUES (1, '2000-01-01')",
            "UPDATE chat.threads SET title = 'renamed'")  # the threads_touch trigger, as on SQLite
    assert query(pg_url, "SELECT updated_at > '2020-01-01' FROM chat.threads") == [(True,)]
    monkeypatch.setenv("DATABASE_URL", pg_url)
    (tmp_path / "schema.postgres.json").write_bytes((tmp_path / "schema.json").read_bytes())
    state = health(tmp_path)
    assert state["healthy"], state
    assert state["databases"]["chat"]["views"] == {"thread_overview": 1}  # the thread inserted above
    assert state["databases"]["app"]["tables"]["currencies"] == 4


def test_the_demo_declares_the_same_tables_on_both_engines() -> None:
    sqlite_doc = json.loads((ROOT / "schema.json").read_text())
    pg_doc = json.loads((ROOT / "schema.postgres.json").read_text())
    assert {k: v for k, v in sqlite_doc.items() if k != "databases"} == {
        k: v for k, v in pg_doc.items() if k != "databases"}
    by_namespace = {entry["schema"]: entry for entry in pg_doc["databases"].values()}
    for path, entry in sqlite_doc["databases"].items():
        twin = by_namespace[Path(path).stem if path != "app/data.db" else "app"]
        assert list(twin["tables"]) == list(entry["tables"])
        assert list(twin.get("triggers", {})) == list(entry.get("triggers", {}))
        for name, table in entry["tables"].items():
            theirs = twin["tables"][name]["columns"]
            assert list(theirs) == list(table["columns"]), name
            for col, spec in table["columns"].items():
                want = spec if isinstance(spec, str) else spec["type"]
                have = theirs[col] if isinstance(theirs[col], str) else theirs[col]["type"]
                assert want == have, (name, col)
        assert list(twin.get("views", {})) == list(entry.get("views", {}))


def test_a_heal_that_does_not_verify_is_rolled_back(tmp_path: Path, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from selfheal.engines.postgres import heal as pg_heal

    from .helpers import heal

    project(tmp_path, SHOP, pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    real_plan, calls = pg_heal._plan, []

    def plan_twice(conn: Any, wanted: Any, label: str) -> Any:
        calls.append(label)
        return real_plan(conn, wanted.__class__(path=wanted.path, tables=wanted.tables[:1] if len(calls) == 1 else
                                                wanted.tables, namespace=wanted.namespace), label)

    monkeypatch.setattr(pg_heal, "_plan", plan_twice)  # the verification finds tables the apply did not create
    report = heal(tmp_path)
    errors = [f for f in report.findings if f.status.value == "error"]
    assert report.exit_code == 1 and any("still differs after healing" in f.message for f in errors), errors
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
