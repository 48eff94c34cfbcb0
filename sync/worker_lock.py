"""One sync pass at a time per data folder: an OS file lock held for the pass.

The kernel drops the lock when its process dies, however it dies (SIGKILL, power cut), so a
worker that takes it knows that any outbox row still ``enviando`` was left by a dead process
and can take it back at once instead of waiting for the lease to run out. A second worker on
the same folder (the app and a ``sync --watch`` in a terminal, say) does not send anything:
the backend is idempotent, so it would be harmless, but it would be wasted traffic on a poor
link.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from mailroom.filelock import try_lock


class WorkerLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "sync" / "worker.lock"
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> bool:
        """Take the lock if free (never waits); True if this worker now holds it."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+b")
        if not try_lock(handle):
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor drops the lock
            self._handle = None
