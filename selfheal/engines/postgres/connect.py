"""Reaching the server: the URL from the environment or .env, one way to connect, and messages that
never carry the URL or its password (a driver's error may quote either)."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

from selfheal.model import Project
from selfheal.safety.safefile import MAX_TEXT_BYTES

_CONNINFO_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*?:([^/?#]*)@")
_ANY_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")
HIDDEN = "***"


class PgProblem(Exception):
    """A failure with a message a user can act on, and a hint."""

    def __init__(self, message: str, hint: str, check: str = "db.connect", target: str = ""):
        super().__init__(message)
        self.hint, self.check, self.target = hint, check, target


def url_from(key: str, env_path: Path, limit: int = MAX_TEXT_BYTES) -> Optional[str]:
    """The URL the key names in the environment, else in the .env file at env_path (never printed);
    OSError when that file exists but cannot be read."""
    if os.environ.get(key):
        return os.environ[key]
    if not env_path.is_file():
        return None
    from selfheal.environment.envfile import parse

    return parse(env_path, limit).values().get(key) or None


def connection_url(project: Project, key: str) -> Optional[str]:
    """The URL from the environment, else from the project's .env (None when neither has it, or the
    file cannot be read: the caller says the key is not set)."""
    path = project.root / (project.env.file if project.env else ".env")
    try:
        return url_from(key, path, project.max_file_bytes)
    except (OSError, ValueError):
        return None


def secrets_of(url: str) -> list[str]:
    """Every text a message must not show: the URL, its password as written and decoded, and each word
    of it (a parser's error may quote a piece), longest first."""
    found = {url}
    match = _URL_PASSWORD.match(url)
    passwords = [match.group(1)] if match else []
    passwords += [m.group(1).strip("'") for m in _CONNINFO_PASSWORD.finditer(url)]
    for password in passwords:
        for text in (password, unquote(password)):
            found.add(text)
            found.update(word for word in re.split(r"[\s%]+", text) if len(word) >= 3)
    return sorted((s for s in found if s), key=len, reverse=True)


def redact(text: str, url: str) -> str:
    """The text with the URL, its password and any other URL in it replaced by ***."""
    for secret in secrets_of(url):
        text = text.replace(secret, HIDDEN)
    return _ANY_URL.sub(HIDDEN, text)


def first_line(exc: BaseException, url: str = "") -> str:
    """The first line of an error, redacted."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return redact(line, url) if url else _ANY_URL.sub(HIDDEN, line)


def connect(url: str, env_key: str, timeout: float, psycopg: Any) -> Any:
    """A connection, or PgProblem naming what failed without showing the URL or its password."""
    try:
        return psycopg.connect(url, connect_timeout=max(1, int(timeout)), application_name="selfheal")
    except psycopg.ProgrammingError:
        raise PgProblem(f"the URL in {env_key} cannot be read as a PostgreSQL connection string (not shown: it "
                        "may hold a password)",
                        f"check {env_key}: postgresql://USER:PASSWORD@HOST:PORT/DB, with special characters in the "
                        "password percent-encoded (%40 for @)") from None
    except psycopg.Error as exc:
        raise PgProblem(f"cannot connect: {first_line(exc, url)}",
                        f"check {env_key} and that the server accepts connections") from None


@contextmanager
def deadline(conn: Any, seconds: float) -> Iterator[threading.Event]:
    """Cut the connection if the server has not finished within `seconds` (a server that stalls after
    authentication would otherwise hold the run forever: libpq has no read timeout). The event says
    whether it was cut; the waiting call then fails with the driver's connection error."""
    expired = threading.Event()

    def cut() -> None:
        try:
            with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
                expired.set()
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError, AttributeError):
            pass

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def answer_limit(timeout: float, healing: bool) -> float:
    """How long a run waits for the server in all: a check reads the catalogue (quick), a heal may build
    indexes (the statement timeout, plus a margin)."""
    statement = max(timeout * 6, 60.0)
    return statement + 30 if healing else max(10.0, timeout * 6)


def stalled(env_key: str, seconds: float) -> PgProblem:
    """The problem of a server that did not answer in time."""
    return PgProblem(f"the server did not answer within {seconds:g} s; the connection was closed and nothing was "
                     "changed", f"check the server {env_key} names (is it overloaded, or not PostgreSQL?)")
