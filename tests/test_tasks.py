"""End to end through the Invoke tasks, in temporary project folders, as a user types them."""

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from .helpers import ROOT, columns, invoke, rows, tree_digest, write_schema


@pytest.fixture
def demo(tmp_path):
    """A copy of the demo project: schema.json and .env.example, nothing else."""
    for name in ("schema.json", ".env.example", "requirements.txt", "checks.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_validate_on_a_fresh_demo_creates_every_database_then_is_quiet(demo):
    first = invoke(demo, "validate")
    assert first.returncode == 2, first.stdout + first.stderr  # API keys are still placeholders
    for db in ("app/data.db", "data/auth.db", "data/chat.db", "data/market.db"):
        assert (demo / db).is_file()
    assert "updated_at" in columns(demo / "app/data.db", "product_catalog")
    assert "two_factor_enabled" in columns(demo / "data/auth.db", "users")
    second = invoke(demo, "validate", "--json")
    doc = json.loads(second.stdout)
    assert doc["summary"]["healed"] == 0 and doc["exit_code"] == 2 == second.returncode
    assert {c["target"] for c in doc["checks"] if c["status"] == "warning"} == {
        "PRICING_API_KEY", "MARKET_DATA_API_KEY"}
    quiet = invoke(demo, "validate", "--quiet")
    assert len(quiet.stdout.strip().splitlines()) == 5  # two warnings with their hints, one summary
    assert "Traceback" not in first.stderr + second.stderr


def test_check_and_dry_run_print_the_plan_and_change_nothing(demo):
    before = tree_digest(demo)
    check = invoke(demo, "validate", "--check")
    assert check.returncode == 1 and "heal would create it" in check.stdout
    dry = invoke(demo, "heal.db", "--dry-run")
    assert dry.returncode == 1
    assert 'CREATE TABLE "product_catalog"' in dry.stdout and 'CREATE UNIQUE INDEX "idx_users_email"' in dry.stdout
    assert invoke(demo, "heal", "--dry-run").returncode == 1
    assert tree_digest(demo) == before


def test_heal_aliases_and_json_report(demo):
    fs_only = invoke(demo, "heal", "--fs-only")
    assert fs_only.returncode == 2 and (demo / ".env").exists() and not (demo / "app/data.db").exists()
    db_only = invoke(demo, "heal", "--db-only", "--json")
    doc = json.loads(db_only.stdout)
    assert db_only.returncode == 0 == doc["exit_code"] and doc["status"] == "ok"
    healed = {c["target"]: c for c in doc["checks"] if c["status"] == "healed"}
    assert healed["app/data.db:product_catalog"]["action"].startswith('CREATE TABLE "product_catalog"')
    assert set(doc["summary"]) == {"ok", "healed", "warning", "error"}


def test_populated_database_missing_columns_heals_through_the_task(tmp_path):
    import sqlite3

    conn = sqlite3.connect(tmp_path / "shop.db")
    conn.execute("CREATE TABLE product_catalog (id INTEGER PRIMARY KEY, sku TEXT NOT NULL)")
    conn.executemany("INSERT INTO product_catalog (sku) VALUES (?)", [(f"SKU-{i}",) for i in range(500)])
    conn.commit()
    conn.close()
    write_schema(tmp_path, {"databases": {"shop.db": {"tables": {"product_catalog": {"columns": {
        "id": {"type": "INTEGER", "primary_key": True}, "sku": {"type": "TEXT", "not_null": True},
        "updated_at": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}, "source_url": "TEXT"},
        "indexes": [{"columns": ["sku"], "unique": True}]}}}}})
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows(tmp_path / "shop.db", "SELECT count(*) FROM product_catalog WHERE updated_at IS NOT NULL") == [(500,)]
    again = invoke(tmp_path, "heal.db", "--json")
    assert json.loads(again.stdout)["summary"]["healed"] == 0


def test_bad_schema_is_exit_1_with_location_and_no_traceback(tmp_path):
    (tmp_path / "schema.json").write_text('{"version": 1, "databases": {"x.db": {"tables": {"t": '
                                          '{"colums": {}}}}}}')
    for task in ("validate", "heal", "heal.db", "heal.fs", "heal.deps"):
        p = invoke(tmp_path, task)
        assert p.returncode == 1, task
        assert "Traceback" not in p.stdout + p.stderr
        assert 'unknown key "colums"; did you mean "columns"?' in p.stdout
    doc = json.loads(invoke(tmp_path, "validate", "--json").stdout)
    assert doc["checks"][0]["check"] == "schema" and "tables.t" in doc["checks"][0]["target"]


def test_missing_schema_file_is_a_clear_error(tmp_path):
    p = invoke(tmp_path, "validate", "--schema", str(tmp_path / "nope.json"), schema=False)
    assert p.returncode == 1 and "schema file not found" in p.stdout and "Traceback" not in p.stderr


def test_a_removed_current_folder_is_a_clear_error(tmp_path):
    (tmp_path / "gone").mkdir()
    script = f'cd gone && rmdir ../gone && exec "{sys.executable}" -m invoke -r "{ROOT}" validate --schema schema.json'
    p = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "the current folder no longer exists" in p.stderr


def test_schema_from_environment_and_tasks_from_another_folder(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    write_schema(project, {"databases": {"data/x.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = invoke(elsewhere, "heal.db", env={"SELFHEAL_SCHEMA": str(project / "schema.json")}, schema=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (project / "data/x.db").exists() and not (elsewhere / "data").exists()


def test_user_text_is_not_read_as_rich_markup(tmp_path):
    write_schema(tmp_path, {"databases": {"m.db": {"tables": {"[bold]x[/bold]": {"columns": {"a[b]c": "TEXT"}}}}}})
    p = invoke(tmp_path, "heal.db", "--verbose")
    assert "m.db:[bold]x[/bold]" in p.stdout and "\x1b[" not in p.stdout


def test_help_exists_for_every_task_and_flag():
    for task in ("validate", "heal", "heal.db", "heal.fs", "heal.deps"):
        p = invoke(ROOT, "--help", task, schema=False)
        assert p.returncode == 0 and "--schema" in p.stdout and "--json" in p.stdout
    assert "--restore" in invoke(ROOT, "--help", "heal.db", schema=False).stdout


@pytest.mark.parametrize("text, words", [
    ('{"version": 1,\n "databases": {,}}', "schema.json:line 2, column 16  invalid JSON"),
    ('{"version": 1, "version": 1}', 'duplicate key "version"'),
    ('{"version": 1, "databases": {"../x.db": {"tables": {}}}}', "must stay inside the schema's folder"),
    ('{"version": 1, "databases": {"x.db": {"tables": {"t": {"columns": {"a": "TEXT"}, '
     '"indexes": [{"columns": ["b"]}]}}}}}', 'index column "b" is not declared'),
    ('{"version": 1, "databases": {"x.db": {"tables": {"t": {"columns": {"a": {"type": "TEXT", '
     '"references": "u.id"}}}}}}}', '"u.id" does not name a declared column'),
    ('{"version": 1, "databases": {"x.db": {"tables": {"t": {"columns": {"a": {"type": "TEXT", '
     '"default": {"sql": "1) CHECK (1"}}}}}}}}', "is not one constant SQL expression"),
    ('{"version": 1, "databases": {"x.db": {"tables": {"t": {"columns": {"a": ""}}}}}}', "must not be empty"),
])
def test_each_malformed_schema_is_exit_1_with_its_problem_named(tmp_path, text, words):
    (tmp_path / "schema.json").write_text(text)
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and words in p.stdout and "Traceback" not in p.stdout + p.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_demo_schema_behaves_as_declared(demo):
    assert invoke(demo, "validate").returncode == 2
    chat = sqlite3.connect(demo / "data/chat.db")
    chat.execute("PRAGMA foreign_keys = ON")
    chat.execute("INSERT INTO threads (id, user_id, title, updated_at) VALUES (1, 1, 'a', '2000-01-01')")
    chat.execute("INSERT INTO messages (thread_id, role, content) VALUES (1, 'user', 'hi')")
    chat.execute("UPDATE threads SET title = 'b' WHERE id = 1")
    assert chat.execute("SELECT updated_at > '2000-01-01' FROM threads").fetchone() == (1,)  # the trigger
    assert chat.execute("SELECT title, messages FROM thread_overview").fetchall() == [("b", 1)]  # the view
    chat.execute("DELETE FROM threads")
    assert chat.execute("SELECT count(*) FROM messages").fetchone() == (0,)  # ON DELETE CASCADE
    chat.close()
    auth = sqlite3.connect(demo / "data/auth.db")
    auth.execute("INSERT INTO users (email, password_hash) VALUES ('A@x.io', 'h')")
    with pytest.raises(sqlite3.IntegrityError):
        auth.execute("INSERT INTO users (email, password_hash) VALUES ('a@x.io', 'h')")  # NOCASE + unique
    auth.close()
