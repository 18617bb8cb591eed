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
from selfheal.planning.sql import QUOTES, closing_quote, code_only, column_definitions
from selfheal.safety.safefile import read_sql_file

_ALLOWED = re.compile(r"\s*CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b", re.IGNORECASE)
_TEMP = re.compile(r"\s*CREATE\s+(TEMP|TEMPORARY)\b", re.IGNORECASE)
_HEAD = 512
_INTERESTING = re.compile(r"['\"`\[;]|--|/\*")  # where a quote, a comment or a statement may start or end
_TRIGGER = re.compile(r"\s*CREATE\s+((TEMP|TEMPORARY)\s+)?TRIGGER\b", re.IGNORECASE)
_ENDS_WITH_END = re.compile(r"\bEND\s*$", re.IGNORECASE)
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?(?:\*/|\Z))*", re.DOTALL)  # white space and comments
_VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)


def statements(text: str) -> list[tuple[int, str]]:
    """The statements of an SQL text with the line each starts on, in one pass (SQLite decides where one
    ends: at a ';' outside quotes and comments that completes a statement, so a trigger's body stays whole)."""
    out: list[tuple[int, str]] = []
    start, line, counted, i, n = 0, 1, 0, 0, len(text)
    kind_of, in_trigger = -1, False

    def emit(end: int) -> None:
        nonlocal line, counted
        first = _skip_blank(text, start, end)
        code = first
        while code < end and text[code] == ";":  # a statement of semicolons alone is no statement
            code = _skip_blank(text, code + 1, end)
        if code < end:
            line += text.count("\n", counted, first)
            counted = first
            out.append((line, text[start:end].strip()))

    while i < n:
        found = _INTERESTING.search(text, i)
        if found is None:
            break
        i = found.start()
        ch = text[i]
        if ch in QUOTES:
            i = closing_quote(text, i + 1, QUOTES[ch]) + 1
        elif text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:  # a ';': inside a trigger's body only the one after END can end it (asked once, not per line)
            if kind_of != start:  # once per statement, at its first ';'
                kind_of, in_trigger = start, _TRIGGER.match(code_only(text[start:i])) is not None
            if (not in_trigger or _ENDS_WITH_END.search(text, max(start, i - 16), i)) and \
                    sqlite3.complete_statement(text[start:i + 1]):
                emit(i + 1)
                start = i + 1
            i += 1
    emit(n)  # an unfinished statement: SQLite says why when it runs
    return out


def _skip_blank(text: str, pos: int, end: int) -> int:
    """The position of the first character at or after pos that is neither white space nor a comment."""
    found = _LEADING.match(text, pos, end)
    return found.end() if found else pos


def load(root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
    """Run the files into an in-memory database and read it back as declared tables, views, triggers."""
    result = SqlDeclaration()
    memory = sqlite3.connect(":memory:")
    try:
        for rel in files:
            text, problems = read_sql_file(root, rel, limit)
            if problems:
                result.problems.extend(problems)
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
    code = code_only(statement[:_HEAD])  # its first words decide what kind it is
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
