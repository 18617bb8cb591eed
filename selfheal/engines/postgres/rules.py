"""What PostgreSQL accepts in a declaration at load time (the server checks the rest when it heals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selfheal.engines.postgres.types import implied_identity, pg_type_problem, unsupported_keys
from selfheal.model import Column, SqlDeclaration, fold


class PostgresRules:
    """Type shapes and the keys a PostgreSQL entry cannot take."""

    name = "postgres"

    def type_problem(self, type_name: str) -> str:
        """Why a type is not a portable or native type shape ("" when it is)."""
        return pg_type_problem(type_name)

    def unsupported_keys(self, body: dict[str, Any]) -> list[tuple[list[Any], str]]:
        """Keys of the JSON format that mean something only to SQLite, each with why."""
        return [(list(where), message) for where, message in unsupported_keys(body)]

    def default_problem(self, expr: str, rendered: str) -> str:
        """The server checks expressions when it creates them."""
        return ""

    def read_sql_files(self, root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
        """The files' CREATE statements, sorted (the server reads them when selfheal checks)."""
        from selfheal.engines.postgres import sqlfile

        return sqlfile.load(root, files, limit)

    def identity_of(self, column: Column, primary_key: tuple[str, ...]) -> tuple[str, str]:
        """As declared ("none": no identity); a portable INTEGER primary key with no default is implied:
        "auto", created BY DEFAULT (SQLite assigns its ids) and never drift on a table that has a plain key;
        a native integer key (integer, bigint) is left as written."""
        if column.identity == "none":
            return "", ""
        if column.identity:
            return column.identity, ""
        whole_key = [fold(c) for c in primary_key] == [fold(column.name)]
        implied = whole_key and column.default is None and not column.generated and implied_identity(column.type)
        return ("auto" if implied else ""), ""
