"""invoke up end to end: healing, the warning prompt, starting the app with .env, the demo server."""

import json
import os
import pty
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .helpers import ROOT, invoke, write_schema

RECORDER = """
import json, os, sys
json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in
           ("SHOP_TOKEN", "SHOP_MODE", "ALREADY_SET")}}, open("ran.json", "w"))
sys.exit(3)
"""


GOOD_ENV = "SHOP_TOKEN=real-token\nSHOP_MODE=fast\nALREADY_SET=from-file\n"


def project(tmp_path, required=("SHOP_TOKEN",), env_text=GOOD_ENV, extra=None):
    (tmp_path / "record.py").write_text(RECORDER)
    (tmp_path / ".env.example").write_text("SHOP_TOKEN=change-me\nSHOP_MODE=slow\nALREADY_SET=x\n")
    (tmp_path / ".env").write_text(env_text)
    write_schema(tmp_path, {"env": {"required": list(required)}, "app": {"command": ["python", "record.py"]},
                            "databases": {"shop.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}},
                            **(extra or {})})
    return tmp_path


def ran(tmp_path):
    path = tmp_path / "ran.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_up_heals_then_starts_the_app_with_env_and_its_exit_code(tmp_path):
    project(tmp_path)
    p = invoke(tmp_path, "up", "--yes", env={"ALREADY_SET": "from-environment"})
    assert p.returncode == 3, p.stdout + p.stderr
    seen = ran(tmp_path)
    assert seen["env"] == {"SHOP_TOKEN": "real-token", "SHOP_MODE": "fast", "ALREADY_SET": "from-environment"}
    assert os.path.realpath(seen["cwd"]) == os.path.realpath(tmp_path)
    assert (tmp_path / "shop.db").exists()
    assert "real-token" not in p.stdout + p.stderr


def test_arguments_after_double_dash_reach_the_app_whole(tmp_path):
    project(tmp_path)
    p = invoke(tmp_path, "up", "--schema", str(tmp_path / "schema.json"), "--", "--flag", "two words", "x=1",
               schema=False)
    assert p.returncode == 3, p.stderr
    assert ran(tmp_path)["argv"] == ["--flag", "two words", "x=1"]


def test_errors_stop_before_the_app(tmp_path):
    project(tmp_path, extra={"python": "<3.0"})
    p = invoke(tmp_path, "up", "--yes")
    assert p.returncode == 1 and ran(tmp_path) is None
    assert "not starting the app" in p.stderr


def test_no_start_and_strict(tmp_path):
    project(tmp_path, env_text="SHOP_TOKEN=change-me\n")  # placeholder: a warning
    p = invoke(tmp_path, "up", "--no-start")
    assert p.returncode == 2 and ran(tmp_path) is None and "--no-start" in p.stderr
    p = invoke(tmp_path, "up", "--strict")
    assert p.returncode == 1 and ran(tmp_path) is None and "--strict" in p.stderr
    p = invoke(tmp_path, "up")  # no terminal: continue and say so
    assert p.returncode == 3 and "no terminal" in p.stderr


def test_no_app_command_says_so(tmp_path):
    write_schema(tmp_path, {"databases": {}})
    p = invoke(tmp_path, "up")
    assert p.returncode == 0 and "nothing to start" in p.stderr


def run_on_a_terminal(tmp_path, answer):
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "up", "--schema", str(tmp_path / "schema.json")]
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = b""
    deadline = time.time() + 60
    while b"Continue? [y/N]" not in output and time.time() < deadline:
        try:
            output += os.read(master, 4096)
        except OSError:
            break
    os.write(master, answer + b"\n")
    code = proc.wait(timeout=60)
    os.close(master)
    return code, output


@pytest.mark.parametrize("answer, started", [(b"n", False), (b"y", True)])
def test_warning_prompt_on_a_terminal(tmp_path, answer, started):
    project(tmp_path, env_text="SHOP_TOKEN=\n")
    code, output = run_on_a_terminal(tmp_path, answer)
    assert b"Continue? [y/N]" in output
    assert (ran(tmp_path) is not None) == started
    assert code == (3 if started else 2)


def test_windows_launcher_delegates_to_invoke_up_and_keeps_the_exit_code():
    text = (ROOT / "run_full_app.bat").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "python -m invoke up %*" in lines
    assert "exit /b %ERRORLEVEL%" in lines
    assert any("pip install -r requirements.txt" in line for line in lines)
    assert 'cd /d "%~dp0"' in lines


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_demo_up_heals_a_fresh_copy_and_serves_health(tmp_path):
    for name in ("schema.json", ".env.example", "requirements.txt", "checks.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    port = free_port()
    env = {**os.environ, "NO_COLOR": "1", "APP_PORT": str(port), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), "up", "--schema", str(tmp_path / "schema.json")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        status = body = None
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert status == 200, body
        state = json.loads(body)
        assert state["healthy"] and set(state["databases"]) == {
            "app/data.db", "data/auth.db", "data/chat.db", "data/market.db"}
        assert state["databases"]["app/data.db"]["tables"]["product_catalog"] == 0
        assert state["last_validation"]["exit_code"] == 2
        status, page = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and "Dynamic Pricing AI" in page and "data/market.db" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_health_is_503_when_a_database_is_broken(tmp_path):
    from app.server import health

    write_schema(tmp_path, {"databases": {"x.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    (tmp_path / "x.db").write_bytes(b"garbage" * 100)
    assert health(tmp_path)["healthy"] is False
