"""Drift of SQLite files: each existing, readable file a declaration names, read-only."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from selfheal.engines.sqlite import catalog
from selfheal.engines.sqlite.files import confined_files
from selfheal.model import Database, Project
from selfheal.planning.differences import Difference, compare
from selfheal.safety.sqlitefile import error_text, header_problem, reading


def project_database_drift(project: Project, desired: Database) -> list[Difference]:
    """Drift of every existing, readable file of one declaration (missing files are the heal's business)."""
    out: list[Difference] = []
    for path, label in confined_files(project.root, desired)[0]:
        if path.is_file() and os.access(path, os.R_OK) and not header_problem(path):
            out.extend(database_drift(desired, path, label, project.lock_timeout))
    return out


def database_drift(desired: Database, path: Path, label: str, timeout: float) -> list[Difference]:
    """Every difference between one declared database and the live file."""
    try:
        with reading(path, timeout) as conn:
            live_db = catalog.read(conn, label)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        return [Difference(label, "file", "a readable SQLite database", error_text(exc))]
    return compare(desired, live_db, label)
