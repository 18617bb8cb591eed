"""The SQLite engine: database files beside the project, healed in one verified transaction each.

Modules: `catalog` reads a file into the shared model; `files` names a declaration's files and
remembers clean results; `heal` checks and heals one file (backup, lock, journal recovery, rebuilds);
`fleet` does it for every file a glob matches; `drift`, `snapshot`, `restore`; `rules` and `sqlfile`
answer the declaration loader. SQL is rendered by the shared operations (selfheal.planning.ops)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from selfheal.findings import Finding, Status

if TYPE_CHECKING:
    from selfheal.context import RunContext
    from selfheal.engines.sqlite.rules import SqliteRules
    from selfheal.model import Database, Project
    from selfheal.planning.differences import Difference
    from selfheal.planning.plan import Capabilities


class SqliteEngine:
    """selfheal.engines.Engine for SQLite files (imports its modules only when asked)."""

    name = "sqlite"

    def capabilities(self) -> Capabilities:
        """SQLite rebuilds what ADD COLUMN refuses, compares constraints by their SQL, bulk-adds columns."""
        from selfheal.planning.plan import SQLITE

        return SQLITE

    def rules(self) -> SqliteRules:
        """Type names and defaults, asked of an in-memory SQLite database."""
        from selfheal.engines.sqlite.rules import SqliteRules

        return SqliteRules()

    def check(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """One file (its remembered clean result when unchanged), or every file a glob matches."""
        from selfheal.engines.sqlite.files import confined_files

        files, refused = confined_files(ctx.project.root, desired)
        if refused and not files:  # the declared file, or every file of a glob, is behind a planted link
            return refused
        return refused + self._check_files(ctx, desired, files)

    def _check_files(self, ctx: RunContext, desired: Database, files: list[tuple[Path, str]]) -> list[Finding]:
        from selfheal.engines.sqlite.files import cached_check

        if not desired.is_glob:
            [(path, label)] = files
            cached = cached_check(ctx, desired, path, label)
            if cached is not None:
                return cached
            from selfheal.engines.sqlite.heal import check_database

            return check_database(ctx, desired, path, label)
        if not files:
            return [Finding("db.fleet", desired.path, Status.OK, "no file matches this pattern yet", notable=True)]
        from selfheal.engines.sqlite.fleet import check_fleet

        return check_fleet(ctx, desired, files)

    def drift(self, project: Project, desired: Database) -> list[Difference]:
        """Every difference of every existing, readable file of the declaration."""
        from selfheal.engines.sqlite.drift import project_database_drift

        return project_database_drift(project, desired)

    def restore(self, ctx: RunContext, desired: Database) -> list[Finding]:
        """Every corrupt file of the declaration replaced by its newest good backup (or why not)."""
        from selfheal.engines.sqlite.restore import restore_declared

        return restore_declared(ctx, desired)

    def snapshot(self, source: str, base: Path, namespace: str) -> tuple[Database, list[str]]:
        """The file at `source` (relative to the working folder) as a model; SQLite files have no namespace."""
        from selfheal.engines.sqlite.snapshot import read_live

        return read_live(Path(source).absolute()), []

    def namespaces(self, source: str, base: Path) -> list[str]:
        """An SQLite file has no namespaces."""
        return []

    def snapshot_sql(self, source: str, base: Path) -> str:
        """The file's own DDL in creation order (lossless)."""
        from selfheal.engines.sqlite.snapshot import snapshot_sql

        return snapshot_sql(Path(source).absolute())

    def migrate(self, ctx: RunContext, desired: Database, run: bool) -> tuple[str, list[Finding]]:
        """SQLite's rebuild sequence for every existing file of the declaration whose tables drifted."""
        from selfheal.engines.sqlite.files import confined_files
        from selfheal.engines.sqlite.migrate import migrate_file

        texts, findings = [], []
        files, refused = confined_files(ctx.project.root, desired)
        for path, label in files:
            if path.is_file():
                text, found = migrate_file(ctx, desired, path, label, run)
                texts.append(text)
                findings.extend(found)
        return "".join(t for t in texts if t), refused + findings


ENGINE = SqliteEngine()
