"""Content-addressed blob storage with resumable, chunk-verified uploads.

A blob being uploaded lives in ``blobs/partial/<sha256>`` and grows by appended, fsynced chunks;
its size *is* the upload offset, so a crash loses at most the chunk in flight (a torn append is
caught by the final hash and the partial is discarded). Once whole and hashed it is renamed
atomically to ``blobs/<sha[:2]>/<sha256>`` and the database row marked complete.

Two devices may upload the same blob at once: every operation on one sha256 holds that blob's
lock, and the database row (sha256 PRIMARY KEY, size fixed at the first chunk) keeps the rest
honest.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sync import protocol
from sync.server import database
from sync.server.errors import BackendError, BadRequest, Conflict, TooLarge, Unprocessable


@dataclass(frozen=True)
class BlobState:
    state: str  # "complete", "partial" or "unknown"
    offset: int  # bytes held


@dataclass(frozen=True)
class ChunkResult:
    complete: bool
    offset: int


class KeyedLocks:
    """One lock per key, created on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


def check_sha256(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise BadRequest(
            f"«{value[:80]}» no es un SHA-256 (64 caracteres hexadecimales en minúscula).",
            code="sha256_invalido",
        )
    return value


class BlobStore:
    def __init__(self, root: Path, database_path: Path, max_blob_bytes: int) -> None:
        self.root = root
        self.partial_dir = root / "partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        self.database_path = database_path
        self.max_blob_bytes = max_blob_bytes
        self.locks = KeyedLocks()

    def final_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _partial_path(self, sha256: str) -> Path:
        return self.partial_dir / sha256

    def state(self, sha256: str) -> BlobState:
        final = self.final_path(sha256)
        if final.exists():
            return BlobState("complete", final.stat().st_size)
        try:
            return BlobState("partial", self._partial_path(sha256).stat().st_size)
        except FileNotFoundError:
            return BlobState("unknown", 0)

    def missing(self, hashes: list[str]) -> list[str]:
        unique = list(dict.fromkeys(hashes))
        with database.opened(self.database_path) as connection:
            held = {
                row[0]
                for row in connection.execute(
                    "SELECT sha256 FROM blobs WHERE complete = 1 AND sha256 IN "
                    f"({','.join('?' * len(unique))})",
                    unique,
                )
            }
        return [sha for sha in unique if sha not in held]

    def put_chunk(
        self, sha256: str, content_range: str, chunk_digest: str, data: bytes
    ) -> ChunkResult:
        try:
            start, end, total = protocol.parse_content_range(content_range)
        except ValueError as error:
            raise BadRequest(
                f"Content-Range inválido ({error}); se espera «bytes INICIO-FIN/TOTAL».",
                code="rango_invalido",
            ) from error
        if end - start > protocol.MAX_CHUNK:
            raise TooLarge(
                f"El fragmento pasa de {protocol.MAX_CHUNK} bytes; envíe fragmentos más chicos.",
                code="fragmento_grande",
            )
        if total > self.max_blob_bytes:
            raise TooLarge(
                f"El archivo pasa del máximo de {self.max_blob_bytes} bytes.", code="archivo_grande"
            )
        if len(data) != end - start:
            raise BadRequest(
                f"El cuerpo trae {len(data)} bytes y Content-Range anuncia {end - start}.",
                code="rango_invalido",
            )
        digest = chunk_digest.strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise BadRequest(
                f"Falta o es inválido el encabezado {protocol.HEADER_CHUNK_DIGEST}.",
                code="digest_invalido",
            )
        with self.locks.hold(sha256):
            return self._append(sha256, start, end, total, digest, data)

    def _append(
        self, sha256: str, start: int, end: int, total: int, digest: str, data: bytes
    ) -> ChunkResult:
        if self.final_path(sha256).exists():
            self._mark_complete(sha256, self.final_path(sha256).stat().st_size)
            return ChunkResult(True, self.final_path(sha256).stat().st_size)
        partial = self._partial_path(sha256)
        offset = partial.stat().st_size if partial.exists() else 0
        if start != offset:
            raise Conflict(
                f"El servidor tiene {offset} bytes de este archivo; continúe desde ahí.",
                code="desfase",
                headers={protocol.HEADER_UPLOAD_OFFSET: str(offset)},
                offset=offset,
            )
        if hashlib.sha256(data).hexdigest() != digest:
            raise Unprocessable(
                "El fragmento llegó dañado (su SHA-256 no coincide); no se guardó. Reenvíelo.",
                code="fragmento_danado",
            )
        self._record_size(sha256, total, restart=offset == 0)
        with partial.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if end < total:
            return ChunkResult(False, end)
        return self._finish(sha256, partial, total)

    def _finish(self, sha256: str, partial: Path, total: int) -> ChunkResult:
        whole = hashlib.sha256()
        with partial.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                whole.update(block)
        if whole.hexdigest() != sha256:
            partial.unlink()
            self._forget(sha256)
            raise Unprocessable(
                "El archivo completo no corresponde a su SHA-256; se descartó lo recibido. "
                "Vuelva a enviarlo desde el principio.",
                code="hash_distinto",
            )
        final = self.final_path(sha256)
        final.parent.mkdir(exist_ok=True)
        os.replace(partial, final)
        _fsync_directory(final.parent)
        self._mark_complete(sha256, total)
        return ChunkResult(True, total)

    def _record_size(self, sha256: str, total: int, *, restart: bool) -> None:
        with database.opened(self.database_path) as connection, database.write(connection):
            row = connection.execute(
                "SELECT size FROM blobs WHERE sha256 = ?", (sha256,)
            ).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO blobs (sha256, size) VALUES (?, ?)", (sha256, total)
                )
            elif row["size"] != total:
                if not restart:
                    raise BackendError(
                        f"Este archivo se empezó a subir con {row['size']} bytes en total, "
                        f"no {total}.",
                        code="tamano_distinto",
                        status=400,
                    )
                connection.execute("UPDATE blobs SET size = ? WHERE sha256 = ?", (total, sha256))

    def _forget(self, sha256: str) -> None:
        with database.opened(self.database_path) as connection, database.write(connection):
            connection.execute("DELETE FROM blobs WHERE sha256 = ? AND complete = 0", (sha256,))

    def _mark_complete(self, sha256: str, size: int) -> None:
        with database.opened(self.database_path) as connection, database.write(connection):
            connection.execute(
                "INSERT INTO blobs (sha256, size, complete, completed_at) "
                "VALUES (?, ?, 1, datetime('now')) ON CONFLICT(sha256) DO UPDATE SET "
                "complete = 1, size = excluded.size, "
                "completed_at = COALESCE(completed_at, excluded.completed_at)",
                (sha256, size),
            )


def _fsync_directory(path: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
