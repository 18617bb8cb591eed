"""Database engines behind one interface: the runner, drift and the CLI choose an engine here and
never import an engine's internals.

An engine is a folder `selfheal/engines/NAME/` whose `__init__.py` defines `ENGINE`, an object with
the methods of `Engine` below, and is registered by one line in `REGISTRY`. Its modules are imported
only when a declared database uses it (the healthy path's import cost stays low).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from selfheal.context import RunContext
    from selfheal.findings import Finding
    from selfheal.model import Column, Database, Project, SqlDeclaration
    from selfheal.planning.differences import Difference
    from selfheal.planning.plan import Capabilities

REGISTRY: dict[str, str] = {
    "sqlite": "selfheal.engines.sqlite",
    "postgres": "selfheal.engines.postgres",
}


class DeclarationRules(Protocol):
    """What the declaration loader asks an engine about one database entry's text."""

    name: str

    def type_problem(self, type_name: str) -> str:
        """Why a column type is not one this engine accepts ("" when it is)."""

    def unsupported_keys(self, body: dict[str, Any]) -> list[tuple[list[Any], str]]:
        """Declaration keys this engine cannot honour, each with where it is and why."""

    def default_problem(self, expr: str, rendered: str) -> str:
        """Why an {"sql": …} default is not one constant expression ("" when it is, or the server checks)."""

    def read_sql_files(self, root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
        """What SQL DDL files (relative to root) declare, parsed by this engine, with their problems."""

    def identity_of(self, column: Column, primary_key: tuple[str, ...]) -> tuple[str, str]:
        """(the column's identity, a problem with what was declared: "" when none)."""


class Engine(Protocol):
    """One database engine: check and heal (catalogue read, plan, render, apply in one locked
    transaction, verify), drift, snapshot and restore of the databases declared for it."""

    name: str

    def capabilities(self) -> Capabilities:
        """What the shared planner must know about this engine's DDL."""

    def rules(self) -> DeclarationRules:
        """The loader's questions about a declaration of this engine."""

    def check(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """Check one declared database; heal it when ctx says the run may (one transaction, verified)."""

    def drift(self, project: Project, desired: Database) -> list[Difference]:
        """Declared against live, side by side, read-only."""

    def restore(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """heal.db --restore: put a good backup in place of a corrupt database ([] where the engine keeps
        its own backups)."""

    def snapshot(self, source: str, base: Path, namespace: str) -> tuple[Database, list[str]]:
        """The live database `source` names as a model, and notes on what the model cannot carry."""

    def snapshot_sql(self, source: str, base: Path) -> str:
        """The live database's own DDL as a declaration file (SnapshotError where the engine has none)."""

    def namespaces(self, source: str, base: Path) -> list[str]:
        """The namespaces of the live database that hold tables ([] for an engine without namespaces)."""

    def migrate(self, ctx: RunContext, desired: Database, run: bool) -> tuple[str, list[Finding]]:
        """The reviewable script for the drift heal will not apply, and findings; `run` applies it (one
        transaction, a backup first, verified)."""


def get(name: str) -> Engine:
    """The registered engine of this name (its package imported now)."""
    try:
        module = REGISTRY[name]
    except KeyError:
        raise LookupError(f"no database engine named {name!r} (known: {', '.join(sorted(REGISTRY))})") from None
    engine: Engine = importlib.import_module(module).ENGINE
    return engine


def engine_for(desired: Database) -> Engine:
    """The engine that serves a declared database."""
    return get(desired.engine)
