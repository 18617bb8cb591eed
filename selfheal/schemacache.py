"""Skip the JSON Schema pass (and the jsonschema import) when schema.json has not changed."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Optional

from . import __version__
from .model import Project
from .schemafile import SCHEMA_OF_SCHEMA
from .schemafile import load as load_uncached

_CACHE_NAME = "schema-ok"


def _digest(data: bytes) -> str:
    h = hashlib.sha256(__version__.encode())
    h.update(SCHEMA_OF_SCHEMA.read_bytes())
    h.update(data)
    return h.hexdigest()


def load(schema_path: Path, remember: bool = True) -> Project:
    """Load schema.json; the structural pass runs only for content not validated before.

    With remember=False (read-only runs) the cache is read but never written."""
    schema_path = Path(schema_path).absolute()
    marker = schema_path.parent / ".selfheal" / _CACHE_NAME
    data: Optional[bytes]
    try:
        data = schema_path.read_bytes()  # read once: what is hashed is what is loaded
    except OSError:
        data = None  # unreadable: the full load below reports why
    digest = _digest(data) if data is not None else ""
    try:
        known = bool(digest) and marker.read_text(encoding="ascii").strip() == digest
    except OSError:
        known = False
    project = load_uncached(schema_path, structure_checked=known, data=data)
    if digest:
        project = replace(project, digest=digest)
    if remember and digest and not known:
        try:
            from .safefile import ensure_private_dir, write_private

            ensure_private_dir(marker.parent)
            write_private(marker, digest.encode("ascii"))
        except OSError:
            pass  # a cache that cannot be written only costs time
    return project
