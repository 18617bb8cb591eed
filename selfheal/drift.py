"""The drift report: declared against actual, side by side, for every object that differs. Read-only."""

from __future__ import annotations

from selfheal.engines import engine_for
from selfheal.model import Project
from selfheal.planning.differences import Difference


def project_drift(project: Project) -> list[Difference]:
    """Drift of every existing, readable database of the project (missing files are the heal's business)."""
    out: list[Difference] = []
    for db in project.databases:
        out.extend(engine_for(db).drift(project, db))
    return out
