"""Views, triggers and SQL DDL files of a declared SQLite database (SQLite itself parses them)."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from typing import Optional, Union

from selfheal.declare.collect import Collector
from selfheal.declare.document import PathPart
from selfheal.engines import DeclarationRules
from selfheal.model import Table, fold


class ObjectsBuilder(Collector):
    rules: DeclarationRules

    """Checks views and triggers over the declared tables; reads SQL declaration files."""

    def sql_files(self, files: Union[str, list[str]], tables: tuple[Table, ...], views: dict[str, str],
                  triggers: dict[str, str], parts: list[PathPart]
                  ) -> tuple[tuple[Table, ...], dict[str, str], dict[str, str]]:
        """Add what SQL DDL files declare (SQLite parses them) to what the JSON keys declare."""
        paths = [files] if isinstance(files, str) else list(files)
        if not all(self.inside_root(rel, parts + ([i] if isinstance(files, list) else []))
                   for i, rel in enumerate(paths)):
            return tables, views, triggers
        declared = self.rules.read_sql_files(self.root, tuple(paths), self.max_file_bytes)
        for where, message in declared.problems:
            self.problem(parts, f"{where}: {message}")
        json_names = {fold(t.name) for t in tables} | {fold(n) for n in views} | {fold(n) for n in triggers}
        clashes = [t.name for t in declared.tables if fold(t.name) in json_names] + [
            n for n, _ in declared.views + declared.triggers if fold(n) in json_names]
        for name in clashes:
            self.problem(parts, f"{json.dumps(name)} is declared twice: in this database's JSON keys and in "
                         f"{declared.origin.get(fold(name), 'the SQL files')}")
        merged = tables + tuple(replace(t, source=declared.origin.get(fold(t.name), "")) for t in declared.tables)
        return merged, {**views, **dict(declared.views)}, {**triggers, **dict(declared.triggers)}

    def views_and_triggers(self, tables: tuple[Table, ...], views: dict[str, str], triggers: dict[str, str],
                           parts: list[PathPart], sql_views: Optional[dict[str, str]] = None) -> None:
        """Let SQLite parse each view and trigger over the declared tables, in an in-memory database."""
        from selfheal.planning.sql import create_table, create_view, quote_ident

        memory = sqlite3.connect(":memory:")
        try:
            for table in tables:
                try:
                    memory.execute(create_table(table))
                except sqlite3.Error:
                    pass  # the table's own problems are reported where it is declared
            for text in (sql_views or {}).values():  # an SQL file's views, for JSON views built on them
                try:
                    memory.execute(text)
                except sqlite3.Error:
                    pass  # reported where the SQL file is read
            taken = {fold(t.name) for t in tables} | {fold(n) for n in sql_views or {}}
            taken |= {fold(i.name) for t in tables for i in t.indexes if i.name}
            for kind, decl in (("view", views), ("trigger", triggers)):
                self.case_clashes(decl, parts + [kind + "s"], kind)
                for name, text in decl.items():
                    where = parts + [kind + "s", name]
                    if fold(name) in taken:
                        self.problem(where, f"{kind} name {json.dumps(name)} is also a table or index name")
                    taken.add(fold(name))
                    if kind == "trigger" and not re.match(r"\s*CREATE\s+TRIGGER\s", text, re.IGNORECASE):
                        self.problem(where, "must be one CREATE TRIGGER statement (TEMP triggers vanish)")
                        continue
                    try:
                        memory.execute(create_view(name, text) if kind == "view" else text)
                        if kind == "view":  # SQLite resolves a view's names only when it is used
                            memory.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0").fetchall()
                    except (sqlite3.Error, sqlite3.Warning) as exc:
                        self.problem(where, f"SQLite refuses it: {exc}")
                        continue
                    made = memory.execute("SELECT name FROM sqlite_master WHERE type = ? AND name = ?",
                                          (kind, name)).fetchone()
                    if made is None:
                        self.problem(where, f"the statement creates a {kind} of another name than "
                                     f"{json.dumps(name)}")
        finally:
            memory.close()
