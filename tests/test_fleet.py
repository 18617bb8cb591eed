"""Database fleets by glob: every existing tenant healed on its own, in parallel, bad files untouched."""

import hashlib
import json
import os
import sqlite3

import pytest

from .helpers import columns, invoke, rows, write_schema

TENANT = {"tables": {
    "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "email": "TEXT",
                          "plan": {"type": "TEXT", "not_null": True, "default": "free"},
                          "seen_at": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}},
              "indexes": [{"columns": ["email"], "unique": True}]},
    "invoices": {"columns": {"id": {"type": "INTEGER", "primary_key": True},
                             "user_id": {"type": "INTEGER", "references": "users.id"}, "total": "REAL"}}}}


def make_tenants(folder, count):
    tenants = folder / "data" / "tenants"
    tenants.mkdir(parents=True)
    for i in range(count):
        conn = sqlite3.connect(tenants / f"t{i:04d}.db")
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
        conn.executemany("INSERT INTO users (email) VALUES (?)", [(f"u{j}@t{i}.example",) for j in range(20)])
        conn.commit()
        conn.close()
    return tenants


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_fleet_of_500_heals_in_parallel_and_leaves_bad_files_alone(tmp_path):
    tenants = make_tenants(tmp_path, 500)
    (tenants / "notes.db").write_text("this is not a database\n" * 20)
    good = (tenants / "t0000.db").read_bytes()
    (tenants / "broken.db").write_bytes(good[:100] + os.urandom(len(good) - 100))
    bad = {name: sha(tenants / name) for name in ("notes.db", "broken.db")}
    write_schema(tmp_path, {"databases": {"data/tenants/*.db": TENANT}})
    p = invoke(tmp_path, "heal.db", "--jobs", "2", timeout=600)
    assert p.returncode == 1, p.stdout[-2000:]  # the two bad files are errors
    assert "(500 files)" in p.stdout and "checked 502 files: 500 healed, 2 with errors (each listed)" in p.stdout
    assert {name: sha(tenants / name) for name in bad} == bad
    for i in (0, 250, 499):
        db = tenants / f"t{i:04d}.db"
        assert columns(db, "users") == ["id", "email", "plan", "seen_at"]
        assert rows(db, "SELECT count(*) FROM users WHERE plan = 'free' AND seen_at IS NOT NULL") == [(20,)]
        assert rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'invoices'") == [(1,)]
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    doc = json.loads(invoke(tmp_path, "heal.db", "--json", timeout=600).stdout)
    per_file = [c for c in doc["checks"] if c["check"] == "db.table" and c["target"].endswith(":invoices")]
    assert len(per_file) == 500 and all(c["status"] == "ok" for c in per_file)
    assert doc["summary"]["healed"] == 0 and doc["summary"]["error"] == 2


def test_fleet_sequential_and_parallel_agree_and_nothing_is_created(tmp_path):
    tenants = make_tenants(tmp_path, 6)
    write_schema(tmp_path, {"databases": {"data/tenants/*.db": TENANT, "data/other/*.db": TENANT}})
    p = invoke(tmp_path, "heal.db", "--jobs", "1", "--json")
    assert p.returncode == 0, p.stdout
    doc = json.loads(p.stdout)
    fleet = {c["target"]: c["message"] for c in doc["checks"] if c["check"] == "db.fleet"}
    assert fleet == {"data/tenants/*.db": "checked 6 files: 6 healed",
                     "data/other/*.db": "no file matches this pattern yet"}
    assert not (tmp_path / "data" / "other").exists()
    assert all(columns(tenants / f"t{i:04d}.db", "users")[-1] == "seen_at" for i in range(6))
    again = json.loads(invoke(tmp_path, "heal.db", "--jobs", "3", "--json").stdout)
    assert again["summary"]["healed"] == 0 and again["exit_code"] == 0
    check = invoke(tmp_path, "validate", "--check", "--verbose")
    assert check.returncode == 0 and "t0003.db:users" in check.stdout


def test_progress_on_a_terminal_goes_to_stderr_and_json_stays_clean(tmp_path):
    import pty
    import subprocess
    import sys

    from .helpers import ROOT

    make_tenants(tmp_path, 60)
    write_schema(tmp_path, {"databases": {"data/tenants/*.db": TENANT}})
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "heal.db", "--json", "--jobs", "2", "--schema",
           str(tmp_path / "schema.json")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    os.close(master)
    assert proc.returncode == 0
    assert json.loads(out)["summary"]["healed"] > 0  # exactly one JSON document on stdout
    assert b"data/tenants/*.db" in terminal  # the bar was drawn on the terminal (stderr)
