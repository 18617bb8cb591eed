"""`pip install .` gives a working `selfheal` command outside the repository."""

import json
import shutil
import subprocess
import sys

import pytest

from .helpers import ROOT, write_schema


@pytest.mark.slow
def test_pip_install_gives_a_selfheal_command(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    shutil.copytree(ROOT / "selfheal", source / "selfheal", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{source}[postgres]"],
                         capture_output=True, text=True)
    if pip.returncode != 0 and "No matching distribution" in pip.stderr + pip.stdout:
        pytest.skip("the package index is out of reach: " + pip.stderr[-300:])
    assert pip.returncode == 0, pip.stderr
    project = tmp_path / "project"
    project.mkdir()
    write_schema(project, {"databases": {"data/app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    p = subprocess.run([str(venv / "bin" / "selfheal"), "validate", "--json"], cwd=project, capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["summary"]["healed"] == 2
    assert (project / "data/app.db").exists()
    p = subprocess.run([str(venv / "bin" / "python"), "-m", "selfheal", "--list"], capture_output=True, text=True)
    assert "heal.db" in p.stdout and "up" in p.stdout
    shown = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "show", "selfheal-startup"],
                           capture_output=True, text=True)
    assert shown.returncode == 0 and "Name: selfheal-startup" in shown.stdout  # our name, nobody else's
    driver = subprocess.run([str(venv / "bin" / "python"), "-c", "import psycopg; print(psycopg.__version__)"],
                            capture_output=True, text=True)
    assert driver.returncode == 0, driver.stderr  # the [postgres] extra brings the driver
