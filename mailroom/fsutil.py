"""Small file-system primitives several parts need the same way: a durable rename (fsync the
folder), a private work folder under the data folder, and a non-blocking OS file lock (the
kernel drops it when the process dies, however it dies)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO

from mailroom.errors import StorageError


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def work_folder(data_dir: Path, prefix: str) -> Path:
    """A new private folder under ``DATA/tmp`` (the caller removes it), or a StorageError that
    says what to check."""
    root = Path(data_dir) / "tmp"
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    except OSError as error:
        raise StorageError(
            f"No se pudo escribir en la carpeta de trabajo {root}: {error.strerror or error}. "
            "Revise el espacio libre en disco y los permisos.",
            path=root,
        ) from error


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file without waiting; False if another has it."""
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file without waiting; False if another has it."""
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
