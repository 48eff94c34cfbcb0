"""The backend's two database engines behind one small interface: SQLite and PostgreSQL.

``open_database(url)`` picks the engine: ``postgresql://…`` (or ``postgres://…``) is PostgreSQL
through psycopg 3 with one ``psycopg_pool.ConnectionPool`` per process; ``sqlite:///path/file``
or a plain folder (the data folder; the file is ``backend.sqlite3`` in it) is SQLite, exactly as
the reference backend always ran it (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` writes).

The server's SQL is written once, with ``?`` placeholders (turned into ``%s`` for psycopg; so no
literal ``?`` or ``%`` inside SQL text — pass values as parameters), in the dialect both engines
share: ``INSERT … ON CONFLICT … DO UPDATE/NOTHING``, ``RETURNING``, ``excluded.``. What differs is
behind :class:`Connection`: ``dialect`` and ``for_update`` (`` FOR UPDATE`` on PostgreSQL, empty
on SQLite, whose write transactions already exclude every other writer). Rows read by name and by
index on both engines (``sqlite3.Row`` there, :class:`PgRow` here; ``dict(row)`` works on both).

Writes are a function, not a block: ``connection.write(work)`` runs ``work(connection)`` in one
transaction and returns its result. On PostgreSQL the whole function is run again when the
transaction loses a race it cannot see coming — a serialization failure, a deadlock, or a unique
violation raised by a concurrent twin (two workers inserting the same filing uuid: the second
one's retry reads the first one's row and takes the replay path). So ``work`` must touch nothing
but the database (no files, no counters in memory) and must decide everything from what it reads
inside the transaction. Any other exception rolls back and propagates at once.

PostgreSQL runs at READ COMMITTED, with the invariants carried by row locks and unique keys rather
than by SERIALIZABLE: every contended invariant of the server is one hot row (a folio counter, the
changes counter, a filing being revised) or one unique key (a filing uuid, a revision number).
At READ COMMITTED an ``UPDATE``/upsert on a locked row waits for its holder and then works on the
committed value, so concurrent filings of one office queue on their counter instead of aborting;
SERIALIZABLE would abort and re-run (re-signing) every loser of such a race and add predicate
locking to every read, for no invariant that the row locks do not already give.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

T = TypeVar("T")

SQLITE_FILE = "backend.sqlite3"
# Losing a race twice in a row is already rare; eight times means something else is wrong.
MAX_WRITE_ATTEMPTS = 8
POOL_MAX_SIZE = 16  # per process; uvicorn's thread pool has 40 threads that wait their turn
POOL_TIMEOUT = 30.0  # seconds a request waits for a free connection before failing
CONNECT_TIMEOUT = 10  # seconds to reach the server at start-up


class Row(Protocol):
    """What a query yields on either engine: by index, by column name, and ``keys()``."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(ABC):
    """One connection of either engine, for reads (``execute``) and write transactions
    (``write``). Borrowed from :meth:`Database.connect`; not shared between threads."""

    dialect: str = ""
    for_update: str = ""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    @abstractmethod
    def write(self, work: Callable[[Connection], T]) -> T: ...

    def run_script(self, script: str) -> None:
        """DDL statements separated by ``;`` (one by one: ``executescript`` would commit)."""
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)


class Database(ABC):
    """An engine chosen by URL. ``connect()`` lends a connection for one request or command."""

    dialect: str = ""
    url: str = ""

    @abstractmethod
    def connect(self) -> AbstractContextManager[Connection]: ...

    def write(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one write transaction on a connection of its own."""
        with self.connect() as connection:
            return connection.write(work)

    def close(self) -> None:  # noqa: B027 - SQLite holds nothing between connections
        """Release the engine's resources (the pool); connecting again reopens them."""


def open_database(url: str | Path) -> Database:
    """``postgresql://…``, ``sqlite:///path/file`` or a folder (its ``backend.sqlite3``)."""
    text = str(url)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(text)
    if scheme == "sqlite":
        return SqliteDatabase(Path(unquote(text.removeprefix("sqlite://"))))
    if scheme:
        raise ValueError(
            f"Dirección de base de datos no reconocida: «{text}». Use postgresql://… , "
            "sqlite:///ruta/archivo o una carpeta."
        )
    return SqliteDatabase(Path(text) / SQLITE_FILE)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


# SQLite ---------------------------------------------------------------------------------------


class SqliteConnection(Connection):
    dialect = "sqlite"
    for_update = ""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self._writing = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(sql, params)

    def write(self, work: Callable[[Connection], T]) -> T:
        # BEGIN IMMEDIATE takes the single writer's lock up front, so two requests never both
        # read and then try to upgrade (a deadlock SQLite can only answer with SQLITE_BUSY).
        if self._writing:
            raise RuntimeError("write transactions do not nest")
        self.raw.execute("BEGIN IMMEDIATE")
        self._writing = True
        try:
            result = work(self)
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        finally:
            self._writing = False
        self.raw.execute("COMMIT")
        return result


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite://{path}"

    def raw_connection(self) -> sqlite3.Connection:
        raw = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA journal_mode=WAL")
        # A receipt handed out must survive a power cut: the device deletes its outbox row
        # once it holds one.
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA busy_timeout=30000")
        return raw

    @contextmanager
    def _connected(self) -> Iterator[Connection]:
        raw = self.raw_connection()
        try:
            yield SqliteConnection(raw)
        finally:
            raw.close()

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connected()


# PostgreSQL -----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgRow(tuple[Any, ...]):
    """A result row readable by index and by column name, like ``sqlite3.Row``."""

    _positions: dict[str, int]

    def __new__(cls, values: Sequence[Any], positions: dict[str, int]) -> PgRow:
        row = super().__new__(cls, values)
        row._positions = positions
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._positions[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._positions)


def _pg_rows(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    positions = {column.name: index for index, column in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, positions)


def _retryable(error: BaseException) -> bool:
    import psycopg.errors

    return isinstance(
        error,
        psycopg.errors.SerializationFailure
        | psycopg.errors.DeadlockDetected
        | psycopg.errors.UniqueViolation,
    )


class PostgresConnection(Connection):
    dialect = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._writing = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(to_pyformat(sql), params)

    def write(self, work: Callable[[Connection], T]) -> T:
        if self._writing:
            raise RuntimeError("write transactions do not nest")
        attempt = 1
        while True:
            self._writing = True
            try:
                with self.raw.transaction():
                    return work(self)
            except Exception as error:
                if not _retryable(error) or attempt >= MAX_WRITE_ATTEMPTS:
                    raise
            finally:
                self._writing = False
            # A short random pause so two twins that collided do not collide again in step.
            time.sleep(random.uniform(0.0, 0.005 * 2**attempt))
            attempt += 1


class PostgresDatabase(Database):
    """psycopg 3 with a pool per process, opened on first use (and again after a fork: uvicorn's
    workers each get their own)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = POOL_MAX_SIZE) -> None:
        self.url = url
        self.max_size = max_size
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Any] | None = None
        self._pid = 0

    def pool(self) -> ConnectionPool[Any]:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.max_size,
                    timeout=POOL_TIMEOUT,
                    kwargs={"autocommit": True, "row_factory": _pg_rows},
                    name="oficialia-backend",
                    open=True,
                )
                self._pid = os.getpid()
            return self._pool

    @contextmanager
    def _connected(self) -> Iterator[Connection]:
        with self.pool().connection() as raw:
            yield PostgresConnection(raw)

    @contextmanager
    def connect_directly(self) -> Iterator[Connection]:
        """A connection outside the pool (migrations at start-up): an unreachable server fails
        at once with its own message instead of after the pool's timeout."""
        import psycopg

        raw = psycopg.connect(
            self.url, autocommit=True, row_factory=_pg_rows, connect_timeout=CONNECT_TIMEOUT
        )
        try:
            yield PostgresConnection(raw)
        finally:
            raw.close()

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connected()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None
