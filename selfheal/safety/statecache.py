"""Results of clean checks, remembered with what they depend on, so a healthy start skips the work.

A database's findings are reused while its PRAGMA schema_version, its file identity and its
declaration are unchanged; the Python-package findings while the interpreter, the requirements
files and every sys.path folder are unchanged. Only runs that may write (healing) save the cache;
errors and pending changes are never cached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from selfheal.findings import Finding, Status
from selfheal.safety.safefile import ensure_private_dir, project_owner, read_private, write_private
from selfheal.version import __version__

CACHE_NAME = "state.json"
MAX_STATE_BYTES = 256 * 1024 * 1024  # a fleet of 100,000 files remembers ~100 MiB


def _to_doc(finding: Finding) -> dict[str, Any]:
    doc = finding.to_json()
    if finding.notable:
        doc["notable"] = True
    return doc


def _from_doc(doc: dict[str, Any]) -> Finding:
    return Finding(doc["check"], doc["target"], Status(doc["status"]), doc["message"], doc.get("hint", ""),
                   doc.get("action", ""), bool(doc.get("notable", False)))


class StateCache:
    """A small JSON file in .selfheal/: section -> {"key": ..., "findings": [...]}."""

    def __init__(self, state_dir: Path, writable: bool, trusted: bool = True):
        self.path = state_dir / CACHE_NAME
        self.writable = writable
        self.changed = False
        self.entries: dict[str, Any] = {}
        if not trusted:
            return  # a folder others could write to: nothing in it is believed, everything is checked in full
        data = read_private(self.path, MAX_STATE_BYTES, project_owner(state_dir.parent))
        try:
            doc = json.loads(data) if data is not None else None
        except ValueError:
            return  # no cache, or an unreadable one: everything is checked in full
        if isinstance(doc, dict) and doc.get("version") == __version__ and isinstance(doc.get("entries"), dict):
            self.entries = doc["entries"]

    def get(self, section: str, key: str) -> Optional[list[Finding]]:
        """The findings saved for this section under exactly this key, if any."""
        entry = self.entries.get(section)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        try:
            return [_from_doc(doc) for doc in entry["findings"]]
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, section: str, key: str, findings: list[Finding]) -> None:
        """Remember clean findings; anything with an error or a change is forgotten instead."""
        if not self.writable:
            return  # a read-only run never saves, so it need not serialise anything
        if any(f.status in (Status.ERROR, Status.HEALED) for f in findings):
            self.forget(section)
            return
        self.entries[section] = {"key": key, "findings": [_to_doc(f) for f in findings]}
        self.changed = True

    def forget(self, section: str) -> None:
        """Drop a section (its result may no longer hold)."""
        if self.entries.pop(section, None) is not None:
            self.changed = True

    def save(self) -> None:
        """Write the file atomically, when allowed and changed; a failure only costs time next run."""
        if not (self.writable and self.changed and self.path.parent.is_dir()):
            return
        try:
            ensure_private_dir(self.path.parent)
            write_private(self.path, json.dumps({"version": __version__, "entries": self.entries}).encode("utf-8"))
        except OSError:
            pass
