"""Durable writes several parts need the same way: fsync a folder after a rename, and write a
file atomically beside its final name. (Work folders are in :mod:`mailroom.tmpfiles`, OS file
locks in :mod:`mailroom.filelock`.)"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from mailroom.errors import OficialiaError

__all__ = [
    "fsync_dir",
    "group_shared",
    "new_folder",
    "share_with_group",
    "shared_mode",
    "write_atomically",
    "write_bytes_atomically",
]

T = TypeVar("T")
_group_shared = False


def share_with_group() -> None:
    """The data folder is one a group shares (an installed build's ``/var/lib/oficialia``:
    setgid, group ``oficialia``): what this process makes there must be the next clerk's to
    read and write. umask 007 covers what is made with the usual modes; the files made private
    on purpose (mkstemp's 0600, SQLite's 0644, the device credential) ask :func:`shared_mode`."""
    global _group_shared
    os.umask(0o007)
    _group_shared = True


def group_shared() -> bool:
    return _group_shared


def shared_mode(private: int = 0o600) -> int:
    """``private`` for a per-user data folder; group read and write in a shared one (a folder
    keeps the setgid bit, or what is made in it would take its maker's own group)."""
    if not _group_shared:
        return private
    return 0o2770 if private & 0o100 else 0o660


def new_folder(parent: Path, prefix: str) -> Path:
    """``tempfile.mkdtemp``, whose 0700 a shared folder widens to the group's: another clerk's
    next command must be able to sweep it if this process dies."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    if _group_shared:
        os.chmod(folder, shared_mode(0o700))
    return folder


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(
    path: Path,
    write: Callable[[IO[bytes]], T],
    *,
    mode: int | None = None,
    failed: Callable[[Path, OSError], OficialiaError],
) -> T:
    """Run ``write`` on a temporary file beside ``path`` and put it in place only when it
    succeeded: ``path`` is whole or as it was, never half written (a full disk, a killed process,
    an error while producing the bytes). ``mode`` replaces mkstemp's 0600 (an export is an
    ordinary file); ``failed`` says in Spanish what went wrong for this kind of file."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise failed(path, error) from error
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None or _group_shared:
            os.chmod(temporary, mode if mode is not None else shared_mode())
        os.replace(temporary, path)
        fsync_dir(folder)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise failed(path, error) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return result


def write_bytes_atomically(
    path: Path, data: bytes, *, failed: Callable[[Path, OSError], OficialiaError]
) -> Path:
    """:func:`write_atomically` for bytes already in memory; returns ``path``."""
    write_atomically(path, lambda handle: handle.write(data), failed=failed)
    return path
