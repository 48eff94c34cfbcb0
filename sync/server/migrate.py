"""``oficialia backend migrar``: a SQLite + folder backend copied to PostgreSQL and object storage.

The source is a backend's data folder (``backend.sqlite3``, ``blobs/``, the signing key), with
its server stopped. Every table that carries the backend's state is copied row for row, keys and
values unchanged: receipts stay the exact signed bytes, folios and change cursors keep their
numbers, devices keep their credential hashes (enrolled counters go on syncing without a new
enrolment). The signing key is not copied: it stays in the data folder, and every server over
the new database must run with that folder (``--data-dir``) so receipts keep verifying.

Resumable and idempotent: each table is read in primary-key order in batches; each batch is one
target transaction that compares the rows already there with the source's (a different row for
the same key stops the copy: a mismatch is never overwritten) and inserts the missing ones. A
killed copy is simply run again; a finished one reruns as a no-op. Counters (folio_counters,
change_counter) only move forward. A blob's object is copied, read back and checked by SHA-256
before its row is written as complete, so a row never names bytes the store does not hold.

Not copied: uploads in progress (``blob_uploads``/``blob_chunks``; devices restart them from
byte 0 against the new backend) and the verification page's rate-limit counters (transient).
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.server import catalogs, database, keys, sql, store_url
from sync.server.errors import BackendError
from sync.server.objects import ObjectStore, blob_key

DEFAULT_BATCH = 500
# Test-only: the name of a table (or "blobs"); after its first committed batch the copy says so
# and stops for a minute, to be killed there (tests/test_backend_migrate.py).
PAUSE_ENV = "OFICIALIA_MIGRATE_PAUSE_AFTER"


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    counter: bool = False  # a counter row: the target keeps the larger value


# Parents before children (PostgreSQL enforces the foreign keys); counters last, so a killed
# copy leaves counters behind the rows at worst, and the rerun raises them.
TABLES: tuple[Table, ...] = (
    Table(
        "devices",
        ("id",),
        ("id", "code", "office", "name", "credential_sha256", "enrolled_at", "revoked_at"),
    ),
    Table(
        "enrolment_tokens",
        ("token_sha256",),
        ("token_sha256", "office", "created_at", "expires_at", "used_at", "device_id"),
    ),
    Table("catalogs", ("name",), ("name", "items", "etag", "updated_at")),
    Table(
        "filings",
        ("uuid",),
        (
            "uuid",
            "office",
            "year",
            "sequence",
            "institutional_folio",
            "device_id",
            "manifest_sha256",
            "manifest",
            "receipt",
            "committed_at",
            "revision",
        ),
    ),
    Table(
        "filing_revisions",
        ("filing_uuid", "revision"),
        ("filing_uuid", "revision", "manifest_sha256", "manifest", "receipt", "committed_at"),
    ),
    Table("changes", ("cursor",), ("cursor", "filing_uuid", "office", "status", "note", "at")),
    Table("folio_counters", ("office", "year"), ("office", "year", "last"), counter=True),
    Table("change_counter", ("id",), ("id", "last"), counter=True),
)


class MigrationRefused(BackendError):
    status = 409
    code = "migracion_rechazada"


@dataclass
class TableResult:
    name: str
    copied: int = 0
    present: int = 0


@dataclass
class Result:
    tables: list[TableResult] = field(default_factory=list)

    @property
    def copied(self) -> int:
        return sum(table.copied for table in self.tables)


Progress = Callable[[str], None]


def open_source(folder: Path) -> sql.SqliteDatabase:
    """The data folder's database, after checking that it is a backend's folder."""
    if not folder.is_dir():
        raise MigrationRefused(f"No existe la carpeta {folder}.", code="origen_invalido")
    if not (folder / sql.SQLITE_FILE).is_file() or not (folder / keys.KEY_FILE).is_file():
        raise MigrationRefused(
            f"{folder} no es la carpeta de datos de un servidor de sincronización: le falta "
            f"{sql.SQLITE_FILE} o {keys.KEY_FILE}. Indique en --desde la carpeta --data-dir "
            "del servidor actual.",
            code="origen_invalido",
        )
    source = sql.SqliteDatabase(folder / sql.SQLITE_FILE)
    with source.connect() as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if "filings" not in names or "devices" not in names:
        raise MigrationRefused(
            f"{folder / sql.SQLITE_FILE} no es la base de un servidor de sincronización.",
            code="origen_invalido",
        )
    database.migrate(source)  # an older release's file: brought up to date (a copy is kept)
    return source


def open_target(url: str, source: sql.SqliteDatabase) -> sql.Database:
    target = sql.open_database(url)
    if isinstance(target, sql.SqliteDatabase) and target.path.resolve() == source.path.resolve():
        raise MigrationRefused(
            "El destino es la misma base que el origen: indique otra en --database-url.",
            code="destino_invalido",
        )
    try:
        database.migrate(target)
    except Exception as error:
        if not _unreachable(error):
            raise
        raise MigrationRefused(
            f"No se pudo abrir la base de destino {sql.redacted(url)} "
            f"({str(error).strip().splitlines()[0]}). Revise la dirección y que el servidor "
            "PostgreSQL esté en marcha y acepte la conexión.",
            code="destino_inalcanzable",
        ) from error
    return target


def _unreachable(error: Exception) -> bool:
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(error, psycopg.OperationalError | PoolTimeout)


def migrate(
    folder: Path,
    database_url: str,
    blob_url: str | None,
    *,
    batch: int = DEFAULT_BATCH,
    progress: Progress = lambda line: None,
) -> Result:
    """Copy the backend in ``folder`` into ``database_url`` (and its blobs into ``blob_url``;
    None keeps them in the folder's ``blobs/``, then only their rows are copied)."""
    source = open_source(folder)
    source_objects = store_url.open_store(None, folder / "blobs")
    target_objects = store_url.open_store(blob_url, folder / "blobs")
    _check_store(target_objects)
    target = open_target(database_url, source)
    pause_at = os.environ.get(PAUSE_ENV, "")
    result = Result()
    try:
        with source.connect() as reader:
            for table in TABLES:
                done = TableResult(table.name)
                for rows in _batches(reader, table, batch):
                    copied = _write(target, table, rows)
                    done.copied += copied
                    done.present += len(rows) - copied
                    _maybe_pause(pause_at, table.name, progress)
                result.tables.append(done)
                progress(_line(done))
            blobs = TableResult("blobs")
            same_store = blob_url is None
            for rows in _blob_batches(reader, batch):
                copied = _copy_blobs(target, source_objects, target_objects, rows, same_store)
                blobs.copied += copied
                blobs.present += len(rows) - copied
                _maybe_pause(pause_at, "blobs", progress)
            result.tables.append(blobs)
            progress(_line(blobs))
    finally:
        target.close()
    return result


def _write(target: sql.Database, table: Table, rows: Sequence[tuple[Any, ...]]) -> int:
    try:
        return target.write(functools.partial(_copy_rows, table=table, rows=rows))
    except Exception as error:
        if not _integrity(error):
            raise
        # Another unique key than the one compared: e.g. a server that ran on the target gave
        # the same folio to a different filing.
        raise MigrationRefused(
            f"El destino ya tiene datos distintos en {table.name} que chocan con los del origen "
            f"({str(error).strip().splitlines()[0]}); no se sobrescribe nada. Use una base de "
            "destino vacía.",
        ) from error


def _integrity(error: Exception) -> bool:
    import sqlite3

    if isinstance(error, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(error, psycopg.IntegrityError)


def _maybe_pause(pause_at: str, table: str, progress: Progress) -> None:
    if pause_at == table:
        progress(f"{table}: lote confirmado; pausa de prueba")
        time.sleep(60)


def _line(done: TableResult) -> str:
    return f"{done.name}: {done.copied} copiada(s), {done.present} ya estaba(n)"


def _check_store(objects: ObjectStore) -> None:
    try:
        next(iter(objects.list("oficialia-migracion/")), None)  # also a missing bucket
    except BackendError as error:
        raise MigrationRefused(
            f"No se pudo usar el almacén de destino {objects.describe()}: {error.message}",
            code="destino_inalcanzable",
        ) from error


def _batches(reader: sql.Connection, table: Table, size: int) -> Any:
    columns = ", ".join(table.columns)
    order = ", ".join(table.key)
    after: tuple[Any, ...] | None = None
    while True:
        if after is None:
            query = f"SELECT {columns} FROM {table.name} ORDER BY {order} LIMIT ?"
            params: tuple[Any, ...] = (size,)
        else:
            marks = ", ".join("?" for _ in table.key)
            query = (
                f"SELECT {columns} FROM {table.name} WHERE ({order}) > ({marks}) "
                f"ORDER BY {order} LIMIT ?"
            )
            params = (*after, size)
        rows = [tuple(row) for row in reader.execute(query, params).fetchall()]
        if not rows:
            return
        yield rows
        after = tuple(rows[-1][table.columns.index(column)] for column in table.key)


def _existing(tx: sql.Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> dict[Any, Any]:
    """The target's rows with the keys of ``rows``, by key; looked up by the key's first column
    (IN), never by range, since the engines order text differently."""
    first = table.key[0]
    values = sorted({row[table.columns.index(first)] for row in rows})
    marks = ", ".join("?" for _ in values)
    query = f"SELECT {', '.join(table.columns)} FROM {table.name} WHERE {first} IN ({marks})"
    positions = [table.columns.index(column) for column in table.key]
    found = {}
    for row in tx.execute(query, values).fetchall():
        values_row = tuple(row)
        found[tuple(values_row[p] for p in positions)] = values_row
    return found


def _copy_rows(tx: sql.Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> int:
    positions = [table.columns.index(column) for column in table.key]
    existing = _existing(tx, table, rows)
    missing = []
    missing_updated: list[tuple[Any, ...]] = []
    for row in rows:
        key = tuple(row[p] for p in positions)
        there = existing.get(key)
        if there is None:
            missing.append(row)
        elif table.counter:
            if there[-1] < row[-1]:
                missing.append(row)
        elif table.name == "catalogs" and _default_catalog(there):
            # A server started on the target before the copy seeded the default catalogs:
            # those are not data of anyone's, the source's catalogs replace them.
            if there != row:
                tx.execute(
                    "UPDATE catalogs SET items = ?, etag = ?, updated_at = ? WHERE name = ?",
                    (*row[1:], row[0]),
                )
                missing_updated.append(row)
        elif there != row:
            shown = ", ".join(f"{c}={v}" for c, v in zip(table.key, key, strict=True))
            raise MigrationRefused(
                f"El destino ya tiene datos distintos en {table.name} ({shown}); no se "
                "sobrescribe nada. Use una base de destino vacía, o la que recibió una copia "
                "anterior de este mismo origen.",
            )
    if not missing:
        return len(missing_updated)
    columns = ", ".join(table.columns)
    marks = "(" + ", ".join("?" for _ in table.columns) + ")"
    conflict = ", ".join(table.key)
    if table.counter:
        # The target only moves forward: a counter never hands out a number twice.
        last = f"{table.name}.last"
        tail = (
            f"DO UPDATE SET last = CASE WHEN excluded.last > {last} THEN excluded.last "
            f"ELSE {last} END"
        )
    else:
        tail = "DO NOTHING"
    tx.execute(
        f"INSERT INTO {table.name} ({columns}) VALUES {', '.join(marks for _ in missing)} "
        f"ON CONFLICT ({conflict}) {tail}",
        [value for row in missing for value in row],
    )
    return len(missing) + len(missing_updated)


def _default_catalog(row: tuple[Any, ...]) -> bool:
    name, _items, etag, _updated_at = row
    defaults = catalogs.DEFAULTS.get(name)
    return defaults is not None and etag == catalogs.etag_of(defaults)


def _blob_batches(reader: sql.Connection, size: int) -> Any:
    after = ""
    while True:
        rows = [
            tuple(row)
            for row in reader.execute(
                "SELECT sha256, size, completed_at FROM blobs "
                "WHERE complete = 1 AND sha256 > ? ORDER BY sha256 LIMIT ?",
                (after, size),
            ).fetchall()
        ]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _copy_blobs(
    target: sql.Database,
    source_objects: ObjectStore,
    target_objects: ObjectStore,
    rows: Sequence[tuple[Any, ...]],
    same_store: bool,
) -> int:
    shas = [row[0] for row in rows]
    marks = ", ".join("?" for _ in shas)
    with target.connect() as connection:
        existing = {
            row[0]: (row[1], row[2])
            for row in connection.execute(
                f"SELECT sha256, size, complete FROM blobs WHERE sha256 IN ({marks})", shas
            ).fetchall()
        }
    todo = []
    for sha, size, completed_at in rows:
        there = existing.get(sha)
        if there is not None and there[0] != size:
            raise MigrationRefused(
                f"El destino ya tiene el archivo {sha} con otro tamaño ({there[0]} bytes, no "
                f"{size}); no se sobrescribe nada.",
            )
        if there is not None and there[1] == 1:
            continue
        if not same_store:
            _copy_object(source_objects, target_objects, sha, size)
        elif target_objects.size(blob_key(sha)) != size:
            raise MigrationRefused(f"Falta el archivo {sha} en {target_objects.describe()}.")
        todo.append((sha, size, completed_at))
    if not todo:
        return 0

    def record(tx: sql.Connection) -> None:
        for sha, size, completed_at in todo:
            tx.execute(
                "INSERT INTO blobs (sha256, size, complete, completed_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET complete = 1, "
                "completed_at = excluded.completed_at",
                (sha, size, completed_at),
            )

    target.write(record)
    return len(todo)


def _copy_object(source: ObjectStore, target: ObjectStore, sha: str, size: int) -> None:
    key = blob_key(sha)
    sent = hashlib.sha256()
    assembly = target.assemble(key)
    try:
        for block in source.chunks(key):
            sent.update(block)
            assembly.write(block)
    except BaseException:
        assembly.abort()
        raise
    if sent.hexdigest() != sha:
        assembly.abort()
        raise MigrationRefused(
            f"El archivo {sha} del origen está dañado (su SHA-256 no coincide); no se copió. "
            "Revíselo con «oficialia backend reconciliar» en el servidor actual."
        )
    assembly.commit()
    stored = hashlib.sha256()
    length = 0
    for block in target.chunks(key):
        stored.update(block)
        length += len(block)
    if stored.hexdigest() != sha or length != size:
        target.delete(key)
        raise MigrationRefused(
            f"El archivo {sha} no quedó íntegro en {target.describe()}; vuelva a ejecutar la "
            "migración."
        )
