"""selfheal init: adopt selfheal in an existing app — schema.json from what is there, then a read-only check."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from selfheal.context import Mode
from selfheal.findings import plural
from selfheal.safety.safefile import shared_mode, write_private
from selfheal.text import printable

DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SKIPPED_FOLDERS = {".git", ".hg", ".svn", ".selfheal", "node_modules", "__pycache__", "venv", ".venv", "env",
                   "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", "site-packages"}
PLACEHOLDER_WORDS = ("your", "change", "replace", "placeholder", "example", "xxx", "todo", "<", "...")


def is_placeholder(value: str) -> bool:
    """True for a template value a person must replace: empty, or worded like "your-key-here"."""
    lowered = value.strip().lower()
    return not lowered or any(word in lowered for word in PLACEHOLDER_WORDS)


def _walk(root: Path) -> list[Path]:
    """Files under root, skipping version control, caches, virtual environments and selfheal's own state."""
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_FOLDERS and not entry.name.endswith(".egg-info"):
                    stack.append(entry)
            elif entry.is_file():
                out.append(entry)
    return out


def describe_project(root: Path) -> tuple[dict[str, Any], list[str]]:
    """The schema.json document for what the folder holds, and notes about what was left out."""
    from selfheal import engines
    from selfheal.declare.writer import database_entry
    from selfheal.errors import SnapshotError

    doc: dict[str, Any] = {"version": 1}
    notes: list[str] = []
    files = _walk(root)
    template = root / ".env.example"
    if template.is_file():
        from selfheal.environment.envfile import parse

        required = [e.key for e in parse(template).entries if is_placeholder(e.value or "")]
        doc["env"] = {"file": ".env", "template": ".env.example", "required": sorted(set(required))}
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                     and not p.name.startswith(".") and p.name not in SKIPPED_FOLDERS
                     and not p.name.endswith(".egg-info"))
    if folders:
        doc["directories"] = folders
    if (root / "requirements.txt").is_file():
        doc["requirements"] = ["requirements.txt"]
    manifests = [p for p in files if p.name == "package.json" and len(p.relative_to(root).parts) <= 2]
    if manifests:
        folder = manifests[0].parent.relative_to(root).as_posix()
        doc["node"] = {"dir": folder}
    databases: dict[str, Any] = {}
    for path in files:
        if path.suffix.lower() not in DATABASE_SUFFIXES:
            continue
        key = path.relative_to(root).as_posix()
        try:
            live, more = engines.get("sqlite").snapshot(str(path), root, "public")
            entry = database_entry(live, more)
        except SnapshotError as exc:
            notes.append(f"{key}: not declared ({exc})")
            continue
        databases[key] = entry
        notes += [f"{key}: {note}" for note in more]
    if databases:
        doc["databases"] = databases
    return doc, notes


def init(target: Path, as_json: bool = False) -> int:
    """Write schema.json for the folder it is in (never over an existing one), then validate --check."""
    from selfheal import cli

    if target.exists() or target.is_symlink():
        print(f"selfheal init: {target} already exists; not overwritten (edit it, or remove it to start again)",
              file=sys.stderr)
        return 1
    root = target.parent
    doc, notes = describe_project(root)
    try:
        write_private(target, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                      shared_mode(target))
    except OSError as exc:
        print(f"selfheal init: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    tables = sum(len(d.get("tables", {})) for d in doc.get("databases", {}).values())
    summary = [f"{plural(len(doc.get('databases', {})), 'database')} ({plural(tables, 'table')})",
               f"{plural(len(doc.get('env', {}).get('required', [])), 'required env key')}",
               f"{plural(len(doc.get('directories', [])), 'directory', 'directories')}"]
    if "requirements" in doc:
        summary.append("requirements.txt")
    if "node" in doc:
        summary.append(f"node folder {doc['node']['dir']}")
    print(f"selfheal init: wrote {target.name}: " + ", ".join(summary), file=sys.stderr)
    for note in notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    print("selfheal init: checking the project against it (read-only):", file=sys.stderr)
    return cli.execute("validate", target, Mode.CHECK, as_json=as_json)

