"""heal.db --restore for SQLite declarations: every corrupt file a declaration names gets its newest good backup."""

from __future__ import annotations

from selfheal.context import RunContext
from selfheal.engines.sqlite.files import confined_files
from selfheal.findings import Finding
from selfheal.model import Database
from selfheal.safety.restore import corruption, restore


def restore_declared(ctx: RunContext, desired: Database) -> list[Finding]:
    """For every corrupt file of one declaration: restore the newest good backup, or say why not."""
    findings = []
    project = ctx.project
    for path, label in confined_files(project.root, desired)[0]:
        if path.is_file():
            problem = corruption(path, project.lock_timeout)
            if problem:
                findings.append(restore(path, label, problem, root=project.root, state_dir=project.state_dir,
                                        healing=ctx.healing, take_lock=ctx.lock, audit=ctx.audit))
    return findings
