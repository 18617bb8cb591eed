"""Project-defined checks and fixes, selecting and silencing, and seed rows."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from .helpers import ROOT, invoke, rows, write_schema

CACHE_CHECK = textwrap.dedent('''
    from selfheal import Finding, Status, check


    def purge(ctx, failing):
        (ctx.root / "cache" / "stale.flag").unlink()


    @check("cache.fresh", fix=purge)
    def cache_fresh(ctx):
        flag = ctx.root / "cache" / "stale.flag"
        if flag.exists():
            return [Finding("cache.fresh", "cache", Status.WARNING, "the cache is stale",
                            hint="heal purges it", action="remove cache/stale.flag")]
        return [Finding("cache.fresh", "cache", Status.OK, f"fresh (mode {ctx.mode}, LEVEL={ctx.env.get('LEVEL')})")]


    @check("broken.one")
    def broken(ctx):
        raise RuntimeError("the check itself is buggy")
''')


@pytest.fixture
def project(tmp_path):
    (tmp_path / "checks.py").write_text(CACHE_CHECK)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "stale.flag").write_text("")
    (tmp_path / ".env").write_text("LEVEL=debug\n")
    write_schema(tmp_path, {"checks": ["checks.py"], "env": {"template": ".env"}})
    return tmp_path


def by_check(p):
    return {c["check"]: c for c in json.loads(p.stdout)["checks"]}


def test_a_fix_never_runs_under_check_or_dry_run(project):
    for args in (("validate", "--check"), ("validate", "--dry-run"), ("heal", "--dry-run")):
        p = invoke(project, *args, "--json")
        found = by_check(p)
        assert found["cache.fresh"]["status"] == "warning"
        assert found["cache.fresh"]["action"] == "remove cache/stale.flag"
        assert (project / "cache" / "stale.flag").exists()


def test_a_fix_runs_when_healing_then_the_check_confirms(project):
    p = invoke(project, "validate", "--json")
    found = by_check(p)
    assert found["cache.fresh"]["status"] == "healed"
    assert not (project / "cache" / "stale.flag").exists()
    audit = [json.loads(line) for line in (project / ".selfheal" / "audit.jsonl").read_text().splitlines()]
    assert any(a["check"] == "cache.fresh" and a["action"] == "purge()" and a["result"] == "applied" for a in audit)
    again = by_check(invoke(project, "validate", "--json"))
    assert again["cache.fresh"]["status"] == "ok" and "LEVEL=debug" in again["cache.fresh"]["message"]


def test_a_raising_check_is_one_error_and_the_others_still_run(project):
    p = invoke(project, "validate", "--check", "--json")
    found = by_check(p)
    assert found["broken.one"]["status"] == "error"
    assert found["broken.one"]["message"] == "the check raised RuntimeError: the check itself is buggy"
    assert "cache.fresh" in found and "Traceback" not in p.stderr
    debug = invoke(project, "validate", "--check", env={"SELFHEAL_DEBUG": "1"})
    assert "Traceback" in debug.stderr and "the check itself is buggy" in debug.stderr


def test_a_check_module_that_does_not_import_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "checks.py").write_text("import no_such_module_anywhere\n")
    write_schema(tmp_path, {"checks": ["checks.py", "also_missing.module"]})
    p = invoke(tmp_path, "validate", "--json")
    checks = json.loads(p.stdout)["checks"]
    assert p.returncode == 1
    assert {c["target"] for c in checks if c["check"] == "checks"} == {"checks.py", "also_missing.module"}


def test_only_and_skip_select_parts_and_check_ids(project):
    p = invoke(project, "validate", "--check", "--only", "cache", "--json")
    assert {c["check"] for c in json.loads(p.stdout)["checks"]} == {"cache.fresh"}
    assert p.returncode == 2
    p = invoke(project, "validate", "--check", "--skip", "checks", "--json")
    assert not {"cache.fresh", "broken.one"} & {c["check"] for c in json.loads(p.stdout)["checks"]}
    assert p.returncode == 0
    p = invoke(project, "validate", "--check", "--only", "env,python", "--json")
    assert {c["check"].split(".")[0] for c in json.loads(p.stdout)["checks"]} == {"env", "python"}


def test_silenced_findings_stay_in_json_and_never_change_the_exit_code(project):
    write_schema(project, {"checks": ["checks.py"], "env": {"template": ".env"},
                           "settings": {"silence": ["broken.one", "cache.fresh:cache"]}})
    p = invoke(project, "validate", "--check", "--json")
    found = by_check(p)
    assert found["broken.one"]["silenced"] is True and found["cache.fresh"]["silenced"] is True
    assert p.returncode == 0 and json.loads(p.stdout)["summary"]["error"] == 0
    text = invoke(project, "validate", "--check")
    assert "broken.one" not in text.stdout
    assert "(silenced)" in invoke(project, "validate", "--check", "--verbose").stdout


def test_an_entry_point_plugin_is_discovered(tmp_path):
    site = tmp_path / "site"
    (site / "demo_plugin").mkdir(parents=True)
    (site / "demo_plugin" / "__init__.py").write_text(textwrap.dedent('''
        from selfheal import Finding, Status, check

        @check("plugin.hello")
        def hello(ctx):
            return [Finding("plugin.hello", "world", Status.WARNING, "hello from a plugin")]
    '''))
    info = site / "demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[selfheal.checks]\nhello = demo_plugin\n")
    project = tmp_path / "project"
    project.mkdir()
    write_schema(project, {})
    env = {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    for _ in range(2):  # the second run takes the plugin list from what it remembered
        p = invoke(project, "validate", "--json", env=env)
        assert by_check(p)["plugin.hello"]["message"] == "hello from a plugin" and p.returncode == 2


def test_no_check_module_is_imported_unless_declared(tmp_path):
    (tmp_path / "checks.py").write_text("raise SystemExit('imported!')\n")
    write_schema(tmp_path, {})
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "invoke", "-r", str(ROOT), "validate", "--schema",
                        str(tmp_path / "schema.json")], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0 and "selfheal_checks_" not in p.stderr


# ---------------------------------------------------------------- seed rows

CURRENCIES = {"columns": {"code": {"type": "TEXT", "primary_key": True}, "name": "TEXT",
                          "decimals": {"type": "INTEGER", "default": 2}},
              "rows": [{"code": "USD", "name": "US Dollar"}, {"code": "JPY", "name": "Yen", "decimals": 0}]}


def test_seed_rows_fill_a_new_table(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"currencies": CURRENCIES}}}})
    assert invoke(tmp_path, "heal.db").returncode == 0
    assert rows(tmp_path / "app.db", "SELECT * FROM currencies ORDER BY code") == [("JPY", "Yen", 0),
                                                                                 ("USD", "US Dollar", 2)]
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_seed_rows_are_added_to_a_populated_table_never_updated_or_deleted(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE currencies (code TEXT PRIMARY KEY, name TEXT, decimals INTEGER DEFAULT 2)")
    conn.execute("INSERT INTO currencies VALUES ('USD', 'Dollar (edited)', 2), ('CHF', 'Franc', 2)")
    conn.commit()
    conn.close()
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"currencies": CURRENCIES}}}})
    dry = invoke(tmp_path, "heal.db", "--dry-run", "--json")
    found = {c["target"]: c for c in json.loads(dry.stdout)["checks"] if c["check"] == "db.row"}
    assert found["app.db:currencies[code=JPY]"]["status"] == "error"
    assert "INSERT INTO" in found["app.db:currencies[code=JPY]"]["action"]
    assert found["app.db:currencies[code=USD]"]["status"] == "warning"
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 2  # the edited row is a warning: never overwritten
    assert rows(db, "SELECT * FROM currencies ORDER BY code") == [
        ("CHF", "Franc", 2), ("JPY", "Yen", 0), ("USD", "Dollar (edited)", 2)]


def test_a_deleted_seed_row_comes_back_even_after_a_remembered_run(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"currencies": CURRENCIES}}}})
    assert invoke(tmp_path, "validate").returncode == 0
    assert invoke(tmp_path, "validate").returncode == 0  # remembered
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute("DELETE FROM currencies WHERE code = 'JPY'")
    conn.commit()
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 1
    assert invoke(tmp_path, "validate").returncode == 0
    assert rows(tmp_path / "app.db", "SELECT count(*) FROM currencies") == [(2,)]


def test_seed_rows_need_a_key_and_declared_columns(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {
        "a": {"columns": {"x": "TEXT"}, "rows": [{"x": "1"}]},
        "b": {"columns": {"id": {"type": "INTEGER", "primary_key": True}}, "rows": [{"id": 1, "nope": 2}]}}}}})
    p = invoke(tmp_path, "validate", "--check", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1
    assert any("need a primary key" in m for m in messages) and any('"nope" is not declared' in m for m in messages)


def test_a_finding_written_as_the_docs_show_it_works(tmp_path):
    (tmp_path / "checks.py").write_text(textwrap.dedent('''
        from selfheal import Finding, Status, check

        @check("model.file")
        def model_file(ctx):
            return [Finding("model.file", "models/x.bin", Status.WARNING, "missing", hint=None),
                    Finding("model.file", "models/y.bin", "ok", "present")]
    '''))
    write_schema(tmp_path, {"checks": ["checks.py"]})
    p = invoke(tmp_path, "validate", "--check", "--json")
    found = {c["target"]: c for c in json.loads(p.stdout)["checks"] if c["check"] == "model.file"}
    assert found["models/x.bin"] == {"check": "model.file", "target": "models/x.bin", "status": "warning",
                                     "message": "missing"}
    assert found["models/y.bin"]["status"] == "ok" and p.returncode == 2
