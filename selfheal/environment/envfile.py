"""The .env file against its template: created, completed, required keys configured; values never shown."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from selfheal.context import RunContext
from selfheal.findings import Finding, Status, command
from selfheal.safety.audit import utc_now
from selfheal.safety.lock import failure
from selfheal.safety.safefile import MAX_TEXT_BYTES, UnsafePath, link_problem, project_owner, read_small_text


@dataclass(frozen=True)
class Entry:
    """One binding of an env file: key, value, its line and its original text."""

    key: str
    value: Optional[str]
    line: int
    text: str


@dataclass(frozen=True)
class EnvFile:
    """A parsed env file: bindings in order and the lines that could not be parsed."""

    entries: tuple[Entry, ...]
    bad_lines: tuple[int, ...]

    def values(self) -> dict[str, Optional[str]]:
        """Key -> value, the last binding winning (as python-dotenv does)."""
        return {e.key: e.value for e in self.entries}


def parse(path: Path, limit: int = MAX_TEXT_BYTES) -> EnvFile:
    """Parse with python-dotenv's own parser, keeping line numbers and unparsable lines.

    Only a regular file of at most `limit` bytes is read. A line without "=" is unparsable here
    (python-dotenv would take the whole line, perhaps a pasted secret, for a key name)."""
    import io

    from dotenv.parser import parse_stream

    entries, bad = [], []
    for binding in parse_stream(io.StringIO(read_small_text(path, limit), newline="")):
        if binding.error or (binding.key is not None and binding.value is None):
            bad.append(binding.original.line)
        elif binding.key is not None:
            entries.append(Entry(binding.key, binding.value, binding.original.line, binding.original.string))
    return EnvFile(tuple(entries), tuple(bad))


def check_env(ctx: RunContext) -> list[Finding]:
    """.env present (created from the template), complete, parsable, required keys configured."""
    spec = ctx.project.env
    if spec is None:
        return []
    root = ctx.project.root
    env_path, template_path = root / spec.file, root / spec.template
    findings: list[Finding] = []
    limit = ctx.project.max_file_bytes
    try:
        template = parse(template_path, limit) if template_path.exists() else None
        if not env_path.exists() and not env_path.is_symlink():
            finding = _create_env(ctx, spec.file, spec.template, template is not None)
            findings.append(finding)
            if finding.status is Status.ERROR or not env_path.exists():
                # read-only run: judge the keys by the .env that healing would create
                return findings + _required(spec.required, template, template, spec.file)
        current = parse(env_path, limit)
    except OSError as exc:
        reason, hint = failure(exc, "check the file's permissions")
        if isinstance(exc, UnsafePath):
            hint = "make it a regular file of KEY=value lines (settings.max_file_bytes raises the size limit)"
        return [Finding("env.file", spec.file, Status.ERROR, f"cannot read: {reason}", hint=hint)]
    findings.extend(_parse_problems(spec.file, current))
    if template is not None:
        findings.extend(_parse_problems(spec.template, template))
        present = current.values()
        missing = [e for e in _unique(template.entries) if e.key not in present]
        if missing:
            findings.extend(_append_missing(ctx, spec.file, spec.template, env_path, missing))
            if ctx.healing:
                current = parse(env_path, limit)
    if not any(f.check == "env.file" for f in findings):
        findings.insert(0, Finding("env.file", spec.file, Status.OK, "present"))
    return findings + _required(spec.required, current, template, spec.file)


def _unique(entries: tuple[Entry, ...]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


def _create_env(ctx: RunContext, name: str, template_name: str, have_template: bool) -> Finding:
    if not have_template:
        return Finding("env.file", name, Status.ERROR, f"missing, and there is no {template_name} to create it from",
                       hint=f"create {name} with the keys the app needs (KEY=value per line)")
    action = f"copy {template_name} to {name} (mode 0600)"
    if not ctx.healing:
        return Finding("env.file", name, Status.ERROR, f"missing (heal would create it from {template_name})",
                       hint=f"run {command('heal.fs')}", action=action)
    root = ctx.project.root
    try:
        ctx.lock()
        data = (root / template_name).read_bytes()
        # O_EXCL: never through a link planted at the name (it counts as existing)
        fd = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except FileExistsError:
        return Finding("env.file", name, Status.OK, "present (created by another run)")
    except Exception as exc:  # OSError, ProjectLocked
        reason, hint = failure(exc, "check that this user may write the project folder")
        return Finding("env.file", name, Status.ERROR, f"cannot create: {reason}", hint=hint)
    ctx.audit.record("env.file", name, action, "applied")
    return Finding("env.file", name, Status.HEALED, f"created from {template_name} (owner-only permissions)",
                   action=action)


def _append_missing(ctx: RunContext, name: str, template_name: str, env_path: Path,
                    missing: list[Entry]) -> list[Finding]:
    keys = [e.key for e in missing]
    if not ctx.healing:
        return [Finding("env.key", key, Status.WARNING, f"missing from {name} (heal would append it from "
                        f"{template_name})", hint=f"run {command('heal.fs')}", action=f"append {key} to {name}")
                for key in keys]
    block = f"# added by selfheal from {template_name} on {utc_now()}\n" + "".join(
        e.text if e.text.endswith("\n") else e.text + "\n" for e in missing)
    try:
        problem = link_problem(env_path, project_owner(ctx.project.root))
        if problem:
            raise UnsafePath(problem)
        ctx.lock()
        with env_path.open("rb+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    block = "\n" + block
            fh.seek(0, os.SEEK_END)
            fh.write(block.encode("utf-8"))
    except Exception as exc:
        reason, hint = failure(exc, "check the file's permissions")
        return [Finding("env.key", ", ".join(keys), Status.ERROR, f"cannot append to {name}: {reason}", hint=hint)]
    for key in keys:
        ctx.audit.record("env.key", key, f"append {key} to {name}", "applied")
    return [Finding("env.key", key, Status.HEALED, f"appended to {name} from {template_name}",
                    action=f"append {key} to {name}") for key in keys]


def _parse_problems(name: str, parsed: EnvFile) -> list[Finding]:
    out = [Finding("env.file", f"{name}:{line}", Status.WARNING,
                   f"line {line} could not be parsed (ignored; its text is not shown, it may hold a secret)",
                   hint="write it as KEY=value; quote values that contain spaces or #") for line in parsed.bad_lines]
    lines: dict[str, list[int]] = {}
    for entry in parsed.entries:
        lines.setdefault(entry.key, []).append(entry.line)
    for key, where in lines.items():
        if len(where) > 1:
            out.append(Finding("env.key", key, Status.WARNING,
                               f"set {len(where)} times in {name} (lines {', '.join(map(str, where))}); "
                               "the last one wins", hint="keep one line for it"))
    return out


def _required(required: tuple[str, ...], current: Optional[EnvFile], template: Optional[EnvFile],
              env_name: str = ".env") -> list[Finding]:
    values = current.values() if current else {}
    placeholders = template.values() if template else {}
    out = []
    for key in required:
        from_env = os.environ.get(key)
        value = from_env if from_env is not None else values.get(key)
        source = "the environment" if from_env is not None else env_name
        why = ""
        if key not in values and from_env is None:
            why = "missing"
        elif not (value or "").strip():
            why = f"empty in {source}"
        elif placeholders.get(key) and value == placeholders.get(key):
            why = "still the template's placeholder"
        if why:
            out.append(Finding("env.key", key, Status.WARNING, f"{key} is not configured ({why})",
                               hint=f"set {key} in {env_name} or in the environment"))
        else:
            out.append(Finding("env.key", key, Status.OK, f"set (from {source})"))
    return out
