"""What users tripped over in round 3, each reproduced as the command a user would type."""

import json
import re
import socket
import sys

import pytest

from .helpers import ROOT, invoke, write_schema
from .test_newcomer import selfheal

DB = {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}}


# ---------------------------------------------------------------- 1. a name nobody else has on the package index

def test_the_distribution_name_is_ours_and_no_instruction_installs_anyone_elses():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'name = "selfheal-startup"' in pyproject  # "selfheal" on the index is an unrelated LLM project
    assert 'selfheal = "selfheal.__main__:main"' in pyproject
    texts = [(ROOT / "README.md").read_text()] + [p.read_text() for p in (ROOT / "selfheal").rglob("*.py")]
    assert not any(re.search(r"pip install '?selfheal(\[|'|\s|$)", text) for text in texts)
    postgres = (ROOT / "requirements-postgres.txt").read_text()
    assert "-r requirements.txt" in postgres and "psycopg[binary]" in postgres
    assert "pip install -r requirements-postgres.txt" in (ROOT / "README.md").read_text()


def test_the_missing_driver_hint_names_the_driver_itself(tmp_path, monkeypatch):
    from selfheal.context import Mode
    from selfheal.runner import run

    write_schema(tmp_path, {"databases": {"main": {"url": "env:DATABASE_URL", "tables": {}}}})
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/db")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    [finding] = [f for f in run(tmp_path / "schema.json", Mode.CHECK, ("db",)).findings if f.check == "db.connect"]
    assert "(psycopg 3) is not installed" in finding.message
    assert "pip install -r requirements-postgres.txt" in finding.hint and "psycopg[binary]" in finding.hint


# ---------------------------------------------------------------- 2. --only / --skip never check nothing

@pytest.mark.parametrize("flag, token, meant", [("--only", "dbb", "db"), ("--only", "DB", "db"),
                                                ("--skip", "db.colum", "db.column"),
                                                ("--only", "app.prot", "app.port")])
def test_a_selection_that_names_nothing_is_an_error_with_the_closest(tmp_path, flag, token, meant):
    write_schema(tmp_path, {**DB, "checks": ["checks.py"]})
    (tmp_path / "checks.py").write_text("from selfheal import Finding, Status, check\n"
                                        "@check('app.port')\ndef c(ctx):\n    return []\n")
    p = invoke(tmp_path, "validate", flag, token, "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 1 and [f["check"] for f in doc["checks"]] == ["selection"], p.stdout
    assert f"did you mean {meant!r}" in doc["checks"][0]["hint"]
    assert not (tmp_path / "app.db").exists()  # nothing was checked, so nothing was healed


def test_up_with_a_typo_in_only_never_starts_the_app(tmp_path):
    write_schema(tmp_path, {"app": {"command": [sys.executable, "-c", "print('app started')"]}})
    p = invoke(tmp_path, "up", "--only", "dbb")
    assert p.returncode == 1 and "app started" not in p.stdout, p.stdout


def test_checks_lists_every_check_id_built_in_and_the_projects(tmp_path):
    write_schema(tmp_path, {"checks": ["checks.py"]})
    (tmp_path / "checks.py").write_text("from selfheal import Finding, Status, check\n"
                                        "@check('app.port')\ndef c(ctx):\n    return []\n")
    p = selfheal(tmp_path, "checks", "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and doc["project"] == {"app.port": "checks.py"}
    assert {"db.column", "env.key", "python.version", "deps.node"} <= set(doc["built_in"])
    assert "app.port" in selfheal(tmp_path, "checks").stdout


def test_every_check_id_selfheal_reports_is_in_the_catalogue():
    from selfheal.checkids import ALWAYS, BUILT_IN, PARTS

    used = set()
    for path in (ROOT / "selfheal").rglob("*.py"):
        used.update(re.findall(r'"((?:python|env|fs|db|deps)\.[a-z_]+)"', path.read_text()))
    assert used <= set(BUILT_IN), used - set(BUILT_IN)
    assert {"schema", "state", "audit", "internal"} <= set(ALWAYS) and "checks" in PARTS


# ---------------------------------------------------------------- 3. the selfheal command has its own flags only

def test_selfheal_help_shows_its_own_flags_not_invokes(tmp_path):
    text = selfheal(tmp_path, "--help").stdout
    assert not re.search(r"--(dry|pty|echo|config|hide|warn-only)\b(?!-)", text), text
    assert "--version" in text and "heal.db" in text


@pytest.mark.parametrize("args, words", [
    (("--dry", "heal.db"), "--dry is not an option of selfheal (`selfheal TASK --dry-run`"),
    (("--echo", "heal.db"), "--echo is not an option of selfheal"),
    (("--bogus", "heal.db"), "unknown option '--bogus'"),
    (("heal.db", "--bogus"), "unknown option '--bogus'"),
])
def test_invokes_flags_are_refused_and_nothing_is_written(tmp_path, args, words):
    write_schema(tmp_path, DB)
    p = selfheal(tmp_path, *args)
    assert p.returncode == 1 and words in p.stderr, p.stderr
    assert not (tmp_path / "app.db").exists()


# ---------------------------------------------------------------- 5. a port in TIME-WAIT is free, as for the app

def test_a_port_left_in_time_wait_is_free_for_the_app(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        import checks
    finally:
        sys.path.remove(str(ROOT))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the app's http.server does
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its side of the connection waits in TIME-WAIT
    client.close()
    listener.close()
    monkeypatch.setenv("APP_HOST", "127.0.0.1")
    monkeypatch.setenv("APP_PORT", str(port))
    [finding] = checks.port_free(type("Ctx", (), {"env": {}})())
    assert finding.status.value == "ok", finding
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", port))
    held.listen()
    try:
        [finding] = checks.port_free(type("Ctx", (), {"env": {}})())
        assert finding.status.value == "error" and "in use" in finding.message
    finally:
        held.close()
