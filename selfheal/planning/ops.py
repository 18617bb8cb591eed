"""Operations: what healing does to a database, each able to render its exact SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from selfheal.findings import plural
from selfheal.model import Column, Index, Literal, Table
from selfheal.planning import sql


class Rendered:
    """statements() renders an operation's SQL once: the heal, its audit lines and its report share it."""

    def render(self) -> list[str]:
        """The SQL, rendered anew."""
        raise NotImplementedError

    def statements(self) -> list[str]:
        """SQL that performs the operation."""
        cached: list[str] | None = self.__dict__.get("_statements")
        if cached is None:
            cached = self.render()
            object.__setattr__(self, "_statements", cached)  # a frozen dataclass: set around __setattr__
        return cached


@dataclass(frozen=True)
class CreateTable(Rendered):
    """Create a declared table that does not exist."""

    table: Table

    check = "db.table"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        return [sql.create_table(self.table)]

    def describe(self) -> str:
        """What the operation does, in words."""
        return f"created table ({plural(len(self.table.columns), 'column')})"


@dataclass(frozen=True)
class AddColumn(Rendered):
    """Add a column with ALTER TABLE ADD COLUMN."""

    table: str
    column: Column

    check = "db.column"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        return [sql.add_column(self.table, self.column)]

    def describe(self) -> str:
        """What the operation does, in words."""
        return f"added column {sql.column_def(self.column)}"


@dataclass(frozen=True)
class RebuildTable(Rendered):
    """Add columns ALTER TABLE cannot add, by rebuilding the table with every row, index and trigger."""

    table: Table  # the live table (its SQL, indexes and triggers are recreated verbatim)
    new_columns: tuple[Column, ...]
    inline_pk: Optional[str]  # a new column that becomes the table's primary key
    temp_name: str
    rowid: str = "rowid"  # the name that reaches the rowid (no column shadows it); "" when none is copied

    check = "db.column"

    def render(self) -> list[str]:
        """The rebuild: rename aside, create with the new columns, copy, drop, recreate."""
        name, old = sql.quote_ident(self.table.name), sql.quote_ident(self.temp_name)
        new_defs = [sql.column_def(c, inline_pk=c.name == self.inline_pk) for c in self.new_columns]
        kept = [c.name for c in self.table.columns if not c.hidden]
        cols = ", ".join(map(sql.quote_ident, kept))
        rowid = f"{self.rowid}, " if self.rowid else ""  # bare: quoted, it would name a column
        out = [
            f"ALTER TABLE {name} RENAME TO {old}",
            sql.splice_columns(self.table.sql, new_defs),
            f"INSERT INTO {name} ({rowid}{cols}) SELECT {rowid}{cols} FROM {old}",
        ]
        if sql.has_keyword(self.table.sql, "AUTOINCREMENT"):
            seq = sql.quote_literal(self.temp_name)
            mine = sql.quote_literal(self.table.name)
            # keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused
            out.append(f"UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence "
                       f"WHERE name = {seq})) WHERE name = {mine}")
            out.append(f"INSERT INTO sqlite_sequence (name, seq) SELECT {mine}, seq FROM sqlite_sequence "
                       f"WHERE name = {seq} AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {mine})")
        out.append(f"DROP TABLE {old}")
        out.extend(i.sql for i in self.table.indexes if i.sql)
        out.extend(self.table.triggers)
        return out

    def describe(self) -> str:
        """What the operation does, in words."""
        added = ", ".join(sql.column_def(c, inline_pk=c.name == self.inline_pk) for c in self.new_columns)
        return f"added column {added} (table rebuilt: rows, indexes and triggers kept)"


@dataclass(frozen=True)
class RebuildTablesInBulk(Rendered):
    """Many rebuilds in one file, without one ALTER TABLE RENAME each.

    SQLite re-reads the whole schema after every RENAME, so N rebuilds in a file of N tables cost
    O(N²) (1,000 populated tables: 20 s). Here each new table is built under its free name, filled,
    and the old one dropped; then one schema update gives every new table (and its automatic
    indexes and AUTOINCREMENT counter) its name back, with the definition ALTER would have written,
    and schema_version is bumped once; indexes and triggers are recreated as they were. The
    transaction re-reads and verifies the result, as for every change.
    """

    rebuilds: tuple[RebuildTable, ...]

    check = "db.column"

    def render(self) -> list[str]:
        """Build, fill and drop per table; then the renames in one schema update; then indexes and triggers."""
        renames = "temp.selfheal_renames"
        out = [f"CREATE TEMP TABLE {renames} (tmp TEXT PRIMARY KEY, name TEXT NOT NULL, sql TEXT NOT NULL)"]
        autoincrement = False
        for r in self.rebuilds:
            name, new = sql.quote_ident(r.table.name), sql.quote_ident(r.temp_name)
            final_sql = sql.splice_columns(r.table.sql, [sql.column_def(c, inline_pk=c.name == r.inline_pk)
                                                         for c in r.new_columns])
            kept = ", ".join(sql.quote_ident(c.name) for c in r.table.columns if not c.hidden)
            rowid = f"{r.rowid}, " if r.rowid else ""
            out.append(f"CREATE TABLE {new} " + final_sql[sql.definition_start(final_sql):])
            out.append(f"INSERT INTO {new} ({rowid}{kept}) SELECT {rowid}{kept} FROM {name}")
            if sql.has_keyword(r.table.sql, "AUTOINCREMENT"):
                autoincrement = True
                out.append(f"UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence "
                           f"WHERE name = {sql.quote_literal(r.table.name)}), 0)) "
                           f"WHERE name = {sql.quote_literal(r.temp_name)}")
                out.append(f"INSERT INTO sqlite_sequence (name, seq) SELECT {sql.quote_literal(r.temp_name)}, seq "
                           f"FROM sqlite_sequence WHERE name = {sql.quote_literal(r.table.name)} AND NOT EXISTS "
                           f"(SELECT 1 FROM sqlite_sequence WHERE name = {sql.quote_literal(r.temp_name)})")
            out.append(f"DROP TABLE {name}")
            out.append(f"INSERT INTO {renames} VALUES ({sql.quote_literal(r.temp_name)}, "
                       f"{sql.quote_literal(r.table.name)}, {sql.quote_literal(final_sql)})")
        lookup = f"(SELECT %s FROM {renames} AS m WHERE m.tmp = %s)"
        out += [
            "PRAGMA writable_schema = ON",
            f"UPDATE main.sqlite_master SET name = {lookup % ('name', 'sqlite_master.name')}, "
            f"tbl_name = {lookup % ('name', 'sqlite_master.name')}, sql = {lookup % ('sql', 'sqlite_master.name')} "
            f"WHERE type = 'table' AND name IN (SELECT tmp FROM {renames})",
            # automatic indexes are named after their table: sqlite_autoindex_TABLE_N
            f"UPDATE main.sqlite_master SET name = 'sqlite_autoindex_' || {lookup % ('name', 'sqlite_master.tbl_name')}"
            f" || substr(name, length('sqlite_autoindex_' || tbl_name) + 1), "
            f"tbl_name = {lookup % ('name', 'sqlite_master.tbl_name')} "
            f"WHERE type = 'index' AND tbl_name IN (SELECT tmp FROM {renames})",
        ]
        if autoincrement:
            out.append(f"UPDATE main.sqlite_sequence SET name = {lookup % ('name', 'sqlite_sequence.name')} "
                       f"WHERE name IN (SELECT tmp FROM {renames})")
        out += ["PRAGMA schema_version = <current + 1>", "PRAGMA writable_schema = OFF", f"DROP TABLE {renames}"]
        for r in self.rebuilds:
            out.extend(i.sql for i in r.table.indexes if i.sql)
            out.extend(r.table.triggers)
        return out

    def describe(self) -> str:
        """What the operation does, in words."""
        count = sum(len(r.new_columns) for r in self.rebuilds)
        return f"added {plural(count, 'column')} to {plural(len(self.rebuilds), 'table')} by rebuilding them"


@dataclass(frozen=True)
class CreateIndex(Rendered):
    """Create a declared index that is missing."""

    table: str
    index: Index
    name: str

    check = "db.index"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        return [sql.create_index(self.table, self.index, self.name)]

    def describe(self) -> str:
        """What the operation does, in words."""
        kind = "unique index" if self.index.unique else "index"
        if self.index.sql and not self.index.terms:  # declared in SQL: its own text, DESC and WHERE included
            return f"created {kind} {self.name} on {sql.index_body(self.index.sql)}"
        terms = self.index.terms or tuple(c or "" for c in self.index.columns)
        return f"created {kind} {self.name} on ({', '.join(terms)})" + (
            f" where {self.index.where}" if self.index.where else "")


@dataclass(frozen=True)
class AddColumnsInBulk(Rendered):
    """Many ADD COLUMNs in one schema update: each table's definition is rewritten as ALTER TABLE would.

    SQLite re-reads the whole schema after every ALTER, so N additions in a file of N tables cost
    O(N²); rewriting the definitions and bumping schema_version once costs O(N). Only columns that
    ALTER TABLE ADD COLUMN accepts get here, appended after the last column, exactly as ALTER does
    (existing rows read the default); the transaction re-reads and verifies the result.
    """

    tables: tuple[tuple[Table, tuple[Column, ...]], ...]

    check = "db.column"

    def render(self) -> list[str]:
        """The rewrite; the schema_version bump is computed when it runs."""
        out = ["PRAGMA writable_schema = ON"]
        for live, columns in self.tables:
            new_sql = sql.splice_columns(live.sql, [sql.column_def(c) for c in columns])
            out.append(f"UPDATE sqlite_master SET sql = {sql.quote_literal(new_sql)} WHERE type = 'table' "
                       f"AND name = {sql.quote_literal(live.name)} AND sql = {sql.quote_literal(live.sql)}")
        out.append("PRAGMA schema_version = <current + 1>")
        out.append("PRAGMA writable_schema = OFF")
        return out

    def describe(self) -> str:
        """What the operation does, in words."""
        count = sum(len(cols) for _, cols in self.tables)
        return f"added {plural(count, 'column')} to {plural(len(self.tables), 'table')} in one schema update"


@dataclass(frozen=True)
class InsertRows(Rendered):
    """Insert declared seed rows that are missing (matched by primary key); never updates or deletes."""

    table: str
    primary_key: tuple[str, ...]
    rows: tuple[tuple[tuple[str, Literal], ...], ...]

    check = "db.row"

    def render(self) -> list[str]:
        """One INSERT per row, every value a literal."""
        return [f"INSERT INTO {sql.quote_ident(self.table)} ({', '.join(sql.quote_ident(c) for c, _ in row)}) "
                f"VALUES ({', '.join(sql.quote_literal(v) for _, v in row)})" for row in self.rows]

    def describe(self) -> str:
        """What the operation does, in words."""
        return f"inserted {plural(len(self.rows), 'seed row')}"

    def row_key(self, row: tuple[tuple[str, Literal], ...]) -> str:
        """A row's primary key as shown in targets: TABLE[code=USD]."""
        values = dict(row)
        return ",".join(f"{c}={values.get(c)}" for c in self.primary_key)


def _modern_rename(statement: str) -> list[str]:
    """A declared rename carries every view, trigger, index and foreign key along (the heal's connection
    otherwise renames without rewriting, for rebuilds)."""
    return ["PRAGMA legacy_alter_table = OFF", statement, "PRAGMA legacy_alter_table = ON"]


@dataclass(frozen=True)
class RenameTable(Rendered):
    """Rename a table declared with renamed_from: its rows, indexes, triggers and references go with it."""

    old: str
    table: str

    check = "db.table"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        return _modern_rename(f"ALTER TABLE {sql.quote_ident(self.old)} RENAME TO {sql.quote_ident(self.table)}")

    def describe(self) -> str:
        """What the operation does, in words."""
        return f"renamed from {self.old} (rows kept)"


@dataclass(frozen=True)
class RenameColumn(Rendered):
    """Rename a column declared with renamed_from: its values, indexes and references go with it."""

    table: str
    old: str
    new: str

    check = "db.column"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        return _modern_rename(f"ALTER TABLE {sql.quote_ident(self.table)} RENAME COLUMN {sql.quote_ident(self.old)} "
                              f"TO {sql.quote_ident(self.new)}")

    def describe(self) -> str:
        """What the operation does, in words."""
        return f"renamed from {self.old} (values kept)"


@dataclass(frozen=True)
class CreateView(Rendered):
    """Create a declared view, or replace one whose definition differs (views hold no data)."""

    name: str
    select: str
    replaces: Optional[str] = None  # the live definition being replaced (kept in the audit trail)

    check = "db.view"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        drop = [f"DROP VIEW {sql.quote_ident(self.name)}"] if self.replaces else []
        return drop + [sql.create_view(self.name, self.select)]

    def describe(self) -> str:
        """What the operation does, in words."""
        return "replaced view (its old definition is in the audit trail)" if self.replaces else "created view"


@dataclass(frozen=True)
class CreateTrigger(Rendered):
    """Create a declared trigger, or replace one whose definition differs (triggers hold no data)."""

    name: str
    sql: str
    replaces: Optional[str] = None

    check = "db.trigger"

    def render(self) -> list[str]:
        """SQL that performs the operation."""
        drop = [f"DROP TRIGGER {sql.quote_ident(self.name)}"] if self.replaces else []
        return drop + [self.sql.strip().rstrip(";")]

    def describe(self) -> str:
        """What the operation does, in words."""
        return "replaced trigger (its old definition is in the audit trail)" if self.replaces else "created trigger"


Op = Union[CreateTable, AddColumn, AddColumnsInBulk, RebuildTable, RebuildTablesInBulk, CreateIndex, InsertRows,
           CreateView, CreateTrigger, RenameTable, RenameColumn]


def op_table(op: Op) -> str:
    """The name of the table an operation changes (the first one, for a bulk operation)."""
    if isinstance(op, AddColumnsInBulk):
        return op.tables[0][0].name
    if isinstance(op, RebuildTablesInBulk):
        return op.rebuilds[0].table.name
    if isinstance(op, (CreateView, CreateTrigger)):
        return op.name
    return op.table.name if isinstance(op, (CreateTable, RebuildTable)) else op.table


def op_tables(op: Op) -> list[str]:
    """Every table an operation changes (all of them for a bulk operation)."""
    if isinstance(op, AddColumnsInBulk):
        return [t.name for t, _ in op.tables]
    if isinstance(op, RebuildTablesInBulk):
        return [r.table.name for r in op.rebuilds]
    return [op_table(op)]


def op_targets(db_label: str, op: Op) -> list[str]:
    """Every report target of an operation: one per column for rebuilds and bulk additions."""
    if isinstance(op, RebuildTable):
        return [f"{db_label}:{op.table.name}.{c.name}" for c in op.new_columns]
    if isinstance(op, AddColumnsInBulk):
        return [f"{db_label}:{t.name}.{c.name}" for t, cols in op.tables for c in cols]
    if isinstance(op, RebuildTablesInBulk):
        return [target for r in op.rebuilds for target in op_targets(db_label, r)]
    if isinstance(op, InsertRows):
        return [f"{db_label}:{op.table}[{op.row_key(row)}]" for row in op.rows]
    return [op_target(db_label, op)]


def op_target(db_label: str, op: Op) -> str:
    """The report target of an operation: DB:TABLE, DB:TABLE.COLUMN or DB:TABLE#INDEX."""
    if isinstance(op, CreateTable):
        return f"{db_label}:{op.table.name}"
    if isinstance(op, (CreateView, CreateTrigger)):
        return f"{db_label}:{op.name}"
    if isinstance(op, AddColumn):
        return f"{db_label}:{op.table}.{op.column.name}"
    if isinstance(op, (RenameTable, RenameColumn)):
        return f"{db_label}:{op.table}" + (f".{op.new}" if isinstance(op, RenameColumn) else "")
    if isinstance(op, RebuildTable):
        return f"{db_label}:{op.table.name}." + ",".join(c.name for c in op.new_columns)
    if isinstance(op, AddColumnsInBulk):
        return f"{db_label}:" + ",".join(t.name for t, _ in op.tables)
    if isinstance(op, RebuildTablesInBulk):
        return f"{db_label}:" + ",".join(r.table.name for r in op.rebuilds)
    if isinstance(op, InsertRows):
        return f"{db_label}:{op.table}[" + ";".join(op.row_key(r) for r in op.rows) + "]"
    return f"{db_label}:{op.table}#{op.name}"

