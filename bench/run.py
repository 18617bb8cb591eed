"""selfheal benchmarks: medians and ratios, all measured in the same run on this machine.

    python bench/run.py            # everything (a few minutes)
    python bench/run.py --quick    # smaller sizes and fewer repeats

Whole-process figures run the real tasks in subprocesses (`python -m invoke -r REPO TASK`);
in-process figures time the catalogue read + plan, the part Alembic's compare_metadata also does.
Alembic (optional, never a dependency of selfheal) is compared when it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATABASES = ("app/data.db", "data/auth.db", "data/chat.db", "data/market.db")


def median_time(action: Callable[[], object], repeat: int, before: Callable[[], object] = lambda: None) -> float:
    """Median wall time of `action` over `repeat` runs; `before` runs untimed before each."""
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alternating_medians(runs: list[tuple[Callable[[], object], Callable[[], object]]], repeat: int) -> list[float]:
    """Median wall time of each (action, untimed before) pair, the pairs taking turns `repeat` times."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for slot, (action, before) in zip(times, runs, strict=True):
            before()
            start = time.perf_counter()
            action()
            slot.append(time.perf_counter() - start)
    return [statistics.median(slot) for slot in times]


def task(folder: Path, *args: str, check: bool = False) -> Callable[[], None]:
    """A callable that runs one invoke task in folder (output discarded)."""
    cmd = [sys.executable, "-m", "invoke", "-r", str(REPO), *args]
    if args and args[0] != "--list":
        cmd += ["--schema", str(folder / "schema.json")]
    env = {**os.environ, "NO_COLOR": "1"}

    def run() -> None:
        code = subprocess.run(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, stdin=subprocess.DEVNULL).returncode
        if check and code not in (0, 2):
            raise SystemExit(f"{' '.join(args)} failed with {code} in {folder}")

    return run


_REPORT_PEAK = """
import atexit, runpy, sys

target = sys.argv[1]

def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(target, "w") as out:
        out.write(peak)

atexit.register(report)
sys.argv = ["invoke"] + sys.argv[2:]
runpy.run_module("invoke", run_name="__main__", alter_sys=True)
"""


def peak_memory(folder: Path, *args: str) -> float:
    """Peak resident memory (MiB) of one whole-process task run, as the child's own address space saw it.

    Not the rusage the kernel keeps for the child: it starts from this process's size at fork (the
    bench itself holds a 10,000-table model by then), which is not selfheal's to answer for."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peak"
        cmd = [sys.executable, "-c", _REPORT_PEAK, str(out), "-r", str(REPO), *args,
               "--schema", str(folder / "schema.json")]
        subprocess.run(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
        return int(out.read_text()) / 1024  # KiB


def narrow_columns() -> dict[str, object]:
    """The 4 columns of a narrow benchmark table (a key, text, a number, a timestamp with defaults)."""
    return {
        "id": {"type": "INTEGER", "primary_key": True},
        "name": {"type": "TEXT", "not_null": True, "default": ""},
        "price": {"type": "REAL", "default": 0},
        "created_at": {"type": "DATETIME", "default": {"sql": "CURRENT_TIMESTAMP"}},
    }


def scaled_schema(tables: int, extra_column: bool = False) -> dict[str, object]:
    """`tables` realistic tables spread over 4 databases; optionally one more column each."""
    dbs: dict[str, dict[str, object]] = {path: {"tables": {}} for path in DATABASES}
    for i in range(tables):
        columns = narrow_columns()
        if extra_column:
            columns["note"] = "TEXT"
        tables_of = dbs[DATABASES[i % 4]]["tables"]
        assert isinstance(tables_of, dict)
        tables_of[f"table_{i:05d}"] = {"columns": columns, "indexes": [{"columns": ["name"]}]}
    return {"version": 1, "databases": dbs}


def write(folder: Path, doc: dict[str, object]) -> None:
    (folder / "schema.json").write_text(json.dumps(doc))


def reset(folder: Path) -> None:
    """Remove databases and selfheal's state, so the next run starts from nothing."""
    for name in ("app", "data", ".selfheal"):
        shutil.rmtree(folder / name, ignore_errors=True)


def forget_cache(folder: Path) -> None:
    (folder / ".selfheal" / "state.json").unlink(missing_ok=True)


def in_process_compare(folder: Path) -> float:
    """Catalogue read + plan of every database, in this process (what --check does per file)."""
    from selfheal.declare.loader import load
    from selfheal.engines.sqlite import catalog
    from selfheal.engines.sqlite.apply import gather_facts
    from selfheal.planning.plan import facts_needed, plan
    from selfheal.safety.sqlitefile import connect

    project = load(folder / "schema.json")

    def compare() -> None:
        for db in project.databases:
            conn = connect(folder / db.path, readonly=True, timeout=5)
            actual = catalog.read(conn, db.path)
            result = plan(db, actual, gather_facts(conn, facts_needed(db, actual)), db.path)
            assert not result.ops
            conn.close()

    return median_time(compare, 3)


def alembic_compare(folder: Path, tables: int) -> float | None:
    """Alembic's compare_metadata on the same schema, or None when Alembic is not installed."""
    try:
        import sqlalchemy as sa
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
    except ImportError:
        return None
    per_db: dict[str, sa.MetaData] = {path: sa.MetaData() for path in DATABASES}
    for i in range(tables):
        sa.Table(f"table_{i:05d}", per_db[DATABASES[i % 4]],
                 sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("name", sa.Text, nullable=False, server_default=""),
                 sa.Column("price", sa.REAL, server_default="0"),
                 sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
                 sa.Index(f"idx_table_{i:05d}_name", "name"))
    engines = {path: sa.create_engine(f"sqlite:///{folder / path}") for path in DATABASES}

    def compare() -> None:
        for path, metadata in per_db.items():
            with engines[path].connect() as conn:
                compare_metadata(MigrationContext.configure(conn), metadata)

    return median_time(compare, 1)


def bulk_vs_alter(tables: int, limit: str = "BULK_ADD_COLUMNS",
                  column: object = None) -> tuple[float, float]:
    """One database of `tables` populated tables, each missing one column: one schema update vs a
    statement each (`limit`: the planner's threshold for the bulk path; `column`: the missing column,
    by default one ALTER adds; a UNIQUE one needs a rebuild)."""
    from selfheal.context import Mode
    from selfheal.planning import plan as plan_module
    from selfheal.runner import run

    column = column or {"type": "TEXT", "default": "d"}
    default = getattr(plan_module, limit)
    results = []
    for threshold in (default, 10**9):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            conn = sqlite3.connect(folder / "one.db")
            for i in range(tables):
                conn.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT)")
                conn.execute(f"INSERT INTO t{i} (v) VALUES ('x')")
            conn.commit()
            conn.close()
            doc = {"version": 1, "databases": {"one.db": {"tables": {f"t{i}": {"columns": {
                "id": {"type": "INTEGER", "primary_key": True}, "v": "TEXT", "w": column}}
                for i in range(tables)}}}}
            write(folder, doc)
            setattr(plan_module, limit, threshold)
            start = time.perf_counter()
            report = run(folder / "schema.json", Mode.HEAL, ("db",), backup=False)
            results.append(time.perf_counter() - start)
            assert report.exit_code == 0
    setattr(plan_module, limit, default)
    return results[0], results[1]


def measure_size(size: int, healthy: float) -> list[tuple[str, str]]:
    """heal from nothing, --check, heal of one missing column per table, compare vs Alembic; one size."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, scaled_schema(size))
        reps = 1 if size >= 5000 else 3
        heal_new = median_time(task(folder, "heal.db", "--no-backup", check=True), reps,
                               before=lambda: reset(folder))
        check = median_time(task(folder, "validate", "--check"), reps, before=lambda: forget_cache(folder))
        compare = in_process_compare(folder)
        snapshot = folder / "snap"
        shutil.copytree(folder / "app", snapshot / "app")
        shutil.copytree(folder / "data", snapshot / "data")
        write(folder, scaled_schema(size, extra_column=True))

        def restore_snapshot() -> None:
            reset(folder)
            shutil.copytree(snapshot / "app", folder / "app")
            shutil.copytree(snapshot / "data", folder / "data")

        heal_col = median_time(task(folder, "heal.db", "--no-backup", check=True), reps, before=restore_snapshot)
        write(folder, scaled_schema(size))
        restore_snapshot()
        peer = alembic_compare(folder, size) if size <= 1000 else None
    line = f"{compare * 1000:.0f} ms"
    if peer is not None:
        line += f"; Alembic compare_metadata {peer:.2f} s = {peer / compare:.0f} × slower"
    return [(f"{size} tables: heal.db from nothing", f"{heal_new:.2f} s = demo {heal_new - healthy:+.2f} s"),
            (f"{size} tables: validate --check", f"{check:.2f} s = demo {check - healthy:+.2f} s"),
            (f"{size} tables: heal.db, one column missing per table",
             f"{heal_col:.2f} s = demo {heal_col - healthy:+.2f} s"),
            (f"{size} tables: catalogue read + plan (in-process)", line)]


WIDE_TYPES = ("INTEGER", "TEXT", "REAL", "DATETIME", "BLOB", "NUMERIC(10, 2)", "BOOLEAN", "VARCHAR(40)")


def wide_schema(tables: int) -> dict[str, object]:
    """Tables shaped like real ones: 20 columns of mixed types and defaults, 2 indexes each, 4 databases."""
    dbs: dict[str, dict[str, object]] = {path: {"tables": {}} for path in DATABASES}
    for i in range(tables):
        columns: dict[str, object] = {"id": {"type": "INTEGER", "primary_key": True}}
        for c in range(19):
            kind = WIDE_TYPES[c % len(WIDE_TYPES)]
            columns[f"c{c}"] = [kind, {"type": kind, "not_null": True, "default": 0},
                                {"type": kind, "default": {"sql": "CURRENT_TIMESTAMP"}},
                                {"type": kind, "default": "x"}][c % 4]
        tables_of = dbs[DATABASES[i % 4]]["tables"]
        assert isinstance(tables_of, dict)
        tables_of[f"wide_{i:05d}"] = {"columns": columns,
                                      "indexes": [{"columns": ["c0"]}, {"columns": ["c1", "c2"], "unique": True}]}
    return {"version": 1, "databases": dbs}


def raw_create_floor(folder: Path) -> float:
    """All CREATE TABLE / INDEX statements of the schema in one transaction per file, in this process."""
    from selfheal.declare.loader import load
    from selfheal.planning.plan import plan

    project = load(folder / "schema.json")
    start = time.perf_counter()
    for db in project.databases:
        path = folder / "raw" / db.path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN")
        for op in plan(db, None).ops:
            for statement in op.statements():
                conn.execute(statement)
        conn.execute("COMMIT")
        conn.close()
    return time.perf_counter() - start


_SQLITE_UTILS_LOOP = """
import json, sys
from pathlib import Path
import sqlite_utils

folder = Path(sys.argv[1])
doc = json.loads((folder / "schema.json").read_text())
for path, entry in doc["databases"].items():
    (folder / "peer" / path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(folder / "peer" / path)
    with db.conn:  # one transaction per file, as selfheal does
        for name, table in entry["tables"].items():
            columns, defaults, not_null = {}, {}, set()
            for col, spec in table["columns"].items():
                spec = {"type": spec} if isinstance(spec, str) else spec
                kind = spec["type"].split("(")[0]
                columns[col] = {"INTEGER": int, "REAL": float, "BLOB": bytes, "NUMERIC": float,
                                "BOOLEAN": int}.get(kind, str)  # create() refuses DATETIME, VARCHAR(n)
                if "default" in spec and not isinstance(spec["default"], dict):
                    defaults[col] = spec["default"]
                if spec.get("not_null"):
                    not_null.add(col)
            db[name].create(columns, pk="id", defaults=defaults, not_null=not_null)
            for index in table["indexes"]:
                db[name].create_index(index["columns"], unique=index.get("unique", False))
"""


def sqlite_utils_loop(folder: Path) -> float | None:
    """Whole-process: sqlite-utils' create() and create_index() for every table of the schema (its own
    types: it refuses DATETIME and VARCHAR(n), and SQL defaults), or None when it is not installed."""
    try:
        import sqlite_utils  # noqa: F401
    except ImportError:
        return None
    shutil.rmtree(folder / "peer", ignore_errors=True)

    def run() -> None:
        subprocess.run([sys.executable, "-c", _SQLITE_UTILS_LOOP, str(folder)], check=True)

    return median_time(run, 1, before=lambda: shutil.rmtree(folder / "peer", ignore_errors=True))


def measure_wide(size: int, healthy: float) -> dict[str, float]:
    """Whole-process figures for the wide shape at one size (seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, wide_schema(size))
        reps = 1 if size >= 5000 else 3
        heal_new = median_time(task(folder, "heal.db", "--no-backup", check=True), reps,
                               before=lambda: reset(folder))
        task(folder, "validate", check=True)()  # remember the clean results
        remembered = median_time(task(folder, "validate", "--check"), reps)
        state = folder / ".selfheal"
        kept = {name: (state / name).read_bytes() for name in ("schema-ok", "state.json")}
        original = (folder / "schema.json").read_bytes()
        doc = json.loads(original)
        doc["databases"][DATABASES[0]]["tables"]["added_table"] = {"columns": {"id": "INTEGER", "note": "TEXT"}}
        edited_text = json.dumps(doc, indent=2).encode()

        def edited() -> None:  # what was remembered before one table was added to schema.json
            for name, data in kept.items():
                (state / name).write_bytes(data)
            (folder / "schema.json").write_bytes(edited_text)

        def fresh() -> None:  # a fresh clone, CI: nothing remembered at all
            (folder / "schema.json").write_bytes(original)
            (state / "schema-ok").unlink(missing_ok=True)
            forget_cache(folder)

        cold = median_time(task(folder, "validate", "--check"), reps, before=edited)
        nothing = median_time(task(folder, "validate", "--check"), reps, before=fresh)
        floor = raw_create_floor(folder)
        peer = sqlite_utils_loop(folder) if size == 1000 else None
        reset(folder)
        memory = peak_memory(folder, "heal.db", "--no-backup")
    return {"heal": heal_new - healthy, "remembered": remembered - healthy, "cold": cold - healthy,
            "fresh": nothing - healthy, "raw": floor, "memory": memory,
            **({"whole_heal": heal_new, "peer": peer} if peer is not None else {})}


def wide_rows(sizes: tuple[int, ...], healthy: float) -> list[tuple[str, str]]:
    """The wide shape's figures with goals, per-table cost and growth exponents between sizes."""
    import math

    goals = {"remembered": 0.2, "cold": 0.5, "fresh": 0.5, "heal": 1.0}
    names = {"remembered": "validate --check, remembered",
             "cold": "validate --check, schema.json just edited (one table added)",
             "fresh": "validate --check, nothing remembered (fresh clone, CI)",
             "heal": "heal.db from nothing", "raw": "raw floor: every CREATE in one transaction (in-process)"}
    figures = {size: measure_wide(size, healthy) for size in sizes}
    rows = []
    for size, figure in figures.items():
        for key, seconds in figure.items():
            if key == "whole_heal":
                continue
            if key == "peer":
                ours = figure["whole_heal"]
                rows.append((f"wide {size} tables: heal.db vs sqlite-utils' create() + create_index() loop (both "
                             "whole process, one transaction per file)",
                             f"{ours:.2f} s vs {seconds:.2f} s = {seconds / ours:.2f} × "
                             f"(goal: faster: {'holds' if ours < seconds else 'short'})"))
                continue
            if key == "memory":
                goal = f"; goal ≤ 200 MiB at 10,000: {'holds' if seconds <= 200 else 'short'}" if size >= 10000 else ""
                rows.append((f"wide {size} tables: peak memory of heal.db from nothing", f"{seconds:.0f} MiB{goal}"))
                continue
            text = f"demo {seconds:+.2f} s" if key != "raw" else f"{seconds:.2f} s"
            text += f" ({seconds / size * 1000:.2f} ms per table)"
            if size == 1000 and key in goals:
                text += f"; goal ≤ +{goals[key]:.1f} s: {'holds' if seconds <= goals[key] else 'short'}"
            rows.append((f"wide {size} tables: {names[key]}", text))
    steps = list(zip(sizes, sizes[1:], strict=False))
    if len(sizes) > 2:
        steps.append((sizes[0], sizes[-1]))  # the goal's own span: 1,000 → 10,000
    for small, big in steps:
        for key in ("heal", "fresh", "remembered", "raw"):
            a, b = max(figures[small][key], 1e-3), max(figures[big][key], 1e-3)
            exponent = math.log(b / a) / math.log(big / small)
            verdict = f"; goal ≤ 1.15: {'holds' if exponent <= 1.15 else 'short'}" if key != "raw" else ""
            rows.append((f"wide growth {small} → {big} tables: {names[key]}",
                         f"exponent {exponent:.2f} (linear = 1{verdict})"))
    return rows


def fleet_times(tenants: int, jobs: int, *flags: str, repeat: int = 3) -> tuple[float, float]:
    """heal.db of `tenants` populated tenant databases, each missing a table and two columns: medians
    with --jobs 1 and with --jobs `jobs`, the two runs alternating on fresh copies of the same fleet
    (a fleet's figure swings with the disk: alternating gives both the same weather)."""
    with tempfile.TemporaryDirectory() as tmp:
        template, folder = Path(tmp) / "template", Path(tmp) / "fleet"
        (template / "tenants").mkdir(parents=True)
        for i in range(tenants):
            conn = sqlite3.connect(template / "tenants" / f"t{i:05d}.db")
            conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
            conn.executemany("INSERT INTO users (email) VALUES (?)", [(f"u{j}",) for j in range(50)])
            conn.commit()
            conn.close()
        write(template, {"version": 1, "databases": {"tenants/*.db": {"tables": {
            "users": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "email": "TEXT",
                                  "plan": {"type": "TEXT", "default": "free"}, "active": {"type": "BOOLEAN",
                                                                                         "default": True}}},
            "invoices": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "total": "REAL"}}}}}})

        def fresh() -> None:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(template, folder)

        times: dict[int, list[float]] = {1: [], jobs: []}
        for _ in range(repeat):
            for n in (1, jobs):
                times[n].append(median_time(task(folder, "heal.db", "--jobs", str(n), *flags, check=True), 1,
                                            before=fresh))
        return statistics.median(times[1]), statistics.median(times[jobs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument("--large", action="store_true", help="also the wide shape at 10,000 tables (several minutes)")
    args = parser.parse_args()
    sizes = (10, 100, 1000) if args.quick else (10, 100, 1000, 5000)
    repeat = 5 if args.quick else 11
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    # as an installed package has them: bytecode compiled once (PYTHONDONTWRITEBYTECODE would otherwise
    # make every run compile selfheal from source, which no installed copy does)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "selfheal"), str(REPO / "tasks.py"),
                    str(REPO / "checks.py")], check=True, stdout=subprocess.DEVNULL)
    rows: list[tuple[str, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp)
        for name in ("schema.json", ".env.example", "requirements.txt", "checks.py"):
            shutil.copy(REPO / name, demo / name)
        task(demo, "validate", check=True)()
        task(demo, "validate", check=True)()  # second run remembers the clean results
        # alternating, so that a slower minute of this shared machine weighs on each alike
        floor, healthy, cold = alternating_medians(
            [(task(demo, "--list"), lambda: None), (task(demo, "validate"), lambda: None),
             (task(demo, "validate"), lambda: forget_cache(demo))], repeat)
        rows += [("invoke --list (floor)", f"{floor * 1000:.0f} ms"),
                 ("healthy demo validate", f"{healthy * 1000:.0f} ms = {healthy / floor:.2f} × floor (goal ≤ 1.3)"),
                 ("healthy demo validate, nothing remembered", f"{cold * 1000:.0f} ms = {cold / floor:.2f} × floor")]

    for size in sizes:
        rows += measure_size(size, healthy)
    rows += wide_rows((1000,) if args.quick else (1000, 5000, 10000) if args.large else (1000, 5000), healthy)

    bulk, alter = bulk_vs_alter(1000 if args.quick else 2000)
    n = 1000 if args.quick else 2000
    rows.append((f"{n} tables in one file, one column each: one schema update vs ALTER each",
                 f"{bulk:.2f} s vs {alter:.2f} s = {alter / bulk:.0f} × faster"))
    for n in ((500,) if args.quick else (1000, 2000)):
        bulk, single = bulk_vs_alter(n, "BULK_REBUILDS", {"type": "TEXT", "unique": True})
        rows.append((f"{n} populated tables in one file, each rebuilt (a UNIQUE column): one schema update for "
                     "the renames vs a RENAME each", f"{bulk:.2f} s vs {single:.2f} s = {single / bulk:.0f} × faster"))

    cores = os.cpu_count() or 1
    for tenants in ((100,) if args.quick else (100, 1000)):
        one, many = fleet_times(tenants, cores, repeat=1 if args.quick else 3)
        goal = f"; goal ≥ 1.7 ×: {'holds' if one / many >= 1.7 else 'short'}" if tenants == 1000 else ""
        rows.append((f"fleet of {tenants} tenants: heal.db --jobs 1 vs --jobs {cores}",
                     f"{one:.2f} s vs {many:.2f} s = {one / many:.2f} × speed-up{goal}"))
        if tenants == 1000:  # what the per-file backups and their syncs cost the overlap
            one, many = fleet_times(tenants, cores, "--no-backup", repeat=1 if args.quick else 3)
            rows.append((f"fleet of {tenants} tenants: heal.db --no-backup --jobs 1 vs --jobs {cores}",
                         f"{one:.2f} s vs {many:.2f} s = {one / many:.2f} × speed-up"))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
