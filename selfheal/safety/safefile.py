"""Files a careful tool may write: private state, fresh temporary names, no write through a planted link.

What selfheal trusts: the schema's author and the project's owner. What it defends against: other
local users (planted links, files in shared folders) and its own umask. `.selfheal/` and every
folder in it are 0700 and never a link; every state file is 0600 and replaced atomically from a
fresh temporary name, so a link planted at a predictable name is never followed.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path, PurePosixPath
from typing import Optional

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
MAX_TEXT_BYTES = 1024 * 1024  # .env, its template and requirements files are small; more is a mistake or an attack


class UnsafePath(OSError):
    """A path selfheal refuses to use: a planted link, a folder owned by someone else, not a regular file."""


def ensure_private_dir(path: Path) -> None:
    """Create (or tighten) one of selfheal's own folders: 0700, owned by this user, never a link."""
    try:
        st = os.lstat(path)  # it exists on every run but the first: one system call, not two
    except FileNotFoundError:
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass  # made meanwhile by another run: checked below like any other
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(f"{path} is a symbolic link; selfheal keeps its state only in a real folder (remove the link)")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(f"{path} is not a folder")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid() and os.geteuid() != 0:
        raise UnsafePath(f"{path} belongs to another user (uid {st.st_uid}); remove it or run as its owner")
    if os.name == "posix" and stat.S_IMODE(st.st_mode) != PRIVATE_DIR:
        os.chmod(path, PRIVATE_DIR)


def ensure_private_dirs(top: Path, path: Path) -> None:
    """ensure_private_dir for `top` and every folder from it down to `path`."""
    ensure_private_dir(top)
    current = top
    for part in path.relative_to(top).parts:
        current = current / part
        ensure_private_dir(current)


def write_private(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace a file atomically with one written under a fresh name (O_EXCL: never through a link).

    `mode` defaults to 0600 (selfheal's state); other files pass their own."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # O_EXCL, 0600
    try:
        if mode != PRIVATE_FILE and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process umask (reading it means setting it: set straight back)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def shared_mode(path: Path) -> int:
    """The mode a user's own file keeps when rewritten: its current one, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def new_file_beside(path: Path, mode: int) -> Path:
    """Create an empty file with a fresh, unpredictable name beside `path` (O_EXCL, never through a link).

    `mode` is narrowed by the umask, as for any new file; the name ends in .selfheal-new, so a glob
    never takes it for a database."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".selfheal-new", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode & ~current_umask())
    finally:
        os.close(fd)
    return Path(name)


def open_private_append(path: Path) -> int:
    """An append-only descriptor on a regular 0600 file; a link (O_NOFOLLOW), a FIFO or a device in its
    place is refused at once (O_NONBLOCK: opening a FIFO never waits for a reader)."""
    flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_NONBLOCK", 0))
    fd = os.open(path, flags, PRIVATE_FILE)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(f"{path.name} is not a regular file (a FIFO or device); not written")
    return fd


def untrusted_folder(path: Path, owner: int) -> tuple[str, bool]:
    """Why selfheal's own folder cannot be trusted to hold only what selfheal wrote ("" when it can, or is
    absent): a link, not a folder, another user's, or writable by others (a planted file could be there);
    and whether making it 0700 mends that (a folder of this user's that others may write to)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "", False
    except OSError as exc:
        return f"{path.name} cannot be read ({exc.strerror or exc})", False
    if stat.S_ISLNK(st.st_mode):
        return f"{path.name} is a symbolic link", False
    if not stat.S_ISDIR(st.st_mode):
        return f"{path.name} is not a folder", False
    if os.name == "posix":
        if st.st_uid not in (os.geteuid(), owner):
            return f"{path.name} belongs to another user (uid {st.st_uid})", False
        if st.st_mode & 0o022:
            return f"{path.name} is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})", True
    return "", False


def read_private(path: Path, limit: int, owner: int) -> Optional[bytes]:
    """The bytes of one of selfheal's state files, or None unless it is a regular file (not a link, FIFO
    or device: never waited on), owned by this user or the project's owner, writable by no one else,
    and at most `limit` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        if os.name == "posix" and (st.st_uid not in (os.geteuid(), owner) or st.st_mode & 0o022):
            return None
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


def project_owner(root: Path) -> int:
    """The uid that owns the project folder (-1 where the OS has no owners)."""
    try:
        return os.stat(root).st_uid if os.name == "posix" else -1
    except OSError:
        return -1


def link_problem(path: Path, owner: int) -> str:
    """Why writing through `path` would be unsafe, or "".

    A link is followed only when the link and its target belong to the project's owner and the
    target's folder is not writable by others (a data folder linked to another disk keeps working)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ""
    if not stat.S_ISLNK(st.st_mode) or owner < 0:
        return ""
    target = path.resolve()
    if st.st_uid != owner:
        return f"{path} is a symbolic link owned by another user (uid {st.st_uid}); not written through"
    try:
        target_st = os.stat(target)
        if target_st.st_uid != owner:
            return f"{path} links to {target}, which belongs to another user (uid {target_st.st_uid}); not written"
    except FileNotFoundError:
        pass
    try:
        folder = os.stat(target.parent)
    except OSError:
        return f"{path} links to {target}, whose folder cannot be read; not written through"
    if folder.st_mode & stat.S_IWOTH and not folder.st_mode & stat.S_ISVTX:
        return f"{path} links into {target.parent}, which any user may write; not written through"
    return ""


def planted_link(root: Path, rel: str) -> str:
    """Why a path the project declares must not be followed ("" when it may): a link on the way there that
    another user owns, that leads to another user's file, or into a folder anyone may write (link_problem).
    The project owner's own links (a data folder on another disk) are followed."""
    owner = project_owner(root)
    current = root
    for part in PurePosixPath(rel.replace("\\", "/")).parts:
        current = current / part
        problem = link_problem(current, owner)
        if problem:
            return problem
    return ""


def read_small_text(path: Path, limit: int = MAX_TEXT_BYTES, strict: bool = False) -> str:
    """Read a regular file of at most `limit` bytes as UTF-8 (a FIFO or device is refused at once); bytes
    that are not UTF-8 are replaced, or with `strict` raise UnicodeDecodeError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{path.name} is not a regular file (a FIFO, device or folder); not read")
        if st.st_size > limit:
            raise UnsafePath(f"{path.name} is {st.st_size:,} bytes, more than the {limit:,} allowed "
                             "(settings.max_file_bytes); not read")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnsafePath(f"{path.name} grew past {limit:,} bytes while being read; not read")
    return data.decode("utf-8", errors="strict" if strict else "replace")


def fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); elsewhere folders cannot be opened and this is a no-op."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_sql_file(root: Path, rel: str, limit: int) -> tuple[str, list[tuple[str, str]]]:
    """An SQL declaration file's text, or ("", [(where, problem)]): a link another user planted, an
    unreadable file, bytes that are not UTF-8, a NUL character (each said with the file, and line)."""
    problem = planted_link(root, rel)
    if problem:
        return "", [(rel, f"{problem}; not read")]
    try:
        text = read_small_text(root / rel, limit, strict=True)
    except OSError as exc:
        return "", [(rel, f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return "", [(rel, f"is not UTF-8 text (byte {exc.start:,} cannot be read): save it as UTF-8")]
    if "\0" in text:
        return "", [(f"{rel}:{text.count(chr(10), 0, text.index(chr(0))) + 1}",
                     "holds a NUL character (is it a binary file?)")]
    return text, []
