"""PostgreSQL objects beside the tables: what heal creates, replaces or reports, what it refuses to
load, what the snapshot notes instead of dropping, and what --check and the drift report say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import invoke, write_schema
from .pgserver import binaries
from .test_postgres import execute, query

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

TOUCH = ("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.changed := now(); "
         "RETURN NEW; END $$")


def entry(**extra: Any) -> dict[str, Any]:
    """A PostgreSQL entry with one table `task` (a state enum, a changed timestamp) and `extra` keys."""
    return {"url": "env:DATABASE_URL", "tables": {"task": {"columns": {
        "id": {"type": "serial", "primary_key": True}, "title": {"type": "text", "not_null": True},
        "state": {"type": "task_state", "not_null": True, "default": "todo"},
        "changed": "timestamptz"}}},
        "types": {"task_state": {"enum": ["todo", "doing", "done"]}},
        "functions": {"touch": TOUCH},
        "triggers": {"task_touch": "CREATE TRIGGER task_touch BEFORE UPDATE ON task FOR EACH ROW EXECUTE FUNCTION "
                                   "touch()"}, **extra}


def setup(folder: Path, url: str, body: dict[str, Any]) -> dict[str, str]:
    write_schema(folder, {"databases": {"pg": body}})
    (folder / ".env").write_text(f"DATABASE_URL={url}\n")
    return {}


def test_heal_creates_types_functions_and_triggers_in_order_and_they_work(tmp_path: Path, pg_url: str) -> None:
    setup(tmp_path, pg_url, entry())
    dry = invoke(tmp_path, "heal.db", "--dry-run")
    assert dry.returncode == 1
    order = [dry.stdout.index(s) for s in ("CREATE TYPE", "CREATE OR REPLACE FUNCTION", "CREATE TABLE",
                                           "CREATE TRIGGER")]
    assert order == sorted(order), dry.stdout  # types and functions first, the trigger after its table
    assert query(pg_url, "SELECT count(*) FROM pg_type WHERE typname = 'task_state'") == [(0,)]  # dry run
    healed = invoke(tmp_path, "heal.db")
    assert healed.returncode == 0, healed.stdout
    execute(pg_url, "INSERT INTO task (title) VALUES ('write tests')", "UPDATE task SET state = 'doing'")
    assert query(pg_url, "SELECT state::text, changed IS NOT NULL FROM task") == [("doing", True)]
    assert invoke(tmp_path, "validate", "--check").returncode == 0
    again = invoke(tmp_path, "heal.db")
    assert again.returncode == 0 and "healed" not in again.stdout.split("Total:")[0], again.stdout


def test_an_enum_gains_declared_labels_in_place_and_a_removed_label_is_drift(tmp_path: Path, pg_url: str) -> None:
    setup(tmp_path, pg_url, entry())
    assert invoke(tmp_path, "heal.db").returncode == 0
    execute(pg_url, "INSERT INTO task (title, state) VALUES ('a', 'done')")
    setup(tmp_path, pg_url, entry(types={"task_state": {"enum": ["backlog", "todo", "doing", "review", "done"]}}))
    dry = invoke(tmp_path, "heal.db", "--dry-run")
    assert "ADD VALUE 'backlog' BEFORE 'todo'" in dry.stdout and "ADD VALUE 'review' AFTER 'doing'" in dry.stdout
    healed = invoke(tmp_path, "heal.db")
    assert healed.returncode == 0 and "added 2 labels to task_state" in healed.stdout, healed.stdout
    labels = query(pg_url, "SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'task_state'::regtype "
                           "ORDER BY enumsortorder")
    assert [x for (x,) in labels] == ["backlog", "todo", "doing", "review", "done"]
    setup(tmp_path, pg_url, entry(types={"task_state": {"enum": ["todo", "doing"]}}))
    check = invoke(tmp_path, "heal.db")
    assert check.returncode == 2, check.stdout  # a warning: rows may hold 'done'
    assert "labels backlog, review, done are not declared" in check.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_enum WHERE enumtypid = 'task_state'::regtype") == [(5,)]
    assert query(pg_url, "SELECT title, state::text FROM task") == [("a", "done")]


def test_a_changed_function_or_trigger_is_replaced_a_changed_domain_is_drift(tmp_path: Path, pg_url: str) -> None:
    body = entry(types={"task_state": {"enum": ["todo", "doing", "done"]},
                        "short": {"sql": "CREATE DOMAIN short AS text CHECK (length(VALUE) < 20)"}})
    setup(tmp_path, pg_url, body)
    assert invoke(tmp_path, "heal.db").returncode == 0
    body["functions"]["touch"] = TOUCH.replace("now()", "clock_timestamp()")
    body["triggers"]["task_touch"] = body["triggers"]["task_touch"].replace("BEFORE UPDATE", "BEFORE INSERT OR UPDATE")
    body["types"]["short"] = {"sql": "CREATE DOMAIN short AS text CHECK (length(VALUE) < 10)"}
    setup(tmp_path, pg_url, body)
    check = invoke(tmp_path, "validate", "--check")
    assert "function differs from schema.json (heal would replace it)" in check.stdout, check.stdout
    assert "trigger differs from schema.json (heal would replace it)" in check.stdout
    healed = invoke(tmp_path, "heal.db")
    assert healed.returncode == 2, healed.stdout  # the domain: a warning, never changed
    assert "replaced function touch" in healed.stdout and "replaced trigger task_touch" in healed.stdout
    assert "heal never changes a type" in healed.stdout
    audit = [json.loads(line) for line in (tmp_path / ".selfheal" / "audit.jsonl").read_text().splitlines()]
    replaced = [a["action"] for a in audit if a["check"] == "db.function" and "-- replaced:" in a["action"]]
    assert replaced and "now()" in replaced[-1].split("-- replaced:")[1]  # the old body is kept
    assert "clock_timestamp" in query(pg_url, "SELECT prosrc FROM pg_proc WHERE proname = 'touch'")[0][0]
    execute(pg_url, "INSERT INTO task (title) VALUES ('x')")
    assert query(pg_url, "SELECT changed IS NOT NULL FROM task") == [(True,)]  # the trigger fires on INSERT now
    drift = invoke(tmp_path, "validate", "--drift", "--json")
    rows = json.loads(drift.stdout)["drift"]
    assert any(r["target"] == "pg:short" and "< 10" in r["declared"] for r in rows), rows


def test_what_the_server_refuses_is_an_error_before_anything_changes(tmp_path: Path, pg_url: str) -> None:
    body = entry(functions={"touch": "CREATE FUNCTION touch() RETURNS trigger LANGUAGE nosuchlang AS $$ x $$"})
    setup(tmp_path, pg_url, body)
    for task in (("validate", "--check"), ("heal.db",)):
        p = invoke(tmp_path, *task)
        assert p.returncode == 1, p.stdout
        assert "the server refuses the declared function" in p.stdout and "nosuchlang" in p.stdout, p.stdout
    assert query(pg_url, "SELECT count(*) FROM pg_class WHERE relname = 'task'") == [(0,)]
    assert query(pg_url, "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'selfheal_scratch')") == [(0,)]


def test_a_statement_that_makes_another_name_or_is_no_create_is_refused(tmp_path: Path, pg_url: str) -> None:
    setup(tmp_path, pg_url, entry(functions={"touch": TOUCH.replace("touch()", "tuoch()")}))
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "creates no function named touch" in p.stdout, p.stdout
    setup(tmp_path, pg_url, entry(functions={"touch": "DROP TABLE task"}))
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "must be one CREATE FUNCTION or CREATE PROCEDURE statement" in p.stdout, p.stdout
    setup(tmp_path, pg_url, entry(functions={"touch": TOUCH + "; DROP TABLE task"}))
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "cannot insert multiple commands" in p.stdout, p.stdout


def test_an_extension_the_server_lacks_is_predicted_by_check(tmp_path: Path, pg_url: str) -> None:
    setup(tmp_path, pg_url, entry(extensions=["no_such_extension"]))
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "no_such_extension" in p.stdout and "contrib" in p.stdout, p.stdout


def test_keys_for_postgresql_only_are_refused_on_sqlite_and_comments_name_declared_things(tmp_path: Path) -> None:
    write_schema(tmp_path, {"databases": {"app.db": {"tables": {"t": {"columns": {"a": "TEXT"}}},
                                                     "functions": {"f": TOUCH}, "extensions": ["citext"]}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "is for a PostgreSQL database" in p.stdout, p.stdout
    write_schema(tmp_path, {"databases": {"pg": {**entry(), "comments": {"task.nope": "x"}}}})
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "names no declared table or table.column" in p.stdout, p.stdout


def test_the_snapshot_notes_every_object_it_cannot_carry(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url,
            "CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (extra text) INHERITS (parent)",
            "CREATE TABLE measurement (at date NOT NULL, v int) PARTITION BY RANGE (at)",
            "CREATE TABLE measurement_2026 PARTITION OF measurement FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            "CREATE RULE parent_protect AS ON DELETE TO parent DO INSTEAD NOTHING",
            "ALTER TABLE parent ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY mine ON parent USING (id > 0)",
            "CREATE MATERIALIZED VIEW parent_count AS SELECT count(*) FROM parent",
            "CREATE TYPE span AS RANGE (subtype = int4)",
            "CREATE AGGREGATE total (int) (sfunc = int4pl, stype = int)",
            "CREATE TABLE slot (id int PRIMARY KEY, during int4range, EXCLUDE USING gist (during WITH &&))",
            "CREATE SEQUENCE ticket_no", "CREATE TABLE ticket (n bigint DEFAULT nextval('ticket_no'))",
            "ALTER SEQUENCE ticket_no OWNED BY ticket.n",
            "CREATE INDEX parent_id ON parent (id)", "COMMENT ON INDEX parent_id IS 'why'",
            "CREATE TABLE counter (id int GENERATED ALWAYS AS IDENTITY (START WITH 100), s serial)",
            "ALTER SEQUENCE counter_s_seq INCREMENT BY 5")
    write_schema(tmp_path, {})
    snap = invoke(tmp_path, "schema.snapshot", "env:DATABASE_URL", env={"DATABASE_URL": pg_url})
    assert snap.returncode == 0, snap.stderr
    for said in ("rule parent_protect on parent", "table child inherits from parent",
                 "table measurement is partitioned (RANGE (at))", "policy mine on parent",
                 "table parent has row level security enabled", "materialized view parent_count",
                 "range type span", "aggregate total(integer)", "exclusion constraint slot_during_excl on slot",
                 "sequence ticket_no is owned by ticket.n", "comment on index parent_id",
                 "identity column counter.id has sequence options of its own (START 100, INCREMENT 1)",
                 "serial column counter.s has sequence options of its own (START 1, INCREMENT 5)"):
        assert said in snap.stderr, (said, snap.stderr)
    doc = json.loads(snap.stdout)["main"]
    assert "indexes" not in doc["tables"]["slot"]  # the exclusion constraint's index is not a plain index
    assert "ticket_no" in doc["sequences"]


def test_serial_columns_and_their_sequences_round_trip_as_serial(tmp_path: Path, pg_url: str) -> None:
    execute(pg_url, "CREATE TABLE a (id serial PRIMARY KEY, b bigserial, c smallserial)")
    write_schema(tmp_path, {})
    snap = invoke(tmp_path, "schema.snapshot", "env:DATABASE_URL", env={"DATABASE_URL": pg_url})
    cols = json.loads(snap.stdout)["main"]["tables"]["a"]["columns"]
    assert [cols[c]["type"] for c in ("id", "b", "c")] == ["serial", "bigserial", "smallserial"]
    assert "sequences" not in json.loads(snap.stdout)["main"]
    assert not any("default" in spec for spec in cols.values())


@pytest.fixture(scope="module")
def enum_db(pg_server: str):  # type: ignore[no-untyped-def]
    from .pgserver import fresh_database

    with fresh_database(pg_server) as url:
        yield url


_LABEL = st.sampled_from(["a", "b", "c", "d", "e", "f", "it's", "Ünï"])


@given(live=st.lists(_LABEL, unique=True, min_size=1, max_size=5),
       declared=st.lists(_LABEL, unique=True, min_size=1, max_size=7))
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_enum_change_heals_to_the_declaration_or_is_left_whole(enum_db: str, live: list[str],
                                                                   declared: list[str]) -> None:
    from selfheal.engines.postgres.objectplan import plan_objects
    from selfheal.engines.postgres.objects import enum_sql, read_objects
    from selfheal.model import SchemaObject

    wanted = SchemaObject("enum", "mood", enum_sql("mood", tuple(declared)), tuple(declared), key="mood")
    with psycopg.connect(enum_db) as conn:  # rolled back on leaving: each example starts from nothing
        conn.execute(enum_sql("mood", tuple(live)))
        first = plan_objects([wanted], read_objects(conn, "public", []), "pg", {})
        for step in first.steps:
            for statement in step.statements:
                conn.execute(statement)
        now = [x for (x,) in conn.execute("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'mood'::regtype "
                                          "ORDER BY enumsortorder")]
        keeps_order = [x for x in declared if x in live] == live
        assert now == (declared if keeps_order else live)  # every live label kept, in its order
        assert bool(first.steps) == (keeps_order and declared != live)
        assert any(f.status.name == "WARNING" for f in first.findings) == (not keeps_order)
        again = plan_objects([wanted], read_objects(conn, "public", []), "pg", {})
        assert again.steps == []  # a second heal has nothing to do
        conn.rollback()


def test_a_role_without_create_checks_snapshot_written_objects_and_is_told_about_hand_written_ones(
        tmp_path: Path, pg_url: str) -> None:
    setup(tmp_path, pg_url, entry())
    assert invoke(tmp_path, "heal.db").returncode == 0
    database = pg_url.rsplit("/", 1)[1]
    execute(pg_url, "CREATE ROLE watcher LOGIN", f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC',
            "GRANT USAGE ON SCHEMA public TO watcher")
    reader = pg_url.replace("postgres@", "watcher@")
    setup(tmp_path, reader, entry())
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 1 and "grant the role CREATE on the database" in p.stdout, p.stdout
    write_schema(tmp_path, {})
    snap = invoke(tmp_path, "schema.snapshot", "env:DATABASE_URL", "--out", "schema.json",
                  env={"DATABASE_URL": pg_url})
    assert snap.returncode == 0, snap.stderr
    (tmp_path / ".env").write_text(f"DATABASE_URL={reader}\n")
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 0, p.stdout  # the server's own text: compared without a scratch schema
    execute(pg_url, "DROP OWNED BY watcher", "DROP ROLE watcher")
