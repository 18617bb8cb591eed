"""Load schema.json into a Project, reporting every problem at once with its location.

The document is parsed strictly (declare.document), checked against the JSON Schema (declare.structure)
and built into the model by kind (declare.project → tables → columns, indexes; objects for views,
triggers and SQL files), each database entry by the rules of its engine."""

from __future__ import annotations

import gc
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Optional

from selfheal.declare.document import SchemaError, declaration_digests, read_document
from selfheal.declare.project import ProjectBuilder
from selfheal.declare.structure import structure_problems
from selfheal.model import Project

__all__ = ["SchemaError", "load"]


def load(path: Path, structure_checked: bool = False, data: Optional[bytes] = None,
         settled: Collection[str] = ()) -> Project:
    """Read (or take `data`), validate and build the Project; raise SchemaError listing every problem.

    structure_checked: these bytes passed the JSON Schema, duplicate-key and NUL checks before.
    settled: digests (see declaration_digests) of database entries that passed the JSON Schema before.
    A Project validated here carries the digest of each of its database entries."""
    path = Path(path).absolute()
    collecting = gc.isenabled()
    gc.disable()  # thousands of small objects, none cyclic garbage: collection would only cost time
    try:
        doc = read_document(path, data, trusted=structure_checked)
        digests: dict[str, str] = {}
        if not structure_checked:
            digests = declaration_digests(doc)
            problems = structure_problems(doc, {key for key, digest in digests.items() if digest in settled})
            if problems:
                raise SchemaError(path, problems)
        builder = ProjectBuilder(path)
        project = builder.build(doc)
        if digests:
            project = replace(project, declarations=digests)
    finally:
        if collecting:
            gc.enable()
    if builder.problems:
        raise SchemaError(path, builder.problems)
    return project
