"""One run: load schema.json, run the selected checks (healing where the mode allows), one report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from selfheal.context import Mode, RunContext
from selfheal.declare.document import SchemaError
from selfheal.engines import engine_for
from selfheal.findings import (
    ALWAYS_SHOWN,
    Finding,
    Status,
    command,
    exit_code,
    matches,
    overall_status,
    silence,
    summarize,
)
from selfheal.model import Project

ALL_PARTS = ("python", "env", "fs", "db", "deps", "checks")


@dataclass
class Report:
    """Every finding of a run, and what they add up to."""

    findings: list[Finding]
    project: Optional[Project] = None
    drift: Optional[list[Any]] = None  # the drift rows, when asked for (validate --drift)

    @property
    def exit_code(self) -> int:
        """0 ok, 1 errors, 2 warnings only."""
        return exit_code(self.findings)

    def to_json(self) -> dict[str, Any]:
        """The JSON report of CONTRACT §4."""
        code = self.exit_code
        doc = {
            "exit_code": code,
            "status": overall_status(code),
            "summary": summarize(self.findings),
            "checks": [f.to_json() for f in self.findings],
        }
        if self.drift is not None:
            doc["drift"] = [row.to_json() for row in self.drift]
        return doc


def load_project(schema_path: Path, remember: bool = True, trusted: bool = True
                 ) -> tuple[Optional[Project], list[Finding]]:
    """Load schema.json; on failure, one error finding per problem."""
    from selfheal.declare import cache

    try:
        return cache.load(schema_path, remember, trusted), []
    except SchemaError as exc:
        return None, [
            Finding("schema", f"{exc.path.name}:{where}", Status.ERROR, message,
                    hint=f"fix {exc.path} (reference: README, section schema.json)")
            for where, message in exc.problems
        ]


def state_folder_finding(state_dir: Path, mode: Mode) -> Optional[Finding]:
    """None when .selfheal/ holds only what selfheal wrote; else a finding, and nothing in it is believed.

    A folder of this user's that others may write to (left by an older version, or a shared umask) is
    tightened to 0700 when healing; a link or another user's folder is never used."""
    from selfheal.safety.safefile import ensure_private_dir, project_owner, untrusted_folder

    problem, mendable = untrusted_folder(state_dir, project_owner(state_dir.parent))
    if not problem:
        return None
    target = state_dir.name
    if mode is Mode.HEAL and mendable:
        try:
            ensure_private_dir(state_dir)
            return Finding("state", target, Status.HEALED, f"{problem}: now 0700; what it held was not trusted, "
                           "so every check ran in full", action=f"chmod 0700 {target}")
        except OSError:
            pass
    return Finding("state", target, Status.WARNING, f"{problem}: what it holds is not trusted (every check ran in "
                   "full, nothing in it was read)",
                   hint=f"remove {target} if it is not yours; {command('heal')} makes a folder of yours private")


def selected(parts: Iterable[str], only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The parts --only / --skip leave to run (a token is a part, a check id, or a dotted prefix of one)."""
    def wanted(part: str, token: str) -> bool:
        owner = "db" if part == "restore" else part
        return token == owner or token.split(".", 1)[0] == owner or (
            owner == "checks" and token.split(".", 1)[0] not in ALL_PARTS)

    chosen = [p for p in parts if not only or any(wanted(p, t) for t in only)]
    return tuple(p for p in chosen if p not in skip and not (p == "restore" and "db" in skip))


def run(schema_path: Path, mode: Mode, parts: Iterable[str] = ALL_PARTS, *, backup: bool = True,
        install: bool = False, node: bool = False, jobs: Optional[int] = None, only: tuple[str, ...] = (),
        skip: tuple[str, ...] = ()) -> Report:
    """Run the selected checks of the project described by schema_path."""
    state = state_folder_finding(Path(schema_path).absolute().parent / ".selfheal", mode)
    trusted = state is None or state.status is Status.HEALED
    project, problems = load_project(schema_path, remember=mode is Mode.HEAL and trusted, trusted=state is None)
    if project is None:
        return Report(problems + ([state] if state else []))
    ctx = RunContext(project, mode, backup=backup, jobs=jobs or os.cpu_count() or 1, trusted_state=state is None)
    findings: list[Finding] = [state] if state else []
    if only or skip:
        refused = _unknown_selection(ctx, only, skip)
        if refused:
            ctx.close()
            return Report(findings + refused, project)
    try:
        for part in selected(parts, only, skip):
            findings.extend(_CHECKS[part](ctx, install=install, node=node))
    except KeyboardInterrupt:
        if mode is Mode.HEAL and project.state_dir.exists():  # each database is as before or fully healed
            ctx.audit.record("run", project.schema_path.name, " ".join(parts), "interrupted",
                             done=[f"{f.check} {f.target}" for f in findings if f.status is Status.HEALED])
        raise
    finally:
        ctx.close()
    if only:
        kept = (*ALWAYS_SHOWN, "checks")
        findings = [f for f in findings if f.check in kept or any(matches(f.check, t) for t in only)]
    if skip:
        findings = [f for f in findings if not any(matches(f.check, t) for t in skip)]
    findings = silence(findings, project.silence)
    report = Report(findings, project)
    if mode is Mode.HEAL and project.state_dir.exists():
        counts = summarize(findings)
        ctx.audit.record("run", project.schema_path.name, " ".join(parts), overall_status(report.exit_code),
                         exit_code=report.exit_code, summary=counts)
        if ctx.audit.error:
            findings.append(Finding("audit", str(ctx.audit.path), Status.WARNING,
                                    f"the audit trail could not be written: {ctx.audit.error}",
                                    hint="make .selfheal/audit.jsonl writable for this user"))
    return report


def project_checks(ctx: RunContext) -> tuple[list[Any], list[Finding]]:
    """The project's own checks (schema.json "checks" and installed plugins), and the problems loading them."""
    from selfheal.environment.plugins import load_declared, load_entry_points, registered

    modules: set[str] = set()
    problems = load_declared(ctx.project.root, ctx.project.checks, modules) if ctx.project.checks else []
    problems += load_entry_points(ctx, modules)
    return registered(modules), problems


def _unknown_selection(ctx: RunContext, only: tuple[str, ...], skip: tuple[str, ...]) -> list[Finding]:
    """An error for each --only / --skip token that names nothing: checking nothing is never "all good"."""
    from selfheal.checkids import PARTS, unknown_selection

    checks, _ = project_checks(ctx)
    ids = [c.id for c in checks]
    out = []
    for flag, tokens in (("--only", only), ("--skip", skip)):
        for token, close in unknown_selection(tokens, ids):
            meant = f"did you mean {close!r}? " if close else ""
            out.append(Finding("selection", token, Status.ERROR, f"{flag} {token!r} names no part or check, so "
                               "nothing was checked", hint=f"{meant}parts: {', '.join(PARTS)}; every check id: "
                               f"{command('checks')}"))
    return out


def _databases(ctx: RunContext, **_: Any) -> list[Finding]:
    findings: list[Finding] = []
    for db in ctx.project.databases:
        findings.extend(engine_for(db).check(ctx, db))
    return findings


def _python(ctx: RunContext, **_: Any) -> list[Finding]:
    from selfheal.environment.deps import check_python

    return check_python(ctx)


def _env(ctx: RunContext, **_: Any) -> list[Finding]:
    from selfheal.environment.envfile import check_env

    return check_env(ctx)


def _fs(ctx: RunContext, **_: Any) -> list[Finding]:
    from selfheal.environment.fs import check_directories

    return check_directories(ctx)


def _restore(ctx: RunContext, **_: Any) -> list[Finding]:
    return [f for db in ctx.project.databases for f in engine_for(db).restore(ctx, db)]


def _project_checks(ctx: RunContext, **_: Any) -> list[Finding]:
    """Checks the project declares (schema.json "checks") and installed plugins register."""
    from selfheal.environment.plugins import run_checks

    checks, problems = project_checks(ctx)
    if not checks:
        return problems
    return problems + run_checks(ctx, checks, _env_values(ctx))


def _env_values(ctx: RunContext) -> dict[str, Optional[str]]:
    """The project's .env as parsed (empty when there is none or it cannot be read)."""
    if ctx.project.env is None:
        return {}
    from selfheal.environment.envfile import parse

    try:
        return parse(ctx.project.root / ctx.project.env.file, ctx.project.max_file_bytes).values()
    except OSError:
        return {}


def _deps(ctx: RunContext, install: bool = False, node: bool = False, **_: Any) -> list[Finding]:
    from selfheal.environment.deps import check_dependencies

    return check_dependencies(ctx, install=install, node=node)


_CHECKS: dict[str, Callable[..., list[Finding]]] = {
    "python": _python, "env": _env, "fs": _fs, "restore": _restore, "db": _databases, "deps": _deps,
    "checks": _project_checks,
}
