"""The backend's SQLite database: schema migrations, connections, short write transactions.

WAL lets readers run beside the one writer; every write is ``BEGIN IMMEDIATE`` so two requests
never both read-then-upgrade and deadlock. ``synchronous=FULL`` because a receipt handed out must
survive a power cut: the device deletes its outbox row once it holds one.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE_FILE = "backend.sqlite3"


def _run_script(connection: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would COMMIT our BEGIN IMMEDIATE first.
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


def _m001_initial(connection: sqlite3.Connection) -> None:
    _run_script(
        connection,
        """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            office TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            credential_sha256 TEXT NOT NULL UNIQUE,
            enrolled_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE enrolment_tokens (
            token_sha256 TEXT PRIMARY KEY,
            office TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            device_id TEXT REFERENCES devices(id)
        );
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL CHECK (size > 0),
            complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
            completed_at TEXT
        );
        CREATE TABLE folio_counters (
            office TEXT NOT NULL,
            year INTEGER NOT NULL,
            last INTEGER NOT NULL,
            PRIMARY KEY (office, year)
        );
        CREATE TABLE filings (
            uuid TEXT PRIMARY KEY,
            office TEXT NOT NULL,
            year INTEGER NOT NULL,
            sequence INTEGER NOT NULL,
            institutional_folio TEXT NOT NULL UNIQUE,
            device_id TEXT NOT NULL REFERENCES devices(id),
            manifest_sha256 TEXT NOT NULL,
            manifest TEXT NOT NULL,
            receipt TEXT NOT NULL,
            committed_at TEXT NOT NULL,
            UNIQUE (office, year, sequence)
        );
        CREATE TABLE changes (
            cursor INTEGER PRIMARY KEY AUTOINCREMENT,
            filing_uuid TEXT NOT NULL REFERENCES filings(uuid),
            office TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE INDEX changes_by_office ON changes (office, cursor);
        CREATE TABLE catalogs (
            name TEXT PRIMARY KEY,
            items TEXT NOT NULL,
            etag TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def _m002_filing_revisions(connection: sqlite3.Connection) -> None:
    # Documents attached to a filing after it was delivered (a later scan for the same folio)
    # make a new revision of its manifest; every revision's receipt is kept, so a late retry of
    # an earlier revision still gets its own receipt back.
    _run_script(
        connection,
        """
        ALTER TABLE filings ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
        CREATE TABLE filing_revisions (
            filing_uuid TEXT NOT NULL REFERENCES filings(uuid),
            revision INTEGER NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            manifest TEXT NOT NULL,
            receipt TEXT NOT NULL,
            committed_at TEXT NOT NULL,
            PRIMARY KEY (filing_uuid, revision),
            UNIQUE (filing_uuid, manifest_sha256)
        );
        """,
    )


# Append-only: never edit a migration once it has landed.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _m001_initial,
    _m002_filing_revisions,
)


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(path)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def write(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction; rolled back on any exception."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def migrate(path: Path) -> None:
    """Bring the schema up to date, copying the database first when it already holds data."""
    with opened(path) as connection:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version >= len(MIGRATIONS):
            return
        if version > 0:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy2(path, path.with_name(f"{path.name}.antes-de-m{version + 1:03d}"))
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with write(connection):
                step(connection)
                connection.execute(f"PRAGMA user_version={number}")
