"""The one model both sides share: what schema.json declares and what a live database holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

Literal = Union[str, int, float, bool, None]
_T = TypeVar("_T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Callable[[_T], _T]:
        return lambda decorated: decorated


@dataclass_transform(frozen_default=True, eq_default=True)
def record(cls: type[_T]) -> type[_T]:
    """A frozen dataclass to mypy (assigning a field is a type error) that is built fast at run time.

    A frozen dataclass sets each field through object.__setattr__: 1.7 µs per Column against 0.3 µs,
    and checking 1,000 wide tables builds 40,000 columns. Immutability is mypy's to enforce."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


def fold(name: str) -> str:
    """Fold an identifier the way SQLite compares names (ASCII letters only)."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@record
class Default:
    """A column default: a JSON literal, or an SQL expression (`sql=True`)."""

    value: Literal
    sql: bool = False


@record
class Column:
    """One column; `references` is (table, column) of a foreign key."""

    name: str
    type: str = ""
    not_null: bool = False
    default: Optional[Default] = None
    references: Optional[tuple[str, str]] = None
    hidden: bool = False  # generated or hidden column: never copied by a rebuild
    definition: str = ""  # declared in SQL: the column's own definition text, used as written
    unique: bool = False  # declared constraints (JSON keys): created with the column, never compared live
    check: str = ""
    collate: str = ""
    fk_actions: str = ""  # e.g. "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    generated: str = ""  # declared generated column: its expression
    stored: bool = False  # a generated column's values are stored (else VIRTUAL)
    autoincrement: bool = False  # INTEGER PRIMARY KEY AUTOINCREMENT
    renamed_from: str = ""  # declared: the column's former name (renamed when only that one exists)
    identity: str = ""  # PostgreSQL: "by default" or "always" (GENERATED … AS IDENTITY), "auto" when implied, ""


@record
class Index:
    """An index; `name` None means the default name is chosen when it is created."""

    columns: tuple[Optional[str], ...]  # None stands for an expression column
    unique: bool = False
    name: Optional[str] = None
    origin: str = "c"  # c: CREATE INDEX, u: UNIQUE constraint, pk: primary key, x: exclusion constraint
    partial: bool = False
    sql: Optional[str] = None
    where: str = ""  # declared partial index: its WHERE expression
    terms: tuple[str, ...] = ()  # declared index terms as SQL (expressions, COLLATE, DESC); () for plain columns
    using: str = ""  # PostgreSQL: the index method when not btree (gin, gist, brin …)
    include: tuple[str, ...] = ()  # PostgreSQL: INCLUDE columns
    nulls_not_distinct: bool = False  # PostgreSQL 15: a unique index where NULLs clash like values
    storage: tuple[tuple[str, str], ...] = ()  # PostgreSQL: WITH (name = value, …) storage parameters


@record
class ForeignKey:
    """A foreign key over several columns (a single-column one is `Column.references`)."""

    columns: tuple[str, ...]
    table: str
    parent_columns: tuple[str, ...]
    actions: str = ""  # e.g. "ON DELETE CASCADE"


@dataclass(frozen=True)
class Table:
    """A table: columns in order, its primary key, indexes; `sql` and `triggers` only when live."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    sql: str = ""
    triggers: tuple[str, ...] = ()
    without_rowid: bool = False
    strict: bool = False  # live only: a STRICT table takes only INT, INTEGER, REAL, TEXT, BLOB and ANY
    rows: tuple[tuple[tuple[str, Literal], ...], ...] = ()  # declared seed rows: (column, value) pairs each
    checks: tuple[str, ...] = ()  # declared table CHECK expressions
    unique: tuple[tuple[str, ...], ...] = ()  # UNIQUE constraints over several columns
    foreign_keys: tuple[ForeignKey, ...] = ()  # foreign keys over several columns
    source: str = ""  # declared in an SQL file: its path (messages name it instead of schema.json)
    renamed_from: str = ""  # declared: the table's former name (renamed when only that one exists)
    nulls_not_distinct: tuple[tuple[str, ...], ...] = ()  # PostgreSQL 15: UNIQUE sets whose NULLs clash
    unique_names: tuple[tuple[tuple[str, ...], str], ...] = ()  # UNIQUE sets named by their declaration
    server_checks: Optional[tuple[str, ...]] = None  # PostgreSQL: the declared CHECKs as the server writes them

    @cached_property
    def uses_constraint_keys(self) -> bool:
        """True when the declaration uses a key beyond type, NOT NULL, default and primary key (a table
        declared in SQL always counts: its text may hold anything)."""
        return bool(self.sql or self.checks or self.strict or self.without_rowid or self.unique or self.foreign_keys
                    or any(i.where or i.terms for i in self.indexes)
                    or any(c.unique or c.check or c.collate or c.fk_actions or c.generated or c.autoincrement
                           for c in self.columns))

    @cached_property
    def declares_constraints(self) -> bool:
        """True when a declared table has a constraint an existing table could differ in (keys or references)."""
        return self.uses_constraint_keys or any(c.references for c in self.columns)

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {fold(c.name): c for c in reversed(self.columns)}

    def column(self, name: str) -> Optional[Column]:
        """The column with this name, matched case-insensitively."""
        return self._by_name.get(fold(name))


@record
class SchemaObject:
    """A PostgreSQL object beside the tables: an extension, enum, type, sequence, function, trigger or comment.

    `name` identifies it (a function by its argument types, a trigger as table.trigger, a comment as table
    or table.column); `key` is how schema.json names it; `sql` its CREATE statement (declared as written,
    read back as the server writes it) or a comment's text; `items` an enum's labels in order."""

    kind: str
    name: str
    sql: str = ""
    items: tuple[str, ...] = ()
    key: str = ""
    origin: str = ""  # declared in an SQL file: file:line

    @property
    def group(self) -> str:
        """The name space it lives in: enums and other types share one (an enum where a domain is, is drift)."""
        return "type" if self.kind == "enum" else self.kind


@dataclass(frozen=True)
class Database:
    """A database file: `path` as declared (relative to the project root, maybe a glob)."""

    path: str
    tables: tuple[Table, ...] = ()
    views: tuple[tuple[str, str], ...] = ()  # (name, SELECT …) declared; (name, CREATE VIEW …) live
    triggers: tuple[tuple[str, str], ...] = ()  # (name, CREATE TRIGGER …)
    object_names: frozenset[str] = frozenset()  # live only: folded names of every table, index, view, trigger
    url_env: str = ""  # a PostgreSQL database: the environment / .env key holding its connection URL
    namespace: str = "public"  # PostgreSQL: the schema (namespace) its objects live in
    engine: str = "sqlite"  # the name under which selfheal.engines registers the engine that serves it
    declared_in: str = "schema.json"  # the declaration file's name (schema.postgres.json, …), for messages
    objects: tuple[SchemaObject, ...] = ()  # PostgreSQL: extensions, types, sequences, functions, triggers, comments
    sql_statements: tuple[tuple[str, str], ...] = ()  # PostgreSQL: (file:line, CREATE TABLE / INDEX / VIEW …)
    sql_origin: tuple[tuple[str, str], ...] = ()  # PostgreSQL: (folded name, file) of the tables and views those create

    @cached_property
    def _by_name(self) -> dict[str, Table]:
        return {fold(t.name): t for t in reversed(self.tables)}

    def table(self, name: str) -> Optional[Table]:
        """The table with this name, matched case-insensitively."""
        return self._by_name.get(fold(name))

    @property
    def is_glob(self) -> bool:
        """True when the path is a pattern that applies to existing files only."""
        return not self.url_env and any(ch in self.path for ch in "*?[")

    @property
    def is_server(self) -> bool:
        """True for a database reached by URL (PostgreSQL), False for a file."""
        return bool(self.url_env)


@dataclass
class SqlDeclaration:
    """What SQL files declare for one database, and the problems found reading them (file:line, message)."""

    tables: list[Table] = field(default_factory=list)
    views: list[tuple[str, str]] = field(default_factory=list)
    triggers: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # folded name -> the file that declares it
    statements: list[tuple[str, str]] = field(default_factory=list)  # PostgreSQL: (file:line, CREATE TABLE …)
    objects: list[SchemaObject] = field(default_factory=list)  # PostgreSQL: types, functions … (file:line)


@dataclass(frozen=True)
class EnvSpec:
    """The `.env` file, its template and the keys the app cannot run without."""

    file: str = ".env"
    template: str = ".env.example"
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppSpec:
    """How to start the app: a command (string or argv list) and its working folder."""

    command: Union[str, tuple[str, ...]]
    cwd: str = "."


@dataclass(frozen=True)
class Project:
    """Everything schema.json declares, with `root` the folder of the schema file."""

    root: Path
    schema_path: Path
    python: Optional[str] = None
    env: Optional[EnvSpec] = None
    directories: tuple[str, ...] = ()
    requirements: Optional[tuple[str, ...]] = None  # None: requirements.txt if present
    node_dir: Optional[str] = None  # None: "frontend" if it has a package.json
    databases: tuple[Database, ...] = ()
    app: Optional[AppSpec] = None
    backups_keep: int = 5
    lock_timeout: float = 10.0
    max_file_bytes: int = 1024 * 1024  # .env, its template and requirements files: larger is refused unread
    # database entry -> digest of its declaration and the settings around it (declare.document.declaration_digests):
    # keys remembered results, so an edit forgets only the results of the entries it touched
    declarations: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    checks: tuple[str, ...] = ()  # project check sources: .py files relative to root, or module names
    silence: tuple[str, ...] = ()  # `check` or `check:target` of findings that never change the exit code

    @property
    def state_dir(self) -> Path:
        """The `.selfheal/` folder beside schema.json."""
        return self.root / ".selfheal"
