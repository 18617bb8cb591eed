"""Every check id selfheal reports, with what it checks: what --only / --skip accept, and `checks` lists."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

PARTS = {
    "python": "the Python version",
    "env": ".env and its required keys",
    "fs": "the declared directories",
    "db": "every declared database",
    "deps": "Python requirements and Node packages",
    "checks": "the project's own checks (schema.json \"checks\" and installed plugins)",
}
BUILT_IN = {
    "python.version": "the running Python satisfies schema.json \"python\"",
    "env.file": ".env exists (created from its template when healing) and parses",
    "env.key": "each required key is set to a real value (never printed)",
    "fs.directory": "each declared directory exists (created when healing)",
    "db.file": "each database file exists, is readable and sound (created when healing)",
    "db.integrity": "a database SQLite calls corrupt (restored with heal.db --restore)",
    "db.recovered": "a leftover journal rolled back by SQLite, after a backup of the pair",
    "db.restore": "heal.db --restore: a corrupt file replaced by its newest good backup",
    "db.backup": "the backup written before a database is changed",
    "db.table": "each declared table exists (created when healing); drift of its keys and constraints",
    "db.column": "each declared column exists (added when healing); drift of type, NOT NULL, default",
    "db.index": "each declared index exists (created when healing)",
    "db.view": "each declared view exists and is as declared (created or replaced when healing)",
    "db.trigger": "each declared trigger exists and is as declared (created or replaced when healing)",
    "db.extension": "PostgreSQL: each declared extension is installed (CREATE EXTENSION when healing)",
    "db.type": "PostgreSQL: each declared enum, domain or composite type exists as declared (enum labels added)",
    "db.sequence": "PostgreSQL: each declared sequence exists as declared (created when healing)",
    "db.function": "PostgreSQL: each declared function exists as declared (created or replaced when healing)",
    "db.comment": "PostgreSQL: each declared table or column comment is set (when healing)",
    "db.row": "each declared seed row exists (inserted when healing, never updated)",
    "db.fleet": "every file a glob matches, summed up",
    "db.connect": "a PostgreSQL database can be reached",
    "db.schema": "a PostgreSQL namespace exists (created when healing)",
    "db.migrate": "migrate: a table whose columns or constraints differ, rebuilt as declared on request",
    "deps.python": "each Python requirement is installed in a satisfying version",
    "deps.node": "the Node packages of the node folder are installed",
    "deps.install": "pip or npm run by heal.deps --install / --node",
}
ALWAYS = {
    "schema": "schema.json itself (always shown)",
    "state": "the .selfheal folder can be trusted (always shown)",
    "audit": "the audit trail could be written (always shown)",
    "internal": "an unforeseen error (always shown)",
}


def unknown_selection(tokens: Iterable[str], project_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(token, closest valid one or "") for each --only / --skip token that names no part, check id or
    dotted prefix of one."""
    known = [*PARTS, *BUILT_IN, *project_ids]
    prefixes = {known_id.rsplit(".", n)[0] for known_id in known for n in range(known_id.count(".") + 1)}
    out = []
    for token in tokens:
        if token not in prefixes:
            close = difflib.get_close_matches(token.lower(), sorted(prefixes), n=1, cutoff=0.6)
            out.append((token, close[0] if close else ""))
    return out
