"""GET /healthz (JSON) and GET / (HTML): each database, its tables and row counts, selfheal's last run."""

from __future__ import annotations

import html
import json
import os
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from selfheal.declare.loader import SchemaError, load
from selfheal.planning.sql import quote_ident
from selfheal.safety.audit import last_run


def schema_file(root: Path) -> Path:
    """The demo's declaration: schema.postgres.json when DATABASE_URL is set, else schema.json."""
    return root / ("schema.postgres.json" if os.environ.get("DATABASE_URL") else "schema.json")


def _count(conn: Any, name: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchone()
    return int(row[0]) if row else 0


def _count_server(db: Any) -> dict[str, Any]:
    """Row counts of a PostgreSQL entry's tables and views, in its namespace, read-only."""
    import psycopg

    entry: dict[str, Any] = {"tables": {}}
    with psycopg.connect(os.environ.get(db.url_env, ""), connect_timeout=5) as conn:
        conn.read_only = True
        conn.execute("SELECT set_config('search_path', %s, false)", (quote_ident(db.namespace),))
        for table in db.tables:
            entry["tables"][table.name] = _count(conn, table.name)
        for name, _ in db.views:
            entry.setdefault("views", {})[name] = _count(conn, name)
    return entry


def health(root: Path) -> dict[str, Any]:
    """What the app sees: every declared database opened read-only, its tables counted."""
    try:
        project = load(schema_file(root), structure_checked=True)
    except SchemaError as exc:
        return {"healthy": False, "error": f"schema.json: {exc.problems[0][1]}", "databases": {}}
    databases: dict[str, Any] = {}
    healthy = True
    for db in project.databases:
        if db.is_glob:
            continue
        if db.is_server:
            try:
                databases[db.path] = {**_count_server(db), "ok": True}
            except Exception as exc:  # noqa: BLE001 (the driver's errors, or no driver: the page says which)
                databases[db.path] = {"tables": {}, "ok": False, "error": str(exc).splitlines()[0] if str(exc) else
                                      type(exc).__name__}
                healthy = False
            continue
        entry: dict[str, Any] = {"tables": {}}
        try:
            conn = sqlite3.connect(f"file:{(root / db.path).as_posix()}?mode=ro", uri=True, timeout=2)
            try:
                for table in db.tables:
                    quoted = '"' + table.name.replace('"', '""') + '"'
                    entry["tables"][table.name] = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
                for name, _ in db.views:  # the declared views, read as the app would (e.g. thread_overview)
                    quoted = '"' + name.replace('"', '""') + '"'
                    entry.setdefault("views", {})[name] = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            finally:
                conn.close()
            entry["ok"] = True
        except sqlite3.Error as exc:
            entry.update(ok=False, error=str(exc))
            healthy = False
        databases[db.path] = entry
    run = last_run(project.state_dir)
    if run is not None and run.get("exit_code") == 1:
        healthy = False
    return {"healthy": healthy, "databases": databases, "last_validation": run}


def page(state: dict[str, Any]) -> str:
    """The health state as a small readable page."""
    rows = []
    for path, entry in state["databases"].items():
        status = "ok" if entry.get("ok") else html.escape(entry.get("error", "error"))
        tables = ", ".join(f"{html.escape(t)}: {n}" for t, n in
                           [*entry.get("tables", {}).items(), *entry.get("views", {}).items()])
        rows.append(f"<tr><td>{html.escape(path)}</td><td>{status}</td><td>{tables}</td></tr>")
    run = state.get("last_validation") or {}
    verdict = "healthy" if state["healthy"] else "NOT healthy"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Dynamic Pricing AI</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}</style></head>"
        f"<body><h1>Dynamic Pricing AI</h1><p>Status: <b>{verdict}</b></p>"
        "<table><tr><th>database</th><th>state</th><th>tables (rows)</th></tr>" + "".join(rows) + "</table>"
        f"<p>Last selfheal run: {html.escape(str(run.get('time', 'none')))} — "
        f"{html.escape(str(run.get('result', 'n/a')))}</p></body></html>"
    )


def serve(root: Path, host: str, port: int) -> int:
    """Serve until Ctrl-C or SIGTERM."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path not in ("/", "/healthz"):
                self.send_error(404)
                return
            state = health(root)
            if self.path == "/healthz":
                body, kind = json.dumps(state, indent=2).encode(), "application/json"
            else:
                body, kind = page(state).encode(), "text/html; charset=utf-8"
            self.send_response(200 if state["healthy"] else 503)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        print(f"cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Dynamic Pricing AI serving on http://{host}:{server.server_address[1]}/ (health: /healthz)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
