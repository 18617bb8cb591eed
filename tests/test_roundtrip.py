"""Snapshot round trip over generated schemas: for any database SQLite accepts, its JSON snapshot healed
into an empty folder gives a file SQLite describes the same way, and `validate --check` passes on both.

The generator covers the whole table surface the JSON keys declare: types, NOT NULL, literal and SQL
defaults, UNIQUE, CHECK, COLLATE, single and composite foreign keys with actions, generated columns
(VIRTUAL and STORED), AUTOINCREMENT, composite primary keys, STRICT, WITHOUT ROWID, partial,
expression, DESC and COLLATE indexes, views and triggers, with hostile names.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from selfheal.context import Mode
from selfheal.declare.writer import database_entry
from selfheal.engines.sqlite.snapshot import read_live
from selfheal.planning.sql import quote_ident as q

from .helpers import heal, schema_facts

NAMES = st.one_of(st.sampled_from(["id", "select", "order", 'a"b', "a'b", "sp ace", "名前", "Ünï", "x", "idx_t_x",
                                   "-- c", "/*", "check", "unique", "AS"]),
                  st.text("abcdefgh_", min_size=1, max_size=6))
TYPES = ["TEXT", "INTEGER", "REAL", "BLOB", "DATETIME", "NUMERIC(10, 2)", "VARCHAR(20)"]
STRICT_TYPES = ["TEXT", "INTEGER", "REAL", "BLOB", "ANY", "INT"]
DEFAULTS = ["", " DEFAULT 0", " DEFAULT 'it''s'", " DEFAULT NULL", " DEFAULT -1.5", " DEFAULT CURRENT_TIMESTAMP",
            " DEFAULT (1 + 1)", " DEFAULT (lower('X'))"]
ACTIONS = ["", " ON DELETE CASCADE", " ON DELETE SET NULL", " ON UPDATE CASCADE",
           " ON DELETE RESTRICT ON UPDATE SET NULL"]


def folded(name: str) -> str:
    return name.lower()


@st.composite
def schemas(draw: Any) -> list[str]:
    """CREATE statements for 1-3 tables (each may reference earlier ones), indexes, a view, a trigger."""
    statements: list[str] = []
    tables: list[tuple[str, list[str], list[str]]] = []  # name, columns, key columns (pk or unique)
    for tname in draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=folded)):
        cols = draw(st.lists(NAMES, min_size=2, max_size=5, unique_by=folded))
        strict = draw(st.booleans())
        pk_kind = draw(st.sampled_from(["none", "rowid", "autoinc", "text", "composite"]))
        without_rowid = pk_kind in ("text", "composite") and draw(st.booleans())
        defs, constraints = [], []
        keys: list[str] = []
        for i, cname in enumerate(cols):
            ctype = draw(st.sampled_from(STRICT_TYPES if strict else TYPES))
            parts = [q(cname), ctype]
            if i == 0 and pk_kind in ("rowid", "autoinc"):
                parts = [q(cname), "INTEGER", "PRIMARY KEY" + (" AUTOINCREMENT" if pk_kind == "autoinc" else "")]
                keys = [cname]
            elif i == 0 and pk_kind == "text":
                parts += ["NOT NULL PRIMARY KEY" if draw(st.booleans()) else "PRIMARY KEY"]
                keys = [cname]
            elif i == len(cols) - 1 and i >= 2 and draw(st.booleans()):
                expr = f"{q(cols[1])} || 'x'" if ctype in ("TEXT", "ANY") else f"length({q(cols[1])})"
                parts += [f"GENERATED ALWAYS AS ({expr}) {draw(st.sampled_from(['VIRTUAL', 'STORED']))}"]
                defs.append(" ".join(parts))
                continue
            else:
                if draw(st.booleans()):
                    parts.append("NOT NULL")
                parts.append(draw(st.sampled_from(DEFAULTS)).strip())
                if draw(st.integers(0, 3)) == 0:
                    parts.append("UNIQUE")
                if draw(st.integers(0, 3)) == 0:
                    parts.append(f"CHECK ({q(cname)} IS NOT 'bad')")
                if draw(st.integers(0, 3)) == 0:
                    parts.append(f"COLLATE {draw(st.sampled_from(['NOCASE', 'RTRIM', 'BINARY']))}")
                parent = draw(st.sampled_from(tables)) if tables and draw(st.booleans()) else None
                if parent and len(parent[2]) == 1:
                    parts.append(f"REFERENCES {q(parent[0])} ({q(parent[2][0])}){draw(st.sampled_from(ACTIONS))}")
            defs.append(" ".join(p for p in parts if p))
        plain = [c for c in cols[1:] if "GENERATED" not in defs[cols.index(c)]]
        if pk_kind == "composite":
            keys = cols[:2]
            constraints.append(f"PRIMARY KEY ({q(cols[0])}, {q(cols[1])})")
        if len(plain) >= 2 and draw(st.booleans()):
            constraints.append(f"UNIQUE ({q(plain[0])}, {q(plain[1])})")
        composite_parents = [t for t in tables if len(t[2]) == 2]
        if composite_parents and len(plain) >= 2 and draw(st.booleans()):
            parent = draw(st.sampled_from(composite_parents))
            constraints.append(f"FOREIGN KEY ({q(plain[0])}, {q(plain[1])}) REFERENCES {q(parent[0])} "
                               f"({q(parent[2][0])}, {q(parent[2][1])}){draw(st.sampled_from(ACTIONS))}")
        if draw(st.booleans()):
            constraints.append(f"CHECK ({q(cols[0])} IS NOT NULL OR {q(cols[1])} IS NULL)")
        options = ", ".join(o for o, on in (("STRICT", strict), ("WITHOUT ROWID", without_rowid)) if on)
        suffix = f" {options}" if options else ""
        statements.append(f"CREATE TABLE {q(tname)} ({', '.join(defs + constraints)}){suffix}")
        tables.append((tname, cols, keys))
        for n in range(draw(st.integers(0, 2))):
            iname = f"ix_{len(statements)}_{n}"
            term = draw(st.sampled_from([q(cols[0]), f"{q(cols[1])} DESC", f"{q(cols[0])} COLLATE NOCASE",
                                         f"lower({q(cols[1])})", f"{q(cols[0])}, {q(cols[1])} DESC"]))
            where = draw(st.sampled_from(["", f" WHERE {q(cols[1])} IS NOT NULL"]))
            unique = draw(st.sampled_from(["", "UNIQUE "]))
            statements.append(f"CREATE {unique}INDEX {q(iname)} ON {q(tname)} ({term}){where}")
    first = tables[0]
    if draw(st.booleans()):
        statements.append(f"CREATE VIEW {q('v ' + first[0])} AS SELECT {q(first[1][0])} FROM {q(first[0])}")
    if draw(st.booleans()):
        statements.append(f"CREATE TRIGGER {q('tr ' + first[0])} AFTER DELETE ON {q(first[0])} BEGIN "
                          f"SELECT 1; END")
    return statements


def build(db: Path, statements: list[str]) -> bool:
    conn = sqlite3.connect(db)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(statements=schemas())
def test_any_database_snapshot_heals_into_the_same_schema(tmp_path_factory: Any, statements: list[str]) -> None:
    source_dir = tmp_path_factory.mktemp("source")
    source = source_dir / "app.db"
    assume(build(source, statements))  # a combination SQLite refuses is no database to snapshot
    notes: list[str] = []
    entry = database_entry(read_live(source), notes)
    assert not [n for n in notes if "cannot be declared" in n or "left out" in n], notes
    doc = {"version": 1, "databases": {"app.db": entry}}
    fresh = tmp_path_factory.mktemp("fresh")
    for folder in (fresh, source_dir):
        (folder / "schema.json").write_text(json.dumps(doc))
    report = heal(fresh)
    assert report.exit_code == 0, [f for f in report.findings if f.status.value != "ok"]
    assert schema_facts(fresh / "app.db") == schema_facts(source), statements
    for folder in (fresh, source_dir):
        report = heal(folder, mode=Mode.CHECK)
        assert report.exit_code == 0, (statements, [f for f in report.findings if f.status.value != "ok"])
