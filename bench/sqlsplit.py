"""The SQL declaration splitter at size: medians of 5 runs, for files SQL declarations really are (and one
unfinished statement, where a line-by-line splitter went quadratic). Run: python bench/sqlsplit.py"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selfheal.engines.sqlite.sqlfile import statements  # noqa: E402


def _median(text: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        statements(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print one line per shape: its size and the median time to split it."""
    shapes = {
        "1 MiB of complete tables": "".join(
            f"CREATE TABLE t{i} (a INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'x;y', c REAL);\n"
            for i in range(12_500)),
        "287 KB, one unfinished statement": "CREATE TABLE t (\n" + ",\n".join(
            f"  c{i} TEXT DEFAULT 'x'" for i in range(11_000)),
        "4,000-line statement": "CREATE TABLE t (\n" + ",\n".join(f"  c{i} TEXT" for i in range(4_000)) + ");\n",
        "1 MiB trigger after a comment": "CREATE TABLE a (x);\n-- audit\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        + "".join(f"  INSERT INTO a VALUES ({i});\n" for i in range(33_000)) + "END;\n",
    }
    for name, text in shapes.items():
        seconds = _median(text)
        rate = len(text) / seconds / 2**20
        print(f"{name:34} {len(text) / 1024:8.0f} KiB  {seconds * 1000:7.1f} ms  ({rate:5.1f} MiB/s)")


if __name__ == "__main__":
    main()
