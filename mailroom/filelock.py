"""OS file locks: held on an open file, dropped by the kernel when the process dies, however it
dies (SIGKILL, power cut). Locks guard whole files; the file's content does not matter."""

from __future__ import annotations

import sys
from typing import IO

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file without waiting; False if another has it."""
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def lock(handle: IO[bytes]) -> None:
        """Take an exclusive lock on the open file, waiting as long as another holds it."""
        while True:
            try:  # LK_LOCK itself gives up after ten one-second tries
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            except OSError:
                continue
            return

else:
    import fcntl

    def try_lock(handle: IO[bytes]) -> bool:
        """Take an exclusive lock on the open file without waiting; False if another has it."""
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def lock(handle: IO[bytes]) -> None:
        """Take an exclusive lock on the open file, waiting as long as another holds it."""
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
