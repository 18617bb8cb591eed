"""The loader's shared state: where schema.json is, the problems found so far, and path and name rules."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from selfheal.declare.document import PathPart, location
from selfheal.engines import DeclarationRules
from selfheal.model import fold


class Collector:
    """Collects semantic problems, each with its location in schema.json."""

    def __init__(self, path: Path):
        self.path = path
        self.root = path.parent
        self.problems: list[tuple[str, str]] = []
        self.max_file_bytes = 1024 * 1024
        self.rules: DeclarationRules
        self._rules: dict[str, DeclarationRules] = {}

    def use_engine(self, name: str) -> None:
        """Load what follows by the rules of this engine (asked of the registry once per load)."""
        if name not in self._rules:
            from selfheal import engines

            self._rules[name] = engines.get(name).rules()
        self.rules = self._rules[name]

    def expression(self, text: Any, parts: list[PathPart], statement: bool = False,
                   what: str = "SQL expression") -> bool:
        """True when a declared SQL expression stays one expression as its engine reads it; else a problem."""
        from selfheal.planning.expressions import expression_problem

        problem = expression_problem(str(text), self.rules.name, statement)
        if problem:
            self.problem(parts, f"{json.dumps(str(text)[:80])} is not one {what}: it {problem}")
        return not problem

    def problem(self, parts: list[PathPart], message: str) -> None:
        self.problems.append((location(parts), message))

    def inside_root(self, rel: str, parts: list[PathPart], allow_root: bool = False) -> bool:
        """True when a relative path stays inside the schema's folder (or is it, with allow_root)."""
        if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
            self.problem(parts, f"{json.dumps(rel)} must be relative to the schema's folder, not absolute")
            return False
        too_long = [part for part in PurePosixPath(rel.replace("\\", "/")).parts if len(part.encode("utf-8")) > 255]
        if too_long:
            self.problem(parts, f"{json.dumps(rel)} has a component longer than 255 bytes, which file systems refuse")
            return False
        target = os.path.normpath(os.path.join(str(self.root), rel))
        if os.path.commonpath([target, str(self.root)]) != str(self.root) or (target == str(self.root)
                                                                               and not allow_root):
            self.problem(parts, f"{json.dumps(rel)} must stay inside the schema's folder")
            return False
        return True

    def reserved(self, name: str, parts: list[PathPart], what: str) -> None:
        """SQLite keeps names that start with sqlite_ for itself."""
        if fold(name).startswith("sqlite_"):
            self.problem(parts, f"{what} name {json.dumps(name)} starts with \"sqlite_\", which SQLite reserves "
                         "for itself")

    def case_clashes(self, decl: dict[str, Any], parts: list[PathPart], what: str) -> dict[str, str]:
        """Names that differ only in case are problems; returns folded name -> name as declared."""
        seen: dict[str, str] = {}
        named = what in ("table", "view", "trigger")
        for name in decl:
            if named:
                self.reserved(name, parts + [name], what)
            folded = fold(name)
            if folded in seen:
                self.problem(parts + [name], f"{what} {json.dumps(name)} and {json.dumps(seen[folded])} "
                             "differ only in case, which SQLite treats as the same name")
            seen[folded] = name
        return seen

    def column_list(self, cols: list[str], declared: dict[str, str], table: str,
                    parts: list[PathPart]) -> tuple[str, ...]:
        """Column names of a table constraint, as declared; unknown ones are problems."""
        for col in cols:
            if fold(col) not in declared:
                self.problem(parts, f"column {json.dumps(col)} is not declared in table {json.dumps(table)}")
        if len({fold(c) for c in cols}) != len(cols):
            self.problem(parts, "a column is listed twice")
        return tuple(declared.get(fold(c), c) for c in cols)
