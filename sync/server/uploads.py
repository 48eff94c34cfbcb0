"""Upload state in the database, so any worker can take any chunk of any upload.

``blob_uploads`` holds one row per blob being received: its announced size, the bytes committed so
far (``received``, the ``Upload-Offset`` every worker answers with) and, while one worker
assembles the whole blob, a lease (``finishing_until``) that the others wait on. ``blob_chunks``
lists the committed chunks, each staged as its own object (``objects.chunk_key``), in order.

A chunk counts once its row is committed; the row goes in only if ``received`` still equals the
chunk's start (checked under the row lock), so of two workers racing for the same offset exactly
one wins and the other answers 409 with the winner's offset. Each function is one short
transaction; object-store I/O happens outside them (see :mod:`sync.server.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sync.server import sql
from sync.server.errors import BackendError

# How long a worker assembling a blob keeps others off it without renewing (it renews every
# few seconds as it goes, blobs.RENEW_SECONDS); a worker that died mid-assembly delays the blob
# by at most this, after which the device's next try of the last chunk assembles it anew.
FINISH_LEASE = timedelta(seconds=15)


@dataclass(frozen=True)
class Upload:
    complete: bool  # the blob is whole and checked
    size: int  # announced total (0 when unknown)
    received: int  # bytes committed
    finishing: bool  # another worker holds the assembly lease


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int


def now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def read(database: sql.Database, sha256: str) -> Upload:
    with database.connect() as connection:
        done = connection.execute(
            "SELECT size FROM blobs WHERE sha256 = ? AND complete = 1", (sha256,)
        ).fetchone()
        if done is not None:
            return Upload(True, done["size"], done["size"], False)
        row = connection.execute(
            "SELECT size, received, finishing_until FROM blob_uploads WHERE sha256 = ?",
            (sha256,),
        ).fetchone()
    if row is None:
        return Upload(False, 0, 0, False)
    return Upload(False, row["size"], row["received"], _leased(row["finishing_until"]))


def _leased(until: str | None) -> bool:
    return until is not None and until > now_text()


def _check_size(row: sql.Row, start: int, total: int) -> bool:
    """True when the announced size changes (allowed only before any byte was committed)."""
    if row["size"] == total:
        return False
    if row["received"] > 0 or start > 0:
        raise BackendError(
            f"Este archivo se empezó a subir con {row['size']} bytes en total, no {total}.",
            code="tamano_distinto",
            status=400,
        )
    return True


def commit_chunk(database: sql.Database, sha256: str, start: int, end: int, total: int) -> int:
    """Count the staged chunk [start, end); the committed offset after it, which is ``end``
    unless another worker got there first (then the caller answers 409 with it)."""

    def work(tx: sql.Connection) -> int:
        stamp = now_text()
        row = tx.execute(
            "SELECT size, received FROM blob_uploads WHERE sha256 = ?" + tx.for_update, (sha256,)
        ).fetchone()
        if row is None:
            if start != 0:
                return 0
            tx.execute(
                "INSERT INTO blob_uploads (sha256, size, received, updated_at) VALUES (?, ?, ?, ?)",
                (sha256, total, end, stamp),
            )
        else:
            if row["received"] != start:
                return int(row["received"])
            resized = _check_size(row, start, total)
            tx.execute(
                "UPDATE blob_uploads SET received = ?, size = ?, updated_at = ? WHERE sha256 = ?",
                (end, total if resized else row["size"], stamp, sha256),
            )
        tx.execute(
            "INSERT INTO blob_chunks (sha256, start_offset, end_offset) VALUES (?, ?, ?)",
            (sha256, start, end),
        )
        return end

    return database.write(work)


def claim_finish(database: sql.Database, sha256: str, start: int, total: int) -> str:
    """Take the assembly lease for the last chunk [start, total).

    Answers ``"claimed"``, ``"complete"`` (someone finished it), ``"busy"`` (someone is
    finishing it) or ``"moved"`` (``received`` is not ``start``: answer 409)."""

    def work(tx: sql.Connection) -> str:
        done = tx.execute(
            "SELECT 1 FROM blobs WHERE sha256 = ? AND complete = 1", (sha256,)
        ).fetchone()
        if done is not None:
            return "complete"
        row = tx.execute(
            "SELECT size, received, finishing_until FROM blob_uploads WHERE sha256 = ?"
            + tx.for_update,
            (sha256,),
        ).fetchone()
        if row is None or row["received"] != start:
            return "moved"
        _check_size(row, start, total)
        if _leased(row["finishing_until"]):
            return "busy"
        renew_lease(tx, sha256)
        return "claimed"

    return database.write(work)


def renew_lease(tx: sql.Connection, sha256: str) -> None:
    tx.execute(
        "UPDATE blob_uploads SET finishing_until = ?, updated_at = ? WHERE sha256 = ?",
        (now_text(datetime.now(UTC) + FINISH_LEASE), now_text(), sha256),
    )


def release_lease(database: sql.Database, sha256: str) -> None:
    database.write(
        lambda tx: tx.execute(
            "UPDATE blob_uploads SET finishing_until = NULL WHERE sha256 = ?", (sha256,)
        )
    )


def chunks(database: sql.Database, sha256: str) -> list[Chunk]:
    with database.connect() as connection:
        rows = connection.execute(
            "SELECT start_offset, end_offset FROM blob_chunks WHERE sha256 = ? "
            "ORDER BY start_offset",
            (sha256,),
        ).fetchall()
    return [Chunk(row[0], row[1]) for row in rows]


def is_contiguous(parts: list[Chunk], up_to: int) -> bool:
    position = 0
    for chunk in parts:
        if chunk.start != position:
            return False
        position = chunk.end
    return position == up_to


def _drop(tx: sql.Connection, sha256: str) -> None:
    tx.execute("DELETE FROM blob_chunks WHERE sha256 = ?", (sha256,))
    tx.execute("DELETE FROM blob_uploads WHERE sha256 = ?", (sha256,))


def forget(database: sql.Database, sha256: str) -> None:
    """Drop the upload's state (a wrong final hash): the device starts again from 0."""
    database.write(lambda tx: _drop(tx, sha256))


def mark_complete(database: sql.Database, sha256: str, size: int) -> None:
    """The blob is whole and checked: it counts from now on, and its upload state goes."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")  # as SQLite's datetime('now')

    def work(tx: sql.Connection) -> None:
        tx.execute(
            "INSERT INTO blobs (sha256, size, complete, completed_at) "
            "VALUES (?, ?, 1, ?) ON CONFLICT (sha256) DO UPDATE SET "
            "complete = 1, size = excluded.size, "
            "completed_at = COALESCE(blobs.completed_at, excluded.completed_at)",
            (sha256, size, stamp),
        )
        _drop(tx, sha256)

    database.write(work)


def abandoned(database: sql.Database, older_than: datetime) -> list[str]:
    """Uploads nobody touched since ``older_than`` and nobody is assembling."""
    with database.connect() as connection:
        rows = connection.execute(
            "SELECT sha256, finishing_until FROM blob_uploads WHERE updated_at < ?",
            (now_text(older_than),),
        ).fetchall()
    return [row[0] for row in rows if not _leased(row[1])]


def drop_if_abandoned(database: sql.Database, sha256: str, older_than: datetime) -> bool:
    def work(tx: sql.Connection) -> bool:
        row = tx.execute(
            "SELECT updated_at, finishing_until FROM blob_uploads WHERE sha256 = ?" + tx.for_update,
            (sha256,),
        ).fetchone()
        if row is None or row[0] >= now_text(older_than) or _leased(row[1]):
            return False
        _drop(tx, sha256)
        return True

    return database.write(work)


def committed_chunk_keys_of(database: sql.Database, sha256: str) -> set[tuple[str, int, int]]:
    return {(sha256, chunk.start, chunk.end) for chunk in chunks(database, sha256)}


def committed_chunk_keys(database: sql.Database) -> set[tuple[str, int, int]]:
    with database.connect() as connection:
        rows = connection.execute(
            "SELECT sha256, start_offset, end_offset FROM blob_chunks"
        ).fetchall()
    return {(row[0], row[1], row[2]) for row in rows}


def complete_sizes(database: sql.Database, prefix: str) -> dict[str, int]:
    """Complete blobs whose SHA-256 starts with ``prefix`` (two hex digits) and their sizes."""
    with database.connect() as connection:
        rows = connection.execute(
            "SELECT sha256, size FROM blobs WHERE complete = 1 AND sha256 LIKE ?",
            (prefix + "%",),
        ).fetchall()
    return {row[0]: row[1] for row in rows}
