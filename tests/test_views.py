"""Views and triggers: created when missing, replaced when they differ (old SQL audited), parsed by SQLite
at load, and kept by the snapshot."""

import json
import sqlite3

import pytest

from .helpers import heal, invoke, rows, write_schema

TOUCH = ("CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes BEGIN "
         "UPDATE notes SET updated_at = 'touched' WHERE id = NEW.id; END")
NOTES = {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "body": "TEXT", "updated_at": "TEXT"}}


def doc(view="SELECT id, body FROM notes WHERE body IS NOT NULL", trigger=TOUCH):
    return {"databases": {"app.db": {"tables": {"notes": NOTES}, "views": {"filled": view},
                                     "triggers": {"notes_touch": trigger}}}}


def test_views_and_triggers_are_created_and_behave(tmp_path):
    write_schema(tmp_path, doc())
    report = heal(tmp_path)
    assert report.exit_code == 0, report.findings
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO notes (body) VALUES ('a'), (NULL)")
    conn.execute("UPDATE notes SET body = 'b' WHERE id = 1")
    conn.commit()
    assert conn.execute("SELECT id, body FROM filled").fetchall() == [(1, "b")]
    assert conn.execute("SELECT updated_at FROM notes WHERE id = 1").fetchone() == ("touched",)
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_a_differing_view_is_replaced_and_its_old_sql_audited(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.execute("CREATE VIEW filled AS SELECT id FROM notes")
    conn.commit()
    conn.close()
    write_schema(tmp_path, doc())
    dry = invoke(tmp_path, "heal.db", "--dry-run", "--json")
    found = {c["target"]: c for c in json.loads(dry.stdout)["checks"]}
    assert found["app.db:filled"]["message"] == "view differs from schema.json (heal would replace it)"
    assert found["app.db:notes_touch"]["message"] == "trigger is missing (heal would create it)"
    assert invoke(tmp_path, "heal.db").returncode == 0
    assert rows(db, "SELECT * FROM filled") == [(1, "keep me")]
    audit = [json.loads(line) for line in (tmp_path / ".selfheal" / "audit.jsonl").read_text().splitlines()]
    replaced = [a for a in audit if a["check"] == "db.view"]
    assert replaced and replaced[0]["replaced"] == "CREATE VIEW filled AS SELECT id FROM notes"
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_a_view_spelled_differently_but_alike_is_left_alone(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT)")
    conn.execute("CREATE VIEW filled AS\n   SELECT id, body FROM notes\n   WHERE body IS NOT NULL")
    conn.execute(TOUCH)
    conn.commit()
    conn.close()
    write_schema(tmp_path, doc())
    before = db.read_bytes()
    assert invoke(tmp_path, "validate").returncode == 0
    assert db.read_bytes() == before


@pytest.mark.parametrize("view,trigger,expect", [
    ("SELECT nope FROM notes", TOUCH, "SQLite refuses it: no such column: nope"),
    ("SELECT 1; DROP TABLE notes", TOUCH, "SQLite refuses it"),
    ("SELECT 1", TOUCH.replace("notes_touch", "other_name"), "another name"),
    ("SELECT 1", TOUCH.replace("CREATE TRIGGER", "CREATE TEMP TRIGGER"), "TEMP triggers vanish"),
    ("SELECT 1", "DROP TABLE notes", "must be one CREATE TRIGGER statement"),
])
def test_views_and_triggers_sqlite_refuses_are_schema_errors(tmp_path, view, trigger, expect):
    write_schema(tmp_path, doc(view, trigger))
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages
    assert sorted(x.name for x in tmp_path.iterdir()) == ["schema.json"]


def test_an_existing_object_with_the_views_name_is_an_error_and_the_rest_heals(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE filled (x)")
    conn.commit()
    conn.close()
    write_schema(tmp_path, doc())
    report = heal(tmp_path)
    found = {(f.check, f.target): f for f in report.findings}
    assert found[("db.view", "app.db:filled")].status.value == "error"
    assert found[("db.trigger", "app.db:notes_touch")].status.value == "healed"


def test_the_snapshot_keeps_views_and_triggers_and_round_trips(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    conn = sqlite3.connect(source / "app.db")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT)")
    conn.execute("CREATE VIEW filled AS SELECT id, body FROM notes WHERE body IS NOT NULL")
    conn.execute("CREATE VIEW filled_count AS SELECT count(*) AS n FROM filled")
    conn.execute(TOUCH)
    conn.commit()
    conn.close()
    p = invoke(source, "schema.snapshot", "app.db", "--out", "schema.json", schema=False)
    assert p.returncode == 0 and "note:" not in p.stderr, p.stderr
    entry = json.loads((source / "schema.json").read_text())["databases"]["app.db"]
    assert list(entry["views"]) == ["filled", "filled_count"] and list(entry["triggers"]) == ["notes_touch"]
    assert invoke(source, "validate", "--check").returncode == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "schema.json").write_text((source / "schema.json").read_text())
    assert invoke(fresh, "heal.db").returncode == 0
    query = "SELECT type, name FROM sqlite_master ORDER BY type, name"
    assert rows(fresh / "app.db", query) == rows(source / "app.db", query)
