"""One writer: every database write in this process runs on a single thread with its own connection.

Callers hand the writer a function; it runs inside ``BEGIN IMMEDIATE … COMMIT`` on the writer's
connection and its result (or exception) comes back through a future. Readers open their own
connections. Other processes serialise with us through SQLite's lock and busy timeout.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar, cast

import sqlite_utils

from mailroom.store.database import connect, immediate

T = TypeVar("T")
_STOP = object()


class DatabaseWriter:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._jobs: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="oficialia-db-writer", daemon=True)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def submit(self, work: Callable[[sqlite_utils.Database], T]) -> Future[T]:
        future: Future[T] = Future()
        if not self._thread.is_alive():
            future.set_exception(RuntimeError("el escritor de la base de datos ya se cerró"))
            return future
        self._jobs.put((work, future))
        return future

    def run(self, work: Callable[[sqlite_utils.Database], T]) -> T:
        """Submit and wait: for callers that need the result before going on."""
        return self.submit(work).result()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(_STOP)
            self._thread.join()

    def _loop(self) -> None:
        try:
            db = connect(self._path)
        except BaseException as error:  # reported to the constructor's caller
            self._failure = error
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    return
                work, future = cast(
                    tuple[Callable[[sqlite_utils.Database], object], Future[object]], job
                )
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    with immediate(db):
                        result = work(db)
                except BaseException as error:
                    future.set_exception(error)
                else:
                    future.set_result(result)
        finally:
            db.close()
