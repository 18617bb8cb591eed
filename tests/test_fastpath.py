"""The healthy path: what it imports, what it remembers, and that remembering never hides a change."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from selfheal.context import Mode
from selfheal.findings import Status

from .helpers import ROOT, columns, heal, invoke, write_schema

HEAVY = ("jsonschema", "fastjsonschema", "packaging", "filelock", "rich", "sqlite_utils", "selfheal.plan",
         "selfheal.ops", "selfheal.compare", "selfheal.catalog", "selfheal.dbheal", "psycopg", "selfheal.pg.heal",
         "selfheal.pg.catalog")


@pytest.fixture
def demo(tmp_path):
    for name in ("schema.json", ".env.example", "requirements.txt", "checks.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text("PRICING_API_KEY=real\nMARKET_DATA_API_KEY=real\n")
    assert invoke(tmp_path, "validate").returncode == 0
    assert invoke(tmp_path, "validate").returncode == 0  # the second healthy run remembers its results
    return tmp_path


def imported_modules(folder, *args):
    cmd = [sys.executable, "-X", "importtime", "-m", "invoke", "-r", str(ROOT), *args, "--schema",
           str(folder / "schema.json")]
    p = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
                       stdin=subprocess.DEVNULL)
    names = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    return p, names


def test_healthy_validate_imports_nothing_heavy(demo):
    p, names = imported_modules(demo, "validate")
    assert p.returncode == 0, p.stdout
    assert "0 healed, 0 warnings, 0 errors" in p.stdout
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY or n in HEAVY)
    assert heavy == [], heavy


def test_a_change_made_by_someone_else_is_seen_after_a_remembered_run(demo):
    db = demo / "app/data.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE scratch (x)")  # bumps schema_version
    conn.commit()
    conn.close()
    doc = json.loads(invoke(demo, "validate", "--json").stdout)
    assert any(c["target"] == "app/data.db:scratch" for c in doc["checks"])


def test_a_changed_declaration_is_healed_after_a_remembered_run(demo):
    doc = json.loads((demo / "schema.json").read_text())
    doc["databases"]["app/data.db"]["tables"]["product_catalog"]["columns"]["brand"] = "TEXT"
    (demo / "schema.json").write_text(json.dumps(doc))
    assert invoke(demo, "validate").returncode == 0
    assert columns(demo / "app/data.db", "product_catalog")[-1] == "brand"


def test_corruption_is_caught_after_a_remembered_run(demo):
    db = demo / "data/chat.db"
    data = bytearray(db.read_bytes())
    data[4096:8192] = os.urandom(4096)  # wreck a page, keep the header
    db.write_bytes(bytes(data))
    p = invoke(demo, "validate")
    assert p.returncode == 1 and "data/chat.db" in p.stdout and "corrupt" in p.stdout


def test_a_replaced_file_is_checked_fully(demo):
    db = demo / "data/market.db"
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE market_data (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    p = invoke(demo, "validate", "--json")
    healed = [c["target"] for c in json.loads(p.stdout)["checks"] if c["status"] == "healed"]
    assert "data/market.db:market_data.symbol" in healed and "data/market.db:pricing_list" in healed


def test_check_mode_writes_no_cache(tmp_path):
    write_schema(tmp_path, {"databases": {"x.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    invoke(tmp_path, "validate", "--check")
    assert not (tmp_path / ".selfheal").exists()


def test_an_edited_schema_is_checked_in_full_again(tmp_path):
    write_schema(tmp_path, {"databases": {"x.db": {"tables": {"t": {"columns": {"a": "TEXT"}}}}}})
    assert invoke(tmp_path, "validate").returncode == 0
    assert (tmp_path / ".selfheal" / "schema-ok").exists()
    text = (tmp_path / "schema.json").read_text()
    (tmp_path / "schema.json").write_text(text.replace('"version": 1', '"version": 1, "version": 1', 1))
    p = invoke(tmp_path, "validate")
    assert p.returncode == 1 and 'duplicate key "version"' in p.stdout


@pytest.mark.parametrize("garbage", ["[]", '{"version": "0.1.0", "entries": []}', "{not json", ""])
def test_a_damaged_cache_only_costs_time(demo, garbage):
    (demo / ".selfheal" / "state.json").write_text(garbage)
    (demo / ".selfheal" / "schema-ok").write_text(garbage)
    p = invoke(demo, "validate")
    assert p.returncode == 0 and "Traceback" not in p.stderr and "internal error" not in p.stderr


def _two_databases(tmp_path):
    write_schema(tmp_path, {"databases": {
        "a.db": {"tables": {"t": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "x": "TEXT"}}}},
        "b.db": {"tables": {"u": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}}}}}})
    assert heal(tmp_path).exit_code == 0
    assert heal(tmp_path).exit_code == 0  # remembered from here on


def _edit(tmp_path, change):
    doc = json.loads((tmp_path / "schema.json").read_text())
    change(doc)
    (tmp_path / "schema.json").write_text(json.dumps(doc, indent=2))


def _catalogue_reads(monkeypatch):
    from selfheal.engines.sqlite import catalog

    read, seen = catalog.read, []

    def counting(conn, path):
        seen.append(path)
        return read(conn, path)

    monkeypatch.setattr(catalog, "read", counting)
    return seen


def _validated(monkeypatch):
    from selfheal.declare import structure as schemafile

    validate, seen = schemafile.compiled_validator, []

    def recording():
        inner = validate()

        def run(doc):
            seen.append(sorted(doc.get("databases", {})))
            return inner(doc)

        return run

    monkeypatch.setattr(schemafile, "compiled_validator", recording)
    return seen


def test_an_edit_to_one_database_entry_rechecks_only_that_entry(tmp_path, monkeypatch):
    _two_databases(tmp_path)
    _edit(tmp_path, lambda doc: doc["databases"]["a.db"]["tables"]["t"]["columns"].update(y="TEXT"))
    reads, validated = _catalogue_reads(monkeypatch), _validated(monkeypatch)
    report = heal(tmp_path, mode=Mode.CHECK)
    assert validated == [["a.db"]] and reads == ["a.db"]  # b.db: its entry and its result are remembered
    assert [f.target for f in report.findings if f.status is Status.ERROR] == ["a.db:t.y"]


def test_an_edit_outside_the_databases_rechecks_every_entry(tmp_path, monkeypatch):
    _two_databases(tmp_path)
    _edit(tmp_path, lambda doc: doc.update(settings={"lock_timeout": 5}))
    reads, validated = _catalogue_reads(monkeypatch), _validated(monkeypatch)
    assert heal(tmp_path, mode=Mode.CHECK).exit_code == 0
    assert validated == [["a.db", "b.db"]] and sorted(reads) == ["a.db", "b.db"]


@pytest.mark.parametrize("where", ["a.db", "b.db"])
def test_an_invalid_edit_is_reported_whichever_entry_it_is_in(tmp_path, where):
    _two_databases(tmp_path)
    table = "t" if where == "a.db" else "u"
    _edit(tmp_path, lambda doc: doc["databases"][where]["tables"][table]["columns"].update(z={"tpye": "TEXT"}))
    report = heal(tmp_path, mode=Mode.CHECK)
    messages = [f.message for f in report.findings if f.check == "schema"]
    assert any('unknown key "tpye"' in m for m in messages), messages


def test_the_generated_validator_matches_the_json_schema():
    from selfheal.declare import _structure_validator, validatorgen

    current = validatorgen.schema_digest(validatorgen.SCHEMA_OF_SCHEMA.read_bytes())
    assert _structure_validator.SOURCE_DIGEST == current, \
        "schema.schema.json changed: python -m selfheal.declare.validatorgen"


def test_a_stale_generated_validator_is_not_used(monkeypatch):
    from selfheal.declare import _structure_validator
    from selfheal.declare import structure as schemafile

    monkeypatch.setattr(_structure_validator, "SOURCE_DIGEST", "0" * 64)
    validate = schemafile.compiled_validator()
    assert validate is not _structure_validator.validate
    validate({"version": 1})
    assert schemafile.structure_problems({"version": 2}) != []
