"""The constraints of an existing table against its declaration: drift to report, never to apply.

CHECK, COLLATE, AUTOINCREMENT and generated expressions live only in a table's SQL text, so they are
read from it (code only, compared by `sql.normalized`); UNIQUE sets, foreign keys and their actions,
STRICT and WITHOUT ROWID come from what SQLite reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from selfheal.model import ForeignKey, Table, fold
from selfheal.planning import sql

# raw-text test: a table whose SQL names none of these has no text-level constraint to compare
_WORDS = re.compile(r"\b(CHECK|COLLATE|AUTOINCREMENT|AS)\b", re.IGNORECASE)


def _maybe(text: str) -> bool:
    """True when the SQL text may hold a CHECK, COLLATE, AUTOINCREMENT or generated column (substring
    test first: the word-boundary search is ten times slower on long definitions)."""
    upper = text.upper()
    return ("CHECK" in upper or "COLLATE" in upper or "AUTOINCREMENT" in upper or "AS" in upper) and \
        _WORDS.search(text) is not None
_ACTION = re.compile(r"\bON\s+(DELETE|UPDATE)\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)\b",
                     re.IGNORECASE)
_CONSTRAINT_NAME = re.compile(r"CONSTRAINT\s+(\"[^\"]*\"|`[^`]*`|\[[^\]]*\]|\S+)\s*", re.IGNORECASE)


@dataclass
class TextShape:
    """What a CREATE TABLE text says beyond the catalogue: per column and for the whole table."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # folded name -> aspect -> normalized text
    checks: list[str] = field(default_factory=list)  # table CHECK expressions, in declared order


def depth_zero(code: str) -> str:
    """The code with everything inside parentheses blanked (the parentheses themselves kept)."""
    out, depth = [], 0
    for ch in code:
        if ch == "(":
            depth += 1
            out.append(ch if depth == 1 else " ")
        elif ch == ")":
            out.append(ch if depth == 1 else " ")
            depth = max(depth - 1, 0)
        else:
            out.append(ch if depth == 0 else " ")
    return "".join(out)


def _group(text: str, code: str, open_pos: int) -> str:
    """The text inside the parenthesis group that opens at open_pos (balanced in the code)."""
    depth = 0
    for i in range(open_pos, len(code)):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1:i]
    return text[open_pos + 1:]


def _word_after(text: str, pos: int) -> str:
    """The (maybe quoted) name that starts at or after pos."""
    rest = text[pos:].lstrip()
    if rest[:1] in ('"', "`", "["):
        close = {"[": "]"}.get(rest[0], rest[0])
        end = rest.find(close, 1)
        return rest[1:end if end > 0 else None]
    match = re.match(r"[^\s,()]+", rest)
    return match.group(0) if match else ""


def column_shape(definition: str, clean: Callable[[str], str] = sql.normalized) -> dict[str, str]:
    """collate / check / autoincrement / generated of one column definition, each text passed through clean."""
    code = sql.code_only(definition)
    top = depth_zero(code)
    shape: dict[str, str] = {}
    match = re.search(r"\bCOLLATE\b", top, re.IGNORECASE)
    if match:
        name = _word_after(definition, match.end()).upper()
        if name != "BINARY":
            shape["collate"] = name
    checks = [clean(_group(definition, code, top.index("(", m.end())))
              for m in re.finditer(r"\bCHECK\s*(?=\()", top, re.IGNORECASE)]
    if checks:
        shape["check"] = " AND ".join(f"({c})" for c in checks) if len(checks) > 1 else checks[0]
    if re.search(r"\bAUTOINCREMENT\b", top, re.IGNORECASE):
        shape["autoincrement"] = "AUTOINCREMENT"
    match = re.search(r"\bAS\s*(?=\()", top, re.IGNORECASE)
    if match:
        expr = clean(_group(definition, code, top.index("(", match.end())))
        stored = re.search(r"\bSTORED\b", top[match.end():], re.IGNORECASE)
        shape["generated"] = f"{expr} {'stored' if stored else 'virtual'}"
    return shape


def text_shape(create_sql: str, clean: Callable[[str], str] = sql.normalized) -> TextShape:
    """The text-only constraints of a CREATE TABLE statement (expressions passed through clean)."""
    shape = TextShape()
    if not _maybe(create_sql):
        return shape
    for text in sql.table_items(create_sql):
        body = _CONSTRAINT_NAME.sub("", text, count=1) if re.match(r"CONSTRAINT\b", text, re.IGNORECASE) else text
        if sql.is_table_constraint(text):
            code = sql.code_only(body)
            if re.match(r"\s*CHECK\s*\(", code, re.IGNORECASE):
                shape.checks.append(clean(_group(body, code, code.index("("))))
            continue
        found = column_shape(text, clean)
        if found:
            shape.columns[fold(sql.leading_name(text))] = found
    return shape


def _declares_text(table: Table) -> bool:
    """True when a declared table has a constraint only its SQL text would show."""
    if table.sql:
        return _maybe(table.sql)
    return bool(table.checks) or any(c.check or c.collate or c.generated or c.autoincrement or
                                     (c.definition and _maybe(c.definition)) for c in table.columns)


def _actions(text: str) -> str:
    """ON DELETE / ON UPDATE of a foreign key clause, in one spelling ("" for none or NO ACTION)."""
    found = {what.upper(): " ".join(action.upper().split()) for what, action in _ACTION.findall(text)}
    return " ".join(f"ON {what} {found[what]}" for what in ("DELETE", "UPDATE")
                    if found.get(what, "NO ACTION") != "NO ACTION")


def _unique_sets(table: Table, live: bool) -> set[tuple[str, ...]]:
    if live:
        return {tuple(fold(c or "") for c in i.columns) for i in table.indexes if i.origin == "u"}
    sets: set[tuple[str, ...]] = {(fold(c.name),) for c in table.columns if c.unique}
    sets.update(tuple(fold(c) for c in cols) for cols in table.unique)
    return sets


def _fk_key(fk: ForeignKey) -> tuple[tuple[str, ...], str, tuple[str, ...], str]:
    return (tuple(map(fold, fk.columns)), fold(fk.table), tuple(map(fold, fk.parent_columns)), _actions(fk.actions))


def _show_fk(fk: ForeignKey) -> str:
    return (f"({', '.join(fk.columns)}) → {fk.table} ({', '.join(fk.parent_columns)})"
            + (f" {_actions(fk.actions)}" if _actions(fk.actions) else ""))


@dataclass(frozen=True)
class Difference:
    """One constraint that differs; `extra` when the database has it and schema.json says nothing."""

    column: Optional[str]
    aspect: str
    declared: str
    actual: str

    @property
    def extra(self) -> bool:
        """True when only the database has this constraint (it is kept, and reported as information)."""
        return self.declared in ("none", "no")


def _set_differences(aspect: str, want: dict[object, str], have: dict[object, str]) -> list[Difference]:
    """Declared members the database lacks, then members only the database has."""
    out = []
    missing = [text for key, text in want.items() if key not in have]
    extra = [text for key, text in have.items() if key not in want]
    if missing:
        out.append(Difference(None, aspect, "; ".join(missing), "; ".join(have.values()) or "none"))
    if extra:
        out.append(Difference(None, aspect, "none", "; ".join(extra)))
    return out


def differences(declared: Table, live: Table, by_text: bool = True) -> list[Difference]:
    """Each constraint of an existing table that differs from its declaration (`by_text`: also those
    only the table's SQL text holds, when the engine keeps it)."""
    if not (declared.declares_constraints or live.strict or live.without_rowid or live.foreign_keys
            or _maybe(live.sql) or any(i.origin == "u" for i in live.indexes)):
        return []  # neither side holds a constraint to compare: the common case, decided without parsing
    # rendering and parsing the text is needed only when either side can hold such a constraint
    by_text = by_text and (_maybe(live.sql) or _declares_text(declared))
    declared_sql = sql.create_table(declared) if by_text else ""
    out: list[Difference] = []
    if by_text and not (live.sql and sql.same_sql(declared_sql, live.sql)):
        want, have = text_shape(declared_sql), text_shape(live.sql)
        for column in declared.columns:
            live_col = live.column(column.name)
            if live_col is None:
                continue
            wanted, had = want.columns.get(fold(column.name), {}), have.columns.get(fold(live_col.name), {})
            for aspect in ("collate", "check", "autoincrement", "generated"):
                if wanted.get(aspect, "") != had.get(aspect, ""):
                    out.append(Difference(live_col.name, aspect, wanted.get(aspect) or "none",
                                          had.get(aspect) or "none"))
        out.extend(_set_differences("table CHECK", {c: c for c in want.checks}, {c: c for c in have.checks}))
    if not by_text and declared.server_checks is not None:  # a server's own text of both sides
        out.extend(_set_differences("CHECK", {c: c for c in declared.server_checks}, {c: c for c in live.checks}))
    for column in (c for c in declared.columns if c.references):
        live_col = live.column(column.name)
        if live_col is not None and live_col.references and (
                _actions(column.fk_actions) != _actions(live_col.fk_actions)):
            out.append(Difference(live_col.name, "foreign key actions", _actions(column.fk_actions) or "no action",
                                  _actions(live_col.fk_actions) or "no action"))
    want_unique, have_unique = _unique_sets(declared, live=False), _unique_sets(live, live=True)
    if want_unique or have_unique or declared.foreign_keys or live.foreign_keys:
        present = {fold(c.name) for c in live.columns}
        show = lambda cols: f"({', '.join(cols)})"  # noqa: E731
        out.extend(_set_differences("UNIQUE", {u: show(u) for u in want_unique if set(u) <= present},
                                    {u: show(u) for u in have_unique}))
        out.extend(_set_differences(
            "foreign key",
            {_fk_key(fk): _show_fk(fk) for fk in declared.foreign_keys if set(map(fold, fk.columns)) <= present},
            {_fk_key(fk): _show_fk(fk) for fk in live.foreign_keys}))
    for aspect, want_on, have_on in (("STRICT", declared.strict, live.strict),
                                     ("WITHOUT ROWID", declared.without_rowid, live.without_rowid)):
        if want_on != have_on:
            out.append(Difference(None, aspect, "yes" if want_on else "no", "yes" if have_on else "no"))
    return out
