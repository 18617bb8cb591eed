"""Columns of a declared table: type names and defaults checked by the entry's engine, plain columns shared."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from selfheal.declare.collect import Collector
from selfheal.declare.document import PathPart
from selfheal.model import Column, Default

_PLAIN_COLUMN_KEYS = frozenset({"type", "not_null", "default", "primary_key"})


class ColumnsBuilder(Collector):
    """Builds Column models; `rules` are those of the engine of the database entry being loaded."""

    def __init__(self, path: Path):
        super().__init__(path)
        self._types: dict[tuple[str, str], str] = {}  # (engine, spelling) -> normalised, checked once per load
        self._valid_defaults: set[str] = set()
        self._columns: dict[tuple[Any, ...], Column] = {}
        self.server = False  # loading a server entry: its expressions are the server's to check

    def column(self, name: str, spec: Union[str, dict[str, Any]], table_parts: list[PathPart]) -> Column:
        """One column of the table `table_parts` locates."""
        raw_type = spec if isinstance(spec, str) else spec["type"]
        type_name = self._types.get((self.rules.name, raw_type))
        if type_name is None:  # each distinct spelling is normalised and checked once per load and engine
            type_name = " ".join(raw_type.split())
            problem = self.rules.type_problem(type_name)
            if problem:
                self.problem(table_parts + ["columns", name, "type"], problem)
            else:
                self._types[(self.rules.name, raw_type)] = type_name
        if isinstance(spec, str):  # the commonest column of all
            return self.shared((name, type_name), name, type_name, False, None)
        default = None
        if "default" in spec:
            raw = spec["default"]
            if isinstance(raw, dict):
                default = Default(raw["sql"].strip(), sql=True)
                if self.expression(default.value, table_parts + ["columns", name, "default", "sql"],
                                   what="constant SQL expression"):
                    self.check_sql_default(default, table_parts + ["columns", name, "default", "sql"])
            else:
                default = Default(raw)
        references, actions = None, []
        if "references" in spec:
            target = spec["references"]
            if isinstance(target, dict):  # resolved once every table is known: ("", "t.c") or (table, column)
                references = (target["table"], target["column"])
                actions = reference_actions(target)
            else:
                references = ("", target)
        if spec.keys() <= _PLAIN_COLUMN_KEYS:  # the common shapes, built without looking up the constraint keys
            not_null = bool(spec.get("not_null", False))
            value = None if default is None else default.value
            if isinstance(value, float):  # 0.0 and -0.0 are equal keys but different SQL: not shared
                return Column(name, type_name, not_null, default)
            key = (name, type_name, not_null, default is None, default is not None and default.sql, type(value), value)
            return self.shared(key, name, type_name, not_null, default)
        generated = spec.get("generated", {})
        where = table_parts + ["columns", name]
        if "check" in spec:
            self.expression(spec["check"], where + ["check"])
        if generated:
            self.expression(generated["sql"], where + ["generated", "sql"])
        return Column(name=name, type=type_name, not_null=bool(spec.get("not_null", False)),
                      default=default, references=references, unique=bool(spec.get("unique", False)),
                      check=spec.get("check", "").strip(), collate=spec.get("collate", ""),
                      fk_actions=" ".join(a for a in actions if a), generated=generated.get("sql", "").strip(),
                      stored=bool(generated.get("stored", False)), hidden=bool(generated),
                      autoincrement=bool(spec.get("autoincrement", False)),
                      renamed_from=spec.get("renamed_from", ""), identity=spec.get("identity", ""))

    def shared(self, key: tuple[Any, ...], name: str, type_name: str, not_null: bool,
               default: Optional[Default]) -> Column:
        """One Column object for every table that declares the same plain column (keyed by exact types:
        1 and True are equal in Python, not in SQL): 10,000 wide tables hold a few hundred, not 200,000."""
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = Column(name, type_name, not_null, default)
        return found

    def check_sql_default(self, default: Default, parts: list[PathPart]) -> None:
        """A {"sql": …} default must be exactly one constant expression."""
        expr = str(default.value)
        if expr in self._valid_defaults:  # the same expression is checked once per load
            return
        from selfheal.planning.sql import default_sql

        problem = self.rules.default_problem(expr, default_sql(default))
        if problem:
            self.problem(parts, problem)
        else:
            self._valid_defaults.add(expr)


def reference_actions(spec: dict[str, Any]) -> list[str]:
    """A foreign key's clause after REFERENCES, as the server writes it: MATCH, ON DELETE, ON UPDATE,
    DEFERRABLE (INITIALLY DEFERRED for `true`)."""
    deferrable = spec.get("deferrable")
    return [f"MATCH {spec['match']}" if spec.get("match") == "FULL" else "",
            f"ON DELETE {spec['on_delete']}" if "on_delete" in spec else "",
            f"ON UPDATE {spec['on_update']}" if "on_update" in spec else "",
            "DEFERRABLE INITIALLY DEFERRED" if deferrable is True else
            "DEFERRABLE" if deferrable == "initially immediate" else ""]
