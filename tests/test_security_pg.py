"""Security round 3 on PostgreSQL: each attack of the review, reproduced, must fail to do harm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import invoke, write_schema
from .pgserver import binaries
from .test_postgres import execute, project, query

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text)"
VICTIMS = "INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com')"


def _victim(url: str) -> None:
    execute(url, USERS, VICTIMS)


@pytest.mark.parametrize("column", [
    {"type": "TEXT", "default": {"sql": "'x')); DELETE FROM users; CREATE TABLE pwned (x text DEFAULT ('y'"}},
    {"type": "TEXT", "check": "true); DELETE FROM users; CREATE TABLE pwned (x text CHECK (true"},
    {"type": "TEXT", "check": "1 > 0) /* */, CONSTRAINT evil CHECK (1 > 0"},
    {"type": "TEXT", "check": "0 [ ), FOREIGN KEY (a) REFERENCES users (id) ON DELETE CASCADE -- ]"},
])
def test_an_expression_that_reaches_beyond_itself_is_refused_and_nothing_runs(tmp_path: Path, pg_url: str,
                                                                             column: dict[str, Any]) -> None:
    _victim(pg_url)
    env = project(tmp_path, {"notes": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "a": column}}},
                  pg_url)
    p = invoke(tmp_path, "validate", env=env)
    assert p.returncode == 1 and "is not one" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM users") == [(2,)]
    assert query(pg_url, "SELECT to_regclass('pwned'), to_regclass('notes')") == [(None, None)]


def test_a_view_that_is_two_statements_is_refused(tmp_path: Path, pg_url: str) -> None:
    _victim(pg_url)
    env = project(tmp_path, {}, pg_url, views={"v": "SELECT 1 AS one; UPDATE users SET email = 'owned'"})
    p = invoke(tmp_path, "validate", env=env)
    assert p.returncode == 1 and "one SELECT statement" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM users WHERE email = 'owned'") == [(0,)]


def test_statements_go_one_at_a_time_through_the_extended_protocol(pg_url: str) -> None:
    """Even a statement that got past the load checks cannot carry a second one to the server."""
    from selfheal.engines.postgres.heal import run_one

    _victim(pg_url)
    with psycopg.connect(pg_url) as conn:
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            run_one(conn, "CREATE TABLE t (x int); DELETE FROM users")
    assert query(pg_url, "SELECT count(*) FROM users") == [(2,)]


def test_the_snapshot_writes_the_servers_view_not_its_comment(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE VIEW v AS SELECT 1 AS one",
            "COMMENT ON VIEW v IS 'SELECT 1 AS one; DROP TABLE users'")
    write_schema(tmp_path, {})
    p = invoke(tmp_path, "schema.snapshot", "env:DATABASE_URL", env={"DATABASE_URL": pg_url})
    assert p.returncode == 0, p.stderr
    [entry] = json.loads(p.stdout).values()
    assert "DROP" not in entry["views"]["v"] and "1 AS one" in entry["views"]["v"]


def test_seed_values_are_literal_whatever_the_roles_string_setting(tmp_path: Path, pg_url: str) -> None:
    _victim(pg_url)
    role_db = pg_url.rsplit("/", 1)[1]
    execute(pg_url, f'ALTER DATABASE "{role_db}" SET standard_conforming_strings = off')
    value = "\\'); DELETE FROM users; --"
    env = project(tmp_path, {"users": {"columns": {"id": {"type": "bigint", "primary_key": True}, "email": "text"},
                                       "rows": [{"id": 3, "email": value}]}}, pg_url)
    p = invoke(tmp_path, "heal.db", env=env)
    assert p.returncode == 0, p.stdout
    assert query(pg_url, "SELECT count(*) FROM users") == [(3,)]
    assert query(pg_url, "SELECT email FROM users WHERE id = 3") == [(value,)]


@pytest.mark.parametrize("url, secret", [
    ("postgresql://u:Pa%zzSECRET@127.0.0.1:1/db", "SECRET"),
    ("postgresql://u:UNBALANCEDpw@[::1:5432/db", "UNBALANCEDpw"),
    ("host=127.0.0.1 port=1 user=u password=CONNINFOpw dbname=x", "CONNINFOpw"),
    ("host=127.0.0.1 port=1 user=u password=TWO WORDSpw dbname=x", "WORDSpw"),
])
def test_no_message_shows_the_password(tmp_path: Path, url: str, secret: str) -> None:
    env = project(tmp_path, {"t": {"columns": {"id": "INTEGER"}}}, url)
    for args in (("validate", "--check"), ("validate", "--check", "--json"), ("validate", "--drift"),
                 ("schema.snapshot", "env:DATABASE_URL")):
        p = invoke(tmp_path, *args, env=env, timeout=60)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
        assert secret not in p.stdout + p.stderr, (args, p.stdout, p.stderr)
        assert url not in p.stdout + p.stderr and "//u:" not in p.stdout + p.stderr


def _stalling_server() -> tuple[int, list[Any]]:
    """A server that authenticates anyone, says it is ready, and then never answers (the PoC's server)."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[Any] = [listener]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            length = int.from_bytes(conn.recv(4), "big")
            conn.recv(length - 4)  # the startup packet
            conn.sendall(b"R" + (8).to_bytes(4, "big") + (0).to_bytes(4, "big")  # authentication ok
                         + b"Z" + (5).to_bytes(4, "big") + b"I")  # ready for query; then silence

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], held


def test_a_server_that_stalls_after_authentication_never_hangs_a_check(tmp_path: Path) -> None:
    port, held = _stalling_server()
    url = f"postgresql://u@127.0.0.1:{port}/db?sslmode=disable"
    env = project(tmp_path, {"t": {"columns": {"id": "INTEGER"}}}, url)
    write_schema(tmp_path, {"databases": {"main": {"url": "env:DATABASE_URL", "tables": {"t": {"columns": {
        "id": "INTEGER"}}}}}, "settings": {"lock_timeout": 1}})
    try:
        p = invoke(tmp_path, "validate", "--check", env=env, timeout=60)
    finally:
        for sock in held:
            sock.close()
    assert p.returncode == 1 and "did not answer within 10 s" in p.stdout, p.stdout + p.stderr
