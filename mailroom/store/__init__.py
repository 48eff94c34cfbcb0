"""The local store: one SQLite file (WAL, synchronous=FULL) and a content-addressed blob folder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from mailroom.store.blobs import BlobStore
from mailroom.store.database import connect, immediate
from mailroom.store.migrations import migrate
from mailroom.store.writer import DatabaseWriter

__all__ = ["BlobStore", "Store", "connect", "immediate"]

T = TypeVar("T")


class Store:
    """Opens (and migrates) the database; hands out reader connections and the one writer."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.database_path = data_dir / "oficialia.sqlite3"
        self.blobs = BlobStore(data_dir / "blobs")
        data_dir.mkdir(parents=True, exist_ok=True)
        self.blobs.ensure()
        bootstrap = connect(self.database_path)
        try:
            self.migrations_applied = migrate(bootstrap, self.database_path)
        finally:
            bootstrap.close()
        self._writer: DatabaseWriter | None = None
        self._local = threading.local()
        self._readers: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()

    @property
    def writer(self) -> DatabaseWriter:
        with self._lock:
            if self._writer is None:
                self._writer = DatabaseWriter(self.database_path)
            return self._writer

    def write(self, work: Callable[[sqlite_utils.Database], T]) -> T:
        return self.writer.run(work)

    def submit(self, work: Callable[[sqlite_utils.Database], T]) -> Future[T]:
        return self.writer.submit(work)

    def reader(self) -> sqlite_utils.Database:
        """This thread's read connection (opened on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.database_path)
            self._local.db = db
            with self._lock:
                self._readers.append(db)
        return db

    def close(self) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
            readers, self._readers = self._readers, []
        if writer is not None:
            writer.close()
        for db in readers:
            db.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
