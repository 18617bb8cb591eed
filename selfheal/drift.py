"""The drift report: declared against actual, side by side, for every object that differs. Read-only."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalog, constraints
from .compare import column_differences, find_index
from .dbfile import database_files, error_text, header_problem, reading
from .model import Database, Project, fold
from .sql import column_def, create_index, default_index_name, normalized


@dataclass(frozen=True)
class Drift:
    """One difference: what, which aspect, what schema.json says, what the database has."""

    target: str
    aspect: str
    declared: str
    actual: str

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {"target": self.target, "aspect": self.aspect, "declared": self.declared, "actual": self.actual}


def project_drift(project: Project) -> list[Drift]:
    """Drift of every existing, readable database of the project (missing files are the heal's business)."""
    out: list[Drift] = []
    for db in project.databases:
        if db.is_server:
            from .pg.heal import server_drift

            out.extend(server_drift(project, db))
            continue
        for path, label in database_files(project.root, db):
            if path.is_file() and os.access(path, os.R_OK) and not header_problem(path):
                out.extend(database_drift(db, path, label, project.lock_timeout))
    return out


def database_drift(desired: Database, path: Path, label: str, timeout: float) -> list[Drift]:
    """Every difference between one declared database and the live file."""
    try:
        with reading(path, timeout) as conn:
            live_db = catalog.read(conn, label)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        return [Drift(label, "file", "a readable SQLite database", error_text(exc))]
    return compare(desired, live_db, label)


def compare(desired: Database, live_db: Database, label: str, by_text: bool = True) -> list[Drift]:
    """Every difference between a declared database and what the engine's catalogue reports."""
    out = []
    for table in desired.tables:
        live = live_db.table(table.name)
        where = f"{label}:{table.name}"
        if live is None:
            out.append(Drift(where, "table", "declared", "missing"))
            continue
        pk = {fold(c) for c in table.primary_key}
        for column in table.columns:
            have = live.column(column.name)
            if have is None:
                out.append(Drift(f"{where}.{column.name}", "column", column_def(column), "missing"))
            else:
                out.extend(Drift(f"{where}.{have.name}", aspect, want, actual)
                           for aspect, want, actual in column_differences(column, have, fold(column.name) in pk))
        for extra in live.columns:
            if not extra.hidden and table.column(extra.name) is None:
                out.append(Drift(f"{where}.{extra.name}", "column", "not declared", column_def(extra)))
        out.extend(Drift(f"{where}.{d.column}" if d.column else where, d.aspect, d.declared, d.actual)
                   for d in constraints.differences(table, live, by_text))
        if table.primary_key and live.primary_key and [fold(c) for c in table.primary_key] != [
                fold(c) for c in live.primary_key]:
            out.append(Drift(where, "primary key", ", ".join(table.primary_key), ", ".join(live.primary_key)))
        matched = set()
        for index in table.indexes:
            if index.sql or index.where or index.terms:  # matched by name, compared by its SQL
                name = index.name or ""
                same = next((i for i in live.indexes if fold(i.name or "") == fold(name)), None)
                declared_sql = create_index(live.name, index, name)
                if same is None:
                    out.append(Drift(f"{where}#{name}", "index", declared_sql, "missing"))
                    continue
                matched.add(same.name)
                if by_text and normalized(same.sql or "") != normalized(declared_sql):
                    out.append(Drift(f"{where}#{name}", "index", declared_sql, same.sql or ""))
                continue
            found = find_index(live, index)
            shown = f"{'unique ' if index.unique else ''}({', '.join(c or '' for c in index.columns)})"
            if found is None:
                name = index.name or default_index_name(table.name, index.columns)
                out.append(Drift(f"{where}#{name}", "index", shown, "missing"))
            else:
                matched.add(found.name)
        for idx in live.indexes:
            if idx.origin == "c" and idx.name not in matched:
                cols = ", ".join(c or "<expression>" for c in idx.columns)
                out.append(Drift(f"{where}#{idx.name}", "index", "not declared",
                                 f"{'unique ' if idx.unique else ''}({cols}){' partial' if idx.partial else ''}"))
    for live in live_db.tables:
        if desired.table(live.name) is None:
            out.append(Drift(f"{label}:{live.name}", "table", "not declared", "present"))
    return out
