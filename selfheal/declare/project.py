"""A whole schema.json document built into a Project: environment, app, directories and databases."""

from __future__ import annotations

import json
import os
import re
from pathlib import PurePosixPath
from typing import Any, Optional

from selfheal.declare.document import PathPart
from selfheal.declare.objects import ObjectsBuilder
from selfheal.declare.server_objects import ServerObjectsBuilder
from selfheal.declare.tables import TablesBuilder
from selfheal.model import AppSpec, Database, EnvSpec, Project


def engine_of(body: dict[str, Any]) -> str:
    """The engine a databases entry is for: a server reached by URL is PostgreSQL, a path is an SQLite file."""
    return "postgres" if "url" in body else "sqlite"


class ProjectBuilder(TablesBuilder, ObjectsBuilder, ServerObjectsBuilder):
    """Turns a structurally valid document into a Project, collecting semantic problems."""

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

    def databases(self, decl: dict[str, Any]) -> tuple[Database, ...]:
        out: list[Database] = []
        seen: dict[str, str] = {}
        for db_path, body in decl.items():
            parts: list[PathPart] = ["databases", db_path]
            self.use_engine(engine_of(body))
            if "url" in body:
                server = self.server_database(db_path, body, parts)
                if server is not None:
                    out.append(server)
                continue
            if "schema" in body:
                self.problem(parts + ["schema"], "only a PostgreSQL database (\"url\") has a schema")
            for where, message in self.rules.unsupported_keys(body):
                self.problem(parts + where, message)
            if not self.inside_root(db_path, parts):
                continue
            key = os.path.normcase(os.path.normpath(db_path))
            if key in seen:
                self.problem(parts, f"same file as {json.dumps(seen[key])}")
            seen[key] = db_path
            tables = self.tables(body.get("tables", {}), parts + ["tables"])
            views, triggers = dict(body.get("views", {})), dict(body.get("triggers", {}))
            sql_views: dict[str, str] = {}
            if "sql" in body:  # first: the JSON views and triggers may use what the SQL files declare
                merged, all_views, all_triggers = self.sql_files(body["sql"], tables, views, triggers,
                                                                 parts + ["sql"])
                sql_views = {n: v for n, v in all_views.items() if n not in views}
                tables, views, triggers = merged, all_views, all_triggers
            json_views = {n: v for n, v in views.items() if n not in sql_views}
            json_triggers = dict(body.get("triggers", {}))
            if json_views or json_triggers:
                self.views_and_triggers(tables, json_views, json_triggers, parts, sql_views)
            out.append(Database(path=PurePosixPath(*PurePosixPath(db_path).parts).as_posix(), tables=tables,
                                views=tuple(views.items()), triggers=tuple(triggers.items()),
                                declared_in=self.path.name))
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
        for where, message in self.rules.unsupported_keys(body):
            self.problem(parts + where, message)
        self.server = True
        try:
            tables = self.tables(body.get("tables", {}), parts + ["tables"])
        finally:
            self.server = False
        for name, select in body.get("views", {}).items():
            self.expression(select, parts + ["views", name], statement=True, what="SELECT statement")
        objects = self.server_objects(body, tables, parts)
        sql = self.server_sql_files(body["sql"], tables, objects, parts + ["sql"]) if "sql" in body else None
        return Database(path=label, tables=tables, views=tuple(body.get("views", {}).items()),
                        url_env=match.group(1), namespace=body.get("schema", "public"), engine=self.rules.name,
                        declared_in=self.path.name, objects=objects + tuple(sql.objects if sql else ()),
                        sql_statements=tuple(sql.statements if sql else ()),
                        sql_origin=tuple(sql.origin.items() if sql else ()))
