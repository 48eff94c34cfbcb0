"""A durable rename: fsync the folder, as several parts need it the same way. (Work folders are
in :mod:`mailroom.tmpfiles`, OS file locks in :mod:`mailroom.filelock`.)"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir"]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
