"""The PostgreSQL engine: a namespace of a server database, healed in one transaction under an
advisory lock.

Modules: `types` maps portable type names and checks native ones, `rules` answers the declaration
loader, `catalog` reads a namespace into the shared model, `ddl` renders the shared operations,
`heal` connects, plans, applies and verifies (and reports drift), `snapshot` reads a namespace for
schema.snapshot. Imported only when schema.json declares a PostgreSQL database, psycopg only then."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selfheal.context import RunContext
    from selfheal.engines.postgres.rules import PostgresRules
    from selfheal.findings import Finding
    from selfheal.model import Database, Project
    from selfheal.planning.differences import Difference
    from selfheal.planning.plan import Capabilities


class PostgresEngine:
    """selfheal.engines.Engine for PostgreSQL (imports its modules, and psycopg, only when asked)."""

    name = "postgres"

    def capabilities(self) -> Capabilities:
        """ADD COLUMN takes any column (no rebuilds); constraints compare by meaning; no bulk edits."""
        from selfheal.engines.postgres.heal import CAPABILITIES

        return CAPABILITIES

    def rules(self) -> PostgresRules:
        """Type shapes and the keys a PostgreSQL entry cannot take."""
        from selfheal.engines.postgres.rules import PostgresRules

        return PostgresRules()

    def check(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """Plan (and, when healing, apply) the namespace in one transaction."""
        from selfheal.engines.postgres.heal import check_database

        return check_database(ctx, desired)

    def drift(self, project: Project, desired: Database) -> list[Difference]:
        """Declared against the server's catalogue, read-only."""
        from selfheal.engines.postgres.heal import server_drift

        return server_drift(project, desired)

    def restore(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """A server keeps its own backups: nothing to restore from selfheal's."""
        return []

    def snapshot(self, source: str, base: Path, namespace: str) -> tuple[Database, list[str]]:
        """`source` is env:NAME: the URL is read from the environment, else from base/.env."""
        from selfheal.engines.postgres.snapshot import read_live

        return read_live(self._url(source, base), source[4:] if source.startswith("env:") else source, namespace)

    def _url(self, source: str, base: Path) -> str:
        """The URL `source` (env:NAME) names, from the environment or base/.env (SnapshotError if none)."""
        from selfheal.engines.postgres.connect import url_from
        from selfheal.errors import SnapshotError

        env_key = source[4:] if source.startswith("env:") else source
        try:
            url = url_from(env_key, base / ".env")
        except OSError as exc:
            raise SnapshotError(f"cannot read {base / '.env'}: {exc.strerror or exc}") from None
        if not url:
            raise SnapshotError(f"{env_key} is not set (in the environment or {base / '.env'})")
        return url

    def namespaces(self, source: str, base: Path) -> list[str]:
        """The namespaces that hold tables (pg_catalog, information_schema and pg_* left out)."""
        from selfheal.engines.postgres.snapshot import namespaces_with_tables

        return namespaces_with_tables(self._url(source, base), source[4:] if source.startswith("env:") else source)

    def snapshot_sql(self, source: str, base: Path) -> str:
        """Not yet: a PostgreSQL database is snapshotted as JSON."""
        from selfheal.errors import SnapshotError

        raise SnapshotError("--format sql is for SQLite files; a PostgreSQL database is snapshotted as JSON")

    def migrate(self, ctx: RunContext, desired: Database, run: bool) -> tuple[str, list[Finding]]:
        """The ALTERs for what differs, rows counted; `run` applies them in one transaction."""
        from selfheal.engines.postgres.migrate import migrate_database

        return migrate_database(ctx, desired, run)


ENGINE = PostgresEngine()
