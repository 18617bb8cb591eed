"""Security round 3 on files: planted state and links are not trusted, each attack reproduced first."""

import json
import os
import sqlite3
from pathlib import Path

import pytest

from selfheal.version import __version__

from .helpers import invoke, rows, write_schema
from .test_security import as_nobody, needs_root, shared_tmp  # noqa: F401 (a fixture)

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX modes, FIFOs and links")
TWO_COLUMNS = {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT", "b": "TEXT"}}}}}}


def _one_column_db(folder: Path) -> Path:
    db = folder / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (a TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x",), ("y",)])
    conn.commit()
    conn.close()
    return db


def _forge_clean_state(folder: Path) -> None:
    """What another user who can write .selfheal does: a state.json saying app.db is clean, under the key
    this very run will compute (selfheal's own code computes it: the key is no secret)."""
    from selfheal.declare.cache import load
    from selfheal.engines.sqlite.files import cache_key

    project = load(folder / "schema.json", remember=False)
    [desired] = project.databases
    conn = sqlite3.connect(folder / "app.db")
    key = cache_key(conn, folder / "app.db", desired, project.declarations)
    conn.close()
    state = folder / ".selfheal"
    state.mkdir(exist_ok=True)
    os.chmod(state, 0o777)  # left by an older version, or a shared umask
    forged = {"version": __version__, "entries": {"db:app.db": {"key": key, "findings": [
        {"check": "db.file", "target": "app.db", "status": "ok", "message": "present and readable"}]},
        "plugins": {"key": "x", "findings": []}}}
    (state / "state.json").write_text(json.dumps(forged))
    os.chmod(state / "state.json", 0o666)


@posix
def test_a_forged_clean_state_in_a_shared_state_folder_is_not_believed(tmp_path):
    write_schema(tmp_path, TWO_COLUMNS)
    _one_column_db(tmp_path)
    _forge_clean_state(tmp_path)
    check = invoke(tmp_path, "validate", "--check", "--json")
    found = {(f["check"], f["target"]): f for f in json.loads(check.stdout)["checks"]}
    assert check.returncode == 1, check.stdout
    assert found[("db.column", "app.db:t.b")]["status"] == "error"
    assert found[("state", ".selfheal")]["status"] == "warning"
    healed = invoke(tmp_path, "heal.db", "--json")
    found = {(f["check"], f["target"]): f for f in json.loads(healed.stdout)["checks"]}
    assert healed.returncode == 0 and found[("db.column", "app.db:t.b")]["status"] == "healed", healed.stdout
    assert found[("state", ".selfheal")]["status"] == "healed"
    assert os.stat(tmp_path / ".selfheal").st_mode & 0o777 == 0o700
    assert rows(tmp_path / "app.db", "SELECT a, b FROM t ORDER BY a") == [("x", None), ("y", None)]
    again = invoke(tmp_path, "validate", "--check")
    assert again.returncode == 0, again.stdout


@posix
def test_a_state_file_someone_else_may_write_is_ignored_even_in_a_private_folder(tmp_path):
    write_schema(tmp_path, TWO_COLUMNS)
    _one_column_db(tmp_path)
    _forge_clean_state(tmp_path)
    os.chmod(tmp_path / ".selfheal", 0o700)  # the folder is fine, the file is not (0666)
    check = invoke(tmp_path, "validate", "--check")
    assert check.returncode == 1 and "t.b" in check.stdout, check.stdout


@posix
@pytest.mark.parametrize("name", ["schema-ok", "state.json"])
def test_a_fifo_planted_as_a_state_file_never_hangs_a_run(tmp_path, name):
    write_schema(tmp_path, TWO_COLUMNS)
    _one_column_db(tmp_path)
    (tmp_path / ".selfheal").mkdir(mode=0o700)
    os.mkfifo(tmp_path / ".selfheal" / name)
    for args in (("validate", "--check"), ("heal.db",)):
        p = invoke(tmp_path, *args, timeout=60)
        assert p.returncode in (0, 1), p.stdout + p.stderr
    assert "b" in [r[1] for r in rows(tmp_path / "app.db", "PRAGMA table_info(t)")]


@posix
def test_a_fifo_planted_as_the_audit_trail_never_blocks_the_database(tmp_path):
    write_schema(tmp_path, TWO_COLUMNS)
    _one_column_db(tmp_path)
    (tmp_path / ".selfheal").mkdir(mode=0o700)
    os.mkfifo(tmp_path / ".selfheal" / "audit.jsonl")
    p = invoke(tmp_path, "heal.db", "--json", timeout=60)
    found = {f["check"]: f for f in json.loads(p.stdout)["checks"]}
    assert found["db.column"]["status"] == "healed"
    assert found["audit"]["status"] == "warning"  # said, not hidden
    conn = sqlite3.connect(tmp_path / "app.db", timeout=0)  # nobody holds the database any more
    conn.execute("BEGIN IMMEDIATE")
    conn.rollback()
    conn.close()


def test_the_audit_is_written_after_the_transaction(tmp_path, monkeypatch):
    """While the audit trail is written, the app can write to its database (no lock is held)."""
    from selfheal.context import Mode
    from selfheal.runner import run
    from selfheal.safety import audit

    write_schema(tmp_path, TWO_COLUMNS)
    _one_column_db(tmp_path)
    writable = []
    original = audit.Audit.record

    def record(self, check, target, action, result, **extra):
        if check.startswith("db."):
            conn = sqlite3.connect(tmp_path / "app.db", timeout=0)
            try:
                conn.execute("INSERT INTO t (a) VALUES ('app')")
                conn.commit()
                writable.append(True)
            except sqlite3.OperationalError:
                writable.append(False)
            finally:
                conn.close()
        return original(self, check, target, action, result, **extra)

    monkeypatch.setattr(audit.Audit, "record", record)
    run(tmp_path / "schema.json", Mode.HEAL, ("db",))
    assert writable and all(writable), writable


# ---------------------------------------------------------------- planted links out of the project

def _shared_project(tmp_root: Path) -> Path:
    """A project whose data/ folder any user may write to (the PoC's setting)."""
    project = tmp_root / "project"
    (project / "data").mkdir(parents=True)
    os.chmod(tmp_root, 0o755)
    os.chmod(project, 0o755)
    os.chmod(project / "data", 0o777)
    return project


@needs_root
def test_a_database_link_planted_by_another_user_is_never_written_through(shared_tmp):
    project = _shared_project(shared_tmp)
    elsewhere = shared_tmp / "elsewhere"
    elsewhere.mkdir()
    sqlite3.connect(elsewhere / "other.db").close()
    write_schema(project, {"databases": {"data/app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}},
                                         "data/tenants/*.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    (project / "data" / "tenants").mkdir()
    os.chmod(project / "data" / "tenants", 0o777)
    as_nobody("ln", "-s", str(elsewhere / "other.db"), str(project / "data" / "app.db"))
    as_nobody("ln", "-s", str(elsewhere / "other.db"), str(project / "data" / "tenants" / "x.db"))
    p = invoke(project, "heal.db", "--json")
    found = {(f["check"], f["target"]): f for f in json.loads(p.stdout)["checks"]}
    assert p.returncode == 1
    assert "symbolic link owned by another user" in found[("db.file", "data/app.db")]["message"]
    assert "symbolic link owned by another user" in found[("db.file", "data/tenants/x.db")]["message"]
    assert rows(elsewhere / "other.db", "SELECT name FROM sqlite_master") == []


@needs_root
def test_sql_files_and_check_modules_behind_a_planted_link_are_not_read(shared_tmp):
    project = _shared_project(shared_tmp)
    secret = shared_tmp / "secret.txt"
    secret.write_text("SECRET_TOKEN=abc123\n")
    (shared_tmp / "evil.py").write_text("import pathlib\npathlib.Path(__file__).with_name('ran').touch()\n")
    as_nobody("ln", "-s", str(secret), str(project / "data" / "schema.sql"))
    as_nobody("ln", "-s", str(shared_tmp / "evil.py"), str(project / "data" / "checks.py"))
    write_schema(project, {"databases": {"app.db": {"sql": "data/schema.sql"}}})
    p = invoke(project, "validate", "--check")
    assert p.returncode == 1 and "owned by another user" in p.stdout and "abc123" not in p.stdout, p.stdout
    write_schema(project, {"checks": ["data/checks.py"]})
    p = invoke(project, "validate")
    assert "owned by another user" in p.stdout and not (shared_tmp / "ran").exists(), p.stdout


def test_the_owners_own_links_still_work(tmp_path):
    disk = tmp_path / "other-disk"
    disk.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "data").symlink_to(disk)
    write_schema(project, {"databases": {"data/app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    assert invoke(project, "heal.db").returncode == 0
    assert rows(disk / "app.db", "SELECT name FROM sqlite_master") == [("t",)]
