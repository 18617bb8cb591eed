"""A corpus of realistic schemas: each declared as SQL and as its JSON snapshot, built from nothing by
heal, is the schema SQLite reports for running the SQL directly."""

import json
import sqlite3
from pathlib import Path

import pytest

from .helpers import invoke, schema_facts, write_schema

CORPUS = {path.stem: path.read_text() for path in sorted((Path(__file__).parent / "corpus").glob("*.sql"))}


def direct(folder: Path, sql: str) -> Path:
    folder.mkdir()
    db = folder / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(sql)
    conn.close()
    return db


def test_the_corpus_holds_forty_realistic_schemas():
    assert len(CORPUS) >= 40
    assert sum("CREATE TRIGGER" in s for s in CORPUS.values()) >= 10
    assert sum("WITHOUT ROWID" in s for s in CORPUS.values()) >= 10
    assert sum("GENERATED" in s for s in CORPUS.values()) >= 10


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_declared_as_sql_heal_builds_the_same_schema(tmp_path, name):
    expected = schema_facts(direct(tmp_path / "direct", CORPUS[name]))
    (tmp_path / "app.sql").write_text(CORPUS[name])
    write_schema(tmp_path, {"databases": {"app.db": {"sql": "app.sql"}}})
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    assert schema_facts(tmp_path / "app.db") == expected
    p = invoke(tmp_path, "validate", "--check")
    assert p.returncode == 0, p.stdout


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_json_snapshot_round_trips(tmp_path, name):
    source = direct(tmp_path / "source", CORPUS[name])
    p = invoke(source.parent, "schema.snapshot", "app.db", "--out", "schema.json", schema=False)
    assert p.returncode == 0, p.stderr
    assert "cannot be declared" not in p.stderr and "left out" not in p.stderr, p.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    doc = json.loads((source.parent / "schema.json").read_text())
    (fresh / "schema.json").write_text(json.dumps(doc))
    p = invoke(fresh, "heal.db")
    assert p.returncode == 0, p.stdout
    assert schema_facts(fresh / "app.db") == schema_facts(source)
    for folder in (fresh, source.parent):  # the snapshot describes the source exactly, too
        p = invoke(folder, "validate", "--check")
        assert p.returncode == 0, p.stdout
