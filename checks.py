"""The demo's own checks (schema.json "checks"): the app's port must be free before it starts."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from selfheal import CheckContext, Finding, Status, check


@check("app.port")
def port_free(ctx: CheckContext) -> list[Finding]:
    """APP_HOST:APP_PORT (environment first, then .env, as the app reads them) can be bound."""
    host = os.environ.get("APP_HOST") or ctx.env.get("APP_HOST") or "127.0.0.1"
    raw = os.environ.get("APP_PORT") or ctx.env.get("APP_PORT") or "8000"
    target = f"{host}:{raw}"
    try:
        port = int(raw)
    except ValueError:
        return [Finding("app.port", target, Status.ERROR, f"APP_PORT must be a number, got {raw!r}",
                        hint="set APP_PORT in .env to a free port such as 8000")]
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            if os.name == "posix":  # as servers do (the app too): a closed connection's TIME-WAIT holds no port
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            return [Finding("app.port", target, Status.ERROR, f"cannot listen there: {exc.strerror or exc}",
                            hint="set APP_HOST / APP_PORT in .env to an address of this machine")]
        holder = port_holder(port)
        return [Finding("app.port", target, Status.ERROR,
                        f"port {port} is in use{' by ' + holder if holder else ''}: the app could not start",
                        hint="stop that process (is the app already running?), or set APP_PORT in .env")]
    return [Finding("app.port", target, Status.OK, "free")]


def port_holder(port: int) -> str:
    """The process listening on a TCP port, as "name (pid N)", where the OS tells (Linux /proc); else ""."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return ""
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (process / "fd").iterdir()):
                return f"{(process / 'comm').read_text().strip()} (pid {process.name})"
        except OSError:
            continue
    return ""
