"""Skip the JSON Schema pass (and the jsonschema import) for what schema.json held before.

`.selfheal/schema-ok` remembers the digest of the last validated schema.json and the digest of each
of its database entries: unchanged bytes skip the pass; after an edit only the entries it touched
are checked again, and only their databases lose their remembered results."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

from selfheal.declare.document import SCHEMA_OF_SCHEMA
from selfheal.declare.loader import load as load_uncached
from selfheal.model import Project
from selfheal.version import __version__

_CACHE_NAME = "schema-ok"


def _digest(data: bytes) -> str:
    h = hashlib.sha256(__version__.encode())
    h.update(SCHEMA_OF_SCHEMA.read_bytes())
    h.update(data)
    return h.hexdigest()


def _remembered(marker: Path) -> tuple[str, dict[str, str]]:
    """The file digest and entry digests the marker holds (nothing, for a missing, damaged or untrusted one)."""
    from selfheal.safety.safefile import project_owner, read_private

    data = read_private(marker, 64 * 1024 * 1024, project_owner(marker.parent.parent))
    try:
        found: Any = json.loads(data) if data is not None else None
    except ValueError:
        return "", {}
    if not isinstance(found, dict):
        return "", {}
    entries = found.get("entries")
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        entries = {}
    file_digest = found.get("file")
    return (file_digest if isinstance(file_digest, str) else ""), entries


def load(schema_path: Path, remember: bool = True, trusted: bool = True) -> Project:
    """Load schema.json; the structural pass runs only for content not validated before.

    With remember=False (read-only runs) the cache is read but never written; with trusted=False (a
    state folder others could write to) it is not read at all."""
    schema_path = Path(schema_path).absolute()
    marker = schema_path.parent / ".selfheal" / _CACHE_NAME
    data: Optional[bytes]
    try:
        data = schema_path.read_bytes()  # read once: what is hashed is what is loaded
    except OSError:
        data = None  # unreadable: the full load below reports why
    digest = _digest(data) if data is not None else ""
    known_file, entries = _remembered(marker) if trusted else ("", {})
    known = bool(digest) and known_file == digest
    if known:
        return replace(load_uncached(schema_path, structure_checked=True, data=data), declarations=entries)
    project = load_uncached(schema_path, data=data, settled=frozenset(entries.values()))
    if remember and digest:
        try:
            from selfheal.safety.safefile import ensure_private_dir, write_private

            ensure_private_dir(marker.parent)
            record = {"file": digest, "entries": dict(project.declarations)}
            write_private(marker, json.dumps(record, separators=(",", ":")).encode("ascii"))
        except OSError:
            pass  # a cache that cannot be written only costs time
    return project
