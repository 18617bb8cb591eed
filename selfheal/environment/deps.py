"""Python version, Python packages (requirements files) and Node packages; installs on request."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from selfheal.context import RunContext
from selfheal.findings import Finding, Status, command, plural
from selfheal.safety.safefile import MAX_TEXT_BYTES, read_small_text


def install_hint() -> str:
    """What to run for unmet Python requirements."""
    return f"run {command('heal.deps --install')} (python -I -m pip install -r FILE)"


def check_python(ctx: RunContext) -> list[Finding]:
    """The running Python against schema.json's "python" specifier."""
    spec = ctx.project.python
    running = platform.python_version()
    if not spec:
        return [Finding("python.version", running, Status.OK, f"Python {running} (no requirement declared)")]
    key = f"{sys.executable}|{sys.version}|{spec}"
    cached = ctx.cache.get("python", key)
    if cached is None:
        cached = _check_python(spec, running)
        ctx.cache.put("python", key, cached)
    return cached


def _check_python(spec: str, running: str) -> list[Finding]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        return [Finding("schema", "python", Status.ERROR, f"{spec!r} is not a PEP 440 version specifier",
                        hint='write it like ">=3.10" or ">=3.10,<3.14"')]
    if wanted.contains(running, prereleases=True):
        return [Finding("python.version", running, Status.OK, f"Python {running} meets {spec}")]
    return [Finding("python.version", running, Status.ERROR, f"Python {running} is running; {spec} is required",
                    hint=f"run the tasks with a Python that meets {spec} ({sys.executable} does not)")]


@dataclass(frozen=True)
class Requirement:
    """One line of a requirements file: where it is and what it says."""

    file: str
    line: int
    text: str


def read_requirements(
    path: Path, root: Path, seen: Optional[set[Path]] = None, limit: int = MAX_TEXT_BYTES
) -> tuple[list[Requirement], list[Finding]]:
    """Requirement lines of a file and its -r includes (inside the project only); problems as findings."""
    seen = seen if seen is not None else set()
    rel = _rel(path, root)
    if path.resolve() in seen:
        return [], []
    seen.add(path.resolve())
    if not _inside(path, root):
        return [], [Finding("deps.python", rel, Status.ERROR, "is outside the project folder; not read",
                            hint="keep requirements files (and their -r includes) inside the project")]
    try:
        lines = read_small_text(path, limit).splitlines()
    except OSError as exc:
        reason = exc.strerror if exc.strerror else str(exc)
        return [], [Finding("deps.python", rel, Status.ERROR, f"cannot read: {reason}",
                            hint="fix the path in schema.json \"requirements\"")]
    reqs: list[Requirement] = []
    problems: list[Finding] = []
    for number, raw in enumerate(_join_continuations(lines), start=1):
        text = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not text:
            continue
        for flag in ("-r ", "--requirement ", "--requirement=", "-r"):
            if text.startswith(flag):
                include = path.parent / text[len(flag):].strip()
                more, more_problems = read_requirements(include, root, seen, limit)
                reqs += more
                problems += more_problems
                break
        else:
            reqs.append(Requirement(rel, number, text))
    return reqs, problems


def _inside(path: Path, root: Path) -> bool:
    """True when the path, links resolved, lies inside the project folder."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _join_continuations(lines: list[str]) -> list[str]:
    out: list[str] = []
    carry = ""
    for line in lines:
        if line.endswith("\\"):
            carry += line[:-1]
            out.append("")  # keep line numbers aligned
            continue
        out.append(carry + line)
        carry = ""
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def check_requirement(req: Requirement) -> Finding:
    """Compare one requirement with the installed distribution."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    target = f"{req.file}:{req.line}"
    if req.text.startswith(("-e", "--editable")) or "://" in req.text or req.text.startswith((".", "/")):
        return Finding("deps.python", target, Status.OK, "not checkable (editable, URL or path requirement)",
                       notable=True)
    if req.text.startswith("-"):
        return Finding("deps.python", target, Status.OK, f"pip option {req.text.split()[0]} (not a package)")
    try:
        parsed = Parsed(req.text)
    except InvalidRequirement as exc:
        return Finding("deps.python", target, Status.ERROR, f"cannot parse {req.text!r}: {exc}",
                       hint="fix the line (PEP 508: name[extras] specifier ; marker)")
    target = f"{req.file}:{parsed.name}"
    if parsed.marker is not None and not parsed.marker.evaluate({"extra": ""}):
        return Finding("deps.python", target, Status.OK, f"not needed here (marker: {parsed.marker})")
    try:
        installed = metadata.version(parsed.name)
    except metadata.PackageNotFoundError:
        return Finding("deps.python", target, Status.ERROR,
                       f"{parsed.name} is not installed (wanted {parsed.specifier or 'any version'})",
                       hint=install_hint())
    if parsed.specifier and not parsed.specifier.contains(installed, prereleases=True):
        return Finding("deps.python", target, Status.ERROR,
                       f"{parsed.name} {installed} is installed, {parsed.specifier} is wanted", hint=install_hint())
    missing_extras = _missing_extras(parsed.name, parsed.extras)
    if missing_extras:
        return Finding("deps.python", target, Status.ERROR,
                       f"{parsed.name}[{','.join(sorted(parsed.extras))}] needs {', '.join(missing_extras)}, "
                       "not installed", hint=install_hint())
    return Finding("deps.python", target, Status.OK, f"{parsed.name} {installed} meets {parsed.specifier or 'any'}")


def _missing_extras(name: str, extras: set[str]) -> list[str]:
    from importlib import metadata

    from packaging.requirements import Requirement as Parsed

    missing = []
    for line in metadata.requires(name) or ():
        dep = Parsed(line)
        if dep.marker is None or not any(dep.marker.evaluate({"extra": e}) for e in extras):
            continue
        try:
            metadata.version(dep.name)
        except metadata.PackageNotFoundError:
            missing.append(dep.name)
    return missing


def requirement_files(ctx: RunContext) -> list[Path]:
    """Declared requirements files, else requirements.txt when present."""
    root = ctx.project.root
    if ctx.project.requirements is not None:
        return [root / r for r in ctx.project.requirements]
    default = root / "requirements.txt"
    return [default] if default.is_file() else []


def check_dependencies(ctx: RunContext, install: bool = False, node: bool = False) -> list[Finding]:
    """Python requirements and Node packages; with install/node (and healing), run pip / npm first."""
    findings = _python_packages(ctx, install)
    findings += _node_packages(ctx, node)
    return findings


def _environment_key(files: Iterable[Path]) -> str:
    """What installed-package findings depend on: the interpreter, the files read, every sys.path folder
    (installing or removing a distribution changes its folder's mtime)."""
    h = hashlib.sha256(f"{sys.executable}|{sys.version}".encode())
    for path in sorted(files):
        try:
            h.update(str(path).encode() + b"\0" + read_small_text(path).encode("utf-8"))
        except OSError:
            h.update(str(path).encode() + b"\0unreadable")
    cwd = os.getcwd()
    for entry in sys.path:
        if entry in ("", cwd):
            continue  # the working folder changes with every file written there; packages live elsewhere
        try:
            h.update(f"{entry}|{os.stat(entry).st_mtime_ns}".encode())
        except OSError:
            continue
    return h.hexdigest()


def _python_packages(ctx: RunContext, install: bool) -> list[Finding]:
    root = ctx.project.root
    read: list[tuple[Path, list[Requirement], list[Finding]]] = []
    seen: set[Path] = set()
    for path in requirement_files(ctx):
        reqs, problems = read_requirements(path, root, seen, ctx.project.max_file_bytes)
        read.append((path, reqs, problems))
    key = _environment_key(seen)
    if not install:
        cached = ctx.cache.get("deps.python", key)
        if cached is not None:
            return cached
    per_file = [(path, problems + [check_requirement(r) for r in reqs]) for path, reqs, problems in read]
    if not install:
        found = [f for _, fs in per_file for f in fs]
        ctx.cache.put("deps.python", key, found)
        return found
    out: list[Finding] = []
    for path, found in per_file:
        unmet = any(f.status is Status.ERROR and f.check == "deps.python" for f in found)
        # -I: isolated, so a pip/ folder in the project (the working folder) can never run instead of pip
        command = [sys.executable, "-I", "-m", "pip", "install", "-r", str(path)]
        shown = f"python -I -m pip install -r {_rel(path, root)}"
        if not unmet:
            out += found
        elif not ctx.healing:
            out += [Finding("deps.install", _rel(path, root), Status.ERROR, "would install the unmet requirements",
                            action=shown)] + found
        else:
            code, tail = stream_command(command, cwd=root)
            ctx.audit.record("deps.install", _rel(path, root), shown, f"exit {code}")
            if code != 0:
                out.append(Finding("deps.install", _rel(path, root), Status.ERROR,
                                   f"pip failed with exit code {code}: {tail}", action=shown,
                                   hint="read pip's output above; fix the requirement or the network, retry"))
            else:
                out.append(Finding("deps.install", _rel(path, root), Status.HEALED, "installed", action=shown))
            from importlib import invalidate_caches

            invalidate_caches()
            reqs, problems = read_requirements(path, root, limit=ctx.project.max_file_bytes)
            out += problems + [check_requirement(r) for r in reqs]
    return out


def stream_command(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run a command, passing its output to stderr line by line; return (exit code, last lines)."""
    tail: deque[str] = deque(maxlen=8)
    try:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace", stdin=subprocess.DEVNULL)
    except OSError as exc:
        return 127, f"cannot run {command[0]}: {exc.strerror or exc}"
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stderr.write(line)
        tail.append(line.rstrip())
    code = proc.wait()
    return code, " | ".join(t for t in tail if t)[-600:]


def node_folder(ctx: RunContext) -> Optional[str]:
    """The declared node folder, else "frontend" when it has a package.json."""
    if ctx.project.node_dir is not None:
        return ctx.project.node_dir
    return "frontend" if (ctx.project.root / "frontend" / "package.json").is_file() else None


def _node_packages(ctx: RunContext, run_npm: bool) -> list[Finding]:
    rel = node_folder(ctx)
    if rel is None:
        return []
    folder = ctx.project.root / rel
    manifest = folder / "package.json"
    if not manifest.is_file():
        return [Finding("deps.node", rel, Status.WARNING, "no package.json in the node folder",
                        hint="fix \"node.dir\" in schema.json or add the package.json")]
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        wanted = sorted({**doc.get("dependencies", {}), **doc.get("devDependencies", {})})
    except (OSError, ValueError, AttributeError) as exc:
        return [Finding("deps.node", f"{rel}/package.json", Status.WARNING, f"cannot read package.json: {exc}",
                        hint="fix the JSON")]
    npm = shutil.which("npm")
    out: list[Finding] = []
    lock = (folder / "package-lock.json").is_file() or (folder / "npm-shrinkwrap.json").is_file()
    command_text = "npm ci" if lock else "npm install"
    if run_npm and wanted:
        if npm is None:
            out.append(Finding("deps.node", rel, Status.ERROR, f"cannot run {command_text}: npm is not on PATH",
                               hint="install Node.js (it brings npm), then retry"))
        elif not ctx.healing:
            out.append(Finding("deps.install", rel, Status.ERROR, f"would run {command_text}", action=command_text))
        else:
            code, tail = stream_command([npm, "ci" if lock else "install"], cwd=folder)
            ctx.audit.record("deps.install", rel, command_text, f"exit {code}")
            if code:
                out.append(Finding("deps.install", rel, Status.ERROR, f"{command_text} failed with exit code "
                                   f"{code}: {tail}", action=command_text, hint="read npm's output above"))
            else:
                out.append(Finding("deps.install", rel, Status.HEALED, f"ran {command_text}", action=command_text))
    missing = [name for name in wanted if not (folder / "node_modules" / name / "package.json").is_file()]
    if npm is None and not run_npm:
        out.append(Finding("deps.node", rel, Status.WARNING, "npm is not on PATH: Node packages cannot be installed",
                           hint="install Node.js (it brings npm)"))
    if not wanted:
        out.append(Finding("deps.node", rel, Status.OK, "package.json declares no dependencies"))
    elif not (folder / "node_modules").is_dir():
        out.append(Finding("deps.node", rel, Status.WARNING,
                           f"node_modules is missing ({plural(len(wanted), 'package')})",
                           hint=f"run {command('heal.deps --node')} ({command_text} in {rel})"))
    elif missing:
        out.append(Finding("deps.node", rel, Status.WARNING,
                           f"{len(missing)} of {len(wanted)} packages missing from node_modules: "
                           f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}",
                           hint=f"run {command('heal.deps --node')} ({command_text} in {rel})"))
    else:
        out.append(Finding("deps.node", rel, Status.OK, f"{plural(len(wanted), 'package')} present in node_modules"))
    return out
