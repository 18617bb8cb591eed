"""A PostgreSQL entry's objects beside its tables: extensions, types, sequences, functions, triggers and
comments. Each statement is checked here for its kind; the server itself reads it when selfheal checks."""

from __future__ import annotations

import json
import re
from typing import Any, Union

from selfheal.declare.collect import Collector
from selfheal.declare.document import PathPart
from selfheal.model import SchemaObject, SqlDeclaration, Table, fold

# what each kind's statement must start with (after white space): one CREATE of that kind
_STARTS = {
    "type": r"CREATE\s+(TYPE|DOMAIN)\s",
    "sequence": r"CREATE\s+SEQUENCE\s",
    "function": r"CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s",
    "trigger": r"CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?TRIGGER\s",
}
_SAYS = {"type": "CREATE TYPE or CREATE DOMAIN", "sequence": "CREATE SEQUENCE",
         "function": "CREATE FUNCTION or CREATE PROCEDURE", "trigger": "CREATE TRIGGER"}


class ServerObjectsBuilder(Collector):
    """Builds a PostgreSQL entry's objects, in the order heal creates them."""

    def server_objects(self, body: dict[str, Any], tables: tuple[Table, ...],
                       parts: list[PathPart]) -> tuple[SchemaObject, ...]:
        """extensions, types, sequences, functions, triggers and comments as SchemaObjects (declared text)."""
        out = [SchemaObject("extension", name, key=name) for name in body.get("extensions", [])]
        for name, spec in body.get("types", {}).items():
            if "enum" in spec:
                out.append(SchemaObject("enum", name, items=tuple(spec["enum"]), key=name))
            elif self._statement("type", spec["sql"], parts + ["types", name, "sql"]):
                out.append(SchemaObject("type", name, spec["sql"], key=name))
        for kind in ("sequence", "function", "trigger"):
            for name, text in body.get(kind + "s", {}).items():
                if self._statement(kind, text, parts + [kind + "s", name]):
                    out.append(SchemaObject(kind, name, text, key=name))
        names = {fold(t.name): t for t in tables}
        for name, text in body.get("comments", {}).items():
            table, _, column = name.rpartition(".")
            if fold(name) in names:
                out.append(SchemaObject("comment", names[fold(name)].name, text, key=name))
            elif fold(table) in names and names[fold(table)].column(column) is not None:
                owner = names[fold(table)]
                out.append(SchemaObject("comment", f"{owner.name}.{owner.column(column).name}",  # type: ignore[union-attr]
                                        text, key=name))
            else:
                self.problem(parts + ["comments", name], f"{json.dumps(name)} names no declared table or "
                             "table.column")
        return tuple(out)

    def server_sql_files(self, files: Union[str, list[str]], tables: tuple[Table, ...],
                         objects: tuple[SchemaObject, ...], parts: list[PathPart]) -> SqlDeclaration:
        """A PostgreSQL entry's SQL files: their statements sorted; a name declared twice is a problem."""
        paths = [files] if isinstance(files, str) else list(files)
        if not all(self.inside_root(rel, parts + ([i] if isinstance(files, list) else []))
                   for i, rel in enumerate(paths)):
            return SqlDeclaration()
        declared = self.rules.read_sql_files(self.root, tuple(paths), self.max_file_bytes)
        for where, message in declared.problems:
            self.problem(parts, f"{where}: {message}")
        for table in tables:
            if fold(table.name) in declared.origin:
                self.problem(parts, f"{json.dumps(table.name)} is declared twice: in \"tables\" and in "
                             f"{declared.origin[fold(table.name)]}")
        json_keys = {(o.group, fold(o.key)) for o in objects}
        seen: set[tuple[str, str]] = set()
        for obj in declared.objects:
            key = (obj.group, fold(obj.key))
            if key in json_keys or key in seen:
                self.problem(parts, f"{obj.origin}: {obj.kind} {json.dumps(obj.key)} is declared twice")
            seen.add(key)
        return declared

    def _statement(self, kind: str, text: str, parts: list[PathPart]) -> bool:
        """True when the text is a CREATE statement of this kind (the server runs it as one statement)."""
        if re.match(_STARTS[kind], text.lstrip() + " ", re.IGNORECASE):
            return True
        self.problem(parts, f"must be one {_SAYS[kind]} statement, is {json.dumps(text.strip()[:60])}")
        return False
