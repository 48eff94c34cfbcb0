"""The task runner the UI tests give their screens, waited for at the end of each test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QThreadPool

from mailroom.ui.tasks import TaskRunner


@contextmanager
def waited_runner(threads: int = 2, seconds: float = 20) -> Iterator[TaskRunner]:
    """A runner on its own pool; afterwards, every task waited for, also those a finished task
    started. A test that gives screens a store asks for the store in its ``runner`` fixture, so
    that the store is closed only after this waits: a task still reading a closed SQLite
    connection on a worker crashes the process."""
    pool = QThreadPool()
    pool.setMaxThreadCount(threads)
    tasks = TaskRunner(pool)
    yield tasks
    deadline = time.monotonic() + seconds
    while tasks.active and time.monotonic() < deadline:
        tasks.wait_all(1000)
    assert not tasks.active, "una tarea no terminó"
    pool.waitForDone(int(seconds * 1000))
