"""What SQLite accepts in a declaration: type names and constant defaults, asked of SQLite itself."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Optional

from selfheal.model import Column, SqlDeclaration

_TYPE_NAME = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(\s+[A-Za-z_][A-Za-z0-9_]*)*"
    r"(\s*\(\s*[+-]?\d+(\.\d+)?\s*(,\s*[+-]?\d+(\.\d+)?\s*)?\))?"
)
_CONSTRAINT_WORD = re.compile(r"\b(NOT\s+NULL|PRIMARY\s+KEY|DEFAULT|REFERENCES|CHECK|COLLATE|UNIQUE|GENERATED|"
                              r"AUTOINCREMENT|CONSTRAINT|AS|NULL|ON\s+CONFLICT)\b", re.IGNORECASE)
_CONSTRAINT_KEYS = {"NOT NULL": "not_null", "PRIMARY KEY": "primary_key", "DEFAULT": "default",
                    "REFERENCES": "references", "AUTOINCREMENT": "primary_key"}


class SqliteRules:
    """The loader's questions, answered by an in-memory SQLite database."""

    name = "sqlite"

    def __init__(self) -> None:
        self._memory: Optional[sqlite3.Connection] = None

    def memory(self) -> sqlite3.Connection:
        """An in-memory database for asking SQLite whether a piece of SQL means what it seems to."""
        if self._memory is None:
            self._memory = sqlite3.connect(":memory:")
        return self._memory

    def unsupported_keys(self, body: dict[str, Any]) -> list[tuple[list[Any], str]]:
        """The PostgreSQL objects (extensions, types, sequences, functions, comments) have no SQLite form."""
        return [([key], "is for a PostgreSQL database (\"url\"); SQLite has no such objects")
                for key in ("extensions", "types", "sequences", "functions", "comments") if key in body]

    def type_problem(self, type_name: str) -> str:
        """Why a type string is not a bare SQLite type name ("" when it is), asking SQLite itself.

        "TEXT NOT NULL" or "CHECK (0)" would be written into CREATE TABLE verbatim: a constraint
        smuggled in, and a table that differs from its declaration forever."""
        shape = "words, optionally followed by (N) or (N, M)"
        if not _TYPE_NAME.fullmatch(type_name):
            return f"{json.dumps(type_name)} is not an SQLite type name ({shape})"
        constraint = _CONSTRAINT_WORD.search(type_name)
        if constraint:
            word = " ".join(constraint.group(0).upper().split())
            key = _CONSTRAINT_KEYS.get(word, "")
            instead = f': use the column\'s "{key}" key' if key else ""
            return f"{json.dumps(type_name)} holds the constraint {word}{instead} (a type is a type name only)"
        memory = self.memory()
        try:
            memory.execute("DROP TABLE IF EXISTS probe")
            memory.execute(f"CREATE TABLE probe (x {type_name})")
            [(parsed,)] = memory.execute("SELECT type FROM pragma_table_info('probe')").fetchall()
        except (sqlite3.Error, ValueError) as exc:
            return f"{json.dumps(type_name)} is not an SQLite type name: {exc}"
        if parsed.upper() != type_name.upper():
            return f"{json.dumps(type_name)} is not an SQLite type name ({shape}); SQLite reads it as {parsed!r}"
        return ""

    def default_problem(self, expr: str, rendered: str) -> str:
        """Why `rendered` (the DEFAULT clause's SQL for `expr`) is not exactly one constant expression."""
        memory = self.memory()
        try:
            memory.execute("DROP TABLE IF EXISTS probe")
            memory.execute(f"CREATE TABLE probe (x DEFAULT {rendered})")
            rows = memory.execute("SELECT name, dflt_value FROM pragma_table_info('probe')").fetchall()
        except (sqlite3.Error, sqlite3.Warning) as exc:
            return f"{json.dumps(expr)} is not a constant SQL expression: {exc}"
        # SQLite keeps the expression's own text; anything else (an extra column, a CHECK) was smuggled in
        if len(rows) != 1 or (rows[0][1] not in (expr, f"({expr})") and rows[0][1].strip("()") != expr):
            return f"{json.dumps(expr)} is not one constant SQL expression"
        return ""

    def read_sql_files(self, root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
        """SQLite runs the files' statements in an in-memory database and reads back what they made."""
        from selfheal.engines.sqlite import sqlfile

        return sqlfile.load(root, files, limit)

    def identity_of(self, column: Column, primary_key: tuple[str, ...]) -> tuple[str, str]:
        """SQLite has no identity columns: its INTEGER PRIMARY KEY assigns ids itself."""
        if column.identity and column.identity != "none":
            return "", "is PostgreSQL's: SQLite's INTEGER PRIMARY KEY assigns ids itself (drop the key here)"
        return "", ""
