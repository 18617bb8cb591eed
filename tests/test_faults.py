"""Faults inflicted for real: corrupt files, restore, locks, concurrent runs, permissions, SIGKILL mid-heal."""

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from .helpers import ROOT, columns, invoke, rows, write_schema

NOW = {"sql": "CURRENT_TIMESTAMP"}


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def populated(path, n=2000):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO items (name) VALUES (?)", [(f"item {i} " + "x" * 100,) for i in range(n)])
    conn.commit()
    conn.close()


def items_doc(*names, extra=None, settings=None):
    cols = {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", **(extra or {})}
    doc = {"databases": {n: {"tables": {"items": {"columns": cols}}} for n in names}}
    if settings:
        doc["settings"] = settings
    return doc


def test_corrupt_files_are_never_written_and_the_others_still_heal(tmp_path):
    populated(tmp_path / "good.db")
    populated(tmp_path / "source.db", 5000)
    data = (tmp_path / "source.db").read_bytes()
    (tmp_path / "truncated.db").write_bytes(data[: len(data) // 2])
    (tmp_path / "random.db").write_bytes(os.urandom(16384))
    (tmp_path / "source.db").unlink()
    (tmp_path / "empty.db").write_bytes(b"")
    write_schema(tmp_path, items_doc("good.db", "truncated.db", "random.db", "empty.db",
                                     extra={"note": "TEXT"}))
    before = {n: sha(tmp_path / n) for n in ("truncated.db", "random.db")}
    for task in ("validate", "heal.db", "heal"):
        p = invoke(tmp_path, task, "--json")
        assert p.returncode == 1
        found = {(c["check"], c["target"]): c for c in json.loads(p.stdout)["checks"]}
        assert found[("db.integrity", "random.db")]["message"].startswith("database is corrupt: not an SQLite")
        assert "malformed" in found[("db.integrity", "truncated.db")]["message"]
        assert {n: sha(tmp_path / n) for n in before} == before
    assert columns(tmp_path / "good.db", "items") == ["id", "name", "note"]
    assert columns(tmp_path / "empty.db", "items") == ["id", "name", "note"]  # zero-length: healed normally
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_restore_replaces_a_corrupt_database_with_its_newest_good_backup(tmp_path):
    db = tmp_path / "app.db"
    populated(db, 300)
    write_schema(tmp_path, items_doc("app.db", extra={"seen_at": {"type": "DATETIME", "default": NOW}}))
    assert invoke(tmp_path, "heal.db").returncode == 0  # changes the database, so a backup exists
    assert len(list((tmp_path / ".selfheal" / "backups").glob("app.db-*/*.bak"))) == 1
    db.write_bytes(db.read_bytes()[:4096] + os.urandom(8192))  # keep the header, wreck the pages
    corrupt_hash = sha(db)
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and "heal.db --restore" in p.stdout and sha(db) == corrupt_hash
    dry = invoke(tmp_path, "heal.db", "--restore", "--dry-run")
    assert dry.returncode == 1 and "would restore" in dry.stdout and sha(db) == corrupt_hash
    p = invoke(tmp_path, "heal.db", "--restore", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    [aside] = tmp_path.glob("app.db.corrupt-*")
    assert sha(aside) == corrupt_hash  # moved aside, never deleted
    assert rows(db, "SELECT count(*) FROM items") == [(300,)]
    assert columns(db, "items") == ["id", "name", "seen_at"]  # restored, then healed to the schema
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_restore_without_a_good_backup_changes_nothing(tmp_path):
    db = tmp_path / "app.db"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    write_schema(tmp_path, items_doc("app.db"))
    before = sha(db)
    p = invoke(tmp_path, "heal.db", "--restore")
    assert p.returncode == 1 and "no good backup" in p.stdout
    assert sha(db) == before and not list(tmp_path.glob("app.db.corrupt-*"))


def test_backups_are_consistent_and_pruned(tmp_path):
    db = tmp_path / "app.db"
    populated(db, 50)
    for i in range(7):
        write_schema(tmp_path, items_doc("app.db", extra={f"c{j}": "TEXT" for j in range(i + 1)},
                                         settings={"backups_keep": 3}))
        assert invoke(tmp_path, "heal.db").returncode == 0
    backups = sorted((tmp_path / ".selfheal" / "backups").glob("app.db-*/*.bak"))
    assert len(backups) == 3
    assert [len(columns(b, "items")) for b in backups] == [6, 7, 8]  # the newest three, each pre-change
    assert all(rows(b, "SELECT count(*) FROM items") == [(50,)] for b in backups)
    p = invoke(tmp_path, "heal.db", "--no-backup")
    assert p.returncode == 0


def test_no_backup_flag_says_so(tmp_path):
    populated(tmp_path / "app.db", 10)
    write_schema(tmp_path, items_doc("app.db", extra={"x": "TEXT"}))
    p = invoke(tmp_path, "heal.db", "--no-backup")
    assert p.returncode == 0 and "without a backup" in p.stdout
    assert not (tmp_path / ".selfheal" / "backups").exists()


def hold_exclusive(path, seconds, ready):
    code = (f"import sqlite3, time, sys\nc = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            f"c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep({seconds})\n"
            "c.execute('COMMIT')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_database_waits_a_bounded_time_then_errors_then_heals(tmp_path):
    db = tmp_path / "app.db"
    populated(db, 100)
    write_schema(tmp_path, items_doc("app.db", extra={"x": "TEXT"}, settings={"lock_timeout": 1}))
    holder = hold_exclusive(db, 30, None)
    try:
        start = time.monotonic()
        p = invoke(tmp_path, "heal.db")
        waited = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 1 and "locked by another process (waited 1 s)" in p.stdout
    assert 1.0 <= waited < 15
    assert columns(db, "items") == ["id", "name"]  # nothing half-done
    assert invoke(tmp_path, "heal.db").returncode == 0 and columns(db, "items")[-1] == "x"


@pytest.mark.slow
def test_parallel_runs_serialise_and_one_does_the_work(tmp_path):
    write_schema(tmp_path, {"databases": {f"db{i}.db": {"tables": {f"t{j}": {"columns": {"a": "TEXT"}} for j in
                                                                  range(50)}} for i in range(3)}})
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "heal.db", "--json", "--schema",
           str(tmp_path / "schema.json")]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for _ in range(6)]
    results = [(p.wait(timeout=120), p.stdout.read()) for p in procs]
    assert [code for code, _ in results] == [0] * 6, results
    healed = [json.loads(out)["summary"]["healed"] for _, out in results]
    assert sorted(h > 0 for h in healed) == [False] * 5 + [True], healed
    for i in range(3):
        assert rows(tmp_path / f"db{i}.db", "PRAGMA integrity_check") == [("ok",)]
        assert rows(tmp_path / f"db{i}.db", "SELECT count(*) FROM sqlite_master WHERE type='table'") == [(50,)]


def as_unprivileged(cmd):
    """Run as root without the capabilities that bypass file permissions (or as is, for a normal user)."""
    if os.geteuid() != 0:
        return cmd
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is missing: cannot drop the permission bypass")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *cmd]


def run_unprivileged(folder, *args):
    cmd = as_unprivileged([sys.executable, "-m", "invoke", "-r", str(ROOT), *args, "--schema",
                           str(folder / "schema.json")])
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)


def test_read_only_database_and_unwritable_folder_are_clear_errors(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / ".selfheal").mkdir()
    populated(project / "ro.db", 20)
    (project / "locked").mkdir()
    write_schema(project, {"databases": {"ro.db": {"tables": {"items": {"columns": {"id": "INTEGER", "name": "TEXT",
                                                                                     "x": "TEXT"}}}},
                                         "locked/new.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    before = sha(project / "ro.db")
    os.chmod(project / "ro.db", 0o444)
    os.chmod(project / "locked", 0o555)
    try:
        p = run_unprivileged(project, "heal.db", "--json", "--no-backup")
    finally:
        os.chmod(project / "locked", 0o755)
        os.chmod(project / "ro.db", 0o644)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stdout + p.stderr
    found = {c["target"]: c for c in json.loads(p.stdout)["checks"] if c["status"] == "error"}
    assert "readonly" in found["ro.db"]["message"] and "write permission" in found["ro.db"]["hint"]
    assert "Permission denied" in found["locked/new.db"]["message"] and str(project / "locked") in \
        found["locked/new.db"]["hint"]
    assert sha(project / "ro.db") == before


KILL_TABLES = 1000
EXISTING = 300  # existing tables that each lack a column: added through the bulk schema update


def kill_project(folder, template):
    shutil.copy(template, folder / "app.db")
    tables = {f"t{i:04d}": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "v": "TEXT"},
                            "indexes": [{"columns": ["v"]}]} for i in range(KILL_TABLES)}
    tables.update({f"e{i:04d}": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "v": "TEXT",
                                             "w": {"type": "TEXT", "default": "w"}}} for i in range(EXISTING)})
    tables["items"] = {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT",
                                   "seen_at": {"type": "DATETIME", "default": NOW}}}
    write_schema(folder, {"databases": {"app.db": {"tables": tables},
                                        "fresh.db": {"tables": {"a": {"columns": {"x": "TEXT"}}}}}})


def db_state(folder):
    db = folder / "app.db"
    names = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    with_w = rows(db, "SELECT count(*) FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
                      "WHERE m.type = 'table' AND m.name LIKE 'e%' AND p.name = 'w'")[0][0]
    return (len(names), columns(db, "items"), rows(db, "SELECT count(*) FROM items")[0][0], with_w,
            rows(db, "SELECT count(*) FROM e0007")[0][0], rows(db, "PRAGMA integrity_check")[0][0])


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_each_database_before_or_fully_healed(tmp_path):
    template = tmp_path / "template.db"
    populated(template, 20000)
    conn = sqlite3.connect(template)
    for i in range(EXISTING):
        conn.execute(f"CREATE TABLE e{i:04d} (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany(f"INSERT INTO e{i:04d} (v) VALUES (?)", [("x",)] * 5)
    conn.commit()
    conn.close()
    timing = tmp_path / "timing"
    timing.mkdir()
    kill_project(timing, template)
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "heal.db", "--no-backup", "--schema"]
    start = time.monotonic()
    assert subprocess.run(cmd + [str(timing / "schema.json")], cwd=timing, capture_output=True).returncode == 0
    duration = time.monotonic() - start
    before = (EXISTING + 1, ["id", "name"], 20000, 0, 5, "ok")
    after = (KILL_TABLES + EXISTING + 1, ["id", "name", "seen_at"], 20000, EXISTING, 5, "ok")
    assert db_state(timing) == after
    outcomes = []
    for k in range(10):
        folder = tmp_path / f"kill{k}"
        folder.mkdir()
        kill_project(folder, template)
        proc = subprocess.Popen(cmd + [str(folder / "schema.json")], cwd=folder, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(duration * (k + 0.5) / 10, lambda p=proc: os.killpg(p.pid, signal.SIGKILL))
        timer.start()
        proc.wait()
        timer.cancel()
        state = db_state(folder)
        assert state in (before, after), (k, state)
        fresh = folder / "fresh.db"
        assert not fresh.exists() or rows(fresh, "SELECT name FROM sqlite_master") == [("a",)]
        outcomes.append(state == after)
        rerun = subprocess.run(cmd + [str(folder / "schema.json")], cwd=folder, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stdout
        assert db_state(folder) == after
    assert not all(outcomes)  # at least one kill landed before the commit, so the fault was really inflicted
    print(f"heal took {duration:.2f}s; killed runs that had committed: {sum(outcomes)}/10")


def test_a_run_waits_a_bounded_time_for_another_run_holding_the_project_lock(tmp_path):
    from filelock import FileLock

    populated(tmp_path / "app.db", 10)
    write_schema(tmp_path, items_doc("app.db", extra={"x": "TEXT"}, settings={"lock_timeout": 1}))
    (tmp_path / ".selfheal").mkdir()
    with FileLock(str(tmp_path / ".selfheal" / "lock")):
        p = invoke(tmp_path, "heal.db")
        assert p.returncode == 1 and "another selfheal run holds" in p.stdout
        assert columns(tmp_path / "app.db", "items") == ["id", "name"]
        healthy = invoke(tmp_path, "validate", "--check")  # read-only runs never wait for the lock
        assert healthy.returncode == 1 and "heal would add it" in healthy.stdout
    assert invoke(tmp_path, "heal.db").returncode == 0


def test_an_unreadable_database_is_a_permission_error_and_never_restored_over(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    populated(project / "app.db", 10)
    write_schema(project, items_doc("app.db", extra={"x": "TEXT"}))
    assert invoke(project, "heal.db").returncode == 0  # leaves a backup that --restore could use
    before = sha(project / "app.db")
    os.chmod(project / "app.db", 0o000)
    try:
        for args in (("heal.db", "--json"), ("heal.db", "--restore", "--json")):
            p = run_unprivileged(project, *args)
            assert p.returncode == 1 and "Traceback" not in p.stderr, p.stdout + p.stderr
            [error] = [c for c in json.loads(p.stdout)["checks"] if c["status"] == "error"]
            assert error["check"] == "db.file" and "cannot read the database: Permission denied" in error["message"]
    finally:
        os.chmod(project / "app.db", 0o644)
    assert sha(project / "app.db") == before and not list(project.glob("app.db.corrupt-*"))


def test_an_unwritable_audit_trail_is_a_warning_after_the_change(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    populated(project / "app.db", 10)
    write_schema(project, items_doc("app.db", extra={"x": "TEXT"}))
    (project / ".selfheal").mkdir()
    audit = project / ".selfheal" / "audit.jsonl"
    audit.write_text("")
    os.chmod(audit, 0o444)
    try:
        p = run_unprivileged(project, "heal.db", "--no-backup")
    finally:
        os.chmod(audit, 0o644)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "the audit trail could not be written: Permission denied" in p.stdout
    assert columns(project / "app.db", "items")[-1] == "x"
