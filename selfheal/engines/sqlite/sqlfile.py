"""SQL DDL files as a declaration: SQLite itself parses them, the catalogue reader turns them into the model.

A table declared in SQL keeps its own CREATE TABLE text (every constraint, collation and foreign key
action, exactly as written) for creation, and each column keeps its own definition text for when it
must be added to an existing table. Only CREATE TABLE / INDEX / VIEW / TRIGGER statements are allowed.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

from selfheal.engines.sqlite import catalog
from selfheal.model import Index, SqlDeclaration, Table, fold
from selfheal.planning.sql import code_only, column_definitions
from selfheal.safety.safefile import planted_link, read_small_text

_ALLOWED = re.compile(r"\s*CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b", re.IGNORECASE)
_TEMP = re.compile(r"\s*CREATE\s+(TEMP|TEMPORARY)\b", re.IGNORECASE)
_VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)


def statements(text: str) -> list[tuple[int, str]]:
    """The statements of an SQL text with the line each starts on (SQLite decides where one ends)."""
    out: list[tuple[int, str]] = []
    buffer, start, line = "", 1, 1
    for chunk in text.splitlines(keepends=True):
        if not code_only(buffer).strip():
            start = line
        buffer += chunk
        line += 1
        if sqlite3.complete_statement(buffer):
            if code_only(buffer).strip().strip(";").strip():
                out.append((start, buffer.strip()))
            buffer = ""
    if code_only(buffer).strip():
        out.append((start, buffer.strip()))  # unfinished: SQLite says why when it runs
    return out


def load(root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
    """Run the files into an in-memory database and read it back as declared tables, views, triggers."""
    result = SqlDeclaration()
    memory = sqlite3.connect(":memory:")
    try:
        for rel in files:
            problem = planted_link(root, rel)
            if problem:
                result.problems.append((rel, f"{problem}; not read"))
                continue
            try:
                text = read_small_text(root / rel, limit)
            except OSError as exc:
                result.problems.append((rel, f"cannot read: {exc.strerror or exc}"))
                continue
            before = {name for (name,) in memory.execute("SELECT name FROM sqlite_master")}
            for line, statement in statements(text):
                _run(memory, rel, line, statement, result)
            for (name,) in memory.execute("SELECT name FROM sqlite_master WHERE sql IS NOT NULL"):
                if name not in before:
                    result.origin.setdefault(fold(name), rel)
        live = catalog.read(memory, "sql")
    finally:
        memory.close()
    for table in live.tables:
        definitions = column_definitions(table.sql)
        columns = tuple(replace(c, definition=definitions.get(fold(c.name), "")) for c in table.columns)
        indexes = tuple(Index(columns=i.columns, unique=i.unique, name=i.name, partial=i.partial, sql=i.sql)
                        for i in table.indexes if i.origin == "c")
        unique = tuple(tuple(c or "" for c in i.columns) for i in table.indexes if i.origin == "u")
        result.tables.append(Table(name=table.name, columns=columns, primary_key=table.primary_key, indexes=indexes,
                                   sql=table.sql, without_rowid=table.without_rowid, strict=table.strict,
                                   unique=unique, foreign_keys=table.foreign_keys))
    result.views = list(live.views)  # the CREATE VIEW statements as written
    result.triggers = list(live.triggers)
    return result


def _run(memory: sqlite3.Connection, rel: str, line: int, statement: str, result: SqlDeclaration) -> None:
    code = code_only(statement)
    where = f"{rel}:{line}"
    if _TEMP.match(code):
        result.problems.append((where, "TEMP objects vanish when the connection closes: declare them without TEMP"))
    elif _VIRTUAL.match(code):
        result.problems.append((where, "virtual tables (FTS, R*Tree) cannot be declared yet: create them in the app"))
    elif not _ALLOWED.match(code):
        words = code.upper().split()
        word = " ".join(words[:2] if words and words[0] in ("DROP", "CREATE", "ALTER") else words[:1]) or "?"
        result.problems.append((where, f"{word} is not allowed: a declaration holds only CREATE TABLE, INDEX, "
                                       "VIEW and TRIGGER statements"))
    else:
        try:
            memory.execute(statement)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            result.problems.append((where, f"SQLite refuses it: {exc}"))
