"""python -m app: serve the demo on APP_HOST:APP_PORT (default 127.0.0.1:8000)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app.server import serve


def load_env(path: Path) -> None:
    """Read .env as `invoke up` does, so `python -m app` alone sees the same settings (set ones win)."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False, interpolate=False)


def main() -> int:
    """Start the server until interrupted."""
    root = Path(os.environ.get("APP_ROOT", Path(__file__).resolve().parent.parent))
    load_env(root / ".env")
    host = os.environ.get("APP_HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("APP_PORT", "8000"))
    except ValueError:
        print(f"APP_PORT must be a number, got {os.environ['APP_PORT']!r}", file=sys.stderr)
        return 2
    return serve(root, host, port)


if __name__ == "__main__":
    sys.exit(main())
