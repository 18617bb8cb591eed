"""The planner: a pure function from (declared, live) database to additive operations and findings."""

from __future__ import annotations

import re
from typing import Optional

from selfheal.findings import Finding, Status, command
from selfheal.model import Column, Database, Default, Table, fold
from selfheal.planning import constraints, sql
from selfheal.planning.base import SQLITE, Capabilities, Plan, free_name
from selfheal.planning.compare import column_differences
from selfheal.planning.facts import (
    NO_FACTS,
    Facts,
    FactsNeeded,
    ParentValue,
    clash_key,
    column_pairs,
    facts_needed,
    fixed_reference,
    is_null,
    needs_value,
)
from selfheal.planning.objects import plan_indexes, plan_rows, plan_views_and_triggers
from selfheal.planning.ops import (
    AddColumn,
    AddColumnsInBulk,
    CreateTable,
    InsertRows,
    Op,
    RebuildTable,
    RebuildTablesInBulk,
)
from selfheal.planning.renames import declares_renames, plan_renames

__all__ = ["SQLITE", "Capabilities", "Plan", "Facts", "FactsNeeded", "ParentValue", "column_pairs", "facts_needed",
           "plan"]

STRICT_TYPES = frozenset({"INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"})
BULK_ADD_COLUMNS = 32  # from this many ADD COLUMNs in one file, the bulk rewrite beats ALTER TABLE
BULK_REBUILDS = 8  # from this many rebuilds in one file, one schema update renames them all

# ---------------------------------------------------------------- plan


def plan(desired: Database, actual: Optional[Database], facts: Facts = NO_FACTS, label: str = "",
         engine: Capabilities = SQLITE) -> Plan:
    """Compare a declared database with the live one; additive operations only."""
    label = label or desired.path
    result = Plan(create_file=actual is None)
    renaming = actual is not None and declares_renames(desired)
    if renaming and actual is not None:  # first, and the rest is planned over the database as renamed
        actual, result.ops, result.findings = plan_renames(desired, actual, label)
    live_tables = actual.tables if actual else ()
    live_names = actual.object_names if actual else frozenset()
    # names chosen here (default index names, a rebuild's temporary name) avoid every existing object
    # and every name the declaration gives, wherever in the file it stands
    taken = set(live_names) | {fold(t.name) for t in desired.tables}
    taken.update(fold(i.name) for t in desired.tables for i in t.indexes if i.name)
    keys = _live_parent_keys(actual)
    if keys is not None and actual is not None:
        keys |= _keys_this_plan_adds(desired, actual, facts)
    seeds: list[Op] = []
    for table in desired.tables:
        live = actual.table(table.name) if actual else None
        if live is None:
            result.ops.append(CreateTable(table))
            plan_indexes(table, None, facts, label, taken, live_names, result)
            if table.rows:
                seeds.append(InsertRows(table.name, table.primary_key, table.rows))
        else:
            added = _plan_columns(table, live, facts, label, taken, keys, result, engine)
            plan_indexes(table, live, facts, label, taken, live_names, result, added, engine)
            seeds.extend(plan_rows(table, live, added, facts, label, result))
    if engine.bulk_add_columns and not renaming:
        # a bulk edit rewrites each table's stored SQL as read before the heal: never after a rename in it
        _bulk_add_columns(result, {fold(t.name): t for t in live_tables})
        _bulk_rebuilds(result)
    result.ops.extend(seeds)  # rows go in once every table and column they need exists
    plan_views_and_triggers(desired, actual, label, live_names, result)  # behaviour last
    for live in live_tables:
        if desired.table(live.name) is None:
            result.findings.append(Finding("db.table", f"{label}:{live.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
    return result


def _bulk_add_columns(result: Plan, live_by_name: dict[str, Table]) -> None:
    """Fold many ADD COLUMNs into one AddColumnsInBulk, placed where the first one was."""
    adds = [op for op in result.ops if isinstance(op, AddColumn)]
    if len(adds) < BULK_ADD_COLUMNS:
        return
    grouped: dict[str, list[Column]] = {}
    for op in adds:
        grouped.setdefault(fold(op.table), []).append(op.column)
    bulk = AddColumnsInBulk(tuple((live_by_name[key], tuple(cols)) for key, cols in grouped.items()))
    first = result.ops.index(adds[0])
    result.ops = [op for op in result.ops if not isinstance(op, AddColumn)]
    result.ops.insert(first, bulk)


def _bulk_rebuilds(result: Plan) -> None:
    """Fold many rebuilds into one RebuildTablesInBulk, placed where the first one was."""
    rebuilds = [op for op in result.ops if isinstance(op, RebuildTable)]
    if len(rebuilds) < BULK_REBUILDS:
        return
    first = result.ops.index(rebuilds[0])
    result.ops = [op for op in result.ops if not isinstance(op, RebuildTable)]
    result.ops.insert(first, RebuildTablesInBulk(tuple(rebuilds)))


def _live_parent_keys(actual: Optional[Database]) -> Optional[set[tuple[str, str]]]:
    """(table, column) pairs a foreign key may point at in the live file (None: no file yet)."""
    if actual is None:
        return None
    keys = set()
    for table in actual.tables:
        if len(table.primary_key) == 1:
            keys.add((fold(table.name), fold(table.primary_key[0])))
        keys.update((fold(table.name), fold(i.columns[0] or "")) for i in table.indexes
                    if i.unique and not i.partial and len(i.columns) == 1 and i.columns[0])
    keys.update((name, "") for name in actual.object_names)  # a table to come may not reuse a live name
    return keys


def _keys_this_plan_adds(desired: Database, actual: Database, facts: Facts) -> set[tuple[str, str]]:
    """Parent keys this same heal creates (a missing primary key column of an empty table, a unique
    index nothing blocks), so a reference to them is planned alike before and after the heal."""
    keys = set()
    for table in desired.tables:
        live = actual.table(table.name)
        if live is None:
            continue
        if (len(table.primary_key) == 1 and live.column(table.primary_key[0]) is None and not live.primary_key
                and fold(live.name) not in facts.nonempty):
            keys.add((fold(live.name), fold(table.primary_key[0])))
        for index in table.indexes:
            if index.unique and len(index.columns) == 1 and index.columns[0]:
                key = clash_key(table, live, index)
                if key is None or not facts.clashes.get(key, 0):
                    keys.add((fold(live.name), fold(index.columns[0])))
    return keys


def _missing_parent_key(column: Column, keys: Optional[set[tuple[str, str]]]) -> bool:
    """True when a new reference column would point at a live table column that is no key there."""
    if column.references is None or keys is None:
        return False
    parent, parent_col = fold(column.references[0]), fold(column.references[1])
    return (parent, "") in keys and (parent, parent_col) not in keys


def _plan_columns(table: Table, live: Table, facts: Facts, label: str, taken: set[str],
                  keys: Optional[set[tuple[str, str]]], result: Plan, engine: Capabilities = SQLITE) -> set[str]:
    """Plan the missing columns of a live table; return the folded names of those that will be added."""
    pairs = column_pairs(table, live)
    missing = [c for c, have in pairs if have is None]
    declared_pk = {fold(c) for c in table.primary_key}
    rebuild: list[Column] = []
    alter: list[Column] = []
    inline_pk = None
    for column in missing:
        refusal = _why_not_added(column, table, live, facts, keys, declared_pk)
        if refusal is not None:
            message, hint = refusal
            result.findings.append(Finding("db.column", f"{label}:{live.name}.{column.name}", Status.ERROR, message,
                                           hint=hint))
        elif fold(column.name) in declared_pk:
            inline_pk = column.name
            rebuild.append(column)
        elif not engine.alter_adds_any_column and _alter_cannot_add(column):
            rebuild.append(column)
        else:
            alter.append(column)
    rowid = "" if live.without_rowid or inline_pk or _rowid_is_a_column(live) else sql.rowid_alias(
        [c.name for c in live.columns] + [c.name for c in rebuild + alter])
    if rebuild and rowid is None:
        for column in rebuild + alter:
            result.findings.append(Finding(
                "db.column", f"{label}:{live.name}.{column.name}", Status.ERROR,
                "cannot be added: the table must be rebuilt, and columns named rowid, _rowid_ and oid hide its "
                "row ids, which a rebuild must keep", hint="add the column by hand, or rename one of those columns"))
        rebuild, alter = [], []
    if rebuild:
        # one rebuild adds every missing column of the table at once, in declared order
        adding = {id(c) for c in rebuild + alter}
        result.ops.append(RebuildTable(live, tuple(c for c in missing if id(c) in adding), inline_pk,
                                       free_name(f"{live.name}__selfheal_old", taken), rowid or ""))
    else:
        result.ops.extend(AddColumn(live.name, c) for c in alter)
    result.findings.extend(_existing_columns(table, live, pairs, label, declared_pk, engine))
    return {fold(c.name) for c in rebuild + alter}


def _why_not_added(column: Column, table: Table, live: Table, facts: Facts, keys: Optional[set[tuple[str, str]]],
                   declared_pk: set[str]) -> Optional[tuple[str, str]]:
    """(message, hint) when a missing column cannot be added to the live table; None when it can."""
    if fold(column.name) in declared_pk:
        if live.primary_key or len(table.primary_key) > 1 or fold(live.name) in facts.nonempty:
            return ("primary key column is missing and cannot be added to an existing key or to a table with rows",
                    "migrate this table by hand (create the new table, copy the rows, swap the names)")
        return None
    if needs_value(column) and fold(live.name) in facts.nonempty:
        return ("NOT NULL column without a default cannot be added to a table that has rows",
                "declare a default for it in schema.json, or add and fill the column by hand")
    if live.strict and column.type.upper() not in STRICT_TYPES:
        return (f"cannot be added: type {column.type or '(none)'} is not allowed in the STRICT table {live.name} "
                "(it takes INT, INTEGER, REAL, TEXT, BLOB or ANY)", "declare one of those types for the column")
    if _missing_parent_key(column, keys):
        parent, parent_col = column.references  # type: ignore[misc]
        return (f"cannot be added: it references {parent}.{parent_col}, which in the database is neither the primary "
                "key nor a unique column (SQLite would refuse every write to the table: foreign key mismatch)",
                f"resolve {parent}'s own findings first (its key column or unique index), then heal again")
    if _breaks_reference(column, live, facts):
        parent, parent_col, value = fixed_reference(column)  # type: ignore[misc]
        return (f"cannot be added: its default {value} is not a value of {parent}.{parent_col}, so every existing "
                "row would break the reference",
                f"declare a default that exists in {parent}.{parent_col}, or no default (NULL)")
    refused = facts.refused_values.get((fold(live.name), fold(column.name)))
    if refused:
        return refused, "declare a default every existing row can take (or none), or add and fill it by hand"
    return None


def _existing_columns(table: Table, live: Table, pairs: list[tuple[Column, Optional[Column]]], label: str,
                      declared_pk: set[str], engine: Capabilities) -> list[Finding]:
    """Drift of the columns both sides have, the live ones not declared, constraints and the primary key."""
    out = []
    for column, have in pairs:
        if have is not None:
            target = f"{label}:{live.name}.{have.name}"
            out.extend(_column_drift(column, have, fold(column.name) in declared_pk, target))
    everyone_matched = len(pairs) == len(live.columns) and all(have is not None for _, have in pairs)
    for have in () if everyone_matched else live.columns:
        if table.column(have.name) is None and not have.hidden:
            out.append(Finding("db.column", f"{label}:{live.name}.{have.name}", Status.OK,
                               "exists but is not declared (left untouched)", notable=True))
    out.extend(_constraint_drift(table, live, label, engine.live_sql))
    if table.primary_key and live.primary_key and [fold(c) for c in table.primary_key] != [
            fold(c) for c in live.primary_key]:
        out.append(Finding(
            "db.table", f"{label}:{live.name}", Status.WARNING,
            f"primary key is ({', '.join(live.primary_key)}), declared ({', '.join(table.primary_key)})",
            hint=f"heal never changes a primary key: {command('migrate')} writes the rebuild to review, "
                 "or update schema.json"))
    return out


def _rowid_is_a_column(live: Table) -> bool:
    """True when the table has an INTEGER PRIMARY KEY: copying that column copies the row ids."""
    if len(live.primary_key) != 1:
        return False
    column = live.column(live.primary_key[0])
    return column is not None and column.type.upper() == "INTEGER"


def _breaks_reference(column: Column, live: Table, facts: Facts) -> bool:
    """True when a new reference column's default names no parent row while the table has rows."""
    value = fixed_reference(column)
    if value is None or fold(live.name) not in facts.nonempty:
        return False
    return (fold(value[0]), fold(value[1]), value[2]) not in facts.parent_rows


_ALTER_REFUSES = re.compile(r"\b(UNIQUE|PRIMARY|GENERATED|AS)\b", re.IGNORECASE)


def _alter_cannot_add(column: Column) -> bool:
    """True when ALTER TABLE ADD COLUMN refuses this column on a table with rows."""
    if needs_value(column):
        return True
    if column.unique or column.stored or (column.definition and _ALTER_REFUSES.search(
            sql.code_only(column.definition))):
        return True  # UNIQUE, PRIMARY KEY and STORED generated columns: only a rebuild adds them
    if column.default is not None and column.default.sql and not _is_constant_literal(column.default):
        return True
    return column.references is not None and column.default is not None and not is_null(column.default)


def _is_constant_literal(default: Default) -> bool:
    text = sql.default_sql(default)
    return not text.startswith("(") and text.upper() not in {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"}


def _column_drift(declared: Column, live: Column, is_pk: bool, target: str) -> list[Finding]:
    diffs = column_differences(declared, live, is_pk)
    if not diffs:
        return []
    text = "; ".join(f"{aspect} is {actual}, declared {want}" if aspect != "NOT NULL" else f"{actual}, declared {want}"
                     for aspect, want, actual in diffs)
    return [Finding("db.column", target, Status.WARNING, "differs from schema.json: " + text,
                    hint=f"heal never retypes or alters existing columns: {command('migrate')} writes the SQL to "
                         "review (then --apply), or update schema.json")]


def _constraint_drift(table: Table, live: Table, label: str, by_text: bool = True) -> list[Finding]:
    """A warning per column or table whose declared constraints the database lacks or has otherwise
    (never changed); constraints only the database has are reported as information."""
    grouped: dict[tuple[Optional[str], bool], list[str]] = {}
    for diff in constraints.differences(table, live, by_text):
        text = (f"{diff.aspect} {diff.actual}" if diff.extra else
                f"{diff.aspect} is {diff.actual}, declared {diff.declared}")
        grouped.setdefault((diff.column, diff.extra), []).append(text)
    out = []
    for (column, extra), texts in grouped.items():
        check = "db.column" if column else "db.table"
        target = f"{label}:{live.name}" + (f".{column}" if column else "")
        if extra:
            out.append(Finding(check, target, Status.OK, "has constraints schema.json does not declare (kept): "
                               + "; ".join(texts), notable=True))
        else:
            out.append(Finding(check, target, Status.WARNING,
                               "constraint differs from schema.json: " + "; ".join(texts),
                               hint=f"heal never changes the constraints of an existing table: {command('migrate')} "
                                    "writes the rebuild to review (then --apply), or update schema.json"))
    return out


