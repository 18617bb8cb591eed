"""The .env file, directories, Python version and packages, Node packages: through the tasks."""

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from .helpers import invoke, write_schema

SECRET = "sk-live-9f8e7d6c5b4a"
ENV_SECRET = "env-only-secret-1234"


def env_project(tmp_path, template, env=None, required=("PRICING_API_KEY",)):
    (tmp_path / ".env.example").write_text(template)
    if env is not None:
        (tmp_path / ".env").write_text(env)
    write_schema(tmp_path, {"env": {"file": ".env", "template": ".env.example", "required": list(required)}})


def checks(p):
    return {(c["check"], c["target"]): c for c in json.loads(p.stdout)["checks"]}


def test_env_created_from_template_owner_only(tmp_path):
    env_project(tmp_path, "PRICING_API_KEY=your-key-here\nLOG_LEVEL=info\n")
    p = invoke(tmp_path, "heal.fs")
    assert p.returncode == 2  # created, but the key is still the placeholder
    env = tmp_path / ".env"
    assert env.read_text() == "PRICING_API_KEY=your-key-here\nLOG_LEVEL=info\n"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert "still the template's placeholder" in p.stdout


def test_missing_keys_appended_existing_bytes_untouched(tmp_path):
    original = b"# mine\r\nPRICING_API_KEY='keep me'  # comment\r\nODD = spaced\r\nexport X=1"
    env_project(tmp_path, "PRICING_API_KEY=p\nNEW_ONE=default value\nX=0\nQUOTED=\"a b\"\n")
    (tmp_path / ".env").write_bytes(original)
    p = invoke(tmp_path, "heal.fs", "--json")
    after = (tmp_path / ".env").read_bytes()
    assert after.startswith(original)
    added = after[len(original):].decode()
    assert "NEW_ONE=default value\n" in added and 'QUOTED="a b"\n' in added and "X=0" not in added
    found = checks(p)
    assert found[("env.key", "NEW_ONE")]["status"] == "healed"
    assert found[("env.key", "PRICING_API_KEY")]["status"] == "ok"
    assert invoke(tmp_path, "heal.fs").returncode == 0 and (tmp_path / ".env").read_bytes() == after


@pytest.mark.parametrize("env, why", [
    ("OTHER=1\n", "missing"),
    ("PRICING_API_KEY=\n", "empty"),
    ("PRICING_API_KEY=   \n", "empty"),
    ("PRICING_API_KEY=your-key-here\n", "placeholder"),
])
def test_unconfigured_required_key_is_a_warning(tmp_path, env, why):
    env_project(tmp_path, "PRICING_API_KEY=your-key-here\n", env)
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 2, p.stdout
    assert "PRICING_API_KEY is not configured" in p.stdout and why in p.stdout


def test_set_key_is_ok_and_secrets_never_appear_anywhere(tmp_path):
    env_project(tmp_path, "PRICING_API_KEY=your-key-here\nMARKET_KEY=\n", f"PRICING_API_KEY={SECRET}\n",
                required=("PRICING_API_KEY", "MARKET_KEY"))
    outputs = []
    for args in (("validate",), ("validate", "--json"), ("validate", "--verbose"), ("heal.fs", "--dry-run"),
                 ("heal", "--verbose")):
        p = invoke(tmp_path, *args, env={"MARKET_KEY": ENV_SECRET})
        assert p.returncode == 0, p.stdout + p.stderr
        outputs.append(p.stdout + p.stderr)
    found = checks(invoke(tmp_path, "validate", "--json", env={"MARKET_KEY": ENV_SECRET}))
    assert found[("env.key", "PRICING_API_KEY")]["message"] == "set (from .env)"
    assert found[("env.key", "MARKET_KEY")]["message"] == "set (from the environment)"
    audit = (tmp_path / ".selfheal" / "audit.jsonl").read_text()
    for text in outputs + [audit]:
        assert SECRET not in text and ENV_SECRET not in text


def test_unparsable_lines_and_duplicates_are_warnings(tmp_path):
    env_project(tmp_path, "PRICING_API_KEY=x\n", "PRICING_API_KEY=a\nthis is not valid\nPRICING_API_KEY=b\n",
                required=())
    p = invoke(tmp_path, "validate", "--json")
    found = checks(p)
    assert p.returncode == 2
    assert found[("env.file", ".env:2")]["status"] == "warning"
    assert "lines 1, 3" in found[("env.key", "PRICING_API_KEY")]["message"]


def test_no_env_and_no_template_is_an_error(tmp_path):
    write_schema(tmp_path, {"env": {"required": ["K"]}})
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and "there is no .env.example" in p.stdout


def test_directories_created_nested_and_a_file_in_the_way_is_an_error(tmp_path):
    (tmp_path / "blocked").write_text("a file")
    write_schema(tmp_path, {"directories": ["data/tenants/eu", "logs", "blocked"]})
    p = invoke(tmp_path, "heal.fs", "--json")
    found = checks(p)
    assert (tmp_path / "data/tenants/eu").is_dir() and (tmp_path / "logs").is_dir()
    assert found[("fs.directory", "blocked")]["status"] == "error" and p.returncode == 1


def test_unmet_python_version_is_an_error(tmp_path):
    write_schema(tmp_path, {"python": ">=4.0"})
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and "is required" in p.stdout
    write_schema(tmp_path, {"python": "banana"})
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and "not a PEP 440 version specifier" in p.stdout


def test_requirements_statuses(tmp_path):
    (tmp_path / "base.txt").write_text("packaging>=20  # included\n")
    (tmp_path / "requirements.txt").write_text(
        "-r base.txt\n"
        "pytest>=1.0\n"
        "pytest<1.0\n"
        "selfheal-no-such-package==1.2\n"
        "rich[jupyter]>=1\n"
        "windows-only-thing>=1 ; sys_platform == 'win32'\n"
        "-e ./local/pkg\n"
        "https://example.org/pkg.whl\n"
        "--index-url https://pypi.org/simple\n"
        "not a valid requirement !!\n"
    )
    write_schema(tmp_path, {})
    p = invoke(tmp_path, "heal.deps", "--json")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    by = {c["target"]: c for c in json.loads(p.stdout)["checks"] if c["check"] == "deps.python"}
    assert by["base.txt:packaging"]["status"] == "ok"
    assert by["requirements.txt:pytest"]["status"] in ("ok", "error")
    messages = " ".join(c["message"] for c in by.values())
    assert "is installed, <1.0 is wanted" in messages
    assert by["requirements.txt:selfheal-no-such-package"]["message"].startswith("selfheal-no-such-package is "
                                                                                  "not installed")
    assert by["requirements.txt:windows-only-thing"]["status"] == "ok"
    extras = by["requirements.txt:rich"]
    assert extras["status"] == "error" and "rich[jupyter] needs ipywidgets" in extras["message"]
    assert by["requirements.txt:7"]["message"].startswith("not checkable")
    assert by["requirements.txt:8"]["message"].startswith("not checkable")
    assert by["requirements.txt:10"]["status"] == "error" and "cannot parse" in by["requirements.txt:10"]["message"]


def build_wheel(folder, name, version):
    """A minimal pure-Python wheel, so install tests need no network and no build backend."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {f"{name.replace('-', '_')}/__init__.py": "VALUE = 42\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)


@pytest.fixture
def tiny_wheel(tmp_path):
    name = "selfheal-test-tinypkg"
    build_wheel(tmp_path / "wheels", name, "0.1")
    yield name
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", name], capture_output=True)


def test_install_from_a_local_wheel_then_recheck_passes(tmp_path, tiny_wheel):
    (tmp_path / "requirements.txt").write_text(f"--no-index\n--find-links wheels\n{tiny_wheel}==0.1\n")
    write_schema(tmp_path, {"requirements": ["requirements.txt"]})
    assert invoke(tmp_path, "heal.deps").returncode == 1
    dry = invoke(tmp_path, "heal.deps", "--install", "--dry-run")
    assert dry.returncode == 1 and "python -I -m pip install -r requirements.txt" in dry.stdout
    p = invoke(tmp_path, "heal.deps", "--install", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    found = {c["target"]: c for c in json.loads(p.stdout)["checks"]}
    assert found["requirements.txt"]["status"] == "healed"
    assert found[f"requirements.txt:{tiny_wheel}"]["status"] == "ok"
    assert "Successfully installed" in p.stderr  # pip's output streams to stderr, stdout stays JSON


def test_failed_install_is_an_error_with_pip_exit_code(tmp_path):
    (tmp_path / "requirements.txt").write_text("--no-index\nselfheal-no-such-package==1.0\n")
    write_schema(tmp_path, {})
    p = invoke(tmp_path, "heal.deps", "--install")
    assert p.returncode == 1 and "pip failed with exit code 1" in p.stdout


def node_project(tmp_path, installed=()):
    front = tmp_path / "frontend"
    front.mkdir()
    (front / "package.json").write_text(json.dumps({"dependencies": {"react": "^18"}, "devDependencies": {
        "vite": "^5"}}))
    for name in installed:
        (front / "node_modules" / name).mkdir(parents=True)
        (front / "node_modules" / name / "package.json").write_text("{}")
    write_schema(tmp_path, {"node": {"dir": "frontend"}})


@pytest.mark.parametrize("installed, words", [
    ((), "node_modules is missing (2 packages)"),
    (("react",), "1 of 2 packages missing from node_modules: vite"),
])
def test_node_packages_missing_are_warnings(tmp_path, installed, words):
    node_project(tmp_path, installed)
    p = invoke(tmp_path, "heal.deps")
    assert p.returncode == 2 and words in p.stdout


def test_node_all_present_is_ok_and_npm_absent_is_a_warning(tmp_path):
    node_project(tmp_path, ("react", "vite"))
    assert invoke(tmp_path, "heal.deps").returncode == 0
    p = invoke(tmp_path, "heal.deps", env={"PATH": os.devnull})
    assert p.returncode == 2 and "npm is not on PATH" in p.stdout
    p = invoke(tmp_path, "heal.deps", "--node", env={"PATH": os.devnull})
    assert p.returncode == 1 and "npm is not on PATH" in p.stdout


def test_npm_command_chosen_by_lock_file(tmp_path):
    node_project(tmp_path)
    assert "would run npm install" in invoke(tmp_path, "heal.deps", "--node", "--dry-run").stdout
    (tmp_path / "frontend" / "package-lock.json").write_text("{}")
    assert "would run npm ci" in invoke(tmp_path, "heal.deps", "--node", "--dry-run").stdout


FAKE_NPM = """#!/bin/sh
echo "fake npm $@ in $(pwd)"
echo "$@" > npm-args.txt
if [ -n "$FAIL" ]; then echo "npm ERR! 404 not found" >&2; exit 7; fi
for dep in react vite; do mkdir -p node_modules/$dep && echo '{}' > node_modules/$dep/package.json; done
"""


@pytest.mark.parametrize("lock, command", [(False, "install"), (True, "ci")])
def test_node_install_runs_npm_in_the_node_folder_then_rechecks(tmp_path, lock, command):
    node_project(tmp_path)
    if lock:
        (tmp_path / "frontend" / "package-lock.json").write_text("{}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text(FAKE_NPM)
    (bin_dir / "npm").chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    p = invoke(tmp_path, "heal.deps", "--node", "--json", env={"PATH": path})
    assert p.returncode == 0, p.stdout + p.stderr
    assert (tmp_path / "frontend" / "npm-args.txt").read_text().strip() == command
    assert "fake npm" in p.stderr  # npm's output streams to stderr; stdout stays one JSON document
    found = {c["check"]: c for c in json.loads(p.stdout)["checks"] if c["target"] == "frontend"}
    assert found["deps.install"]["status"] == "healed" and found["deps.node"]["status"] == "ok"
    failed = invoke(tmp_path, "heal.deps", "--node", env={"PATH": path, "FAIL": "1"})
    assert failed.returncode == 1 and f"npm {command} failed with exit code 7" in failed.stdout
    assert "npm ERR! 404" in failed.stdout
