"""Content-addressed blob storage with resumable, chunk-verified uploads on any worker.

Every chunk is checked against its own SHA-256, staged as an object of its own
(``partial/<sha256>/<start>-<end>`` in the folder or the bucket) and only then counted, by a row
in the database (:mod:`sync.server.uploads`): the database, not a process's memory or lock, says
how far an upload got, so consecutive chunks may reach different workers. The last chunk's worker
takes a lease, streams the staged chunks into the final object (an S3 multipart upload of
:data:`~sync.server.objects.PART_SIZE` parts, or a temporary file renamed into place), hashing as
it goes, and writes the final object only when the whole SHA-256 matches; the blob counts once
``blobs.complete`` is committed after that. Two devices uploading the same blob at once share one
upload and end with one object; a crash leaves staged chunks and unfinished assemblies that
:func:`sync.server.blob_upkeep.sweep` removes once they are old.

A device sends its chunks one after another on one connection, which stays with one worker, so
the worker that assembles a blob has usually staged its chunks itself: it keeps what it staged
lately in memory (:class:`RecentChunks`) and reads back from the store only what it lacks. The
staged objects are still written first: they are what makes an acknowledged chunk durable.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sync import protocol
from sync.server import sql, uploads
from sync.server.errors import BadRequest, Conflict, TooLarge, Unprocessable
from sync.server.objects import (
    Assembly,
    FolderStore,
    ObjectMissing,
    ObjectStore,
    blob_key,
    chunk_key,
)

# How long a request for the last chunk waits for another worker that is assembling the same
# blob before answering 409 (the device then sends the chunk again).
FINISH_WAIT = 20.0
FINISH_POLL = 0.1
RENEW_SECONDS = 5.0  # assembling, the lease (uploads.FINISH_LEASE) is renewed this often
PREFETCH = 4  # staged chunks read ahead while assembling (at most 4 × MAX_CHUNK in memory)
RECENT_BYTES = 128 * 1024 * 1024  # staged chunks a worker keeps in memory for assembling


class RecentChunks:
    """The chunks this process staged lately, by staging key, least recently staged dropped
    first once they pass ``budget`` bytes. Only chunks whose row this process committed go in,
    and the whole blob's SHA-256 is checked after assembly whatever the source."""

    def __init__(self, budget: int = RECENT_BYTES) -> None:
        self.budget = budget
        self.held = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, key: str, data: bytes) -> None:
        if len(data) > self.budget:
            return
        with self._lock:
            self._pop(key)
            self._items[key] = data
            self.held += len(data)
            while self.held > self.budget:
                _, oldest = self._items.popitem(last=False)
                self.held -= len(oldest)

    def take(self, key: str) -> bytes | None:
        with self._lock:
            return self._pop(key)

    def forget(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._pop(key)

    def _pop(self, key: str) -> bytes | None:
        data = self._items.pop(key, None)
        if data is not None:
            self.held -= len(data)
        return data


@dataclass(frozen=True)
class BlobState:
    state: str  # "complete", "partial" or "unknown"
    offset: int  # bytes held


@dataclass(frozen=True)
class ChunkResult:
    complete: bool
    offset: int


def check_sha256(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise BadRequest(
            f"«{value[:80]}» no es un SHA-256 (64 caracteres hexadecimales en minúscula).",
            code="sha256_invalido",
        )
    return value


class BlobStore:
    def __init__(self, objects: ObjectStore, database: sql.Database, max_blob_bytes: int) -> None:
        self.objects = objects
        self.database = database
        self.max_blob_bytes = max_blob_bytes
        self.recent = RecentChunks()

    def final_path(self, sha256: str) -> Path:
        """Where the folder store keeps a finished blob (tests and tools read it directly)."""
        if not isinstance(self.objects, FolderStore):
            raise TypeError("final_path() only exists for the folder store; use read()")
        return self.objects.path(blob_key(sha256))

    def read(self, sha256: str) -> bytes:
        return self.objects.read(blob_key(sha256))

    def state(self, sha256: str) -> BlobState:
        upload = uploads.read(self.database, sha256)
        if upload.complete:
            return BlobState("complete", upload.size)
        if upload.received:
            return BlobState("partial", upload.received)
        return BlobState("unknown", 0)

    def missing(self, hashes: list[str]) -> list[str]:
        unique = list(dict.fromkeys(hashes))
        if not unique:  # "IN ()" is SQLite's leniency, a syntax error on PostgreSQL
            return []
        with self.database.connect() as connection:
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
        return self._accept(sha256, start, end, total, digest, data)

    def _accept(
        self, sha256: str, start: int, end: int, total: int, digest: str, data: bytes
    ) -> ChunkResult:
        upload = uploads.read(self.database, sha256)
        if upload.complete:
            return ChunkResult(True, upload.size)
        if start != upload.received:
            raise _resume_from(upload.received)
        if hashlib.sha256(data).hexdigest() != digest:
            raise Unprocessable(
                "El fragmento llegó dañado (su SHA-256 no coincide); no se guardó. Reenvíelo.",
                code="fragmento_danado",
            )
        if end == total:
            return self._finish(sha256, start, total, data)
        key = chunk_key(sha256, start, end)
        self.objects.put(key, data)  # durable before it counts
        try:
            committed = uploads.commit_chunk(self.database, sha256, start, end, total)
        except BaseException:
            self.objects.delete(key)
            raise
        if committed != end:
            # Another worker counted this offset first. Our object only has a name of its own
            # when our range differs from the winner's (same range = same bytes, keep it).
            if (sha256, start, end) not in uploads.committed_chunk_keys_of(self.database, sha256):
                self.objects.delete(key)
            return self._after_lost_race(sha256)
        self.recent.keep(key, data)
        return ChunkResult(False, end)

    def _after_lost_race(self, sha256: str) -> ChunkResult:
        """Another worker moved the upload on: resume from its offset (409), or, when it just
        finished the blob (its upload row is gone with it), say it is complete (201)."""
        upload = uploads.read(self.database, sha256)
        if upload.complete:
            return ChunkResult(True, upload.size)
        raise _resume_from(upload.received)

    def _finish(self, sha256: str, start: int, total: int, last: bytes) -> ChunkResult:
        if start == 0:
            # The whole blob in one chunk: check it in memory, no staging, no lease (two
            # workers writing the same checked bytes to one key end with one object).
            if hashlib.sha256(last).hexdigest() != sha256:
                raise _wrong_whole_hash()
            self.objects.put(blob_key(sha256), last)
            uploads.mark_complete(self.database, sha256, total)
            return ChunkResult(True, total)
        deadline = time.monotonic() + FINISH_WAIT
        while True:
            claim = uploads.claim_finish(self.database, sha256, start, total)
            if claim == "complete":
                return ChunkResult(True, total)
            if claim == "claimed":
                return self._assemble(sha256, start, total, last)
            if claim == "moved" or time.monotonic() > deadline:
                return self._after_lost_race(sha256)
            time.sleep(FINISH_POLL)  # another worker is assembling it

    def _assemble(self, sha256: str, start: int, total: int, last: bytes) -> ChunkResult:
        staged = uploads.chunks(self.database, sha256)
        if not uploads.is_contiguous(staged, start):
            uploads.forget(self.database, sha256)
            raise _resume_from(0)
        assembly = self.objects.assemble(blob_key(sha256))
        try:
            whole = self._copy_staged(sha256, staged, assembly)
            whole.update(last)
            assembly.write(last)
        except ObjectMissing:
            # A staged chunk is gone (swept while the device was away): start over.
            assembly.abort()
            self._discard(sha256, staged)
            raise _resume_from(0) from None
        except BaseException:
            assembly.abort()
            uploads.release_lease(self.database, sha256)
            raise
        if whole.hexdigest() != sha256:
            assembly.abort()  # on S3 the parts sent so far go with the multipart upload
            self._discard(sha256, staged)
            raise _wrong_whole_hash()
        try:
            assembly.commit()
        except BaseException:
            assembly.abort()
            uploads.release_lease(self.database, sha256)
            raise
        uploads.mark_complete(self.database, sha256, total)
        self._delete_staged(sha256, staged)
        return ChunkResult(True, total)

    def _copy_staged(
        self, sha256: str, staged: list[uploads.Chunk], assembly: Assembly
    ) -> hashlib._Hash:
        whole = hashlib.sha256()
        renewed = time.monotonic()
        for data in self._prefetched(sha256, staged):
            whole.update(data)
            assembly.write(data)
            if time.monotonic() - renewed >= RENEW_SECONDS:
                self.database.write(lambda tx: uploads.renew_lease(tx, sha256))
                renewed = time.monotonic()
        return whole

    def _prefetched(self, sha256: str, staged: list[uploads.Chunk]) -> Iterator[bytes]:
        """The staged chunks in order: from memory when this process staged them, else read
        from the store a few ahead (on S3 each is a round trip)."""
        with ThreadPoolExecutor(PREFETCH, thread_name_prefix="staged") as pool:
            pending: deque[Future[bytes]] = deque()
            for chunk in staged:
                key = chunk_key(sha256, chunk.start, chunk.end)
                held = self.recent.take(key)
                if held is not None:
                    ready: Future[bytes] = Future()
                    ready.set_result(held)
                    pending.append(ready)
                else:
                    pending.append(pool.submit(self.objects.read, key))
                if len(pending) >= PREFETCH:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _discard(self, sha256: str, staged: list[uploads.Chunk]) -> None:
        uploads.forget(self.database, sha256)
        self._delete_staged(sha256, staged)

    def _delete_staged(self, sha256: str, staged: list[uploads.Chunk]) -> None:
        keys = [chunk_key(sha256, chunk.start, chunk.end) for chunk in staged]
        self.recent.forget(keys)
        self.objects.delete_many(keys)


def _resume_from(offset: int) -> Conflict:
    return Conflict(
        f"El servidor tiene {offset} bytes de este archivo; continúe desde ahí.",
        code="desfase",
        headers={protocol.HEADER_UPLOAD_OFFSET: str(offset)},
        offset=offset,
    )


def _wrong_whole_hash() -> Unprocessable:
    return Unprocessable(
        "El archivo completo no corresponde a su SHA-256; se descartó lo recibido. "
        "Vuelva a enviarlo desde el principio.",
        code="hash_distinto",
    )
