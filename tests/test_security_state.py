"""Security round 3 on files: planted state and links are not trusted, each attack reproduced first."""

import json
import os
import sqlite3
from pathlib import Path

import pytest

from selfheal.version import __version__

from .helpers import invoke, rows, write_schema
from .test_security import as_nobody, needs_root

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


# ---------------------------------------------------------------- expressions, seed triggers, SQL files, text

def test_a_check_that_closes_its_own_parenthesis_cannot_smuggle_in_a_cascading_key(tmp_path):
    hidden = "1), UNIQUE (pid), FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE --"
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "parent": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}},
        "child": {"columns": {"pid": {"type": "INTEGER", "check": hidden}}}}}}})
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and "closes a parenthesis it did not open" in p.stdout, p.stdout
    assert not (tmp_path / "app.db").exists()


def test_a_trigger_that_deletes_while_seed_rows_go_in_rolls_the_heal_back(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
                       "INSERT INTO users VALUES (1, 'a'), (2, 'b');"
                       "CREATE TABLE currencies (code TEXT PRIMARY KEY);"
                       "CREATE TRIGGER wipe AFTER INSERT ON currencies BEGIN DELETE FROM users; END;")
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "email": "TEXT"}},
        "currencies": {"columns": {"code": {"type": "TEXT", "primary_key": True}}, "rows": [{"code": "EUR"}]}}}}})
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 1 and "made its triggers change 2 other row(s)" in p.stdout, p.stdout
    assert rows(db, "SELECT count(*) FROM users") == [(2,)] and rows(db, "SELECT * FROM currencies") == []


def test_sql_files_split_in_one_pass_as_sqlite_would():
    from selfheal.engines.sqlite.sqlfile import statements

    text = ("CREATE TABLE a(x); CREATE TABLE 'b;c'(y);\n-- note ;\n/* ; */ CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
            "  INSERT INTO a VALUES (1);\n  INSERT INTO a VALUES (2);\nEND;\n;;\nCREATE TABLE d(z")
    assert statements(text) == [
        (1, "CREATE TABLE a(x);"), (1, "CREATE TABLE 'b;c'(y);"),
        (3, "-- note ;\n/* ; */ CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO a VALUES (1);\n"
            "  INSERT INTO a VALUES (2);\nEND;"),
        (8, "CREATE TABLE d(z")]


@pytest.mark.parametrize("data, words", [
    (b"CREATE TABLE a (x);\n\x00CREATE TABLE b (y);\n", "s.sql:2: holds a NUL character"),
    (b"CREATE TABLE c (\xff\xfe TEXT);\n", "s.sql: is not UTF-8 text (byte 16 cannot be read)"),
])
def test_a_binary_or_non_utf8_sql_file_is_a_clear_error(tmp_path, data, words):
    (tmp_path / "s.sql").write_bytes(data)
    write_schema(tmp_path, {"databases": {"app.db": {"sql": "s.sql"}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and words in p.stdout and "internal error" not in p.stdout + p.stderr, p.stdout


def test_a_deeply_nested_value_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "schema.json").write_text('{"version": 1, "directories": ' + "[" * 900 + "]" * 900 + "}")
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "nested more than 32 levels deep" in p.stdout, p.stdout + p.stderr


def test_when_the_validators_disagree_the_stricter_verdict_stands(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {
        "x": {"type": "TEXT", "collate": "NOCASE\n"}}}}}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "must match pattern" in p.stdout, p.stdout
    assert not (tmp_path / "app.db").exists()


def test_names_and_check_ids_from_outside_never_drive_the_terminal(tmp_path):
    db = tmp_path / "hostile.db"
    conn = sqlite3.connect(db)
    conn.execute('CREATE TABLE "t\x1b[2J\nselfheal: ok" (x TEXT, "y\x1b]0;pwn\x07" TEXT)')
    conn.close()
    (tmp_path / "checks.py").write_text(
        "from selfheal import Finding, Status, check\n"
        "@check('app.x\\x1b[31m')\n"
        "def c(ctx):\n    return [Finding('app.x\\x1b[31m', 'here', Status.WARNING, 'look')]\n")
    write_schema(tmp_path, {"checks": ["checks.py"]})
    snap = invoke(tmp_path, "schema.snapshot", "hostile.db", "--format", "json")
    init_like = invoke(tmp_path, "validate", "--check")
    for out in (snap.stderr, init_like.stdout, init_like.stderr):
        assert "\x1b" not in out and "\x07" not in out, out
