"""The planner's questions about rows (which tables hold rows, which keys clash, which parent and seed
rows exist), and the answers the caller gathers from the live database."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Optional

from selfheal.model import Column, Database, Default, Index, Literal, Table, fold
from selfheal.planning import sql
from selfheal.planning.compare import find_index
from selfheal.planning.sql import clash_query, nonempty_query


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
    # new columns whose one default the existing rows cannot all take: (folded table, folded column) -> why
    refused_values: dict[tuple[str, str], str] = field(default_factory=dict)


NO_FACTS = Facts()  # a database that does not exist yet has no rows to ask about

ParentValue = tuple[str, str, str]  # (parent table, parent column, the SQL of a value)


@dataclass(frozen=True)
class FactsNeeded:
    """Questions about rows the planner will ask: empty tables, clashing unique keys, parent rows."""

    emptiness: tuple[str, ...] = ()
    uniqueness: tuple[tuple[str, tuple[str, ...]], ...] = ()
    parent_values: tuple[ParentValue, ...] = ()
    # (live table, key columns, key values, live columns to read) for each declared seed row
    seeds: tuple[tuple[str, tuple[str, ...], tuple[Literal, ...], tuple[str, ...]], ...] = ()
    # new columns whose default every existing row gets, with what may refuse it
    values: tuple[ValueQuestion, ...] = ()
    # declared renames not made yet: (planned table, planned column or "", its name in the database now)
    now: tuple[tuple[str, str, str], ...] = ()

    def table_now(self, table: str) -> str:
        """The name a table the questions name (as renamed) has in the database now."""
        return next((name for t, c, name in self.now if not c and fold(t) == fold(table)), table)

    def column_now(self, table: str, column: str) -> str:
        """The name a column the questions name (as renamed) has in the database now."""
        return next((name for t, c, name in self.now if c and fold(t) == fold(table) and fold(c) == fold(column)),
                    column)


@dataclass(frozen=True)
class ValueQuestion:
    """Can every existing row of `table` take `default` in a new column? (UNIQUE, CHECK, a STRICT type)"""

    table: str
    column: str
    type: str
    default: str  # its SQL
    check: str = ""
    unique: bool = False
    strict: bool = False


def facts_needed(desired: Database, actual: Optional[Database]) -> FactsNeeded:
    """The row facts `plan` needs, so the caller can query only those."""
    if actual is None:
        return FactsNeeded()
    now: list[tuple[str, str, str]] = []
    from selfheal.planning.renames import declares_renames

    if declares_renames(desired):
        from selfheal.planning.ops import RenameColumn, RenameTable
        from selfheal.planning.renames import plan_renames

        actual, renames, _ = plan_renames(desired, actual, "")  # questions name tables as they will be
        for op in renames:
            if isinstance(op, RenameTable):
                now.append((op.table, "", op.old))
            elif isinstance(op, RenameColumn):
                now.append((op.table, op.new, op.old))
    emptiness, uniqueness, parents = [], [], []
    seeds: list[tuple[str, tuple[str, ...], tuple[Literal, ...], tuple[str, ...]]] = []
    questions: list[ValueQuestion] = []
    for table in desired.tables:
        live = actual.table(table.name)
        if live is None:
            continue
        pk = {fold(c) for c in table.primary_key}
        missing = [c for c, have in column_pairs(table, live) if have is None]
        if any(needs_value(c) or fold(c.name) in pk or fixed_reference(c) for c in missing):
            emptiness.append(live.name)
        for column in missing:
            value = fixed_reference(column)
            if value and actual.table(value[0]) is not None:
                parents.append(value)
            shared = shared_default(column)
            if shared is not None and (column.unique or column.check or live.strict):
                questions.append(ValueQuestion(live.name, column.name, column.type, shared, column.check, column.unique,
                                            live.strict))
        for index in table.indexes:
            key = clash_key(table, live, index)
            if key is not None:
                uniqueness.append(key)
        if table.rows and all(live.column(c) for c in table.primary_key):
            key_cols = tuple(live.column(c).name for c in table.primary_key)  # type: ignore[union-attr]
            for row in table.rows:
                values = dict(row)
                readable = tuple(live.column(c).name for c, _ in row if live.column(c))  # type: ignore[union-attr]
                seeds.append((live.name, key_cols, tuple(values[c] for c in table.primary_key), readable))
    return FactsNeeded(tuple(emptiness), tuple(uniqueness), tuple(parents), tuple(seeds), tuple(questions),
                       tuple(now))


def shared_default(column: Column) -> Optional[str]:
    """The SQL of the one non-NULL value every existing row gets when the column is added, if known."""
    if column.default is None or is_null(column.default):
        return None
    if column.default.sql and "random" in str(column.default.value).lower():
        return None  # random() and randomblob() differ row by row; every other constant expression,
        # CURRENT_TIMESTAMP included, has one value for all the rows one statement fills
    return sql.default_sql(column.default)


def fixed_reference(column: Column) -> Optional[ParentValue]:
    """(parent, parent column, value) a new reference column gives every existing row, if any."""
    value = shared_default(column)
    if column.references is None or value is None:
        return None
    return column.references[0], column.references[1], value


def clash_key(table: Table, live: Table, index: Index) -> Optional[tuple[str, tuple[str, ...]]]:
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
        if declared is None or shared_default(declared) is None:
            return None
    return live.name, tuple(existing)


def needs_value(column: Column) -> bool:
    """A NOT NULL column without a non-NULL default cannot be added to a table that has rows."""
    return column.not_null and not column.generated and (column.default is None or is_null(column.default))


def is_null(default: Default) -> bool:
    return default.value is None or (default.sql and str(default.value).strip().upper() == "NULL")


def column_pairs(table: Table, live: Table) -> list[tuple[Column, Optional[Column]]]:
    """Each declared column with its live namesake (None when missing), matched case-insensitively;
    the common case, the same names in the same order, without a lookup per column."""
    if len(table.columns) == len(live.columns) and all(
            a.name == b.name for a, b in zip(table.columns, live.columns, strict=True)):
        return list(zip(table.columns, live.columns, strict=True))
    return [(c, live.column(c.name)) for c in table.columns]


def refused_values(conn: Any, needed: FactsNeeded, errors: tuple[type[BaseException], ...],
                   guard: Callable[[], AbstractContextManager[Any]] = nullcontext) -> dict[tuple[str, str], str]:
    """For each new column's shared default: why the existing rows cannot all take it (UNIQUE over two or
    more rows, its own CHECK failing), asked of the live rows (`guard` isolates a probe the server refuses:
    a savepoint on PostgreSQL); a STRICT type is the engine's own question (see the SQLite engine)."""
    out = {}
    for q in needed.values:
        key = (fold(q.table), fold(q.column))
        table_now = sql.quote_ident(needed.table_now(q.table))
        if q.unique and conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table_now} LIMIT 2) "
                                     "AS rows_seen").fetchone()[0] > 1:
            out[key] = (f"cannot be added: every existing row would get its default {q.default}, and UNIQUE "
                        "refuses the same value twice")
        elif q.check and not any(c and fold(t) == fold(q.table) for t, c, _ in needed.now):
            probe = (f"SELECT count(*) FROM (SELECT *, {q.default} AS {sql.quote_ident(q.column)} FROM "
                     f"{table_now}) AS {sql.quote_ident(q.table)} WHERE NOT ({q.check})")
            try:
                with guard():
                    failing = int(conn.execute(probe).fetchone()[0])
            except errors:
                continue  # a probe the engine cannot run says nothing; the heal itself will
            if failing:
                out[key] = (f"cannot be added: its default {q.default} fails its CHECK ({q.check}) in {failing} "
                            "existing row(s)")
    return out


def row_facts(conn: Any, needed: FactsNeeded) -> tuple[frozenset[str], dict[tuple[str, tuple[str, ...]], int]]:
    """Which tables have rows and how many rows each planned unique index would clash on (the same
    SQL on every engine; `conn` is a DB-API connection with execute, sqlite3's or psycopg's)."""
    nonempty = frozenset(fold(t) for t in needed.emptiness
                         if conn.execute(nonempty_query(needed.table_now(t))).fetchone()[0])
    clashes = {}
    for table, cols in needed.uniqueness:
        now_cols = tuple(needed.column_now(table, c) for c in cols)
        count = conn.execute(clash_query(needed.table_now(table), now_cols)).fetchone()[0]
        if count:
            clashes[(table, cols)] = int(count)
    return nonempty, clashes
