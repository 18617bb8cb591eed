"""Apply a plan to an SQLite file inside the open transaction: run it, verify rows, references, the
result and integrity, then commit; any doubt raises HealFailed and the caller rolls back."""

from __future__ import annotations

import sqlite3

from selfheal.engines.sqlite import catalog
from selfheal.model import Database, fold
from selfheal.planning.facts import refused_values, row_facts
from selfheal.planning.ops import (
    AddColumn,
    AddColumnsInBulk,
    CreateTable,
    CreateTrigger,
    CreateView,
    InsertRows,
    Op,
    RebuildTable,
    RebuildTablesInBulk,
    op_tables,
    op_target,
)
from selfheal.planning.plan import STRICT_TYPES, Facts, FactsNeeded, facts_needed, plan
from selfheal.planning.sql import quote_ident, quote_literal
from selfheal.safety.sqlitefile import error_text, quick_check


class HealFailed(Exception):
    """A heal was rolled back; the message says why."""


def gather_facts(conn: sqlite3.Connection, needed: FactsNeeded) -> Facts:
    """Answer the planner's questions about rows with a query each."""
    nonempty, clashes = row_facts(conn, needed)
    parent_rows = frozenset(
        (fold(parent), fold(column), value) for parent, column, value in needed.parent_values
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(needed.table_now(parent))} WHERE "
                        f"{quote_ident(needed.column_now(parent, column))} = {value})").fetchone()[0]
    )
    seed_rows = {}
    for table, key_cols, key, readable in needed.seeds:
        where = " AND ".join(f"{quote_ident(needed.column_now(table, c))} IS ?" for c in key_cols)
        selected = ", ".join(quote_ident(needed.column_now(table, c)) for c in readable) or "1"
        row = conn.execute(f"SELECT {selected} FROM {quote_ident(needed.table_now(table))} WHERE {where}",
                           key).fetchone()
        if row is not None:
            seed_rows[(fold(table), key)] = {fold(c): v for c, v in zip(readable, row, strict=False)}
    refused = refused_values(conn, needed, (sqlite3.Error, sqlite3.Warning))
    refused.update(_strict_refusals(conn, needed, refused))
    return Facts(nonempty=nonempty, clashes=clashes, parent_rows=parent_rows, seed_rows=seed_rows,
                 refused_values=refused)


def _strict_refusals(conn: sqlite3.Connection, needed: FactsNeeded, known: dict[tuple[str, str], str]
                     ) -> dict[tuple[str, str], str]:
    """New columns of STRICT tables with rows whose default SQLite would not store in the column's type
    (asked of an in-memory STRICT table: '12' is an INTEGER there, 'abc' is not)."""
    out = {}
    for q in needed.values:
        key = (fold(q.table), fold(q.column))
        if not q.strict or key in known or q.type.upper() not in STRICT_TYPES:
            continue
        if not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(needed.table_now(q.table))})").fetchone()[0]:
            continue
        memory = sqlite3.connect(":memory:")
        try:
            memory.execute(f"CREATE TABLE probe (x {q.type} DEFAULT {q.default}) STRICT")
            memory.execute("INSERT INTO probe DEFAULT VALUES")
        except (sqlite3.Error, sqlite3.Warning) as exc:
            out[key] = (f"cannot be added: its default {q.default} is not a {q.type.upper()} value, which the "
                        f"STRICT table {q.table} refuses ({exc})")
        finally:
            memory.close()
    return out


def apply_plan(conn: sqlite3.Connection, desired: Database, label: str, ops: list[Op], facts: Facts) -> None:
    """Run the operations in one transaction, verify the result, commit; roll back on any doubt."""
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")
    watched = _fk_watch(conn, ops)
    fk_before = _fk_violations(conn, watched)
    rows_before = {name: _count(conn, name) for name in _rebuilt(ops)}
    for op in ops:
        for statement in op.statements():
            if statement == "PRAGMA schema_version = <current + 1>":
                # bump past the current value so every connection re-reads the rewritten schema
                statement = f"PRAGMA schema_version = {conn.execute('PRAGMA schema_version').fetchone()[0] + 1}"
            before = conn.total_changes
            try:
                inserted = conn.execute(statement).rowcount
            except sqlite3.Error as exc:  # unforeseen: name the object and the statement, then roll back
                shown = " ".join(statement.split())
                raise HealFailed(f"{op_target(label, op)}: SQLite refused {shown[:160]}"
                                 f"{'…' if len(shown) > 160 else ''}: {error_text(exc)}") from exc
            if isinstance(op, InsertRows) and conn.total_changes - before != max(inserted, 0):
                raise HealFailed(f"inserting a seed row into {op.table} made its triggers change "
                                 f"{conn.total_changes - before - max(inserted, 0)} other row(s); healing only adds")
    for table, count in rows_before.items():
        if _count(conn, table) != count:
            raise HealFailed(f"row count of {table} changed during the rebuild")
    new_violations = _fk_violations(conn, watched) - fk_before
    if new_violations:
        raise HealFailed(f"the change would break {len(new_violations)} foreign key reference(s)")
    after = catalog.read(conn, label)
    leftover = plan(desired, after, gather_facts(conn, facts_needed(desired, after)), label)
    if leftover.ops:
        raise HealFailed("the database still differs after healing: " + ", ".join(
            op_target(label, op) for op in leftover.ops))
    _reindex_changed_meaning(conn, after, ops)
    changed = {name for op in ops if not isinstance(op, (CreateTable, CreateView, CreateTrigger))
               for name in op_tables(op)}
    for table in sorted(changed):
        problem = conn.execute(f"PRAGMA integrity_check({quote_literal(table)})").fetchone()[0]
        if problem != "ok":
            raise HealFailed(f"integrity_check of {table} failed after the change: {problem}")
    problem = quick_check(conn)
    if problem:
        raise HealFailed(f"quick_check failed after the change: {problem}")
    conn.execute("COMMIT")


def _reindex_changed_meaning(conn: sqlite3.Connection, after: Database, ops: list[Op]) -> None:
    """REINDEX indexes that name a column this heal added: before it, SQLite read that name as a string.

    (`CREATE INDEX ix ON t("b")` without a column b indexes the text 'b'; once b exists, the same SQL
    means the column, and the stored index no longer matches its definition.)"""
    added: dict[str, set[str]] = {}
    for op in ops:
        if isinstance(op, AddColumn):
            added.setdefault(fold(op.table), set()).add(fold(op.column.name))
        elif isinstance(op, AddColumnsInBulk):
            for live, cols in op.tables:
                added.setdefault(fold(live.name), set()).update(fold(c.name) for c in cols)
    for table_key, names in added.items():
        table = after.table(table_key)
        for index in table.indexes if table else ():
            if index.sql and any(name in fold(index.sql) for name in names):
                conn.execute(f"REINDEX main.{quote_ident(index.name or '')}")  # main.: never a collation


def _rebuilt(ops: list[Op]) -> list[str]:
    """Names of the tables the operations rebuild."""
    return [name for op in ops if isinstance(op, (RebuildTable, RebuildTablesInBulk)) for name in op_tables(op)]


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {quote_ident(table)}").fetchone()[0])


def _fk_watch(conn: sqlite3.Connection, ops: list[Op]) -> list[str]:
    """Tables whose foreign keys a change could break: rebuilt ones, their children, new references."""
    rebuilt = _rebuilt(ops)
    watched = set(rebuilt)
    watched.update(op.table for op in ops if isinstance(op, AddColumn) and op.column.references)
    if rebuilt:  # their children, found in one pass over every foreign key (not one pass per parent)
        parents = {fold(name) for name in rebuilt}
        watched.update(child for child, parent in conn.execute(
            "SELECT DISTINCT m.name, f.\"table\" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f "
            "WHERE m.type = 'table'") if fold(parent) in parents)
    return sorted(watched)


def _fk_violations(conn: sqlite3.Connection, tables: list[str]) -> set[tuple[object, ...]]:
    """(table, rowid, parent, child columns) of every broken reference.

    foreign_key_check's own id numbers a table's keys and shifts when a key is added, so a key is
    named by its columns: an old violation then never looks new."""
    found: set[tuple[object, ...]] = set()
    for table in tables:
        columns: dict[int, list[str]] = {}
        for fk_id, col in conn.execute(f"SELECT id, \"from\" FROM pragma_foreign_key_list({quote_literal(table)}) "
                                       "ORDER BY id, seq"):
            columns.setdefault(fk_id, []).append(fold(col))
        try:
            checked = conn.execute(f"PRAGMA foreign_key_check({quote_ident(table)})").fetchall()
        except sqlite3.OperationalError as exc:  # "foreign key mismatch": the table's keys cannot be checked
            found.add((fold(table), None, error_text(exc), ()))
            continue
        for child, rowid, parent, fk_id in checked:
            found.add((fold(child), rowid, fold(parent), tuple(columns.get(fk_id, ()))))
    return found
