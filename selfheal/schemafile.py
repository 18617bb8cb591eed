"""Load schema.json into a Project, reporting every problem at once with its location."""

from __future__ import annotations

import difflib
import gc
import hashlib
import json
import math
import os
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Optional, Union

from .model import AppSpec, Column, Database, Default, EnvSpec, ForeignKey, Index, Project, Table, fold
from .pg.types import pg_type_problem, unsupported_keys
from .sql import code_only, quote_ident

SCHEMA_OF_SCHEMA = Path(__file__).with_name("schema.schema.json")
PathPart = Union[str, int]
_TYPE_NAME = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(\s+[A-Za-z_][A-Za-z0-9_]*)*"
    r"(\s*\(\s*[+-]?\d+(\.\d+)?\s*(,\s*[+-]?\d+(\.\d+)?\s*)?\))?"
)


_CONSTRAINT_WORD = re.compile(r"\b(NOT\s+NULL|PRIMARY\s+KEY|DEFAULT|REFERENCES|CHECK|COLLATE|UNIQUE|GENERATED|"
                              r"AUTOINCREMENT|CONSTRAINT|AS|NULL|ON\s+CONFLICT)\b", re.IGNORECASE)
_CONSTRAINT_KEYS = {"NOT NULL": "not_null", "PRIMARY KEY": "primary_key", "DEFAULT": "default",
                    "REFERENCES": "references", "AUTOINCREMENT": "primary_key"}


_PLAIN_COLUMN_KEYS = frozenset({"type", "not_null", "default", "primary_key"})


class SchemaError(Exception):
    """schema.json cannot be used; `problems` holds (location, message) pairs."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


def location(parts: Iterable[PathPart]) -> str:
    """Render a JSON path like databases."app/data.db".tables.users."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", part) else json.dumps(part)
            out += ("." if out else "") + text
    return out or "(top level)"


class _Object(dict):  # type: ignore[type-arg,unused-ignore]
    """A JSON object that remembers the keys it saw more than once."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj and key not in obj.duplicates:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def read_document(path: Path, data: Optional[bytes] = None, trusted: bool = False) -> Any:
    """Parse schema.json strictly: syntax errors with line and column, duplicate keys rejected.

    `trusted` content (these very bytes passed every check before) is parsed without the checks."""
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8")
    except FileNotFoundError:
        raise SchemaError(path, [("(file)", f"schema file not found: {path}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(path, [("(file)", f"cannot read {path}: {exc}")]) from None
    if trusted:
        return json.loads(text)
    try:
        doc, suspicious = _parse_fast(text)
        if suspicious:  # rare: parse again, slowly, to say exactly where each problem is
            doc = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            path, [(f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}")]
        ) from None
    except RecursionError:
        raise SchemaError(path, [("(top level)", f"nested more than {MAX_DEPTH} levels deep")]) from None
    if suspicious or _depth(doc, cheap=True) > MAX_DEPTH:
        if _depth(doc) > MAX_DEPTH:  # the walks below recurse; JSON Schema bounds the depth of valid files
            raise SchemaError(path, [("(top level)", f"nested more than {MAX_DEPTH} levels deep")])
        problems = list(_duplicate_keys(doc, [])) + list(_bad_values(doc, []))
        if problems:
            raise SchemaError(path, problems)
    return doc


# NUL and lone surrogates can only enter a JSON text as \u escapes (raw control characters are invalid JSON)
_SUSPICIOUS_ESCAPE = re.compile(r"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _parse_fast(text: str) -> tuple[Any, bool]:
    """Parse with the C decoder; True when a duplicate key, NUL, lone surrogate or non-finite number
    may be there (then the caller walks the document to locate each)."""
    found = [bool(_SUSPICIOUS_ESCAPE.search(text))]

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            found[0] = True
        return obj

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            found[0] = True
        return value

    def constant(literal: str) -> float:
        found[0] = True
        return float(literal)

    doc = json.loads(text, object_pairs_hook=pairs, parse_float=number, parse_constant=constant)
    return doc, found[0]


MAX_DEPTH = 32  # schema.json needs about 8; deeper is a mistake (and would exhaust Python's recursion)


class _NonFinite(str):
    """NaN, Infinity or -Infinity: Python's json accepts them, JSON and SQL do not."""


def _depth(node: Any, cheap: bool = False) -> int:
    """How deeply objects and arrays nest (iterative: any depth is measured without recursion).

    `cheap` follows only the first child of each container: enough to catch a deeply nested value
    anywhere but under the many-keyed objects (databases, tables, columns) the structure pass checks."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = list(item.values() if isinstance(item, dict) else item)
            if cheap and len(children) > 8:
                children = children[:1]
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _duplicate_keys(node: Any, parts: list[PathPart]) -> Iterable[tuple[str, str]]:
    if isinstance(node, _Object):
        for key in node.duplicates:
            yield location(parts), f"duplicate key {json.dumps(key)} (JSON keeps only the last one)"
        for key, value in node.items():
            yield from _duplicate_keys(value, parts + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicate_keys(value, parts + [i])


def _text_problem(text: str) -> str:
    """Why a string cannot be a name or SQL text: a NUL character, or a lone surrogate (not Unicode)."""
    if "\0" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains {text[exc.start]!r}, a lone surrogate escape that is not valid Unicode"
    return ""


def _bad_values(node: Any, parts: list[PathPart]) -> Iterable[tuple[str, str]]:
    """Values SQLite cannot hold: NUL characters, lone surrogates, NaN and infinite numbers."""
    if isinstance(node, _NonFinite) or (isinstance(node, float) and not math.isfinite(node)):
        yield location(parts), f"{node} is not a JSON number (only finite numbers are)"
    elif isinstance(node, str):
        problem = _text_problem(node)
        if problem:
            yield location(parts), problem
    elif isinstance(node, dict):
        for key, value in node.items():
            problem = _text_problem(key)
            if problem:
                yield location(parts + [key]), "name " + problem
            yield from _bad_values(value, parts + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bad_values(value, parts + [i])


def declaration_digests(doc: Any) -> dict[str, str]:
    """A digest per database entry, with everything outside `databases` (and selfheal's version and
    JSON Schema) folded in: what the entry's validity and its database's remembered result depend on."""
    if not isinstance(doc, dict) or not isinstance(doc.get("databases"), dict):
        return {}
    from . import __version__

    base = hashlib.sha256(__version__.encode("utf-8") + SCHEMA_OF_SCHEMA.read_bytes())
    base.update(json.dumps({k: v for k, v in doc.items() if k != "databases"}, separators=(",", ":")).encode())
    digests = {}
    for key, entry in doc["databases"].items():
        h = base.copy()
        h.update(json.dumps([key, entry], separators=(",", ":")).encode())
        digests[key] = h.hexdigest()
    return digests


def structure_problems(doc: Any, settled: Collection[str] = ()) -> list[tuple[str, str]]:
    """Check the document against schema.schema.json; `settled` database entries (these very entries,
    under the same settings, passed before) are not checked again.

    A compiled validator (fastjsonschema: Python code generated from the same JSON Schema, about 7
    times faster) decides; only an invalid document pays for jsonschema, which words the messages."""
    import fastjsonschema

    validate = compiled_validator()
    if settled and isinstance(doc, dict) and isinstance(doc.get("databases"), dict):
        fresh = {key: entry for key, entry in doc["databases"].items() if key not in settled}
        try:
            validate({**doc, "databases": fresh})
            return []
        except (fastjsonschema.JsonSchemaException, RecursionError):
            pass  # decided on the whole document below
    try:
        validate(doc)
        return []
    except (fastjsonschema.JsonSchemaException, RecursionError):
        pass
    import jsonschema

    meta = json.loads(SCHEMA_OF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(meta)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_explain(error))
    return problems


def compiled_validator() -> Callable[[Any], Any]:
    """The fast deciding validator: generated at development time when it matches schema.schema.json
    (see validatorgen), else compiled now."""
    from . import _structure_validator, validatorgen

    data = SCHEMA_OF_SCHEMA.read_bytes()
    if _structure_validator.SOURCE_DIGEST == validatorgen.schema_digest(data):
        return _structure_validator.validate
    import fastjsonschema

    return fastjsonschema.compile(json.loads(data))


def _explain(error: Any) -> list[tuple[str, str]]:
    where = location(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # report the branch that matches the value's JSON type, not "not valid under any"
        relevant = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        if relevant:
            return [p for e in relevant for p in _explain(e)]
        return [(where, f"expected {_describe_types(error)}, got {_json_type(error.instance)}")]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        known = set(error.schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key not in known:
                close = closest(key, allowed)
                hint = f"; did you mean {json.dumps(close)}?" if close else ""
                valid = f" (valid keys: {', '.join(allowed)})" if not close and allowed else ""
                out.append((where, f"unknown key {json.dumps(key)}{hint}{valid}"))
        return out
    if error.validator == "required":
        return [(where, error.message.replace("is a required property", "is required"))]
    if error.validator == "type":
        return [(where, f"expected {error.validator_value}, got {_json_type(error.instance)}")]
    if error.validator == "const":
        return [(where, f"must be {json.dumps(error.validator_value)}")]
    if error.validator in ("minLength", "pattern") and isinstance(error.instance, str):
        return [(where, "must not be empty" if not error.instance.strip() else error.message)]
    return [(where, error.message)]


def closest(key: str, allowed: list[str]) -> Optional[str]:
    """The valid key most likely meant: a shared prefix first ("enviroment" -> "env"), then similarity."""
    lowered = key.lower()
    prefixed = [a for a in allowed if len(a) >= 3 and (lowered.startswith(a) or a.startswith(lowered))]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(lowered, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _describe_types(error: Any) -> str:
    names = [str(s.get("type")) for s in error.validator_value if isinstance(s, dict)]
    return " or ".join(names) if names else "a different value"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


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
        builder = _Builder(path)
        project = builder.build(doc)
        if digests:
            project = replace(project, declarations=digests)
    finally:
        if collecting:
            gc.enable()
    if builder.problems:
        raise SchemaError(path, builder.problems)
    return project


class _Builder:
    """Turns a structurally valid document into a Project, collecting semantic problems."""

    def __init__(self, path: Path):
        self.path = path
        self.root = path.parent
        self.problems: list[tuple[str, str]] = []
        self._memory: Optional[sqlite3.Connection] = None
        self._valid_defaults: set[str] = set()
        self._types: dict[str, str] = {}  # each type spelling, normalised once (SQLite / PostgreSQL)
        self._pg_types: dict[str, str] = {}
        self._columns: dict[tuple[Any, ...], Column] = {}
        self.max_file_bytes = 1024 * 1024
        self.server = False  # loading a PostgreSQL entry: its types and expressions are the server's to check

    def problem(self, parts: list[PathPart], message: str) -> None:
        self.problems.append((location(parts), message))

    def build(self, doc: dict[str, Any]) -> Project:
        env = doc.get("env")
        settings = doc.get("settings", {})
        self.max_file_bytes = int(settings.get("max_file_bytes", 1024 * 1024))
        app = doc.get("app")
        for i, folder in enumerate(doc.get("directories", [])):
            self.inside_root(folder, ["directories", i])
        if app and "cwd" in app:
            self.inside_root(app["cwd"], ["app", "cwd"], allow_root=True)
        if app and isinstance(app.get("command"), str):
            import shlex

            try:
                if not shlex.split(app["command"], posix=os.name != "nt"):
                    self.problem(["app", "command"], "is empty")
            except ValueError as exc:
                self.problem(["app", "command"], f"cannot be split into arguments as a shell would: {exc} "
                             "(or give an argv list)")
        for key in ("file", "template"):
            if env is not None and key in env:
                self.inside_root(env[key], ["env", key])
        for i, requirement in enumerate(doc.get("requirements", [])):
            self.inside_root(requirement, ["requirements", i])
        for i, source in enumerate(doc.get("checks", [])):
            if source.endswith(".py"):
                self.inside_root(source, ["checks", i])
            elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", source):
                self.problem(["checks", i], f"{json.dumps(source)} is neither a .py file nor a module name")
        if "node" in doc and "dir" in doc["node"]:
            self.inside_root(doc["node"]["dir"], ["node", "dir"], allow_root=True)
        return Project(
            root=self.root,
            schema_path=self.path,
            python=doc.get("python"),
            env=EnvSpec(
                file=env.get("file", ".env"),
                template=env.get("template", ".env.example"),
                required=tuple(env.get("required", ())),
            )
            if env is not None
            else None,
            directories=tuple(doc.get("directories", ())),
            requirements=tuple(doc["requirements"]) if "requirements" in doc else None,
            node_dir=doc["node"].get("dir", "frontend") if "node" in doc else None,
            databases=self.databases(doc.get("databases", {})),
            app=AppSpec(
                command=app["command"] if isinstance(app["command"], str) else tuple(app["command"]),
                cwd=app.get("cwd", "."),
            )
            if app
            else None,
            backups_keep=int(settings.get("backups_keep", 5)),
            lock_timeout=float(settings.get("lock_timeout", 10)),
            max_file_bytes=int(settings.get("max_file_bytes", 1024 * 1024)),
            checks=tuple(doc.get("checks", ())),
            silence=tuple(settings.get("silence", ())),
        )

    def inside_root(self, rel: str, parts: list[PathPart], allow_root: bool = False) -> bool:
        """True when a relative path stays inside the schema's folder (or is it, with allow_root)."""
        if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
            self.problem(parts, f"{json.dumps(rel)} must be relative to the schema's folder, not absolute")
            return False
        too_long = [part for part in PurePosixPath(rel.replace("\\", "/")).parts if len(part.encode("utf-8")) > 255]
        if too_long:
            self.problem(parts, f"{json.dumps(rel)} has a component longer than 255 bytes, which file systems refuse")
            return False
        target = os.path.normpath(os.path.join(str(self.root), rel))
        if os.path.commonpath([target, str(self.root)]) != str(self.root) or (target == str(self.root)
                                                                               and not allow_root):
            self.problem(parts, f"{json.dumps(rel)} must stay inside the schema's folder")
            return False
        return True

    def databases(self, decl: dict[str, Any]) -> tuple[Database, ...]:
        out: list[Database] = []
        seen: dict[str, str] = {}
        for db_path, body in decl.items():
            parts: list[PathPart] = ["databases", db_path]
            if "url" in body:
                server = self.server_database(db_path, body, parts)
                if server is not None:
                    out.append(server)
                continue
            if "schema" in body:
                self.problem(parts + ["schema"], "only a PostgreSQL database (\"url\") has a schema")
            if not self.inside_root(db_path, parts):
                continue
            key = os.path.normcase(os.path.normpath(db_path))
            if key in seen:
                self.problem(parts, f"same file as {json.dumps(seen[key])}")
            seen[key] = db_path
            tables = self.tables(body.get("tables", {}), parts + ["tables"])
            views, triggers = dict(body.get("views", {})), dict(body.get("triggers", {}))
            if views or triggers:
                self.views_and_triggers(tables, views, triggers, parts)
            if "sql" in body:
                tables, views, triggers = self.sql_files(body["sql"], tables, views, triggers, parts + ["sql"])
            out.append(Database(path=PurePosixPath(*PurePosixPath(db_path).parts).as_posix(), tables=tables,
                                views=tuple(views.items()), triggers=tuple(triggers.items())))
        return tuple(out)

    def server_database(self, label: str, body: dict[str, Any], parts: list[PathPart]) -> Optional[Database]:
        """A PostgreSQL entry: its URL named by an environment key, never written in schema.json."""
        url = body["url"]
        match = re.fullmatch(r"env:([A-Za-z_][A-Za-z0-9_]*)", url)
        if match is None:
            secret = "://" in url
            self.problem(parts + ["url"], "must be \"env:NAME\", naming the environment or .env key that holds the "
                         "connection URL" + (" (a URL written here would put its password in schema.json: move it "
                                              "to .env)" if secret else ""))
            return None
        for where, message in unsupported_keys(body):
            self.problem(parts + where, message)
        self.server = True
        try:
            tables = self.tables(body.get("tables", {}), parts + ["tables"])
        finally:
            self.server = False
        return Database(path=label, tables=tables, views=tuple(body.get("views", {}).items()),
                        url_env=match.group(1), namespace=body.get("schema", "public"))

    def sql_files(self, files: Union[str, list[str]], tables: tuple[Table, ...], views: dict[str, str],
                  triggers: dict[str, str], parts: list[PathPart]
                  ) -> tuple[tuple[Table, ...], dict[str, str], dict[str, str]]:
        """Add what SQL DDL files declare (SQLite parses them) to what the JSON keys declare."""
        from . import sqlfile

        paths = [files] if isinstance(files, str) else list(files)
        if not all(self.inside_root(rel, parts + ([i] if isinstance(files, list) else []))
                   for i, rel in enumerate(paths)):
            return tables, views, triggers
        declared = sqlfile.load(self.root, tuple(paths), self.max_file_bytes)
        for where, message in declared.problems:
            self.problem(parts, f"{where}: {message}")
        json_names = {fold(t.name) for t in tables} | {fold(n) for n in views} | {fold(n) for n in triggers}
        clashes = [t.name for t in declared.tables if fold(t.name) in json_names] + [
            n for n, _ in declared.views + declared.triggers if fold(n) in json_names]
        for name in clashes:
            self.problem(parts, f"{json.dumps(name)} is declared twice: in this database's JSON keys and in "
                         f"{declared.origin.get(fold(name), 'the SQL files')}")
        merged = tables + tuple(declared.tables)
        return merged, {**views, **dict(declared.views)}, {**triggers, **dict(declared.triggers)}

    def views_and_triggers(self, tables: tuple[Table, ...], views: dict[str, str], triggers: dict[str, str],
                           parts: list[PathPart]) -> None:
        """Let SQLite parse each view and trigger over the declared tables, in an in-memory database."""
        from .sql import create_table, create_view, quote_ident

        memory = sqlite3.connect(":memory:")
        try:
            for table in tables:
                try:
                    memory.execute(create_table(table))
                except sqlite3.Error:
                    pass  # the table's own problems are reported where it is declared
            taken = {fold(t.name) for t in tables} | {fold(i.name) for t in tables for i in t.indexes if i.name}
            for kind, decl in (("view", views), ("trigger", triggers)):
                self.case_clashes(decl, parts + [kind + "s"], kind)
                for name, text in decl.items():
                    where = parts + [kind + "s", name]
                    if fold(name) in taken:
                        self.problem(where, f"{kind} name {json.dumps(name)} is also a table or index name")
                    taken.add(fold(name))
                    if kind == "trigger" and not re.match(r"\s*CREATE\s+TRIGGER\s", text, re.IGNORECASE):
                        self.problem(where, "must be one CREATE TRIGGER statement (TEMP triggers vanish)")
                        continue
                    try:
                        memory.execute(create_view(name, text) if kind == "view" else text)
                        if kind == "view":  # SQLite resolves a view's names only when it is used
                            memory.execute(f"SELECT * FROM {quote_ident(name)} LIMIT 0").fetchall()
                    except (sqlite3.Error, sqlite3.Warning) as exc:
                        self.problem(where, f"SQLite refuses it: {exc}")
                        continue
                    made = memory.execute("SELECT name FROM sqlite_master WHERE type = ? AND name = ?",
                                          (kind, name)).fetchone()
                    if made is None:
                        self.problem(where, f"the statement creates a {kind} of another name than "
                                     f"{json.dumps(name)}")
        finally:
            memory.close()

    def tables(self, decl: dict[str, Any], parts: list[PathPart]) -> tuple[Table, ...]:
        self.case_clashes(decl, parts, "table")
        # each table's JSON is let go once its model is built: the document and the model of a large
        # schema are never both whole in memory (the document is the loader's own, parsed for this load)
        tables = [self.table(name, decl.pop(name), parts + [name]) for name in list(decl)]
        by_name = {fold(t.name): t for t in tables}
        tables = [
            replace(table, columns=tuple(
                replace(c, references=self.resolve_reference(c.references, by_name,
                                                             parts + [table.name, "columns", c.name]))
                if c.references else c
                for c in table.columns)) if any(c.references for c in table.columns) else table
            for table in tables
        ]
        tables = [replace(table, foreign_keys=tuple(
            self.resolve_foreign_key(fk, by_name, parts + [table.name, "foreign_keys", i])
            for i, fk in enumerate(table.foreign_keys))) if table.foreign_keys else table for table in tables]
        index_names: dict[str, str] = {}
        for table in tables:
            for i, index in enumerate(table.indexes):
                if index.name:
                    if fold(index.name) in index_names or fold(index.name) in by_name:
                        self.problem(parts + [table.name, "indexes", i, "name"],
                                     f"index name {json.dumps(index.name)} is used twice in this database")
                    index_names[fold(index.name)] = table.name
        return tuple(tables)

    def reserved(self, name: str, parts: list[PathPart], what: str) -> None:
        """SQLite keeps names that start with sqlite_ for itself."""
        if fold(name).startswith("sqlite_"):
            self.problem(parts, f"{what} name {json.dumps(name)} starts with \"sqlite_\", which SQLite reserves "
                         "for itself")

    def case_clashes(self, decl: dict[str, Any], parts: list[PathPart], what: str) -> dict[str, str]:
        """Names that differ only in case are problems; returns folded name -> name as declared."""
        seen: dict[str, str] = {}
        named = what in ("table", "view", "trigger")
        for name in decl:
            if named:
                self.reserved(name, parts + [name], what)
            folded = fold(name)
            if folded in seen:
                self.problem(parts + [name], f"{what} {json.dumps(name)} and {json.dumps(seen[folded])} "
                             "differ only in case, which SQLite treats as the same name")
            seen[folded] = name
        return seen

    def table(self, name: str, body: dict[str, Any], parts: list[PathPart]) -> Table:
        # folded name -> name as declared (a later duplicate in case is a problem, so the last one wins)
        declared = self.case_clashes(body["columns"], parts + ["columns"], "column")
        columns, column_pks = [], []
        for col_name, spec in body["columns"].items():
            columns.append(self.column(col_name, spec, parts))
            if not isinstance(spec, str) and spec.get("primary_key"):
                column_pks.append(col_name)
        primary_key: tuple[str, ...] = tuple(column_pks)
        if "primary_key" in body:
            if column_pks:
                self.problem(parts + ["primary_key"], "give the primary key either here or on columns, not both")
            missing = [c for c in body["primary_key"] if fold(c) not in declared]
            for col in missing:
                self.problem(parts + ["primary_key"], f"primary key column {json.dumps(col)} is not declared")
            primary_key = tuple(declared.get(fold(c), c) for c in body["primary_key"])
        indexes = [self.index(spec, declared, name, parts + ["indexes", i])
                   for i, spec in enumerate(body.get("indexes", []))]
        unique = []
        for i, cols in enumerate(body.get("unique", [])):
            unique.append(self.column_list(cols, declared, name, parts + ["unique", i]))
        foreign_keys = []
        for i, spec in enumerate(body.get("foreign_keys", [])):
            cols = self.column_list(spec["columns"], declared, name, parts + ["foreign_keys", i, "columns"])
            target = spec["references"]
            if len(target["columns"]) != len(cols):
                self.problem(parts + ["foreign_keys", i, "references"], f"names {len(target['columns'])} columns "
                             f"for {len(cols)} referencing ones")
            actions = [f"ON DELETE {spec['on_delete']}" if "on_delete" in spec else "",
                       f"ON UPDATE {spec['on_update']}" if "on_update" in spec else "",
                       "DEFERRABLE INITIALLY DEFERRED" if spec.get("deferrable") else ""]
            foreign_keys.append(ForeignKey(cols, target["table"], tuple(target["columns"]),
                                           " ".join(a for a in actions if a)))
        for col in columns:
            where = parts + ["columns", col.name]
            if col.autoincrement and (len(column_pks) != 1 or fold(column_pks[0]) != fold(col.name)
                                      or col.type.upper() != "INTEGER"):
                self.problem(where + ["autoincrement"], "needs an INTEGER column that is the whole primary key "
                             "(\"primary_key\": true)")
            if col.generated and col.default is not None:
                self.problem(where, "a generated column cannot have a default")
        rows = []
        for i, row in enumerate(body.get("rows", [])):
            unknown = [c for c in row if fold(c) not in declared]
            for col in unknown:
                self.problem(parts + ["rows", i], f"seed row column {json.dumps(col)} is not declared")
            if not primary_key:
                self.problem(parts + ["rows"], "seed rows need a primary key to be matched by (declare one)")
                break
            for col in row:
                if fold(col) in declared and self._is_generated(columns, col):
                    self.problem(parts + ["rows", i], f"seed row sets the generated column {json.dumps(col)}")
            absent = [c for c in primary_key if fold(c) not in {fold(k) for k in row}]
            if absent:
                self.problem(parts + ["rows", i], f"seed row lacks primary key column {', '.join(absent)}")
            if not unknown and not absent:
                rows.append(tuple((declared[fold(c)], v) for c, v in row.items()))
        strict = bool(body.get("strict", False))
        if strict:
            from .plan import STRICT_TYPES

            for col in columns:
                if col.type.upper() not in STRICT_TYPES:
                    self.problem(parts + ["columns", col.name, "type"], f"{json.dumps(col.type)} is not allowed in a "
                                 "STRICT table (INT, INTEGER, REAL, TEXT, BLOB or ANY)")
        table = Table(name=name, columns=tuple(columns), primary_key=primary_key, indexes=tuple(indexes),
                      rows=tuple(rows), checks=tuple(c.strip() for c in body.get("checks", ())), strict=strict,
                      without_rowid=bool(body.get("without_rowid", False)), unique=tuple(unique),
                      foreign_keys=tuple(foreign_keys))
        if not self.server and table.uses_constraint_keys:  # PostgreSQL checks its own when it creates them
            self.constraints_problems(table, parts)
        return table

    @staticmethod
    def _is_generated(columns: list[Column], name: str) -> bool:
        return any(fold(c.name) == fold(name) and c.generated for c in columns)

    def column_list(self, cols: list[str], declared: dict[str, str], table: str,
                    parts: list[PathPart]) -> tuple[str, ...]:
        """Column names of a table constraint, as declared; unknown ones are problems."""
        for col in cols:
            if fold(col) not in declared:
                self.problem(parts, f"column {json.dumps(col)} is not declared in table {json.dumps(table)}")
        if len({fold(c) for c in cols}) != len(cols):
            self.problem(parts, "a column is listed twice")
        return tuple(declared.get(fold(c), c) for c in cols)

    def index(self, spec: dict[str, Any], declared: dict[str, str], table: str, parts: list[PathPart]) -> Index:
        """One declared index: columns by name, or objects with an expression, a collation, DESC."""
        names: list[Optional[str]] = []
        terms: list[str] = []
        fancy = False  # an expression, COLLATE or DESC: rendered from terms, matched by name
        for j, entry in enumerate(spec["columns"]):
            if isinstance(entry, str):  # the common case, without building an object for it
                col, sql_term, extra = entry, None, ""
            elif ("column" in entry) == ("sql" in entry):
                self.problem(parts + ["columns", j], "give either \"column\" or \"sql\"")
                continue
            else:
                col, sql_term = entry.get("column"), entry.get("sql")
                extra = (f" COLLATE {entry['collate']}" if "collate" in entry else "") + (
                    " DESC" if entry.get("desc") else "")
                fancy = fancy or sql_term is not None or bool(extra)
            if col is not None:
                have = declared.get(fold(col))
                if have is None:
                    self.problem(parts + ["columns"], f"index column {json.dumps(col)} is not declared "
                                 f"in table {json.dumps(table)}")
                names.append(col if have is None else have)
                terms.append(quote_ident(names[-1] or "") + extra)
            else:
                names.append(None)
                terms.append(str(sql_term).strip() + extra)
        plain = [n for n in names if n is not None]
        if len({fold(c) for c in plain}) != len(plain):
            self.problem(parts + ["columns"], "a column is listed twice")
        if spec.get("name"):
            self.reserved(spec["name"], parts + ["name"], "index")
        if spec.get("where") and not spec.get("name"):
            self.problem(parts, "a partial index (\"where\") needs a \"name\"")
        elif fancy and not spec.get("name"):
            self.problem(parts, "an index with \"sql\", \"collate\" or \"desc\" needs a \"name\"")
        return Index(columns=tuple(names), where=spec.get("where", ""), partial=bool(spec.get("where")),
                     unique=bool(spec.get("unique", False)), name=spec.get("name"),
                     terms=tuple(terms) if fancy else ())

    def constraints_problems(self, table: Table, parts: list[PathPart]) -> None:
        """Let SQLite build a table that uses constraint keys: every expression must be part of one
        column or CHECK (an expression that closes its own parenthesis could smuggle in more)."""
        from .sql import create_index, create_table

        memory = sqlite3.connect(":memory:")
        try:
            memory.execute(create_table(replace(table, foreign_keys=(), columns=tuple(
                replace(c, references=None, fk_actions="") for c in table.columns))))
            names = [r[0] for r in memory.execute("SELECT name FROM pragma_table_xinfo(?)", (table.name,))]
            checks = len(re.findall(r"\bCHECK\b", code_only(create_table(table)), re.IGNORECASE))
            if names != [c.name for c in table.columns] or checks != len(table.checks) + sum(
                    bool(c.check) for c in table.columns):
                self.problem(parts, "its constraint expressions do not each stay within their column or CHECK")
            count = "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
            for i, index in enumerate(table.indexes):
                if index.where or index.terms:
                    name = index.name or "probe_index"
                    before = memory.execute(count).fetchone()[0]
                    memory.execute(create_index(table.name, index, name))
                    if memory.execute(count).fetchone()[0] != before + 1:
                        self.problem(parts + ["indexes", i, "where"], "is not one expression")
                    keys = memory.execute("SELECT count(*) FROM pragma_index_xinfo(?) WHERE key = 1",
                                          (name,)).fetchone()[0]
                    partial = memory.execute("SELECT partial FROM pragma_index_list(?) WHERE name = ?",
                                             (table.name, name)).fetchone()[0]
                    if keys != len(index.columns) or bool(partial) != bool(index.where):
                        self.problem(parts + ["indexes", i, "columns"], "each \"sql\" must be one expression")
        except (sqlite3.Error, sqlite3.Warning) as exc:
            self.problem(parts, f"SQLite refuses its declaration: {exc}")
        finally:
            memory.close()

    def column(self, name: str, spec: Union[str, dict[str, Any]], table_parts: list[PathPart]) -> Column:
        """One column of the table `table_parts` locates."""
        raw_type = spec if isinstance(spec, str) else spec["type"]
        types = self._pg_types if self.server else self._types
        type_name = types.get(raw_type)
        if type_name is None:  # each distinct spelling is normalised and checked once per load
            type_name = " ".join(raw_type.split())
            problem = pg_type_problem(type_name) if self.server else self.type_problem(type_name)
            if problem:
                self.problem(table_parts + ["columns", name, "type"], problem)
            else:
                types[raw_type] = type_name
        if isinstance(spec, str):  # the commonest column of all
            return self.shared((name, type_name), name, type_name, False, None)
        default = None
        if "default" in spec:
            raw = spec["default"]
            if isinstance(raw, dict):
                default = Default(raw["sql"].strip(), sql=True)
                if not self.server:
                    self.check_sql_default(default, table_parts + ["columns", name, "default", "sql"])
            else:
                default = Default(raw)
        references, actions = None, []
        if "references" in spec:
            target = spec["references"]
            if isinstance(target, dict):  # resolved once every table is known: ("", "t.c") or (table, column)
                references = (target["table"], target["column"])
                actions = [f"ON DELETE {target['on_delete']}" if "on_delete" in target else "",
                           f"ON UPDATE {target['on_update']}" if "on_update" in target else "",
                           "DEFERRABLE INITIALLY DEFERRED" if target.get("deferrable") else ""]
            else:
                references = ("", target)
        if spec.keys() <= _PLAIN_COLUMN_KEYS:  # the common shapes, built without looking up the constraint keys
            not_null = bool(spec.get("not_null", False))
            value = None if default is None else default.value
            if isinstance(value, float):  # 0.0 and -0.0 are equal keys but different SQL: not shared
                return Column(name, type_name, not_null, default)
            key = (name, type_name, not_null, default is None, default is not None and default.sql, type(value), value)
            return self.shared(key, name, type_name, not_null, default)
        generated = spec.get("generated", {})
        return Column(name=name, type=type_name, not_null=bool(spec.get("not_null", False)),
                      default=default, references=references, unique=bool(spec.get("unique", False)),
                      check=spec.get("check", "").strip(), collate=spec.get("collate", ""),
                      fk_actions=" ".join(a for a in actions if a), generated=generated.get("sql", "").strip(),
                      stored=bool(generated.get("stored", False)), hidden=bool(generated),
                      autoincrement=bool(spec.get("autoincrement", False)))

    def shared(self, key: tuple[Any, ...], name: str, type_name: str, not_null: bool,
               default: Optional[Default]) -> Column:
        """One Column object for every table that declares the same plain column (keyed by exact types:
        1 and True are equal in Python, not in SQL): 10,000 wide tables hold a few hundred, not 200,000."""
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = Column(name, type_name, not_null, default)
        return found

    def parent_key(self, target: Table, column: str, text: str, parts: list[PathPart]) -> tuple[str, str]:
        """A resolved reference; one to neither the primary key nor a unique column is a problem."""
        if not is_parent_key(target, column):
            self.problem(parts + ["references"], f"{json.dumps(text)} is neither the primary key of "
                         f"{json.dumps(target.name)} nor a unique column: SQLite would refuse every write "
                         "to this table (foreign key mismatch)")
        return target.name, column

    def type_problem(self, type_name: str) -> str:
        """Why a type string is not a bare SQLite type name ("" when it is), asking SQLite itself.

        "TEXT NOT NULL" or "CHECK (0)" would be written into CREATE TABLE verbatim: a constraint
        smuggled in, and a table that differs from its declaration forever."""
        shape = "words, optionally followed by (N) or (N, M)"
        if not _TYPE_NAME.fullmatch(type_name):
            return f"{json.dumps(type_name)} is not an SQLite type name ({shape})"
        constraint = _CONSTRAINT_WORD.search(type_name)
        if constraint:
            word = " ".join(constraint.group(0).upper().split())
            key = _CONSTRAINT_KEYS.get(word, "")
            instead = f': use the column\'s "{key}" key' if key else ""
            return f"{json.dumps(type_name)} holds the constraint {word}{instead} (a type is a type name only)"
        memory = self.memory()
        try:
            memory.execute("DROP TABLE IF EXISTS probe")
            memory.execute(f"CREATE TABLE probe (x {type_name})")
            [(parsed,)] = memory.execute("SELECT type FROM pragma_table_info('probe')").fetchall()
        except (sqlite3.Error, ValueError) as exc:
            return f"{json.dumps(type_name)} is not an SQLite type name: {exc}"
        if parsed.upper() != type_name.upper():
            return f"{json.dumps(type_name)} is not an SQLite type name ({shape}); SQLite reads it as {parsed!r}"
        return ""

    def memory(self) -> sqlite3.Connection:
        """An in-memory database for asking SQLite whether a piece of SQL means what it seems to."""
        if self._memory is None:
            self._memory = sqlite3.connect(":memory:")
        return self._memory

    def check_sql_default(self, default: Default, parts: list[PathPart]) -> None:
        """A {"sql": …} default must be exactly one constant expression."""
        expr = str(default.value)
        if expr in self._valid_defaults:  # the same expression is checked once per load
            return
        from .sql import default_sql

        memory = self.memory()
        try:
            memory.execute("DROP TABLE IF EXISTS probe")
            memory.execute(f"CREATE TABLE probe (x DEFAULT {default_sql(default)})")
            rows = memory.execute("SELECT name, dflt_value FROM pragma_table_info('probe')").fetchall()
        except (sqlite3.Error, sqlite3.Warning) as exc:
            self.problem(parts, f"{json.dumps(expr)} is not a constant SQL expression: {exc}")
            return
        # SQLite keeps the expression's own text; anything else (an extra column, a CHECK) was smuggled in
        if len(rows) != 1 or (rows[0][1] not in (expr, f"({expr})") and rows[0][1].strip("()") != expr):
            self.problem(parts, f"{json.dumps(expr)} is not one constant SQL expression")
        else:
            self._valid_defaults.add(expr)

    def resolve_foreign_key(self, fk: ForeignKey, by_name: dict[str, Table], parts: list[PathPart]) -> ForeignKey:
        """A composite foreign key with its parent's names as declared; a parent that is no key is a problem."""
        target = by_name.get(fold(fk.table))
        if target is None:
            self.problem(parts + ["references", "table"], f"{json.dumps(fk.table)} is not a table declared in "
                         "the same database")
            return fk
        columns = []
        for col in fk.parent_columns:
            have = target.column(col)
            if have is None:
                self.problem(parts + ["references", "columns"], f"{json.dumps(col)} is not a column of "
                             f"{json.dumps(target.name)}")
            columns.append(have.name if have else col)
        if len(columns) == len(fk.parent_columns) and not is_parent_key_set(target, tuple(columns)):
            self.problem(parts + ["references"], f"({', '.join(columns)}) is neither the primary key of "
                         f"{json.dumps(target.name)} nor one of its unique column sets: SQLite would refuse every "
                         "write to this table (foreign key mismatch)")
        return replace(fk, table=target.name, parent_columns=tuple(columns))

    def resolve_reference(
        self, given: tuple[str, str], by_name: dict[str, Table], parts: list[PathPart]
    ) -> Optional[tuple[str, str]]:
        """Split "table.column" at the dot that names a declared table and column (or take the pair)."""
        table_name, text = given
        if table_name:
            text = f"{table_name}.{text}"
            target = by_name.get(fold(table_name))
            column = target.column(given[1]) if target else None
            if target and column:
                return self.parent_key(target, column.name, text, parts)
        for i, ch in enumerate(text):
            if ch == ".":
                target = by_name.get(fold(text[:i]))
                column = target.column(text[i + 1:]) if target else None
                if target and column:
                    return self.parent_key(target, column.name, text, parts)
        self.problem(parts + ["references"], f"{json.dumps(text)} does not name a declared column "
                     "(\"table.column\" in the same database)")
        return None


def is_parent_key_set(table: Table, columns: tuple[str, ...]) -> bool:
    """True when a foreign key over several columns may point at these: the primary key, or a unique set."""
    want = sorted(fold(c) for c in columns)
    keys = [table.primary_key, *table.unique, *(i.columns for i in table.indexes if i.unique and not i.partial)]
    return any(sorted(fold(c or "") for c in key) == want for key in keys)


def is_parent_key(table: Table, column: str) -> bool:
    """True when a foreign key may point at this column: the table's whole primary key, or unique alone."""
    if [fold(c) for c in table.primary_key] == [fold(column)]:
        return True
    declared = table.column(column)
    if (declared is not None and declared.unique) or [fold(column)] in ([fold(c) for c in u] for u in table.unique):
        return True
    return any(i.unique and not i.partial and [fold(c or "") for c in i.columns] == [fold(column)]
               for i in table.indexes)
