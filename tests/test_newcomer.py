"""What a newcomer trips over, each as the command a user would type."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from .helpers import ROOT, invoke, write_schema

PLACEHOLDERS = "PRICING_API_KEY=your-pricing-api-key\nMARKET_DATA_API_KEY=your-market-data-api-key\n"


def selfheal(folder, *args, env=None, stdin=subprocess.DEVNULL):
    """Run the `selfheal` console command (python -m selfheal) from folder."""
    full_env = {k: v for k, v in os.environ.items() if k != "SELFHEAL_SCHEMA"}
    full_env.update({"NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "selfheal", *args], cwd=folder, capture_output=True, text=True,
                          timeout=120, env=full_env, stdin=stdin)


def test_the_setup_line_starts_the_app_despite_the_placeholder_keys(tmp_path):
    (tmp_path / ".env.example").write_text(PLACEHOLDERS)
    write_schema(tmp_path, {"env": {"required": ["PRICING_API_KEY", "MARKET_DATA_API_KEY"]},
                            "app": {"command": [sys.executable, "-c", "print('app started')"]}})
    p = invoke(tmp_path, "up", "--yes")
    assert p.returncode == 0 and "app started" in p.stdout, p.stdout + p.stderr
    assert "continuing despite the warnings above (--yes)" in p.stderr


def test_hints_name_the_command_the_user_ran(tmp_path):
    write_schema(tmp_path, {"directories": ["data"]})
    assert "`selfheal heal.fs`" in selfheal(tmp_path, "validate", "--check").stdout
    assert "`invoke heal.fs`" in invoke(tmp_path, "validate", "--check").stdout


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_jobs_must_be_a_whole_number_of_one_or_more(tmp_path, value):
    write_schema(tmp_path, {})
    p = invoke(tmp_path, "validate", "--jobs", value)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "--jobs takes a whole number of 1 or more" in p.stderr


def test_jobs_two_still_works(tmp_path):
    write_schema(tmp_path, {})
    assert invoke(tmp_path, "validate", "--jobs", "2").returncode == 0


@pytest.mark.parametrize("args,expect", [
    (("validate", "--quiet", "--verbose"), "--quiet and --verbose"),
    (("heal", "--fs-only", "--db-only"), "--fs-only and --db-only"),
])
def test_flags_that_contradict_each_other_are_refused(tmp_path, args, expect):
    write_schema(tmp_path, {})
    p = invoke(tmp_path, *args)
    assert p.returncode == 1 and expect in p.stderr and "Traceback" not in p.stderr


def test_an_unclosed_quote_in_the_app_command_is_a_schema_error(tmp_path):
    write_schema(tmp_path, {"app": {"command": "python -m 'app"}})
    p = invoke(tmp_path, "validate", "--check", "--json")
    found = json.loads(p.stdout)["checks"]
    assert p.returncode == 1 and found[0]["target"] == "schema.json:app.command"
    assert "No closing quotation" in found[0]["message"] and "internal error" not in p.stderr


def test_a_missing_app_folder_is_named(tmp_path):
    write_schema(tmp_path, {"app": {"command": "python -c pass", "cwd": "server"}})
    p = invoke(tmp_path, "up")
    assert p.returncode == 1
    assert "its folder 'server' (app.cwd in schema.json) does not exist" in p.stderr


def test_python_m_app_reads_env_like_up_does(tmp_path, monkeypatch):
    from app.__main__ import load_env

    (tmp_path / ".env").write_text("APP_PORT=8123\nAPP_HOST=0.0.0.0\n")
    monkeypatch.delenv("APP_PORT", raising=False)
    monkeypatch.setenv("APP_HOST", "127.0.0.2")  # already set: wins over .env
    load_env(tmp_path / ".env")
    assert os.environ["APP_PORT"] == "8123" and os.environ["APP_HOST"] == "127.0.0.2"


def test_snapshot_key_is_relative_to_the_schema_and_never_outside_it(tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    conn = sqlite3.connect(project / "data" / "app.db")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = invoke(elsewhere, "schema.snapshot", str(project / "data" / "app.db"), "--schema",
               str(project / "schema.json"), schema=False)
    assert p.returncode == 0 and '"data/app.db"' in p.stdout
    p = invoke(elsewhere, "schema.snapshot", str(project / "data" / "app.db"), schema=False,
               env={"SELFHEAL_SCHEMA": str(project / "schema.json")})
    assert p.returncode == 0 and '"data/app.db"' in p.stdout
    p = invoke(elsewhere, "schema.snapshot", str(project / "data" / "app.db"), schema=False)
    assert p.returncode == 1 and "outside the schema's folder" in p.stderr and p.stdout == ""


def test_a_typo_gets_the_closest_task(tmp_path):
    p = selfheal(tmp_path, "valdiate")
    assert p.returncode == 1 and "did you mean 'validate'?" in p.stderr


def test_validate_dry_run_shows_the_statements_and_changes_nothing(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"x": "TEXT"}}}}}})
    p = invoke(tmp_path, "validate", "--dry-run")
    assert p.returncode == 1 and 'CREATE TABLE "t"' in p.stdout
    assert sorted(x.name for x in tmp_path.iterdir()) == ["schema.json"]


def test_counts_are_in_words_that_agree(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"x": "TEXT"},
                                                                      "indexes": [{"columns": ["x"]}]}}}}})
    p = invoke(tmp_path, "heal.db", "--verbose")
    assert "created database (1 table)" in p.stdout and "created table (1 column)" in p.stdout
    assert "1 column, 1 index as declared" in invoke(tmp_path, "heal.db", "--verbose").stdout


def test_env_key_hint_names_the_declared_env_file(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.env").write_text("A=\n")
    write_schema(tmp_path, {"env": {"file": "config/app.env", "template": "config/app.env", "required": ["A"]}})
    p = invoke(tmp_path, "validate", "--check")
    assert "set A in config/app.env or in the environment" in p.stdout


def test_no_color_means_no_escape_codes_at_all(tmp_path):
    write_schema(tmp_path, {"directories": ["data"]})
    p = invoke(tmp_path, "validate", "--check", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b" not in p.stdout


def test_a_closed_pipe_is_not_a_traceback(tmp_path):
    p = subprocess.run(f"{sys.executable} -m selfheal --list | head -1", shell=True, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


def test_init_adopts_an_existing_app_and_never_overwrites(tmp_path):
    (tmp_path / "data").mkdir()
    conn = sqlite3.connect(tmp_path / "data" / "app.db")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
    conn.execute("INSERT INTO users (email) VALUES ('a@example.org')")
    conn.commit()
    conn.close()
    (tmp_path / ".env.example").write_text("API_KEY=your-key-here\nEMPTY=\nPORT=8000\n")
    (tmp_path / "requirements.txt").write_text("invoke\n")
    (tmp_path / "logs").mkdir()
    p = selfheal(tmp_path, "init")
    assert "wrote schema.json: 1 database (1 table), 2 required env keys, 2 directories, requirements.txt" in p.stderr
    doc = json.loads((tmp_path / "schema.json").read_text())
    assert doc["env"]["required"] == ["API_KEY", "EMPTY"]
    assert doc["directories"] == ["data", "logs"]
    assert list(doc["databases"]) == ["data/app.db"]
    assert "env.file" in p.stdout and p.returncode == 1  # .env is missing: the check says heal would create it
    assert not (tmp_path / ".env").exists()  # the check is read-only
    before = (tmp_path / "schema.json").read_bytes()
    again = invoke(tmp_path, "init", schema=False)
    assert again.returncode == 1 and "already exists; not overwritten" in again.stderr
    assert (tmp_path / "schema.json").read_bytes() == before
    assert selfheal(tmp_path, "heal").returncode == 2  # the placeholder key is the only thing left
    assert [r for r in ROOT.iterdir() if r.name == "schema.json"]  # the repository's own is untouched


def test_snapshot_help_after_the_task_name_is_help_not_a_file(tmp_path):
    p = invoke(tmp_path, "schema.snapshot", "--help", schema=False)
    assert p.returncode == 0 and "usage: invoke schema.snapshot DATABASE" in p.stdout, p.stdout + p.stderr
    assert "env:NAME" in p.stdout
