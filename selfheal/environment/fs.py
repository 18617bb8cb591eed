"""Directories the app needs: created when missing, never anywhere outside the project."""

from __future__ import annotations

from selfheal.context import RunContext
from selfheal.findings import Finding, Status, command
from selfheal.safety.lock import failure


def check_directories(ctx: RunContext) -> list[Finding]:
    """One finding per declared directory."""
    findings = []
    for rel in ctx.project.directories:
        path = ctx.project.root / rel
        if path.is_dir():
            findings.append(Finding("fs.directory", rel, Status.OK, "present"))
        elif path.exists():
            findings.append(Finding("fs.directory", rel, Status.ERROR, "exists but is not a directory",
                                    hint=f"move or rename the file {rel}, then heal again"))
        elif not ctx.healing:
            findings.append(Finding("fs.directory", rel, Status.ERROR, "missing (heal would create it)",
                                    hint=f"run {command('heal.fs')}", action=f"mkdir -p {rel}"))
        else:
            findings.append(_create(ctx, rel))
    return findings


def _create(ctx: RunContext, rel: str) -> Finding:
    try:
        ctx.lock()
        (ctx.project.root / rel).mkdir(parents=True, exist_ok=True)
    except Exception as exc:  # OSError (permissions, a file in the way), ProjectLocked
        reason, hint = failure(exc, "check that this user may write the parent folder")
        return Finding("fs.directory", rel, Status.ERROR, f"cannot create: {reason}", hint=hint)
    ctx.audit.record("fs.directory", rel, f"mkdir -p {rel}", "applied")
    return Finding("fs.directory", rel, Status.HEALED, "created", action=f"mkdir -p {rel}")
