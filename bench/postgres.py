"""selfheal on PostgreSQL: healthy check and heal of 1,000 tables, next to Alembic, in one run.

    python bench/postgres.py            # 1,000 tables
    python bench/postgres.py --tables 200

Starts a throwaway cluster (initdb + pg_ctl, as tests/pgserver.py does), runs every figure against
it and stops it. Whole-process figures run the real tasks (`python -m invoke -r REPO TASK`) against
the healthy demo's baseline `invoke --list`; Alembic's `metadata.create_all` and `compare_metadata`
(optional, never a dependency of selfheal) run on the same server with the same tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.run import median_time, narrow_columns, task  # noqa: E402
from tests.pgserver import binaries, cluster, fresh_database  # noqa: E402


def declaration(tables: int) -> dict[str, object]:
    """`tables` tables of 5 columns and one index, as bench/run.py's SQLite shape, each but the first with a
    sixth: a foreign key to the table before it."""
    out: dict[str, object] = {}
    for i in range(tables):
        columns = {**narrow_columns(), "note": "TEXT"}
        if i:
            columns["parent_id"] = {"type": "INTEGER", "references": f"table_{i - 1:05d}.id"}
        out[f"table_{i:05d}"] = {"columns": columns, "indexes": [{"columns": ["name"]}]}
    return out


def alembic_figures(url: str, fresh: Callable[[], str], tables: int) -> tuple[float, float] | None:
    """(create_all on an empty database, compare_metadata on a complete one), or None without Alembic."""
    try:
        import sqlalchemy as sa
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
    except ImportError:
        return None
    metadata = sa.MetaData()
    for i in range(tables):
        sa.Table(f"table_{i:05d}", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
                 sa.Column("name", sa.Text, nullable=False, server_default=""),
                 sa.Column("price", sa.Float, server_default="0"),
                 sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
                 sa.Column("note", sa.Text), sa.Index(f"idx_table_{i:05d}_name", "name"),
                 *([sa.Column("parent_id", sa.BigInteger, sa.ForeignKey(f"table_{i - 1:05d}.id"))] if i else []))

    def create() -> None:
        engine = sa.create_engine(fresh().replace("postgresql://", "postgresql+psycopg://"))
        metadata.create_all(engine)
        engine.dispose()

    create_all = median_time(create, 3)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    metadata.create_all(engine)

    def compare() -> None:
        with engine.connect() as conn:
            compare_metadata(MigrationContext.configure(conn), metadata)

    compared = median_time(compare, 3)
    engine.dispose()
    return create_all, compared


def objects_figure(folder: Path, fresh: Callable[[], str], tables: int) -> tuple[float, float]:
    """validate --check of the same tables with an enum column, a trigger function and a trigger on every
    table, healthy: as written by hand (the server reads them in a scratch schema on every check), and as
    schema.snapshot writes them (the server's own text: compared without the scratch schema)."""
    doc = json.loads((folder / "schema.json").read_text())
    entry = doc["databases"]["main"]
    for table in entry["tables"].values():
        table["columns"]["state"] = {"type": "state", "default": "new"}
    entry["types"] = {"state": {"enum": ["new", "done"]}}
    entry["functions"] = {"touch": "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                   "NEW.note := coalesce(NEW.note, ''); RETURN NEW; END $$"}
    entry["triggers"] = {f"{name}.touch": f"CREATE TRIGGER touch BEFORE UPDATE ON {name} FOR EACH ROW "
                                          "EXECUTE FUNCTION touch()" for name in entry["tables"]}
    objects = folder / "objects"
    objects.mkdir()
    (objects / "schema.json").write_text(json.dumps(doc))
    url = fresh()
    (objects / ".env").write_text(f"DATABASE_URL={url}\n")
    task(objects, "heal.db", check=True)()
    by_hand = median_time(task(objects, "validate", "--check", check=True), 5)
    snapped = folder / "snapshot"
    snapped.mkdir()
    (snapped / ".env").write_text(f"DATABASE_URL={url}\n")
    (snapped / "schema.json").write_text(json.dumps({"version": 1}))
    task(snapped, "schema.snapshot", "env:DATABASE_URL", "--out", "schema.json", check=True)()
    return by_hand, median_time(task(snapped, "validate", "--check", check=True), 5)


def raw_floor(fresh: Callable[[], str], folder: Path) -> float:
    """The same statements heal runs (taken from a dry run), sent in one transaction, 200 per round trip."""
    import psycopg

    from selfheal.context import Mode
    from selfheal.runner import run

    report = run(folder / "schema.json", Mode.DRY_RUN, ("db",))
    statements = [s for f in report.findings if f.action and "(in the" not in f.action for s in f.action.split(";\n")]

    def apply() -> None:
        with psycopg.connect(fresh()) as conn, conn.transaction():
            for start in range(0, len(statements), 200):
                conn.execute(";\n".join(statements[start:start + 200]))

    return median_time(apply, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    args = parser.parse_args()
    if binaries() is None:
        raise SystemExit("no PostgreSQL server binaries (initdb) on this machine")
    with cluster() as server, tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)

        def fresh() -> str:
            return stack.enter_context(fresh_database(server))

        (folder / "schema.json").write_text(json.dumps({"version": 1, "databases": {"main": {
            "url": "env:DATABASE_URL", "tables": declaration(args.tables)}}}))
        baseline = median_time(task(folder, "--list"), 5)
        by_hand, snapped = objects_figure(folder, fresh, args.tables)

        def heal_into_fresh() -> None:
            (folder / ".env").write_text(f"DATABASE_URL={fresh()}\n")

        heal = median_time(task(folder, "heal.db", check=True), 3, before=heal_into_fresh)
        check = median_time(task(folder, "validate", "--check", check=True), 5)
        os.environ["DATABASE_URL"] = fresh()
        floor = raw_floor(fresh, folder)
        peer = alembic_figures(fresh(), fresh, args.tables)
    rows = [("invoke --list (baseline)", f"{baseline:.3f} s", ""),
            (f"heal.db, {args.tables} missing tables", f"{heal:.3f} s", f"+{heal - baseline:.3f} s over baseline"),
            (f"validate --check, {args.tables} tables healthy", f"{check:.3f} s",
             f"+{check - baseline:.3f} s over baseline"),
            ("raw floor: heal's statements in one transaction", f"{floor:.3f} s",
             f"heal's added cost {heal - baseline - floor:+.3f} s"),
            ("validate --check, + an enum, a function, a trigger per table", f"{by_hand:.3f} s",
             f"+{by_hand - check:.3f} s: written by hand, read by the server in a scratch schema"),
            ("  the same, as schema.snapshot writes them", f"{snapped:.3f} s",
             f"+{snapped - check:.3f} s: the server's own text, compared as it is")]
    if peer is None:
        rows.append(("Alembic", "not installed", "pip install alembic sqlalchemy to compare"))
    else:
        create_all, compared = peer
        rows.append(("Alembic metadata.create_all (in-process)", f"{create_all:.3f} s",
                      f"selfheal heal (whole process) is {create_all / heal:.2f}x its speed"))
        rows.append(("Alembic compare_metadata (in-process)", f"{compared:.3f} s",
                      f"selfheal check (whole process) is {compared / check:.2f}x its speed"))
    width = max(len(r[0]) for r in rows)
    version = subprocess.run([str(binaries() / "postgres"), "--version"], capture_output=True,  # type: ignore[operator]
                             text=True).stdout.split()[2]
    print(f"PostgreSQL {version} cluster on loopback, {args.tables} tables of 5 columns, 1 index and a foreign key "
          "to the table before (medians)")
    for name, figure, ratio in rows:
        print(f"  {name:<{width}}  {figure:>10}  {ratio}")


if __name__ == "__main__":
    main()
