"""Small file-system primitives several parts need the same way: a durable rename (fsync the
folder), a work folder under the data folder, and a non-blocking OS file lock."""

from __future__ import annotations

import os
from pathlib import Path

from mailroom import tmpfiles
from mailroom.filelock import try_lock

__all__ = ["fsync_dir", "try_lock", "work_folder"]


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
    """A new folder in this process's own folder under ``DATA/tmp`` (the caller removes it), or
    a StorageError that says what to check; see :func:`mailroom.tmpfiles.work_folder`, which new
    code calls directly."""
    return tmpfiles.work_folder(data_dir, prefix)
