"""Project-defined checks and fixes: `@check("app.port", fix=...)`, discovered from schema.json and plugins.

    from selfheal import check, Finding, Status

    @check("app.port")
    def port_free(ctx):
        return [Finding("app.port", "8000", Status.OK, "free")]

A check returns findings; its fix (`fix(ctx, failing_findings)`) runs only when healing, inside the
same run (under the project lock, audited), and the check then runs again to confirm. Checks come
from schema.json's "checks" (a .py file relative to the schema's folder, or a module name) and from
the `selfheal.checks` entry-point group of installed packages.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Optional

from selfheal.findings import Finding, Status

if TYPE_CHECKING:
    from selfheal.context import RunContext

CheckFunction = Callable[["CheckContext"], list[Finding]]
FixFunction = Callable[["CheckContext", list[Finding]], object]
ENTRY_POINT_GROUP = "selfheal.checks"


@dataclass(frozen=True)
class CheckContext:
    """What a project check sees: the project folder, the parsed .env (read-only) and the run's mode."""

    root: Path
    env: Mapping[str, Optional[str]]
    mode: str  # "check", "dry-run" or "heal"

    @property
    def healing(self) -> bool:
        """True when this run may change things (fixes run only then)."""
        return self.mode == "heal"


@dataclass(frozen=True)
class Registered:
    """One registered check."""

    id: str
    function: CheckFunction
    fix: Optional[FixFunction]


_REGISTRY: dict[str, Registered] = {}


def check(check_id: str, fix: Optional[FixFunction] = None) -> Callable[[CheckFunction], CheckFunction]:
    """Register a project check under a dotted id (`app.port`); `fix` repairs what it reports."""
    if not check_id or check_id != check_id.strip():
        raise ValueError(f"a check id must be a non-empty dotted name, got {check_id!r}")

    def register(function: CheckFunction) -> CheckFunction:
        _REGISTRY[check_id] = Registered(check_id, function, fix)
        return function

    return register


def registered(modules: set[str]) -> list[Registered]:
    """The registered checks defined in these modules, in registration order."""
    return [r for r in _REGISTRY.values() if r.function.__module__ in modules]


class CheckLoadError(Exception):
    """A declared check module could not be imported."""


def load_declared(root: Path, sources: tuple[str, ...], modules: set[str]) -> list[Finding]:
    """Import each declared check source (a file relative to root, or a module) into `modules`;
    failures as findings."""
    problems = []
    for source in sources:
        try:
            modules.add(_import(root, source))
        except Exception as exc:  # the module's own error, whatever it is: one line, never a traceback
            _debug_traceback()
            problems.append(Finding("checks", source, Status.ERROR, f"cannot load: {type(exc).__name__}: {exc}",
                                    hint="fix the module (SELFHEAL_DEBUG=1 prints the traceback)"))
    return problems


def _import(root: Path, source: str) -> str:
    """Import a check source; return its module's name."""
    if source.endswith(".py"):
        from selfheal.safety.safefile import planted_link

        problem = planted_link(root, source)
        if problem:
            raise CheckLoadError(f"{problem}; not run")
        path = (root / source).resolve()
        name = "selfheal_checks_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
        if name in sys.modules:
            return name
        import importlib.util

        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise CheckLoadError(f"{source} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return name
    return importlib.import_module(source).__name__


def load_entry_points(ctx: RunContext, modules: set[str]) -> list[Finding]:
    """Import the installed plugins of the `selfheal.checks` group into `modules` (their list is
    remembered per sys.path, so a healthy start does not scan every installed package)."""
    key = _sys_path_key()
    cached = ctx.cache.get("plugins", key)
    if cached is not None:
        names = [f.target for f in cached]
    else:
        from importlib.metadata import entry_points

        names = [f"{ep.name}={ep.value}" for ep in entry_points(group=ENTRY_POINT_GROUP)]
        ctx.cache.put("plugins", key, [Finding("plugin", n, Status.OK, "installed") for n in names])
    problems = []
    for name in names:
        module = name.split("=", 1)[1].split(":", 1)[0].strip()
        try:
            modules.add(importlib.import_module(module).__name__)
        except Exception as exc:
            _debug_traceback()
            problems.append(Finding("checks", name, Status.ERROR, f"cannot load plugin: {type(exc).__name__}: {exc}",
                                    hint="fix or uninstall the plugin (SELFHEAL_DEBUG=1 prints the traceback)"))
    return problems


def _sys_path_key() -> str:
    h = hashlib.sha256(sys.executable.encode())
    for entry in sys.path:
        try:
            h.update(f"{entry}|{os.stat(entry or '.').st_mtime_ns}".encode())
        except OSError:
            continue
    return h.hexdigest()


def _debug_traceback() -> None:
    if os.environ.get("SELFHEAL_DEBUG"):
        import traceback

        traceback.print_exc()


def run_checks(ctx: RunContext, checks: list[Registered], env: Mapping[str, Optional[str]]) -> list[Finding]:
    """Run each check (fixing what it reports when healing); one check's exception never stops the others."""
    view = CheckContext(ctx.project.root, MappingProxyType(dict(env)), ctx.mode.value)
    out: list[Finding] = []
    for registered_check in checks:
        found = _run_one(registered_check, view)
        failing = [f for f in found if f.status in (Status.WARNING, Status.ERROR) and f.check != "checks"]
        if failing and registered_check.fix is not None and ctx.healing:
            found = _fix(ctx, registered_check, view, failing)
        out.extend(found)
    return out


def _run_one(registered_check: Registered, view: CheckContext) -> list[Finding]:
    try:
        found = registered_check.function(view)
        if not isinstance(found, list) or not all(isinstance(f, Finding) for f in found):
            raise TypeError(f"returned {type(found).__name__}, not a list of Finding")
        return found
    except Exception as exc:
        _debug_traceback()
        return [Finding(registered_check.id, registered_check.function.__name__, Status.ERROR,
                        f"the check raised {type(exc).__name__}: {exc}",
                        hint="fix the check (SELFHEAL_DEBUG=1 prints the traceback)")]


def _fix(ctx: RunContext, registered_check: Registered, view: CheckContext, failing: list[Finding]) -> list[Finding]:
    assert registered_check.fix is not None
    action = f"{registered_check.fix.__name__}()"
    try:
        ctx.lock()
    except Exception as exc:  # ProjectLocked, an unusable .selfheal/: the fix never ran
        from selfheal.safety.lock import failure

        reason, hint = failure(exc, "this user must be able to write .selfheal/ beside schema.json")
        return [replace(f, hint=f"not fixed: {reason}; {hint}") for f in failing]
    try:
        registered_check.fix(view, failing)
    except Exception as exc:
        _debug_traceback()
        ctx.audit.record(registered_check.id, ", ".join(f.target for f in failing), action,
                         f"failed: {type(exc).__name__}: {exc}")
        return [replace(f, hint=f"the fix {action} raised {type(exc).__name__}: {exc}") for f in failing]
    ctx.audit.record(registered_check.id, ", ".join(f.target for f in failing), action, "applied")
    after = _run_one(registered_check, view)
    was_failing = {(f.check, f.target) for f in failing}
    return [replace(f, status=Status.HEALED, action=f.action or action)
            if f.status is Status.OK and (f.check, f.target) in was_failing else f for f in after]
