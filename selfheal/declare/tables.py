"""Tables of a declared database: keys, constraints, seed rows, references resolved across tables."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from typing import Any, Optional

from selfheal.declare.columns import ColumnsBuilder, reference_actions
from selfheal.declare.document import PathPart
from selfheal.declare.indexes import IndexesBuilder
from selfheal.model import Column, ForeignKey, Table, fold
from selfheal.planning.sql import code_only


class TablesBuilder(ColumnsBuilder, IndexesBuilder):
    """Builds Table models and resolves their references."""

    def tables(self, decl: dict[str, Any], parts: list[PathPart]) -> tuple[Table, ...]:
        self.case_clashes(decl, parts, "table")
        # each table's JSON is let go once its model is built: the document and the model of a large
        # schema are never both whole in memory (the document is the loader's own, parsed for this load)
        tables = [self.table(name, decl.pop(name), parts + [name]) for name in list(decl)]
        by_name = {fold(t.name): t for t in tables}
        for table in tables:
            if table.renamed_from and fold(table.renamed_from) in by_name:
                self.problem(parts + [table.name, "renamed_from"], f"{json.dumps(table.renamed_from)} is also "
                             "declared: a table is renamed from a name the database no longer declares")
        tables = [
            replace(table, columns=tuple(
                replace(c, references=self.resolve_reference(c.references, by_name,
                                                             parts + [table.name, "columns", c.name]))
                if c.references else c
                for c in table.columns)) if any(c.references for c in table.columns) else table
            for table in tables
        ]
        tables = [replace(table, foreign_keys=tuple(
            self.resolve_foreign_key(fk, by_name, parts + [table.name, "foreign_keys", i])
            for i, fk in enumerate(table.foreign_keys))) if table.foreign_keys else table for table in tables]
        index_names: dict[str, str] = {}
        for table in tables:
            for i, index in enumerate(table.indexes):
                if index.name:
                    if fold(index.name) in index_names or fold(index.name) in by_name:
                        self.problem(parts + [table.name, "indexes", i, "name"],
                                     f"index name {json.dumps(index.name)} is used twice in this database")
                    index_names[fold(index.name)] = table.name
        return tuple(tables)

    def unique_sets(self, decl: list[Any], declared: dict[str, str], table: str, parts: list[PathPart]
                    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[tuple[tuple[str, ...], str]]]:
        """A table's UNIQUE column sets, those whose NULLs clash like values (PostgreSQL 15), and names."""
        unique = [self.column_list(cols["columns"] if isinstance(cols, dict) else cols, declared, table,
                                   parts + [i]) for i, cols in enumerate(decl)]
        nulls_not_distinct = [u for u, spec in zip(unique, decl, strict=True)
                              if isinstance(spec, dict) and spec.get("nulls_not_distinct")]
        if nulls_not_distinct and self.rules.name != "postgres":
            self.problem(parts, "nulls_not_distinct is PostgreSQL's: in SQLite NULLs never clash")
        names = [(u, spec["name"]) for u, spec in zip(unique, decl, strict=True)
                 if isinstance(spec, dict) and spec.get("name")]
        return unique, nulls_not_distinct, names

    def foreign_key(self, spec: dict[str, Any], declared: dict[str, str], table: str,
                    parts: list[PathPart]) -> ForeignKey:
        """A foreign key over several columns, its actions as one clause."""
        cols = self.column_list(spec["columns"], declared, table, parts + ["columns"])
        target = spec["references"]
        if len(target["columns"]) != len(cols):
            self.problem(parts + ["references"], f"names {len(target['columns'])} columns for {len(cols)} "
                         "referencing ones")
        actions = reference_actions(spec)
        return ForeignKey(cols, target["table"], tuple(target["columns"]), " ".join(a for a in actions if a))

    def table(self, name: str, body: dict[str, Any], parts: list[PathPart]) -> Table:
        # folded name -> name as declared (a later duplicate in case is a problem, so the last one wins)
        declared = self.case_clashes(body["columns"], parts + ["columns"], "column")
        columns, column_pks = [], []
        for col_name, spec in body["columns"].items():
            columns.append(self.column(col_name, spec, parts))
            if not isinstance(spec, str) and spec.get("primary_key"):
                column_pks.append(col_name)
        primary_key: tuple[str, ...] = tuple(column_pks)
        if "primary_key" in body:
            if column_pks:
                self.problem(parts + ["primary_key"], "give the primary key either here or on columns, not both")
            missing = [c for c in body["primary_key"] if fold(c) not in declared]
            for col in missing:
                self.problem(parts + ["primary_key"], f"primary key column {json.dumps(col)} is not declared")
            primary_key = tuple(declared.get(fold(c), c) for c in body["primary_key"])
        indexes = [self.index(spec, declared, name, parts + ["indexes", i])
                   for i, spec in enumerate(body.get("indexes", []))]
        unique, nulls_not_distinct, unique_names = self.unique_sets(body.get("unique", []), declared, name,
                                                                    parts + ["unique"])
        foreign_keys = [self.foreign_key(spec, declared, name, parts + ["foreign_keys", i])
                        for i, spec in enumerate(body.get("foreign_keys", []))]
        for col in columns:
            where = parts + ["columns", col.name]
            if col.autoincrement and (len(column_pks) != 1 or fold(column_pks[0]) != fold(col.name)
                                      or col.type.upper() != "INTEGER"):
                self.problem(where + ["autoincrement"], "needs an INTEGER column that is the whole primary key "
                             "(\"primary_key\": true)")
            if col.generated and col.default is not None:
                self.problem(where, "a generated column cannot have a default")
        for i, check in enumerate(body.get("checks", ())):
            self.expression(check, parts + ["checks", i])
        rows = self.seed_rows(body.get("rows", []), declared, primary_key, columns, parts)
        strict = bool(body.get("strict", False))
        if strict:
            from selfheal.planning.plan import STRICT_TYPES

            for col in columns:
                if col.type.upper() not in STRICT_TYPES:
                    self.problem(parts + ["columns", col.name, "type"], f"{json.dumps(col.type)} is not allowed in a "
                                 "STRICT table (INT, INTEGER, REAL, TEXT, BLOB or ANY)")
        columns = self.identities(columns, primary_key, parts)
        table = Table(name=name, columns=tuple(columns), primary_key=primary_key, indexes=tuple(indexes),
                      rows=tuple(rows), checks=tuple(c.strip() for c in body.get("checks", ())), strict=strict,
                      without_rowid=bool(body.get("without_rowid", False)), unique=tuple(unique),
                      nulls_not_distinct=tuple(nulls_not_distinct), unique_names=tuple(unique_names),
                      foreign_keys=tuple(foreign_keys), renamed_from=body.get("renamed_from", ""))
        self.renamed_columns(columns, declared, parts)
        if not self.server and table.uses_constraint_keys:  # PostgreSQL checks its own when it creates them
            self.constraints_problems(table, parts)
        return table

    def seed_rows(self, given: list[dict[str, Any]], declared: dict[str, str], primary_key: tuple[str, ...],
                  columns: list[Column], parts: list[PathPart]) -> list[tuple[tuple[str, Any], ...]]:
        """Seed rows with their column names as declared; each needs the whole primary key."""
        rows = []
        for i, row in enumerate(given):
            unknown = [c for c in row if fold(c) not in declared]
            for col in unknown:
                self.problem(parts + ["rows", i], f"seed row column {json.dumps(col)} is not declared")
            if not primary_key:
                self.problem(parts + ["rows"], "seed rows need a primary key to be matched by (declare one)")
                break
            for col in row:
                if fold(col) in declared and self._is_generated(columns, col):
                    self.problem(parts + ["rows", i], f"seed row sets the generated column {json.dumps(col)}")
            absent = [c for c in primary_key if fold(c) not in {fold(k) for k in row}]
            if absent:
                self.problem(parts + ["rows", i], f"seed row lacks primary key column {', '.join(absent)}")
            if not unknown and not absent:
                rows.append(tuple((declared[fold(c)], v) for c, v in row.items()))
        return rows

    def identities(self, columns: list[Column], primary_key: tuple[str, ...], parts: list[PathPart]) -> list[Column]:
        """Each column's identity as the entry's engine settles it (declared, implied, or a problem)."""
        out = []
        for col in columns:
            identity, problem = self.rules.identity_of(col, primary_key)
            if problem:
                self.problem(parts + ["columns", col.name, "identity"], problem)
            out.append(col if identity == col.identity else replace(col, identity=identity))
        return out

    def renamed_columns(self, columns: list[Column], declared: dict[str, str], parts: list[PathPart]) -> None:
        """A column is renamed from a name the table no longer declares."""
        for col in columns:
            if col.renamed_from and fold(col.renamed_from) in declared:
                self.problem(parts + ["columns", col.name, "renamed_from"], f"{json.dumps(col.renamed_from)} is "
                             "also declared: a column is renamed from a name the table no longer declares")

    @staticmethod
    def _is_generated(columns: list[Column], name: str) -> bool:
        return any(fold(c.name) == fold(name) and c.generated for c in columns)

    def constraints_problems(self, table: Table, parts: list[PathPart]) -> None:
        """Let SQLite build a table that uses constraint keys: every expression must be part of one
        column or CHECK (an expression that closes its own parenthesis could smuggle in more)."""
        from selfheal.planning.sql import create_index, create_table

        memory = sqlite3.connect(":memory:")
        try:
            memory.execute(create_table(replace(table, foreign_keys=(), columns=tuple(
                replace(c, references=None, fk_actions="") for c in table.columns))))
            names = [r[0] for r in memory.execute("SELECT name FROM pragma_table_xinfo(?)", (table.name,))]
            checks = len(re.findall(r"\bCHECK\b", code_only(create_table(table)), re.IGNORECASE))
            if names != [c.name for c in table.columns] or checks != len(table.checks) + sum(
                    bool(c.check) for c in table.columns):
                self.problem(parts, "its constraint expressions do not each stay within their column or CHECK")
            count = "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
            for i, index in enumerate(table.indexes):
                if index.where or index.terms:
                    name = index.name or "probe_index"
                    before = memory.execute(count).fetchone()[0]
                    memory.execute(create_index(table.name, index, name))
                    if memory.execute(count).fetchone()[0] != before + 1:
                        self.problem(parts + ["indexes", i, "where"], "is not one expression")
                    keys = memory.execute("SELECT count(*) FROM pragma_index_xinfo(?) WHERE key = 1",
                                          (name,)).fetchone()[0]
                    partial = memory.execute("SELECT partial FROM pragma_index_list(?) WHERE name = ?",
                                             (table.name, name)).fetchone()[0]
                    if keys != len(index.columns) or bool(partial) != bool(index.where):
                        self.problem(parts + ["indexes", i, "columns"], "each \"sql\" must be one expression")
        except (sqlite3.Error, sqlite3.Warning) as exc:
            self.problem(parts, f"SQLite refuses its declaration: {exc}")
        finally:
            memory.close()

    def parent_key(self, target: Table, column: str, text: str, parts: list[PathPart]) -> tuple[str, str]:
        """A resolved reference; one to neither the primary key nor a unique column is a problem."""
        if not is_parent_key(target, column):
            self.problem(parts + ["references"], f"{json.dumps(text)} is neither the primary key of "
                         f"{json.dumps(target.name)} nor a unique column: SQLite would refuse every write "
                         "to this table (foreign key mismatch)")
        return target.name, column

    def resolve_foreign_key(self, fk: ForeignKey, by_name: dict[str, Table], parts: list[PathPart]) -> ForeignKey:
        """A composite foreign key with its parent's names as declared; a parent that is no key is a problem."""
        target = by_name.get(fold(fk.table))
        if target is None:
            self.problem(parts + ["references", "table"], f"{json.dumps(fk.table)} is not a table declared in "
                         "the same database")
            return fk
        columns = []
        for col in fk.parent_columns:
            have = target.column(col)
            if have is None:
                self.problem(parts + ["references", "columns"], f"{json.dumps(col)} is not a column of "
                             f"{json.dumps(target.name)}")
            columns.append(have.name if have else col)
        if len(columns) == len(fk.parent_columns) and not is_parent_key_set(target, tuple(columns)):
            self.problem(parts + ["references"], f"({', '.join(columns)}) is neither the primary key of "
                         f"{json.dumps(target.name)} nor one of its unique column sets: SQLite would refuse every "
                         "write to this table (foreign key mismatch)")
        return replace(fk, table=target.name, parent_columns=tuple(columns))

    def resolve_reference(
        self, given: tuple[str, str], by_name: dict[str, Table], parts: list[PathPart]
    ) -> Optional[tuple[str, str]]:
        """Split "table.column" at the dot that names a declared table and column (or take the pair)."""
        table_name, text = given
        if table_name:
            text = f"{table_name}.{text}"
            target = by_name.get(fold(table_name))
            column = target.column(given[1]) if target else None
            if target and column:
                return self.parent_key(target, column.name, text, parts)
        for i, ch in enumerate(text):
            if ch == ".":
                target = by_name.get(fold(text[:i]))
                column = target.column(text[i + 1:]) if target else None
                if target and column:
                    return self.parent_key(target, column.name, text, parts)
        self.problem(parts + ["references"], f"{json.dumps(text)} does not name a declared column "
                     "(\"table.column\" in the same database)")
        return None


def is_parent_key_set(table: Table, columns: tuple[str, ...]) -> bool:
    """True when a foreign key over several columns may point at these: the primary key, or a unique set."""
    want = sorted(fold(c) for c in columns)
    keys = [table.primary_key, *table.unique, *(i.columns for i in table.indexes if i.unique and not i.partial)]
    return any(sorted(fold(c or "") for c in key) == want for key in keys)


def is_parent_key(table: Table, column: str) -> bool:
    """True when a foreign key may point at this column: the table's whole primary key, or unique alone."""
    if [fold(c) for c in table.primary_key] == [fold(column)]:
        return True
    declared = table.column(column)
    if (declared is not None and declared.unique) or [fold(column)] in ([fold(c) for c in u] for u in table.unique):
        return True
    return any(i.unique and not i.partial and [fold(c or "") for c in i.columns] == [fold(column)]
               for i in table.indexes)
