"""Declared against live, object by object: the rows of the drift report, alike for every engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selfheal.model import Database, fold
from selfheal.planning import constraints
from selfheal.planning.compare import column_differences, find_index
from selfheal.planning.sql import column_def, create_index, default_index_name, normalized


@dataclass(frozen=True)
class Difference:
    """One difference: what, which aspect, what schema.json says, what the database has."""

    target: str
    aspect: str
    declared: str
    actual: str

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {"target": self.target, "aspect": self.aspect, "declared": self.declared, "actual": self.actual}


def compare(desired: Database, live_db: Database, label: str, by_text: bool = True) -> list[Difference]:
    """Every difference between a declared database and what the engine's catalogue reports."""
    out = []
    for table in desired.tables:
        live = live_db.table(table.name)
        where = f"{label}:{table.name}"
        if live is None:
            out.append(Difference(where, "table", "declared", "missing"))
            continue
        pk = {fold(c) for c in table.primary_key}
        for column in table.columns:
            have = live.column(column.name)
            if have is None:
                out.append(Difference(f"{where}.{column.name}", "column", column_def(column), "missing"))
            else:
                out.extend(Difference(f"{where}.{have.name}", aspect, want, actual)
                           for aspect, want, actual in column_differences(column, have, fold(column.name) in pk))
        for extra in live.columns:
            if not extra.hidden and table.column(extra.name) is None:
                out.append(Difference(f"{where}.{extra.name}", "column", "not declared", column_def(extra)))
        out.extend(Difference(f"{where}.{d.column}" if d.column else where, d.aspect, d.declared, d.actual)
                   for d in constraints.differences(table, live, by_text))
        if table.primary_key and live.primary_key and [fold(c) for c in table.primary_key] != [
                fold(c) for c in live.primary_key]:
            out.append(Difference(where, "primary key", ", ".join(table.primary_key), ", ".join(live.primary_key)))
        matched = set()
        for index in table.indexes:
            if index.sql or index.where or index.terms:  # matched by name, compared by its SQL
                name = index.name or ""
                same = next((i for i in live.indexes if fold(i.name or "") == fold(name)), None)
                declared_sql = create_index(live.name, index, name)
                if same is None:
                    out.append(Difference(f"{where}#{name}", "index", declared_sql, "missing"))
                    continue
                matched.add(same.name)
                if by_text and normalized(same.sql or "") != normalized(declared_sql):
                    out.append(Difference(f"{where}#{name}", "index", declared_sql, same.sql or ""))
                continue
            found = find_index(live, index)
            shown = f"{'unique ' if index.unique else ''}({', '.join(c or '' for c in index.columns)})"
            if found is None:
                name = index.name or default_index_name(table.name, index.columns)
                out.append(Difference(f"{where}#{name}", "index", shown, "missing"))
            else:
                matched.add(found.name)
        for idx in live.indexes:
            if idx.origin == "c" and idx.name not in matched:
                cols = ", ".join(c or "<expression>" for c in idx.columns)
                out.append(Difference(f"{where}#{idx.name}", "index", "not declared",
                                 f"{'unique ' if idx.unique else ''}({cols}){' partial' if idx.partial else ''}"))
    for live in live_db.tables:
        if desired.table(live.name) is None:
            out.append(Difference(f"{label}:{live.name}", "table", "not declared", "present"))
    return out
