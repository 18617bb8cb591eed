"""The planner: a pure function from (declared, live) database to additive operations and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import sql
from .compare import column_differences, find_index
from .findings import Finding, Status
from .model import Column, Database, Default, Table, fold
from .ops import AddColumn, AddColumnsInBulk, CreateIndex, CreateTable, Op, RebuildTable

BULK_ADD_COLUMNS = 32  # from this many ADD COLUMNs in one file, the bulk rewrite beats ALTER TABLE

# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class Facts:
    """What the planner needs to know about the rows, gathered by the caller."""

    nonempty: frozenset[str] = frozenset()  # folded names of tables that hold rows
    clashes: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)  # rows blocking a unique index


@dataclass(frozen=True)
class FactsNeeded:
    """Questions about rows the planner will ask: which tables are empty, which unique keys clash."""

    emptiness: tuple[str, ...] = ()
    uniqueness: tuple[tuple[str, tuple[str, ...]], ...] = ()


def facts_needed(desired: Database, actual: Optional[Database]) -> FactsNeeded:
    """The row facts `plan` needs, so the caller can query only those."""
    if actual is None:
        return FactsNeeded()
    emptiness, uniqueness = [], []
    for table in desired.tables:
        live = actual.table(table.name)
        if live is None:
            continue
        pk = {fold(c) for c in table.primary_key}
        if any(live.column(c.name) is None and (_needs_value(c) or fold(c.name) in pk) for c in table.columns):
            emptiness.append(live.name)
        for index in table.indexes:
            if index.unique and all(live.column(c or "") for c in index.columns) and not find_index(live, index):
                cols = tuple(live.column(c or "").name for c in index.columns)  # type: ignore[union-attr]
                uniqueness.append((live.name, cols))
    return FactsNeeded(tuple(emptiness), tuple(uniqueness))


def _needs_value(column: Column) -> bool:
    """A NOT NULL column without a non-NULL default cannot be added to a table that has rows."""
    return column.not_null and (column.default is None or _is_null(column.default))


def _is_null(default: Default) -> bool:
    return default.value is None or (default.sql and str(default.value).strip().upper() == "NULL")


# ---------------------------------------------------------------- plan


@dataclass
class Plan:
    """Operations to run in one transaction, and findings about what will not be changed."""

    ops: list[Op] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    create_file: bool = False


def plan(desired: Database, actual: Optional[Database], facts: Facts = Facts(), label: str = "") -> Plan:
    """Compare a declared database with the live one; additive operations only."""
    label = label or desired.path
    result = Plan(create_file=actual is None)
    live_tables = actual.tables if actual else ()
    taken = {fold(t.name) for t in live_tables}
    for t in live_tables:
        taken.update(fold(i.name) for i in t.indexes if i.name)
    for table in desired.tables:
        live = actual.table(table.name) if actual else None
        if live is None:
            result.ops.append(CreateTable(table))
            _plan_indexes(table, None, facts, label, taken, result)
        else:
            added = _plan_columns(table, live, facts, label, taken, result)
            _plan_indexes(table, live, facts, label, taken, result, added)
    _bulk_add_columns(result, {fold(t.name): t for t in live_tables})
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


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while fold(name) in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(fold(name))
    return name


def _plan_columns(table: Table, live: Table, facts: Facts, label: str, taken: set[str], result: Plan) -> set[str]:
    """Plan the missing columns of a live table; return the folded names of those that will be added."""
    missing = [c for c in table.columns if live.column(c.name) is None]
    declared_pk = {fold(c) for c in table.primary_key}
    rebuild: list[Column] = []
    alter: list[Column] = []
    inline_pk = None
    for column in missing:
        target = f"{label}:{live.name}.{column.name}"
        if fold(column.name) in declared_pk:
            if live.primary_key or len(table.primary_key) > 1 or fold(live.name) in facts.nonempty:
                result.findings.append(Finding(
                    "db.column", target, Status.ERROR,
                    "primary key column is missing and cannot be added to an existing key or to a table with rows",
                    hint="migrate this table by hand (create the new table, copy the rows, swap the names)"))
                continue
            inline_pk = column.name
            rebuild.append(column)
        elif _needs_value(column) and fold(live.name) in facts.nonempty:
            result.findings.append(Finding(
                "db.column", target, Status.ERROR,
                "NOT NULL column without a default cannot be added to a table that has rows",
                hint="declare a default for it in schema.json, or add and fill the column by hand"))
        elif _alter_cannot_add(column):
            rebuild.append(column)
        else:
            alter.append(column)
    if rebuild:
        # one rebuild adds every missing column of the table at once, in declared order
        adding = {id(c) for c in rebuild + alter}
        result.ops.append(RebuildTable(live, tuple(c for c in missing if id(c) in adding), inline_pk,
                                       _free_name(f"{live.name}__selfheal_old", taken)))
    else:
        result.ops.extend(AddColumn(live.name, c) for c in alter)
    for column in table.columns:
        have = live.column(column.name)
        if have is not None:
            result.findings.extend(_column_drift(column, have, fold(column.name) in declared_pk,
                                                 f"{label}:{live.name}.{have.name}"))
    for have in live.columns:
        if table.column(have.name) is None and not have.hidden:
            result.findings.append(Finding("db.column", f"{label}:{live.name}.{have.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
    if table.primary_key and live.primary_key and [fold(c) for c in table.primary_key] != [
            fold(c) for c in live.primary_key]:
        result.findings.append(Finding(
            "db.table", f"{label}:{live.name}", Status.WARNING,
            f"primary key is ({', '.join(live.primary_key)}), declared ({', '.join(table.primary_key)})",
            hint="selfheal never changes a primary key: migrate by hand or update schema.json"))
    return {fold(c.name) for c in rebuild + alter}


def _alter_cannot_add(column: Column) -> bool:
    """True when ALTER TABLE ADD COLUMN refuses this column on a table with rows."""
    if _needs_value(column):
        return True
    if column.default is not None and column.default.sql and not _is_constant_literal(column.default):
        return True
    return column.references is not None and column.default is not None and not _is_null(column.default)


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
                    hint="selfheal never retypes or alters existing columns: migrate by hand or update schema.json")]


def _plan_indexes(table: Table, live: Optional[Table], facts: Facts, label: str, taken: set[str],
                  result: Plan, added: frozenset[str] | set[str] = frozenset()) -> None:
    table_name = live.name if live else table.name
    matched: set[str] = set()
    for index in table.indexes:
        found = find_index(live, index) if live else None
        if found is not None:
            matched.add(fold(found.name or ""))
            continue
        base = index.name or sql.default_index_name(table.name, index.columns)
        target = f"{label}:{table_name}#{base}"
        absent = [c for c in index.columns if live and live.column(c or "") is None and fold(c or "") not in added]
        if absent:
            # never index a missing column: SQLite would index the string constant "name" instead
            result.findings.append(Finding(
                "db.index", target, Status.ERROR, f"cannot create the index: column {', '.join(map(str, absent))} "
                "is missing and cannot be added", hint="resolve the column's error first, then heal again"))
            continue
        if index.name and fold(index.name) in taken:
            result.findings.append(Finding(
                "db.index", target, Status.ERROR,
                f"cannot create index {index.name}: another object of that name exists with other columns",
                hint="rename the index in schema.json or drop the other object by hand"))
            continue
        if live is not None and index.unique:
            key = (live.name, tuple(live.column(c or "").name if live.column(c or "") else c or ""  # type: ignore[union-attr]
                                    for c in index.columns))
            clashing = facts.clashes.get(key, 0)
            if clashing:
                result.findings.append(Finding(
                    "db.index", target, Status.ERROR,
                    f"unique index blocked: {clashing} rows share a value of ({', '.join(key[1])})",
                    hint="remove or fix the duplicate rows, then heal again"))
                continue
        name = index.name if index.name else _free_name(base, taken)
        taken.add(fold(name))
        result.ops.append(CreateIndex(table_name, index, name))
    if live is None:
        return
    for have in live.indexes:
        if have.origin == "c" and fold(have.name or "") not in matched:
            result.findings.append(Finding("db.index", f"{label}:{live.name}#{have.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
