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

__all__ = ["fsync_dir", "write_atomically", "write_bytes_atomically"]

T = TypeVar("T")


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
        if mode is not None:
            os.chmod(temporary, mode)
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
