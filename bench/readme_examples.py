"""Regenerate the README's example outputs from the real commands, so they can never go stale.

    python bench/readme_examples.py           # rewrite every marked block in README.md
    python bench/readme_examples.py --check   # exit 1 when README.md differs (tests/test_readme.py runs this)

A block is marked by a line `<!-- example: NAME -->` just before a ```text fence. Each example runs
its commands (`python -m invoke -r REPO TASK --schema …`, off a terminal, NO_COLOR) in a scratch copy
of the demo, and shows them as `$ invoke TASK`. Scratch paths are shown as /path/to/project.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
FREE_PORT = ""  # set by render(): a port nothing listens on, so the output does not depend on the machine
MARKER = re.compile(r"<!-- example: ([a-z0-9-]+) -->\n```text\n.*?```\n", re.DOTALL)


class Scratch:
    """A scratch copy of the demo project, and the commands run in it."""

    def __init__(self, base: Path, name: str):
        self.root = base / name / "project"
        self.root.mkdir(parents=True)
        for item in ("schema.json", ".env.example", "requirements.txt", "checks.py"):
            shutil.copy(REPO / item, self.root / item)
        shutil.copytree(REPO / "app", self.root / "app", ignore=shutil.ignore_patterns("*.db", "__pycache__"))
        self.transcript: list[str] = []

    def run(self, task: str, *args: str, shown: str = "", keep: Callable[[list[str]], list[str]] = list) -> None:
        """Run one task and add `$ invoke TASK ARGS` and its (optionally shortened) output."""
        cmd = [sys.executable, "-m", "invoke", "-r", str(REPO), task, *args, "--schema", str(self.root / "schema.json")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SELFHEAL_", "FORCE_COLOR"))}
        env.update({"NO_COLOR": "1", "COLUMNS": "200", "APP_PORT": FREE_PORT})  # the demo's port check passes
        p = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                           timeout=300)
        lines = (p.stdout + p.stderr).replace(str(self.root), "/path/to/project")
        lines = lines.replace(sys.executable, "/usr/bin/python3")
        self.transcript.append(f"$ invoke {shown or ' '.join([task, *args])}")
        self.transcript.extend(keep(lines.rstrip("\n").split("\n")))

    def db(self, rel: str, *statements: str) -> None:
        """Build or change a database of the scratch project."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()


def shorten(per_check: int) -> Callable[[list[str]], list[str]]:
    """Keep the first `per_check` findings of each check id (with their hint lines), then "…"."""

    def keep(lines: list[str]) -> list[str]:
        out, seen, skipping = [], {}, False
        for line in lines:
            match = re.match(r"[✓✚!✗] \S+\s+(\S+)", line)
            if match:
                seen[match.group(1)] = seen.get(match.group(1), 0) + 1
                skipping = seen[match.group(1)] > per_check
                if skipping:
                    if out[-1] != "…":
                        out.append("…")
                    continue
            elif skipping and line.startswith("    "):
                continue
            else:
                skipping = False
            out.append(line)
        return out

    return keep


def first_run(s: Scratch) -> None:
    s.run("validate", keep=shorten(2))


def second_run(s: Scratch) -> None:
    s.run("validate")
    s.transcript.clear()
    s.run("validate")


PRODUCT_CATALOG_OLD = ("CREATE TABLE product_catalog (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, "
                       "category TEXT, price REAL NOT NULL DEFAULT 0, currency TEXT NOT NULL DEFAULT 'USD', "
                       "cost REAL, stock INTEGER NOT NULL DEFAULT 0)")


def dry_run(s: Scratch) -> None:
    s.db("app/data.db", PRODUCT_CATALOG_OLD, "CREATE UNIQUE INDEX idx_product_catalog_sku on product_catalog(sku)",
         "INSERT INTO product_catalog (sku, name, price) VALUES ('A-1', 'Lamp', 19.5), ('B-2', 'Desk', 120)")
    s.run("validate")  # everything else exists from here on
    s.transcript.clear()
    s.db("app/data.db", "PRAGMA legacy_alter_table = ON", "ALTER TABLE product_catalog RENAME TO old_catalog",
         PRODUCT_CATALOG_OLD,
         "INSERT INTO product_catalog SELECT id, sku, name, category, price, currency, cost, stock FROM old_catalog",
         "DROP TABLE old_catalog", "CREATE UNIQUE INDEX idx_product_catalog_sku on product_catalog(sku)")
    s.run("heal.db", "--dry-run")
    s.transcript.append("")
    s.run("heal.db")


def heal_fs(s: Scratch) -> None:
    s.run("heal.fs", "--dry-run", keep=shorten(1))
    (s.root / "frontend").mkdir()
    (s.root / "frontend" / "package.json").write_text('{"dependencies": {"react": "^18", "react-dom": "^18"}}')
    s.run("heal.deps", "--quiet")


def up(s: Scratch) -> None:
    s.run("validate")
    s.transcript.clear()
    s.run("up", "--yes", "--no-start", "--quiet")


def drift(s: Scratch) -> None:
    s.run("validate")
    s.db("app/data.db", "CREATE INDEX ix_lower ON product_catalog (lower(name))",
         "ALTER TABLE ingestion_jobs ADD COLUMN retries INT", "CREATE TABLE legacy_stuff (x)")
    s.db("data/auth.db", "DROP TABLE session_tokens",
         "CREATE TABLE session_tokens (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at DATETIME, "
         "expires_at DATETIME, user_agent TEXT, ip_address TEXT)")
    s.transcript.clear()
    s.run("validate", "--drift", "--quiet")


def snapshot(s: Scratch) -> None:
    s.db("data/legacy.db",
         "CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT)",
         "CREATE TABLE Album (AlbumId INTEGER PRIMARY KEY, Title TEXT NOT NULL, "
         "ArtistId INTEGER NOT NULL REFERENCES Artist (ArtistId))",
         "CREATE INDEX IFK_AlbumArtistId ON Album (ArtistId)",
         "CREATE TABLE Customer (CustomerId INTEGER PRIMARY KEY, Email TEXT NOT NULL UNIQUE COLLATE NOCASE, "
         "Country TEXT DEFAULT 'USA' CHECK (length(Country) = 3), Notes)",
         "CREATE TABLE Invoice (InvoiceId INTEGER PRIMARY KEY, CustomerId INTEGER NOT NULL REFERENCES Customer, "
         "Total NUMERIC(10, 2) NOT NULL DEFAULT 0, InvoiceDate DATETIME DEFAULT CURRENT_TIMESTAMP)",
         "CREATE VIEW big_orders AS SELECT * FROM Invoice WHERE Total > 100")
    s.run("schema.snapshot", "data/legacy.db", "--out", "schema.json",
          shown="schema.snapshot data/legacy.db --out schema.json")


def fleet(s: Scratch) -> None:
    import json

    doc = json.loads((s.root / "schema.json").read_text())
    doc["databases"] = {"data/tenants/*.db": {"tables": {
        "notes": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "body": "TEXT",
                              "created_at": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}}},
        "settings": {"columns": {"key": {"type": "TEXT", "primary_key": True}, "value": "TEXT",
                                 "plan": {"type": "TEXT", "not_null": True, "default": "free"},
                                 "since": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}}}}}}}
    (s.root / "schema.json").write_text(json.dumps(doc, indent=2))
    for i in range(40):
        s.db(f"data/tenants/t{i:03d}.db", "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
             "INSERT INTO settings VALUES ('theme', 'dark')")
    (s.root / "data" / "tenants" / "notes.db").write_text("not a database")
    s.run("heal.db", "--jobs", "2", shown="heal.db")


EXAMPLES: dict[str, Callable[[Scratch], None]] = {
    "first-run": first_run, "second-run": second_run, "dry-run": dry_run, "heal-fs": heal_fs, "up": up,
    "drift": drift, "snapshot": snapshot, "fleet": fleet,
}


def render() -> dict[str, str]:
    """Every example's block: the transcript of its commands."""
    import socket

    global FREE_PORT
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        FREE_PORT = str(probe.getsockname()[1])
    out = {}
    with tempfile.TemporaryDirectory(prefix="selfheal-readme-") as tmp:
        for name, example in EXAMPLES.items():
            scratch = Scratch(Path(tmp), name)
            example(scratch)
            out[name] = "\n".join(scratch.transcript)
    return out


def rewrite(text: str, blocks: dict[str, str]) -> str:
    """README text with every marked block replaced by its example's output."""
    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in blocks:
            raise SystemExit(f"README marks an unknown example {name!r}")
        return f"<!-- example: {name} -->\n```text\n{blocks[name]}\n```\n"

    return MARKER.sub(block, text)


def main() -> int:
    """Rewrite README.md, or (--check) say whether it is current."""
    text = README.read_text(encoding="utf-8")
    fresh = rewrite(text, render())
    if "--check" in sys.argv:
        if fresh != text:
            import difflib

            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), fresh.splitlines(True),
                                                       "README.md", "README.md (regenerated)"))
            print("README.md examples are stale: run `python bench/readme_examples.py`", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
