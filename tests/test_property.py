"""Property: any partial database with rows, healed, matches the schema; no row lost; second plan empty."""

import sqlite3
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfheal.engines.sqlite import catalog
from selfheal.engines.sqlite.apply import gather_facts
from selfheal.model import Column, Database, Default, Index, Table
from selfheal.planning import plan as plan_module
from selfheal.planning.plan import BULK_ADD_COLUMNS, facts_needed, plan
from selfheal.planning.sql import column_def, create_index, default_index_name, quote_ident

from .helpers import heal, write_schema

NAMES = st.text(alphabet=string.ascii_letters + ' _"]\'', min_size=1, max_size=8).filter(
    lambda s: s.strip() and not s.lower().startswith("sqlite_"))  # SQLite reserves sqlite_ names for itself
TYPES = st.sampled_from(["TEXT", "INTEGER", "REAL", "DATETIME", "BLOB", "NUMERIC(10, 2)"])
TEXTS = st.text(max_size=4).filter(lambda s: "\0" not in s)
DEFAULTS = st.one_of(st.none(), st.integers(-5, 5).map(Default), TEXTS.map(Default),
                     st.just(Default("CURRENT_TIMESTAMP", sql=True)), st.just(Default("1 + 1", sql=True)))


@st.composite
def table_specs(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique_by=str.lower))
    cols = []
    for name in names:
        default = draw(DEFAULTS)
        not_null = draw(st.booleans())
        cols.append(Column(name, draw(TYPES), not_null=not_null, default=default))
    indexes = []
    if draw(st.booleans()):
        indexes.append(Index((names[0],), unique=False))
    return cols, indexes


@st.composite
def scenarios(draw):
    tnames = draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=str.lower))
    tables = []
    live = []
    for tname in tnames:
        cols, indexes = draw(table_specs())
        tables.append(Table(tname, tuple(cols), (), tuple(indexes)))
        if draw(st.booleans()):  # the table exists, with a subset of the columns and some rows
            keep = [c for c in cols if draw(st.booleans())] or [cols[0]]
            live.append((tname, keep, draw(st.integers(0, 30))))
    return Database("p.db", tuple(tables)), live


def to_doc(db: Database) -> dict:
    tables = {}
    for t in db.tables:
        cols = {}
        for c in t.columns:
            spec = {"type": c.type, "not_null": c.not_null}
            if c.default is not None:
                spec["default"] = {"sql": c.default.value} if c.default.sql else c.default.value
            cols[c.name] = spec
        tables[t.name] = {"columns": cols, "indexes": [{"columns": list(i.columns)} for i in t.indexes]}
    return {"databases": {"p.db": {"tables": tables}}}


@pytest.mark.parametrize("bulk_from", [BULK_ADD_COLUMNS, 1], ids=["alter", "bulk-schema-update"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_heal_any_partial_database(tmp_path_factory, monkeypatch, bulk_from, scenario):
    monkeypatch.setattr(plan_module, "BULK_ADD_COLUMNS", bulk_from)  # exercise both ways of adding columns
    desired, live = scenario
    folder: Path = tmp_path_factory.mktemp("prop")
    write_schema(folder, to_doc(desired))
    conn = sqlite3.connect(folder / "p.db")
    counts = {}
    for tname, keep, nrows in live:
        conn.execute(f"CREATE TABLE {quote_ident(tname)} ({', '.join(column_def(c) for c in keep)})")
        names = ", ".join(quote_ident(c.name) for c in keep)
        for i in range(nrows):
            conn.execute(f"INSERT INTO {quote_ident(tname)} ({names}) VALUES ({', '.join('?' * len(keep))})",
                         [i] * len(keep))
        counts[tname] = nrows
    conn.commit()
    conn.close()
    report = heal(folder)
    blocked = [f for f in report.findings if f.status.value == "error"]
    assert all("cannot be added" in f.message for f in blocked), blocked  # only the NOT NULL rule blocks
    conn = sqlite3.connect(folder / "p.db")
    for tname, nrows in counts.items():
        assert conn.execute(f"SELECT count(*) FROM {quote_ident(tname)}").fetchone()[0] == nrows
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    actual = catalog.read(conn, "p.db")
    leftover = plan(desired, actual, gather_facts(conn, facts_needed(desired, actual)))
    conn.close()
    assert leftover.ops == []  # a blocked column is a finding, never a pending operation
    assert not [f for f in heal(folder).findings if f.status.value == "healed"]


def test_default_index_names():
    assert default_index_name("t", ["a", "b"]) == "idx_t_a_b"
    assert create_index("t", Index(("a",)), "i") == 'CREATE INDEX "i" ON "t" ("a")'
