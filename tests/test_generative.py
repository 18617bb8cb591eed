"""Generated states a user's files can really be in, with the invariants selfheal promises.

1. Random declarations over random pre-existing, populated databases (hostile names, every kind
   of default, rows that violate constraints still to be added, undeclared tables, views and
   triggers): every row and value kept, extras untouched, integrity_check ok, foreign keys no
   worse, the errors heal leaves are exactly those --dry-run predicted, a second heal does nothing.
2. Damaged files (flipped bytes, truncation, zeroed pages, junk journals, stale WAL files): never
   an internal error, never a write to a damaged file, --restore never replaces a sound one.

Example counts come from the hypothesis profile (tests/conftest.py): small for `invoke test --fast`,
larger in CI.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from selfheal.context import Mode
from selfheal.findings import Finding, Status
from selfheal.planning import plan as plan_module
from selfheal.planning.sql import quote_ident, rowid_alias

from .helpers import heal, write_schema

HOSTILE = ["id", "rowid", "oid", "_rowid_", "select", "order", "group by", 'a"b', "a'b", "[x]", "`y`", "名前",
           "Ünï", "sp ace", "line\nbreak", "idx_t_x", "t__selfheal_old", "AUTOINCREMENT", "x", "X2", "-- c", "/*"]
NAMES = st.one_of(st.sampled_from(HOSTILE), st.text("abcdefgh_", min_size=1, max_size=6))
TYPES = st.sampled_from(["TEXT", "INTEGER", "REAL", "DATETIME", "BLOB", "NUMERIC(10, 2)", "VARCHAR(20)"])
LITERALS = st.one_of(st.none(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False, width=32),
                     st.sampled_from(["", "x", "it's", "AUTOINCREMENT", "-- no"]), st.booleans())
DEFAULTS = st.one_of(st.just("absent"), LITERALS,
                     st.sampled_from([{"sql": "CURRENT_TIMESTAMP"}, {"sql": "(1 + 1)"}, {"sql": "NULL"}]))
VALUES = st.one_of(st.none(), st.integers(-2, 2), st.sampled_from(["a", "b", "it's", ""]), st.just(b"\x00\xff"))


def folded(name: str) -> str:
    return name.lower()


@st.composite
def declarations(draw: Any) -> dict[str, Any]:
    """A schema.json `tables` object: hostile names, defaults, keys, indexes, references."""
    table_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=folded))
    tables: dict[str, Any] = {}
    pk_tables: list[tuple[str, str]] = []
    for tname in table_names:
        col_names = draw(st.lists(NAMES, min_size=1, max_size=5, unique_by=folded))
        cols: dict[str, Any] = {}
        pk = None
        if draw(st.booleans()):
            pk = col_names[0]
        for cname in col_names:
            spec: dict[str, Any] = {"type": "INTEGER" if cname == pk else draw(TYPES)}
            if cname == pk:
                spec["primary_key"] = True
            else:
                spec["not_null"] = draw(st.booleans())
                default = draw(DEFAULTS)
                if default != "absent":
                    spec["default"] = default
                rule = draw(st.integers(0, 9))
                if rule == 0:
                    spec["unique"] = True  # a shared default then clashes over two rows or more
                elif rule == 1:
                    spec["check"] = f"{quote_ident(cname)} IS NOT 0"  # which a default of 0 fails
                if pk_tables and draw(st.integers(0, 4)) == 0:
                    parent, parent_col = draw(st.sampled_from(pk_tables))
                    spec["type"] = "INTEGER"
                    spec["references"] = f"{parent}.{parent_col}"
                    spec["default"] = draw(st.sampled_from([None, 1, 2]))
            cols[cname] = spec
        indexes = []
        for _ in range(draw(st.integers(0, 2))):
            chosen = draw(st.lists(st.sampled_from(col_names), min_size=1, max_size=2, unique_by=folded))
            index: dict[str, Any] = {"columns": chosen, "unique": draw(st.booleans())}
            indexes.append(index)
        tables[tname] = {"columns": cols, "indexes": indexes}
        if pk is not None:
            pk_tables.append((tname, pk))
    return tables


def column_sql(name: str, spec: dict[str, Any], inline_pk: bool) -> str:
    parts = [quote_ident(name), spec["type"]]
    if inline_pk:
        parts.append("PRIMARY KEY")
    if spec.get("not_null"):
        parts.append("NOT NULL DEFAULT 0")  # an existing NOT NULL column needs a value for every row
    return " ".join(parts)


@st.composite
def existing_databases(draw: Any, tables: dict[str, Any]) -> list[str]:
    """SQL that builds a pre-existing, populated database: part of the declaration and some extras."""
    out: list[str] = []
    for tname, body in tables.items():
        if not draw(st.booleans()):
            continue
        cols = body["columns"]
        keep = [c for c in cols if draw(st.booleans())] or [next(iter(cols))]
        defs = [column_sql(c, cols[c], cols[c].get("primary_key", False)) for c in keep]
        if draw(st.integers(0, 3)) == 0:
            defs.append('"undeclared col" TEXT')
        out.append(f"CREATE TABLE {quote_ident(tname)} ({', '.join(defs)})")
        names = ", ".join(quote_ident(c) for c in keep)
        for i in range(draw(st.integers(0, 5))):
            values = []
            for c in keep:
                if cols[c].get("primary_key"):
                    values.append(str(i + 1))
                else:
                    value = draw(VALUES)
                    values.append(_literal(0 if value is None and cols[c].get("not_null") else value))
            out.append(f"INSERT INTO {quote_ident(tname)} ({names}) VALUES ({', '.join(values)})")
    out.append("CREATE TABLE zz_extra (q TEXT)")
    out.append("INSERT INTO zz_extra VALUES ('keep me')")
    if draw(st.booleans()):
        out.append("CREATE VIEW zz_view AS SELECT q FROM zz_extra")
    if draw(st.booleans()):
        out.append("CREATE TRIGGER zz_trigger AFTER INSERT ON zz_extra BEGIN SELECT 1; END")
    return out


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@st.composite
def scenarios(draw: Any) -> tuple[dict[str, Any], list[str]]:
    tables = draw(declarations())
    return tables, draw(existing_databases(tables))


def snapshot_rows(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, with its rowid, keyed by table."""
    out = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"):
        cols = [r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (name,))]
        alias = rowid_alias(cols)
        selected = ", ".join([alias or "NULL"] + [quote_ident(c) for c in cols])
        out[name] = sorted(conn.execute(f"SELECT {selected} FROM {quote_ident(name)}").fetchall(), key=repr)
    return out


def columns_of(conn: sqlite3.Connection) -> dict[str, list[str]]:
    return {name: [r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (name,))]
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def foreign_key_problems(conn: sqlite3.Connection) -> dict[str, Any]:
    """Broken references per table, or "mismatch" where SQLite cannot check them at all."""
    out: dict[str, Any] = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        try:
            out[name] = len(conn.execute(f"PRAGMA foreign_key_check({quote_ident(name)})").fetchall())
        except sqlite3.OperationalError:
            out[name] = "mismatch"
    return out


def errors(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.check, f.target) for f in findings if f.status is Status.ERROR}


DOCUMENTED_ERRORS = ("cannot be added", "cannot create the index", "unique index blocked", "NOT NULL column",
                     "primary key column is missing", "cannot create index")


@pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
def test_heal_any_pre_existing_database(tmp_path_factory: Any, scenario: tuple[dict[str, Any], list[str]],
                                        bulk: bool) -> None:
    """`bulk`: every rebuild and every added column goes through the one-schema-update paths that
    otherwise start at BULK_REBUILDS / BULK_ADD_COLUMNS changes in a file."""
    limits = (plan_module.BULK_REBUILDS, plan_module.BULK_ADD_COLUMNS)
    if bulk:
        plan_module.BULK_REBUILDS = plan_module.BULK_ADD_COLUMNS = 1
    try:
        heal_scenario(tmp_path_factory, scenario)
    finally:
        plan_module.BULK_REBUILDS, plan_module.BULK_ADD_COLUMNS = limits


def heal_scenario(tmp_path_factory: Any, scenario: tuple[dict[str, Any], list[str]]) -> None:
    tables, statements = scenario
    folder: Path = tmp_path_factory.mktemp("gen")
    write_schema(folder, {"databases": {"p.db": {"tables": tables}}})
    db = folder / "p.db"
    conn = sqlite3.connect(db)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    except sqlite3.Error:
        assume(False)  # e.g. a declared type SQLite reads differently: not a state a user's file can be in
    before_rows = snapshot_rows(conn)
    before_columns = columns_of(conn)
    others = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger')").fetchall()
    fk_before = foreign_key_problems(conn)
    conn.close()

    dry = heal(folder, mode=Mode.DRY_RUN)
    predicted = {(f.check, f.target) for f in dry.findings if f.status is Status.ERROR and not f.action}
    planned = {(f.check, f.target) for f in dry.findings if f.status is Status.ERROR and f.action}
    healed = heal(folder)
    for finding in healed.findings:
        if finding.status is Status.ERROR:
            assert finding.message.startswith(DOCUMENTED_ERRORS) or "cannot create index" in finding.message, finding
    assert errors(healed.findings) == predicted, (dry.findings, healed.findings)
    made = {(f.check, f.target) for f in healed.findings if f.status is Status.HEALED and f.check != "db.backup"}
    assert made == planned, (planned ^ made)  # what the dry run said heal would do, heal did: no more, no less

    conn = sqlite3.connect(db)
    after_rows = snapshot_rows(conn)
    after_columns = columns_of(conn)
    for table, old_rows in before_rows.items():
        width = len(before_columns[table]) + 1
        old_names = before_columns[table]
        assert after_columns[table][: len(old_names)] == old_names  # columns only ever appended
        assert [r[:width] for r in after_rows[table]] == old_rows, table
    assert conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger')").fetchall() \
        == others
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    fk_after = foreign_key_problems(conn)
    assert {t: n for t, n in fk_after.items() if t in fk_before} == fk_before or healed.exit_code == 1
    assert all(n <= fk_before.get(t, 0) for t, n in fk_after.items() if n != "mismatch"), (fk_before, fk_after)
    # a new table may reference a live parent whose key is itself an error finding (fixed by hand)
    assert all(t not in fk_before for t, n in fk_after.items() if n == "mismatch") and (
        healed.exit_code == 1 or "mismatch" not in fk_after.values())
    conn.close()

    again = heal(folder, mode=Mode.CHECK)
    assert errors(again.findings) == predicted
    assert not [f for f in heal(folder).findings if f.status is Status.HEALED]


# ---------------------------------------------------------------- damaged files

SCHEMA = {"databases": {"app.db": {"tables": {"items": {"columns": {
    "id": {"type": "INTEGER", "primary_key": True}, "name": "TEXT", "note": "TEXT"},
    "indexes": [{"columns": ["name"]}]}}}}}


def populated(path: Path, wal: bool) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO items (name) VALUES (?)", [(f"item {i} " + "x" * 60,) for i in range(400)])
    conn.commit()
    conn.close()


DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 40_000), st.integers(1, 255)), min_size=1,
                                        max_size=8)),
    st.tuples(st.just("truncate"), st.integers(0, 40_000)),
    st.tuples(st.just("zero-page"), st.integers(0, 9)),
    st.tuples(st.just("junk-journal"), st.binary(min_size=1, max_size=600)),
    st.tuples(st.just("stale-wal"), st.binary(min_size=1, max_size=5000)),
)


def damage(db: Path, how: tuple[str, Any]) -> None:
    kind, arg = how
    data = bytearray(db.read_bytes())
    if kind == "flip":
        for offset, xor in arg:
            if offset < len(data):
                data[offset] ^= xor
        db.write_bytes(bytes(data))
    elif kind == "truncate":
        db.write_bytes(bytes(data[: min(arg, len(data))]))
    elif kind == "zero-page":
        page = int.from_bytes(data[16:18], "big") or 65536
        start = min(arg * page, max(0, len(data) - page))
        data[start:start + page] = bytes(page)
        db.write_bytes(bytes(data))
    elif kind == "junk-journal":
        Path(str(db) + "-journal").write_bytes(arg)
    else:
        Path(str(db) + "-wal").write_bytes(arg)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count_items(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # no such table: the file is an empty database
    finally:
        conn.close()


def sound(path: Path, check: str = "integrity_check") -> bool:
    """Whether SQLite can read the file read-only and the check passes (the file is not touched).

    A non-empty file without a whole SQLite header is damaged, whatever SQLite makes of it read-only."""
    head = path.read_bytes()[:100]
    if head and (len(head) < 100 or not head.startswith(b"SQLite format 3\x00")):
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute(f"PRAGMA {check}").fetchone()[0] == "ok"
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return False


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(how=DAMAGE, wal=st.booleans())
def test_damaged_files_end_in_a_clear_finding(tmp_path_factory: Any, how: tuple[str, Any], wal: bool) -> None:
    folder: Path = tmp_path_factory.mktemp("dmg")
    db = folder / "app.db"
    populated(db, wal)
    write_schema(folder, SCHEMA)
    assert heal(folder).exit_code == 0  # a good backup exists from here on
    committed = sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone()[0]
    damage(db, how)
    side_files = how[0] in ("junk-journal", "stale-wal")
    damaged_bytes = sha(db)
    was_sound = side_files or sound(db)
    quick_ok = side_files or sound(db, "quick_check")  # the contract's test of corruption on every run
    if was_sound and not side_files:
        committed = count_items(db)  # damage SQLite cannot see (unused bytes, a zero-length file) is the state

    for mode in (Mode.CHECK, Mode.HEAL):
        report = heal(folder, mode=mode)
        assert not [f for f in report.findings if f.check == "internal"]
        if not was_sound:
            assert sha(db) == damaged_bytes, "a damaged file was written to"
        if not quick_ok:
            assert report.exit_code == 1
    report = heal(folder, ("restore", "db"))
    restored = [f for f in report.findings if f.check == "db.restore" and f.status is Status.HEALED]
    if was_sound:
        assert not restored, "a sound database was replaced by a backup"
        assert count_items(db) == committed
    if restored:
        kept = list(folder.glob("app.db.corrupt-*"))
        assert [sha(k) for k in kept if not k.name.endswith(("-journal", "-wal", "-shm"))] == [damaged_bytes]
        assert sound(db)
