"""The planner: a pure function from (declared, live) database to additive operations and findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from . import constraints, sql
from .compare import column_differences, find_index
from .findings import Finding, Status
from .model import Column, Database, Default, Index, Literal, Table, fold
from .ops import (
    AddColumn,
    AddColumnsInBulk,
    CreateIndex,
    CreateTable,
    CreateTrigger,
    CreateView,
    InsertRows,
    Op,
    RebuildTable,
    RebuildTablesInBulk,
)

STRICT_TYPES = frozenset({"INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"})
BULK_ADD_COLUMNS = 32  # from this many ADD COLUMNs in one file, the bulk rewrite beats ALTER TABLE
BULK_REBUILDS = 8  # from this many rebuilds in one file, one schema update renames them all

# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class Facts:
    """What the planner needs to know about the rows, gathered by the caller."""

    nonempty: frozenset[str] = frozenset()  # folded names of tables that hold rows
    # rows blocking a unique index, by (table, existing key columns): added columns share their default
    clashes: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)
    # (folded parent table, folded parent column, default SQL) whose value exists in the parent
    parent_rows: frozenset[tuple[str, str, str]] = frozenset()
    # seed rows found: (folded table, key values) -> the live values of the row's columns (absent: not there)
    seed_rows: dict[tuple[str, tuple[Literal, ...]], dict[str, Literal]] = field(default_factory=dict)


ParentValue = tuple[str, str, str]  # (parent table, parent column, the SQL of a value)


@dataclass(frozen=True)
class FactsNeeded:
    """Questions about rows the planner will ask: empty tables, clashing unique keys, parent rows."""

    emptiness: tuple[str, ...] = ()
    uniqueness: tuple[tuple[str, tuple[str, ...]], ...] = ()
    parent_values: tuple[ParentValue, ...] = ()
    # (live table, key columns, key values, live columns to read) for each declared seed row
    seeds: tuple[tuple[str, tuple[str, ...], tuple[Literal, ...], tuple[str, ...]], ...] = ()


def facts_needed(desired: Database, actual: Optional[Database]) -> FactsNeeded:
    """The row facts `plan` needs, so the caller can query only those."""
    if actual is None:
        return FactsNeeded()
    emptiness, uniqueness, parents = [], [], []
    seeds: list[tuple[str, tuple[str, ...], tuple[Literal, ...], tuple[str, ...]]] = []
    for table in desired.tables:
        live = actual.table(table.name)
        if live is None:
            continue
        pk = {fold(c) for c in table.primary_key}
        missing = [c for c, have in column_pairs(table, live) if have is None]
        if any(_needs_value(c) or fold(c.name) in pk or _fixed_reference(c) for c in missing):
            emptiness.append(live.name)
        for column in missing:
            value = _fixed_reference(column)
            if value and actual.table(value[0]) is not None:
                parents.append(value)
        for index in table.indexes:
            key = _clash_key(table, live, index)
            if key is not None:
                uniqueness.append(key)
        if table.rows and all(live.column(c) for c in table.primary_key):
            key_cols = tuple(live.column(c).name for c in table.primary_key)  # type: ignore[union-attr]
            for row in table.rows:
                values = dict(row)
                readable = tuple(live.column(c).name for c, _ in row if live.column(c))  # type: ignore[union-attr]
                seeds.append((live.name, key_cols, tuple(values[c] for c in table.primary_key), readable))
    return FactsNeeded(tuple(emptiness), tuple(uniqueness), tuple(parents), tuple(seeds))


def _shared_default(column: Column) -> Optional[str]:
    """The SQL of the one non-NULL value every existing row gets when the column is added, if known."""
    if column.default is None or _is_null(column.default):
        return None
    if column.default.sql and "random" in str(column.default.value).lower():
        return None  # random() and randomblob() differ row by row; every other constant expression,
        # CURRENT_TIMESTAMP included, has one value for all the rows one statement fills
    return sql.default_sql(column.default)


def _fixed_reference(column: Column) -> Optional[ParentValue]:
    """(parent, parent column, value) a new reference column gives every existing row, if any."""
    value = _shared_default(column)
    if column.references is None or value is None:
        return None
    return column.references[0], column.references[1], value


def _clash_key(table: Table, live: Table, index: Index) -> Optional[tuple[str, tuple[str, ...]]]:
    """(table, existing columns) whose duplicate values would block a missing unique index, or None.

    Columns the heal adds hold one shared default in every existing row, so only the existing
    columns can tell rows apart; a column added as NULL keeps every row distinct."""
    if not index.unique or find_index(live, index) is not None:
        return None
    existing = []
    for name in index.columns:
        have = live.column(name or "")
        if have is not None:
            existing.append(have.name)
            continue
        declared = table.column(name or "")
        if declared is None or _shared_default(declared) is None:
            return None
    return live.name, tuple(existing)


def _needs_value(column: Column) -> bool:
    """A NOT NULL column without a non-NULL default cannot be added to a table that has rows."""
    return column.not_null and not column.generated and (column.default is None or _is_null(column.default))


def _is_null(default: Default) -> bool:
    return default.value is None or (default.sql and str(default.value).strip().upper() == "NULL")


# ---------------------------------------------------------------- plan


@dataclass
class Plan:
    """Operations to run in one transaction, and findings about what will not be changed."""

    ops: list[Op] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    create_file: bool = False


@dataclass(frozen=True)
class Engine:
    """What the planner must know about the database engine; everything else it plans alike."""

    alter_adds_any_column: bool  # ADD COLUMN takes UNIQUE, PRIMARY KEY, any default (PostgreSQL): no rebuilds
    live_sql: bool  # the catalogue gives each object's SQL as written (SQLite): constraints compare by its text
    bulk_add_columns: bool  # many ADD COLUMNs may be folded into one edit of the schema table (SQLite)


SQLITE = Engine(alter_adds_any_column=False, live_sql=True, bulk_add_columns=True)
POSTGRES = Engine(alter_adds_any_column=True, live_sql=False, bulk_add_columns=False)


def plan(desired: Database, actual: Optional[Database], facts: Facts = Facts(), label: str = "",
         engine: Engine = SQLITE) -> Plan:
    """Compare a declared database with the live one; additive operations only."""
    label = label or desired.path
    result = Plan(create_file=actual is None)
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
            _plan_indexes(table, None, facts, label, taken, live_names, result)
            if table.rows:
                seeds.append(InsertRows(table.name, table.primary_key, table.rows))
        else:
            added = _plan_columns(table, live, facts, label, taken, keys, result, engine)
            _plan_indexes(table, live, facts, label, taken, live_names, result, added, engine)
            seeds.extend(_plan_rows(table, live, added, facts, label, result))
    if engine.bulk_add_columns:
        _bulk_add_columns(result, {fold(t.name): t for t in live_tables})
        _bulk_rebuilds(result)
    result.ops.extend(seeds)  # rows go in once every table and column they need exists
    _plan_views_and_triggers(desired, actual, label, live_names, result)  # behaviour last
    for live in live_tables:
        if desired.table(live.name) is None:
            result.findings.append(Finding("db.table", f"{label}:{live.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
    return result


def _plan_views_and_triggers(desired: Database, actual: Optional[Database], label: str,
                             live_names: frozenset[str], result: Plan) -> None:
    """Missing views and triggers created; one whose definition differs replaced (they hold no data)."""
    live_views = {fold(n): text for n, text in actual.views} if actual else {}
    live_triggers = {fold(n): text for n, text in actual.triggers} if actual else {}
    for name, select in desired.views:
        have = live_views.get(fold(name))
        if have is None and fold(name) in live_names:
            result.findings.append(_name_taken("db.view", f"{label}:{name}", "view", name))
        elif have is None or not sql.same_sql(sql.view_select(have), sql.view_body(select)):
            result.ops.append(CreateView(name, select, replaces=have))
    for name, text in desired.triggers:
        have = live_triggers.get(fold(name))
        if have is None and fold(name) in live_names:
            result.findings.append(_name_taken("db.trigger", f"{label}:{name}", "trigger", name))
        elif have is None or not sql.same_sql(have, text):
            result.ops.append(CreateTrigger(name, text, replaces=have))


def _name_taken(check: str, target: str, kind: str, name: str) -> Finding:
    return Finding(check, target, Status.ERROR, f"cannot create the {kind}: another object named {name} exists",
                   hint=f"rename the {kind} in schema.json, or the other object by hand")


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


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while fold(name) in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(fold(name))
    return name


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
                key = _clash_key(table, live, index)
                if key is None or not facts.clashes.get(key, 0):
                    keys.add((fold(live.name), fold(index.columns[0])))
    return keys


def _missing_parent_key(column: Column, keys: Optional[set[tuple[str, str]]]) -> bool:
    """True when a new reference column would point at a live table column that is no key there."""
    if column.references is None or keys is None:
        return False
    parent, parent_col = fold(column.references[0]), fold(column.references[1])
    return (parent, "") in keys and (parent, parent_col) not in keys


def column_pairs(table: Table, live: Table) -> list[tuple[Column, Optional[Column]]]:
    """Each declared column with its live namesake (None when missing), matched case-insensitively;
    the common case, the same names in the same order, without a lookup per column."""
    if len(table.columns) == len(live.columns) and all(
            a.name == b.name for a, b in zip(table.columns, live.columns, strict=True)):
        return list(zip(table.columns, live.columns, strict=True))
    return [(c, live.column(c.name)) for c in table.columns]


def _plan_columns(table: Table, live: Table, facts: Facts, label: str, taken: set[str],
                  keys: Optional[set[tuple[str, str]]], result: Plan, engine: Engine = SQLITE) -> set[str]:
    """Plan the missing columns of a live table; return the folded names of those that will be added."""
    pairs = column_pairs(table, live)
    missing = [c for c, have in pairs if have is None]
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
        elif live.strict and column.type.upper() not in STRICT_TYPES:
            result.findings.append(Finding(
                "db.column", target, Status.ERROR,
                f"cannot be added: type {column.type or '(none)'} is not allowed in the STRICT table {live.name} "
                "(it takes INT, INTEGER, REAL, TEXT, BLOB or ANY)",
                hint="declare one of those types for the column"))
        elif _missing_parent_key(column, keys):
            parent, parent_col = column.references  # type: ignore[misc]
            result.findings.append(Finding(
                "db.column", target, Status.ERROR,
                f"cannot be added: it references {parent}.{parent_col}, which in the database is neither the primary "
                "key nor a unique column (SQLite would refuse every write to the table: foreign key mismatch)",
                hint=f"resolve {parent}'s own findings first (its key column or unique index), then heal again"))
        elif _breaks_reference(column, live, facts):
            parent, parent_col, value = _fixed_reference(column)  # type: ignore[misc]
            result.findings.append(Finding(
                "db.column", target, Status.ERROR,
                f"cannot be added: its default {value} is not a value of {parent}.{parent_col}, so every existing "
                "row would break the reference",
                hint=f"declare a default that exists in {parent}.{parent_col}, or no default (NULL)"))
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
                                       _free_name(f"{live.name}__selfheal_old", taken), rowid or ""))
    else:
        result.ops.extend(AddColumn(live.name, c) for c in alter)
    for column, have in pairs:
        if have is not None:
            result.findings.extend(_column_drift(column, have, fold(column.name) in declared_pk,
                                                 f"{label}:{live.name}.{have.name}"))
    everyone_matched = len(pairs) == len(live.columns) and all(have is not None for _, have in pairs)
    for have in () if everyone_matched else live.columns:
        if table.column(have.name) is None and not have.hidden:
            result.findings.append(Finding("db.column", f"{label}:{live.name}.{have.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
    result.findings.extend(_constraint_drift(table, live, label, engine.live_sql))
    if table.primary_key and live.primary_key and [fold(c) for c in table.primary_key] != [
            fold(c) for c in live.primary_key]:
        result.findings.append(Finding(
            "db.table", f"{label}:{live.name}", Status.WARNING,
            f"primary key is ({', '.join(live.primary_key)}), declared ({', '.join(table.primary_key)})",
            hint="selfheal never changes a primary key: migrate by hand or update schema.json"))
    return {fold(c.name) for c in rebuild + alter}


def _plan_rows(table: Table, live: Table, added: set[str], facts: Facts, label: str, result: Plan) -> list[Op]:
    """Seed rows: the missing ones inserted (when every column they name will exist); differing ones a warning."""
    if not table.rows:
        return []
    missing = []
    for row in table.rows:
        values = dict(row)
        key = tuple(values[c] for c in table.primary_key)
        shown = ",".join(f"{c}={v}" for c, v in zip(table.primary_key, key, strict=True))
        target = f"{label}:{live.name}[{shown}]"
        found = facts.seed_rows.get((fold(live.name), key))
        if found is None:
            absent = [c for c, _ in row if live.column(c) is None and fold(c) not in added]
            if absent:
                result.findings.append(Finding("db.row", target, Status.ERROR,
                                               f"seed row cannot be inserted: column {', '.join(absent)} is missing",
                                               hint="resolve the column's error first, then heal again"))
            else:
                missing.append(row)
            continue
        differing = [(c, v, found.get(fold(c))) for c, v in row if fold(c) in found
                     and not _same_value(v, found[fold(c)])]
        if differing:
            text = "; ".join(f"{c} is {have!r}, declared {want!r}" for c, want, have in differing)
            result.findings.append(Finding("db.row", target, Status.WARNING, f"seed row differs: {text}",
                                           hint="selfheal never updates rows: change it by hand or update "
                                                "schema.json"))
    return [InsertRows(live.name, table.primary_key, tuple(missing))] if missing else []


def _same_value(declared: Literal, live: Literal) -> bool:
    """Compare a JSON value with what SQLite returned (true is 1; 5 in a TEXT column is '5')."""
    want = int(declared) if isinstance(declared, bool) else declared
    return want == live or (want is not None and live is not None and str(want) == str(live))


def _rowid_is_a_column(live: Table) -> bool:
    """True when the table has an INTEGER PRIMARY KEY: copying that column copies the row ids."""
    if len(live.primary_key) != 1:
        return False
    column = live.column(live.primary_key[0])
    return column is not None and column.type.upper() == "INTEGER"


def _breaks_reference(column: Column, live: Table, facts: Facts) -> bool:
    """True when a new reference column's default names no parent row while the table has rows."""
    value = _fixed_reference(column)
    if value is None or fold(live.name) not in facts.nonempty:
        return False
    return (fold(value[0]), fold(value[1]), value[2]) not in facts.parent_rows


_ALTER_REFUSES = re.compile(r"\b(UNIQUE|PRIMARY|GENERATED|AS)\b", re.IGNORECASE)


def _alter_cannot_add(column: Column) -> bool:
    """True when ALTER TABLE ADD COLUMN refuses this column on a table with rows."""
    if _needs_value(column):
        return True
    if column.unique or column.stored or (column.definition and _ALTER_REFUSES.search(
            sql.code_only(column.definition))):
        return True  # UNIQUE, PRIMARY KEY and STORED generated columns: only a rebuild adds them
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
                               hint="selfheal never changes the constraints of an existing table: migrate it by hand "
                                    "(create, copy, swap) or update schema.json"))
    return out


def _plan_indexes(table: Table, live: Optional[Table], facts: Facts, label: str, taken: set[str],
                  live_names: frozenset[str], result: Plan, added: frozenset[str] | set[str] = frozenset(),
                  engine: Engine = SQLITE) -> None:
    table_name = live.name if live else table.name
    matched: set[str] = set()
    for index in table.indexes:
        base = index.name or sql.default_index_name(table.name, index.columns)
        target = f"{label}:{table_name}#{base}"
        if (index.sql or index.where or index.terms) and live is not None:  # matched by name
            same_name = next((i for i in live.indexes if fold(i.name or "") == fold(base)), None)
            if same_name is not None:
                matched.add(fold(base))
                declared_sql = sql.create_index(table_name, index, base)
                if engine.live_sql and sql.normalized(same_name.sql or "") != sql.normalized(declared_sql):
                    result.findings.append(Finding(
                        "db.index", target, Status.WARNING,
                        f"differs from its declaration (left as it is): is {same_name.sql}, declared {declared_sql}",
                        hint="indexes are never rebuilt: drop it by hand to have it created as declared"))
                continue
        found = find_index(live, index) if live and not index.partial and not index.terms else None
        if found is not None:
            matched.add(fold(found.name or ""))
            continue
        absent = [c for c in index.columns
                  if c is not None and live and live.column(c) is None and fold(c) not in added]
        if absent:
            # never index a missing column: SQLite would index the string constant "name" instead
            result.findings.append(Finding(
                "db.index", target, Status.ERROR, f"cannot create the index: column {', '.join(map(str, absent))} "
                "is missing and cannot be added", hint="resolve the column's error first, then heal again"))
            continue
        if index.name and fold(index.name) in live_names:
            result.findings.append(Finding(
                "db.index", target, Status.ERROR,
                f"cannot create index {index.name}: another object of that name exists with other columns",
                hint="rename the index in schema.json or drop the other object by hand"))
            continue
        key = _clash_key(table, live, index) if live is not None else None
        clashing = facts.clashes.get(key, 0) if key is not None else 0
        if clashing:
            shown = ", ".join(c or "" for c in index.columns)
            result.findings.append(Finding(
                "db.index", target, Status.ERROR, f"unique index blocked: {clashing} rows share a value of ({shown})"
                + (" once the new columns hold their default" if len(key[1]) < len(index.columns) else ""),  # type: ignore[index]
                hint="remove or fix the duplicate rows (or declare no default for a new column), then heal again"))
            continue
        name = index.name if index.name else _free_name(base, taken)
        result.ops.append(CreateIndex(table_name, index, name))
    if live is None:
        return
    for have in live.indexes:
        if have.origin == "c" and fold(have.name or "") not in matched:
            result.findings.append(Finding("db.index", f"{label}:{live.name}#{have.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
