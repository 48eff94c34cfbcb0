"""Opening the SQLite file with the pragmas every connection needs, and write transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from mailroom.errors import StorageError
from mailroom.fsutil import group_shared, shared_mode

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path) -> sqlite_utils.Database:
    """A connection in autocommit mode: transactions are always explicit (see :func:`immediate`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if group_shared() and not path.exists():
            # SQLite makes the file 0644 (and its -wal and -shm like it): in a folder a group
            # shares, the next clerk could not write it. Made first, with the group's mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, shared_mode()))
        conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StorageError(
                f"La base de datos {path} no admite el modo WAL ({mode}).", path=path
            )
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as error:
        raise StorageError(
            f"No se pudo abrir la base de datos {path}: {error}. Si el archivo está dañado, "
            "restaure la copia más reciente de la carpeta backups/.",
            path=path,
        ) from error
    return sqlite_utils.Database(conn, execute_plugins=False)


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front.

    ``BEGIN IMMEDIATE`` rather than sqlite-utils' deferred ``BEGIN``: a deferred transaction that
    reads first and writes later can fail with SQLITE_BUSY_SNAPSHOT when another process wrote in
    between (busy_timeout does not help there). Folio allocation and the audit chain read, then
    write, so they must hold the lock from the start. sqlite-utils calls made inside nest as
    savepoints.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
