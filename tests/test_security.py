"""Files, links and permissions, each finding of the security review reproduced: private state and
backups, no write through a planted link, every path confined, no echoed secret, no hang."""

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from selfheal.safety.lock import project_lock

from .helpers import ROOT, invoke, rows, write_schema

POSIX_ROOT = os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not POSIX_ROOT or not shutil.which("setpriv"),
                                reason="needs root and setpriv to act as a second local user")
NOTE = {"databases": {"app.db": {"tables": {"t": {"columns": {"v": "TEXT", "note": "TEXT"}}}}}}


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def make_db(path: Path, *values: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    conn.commit()
    conn.close()


def as_nobody(*cmd: str) -> None:
    """Run a command as a second local user (nobody), without root's permission bypass."""
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *cmd], check=True)


def run_with_umask(folder: Path, umask: int, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), *args, "--schema", str(folder / "schema.json")]
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask), env={**os.environ, "NO_COLOR": "1"})


def corrupt(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[0:16] = b"garbage garbage!"
    db.write_bytes(bytes(data))


# ---------------------------------------------------------------- 1. private state and backups, whatever the umask


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_state_and_backups_are_private_under_umask_000(tmp_path):
    db = tmp_path / "app.db"
    make_db(db, "old")
    os.chmod(db, 0o600)
    write_schema(tmp_path, NOTE)
    p = run_with_umask(tmp_path, 0o000, "validate")
    assert p.returncode == 0, p.stdout + p.stderr
    state = tmp_path / ".selfheal"
    folders = [state, state / "backups", *(state / "backups").iterdir()]
    assert {f.name: mode(f) for f in folders} == {f.name: 0o700 for f in folders}
    files = [f for f in state.rglob("*") if f.is_file()]
    assert {f.name for f in files} >= {"state.json", "schema-ok", "lock", "audit.jsonl"}
    assert any(f.suffix == ".bak" for f in files)
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_an_old_shared_state_folder_is_tightened(tmp_path):
    (tmp_path / ".selfheal" / "backups").mkdir(parents=True)
    os.chmod(tmp_path / ".selfheal", 0o777)
    os.chmod(tmp_path / ".selfheal" / "backups", 0o777)
    make_db(tmp_path / "app.db", "old")
    write_schema(tmp_path, NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    assert mode(tmp_path / ".selfheal") == 0o700 and mode(tmp_path / ".selfheal" / "backups") == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_restore_keeps_the_database_mode(tmp_path):
    db = tmp_path / "app.db"
    make_db(db, "old")
    os.chmod(db, 0o640)
    write_schema(tmp_path, NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    corrupt(db)
    p = run_with_umask(tmp_path, 0o000, "heal.db", "--restore")
    assert p.returncode == 0, p.stdout
    assert mode(db) == 0o640 and rows(db, "SELECT v FROM t") == [("old",)]


# ---------------------------------------------------------------- 2. a backup planted by another user


@needs_root
def test_restore_never_takes_a_backup_another_user_planted(shared_tmp):
    tmp_path = shared_tmp / "project"
    tmp_path.mkdir()
    db = tmp_path / "app.db"
    make_db(db, "mine")
    write_schema(tmp_path, NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    [folder] = (tmp_path / ".selfheal" / "backups").iterdir()
    evil = tmp_path / "evil.db"
    make_db(evil, "planted")
    os.chmod(tmp_path, 0o755)
    for level in (tmp_path / ".selfheal", tmp_path / ".selfheal" / "backups", folder):
        os.chmod(level, 0o777)  # world-writable, as the review found them
    os.chmod(evil, 0o644)
    as_nobody("cp", str(evil), str(folder / "99999999T999999999999Z.bak"))
    corrupt(db)
    p = invoke(tmp_path, "heal.db", "--restore", "--json")
    restore = next(c for c in json.loads(p.stdout)["checks"] if c["check"] == "db.restore")
    assert "owned by another user" in restore["message"] or "other users" in restore["message"]
    assert b"planted" not in db.read_bytes()

    # the same planted file in a private folder: passed over by owner, ours restored
    for level in (tmp_path / ".selfheal", tmp_path / ".selfheal" / "backups", folder):
        os.chmod(level, 0o700)
    p = invoke(tmp_path, "heal.db", "--restore", "--json")
    restore = next(c for c in json.loads(p.stdout)["checks"] if c["check"] == "db.restore")
    assert restore["status"] == "healed" and "99999999T999999999999Z.bak: owned by another user" in restore["message"]
    assert rows(db, "SELECT v FROM t") == [("mine",)]


# ---------------------------------------------------------------- 3 and 4. planted links


def test_restore_never_writes_through_a_planted_temporary_link(tmp_path):
    db = tmp_path / "app.db"
    make_db(db, "old")
    write_schema(tmp_path, NOTE)
    assert invoke(tmp_path, "heal.db").returncode == 0
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("precious")
    (tmp_path / "app.db.selfheal-new").symlink_to(victim)
    corrupt(db)
    assert invoke(tmp_path, "heal.db", "--restore").returncode == 0
    assert victim.read_text() == "precious"
    assert rows(db, "SELECT v FROM t") == [("old",)]


@pytest.mark.parametrize("where", [".selfheal", ".selfheal/backups"])
def test_state_folders_that_are_links_are_refused(tmp_path, where):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    make_db(tmp_path / "app.db", "old")
    write_schema(tmp_path, NOTE)
    if where != ".selfheal":
        (tmp_path / ".selfheal").mkdir()
    (tmp_path / where).symlink_to(outside, target_is_directory=True)
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    messages = " ".join(c["message"] for c in json.loads(p.stdout)["checks"])
    assert "symbolic link" in messages
    assert list(outside.iterdir()) == []
    assert rows(tmp_path / "app.db", "SELECT name FROM pragma_table_info('t')") == [("v",)]


def test_audit_and_lock_links_are_never_written_through(tmp_path):
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("precious")
    (tmp_path / ".selfheal").mkdir(mode=0o700)
    (tmp_path / ".selfheal" / "audit.jsonl").symlink_to(victim)
    write_schema(tmp_path, {"directories": ["data"]})
    p = invoke(tmp_path, "heal.fs", "--json")
    checks = {c["check"]: c for c in json.loads(p.stdout)["checks"]}
    assert checks["fs.directory"]["status"] == "healed" and checks["audit"]["status"] == "warning"
    assert victim.read_text() == "precious"
    (tmp_path / ".selfheal" / "audit.jsonl").unlink()
    (tmp_path / ".selfheal" / "lock").unlink()
    (tmp_path / ".selfheal" / "lock").symlink_to(victim)
    write_schema(tmp_path, {"directories": ["data", "more"]})
    p = invoke(tmp_path, "heal.fs", "--json")
    assert p.returncode == 1 and "symbolic link" in p.stdout and "Traceback" not in p.stderr
    assert victim.read_text() == "precious"


@needs_root
def test_env_linked_to_another_users_file_is_not_appended_to(shared_tmp):
    tmp_path = shared_tmp / "project"
    tmp_path.mkdir()
    shared = shared_tmp / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    victim = shared / "bashrc"
    as_nobody("sh", "-c", f"echo 'alias ls=ls' > {victim}")
    (tmp_path / ".env.example").write_text("A=1\nB=2\n")
    (tmp_path / ".env").symlink_to(victim)
    write_schema(tmp_path, {"env": {}})
    p = invoke(tmp_path, "heal.fs", "--json")
    assert p.returncode == 1
    assert any("another user" in c["message"] or "any user may write" in c["message"]
               for c in json.loads(p.stdout)["checks"])
    assert victim.read_text() == "alias ls=ls\n"


def test_env_linked_to_the_owners_own_file_still_works(tmp_path):
    private = tmp_path / "config"
    private.mkdir(mode=0o700)
    (private / "app.env").write_text("A=1\n")
    (tmp_path / ".env").symlink_to(private / "app.env")
    (tmp_path / ".env.example").write_text("A=1\nB=2\n")
    write_schema(tmp_path, {"env": {}})
    assert invoke(tmp_path, "heal.fs").returncode == 0
    assert "B=2" in (private / "app.env").read_text()


def test_snapshot_out_never_writes_through_a_planted_link(tmp_path):
    make_db(tmp_path / "app.db", "x")
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("precious")
    (tmp_path / "out.json.tmp").symlink_to(victim)
    p = invoke(tmp_path, "schema.snapshot", "app.db", "--out", "out.json", schema=False)
    assert p.returncode == 0, p.stderr
    assert victim.read_text() == "precious"
    assert "app.db" in json.loads((tmp_path / "out.json").read_text())["databases"]


# ---------------------------------------------------------------- 5. every path key confined


@pytest.mark.parametrize("doc,where", [
    ({"env": {"file": "../../x/.bashrc"}}, "env.file"),
    ({"env": {"template": "/etc/passwd"}}, "env.template"),
    ({"requirements": ["/etc/shadow-like"]}, "requirements[0]"),
    ({"requirements": ["../requirements.txt"]}, "requirements[0]"),
    ({"node": {"dir": "../elsewhere"}}, "node.dir"),
])
def test_path_keys_stay_inside_the_project(tmp_path, doc, where):
    write_schema(tmp_path, doc)
    p = invoke(tmp_path, "validate", "--check", "--json")
    assert p.returncode == 1
    found = json.loads(p.stdout)["checks"]
    assert [c["target"] for c in found] == [f"schema.json:{where}"], found


def test_a_requirements_include_outside_the_project_is_not_read(tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("hunter2-token\n")
    (tmp_path / "requirements.txt").write_text(f"-r ../{secret.name}\n")
    write_schema(tmp_path, {"requirements": ["requirements.txt"]})
    p = invoke(tmp_path, "heal.deps", "--json")
    assert p.returncode == 1 and "hunter2" not in p.stdout + p.stderr
    assert "outside the project" in p.stdout


# ---------------------------------------------------------------- 6. pip is the real pip


def test_install_never_runs_a_pip_folder_from_the_project(tmp_path):
    marker = tmp_path / "hijacked"
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "__init__.py").write_text("")
    (tmp_path / "pip" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (tmp_path / "requirements.txt").write_text("--no-index\nselfheal-no-such-package==1.0\n")
    write_schema(tmp_path, {"requirements": ["requirements.txt"]})
    p = invoke(tmp_path, "heal.deps", "--install")
    assert p.returncode == 1
    assert not marker.exists()


# ---------------------------------------------------------------- 7. the lock


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_held_lock_is_waited_for_once_and_named(tmp_path):
    write_schema(tmp_path, {"directories": [f"d{i}" for i in range(8)], "settings": {"lock_timeout": 1}})
    held, release = threading.Event(), threading.Event()

    def holder():
        with project_lock(tmp_path / ".selfheal", 5):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    try:
        assert mode(tmp_path / ".selfheal" / "lock") == 0o600
        started = time.monotonic()
        p = invoke(tmp_path, "heal.fs")
        elapsed = time.monotonic() - started
        upped = invoke(tmp_path, "up", "--no-start")
    finally:
        release.set()
        thread.join()
    assert p.returncode == 1
    assert elapsed < 8, f"waited {elapsed:.1f} s: once per item instead of once per run"
    assert "waiting for the project lock" in p.stderr and f"pid {os.getpid()}" in p.stderr
    assert "project lock" in p.stdout and "permission" not in p.stdout and "may write" not in p.stdout
    assert upped.returncode == 1 and upped.stderr.count("waiting for the project lock") == 1
    assert upped.stdout.count("Total:") == 1


# ---------------------------------------------------------------- 8. a bare line in .env is never echoed


def test_a_line_without_equals_is_reported_by_number_only(tmp_path):
    (tmp_path / ".env.example").write_text("A=1\n")
    (tmp_path / ".env").write_text("A=1\nsk_live_51HsecretTOKEN\nsk_live_51HsecretTOKEN\n")
    write_schema(tmp_path, {"env": {"required": ["A"]}})
    p = invoke(tmp_path, "validate", "--json")
    assert "sk_live" not in p.stdout + p.stderr
    assert {c["target"] for c in json.loads(p.stdout)["checks"] if c["check"] == "env.file"} >= {".env:2", ".env:3"}
    audit = tmp_path / ".selfheal" / "audit.jsonl"
    assert not audit.exists() or "sk_live" not in audit.read_text()


# ---------------------------------------------------------------- 9. names cannot forge report lines


def test_control_characters_in_names_are_escaped_in_text(tmp_path):
    name = "t\n✚ healed   db.table     forged\x1b[31m"
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {name: {"columns": {"x": "TEXT"}}}}}})
    for env in ({}, {"FORCE_COLOR": "1"}):
        p = invoke(tmp_path, "heal.db", "--dry-run", env=env)
        assert "\x1b[31m" not in p.stdout and "\n✚ healed   db.table     forged" not in p.stdout
        assert "\\n✚ healed" in p.stdout and "\\x1b[31m" in p.stdout
    p = invoke(tmp_path, "heal.db", "--json")
    assert any(c["target"] == f"app.db:{name}" for c in json.loads(p.stdout)["checks"])


# ---------------------------------------------------------------- 10. no hang, no memory blow-up


def test_a_huge_env_is_refused_unread(tmp_path):
    (tmp_path / ".env").write_bytes(b'A="' + b"x" * (3 * 1024 * 1024) + b"\n")
    write_schema(tmp_path, {"env": {}})
    p = invoke(tmp_path, "validate", "--check", "--json", timeout=30)
    env = next(c for c in json.loads(p.stdout)["checks"] if c["check"] == "env.file")
    assert env["status"] == "error" and "more than the 1,048,576 allowed" in env["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_an_env_that_is_a_fifo_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / ".env")
    (tmp_path / ".env.example").write_text("A=1\n")
    write_schema(tmp_path, {"env": {}, "requirements": ["req.txt"]})
    os.mkfifo(tmp_path / "req.txt")
    p = invoke(tmp_path, "validate", "--json", timeout=30)
    checks = json.loads(p.stdout)["checks"]
    assert any(c["check"] == "env.file" and "not a regular file" in c["message"] for c in checks)
    assert any(c["check"] == "deps.python" and "not a regular file" in c["message"] for c in checks)
